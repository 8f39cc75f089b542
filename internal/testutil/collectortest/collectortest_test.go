package collectortest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// envFake turns the test binary into a fake collector: it reads the port
// from the --config file (a line "port: N" or "fail: message"), serves 200
// on it and exits 0 on SIGTERM, the way the harness expects a collector to.
const envFake = "COLLECTORTEST_FAKE_COLLECTOR"

func TestMain(m *testing.M) {
	if os.Getenv(envFake) != "" {
		os.Exit(fakeCollector())
	}
	os.Exit(m.Run())
}

func fakeCollector() int {
	if len(os.Args) != 3 || os.Args[1] != "--config" {
		fmt.Println("usage: --config file")
		return 2
	}
	b, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Println(err)
		return 1
	}
	cfg := strings.TrimSpace(string(b))
	if msg, ok := strings.CutPrefix(cfg, "fail: "); ok {
		fmt.Println(msg)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strings.TrimPrefix(cfg, "port: "))
	if err != nil {
		fmt.Println(err) // "... bind: address already in use"
		return 1
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "fake")
	})}
	go func() { _ = srv.Serve(ln) }()
	fmt.Println("fake collector serving on", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	if err := srv.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println("fake collector stopped")
	return 0
}

func fakeSpec(t *testing.T, config string, port int) Spec {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Spec{
		Binary:       exe,
		Config:       config,
		Env:          []string{envFake + "=1"},
		Ready:        []Probe{{URL: fmt.Sprintf("http://127.0.0.1:%d/", port)}},
		ReadyTimeout: 30 * time.Second,
	}
}

func TestFreePorts(t *testing.T) {
	ports, err := FreePorts(20)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p <= 0 || seen[p] {
			t.Fatalf("ports %v: not distinct positive ports", ports)
		}
		seen[p] = true
	}
}

// TestLifecycle: start, answer, kill, restart on the same port, graceful
// stop; the log keeps every start.
func TestLifecycle(t *testing.T) {
	p, ports := Launch(t, 1, func(ports []int) Spec {
		return fakeSpec(t, fmt.Sprintf("port: %d", ports[0]), ports[0])
	})
	url := fmt.Sprintf("http://127.0.0.1:%d/", ports[0])
	steps := []struct {
		name string
		do   func() error
		up   bool
	}{
		{"started", func() error { return nil }, true},
		{"killed", p.Kill, false},
		{"restarted", p.Start, true},
		{"stopped", p.Stop, false},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if p.Running() != s.up {
			t.Fatalf("%s: running %v, want %v", s.name, p.Running(), s.up)
		}
		code, body, err := p.Get(url)
		if s.up && (err != nil || code != http.StatusOK || string(body) != "fake") {
			t.Fatalf("%s: GET %s: %d %q %v", s.name, url, code, body, err)
		}
		if !s.up && err == nil {
			t.Fatalf("%s: GET %s answered %d", s.name, url, code)
		}
	}
	log := p.Log()
	if n := strings.Count(log, "fake collector serving"); n != 2 {
		t.Errorf("the log holds %d starts, want 2:\n%s", n, log)
	}
	if !strings.Contains(log, "=== collectortest: start #2 ===") || !strings.HasSuffix(log, "fake collector stopped\n") {
		t.Errorf("log:\n%s", log)
	}
	if err := p.WaitLog("fake collector stopped", time.Second); err != nil {
		t.Error(err)
	}
	if err := p.WaitLog("never written", 50*time.Millisecond); err == nil {
		t.Error("WaitLog found a line that is not in the log")
	}
}

// TestLaunchRetriesTakenPort: a port taken between FreePorts and the bind
// makes Launch try again with new ports.
func TestLaunchRetriesTakenPort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port
	attempts := 0
	p, ports := Launch(t, 1, func(ports []int) Spec {
		attempts++
		if attempts == 1 {
			ports[0] = takenPort
		}
		return fakeSpec(t, fmt.Sprintf("port: %d", ports[0]), ports[0])
	})
	if attempts != 2 || ports[0] == takenPort || !p.Running() {
		t.Fatalf("%d attempts, port %d (taken: %d), running %v", attempts, ports[0], takenPort, p.Running())
	}
}

