package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/waxell/otelcol-waxell/internal/testutil/collectortest"
)

// The process harness (build, ports, start, restart, kill, log) is
// internal/testutil/collectortest; this file adds the faults' configuration,
// the collector's own Prometheus metrics, OTLP senders and the data set.

const (
	readyTimeout = collectortest.ReadyTimeout
	dataTimeout  = 3 * time.Minute // until queued data shows in the API
	// envLog shows every collector's log, also when the test passes.
	envLog = "WAXELL_FAULTS_LOG"
)

// storeConfig is the store a collector writes to.
type storeConfig struct {
	driver string // "sqlite" or "postgres"
	path   string // sqlite: database file
	dsn    string // postgres: DSN of a database of its own
}

// options shape a collector's configuration. The YAML fragments are written
// without indentation; the harness indents them.
type options struct {
	store      storeConfig
	queue      string // under exporters.waxell.sending_queue
	retry      string // under exporters.waxell.retry_on_failure
	exporter   string // more exporters.waxell settings (timeout, retention)
	api        string // more exporters.waxell.api settings
	processor  string // under processors.useragg
	extensions string // more extensions (name: settings)
	extNames   []string
	grpcMaxMiB int    // receivers.otlp.protocols.grpc.max_recv_msg_size_mib (0: default)
	apiHost    string // the API's listen host (default 127.0.0.1; it is reached on 127.0.0.1)
	healthOnly bool   // ready when the health check answers (the API needs a token)
	maxConns   int    // postgres: the store's pool size (default 4)
}

// collector is one otelcol-waxell process, restartable on the same ports,
// configuration and data.
type collector struct {
	*collectortest.Process
	t    *testing.T
	opts options

	grpcAddr   string
	httpURL    string
	apiURL     string
	healthURL  string
	metricsURL string

	grpc *grpc.ClientConn
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.TrimSpace(l) != "" {
			b.WriteString(pad + l)
		}
		b.WriteString("\n")
	}
	return b.String()
}

const numPorts = 5 // OTLP gRPC, OTLP HTTP, API, health check, metrics

// spec is the process description of a collector with options o on ports.
func (o options) spec(ports []int) collectortest.Spec {
	api := fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	health := fmt.Sprintf("http://127.0.0.1:%d/", ports[3])
	ready := []collectortest.Probe{{URL: health}}
	if !o.healthOnly {
		ready = append(ready, collectortest.Probe{URL: api + "/api/v1/observability/users/"})
	}
	return collectortest.Spec{
		Binary:    binary,
		Config:    o.config(ports),
		Env:       []string{"WAXELL_FAULTS_POSTGRES_DSN=" + o.store.dsn},
		Ready:     ready,
		LogLines:  120,
		AlwaysLog: os.Getenv(envLog) != "",
	}
}

// newCollector prepares a collector on free ports without starting it.
func newCollector(t *testing.T, o options) *collector {
	t.Helper()
	p, ports := collectortest.Prepare(t, numPorts, o.spec)
	return wrap(t, o, p, ports)
}

// startCollector starts a collector and waits until it is ready.
func startCollector(t *testing.T, o options) *collector {
	t.Helper()
	p, ports := collectortest.Launch(t, numPorts, o.spec)
	return wrap(t, o, p, ports)
}

func wrap(t *testing.T, o options, p *collectortest.Process, ports []int) *collector {
	t.Helper()
	c := &collector{
		Process:    p,
		t:          t,
		opts:       o,
		grpcAddr:   fmt.Sprintf("127.0.0.1:%d", ports[0]),
		httpURL:    fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		apiURL:     fmt.Sprintf("http://127.0.0.1:%d", ports[2]),
		healthURL:  fmt.Sprintf("http://127.0.0.1:%d/", ports[3]),
		metricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[4]),
	}
	conn, err := grpc.NewClient(c.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	c.grpc = conn
	t.Cleanup(func() { _ = conn.Close() })
	return c
}

