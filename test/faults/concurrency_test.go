package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/testutil/collectortest"
)

// envSeed replays the random split of TestTwoWritersPostgres.
const envSeed = "WAXELL_FAULTS_SEED"

// The multi-writer data set: trace n is one run of user n%mwUsers by agent
// n%3 in session n%13 (so every session has runs of every user) with 1 to 3
// LLM calls, every call reporting its cost, so that the ground truth is
// plain arithmetic.
const (
	mwTraces = 1000
	mwUsers  = 9
)

func mwUser(n int) string { return fmt.Sprintf("mw-user-%d", n%mwUsers) }
func mwCalls(n int) int   { return 1 + n%3 }

func mwTokens(n, call int) (in, out int64) { return int64(50 + (n*7+call)%90), int64(5 + (n+call)%20) }
func mwCostMicros(n, call int) int64       { return int64(1 + (n*3+call)%40) }

// mwTrace builds trace n: an invoke_agent span carrying the user and
// session (every eleventh run failed), and its LLM calls of alternating
// models, each with its own usage and cost.
func mwTrace(n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "faults-multiwriter")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	start := dataStart.Add(time.Duration(n) * 7 * time.Second)
	var tid pcommon.TraceID
	tid[0] = 0xcc
	for i := range 8 {
		tid[15-i] = byte(uint64(n) >> (8 * i))
	}
	agentName := fmt.Sprintf("mw-agent-%d", n%3)
	agent := spans.AppendEmpty()
	agent.SetTraceID(tid)
	agent.SetSpanID(pcommon.SpanID{7: 1})
	agent.SetName("invoke_agent " + agentName)
	agent.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	agent.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(5 * time.Second)))
	if n%11 == 0 {
		agent.Status().SetCode(ptrace.StatusCodeError)
	}
	a := agent.Attributes()
	a.PutStr("gen_ai.operation.name", "invoke_agent")
	a.PutStr("gen_ai.agent.name", agentName)
	a.PutStr("user.id", mwUser(n))
	a.PutStr("session.id", fmt.Sprintf("mw-session-%d", n%13))
	for call := range mwCalls(n) {
		llm := spans.AppendEmpty()
		llm.SetTraceID(tid)
		llm.SetSpanID(pcommon.SpanID{7: byte(2 + call)})
		llm.SetParentSpanID(pcommon.SpanID{7: 1})
		model := []string{"gpt-4o", "gpt-4o-mini"}[(n+call)%2]
		llm.SetName("chat " + model)
		cs := start.Add(time.Duration(100+call*1000) * time.Millisecond)
		llm.SetStartTimestamp(pcommon.NewTimestampFromTime(cs))
		llm.SetEndTimestamp(pcommon.NewTimestampFromTime(cs.Add(800 * time.Millisecond)))
		in, out := mwTokens(n, call)
		l := llm.Attributes()
		l.PutStr("gen_ai.operation.name", "chat")
		l.PutStr("gen_ai.provider.name", "openai")
		l.PutStr("gen_ai.request.model", model)
		l.PutInt("gen_ai.usage.input_tokens", in)
		l.PutInt("gen_ai.usage.output_tokens", out)
		l.PutDouble("gen_ai.usage.cost", float64(mwCostMicros(n, call))/1e6)
	}
	return td
}

// mwExpected is the ground truth of traces 0..n-1.
func mwExpected(n int) map[string]totals {
	out := map[string]totals{}
	for i := range n {
		t := out[mwUser(i)]
		t.Runs++
		for call := range mwCalls(i) {
			in, o := mwTokens(i, call)
			t.Tokens += in + o
			t.CostMicros += mwCostMicros(i, call)
		}
		out[mwUser(i)] = t
	}
	return out
}

// spanList flattens td's spans (one resource and scope per trace here).
func spanList(td ptrace.Traces) []ptrace.Span {
	var out []ptrace.Span
	for i := range td.ResourceSpans().Len() {
		ss := td.ResourceSpans().At(i).ScopeSpans()
		for j := range ss.Len() {
			for k := range ss.At(j).Spans().Len() {
				out = append(out, ss.At(j).Spans().At(k))
			}
		}
	}
	return out
}

// batchOf packs spans into one export request.
func batchOf(spans []ptrace.Span) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "faults-multiwriter")
	dst := rs.ScopeSpans().AppendEmpty().Spans()
	for _, s := range spans {
		s.CopyTo(dst.AppendEmpty())
	}
	return td
}

// chunk cuts spans into batches of size.
func chunk(spans []ptrace.Span, size int) []ptrace.Traces {
	var out []ptrace.Traces
	for len(spans) > 0 {
		n := min(size, len(spans))
		out = append(out, batchOf(spans[:n]))
		spans = spans[n:]
	}
	return out
}

