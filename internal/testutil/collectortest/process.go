package collectortest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/waxell/otelcol-waxell/internal/testutil/lockedfork"
)

const (
	// ReadyTimeout is the default bound on a start, PostgreSQL migrations
	// included.
	ReadyTimeout = 60 * time.Second
	// StopTimeout bounds a graceful shutdown after SIGTERM, and the exit
	// after SIGKILL.
	StopTimeout = 60 * time.Second
	// PollInterval is the pause between two polls.
	PollInterval = 25 * time.Millisecond
	// requestTimeout bounds one HTTP request to the process.
	requestTimeout = 60 * time.Second
	// probeTimeout bounds one readiness probe.
	probeTimeout = 2 * time.Second
	// launchAttempts is how often Launch tries new ports after a bind
	// failure.
	launchAttempts = 3
)

// Probe is one readiness condition: url answers 200, or any HTTP status
// when AnyStatus is set (a receiver that answers a GET of its POST route
// with 405 is up).
type Probe struct {
	URL       string
	AnyStatus bool
}

// Spec describes a collector process.
type Spec struct {
	Binary string
	// Config is written to config.yaml in the process's directory and
	// passed with --config.
	Config string
	// Env is added to the test process's environment.
	Env []string
	// Ready is polled in order after each start.
	Ready []Probe
	// ReadyTimeout bounds a start (default ReadyTimeout).
	ReadyTimeout time.Duration
	// LogLines is how many lines of the log a failed test shows (default 80).
	LogLines int
	// AlwaysLog shows the log's tail when the test passed too.
	AlwaysLog bool
}

// Process is one otelcol-waxell process, restartable with the same
// configuration, ports and data. Its log (stdout and stderr) is appended to
// collector.log across restarts.
type Process struct {
	t       testing.TB
	spec    Spec
	dir     string
	cfgPath string
	logPath string
	client  *http.Client

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when the current process has exited
	waitErr error
	starts  int
}

// Prepare finds nPorts free ports, asks spec for the process's Spec and
// writes its configuration, without starting it. The process is stopped
// (SIGTERM) when the test ends if it still runs.
func Prepare(t testing.TB, nPorts int, spec func(ports []int) Spec) (*Process, []int) {
	t.Helper()
	ports, err := FreePorts(nPorts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newProcess(t, spec(ports))
	if err != nil {
		t.Fatal(err)
	}
	return p, ports
}

// Launch is Prepare and Start. A port taken by another process between
// FreePorts and the bind is retried with new ports.
func Launch(t testing.TB, nPorts int, spec func(ports []int) Spec) (*Process, []int) {
	t.Helper()
	var lastErr error
	for range launchAttempts {
		p, ports := Prepare(t, nPorts, spec)
		err := p.Start()
		if err == nil {
			return p, ports
		}
		lastErr = err
		if p.Running() || !strings.Contains(p.Log(), "address already in use") {
			break
		}
	}
	t.Fatalf("cannot start the collector: %v", lastErr)
	return nil, nil
}

func newProcess(t testing.TB, s Spec) (*Process, error) {
	if s.ReadyTimeout == 0 {
		s.ReadyTimeout = ReadyTimeout
	}
	if s.LogLines == 0 {
		s.LogLines = 80
	}
	p := &Process{
		t:      t,
		spec:   s,
		dir:    t.TempDir(),
		client: &http.Client{Timeout: requestTimeout},
	}
	p.cfgPath = filepath.Join(p.dir, "config.yaml")
	p.logPath = filepath.Join(p.dir, "collector.log")
	if err := os.WriteFile(p.cfgPath, []byte(s.Config), 0o600); err != nil {
		return nil, fmt.Errorf("collectortest: write the configuration: %w", err)
	}
	t.Cleanup(func() {
		if p.Running() {
			if err := p.Stop(); err != nil {
				t.Errorf("stopping the collector: %v", err)
			}
		}
		if t.Failed() || s.AlwaysLog {
			t.Logf("collector log (%s):\n%s", p.logPath, p.LogTail(s.LogLines))
		}
	})
	return p, nil
}

// ConfigPath is the configuration file.
func (p *Process) ConfigPath() string { return p.cfgPath }

// Spawn starts the process without waiting for it to be ready.
func (p *Process) Spawn() error {
	if p.Running() {
		return errors.New("collectortest: the collector is already running")
	}
	logFile, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("collectortest: open the log: %w", err)
	}
	defer logFile.Close() // the child has its own descriptor
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starts++
	if p.starts > 1 {
		fmt.Fprintf(logFile, "=== collectortest: start #%d ===\n", p.starts)
	}
	cmd := exec.Command(p.spec.Binary, "--config", p.cfgPath)
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), p.spec.Env...)
	exited, err := StartCmd(cmd)
	if err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		err := <-exited
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(done)
	}()
	p.cmd, p.done, p.waitErr = cmd, done, nil
	return nil
}