func (o options) config(ports []int) string {
	var store string
	switch o.store.driver {
	case "sqlite":
		store = "driver: sqlite\nsqlite:\n  path: " + o.store.path
	case "postgres":
		conns := o.maxConns
		if conns == 0 {
			conns = 4
		}
		store = fmt.Sprintf("driver: postgres\npostgres:\n  dsn: ${env:WAXELL_FAULTS_POSTGRES_DSN}\n  max_conns: %d", conns)
	default:
		panic("unknown driver " + o.store.driver)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:%d\n", ports[0])
	if o.grpcMaxMiB > 0 {
		fmt.Fprintf(&b, "        max_recv_msg_size_mib: %d\n", o.grpcMaxMiB)
	}
	fmt.Fprintf(&b, "      http:\n        endpoint: 127.0.0.1:%d\n", ports[1])
	b.WriteString("processors:\n  useragg:\n")
	if o.processor != "" {
		b.WriteString(indent(o.processor, 4))
	}
	b.WriteString("exporters:\n  waxell:\n    store:\n")
	b.WriteString(indent(store, 6))
	host := o.apiHost
	if host == "" {
		host = "127.0.0.1"
	}
	fmt.Fprintf(&b, "    api:\n      endpoint: %s:%d\n", host, ports[2])
	if o.api != "" {
		b.WriteString(indent(o.api, 6))
	}
	if o.queue != "" {
		b.WriteString("    sending_queue:\n" + indent(o.queue, 6))
	}
	if o.retry != "" {
		b.WriteString("    retry_on_failure:\n" + indent(o.retry, 6))
	}
	if o.exporter != "" {
		b.WriteString(indent(o.exporter, 4))
	}
	fmt.Fprintf(&b, "extensions:\n  health_check:\n    endpoint: 127.0.0.1:%d\n", ports[3])
	if o.extensions != "" {
		b.WriteString(indent(o.extensions, 2))
	}
	exts := append([]string{"health_check"}, o.extNames...)
	fmt.Fprintf(&b, `service:
  extensions: [%s]
  telemetry:
    metrics:
      level: detailed
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %d
  pipelines:
    traces:
      receivers: [otlp]
      processors: [useragg]
      exporters: [waxell]
`, strings.Join(exts, ", "), ports[4])
	return b.String()
}

// start starts (or restarts) the process and waits until it is ready.
func (c *collector) start() {
	c.t.Helper()
	if err := c.Start(); err != nil {
		c.t.Fatal(err)
	}
}

// kill sends SIGKILL: no shutdown, no queue drain, no store close.
func (c *collector) kill() {
	c.t.Helper()
	if err := c.Kill(); err != nil {
		c.t.Fatal(err)
	}
}

// waitLog waits until the log contains s.
func (c *collector) waitLog(t *testing.T, s string, timeout time.Duration) {
	t.Helper()
	if err := c.WaitLog(s, timeout); err != nil {
		t.Fatal(err)
	}
}

func (c *collector) request(method, u string, body []byte, hdr map[string]string) (int, []byte, error) {
	return c.Do(c.t.Context(), method, u, body, hdr)
}

// api GETs a path of the API and returns status and body.
func (c *collector) api(path string) (int, []byte) {
	code, body, err := c.Get(c.apiURL + path)
	if err != nil {
		return 0, []byte(err.Error())
	}
	return code, body
}

// metric sums the samples of a Prometheus metric of the collector's own
// telemetry whose labels contain every given `name="value"` pair.
func (c *collector) metric(name string, labels ...string) (float64, error) {
	code, body, err := c.Get(c.metricsURL)
	if err != nil || code != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %d %v", c.metricsURL, code, err)
	}
	var sum float64
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
next:
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		series, value := line[:sp], line[sp+1:]
		n, lbl, _ := strings.Cut(series, "{")
		if n != name && n != name+"_total" {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(lbl, l) {
				continue next
			}
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, sc.Err()
}

// waitMetric waits until a metric (see metric) satisfies ok.
func (c *collector) waitMetric(t *testing.T, what string, timeout time.Duration, ok func(float64) bool, name string, labels ...string) float64 {
	t.Helper()
	var v float64
	var err error
	if !collectortest.Poll(timeout, func() bool {
		v, err = c.metric(name, labels...)
		return err == nil && ok(v)
	}) {
		t.Fatalf("%s: metric %s%v = %v (error %v) after %s", what, name, labels, v, err, timeout)
	}
	return v
}

// ---- OTLP ----

// sendHTTP POSTs td as OTLP/HTTP protobuf and returns the status code (0 and
// an error when no answer came).
func (c *collector) sendHTTP(td ptrace.Traces) (int, error) {
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		return 0, err
	}
	code, resp, err := c.request(http.MethodPost, c.httpURL+"/v1/traces", body,
		map[string]string{"Content-Type": "application/x-protobuf"})
	if err != nil {
		return 0, err
	}
	if code == http.StatusOK {
		r := ptraceotlp.NewExportResponse()
		if err := r.UnmarshalProto(resp); err != nil {
			return code, fmt.Errorf("cannot decode the answer: %w", err)
		}
		if ps := r.PartialSuccess(); ps.RejectedSpans() != 0 {
			return code, fmt.Errorf("%d spans rejected: %s", ps.RejectedSpans(), ps.ErrorMessage())
		}
	}
	return code, nil
}