// splitTraffic deals every trace's spans to two collectors: each span goes
// to one of them at random, and one in ten to both (a re-delivery). The
// agent span and the first call always go to different collectors, so that
// every trace is split. The first collector gets its batches in trace
// order, the second in reverse order, so that both write the same users in
// opposite orders at the same time (what deadlocks without a lock order).
func splitTraffic(rng *rand.Rand) (first, second []ptrace.Span) {
	for n := range mwTraces {
		spans := spanList(mwTrace(n))
		agentFirst := rng.IntN(2) == 0
		for i, s := range spans {
			toFirst := rng.IntN(2) == 0
			switch i {
			case 0:
				toFirst = agentFirst
			case 1:
				toFirst = !agentFirst
			}
			both := rng.IntN(10) == 0
			if toFirst || both {
				first = append(first, s)
			}
			if !toFirst || both {
				second = append(second, s)
			}
		}
	}
	slices.Reverse(second)
	return first, second
}

func testSeed(t *testing.T) uint64 {
	t.Helper()
	if s := os.Getenv(envSeed); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", envSeed, s, err)
		}
		return v
	}
	return rand.Uint64()
}

// sendAll sends batches from workers goroutines, each batch resent until
// acknowledged (as OTLP exporters retry), over HTTP and gRPC alternately,
// and returns when it started and ended.
func sendAll(t *testing.T, c *collector, batches []ptrace.Traces, workers int) (start, end time.Time) {
	t.Helper()
	start = time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if !collectortest.Poll(dataTimeout, func() bool { return c.sendTraces(i, batches[i]) }) {
					errs <- fmt.Errorf("batch %d not acknowledged after %s", i, dataTimeout)
					return
				}
			}
		}()
	}
	for i := range batches {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	return start, time.Now()
}

// TestTwoWritersPostgres: two collector processes on one PostgreSQL
// database receive interleaved halves of the same traffic at the same time
// (overlapping users, every trace split between them, some spans sent to
// both); a third collector on a database of its own receives all of it,
// whole traces in order. Afterwards the shared database holds exactly the
// ground truth, every list and detail answer of both writers is byte-equal
// to the single writer's (run ids aside), verify is clean on both databases
// and neither writer logged a deadlock.
func TestTwoWritersPostgres(t *testing.T) {
	seed := testSeed(t)
	t.Logf("seed %d (replay: %s=%d go test -run '^TestTwoWritersPostgres$' ./test/faults/)", seed, envSeed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))

	shared := postgresStore(t)
	o := options{store: shared, queue: bigQueue, retry: retryFast}
	w1 := startCollector(t, o)
	w2 := startCollector(t, o)
	single := startCollector(t, options{store: postgresStore(t), queue: bigQueue, retry: retryFast})

	first, second := splitTraffic(rng)
	var all []ptrace.Span
	for n := range mwTraces {
		all = append(all, spanList(mwTrace(n))...)
	}
	t.Logf("%d spans: %d to the first writer, %d to the second (%d sent to both)",
		len(all), len(first), len(second), len(first)+len(second)-len(all))

	var wg sync.WaitGroup
	var windows [3][2]time.Time
	for i, job := range []struct {
		c     *collector
		spans []ptrace.Span
		size  int
	}{{w1, first, 24}, {w2, second, 17}, {single, all, 30}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			windows[i][0], windows[i][1] = sendAll(t, job.c, chunk(job.spans, job.size), 3)
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if !windows[0][0].Before(windows[1][1]) || !windows[1][0].Before(windows[0][1]) {
		t.Fatalf("the writers did not receive at the same time: %v and %v", windows[0], windows[1])
	}
	t.Logf("sending took %s and %s", windows[0][1].Sub(windows[0][0]).Round(time.Millisecond), windows[1][1].Sub(windows[1][0]).Round(time.Millisecond))

	want := mwExpected(mwTraces)
	w1.waitTotals(t, want, dataTimeout)
	single.waitTotals(t, want, dataTimeout)
	for _, c := range []*collector{w1, w2, single} {
		c.waitMetric(t, "queue drained", dataTimeout, func(v float64) bool { return v == 0 }, "otelcol_exporter_queue_size")
	}
	w2.verify(t)

	ref := single.view(t)
	t.Logf("comparing %d API answers of each writer with the single writer's", len(ref))
	for i, c := range []*collector{w1, w2} {
		if d := c.view(t).diff(ref); len(d) > 0 {
			t.Errorf("writer %d differs from the single writer:\n%s", i+1, strings.Join(d, "\n"))
		}
	}
	// Each distinct span is new to exactly one of the writers.
	var appliedSum float64
	for i, c := range []*collector{w1, w2} {
		if log := strings.ToLower(c.Log()); strings.Contains(log, "deadlock") {
			t.Errorf("writer %d logged a deadlock", i+1)
		}
		retried, _ := c.metric("waxell_batches_failed", `permanent="false"`)
		applied, _ := c.metric("waxell_spans_applied")
		appliedSum += applied
		t.Logf("writer %d: %.0f spans applied, %.0f failed attempts retried", i+1, applied, retried)
		if v, _ := c.metric("waxell_batches_failed", `permanent="true"`); v != 0 {
			t.Errorf("writer %d dropped %v batches as permanent failures", i+1, v)
		}
	}
	if int(appliedSum) != len(all) {
		t.Errorf("the writers applied %.0f spans in all, want each of the %d distinct spans once", appliedSum, len(all))
	}
}

