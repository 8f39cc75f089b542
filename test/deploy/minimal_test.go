package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const (
	// builderModule is ocb, pinned to the collector version we build against.
	builderModule = "go.opentelemetry.io/collector/cmd/builder@v0.165.0"
	minimalConfig = "deploy/minimal/builder-config.yaml"
	minimalName   = "otelcol-waxell-minimal"

	readyTimeout = time.Minute
	dataTimeout  = time.Minute
	stopTimeout  = time.Minute
	pollInterval = 20 * time.Millisecond
)

// TestMinimalManifest checks deploy/minimal/builder-config.yaml without
// building it: only the otlp receiver, our processor and exporter and the
// env/file/yaml providers, at the versions builder-config.yaml uses.
func TestMinimalManifest(t *testing.T) {
	t.Parallel()
	minimal := readManifest(t, minimalConfig)
	full := manifestEntries(t, readManifest(t, "builder-config.yaml"))
	got := manifestEntries(t, minimal)
	want := []string{
		"go.opentelemetry.io/collector/receiver/otlpreceiver",
		ourModule + "/processor/useraggprocessor",
		ourModule + "/exporter/waxellexporter",
		"go.opentelemetry.io/collector/confmap/provider/envprovider",
		"go.opentelemetry.io/collector/confmap/provider/fileprovider",
		"go.opentelemetry.io/collector/confmap/provider/yamlprovider",
	}
	for imp, gomod := range got {
		if !slices.Contains(want, imp) {
			t.Errorf("%s lists %s: the minimal distribution has only %v", minimalConfig, imp, want)
		}
		if full[imp] != gomod {
			t.Errorf("%s: %s is %q, builder-config.yaml has %q: keep them in step", minimalConfig, imp, gomod, full[imp])
		}
	}
	for _, imp := range want {
		if _, ok := got[imp]; !ok {
			t.Errorf("%s does not list %s", minimalConfig, imp)
		}
	}
	dist, _ := minimal["dist"].(map[string]any)
	outputPath, _ := dist["output_path"].(string)
	if dist["name"] != minimalName || outputPath != "./deploy/minimal/_build" {
		t.Errorf("%s: dist name %v output_path %v, want %s and ./deploy/minimal/_build", minimalConfig, dist["name"], outputPath, minimalName)
	}
	// ocb runs from the repository root; replaces paths are relative to
	// output_path and must lead back to the root module.
	replaces := anyStrings(minimal["replaces"])
	if len(replaces) != 1 {
		t.Fatalf("%s: replaces %v, want the one line for %s", minimalConfig, replaces, ourModule)
	}
	from, to, _ := strings.Cut(replaces[0], " => ")
	if from != ourModule+" v0.0.0" || filepath.Clean(filepath.Join(repoRoot, outputPath, to)) != repoRoot {
		t.Errorf("%s: replaces %q does not map %s v0.0.0 to the repository root from %s", minimalConfig, replaces[0], ourModule, outputPath)
	}
	if b, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "minimal", ".gitignore")); err != nil || !strings.Contains(string(b), "_build/") {
		t.Errorf("deploy/minimal/.gitignore must ignore _build/ (ocb's output)")
	}
}