// sendGRPC exports td over OTLP/gRPC and returns the status code.
func (c *collector) sendGRPC(td ptrace.Traces) codes.Code {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := ptraceotlp.NewGRPCClient(c.grpc).Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
	if err != nil {
		return status.Code(err)
	}
	if resp.PartialSuccess().RejectedSpans() != 0 {
		return codes.DataLoss
	}
	return codes.OK
}

// send sends trace n and reports whether the collector acknowledged it.
func (c *collector) send(n int) bool { return c.sendTraces(n, traceOf(n)) }

// sendTraces sends td over HTTP (even i) or gRPC (odd i) and reports
// whether the collector acknowledged it.
func (c *collector) sendTraces(i int, td ptrace.Traces) bool {
	if i%2 == 0 {
		code, err := c.sendHTTP(td)
		return err == nil && code == http.StatusOK
	}
	return c.sendGRPC(td) == codes.OK
}

// ---- the data set: trace n is one agent run of user n%5 with one LLM call ----

var dataStart = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

func userOf(n int) string           { return fmt.Sprintf("fault-user-%d", n%5) }
func tokensOf(n int) (int64, int64) { return int64(100 + n%7), int64(10 + n%3) }
func costMicrosOf(n int) int64      { return int64(n%10 + 1) }

func traceIDOf(n int) pcommon.TraceID {
	var id pcommon.TraceID
	id[0] = 0xfa
	for i := 0; i < 8; i++ {
		id[15-i] = byte(uint64(n) >> (8 * i))
	}
	return id
}

// traceOf builds trace n as an OTel GenAI instrumentation emits it.
func traceOf(n int) ptrace.Traces { return traceFor(n, userOf(n), "fault-agent") }

