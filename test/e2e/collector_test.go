package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/waxell/otelcol-waxell/internal/testutil/collectortest"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// storeConfig is the store a collector writes to. Two collectors started
// one after the other with the same storeConfig see the same data.
type storeConfig struct {
	driver string // "sqlite" or "postgres"
	path   string // sqlite: database file
	dsn    string // postgres: DSN of a database of its own
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

// collector is one running otelcol-waxell process; the process harness
// (ports, start, stop, log) is internal/testutil/collectortest.
type collector struct {
	*collectortest.Process
	store storeConfig

	grpcAddr   string // OTLP gRPC host:port
	httpURL    string // OTLP HTTP base URL
	apiURL     string // REST API base URL
	httpClient *http.Client
}

// startCollector starts the collector on free ports with store st and waits
// until it is ready. It is stopped (SIGTERM) when the test ends, unless the
// test stopped it already.
func startCollector(t *testing.T, st storeConfig) *collector {
	t.Helper()
	c := &collector{store: st, httpClient: &http.Client{Timeout: 30 * time.Second}}
	p, ports := collectortest.Launch(t, 4, func(ports []int) collectortest.Spec {
		return collectortest.Spec{
			Binary: binary,
			Config: c.config(ports),
			Env: []string{
				"WAXELL_E2E_SQLITE_PATH=" + st.path,
				"WAXELL_E2E_POSTGRES_DSN=" + st.dsn,
			},
			Ready: []collectortest.Probe{
				{URL: fmt.Sprintf("http://127.0.0.1:%d/", ports[3])},
				{URL: fmt.Sprintf("http://127.0.0.1:%d/api/v1/observability/users/", ports[2])},
			},
			LogLines: 40,
		}
	})
	c.Process = p
	c.grpcAddr = fmt.Sprintf("127.0.0.1:%d", ports[0])
	c.httpURL = fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	c.apiURL = fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	return c
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

// api GETs path (with query) from the REST API, expects status and
// returns the body.
func (c *collector) api(t *testing.T, path string, status int) []byte {
	t.Helper()
	code, body, err := c.Get(c.apiURL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if code != status {
		t.Fatalf("GET %s: status %d, want %d; body: %s", path, code, status, body)
	}
	return body
}

// poll GETs path until accept takes a 200 answer (returns ""), and returns
// that body; it fails the test when the collector exits or timeout passes,
// with accept's last reason.
func (c *collector) poll(t *testing.T, path string, timeout time.Duration, accept func([]byte) string) []byte {
	t.Helper()
	var (
		body []byte
		why  string
	)
	collectortest.Poll(timeout, func() bool {
		code, b, err := c.Get(c.apiURL + path)
		body = b
		if err == nil && code == http.StatusOK {
			why = accept(b)
		} else {
			why = fmt.Sprintf("status %d, error %v", code, err)
		}
		return why == "" || !c.Running()
	})
	if why == "" {
		return body
	}
	if !c.Running() {
		t.Fatalf("the collector exited: %v", c.ExitErr())
	}
	t.Fatalf("GET %s: no matching answer within %s: %s\ngot:\n%s", path, timeout, why, indentJSON(body))
	return nil
}

// waitFor polls path until match accepts the body or the deadline passes.
// It returns the last body.
func (c *collector) waitFor(t *testing.T, path string, timeout time.Duration, match func([]byte) bool) []byte {
	t.Helper()
	return c.poll(t, path, timeout, func(b []byte) string {
		if match(b) {
			return ""
		}
		return "the answer does not match"
	})
}

// waitForJSON polls path until its answer is the JSON document want (see
// assertJSON), apart from the object keys in ignore, or the deadline passes,
// then reports the first difference.
func (c *collector) waitForJSON(t *testing.T, path string, timeout time.Duration, want string, ignore ...string) {
	t.Helper()
	c.poll(t, path, timeout, func(b []byte) string {
		_, why, err := compareJSON(b, want, ignore...)
		if err != nil {
			why = err.Error()
		}
		if why != "" {
			why += "\nwant:\n" + indentJSON([]byte(want))
		}
		return why
	})
}

// indentJSON pretty-prints a JSON document, or returns it as is.
func indentJSON(b []byte) string {
	var out bytes.Buffer
	if err := jsonIndent(&out, b); err != nil {
		return string(b)
	}
	return out.String()
}