// TestMinimalDistribution builds deploy/minimal/builder-config.yaml with
// ocb, as a user adding our components to their own distribution would, and
// runs it end to end: an OTLP/HTTP JSON trace in, the user's tokens and cost
// out of the REST API.
func TestMinimalDistribution(t *testing.T) {
	t.Parallel()
	bin := buildMinimal(t)

	// Only the components of the manifest are in the binary.
	comps := buildComponents(t, bin)
	for kind, want := range map[string][]string{
		"receivers":  {"otlp"},
		"processors": {"useragg"},
		"exporters":  {"waxell"},
		"extensions": nil,
		"connectors": nil,
	} {
		if got := comps[kind]; !slices.Equal(got, want) {
			t.Errorf("%s components: %s %v, want %v", bin, kind, got, want)
		}
	}

	c := startMinimal(t, bin)
	body := fmt.Sprintf(traceJSON, 1768471200000000000, 1768471203500000000, 1768471200500000000, 1768471203000000000)
	status, resp := c.post(t, "/v1/traces", body)
	if status != http.StatusOK {
		t.Fatalf("POST /v1/traces: status %d: %s", status, resp)
	}

	// 1000 input and 500 output tokens of gpt-4o at $2.50 and $10.00 per
	// million: 0.0025 + 0.005 = $0.0075.
	var page struct {
		Results []struct {
			UserID      string   `json:"user_id"`
			RunCount    int      `json:"run_count"`
			TotalTokens int      `json:"total_tokens"`
			TotalCost   float64  `json:"total_cost"`
			Agents      []string `json:"agents"`
			FirstSeen   string   `json:"first_seen"`
		} `json:"results"`
		Count int `json:"count"`
	}
	c.waitFor(t, "/api/v1/observability/users/", func(b []byte) bool {
		return json.Unmarshal(b, &page) == nil && page.Count > 0
	})
	if page.Count != 1 || len(page.Results) != 1 {
		t.Fatalf("users: count %d, results %+v; want the one user", page.Count, page.Results)
	}
	u := page.Results[0]
	if u.UserID != "user-minimal" || u.RunCount != 1 || u.TotalTokens != 1500 || u.TotalCost != 0.0075 ||
		!slices.Equal(u.Agents, []string{"minimal-agent"}) || u.FirstSeen != "2026-01-15T10:00:00Z" {
		t.Errorf("users: %+v\nwant user-minimal, 1 run, 1500 tokens, $0.0075, agent minimal-agent, first seen 2026-01-15T10:00:00Z", u)
	}

	var detail struct {
		CostByModel []struct {
			Model       string  `json:"model"`
			TotalCost   float64 `json:"total_cost"`
			TotalTokens int     `json:"total_tokens"`
			CallCount   int     `json:"call_count"`
			Unpriced    bool    `json:"unpriced"`
		} `json:"cost_by_model"`
		Runs []struct {
			SessionID *string `json:"session_id"`
			Status    string  `json:"status"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(c.get(t, "/api/v1/observability/users/user-minimal/"), &detail); err != nil {
		t.Fatal(err)
	}
	if len(detail.CostByModel) != 1 || detail.CostByModel[0].Model != "gpt-4o" || detail.CostByModel[0].CallCount != 1 ||
		detail.CostByModel[0].TotalTokens != 1500 || detail.CostByModel[0].TotalCost != 0.0075 || detail.CostByModel[0].Unpriced {
		t.Errorf("cost_by_model %+v, want one gpt-4o call, 1500 tokens, $0.0075", detail.CostByModel)
	}
	if len(detail.Runs) != 1 || detail.Runs[0].SessionID == nil || *detail.Runs[0].SessionID != "session-minimal" || detail.Runs[0].Status != "success" {
		t.Errorf("runs %+v, want one successful run in session-minimal", detail.Runs)
	}

	if err := c.stop(); err != nil {
		t.Errorf("stopping the collector: %v", err)
	}
}

// traceJSON is an OTLP/HTTP JSON export request, as an SDK sends it: an
// invoke_agent span carrying the end user and session (OpenTelemetry GenAI
// conventions plus user.id / session.id) and a chat child with usage.
// Arguments: agent start and end, chat start and end (Unix nanoseconds).
const traceJSON = `{
  "resourceSpans": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "minimal-app"}}]},
    "scopeSpans": [{
      "scope": {"name": "minimal-test"},
      "spans": [
        {
          "traceId": "5b8efff798038103d269b633813fc60c",
          "spanId": "eee19b7ec3c1b174",
          "name": "invoke_agent minimal-agent",
          "kind": 1,
          "startTimeUnixNano": "%d",
          "endTimeUnixNano": "%d",
          "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "invoke_agent"}},
            {"key": "gen_ai.agent.name", "value": {"stringValue": "minimal-agent"}},
            {"key": "user.id", "value": {"stringValue": "user-minimal"}},
            {"key": "session.id", "value": {"stringValue": "session-minimal"}}
          ]
        },
        {
          "traceId": "5b8efff798038103d269b633813fc60c",
          "spanId": "eee19b7ec3c1b175",
          "parentSpanId": "eee19b7ec3c1b174",
          "name": "chat gpt-4o",
          "kind": 3,
          "startTimeUnixNano": "%d",
          "endTimeUnixNano": "%d",
          "attributes": [
            {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
            {"key": "gen_ai.provider.name", "value": {"stringValue": "openai"}},
            {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
            {"key": "gen_ai.response.model", "value": {"stringValue": "gpt-4o"}},
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "1000"}},
            {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "500"}}
          ]
        }
      ]
    }]
  }]
}`

// buildMinimal runs ocb on deploy/minimal/builder-config.yaml and returns
// the binary. It builds a copy of the manifest whose output_path is a
// temporary directory (and whose replaces path is adjusted to it), so that
// concurrent test runs do not share deploy/minimal/_build; everything else
// is the manifest as committed, and TestMinimalManifest checks that its own
// output_path and replaces resolve to this repository.
func buildMinimal(t *testing.T) string {
	t.Helper()
	m := readManifest(t, minimalConfig)
	out := filepath.Join(tmpRoot, "minimal")
	dist := m["dist"].(map[string]any)
	dist["output_path"] = filepath.ToSlash(out)
	m["replaces"] = []any{ourModule + " v0.0.0 => " + filepath.ToSlash(repoRoot)}
	b, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(tmpRoot, "minimal-builder-config.yaml")
	if err := os.WriteFile(manifest, b, 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "run", builderModule, "--config", manifest)
	cmd.Dir = repoRoot
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		t.Fatalf("ocb --config %s (a copy of %s): %v\n%s", manifest, minimalConfig, err, log.String())
	}
	t.Logf("ocb built %s in %s", minimalConfig, time.Since(start).Round(time.Second))
	bin := filepath.Join(out, exeName(minimalName))
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("ocb did not produce %s: %v\n%s", bin, err, log.String())
	}
	return bin
}

// minimalCollector is a running minimal distribution.
type minimalCollector struct {
	otlpURL, apiURL string
	cmd             *exec.Cmd
	done            chan struct{}
	waitErr         error
	logPath         string
	client          *http.Client
}

// startMinimal starts the binary with the otlp receiver (HTTP), useragg and
// waxell (SQLite in a temporary directory) on free ports, and waits until
// the API answers.
func startMinimal(t *testing.T, bin string) *minimalCollector {
	t.Helper()
	var lastErr error
	for range 3 { // a free port may be taken between probing and binding
		c, err := tryStartMinimal(t, bin)
		if err == nil {
			return c
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("cannot start %s: %v", bin, lastErr)
	return nil
}

func tryStartMinimal(t *testing.T, bin string) (*minimalCollector, error) {
	dir := t.TempDir()
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	config := fmt.Sprintf(`receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
processors:
  useragg:
