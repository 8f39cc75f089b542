package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

const (
	// readyTimeout bounds the start of a collector (PostgreSQL migrations included).
	readyTimeout = 60 * time.Second
	// stopTimeout bounds a graceful shutdown after SIGTERM.
	stopTimeout = 60 * time.Second
	// pollInterval is the pause between two polls of an HTTP endpoint.
	pollInterval = 20 * time.Millisecond
)

// storeConfig is the store a collector writes to. Two collectors started
// one after the other with the same storeConfig see the same data.
type storeConfig struct {
	driver string // "sqlite" or "postgres"
	path   string // sqlite: database file
	dsn    string // postgres: DSN of a database of its own
}

func (s storeConfig) String() string {
	if s.driver == "sqlite" {
		return "sqlite:" + s.path
	}
	return "postgres"
}

// backend creates an empty store of one kind for a test.
type backend struct {
	name     string
	newStore func(t *testing.T) storeConfig
}

var backends = []backend{
	{"sqlite", func(t *testing.T) storeConfig {
		// The data directory does not exist yet: the exporter creates it.
		return storeConfig{driver: "sqlite", path: filepath.Join(t.TempDir(), "data", "waxell.db")}
	}},
	{"postgres", func(t *testing.T) storeConfig {
		return storeConfig{driver: "postgres", dsn: pgtest.NewDatabase(t)}
	}},
}

// collector is one running otelcol-waxell process.
type collector struct {
	t     *testing.T
	store storeConfig

	grpcAddr   string // OTLP gRPC host:port
	httpURL    string // OTLP HTTP base URL
	apiURL     string // REST API base URL
	healthURL  string // health_check URL
	dir        string // working directory, holds config.yaml and collector.log
	logPath    string
	cmd        *exec.Cmd
	done       chan struct{} // closed when the process has exited
	waitErr    error         // the result of Wait, set before done is closed
	stopped    bool
	httpClient *http.Client
}

// startCollector starts the collector on free ports with store st and waits
// until it is ready. It is stopped (SIGTERM) when the test ends, unless the
// test stopped it already.
func startCollector(t *testing.T, st storeConfig) *collector {
	t.Helper()
	var lastErr error
	// Free ports are found by listening on port 0 and closing again; another
	// process may take one in between, so a bind failure is retried.
	for attempt := 0; attempt < 3; attempt++ {
		c, err := tryStartCollector(t, st)
		if err == nil {
			return c
		}
		lastErr = err
		if !errors.Is(err, errAddrInUse) {
			break
		}
	}
	t.Fatalf("cannot start the collector (%s): %v", st, lastErr)
	return nil
}

var errAddrInUse = errors.New("address already in use")

func tryStartCollector(t *testing.T, st storeConfig) (*collector, error) {
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	c := &collector{
		t:          t,
		store:      st,
		grpcAddr:   fmt.Sprintf("127.0.0.1:%d", ports[0]),
		httpURL:    fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		apiURL:     fmt.Sprintf("http://127.0.0.1:%d", ports[2]),
		healthURL:  fmt.Sprintf("http://127.0.0.1:%d/", ports[3]),
		dir:        t.TempDir(),
		done:       make(chan struct{}),
		httpClient: &http.Client{Timeout: 30 * time.Second},
	}
	cfgPath := filepath.Join(c.dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(c.config(ports)), 0o600); err != nil {
		return nil, err
	}
	c.logPath = filepath.Join(c.dir, "collector.log")
	logFile, err := os.Create(c.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor

	c.cmd = exec.Command(binary, "--config", cfgPath)
	c.cmd.Dir = c.dir
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	c.cmd.Env = append(os.Environ(),
		"WAXELL_E2E_SQLITE_PATH="+st.path,
		"WAXELL_E2E_POSTGRES_DSN="+st.dsn,
	)
	setProcAttr(c.cmd)
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		if !c.stopped {
			if err := c.stop(); err != nil {
				t.Errorf("stopping the collector: %v", err)
			}
		}
		if t.Failed() {
			t.Logf("collector log (%s):\n%s", c.logPath, c.logTail(40))
		}
	})

	if err := c.waitReady(); err != nil {
		if c.exited() && strings.Contains(c.log(), "address already in use") {
			c.stopped = true // this attempt is over; the retry starts a new process
			return nil, fmt.Errorf("%w: %v", errAddrInUse, err)
		}
		return nil, fmt.Errorf("%v\ncollector log:\n%s", err, c.logTail(80))
	}
	return c, nil
}