// apiView is the read API's answers as raw JSON: the users list in every
// order and in a window, every user's detail, runs and hourly timeseries,
// the sessions list and every session, the overview (lifetime and
// windowed). Run ids are zeroed: they are assigned in arrival order and
// legitimately differ between databases.
type apiView map[string][]byte

var runIDField = regexp.MustCompile(`"(id|run_id)":[0-9]+`)

// getOK GETs an API path that must answer 200.
func (c *collector) getOK(t *testing.T, path string) []byte {
	t.Helper()
	code, body := c.api(path)
	if code != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, code, body)
	}
	return body
}

// mustAPI is getOK with run ids zeroed.
func (c *collector) mustAPI(t *testing.T, path string) []byte {
	t.Helper()
	return runIDField.ReplaceAll(c.getOK(t, path), []byte(`"$1":0`))
}

func (c *collector) view(t *testing.T) apiView {
	t.Helper()
	v := apiView{}
	var first string
	for _, f := range store.UserSortFields {
		for _, s := range []string{f, "-" + f} {
			p := "/api/v1/observability/users/?limit=100&sort=" + s
			v[p] = c.mustAPI(t, p)
			if first == "" {
				first = p
			}
		}
	}
	var users struct {
		Results []struct {
			UserID string `json:"user_id"`
		} `json:"results"`
	}
	if err := json.Unmarshal(v[first], &users); err != nil {
		t.Fatal(err)
	}
	if len(users.Results) != mwUsers {
		t.Fatalf("%d users listed, want %d", len(users.Results), mwUsers)
	}
	// A window inside the data set's two hours: hour rollups, not lifetime.
	const window = "start=2026-10-01T00:30:00Z&end=2026-10-01T01:30:00Z"
	for _, p := range []string{
		"/api/v1/observability/users/?limit=100&sort=-total_cost&" + window,
		"/api/v1/observability/overview/?" + window,
	} {
		v[p] = c.mustAPI(t, p)
	}
	for _, u := range users.Results {
		p := "/api/v1/observability/users/" + url.PathEscape(u.UserID) + "/"
		detail := c.getOK(t, p)
		v[p] = runIDField.ReplaceAll(detail, []byte(`"$1":0`))
		var runs struct {
			Runs []struct {
				ID int64 `json:"id"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(detail, &runs); err != nil {
			t.Fatal(err)
		}
		// Run ids differ between databases: a run is named by its place in
		// its user's detail.
		for i, r := range runs.Runs {
			v[fmt.Sprintf("%s run #%d", p, i)] = c.mustAPI(t, fmt.Sprintf("/api/v1/observability/runs/%d/", r.ID))
		}
		p = "/api/v1/observability/users/" + url.PathEscape(u.UserID) + "/timeseries/?" + window
		v[p] = c.mustAPI(t, p)
		p = "/api/v1/observability/sessions/?limit=100&user_id=" + url.QueryEscape(u.UserID)
		v[p] = c.mustAPI(t, p)
		var sessions struct {
			Results []struct {
				SessionID string `json:"session_id"`
			} `json:"results"`
		}
		if err := json.Unmarshal(v[p], &sessions); err != nil {
			t.Fatal(err)
		}
		for _, s := range sessions.Results {
			p := "/api/v1/observability/sessions/" + url.PathEscape(s.SessionID) + "/"
			v[p] = c.mustAPI(t, p)
		}
	}
	v["/api/v1/observability/overview/"] = c.mustAPI(t, "/api/v1/observability/overview/")
	return v
}

// diff names every answer that differs from want's, with both bodies
// around the first difference.
func (v apiView) diff(want apiView) []string {
	var out []string
	for _, p := range sortedKeys(want) {
		got, ok := v[p]
		if !ok {
			out = append(out, "GET "+p+": missing")
			continue
		}
		if !bytes.Equal(got, want[p]) {
			i := 0
			for i < min(len(got), len(want[p])) && got[i] == want[p][i] {
				i++
			}
			out = append(out, fmt.Sprintf("GET %s, from byte %d:\n got: %s\nwant: %s", p, i, around(got, i), around(want[p], i)))
		}
	}
	for _, p := range sortedKeys(v) {
		if _, ok := want[p]; !ok {
			out = append(out, "GET "+p+": only here")
		}
	}
	return out
}

// around is b[i-80:i+80], clipped.
func around(b []byte, i int) string {
	const n = 80
	return "..." + string(b[max(0, i-n):min(len(b), i+n)]) + "..."
}

func sortedKeys(m apiView) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