// TestStartFailure: a process that exits at start fails Start with its
// log, and is not running.
func TestStartFailure(t *testing.T) {
	p, _ := Prepare(t, 1, func(ports []int) Spec {
		return fakeSpec(t, "fail: cannot open the store", ports[0])
	})
	err := p.Start()
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") || !strings.Contains(err.Error(), "cannot open the store") {
		t.Fatalf("Start: %v", err)
	}
	var exit *exec.ExitError
	if p.Running() || !errors.As(p.ExitErr(), &exit) || exit.ExitCode() != 1 {
		t.Fatalf("running %v, exit %v; want exit status 1", p.Running(), p.ExitErr())
	}
	if err := p.Stop(); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("Stop of an exited process: %v", err)
	}
}

// TestSurvivesThreadExits: a goroutine that ends locked to its thread
// makes the Go runtime terminate the thread (pgtest's does whenever
// PostgreSQL stops), and the kernel sends the parent-death signal to the
// children that thread forked. A collector started from such a goroutine
// must survive its end: Spawn forks from a thread of its own.
func TestSurvivesThreadExits(t *testing.T) {
	for i := range 4 {
		p, ports := Prepare(t, 1, func(ports []int) Spec {
			return fakeSpec(t, fmt.Sprintf("port: %d", ports[0]), ports[0])
		})
		started := make(chan error)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			started <- p.Start()
		}()
		if err := <-started; err != nil {
			t.Fatal(err)
		}
		// A parent-death signal would end the process well within this.
		if p.WaitExit(300 * time.Millisecond) {
			t.Fatalf("start %d: the collector died with the thread that started it: %v", i, p.ExitErr())
		}
		if code, _, err := p.Get(fmt.Sprintf("http://127.0.0.1:%d/", ports[0])); err != nil || code != http.StatusOK {
			t.Fatalf("start %d: GET: %d %v", i, code, err)
		}
	}
}

// TestStartCmd: StartCmd, used without a Process, fails for a binary that
// does not exist and delivers the exit status of one that ran.
func TestStartCmd(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("fail: no store"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		cmd      *exec.Cmd
		startErr bool
		exitCode int
	}{
		{"missing binary", exec.Command(filepath.Join(t.TempDir(), "nothing")), true, 0},
		{"exit status", exec.Command(exe, "--config", cfg), false, 1},
		{"usage", exec.Command(exe), false, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cmd.Env = append(os.Environ(), envFake+"=1")
			exited, err := StartCmd(tc.cmd)
			if (err != nil) != tc.startErr {
				t.Fatalf("StartCmd: %v, want an error: %t", err, tc.startErr)
			}
			if tc.startErr {
				return
			}
			select {
			case err := <-exited:
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != tc.exitCode {
					t.Fatalf("exit %v, want status %d", err, tc.exitCode)
				}
			case <-time.After(StopTimeout):
				t.Fatalf("no exit within %s", StopTimeout)
			}
		})
	}
}

// TestMainHelper: Main hands run the absolute repository root and binary and
// returns run's code, or fails without calling run when there is no binary.
func TestMainHelper(t *testing.T) {
	const envBin = "COLLECTORTEST_TEST_BINARY"
	root := t.TempDir() // no cmd/otelcol-waxell: building fails
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, root) // Main resolves a relative root
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		binEnv  string
		want    int
		wantBin string
	}{
		{"binary from the environment", "some/otelcol-waxell", 7, "some/otelcol-waxell"},
		{"build fails", "", 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(envBin, tc.binEnv)
			var gotRoot, gotBin string
			code := Main("test", rel, []string{envBin}, func(r, b string) int {
				gotRoot, gotBin = r, b
				return 7
			})
			if code != tc.want {
				t.Fatalf("Main returned %d, want %d", code, tc.want)
			}
			if tc.wantBin == "" {
				if gotBin != "" {
					t.Fatalf("run was called with %q after a failed build", gotBin)
				}
				return
			}
			wantBin, _ := filepath.Abs(tc.wantBin)
			if gotRoot != root || gotBin != wantBin {
				t.Fatalf("run(%q, %q), want run(%q, %q)", gotRoot, gotBin, root, wantBin)
			}
		})
	}
}