// config is the collector configuration: the shipped config.yaml with
// test ports, the store under test and no internal metrics endpoint (so
// that collectors can run in parallel).
func (c *collector) config(ports []int) string {
	var store string
	switch c.store.driver {
	case "sqlite":
		store = `
      driver: sqlite
      sqlite:
        path: ${env:WAXELL_E2E_SQLITE_PATH}`
	case "postgres":
		store = `
      driver: postgres
      postgres:
        dsn: ${env:WAXELL_E2E_POSTGRES_DSN}
        max_conns: 4`
	default:
		panic("unknown driver " + c.store.driver)
	}
	return fmt.Sprintf(`receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%d
      http:
        endpoint: 127.0.0.1:%d
processors:
  memory_limiter:
    check_interval: 1s
    limit_percentage: 80
    spike_limit_percentage: 20
  useragg:
exporters:
  waxell:
    store:%s
    api:
      endpoint: 127.0.0.1:%d
    sending_queue:
      num_consumers: 4
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
service:
  extensions: [health_check]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, useragg]
      exporters: [waxell]
`, ports[0], ports[1], store, ports[2], ports[3])
}

// waitReady polls the health check and the API until both answer 200.
func (c *collector) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	for _, u := range []string{c.healthURL, c.apiURL + "/api/v1/observability/users/"} {
		for {
			if c.exited() {
				return fmt.Errorf("the collector exited before it was ready: %v", c.waitErr)
			}
			status, _, err := c.getRaw(u)
			if err == nil && status == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the collector was not ready after %s: GET %s: status %d, error %v", readyTimeout, u, status, err)
			}
			time.Sleep(pollInterval)
		}
	}
	return nil
}

// stop sends SIGTERM and waits for the process to exit. A graceful
// shutdown exits with status 0.
func (c *collector) stop() error {
	c.stopped = true
	if c.exited() {
		return fmt.Errorf("the collector had already exited: %v", c.waitErr)
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-c.done:
		if c.waitErr != nil {
			return fmt.Errorf("the collector exited after SIGTERM with %v", c.waitErr)
		}
		return nil
	case <-time.After(stopTimeout):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("the collector did not exit within %s of SIGTERM; killed", stopTimeout)
	}
}

func (c *collector) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *collector) log() string {
	b, _ := os.ReadFile(c.logPath)
	return string(b)
}

func (c *collector) logTail(lines int) string {
	l := strings.Split(strings.TrimRight(c.log(), "\n"), "\n")
	if len(l) > lines {
		l = append([]string{fmt.Sprintf("... (%d lines omitted)", len(l)-lines)}, l[len(l)-lines:]...)
	}
	return strings.Join(l, "\n")
}

// getRaw GETs a URL and returns the status and body.
func (c *collector) getRaw(u string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// api GETs path (with query) from the REST API, expects status and
// returns the body.
func (c *collector) api(t *testing.T, path string, status int) []byte {
	t.Helper()
	code, body, err := c.getRaw(c.apiURL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if code != status {
		t.Fatalf("GET %s: status %d, want %d; body: %s", path, code, status, body)
	}
	return body
}

// waitFor polls path until match accepts the body or the deadline passes.
// It returns the last body.
func (c *collector) waitFor(t *testing.T, path string, timeout time.Duration, match func([]byte) bool) []byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		code, body, err := c.getRaw(c.apiURL + path)
		if err == nil && code == http.StatusOK && match(body) {
			return body
		}
		if c.exited() {
			t.Fatalf("the collector exited: %v", c.waitErr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: no matching answer within %s; last: status %d, error %v, body:\n%s", path, timeout, code, err, indentJSON(body))
		}
		time.Sleep(pollInterval)
	}
}

// waitForJSON polls path until its answer is the JSON document want (see
// assertJSON), apart from the object keys in ignore, or the deadline passes,
// then reports the first difference.
func (c *collector) waitForJSON(t *testing.T, path string, timeout time.Duration, want string, ignore ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		code, body, err := c.getRaw(c.apiURL + path)
		if err == nil && code == http.StatusOK {
			_, why, err := compareJSON(body, want, ignore...)
			if err != nil {
				why = err.Error()
			}
			if why == "" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: the expected answer did not come within %s: %s\ngot:\n%s\nwant:\n%s",
					path, timeout, why, indentJSON(body), indentJSON([]byte(want)))
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("GET %s: no answer within %s: status %d, error %v, body: %s", path, timeout, code, err, body)
		}
		if c.exited() {
			t.Fatalf("the collector exited: %v", c.waitErr)
		}
		time.Sleep(pollInterval)
	}
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// indentJSON pretty-prints a JSON document, or returns it as is.
func indentJSON(b []byte) string {
	var out bytes.Buffer
	if err := jsonIndent(&out, b); err != nil {
		return string(b)
	}
	return out.String()
}