exporters:
  waxell:
    store:
      driver: sqlite
      sqlite:
        path: %s
    api:
      endpoint: 127.0.0.1:%d
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      processors: [useragg]
      exporters: [waxell]
`, ports[0], filepath.ToSlash(filepath.Join(dir, "data", "waxell.db")), ports[1])
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		return nil, err
	}
	c := &minimalCollector{
		otlpURL: fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		apiURL:  fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		done:    make(chan struct{}),
		logPath: filepath.Join(dir, "collector.log"),
		client:  &http.Client{Timeout: 30 * time.Second},
	}
	logFile, err := os.Create(c.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	c.cmd = exec.Command(bin, "--config", cfgPath)
	c.cmd.Dir = dir
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		if !c.exited() {
			_ = c.cmd.Process.Kill()
			<-c.done
		}
		if t.Failed() {
			b, _ := os.ReadFile(c.logPath)
			t.Logf("collector log:\n%s", b)
		}
	})

	// The exporter (and its API) starts before the receiver: wait for both.
	// Any HTTP answer from /v1/traces (405 to a GET) means the receiver is up.
	deadline := time.Now().Add(readyTimeout)
	for _, path := range []string{"/api/v1/observability/users/", "/v1/traces"} {
		for {
			if c.exited() {
				b, _ := os.ReadFile(c.logPath)
				return nil, fmt.Errorf("exited before it was ready (%v):\n%s", c.waitErr, b)
			}
			status, _, err := c.do(http.MethodGet, path, "")
			if err == nil && (status == http.StatusOK || path == "/v1/traces") {
				break
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("GET %s: not ready after %s: status %d, %v", path, readyTimeout, status, err)
			}
			time.Sleep(pollInterval)
		}
	}
	return c, nil
}

func (c *minimalCollector) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *minimalCollector) do(method, path, body string) (int, []byte, error) {
	base := c.apiURL
	if path == "/v1/traces" {
		base = c.otlpURL
	}
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (c *minimalCollector) post(t *testing.T, path, body string) (int, []byte) {
	t.Helper()
	status, b, err := c.do(http.MethodPost, path, body)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return status, b
}

func (c *minimalCollector) get(t *testing.T, path string) []byte {
	t.Helper()
	status, b, err := c.do(http.MethodGet, path, "")
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET %s: status %d, %v: %s", path, status, err, b)
	}
	return b
}

// waitFor polls path until match accepts the answer.
func (c *minimalCollector) waitFor(t *testing.T, path string, match func([]byte) bool) {
	t.Helper()
	deadline := time.Now().Add(dataTimeout)
	for {
		status, b, err := c.do(http.MethodGet, path, "")
		if err == nil && status == http.StatusOK && match(b) {
			return
		}
		if c.exited() {
			t.Fatalf("the collector exited: %v", c.waitErr)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: no matching answer within %s; last: status %d, %v: %s", path, dataTimeout, status, err, b)
		}
		time.Sleep(pollInterval)
	}
}

// stop sends SIGTERM and expects a clean exit.
func (c *minimalCollector) stop() error {
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-c.done:
		return c.waitErr
	case <-time.After(stopTimeout):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("no exit within %s of SIGTERM", stopTimeout)
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
