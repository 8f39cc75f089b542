package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/waxell/otelcol-waxell/internal/testutil/collectortest"
)

const (
	// builderModule is ocb, pinned to the collector version we build against.
	builderModule = "go.opentelemetry.io/collector/cmd/builder@v0.165.0"
	minimalConfig = "deploy/minimal/builder-config.yaml"
	minimalName   = "otelcol-waxell-minimal"

	dataTimeout = time.Minute
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

	if err := c.Stop(); err != nil {
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

	ctx, cancel := context.WithTimeout(t.Context(), collectortest.BuildTimeout)
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
	bin := filepath.Join(out, collectortest.ExeName(minimalName))
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("ocb did not produce %s: %v\n%s", bin, err, log.String())
	}
	return bin
}

// minimalCollector is a running minimal distribution.
type minimalCollector struct {
	*collectortest.Process
	otlpURL, apiURL string
}

// startMinimal starts the binary with the otlp receiver (HTTP), useragg and
// waxell (SQLite in a temporary directory) on free ports, and waits until
// the API and the receiver answer.
func startMinimal(t *testing.T, bin string) *minimalCollector {
	t.Helper()
	p, ports := collectortest.Launch(t, 2, func(ports []int) collectortest.Spec {
		otlp := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
		api := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
		return collectortest.Spec{
			Binary: bin,
			Config: minimalCollectorConfig(ports, filepath.Join(t.TempDir(), "data", "waxell.db")),
			// The exporter (and its API) starts before the receiver: wait
			// for both. Any HTTP answer from /v1/traces (405 to a GET)
			// means the receiver is up.
			Ready: []collectortest.Probe{{URL: api + "/api/v1/observability/users/"}, {URL: otlp + "/v1/traces", AnyStatus: true}},
		}
	})
	return &minimalCollector{
		Process: p,
		otlpURL: fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		apiURL:  fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
	}
}

func minimalCollectorConfig(ports []int, dbPath string) string {
	return fmt.Sprintf(`receivers:
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
`, ports[0], filepath.ToSlash(dbPath), ports[1])
}

func (c *minimalCollector) post(t *testing.T, path, body string) (int, []byte) {
	t.Helper()
	status, b, err := c.Do(t.Context(), http.MethodPost, c.otlpURL+path, []byte(body),
		map[string]string{"Content-Type": "application/json"})
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return status, b
}

func (c *minimalCollector) get(t *testing.T, path string) []byte {
	t.Helper()
	status, b, err := c.Get(c.apiURL + path)
	if err != nil || status != http.StatusOK {
		t.Fatalf("GET %s: status %d, %v: %s", path, status, err, b)
	}
	return b
}

// waitFor polls path until match accepts the answer.
func (c *minimalCollector) waitFor(t *testing.T, path string, match func([]byte) bool) {
	t.Helper()
	var (
		status int
		b      []byte
		err    error
	)
	ok := collectortest.Poll(dataTimeout, func() bool {
		status, b, err = c.Get(c.apiURL + path)
		return (err == nil && status == http.StatusOK && match(b)) || !c.Running()
	})
	if !c.Running() {
		t.Fatalf("the collector exited: %v", c.ExitErr())
	}
	if !ok {
		t.Fatalf("GET %s: no matching answer within %s; last: status %d, %v: %s", path, dataTimeout, status, err, b)
	}
}