// traceFor builds trace n for a given user and agent.
func traceFor(n int, user, agentName string) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "faults")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	start := dataStart.Add(time.Duration(n) * time.Second)
	tid := traceIDOf(n)

	agent := spans.AppendEmpty()
	agent.SetTraceID(tid)
	agent.SetSpanID(pcommon.SpanID{7: 1})
	agent.SetName("invoke_agent " + agentName)
	agent.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	agent.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(2 * time.Second)))
	a := agent.Attributes()
	a.PutStr("gen_ai.operation.name", "invoke_agent")
	a.PutStr("gen_ai.agent.name", agentName)
	a.PutStr("user.id", user)
	a.PutStr("session.id", fmt.Sprintf("fault-session-%d", n%3))

	llm := spans.AppendEmpty()
	llm.SetTraceID(tid)
	llm.SetSpanID(pcommon.SpanID{7: 2})
	llm.SetParentSpanID(pcommon.SpanID{7: 1})
	llm.SetName("chat gpt-4o")
	llm.SetStartTimestamp(pcommon.NewTimestampFromTime(start.Add(10 * time.Millisecond)))
	llm.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Second)))
	in, out := tokensOf(n)
	l := llm.Attributes()
	l.PutStr("gen_ai.operation.name", "chat")
	l.PutStr("gen_ai.provider.name", "openai")
	l.PutStr("gen_ai.request.model", "gpt-4o")
	l.PutInt("gen_ai.usage.input_tokens", in)
	l.PutInt("gen_ai.usage.output_tokens", out)
	l.PutDouble("gen_ai.usage.cost", float64(costMicrosOf(n))/1e6)
	return td
}

// totals is one user's lifetime aggregates as the API serves them.
type totals struct {
	Runs       int64
	Tokens     int64
	CostMicros int64
}

// expected sums the data set's traces per user.
func expected(ns []int) map[string]totals {
	out := map[string]totals{}
	for _, n := range ns {
		in, o := tokensOf(n)
		t := out[userOf(n)]
		t.Runs++
		t.Tokens += in + o
		t.CostMicros += costMicrosOf(n)
		out[userOf(n)] = t
	}
	return out
}

// currentTotals reads every user's aggregates from the API.
func (c *collector) currentTotals() (map[string]totals, error) {
	code, body := c.api("/api/v1/observability/users/?limit=100&sort=user_id")
	if code == http.StatusBadRequest {
		code, body = c.api("/api/v1/observability/users/?limit=100")
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("users list: status %d: %s", code, body)
	}
	var page collectortest.UsersPage
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, err
	}
	out := map[string]totals{}
	for _, r := range page.Results {
		f, err := r.TotalCost.Float64()
		if err != nil {
			return nil, err
		}
		out[r.UserID] = totals{Runs: r.RunCount, Tokens: r.TotalTokens, CostMicros: int64(math.Round(f * 1e6))}
	}
	return out, nil
}

func formatTotals(m map[string]totals) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s: %+v\n", k, m[k])
	}
	return b.String()
}

func equalTotals(a, b map[string]totals) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// waitTotals polls the API until every user's aggregates equal want
// exactly, then checks that the store verifies.
func (c *collector) waitTotals(t *testing.T, want map[string]totals, timeout time.Duration) {
	t.Helper()
	var got map[string]totals
	var err error
	if !collectortest.Poll(timeout, func() bool {
		got, err = c.currentTotals()
		return err == nil && equalTotals(got, want)
	}) {
		t.Fatalf("totals not exact after %s (error %v)\ngot:\n%swant:\n%s", timeout, err, formatTotals(got), formatTotals(want))
	}
	c.verify(t)
}

// verify requires GET /api/v1/admin/verify to report no difference.
func (c *collector) verify(t *testing.T) {
	t.Helper()
	code, body := c.api("/api/v1/admin/verify")
	if code != http.StatusOK {
		t.Fatalf("verify: status %d: %s", code, body)
	}
	var v struct {
		OK          bool     `json:"ok"`
		Differences []string `json:"differences"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	if !v.OK || len(v.Differences) > 0 {
		t.Fatalf("verify found differences: %v", v.Differences)
	}
}

// ackSet is the set of traces the collector acknowledged.
type ackSet struct {
	mu  sync.Mutex
	ids []int
}

func (a *ackSet) add(n int) {
	a.mu.Lock()
	a.ids = append(a.ids, n)
	a.mu.Unlock()
}

func (a *ackSet) list() []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]int(nil), a.ids...)
}

func (a *ackSet) len() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.ids)
}

// errStop ends a sender loop.
var errStop = errors.New("stop")