// StartCmd starts cmd so that it dies with the process that starts it (the
// Linux parent-death signal SIGKILL) and not before; the channel receives
// cmd.Wait's result when it has exited. It takes no testing.TB, so tools
// that run the collector outside a test use it too.
func StartCmd(cmd *exec.Cmd) (<-chan error, error) {
	setProcAttr(cmd)
	return lockedfork.Start(cmd)
}

// Start starts (or restarts) the process and waits until every readiness
// probe passes. The error carries the log's tail.
func (p *Process) Start() error {
	if err := p.Spawn(); err != nil {
		return err
	}
	if err := p.WaitReady(); err != nil {
		return fmt.Errorf("%w\ncollector log:\n%s", err, p.LogTail(p.spec.LogLines))
	}
	return nil
}

// WaitReady polls the readiness probes in order.
func (p *Process) WaitReady() error {
	deadline := time.Now().Add(p.spec.ReadyTimeout)
	for _, pr := range p.spec.Ready {
		for {
			if !p.Running() {
				return fmt.Errorf("the collector exited before it was ready: %v", p.ExitErr())
			}
			code, err := p.probe(pr.URL)
			if err == nil && (pr.AnyStatus || code == http.StatusOK) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the collector was not ready after %s: GET %s: status %d, error %v",
					p.spec.ReadyTimeout, pr.URL, code, err)
			}
			time.Sleep(PollInterval)
		}
	}
	return nil
}

// probe GETs url once, briefly: a port that accepts but never answers (not
// ours yet) must not hold up the checks of the process's exit.
func (p *Process) probe(url string) (int, error) {
	ctx, cancel := context.WithTimeout(p.t.Context(), probeTimeout)
	defer cancel()
	code, _, err := p.Do(ctx, http.MethodGet, url, nil, nil)
	return code, err
}

// Running reports whether the process was started and has not exited.
func (p *Process) Running() bool {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// ExitErr is the result of the last exit (nil: status 0, or still running).
func (p *Process) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waitErr
}

// WaitExit waits at most d for the process to exit and reports whether it
// did.
func (p *Process) WaitExit(d time.Duration) bool {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return true
	}
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

func (p *Process) signal(sig syscall.Signal) error {
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil {
		return errors.New("collectortest: the collector was never started")
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("collectortest: %v: %w", sig, err)
	}
	return nil
}

// Kill sends SIGKILL (no shutdown, no queue drain, no store close) and
// waits for the exit.
func (p *Process) Kill() error {
	if err := p.signal(syscall.SIGKILL); err != nil {
		return err
	}
	if !p.WaitExit(StopTimeout) {
		return fmt.Errorf("collectortest: no exit within %s of SIGKILL", StopTimeout)
	}
	return nil
}

// Stop sends SIGTERM and waits for a clean exit (status 0); after
// StopTimeout the process is killed and Stop fails.
func (p *Process) Stop() error {
	if !p.Running() {
		return fmt.Errorf("collectortest: the collector is not running (exit: %v)", p.ExitErr())
	}
	if err := p.signal(syscall.SIGTERM); err != nil {
		return err
	}
	if !p.WaitExit(StopTimeout) {
		_ = p.signal(syscall.SIGKILL)
		p.WaitExit(StopTimeout)
		return fmt.Errorf("collectortest: no exit within %s of SIGTERM; killed", StopTimeout)
	}
	if err := p.ExitErr(); err != nil {
		return fmt.Errorf("collectortest: the collector exited after SIGTERM with %w", err)
	}
	return nil
}

// Log is the whole log, every start included.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// LogTail is the last n lines of the log.
func (p *Process) LogTail(n int) string {
	l := strings.Split(strings.TrimRight(p.Log(), "\n"), "\n")
	if len(l) > n {
		l = append([]string{fmt.Sprintf("... (%d lines omitted)", len(l)-n)}, l[len(l)-n:]...)
	}
	return strings.Join(l, "\n")
}

// WaitLog waits at most timeout until the log contains s.
func (p *Process) WaitLog(s string, timeout time.Duration) error {
	if !Poll(timeout, func() bool { return strings.Contains(p.Log(), s) }) {
		return fmt.Errorf("the collector log does not mention %q after %s", s, timeout)
	}
	return nil
}

// Do sends one HTTP request and returns the status and body.
func (p *Process) Do(ctx context.Context, method, url string, body []byte, header map[string]string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// Get GETs url.
func (p *Process) Get(url string) (int, []byte, error) {
	return p.Do(p.t.Context(), http.MethodGet, url, nil, nil)
}

// Poll calls cond every PollInterval until it returns true (Poll reports
// true) or timeout has passed (false).
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(PollInterval)
	}
	return true
}
