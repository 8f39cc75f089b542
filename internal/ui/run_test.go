package ui

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/ui/internal/demo"
)

// TestRunPage: a run's page shows the store's run and its calls, oldest
// first, with tokens by type and each call's cost source; the runs of a
// user's page and of a session's link to it; unknown or malformed ids are
// 404 pages.
func TestRunPage(t *testing.T) {
	b := demo.NewBuilder(50)
	spans := b.Spans(demo.Run{UserID: "fay", SessionID: "s-9", Agent: "travel-agent", Workflow: "plan",
		Start: testNow.Add(-time.Hour), Duration: 3 * time.Second, Calls: []demo.Call{
			{Model: "gpt-4o", Input: 1200, Output: 300, CostNanos: 4_500_000},
			{Model: "acme-unknown", Input: 10, Output: 5, Unpriced: true, OffsetMillis: 500},
		}})
	r := openStore(t, []genai.Span(spans))
	h := newTestHandler(r)
	u, err := r.GetUser(context.Background(), "fay")
	if err != nil || len(u.Runs) != 1 {
		t.Fatalf("fay: %+v, %v", u, err)
	}
	id := u.Runs[0].ID
	want, err := r.GetRun(context.Background(), id)
	if err != nil || len(want.Calls) != 2 {
		t.Fatalf("run %d: %+v, %v", id, want, err)
	}

	// Linked from the user's page and from the session's.
	link := `href="` + runPath(id) + `"`
	mustContain(t, get(t, h, "/users/fay").body, link)
	mustContain(t, get(t, h, "/sessions/s-9").body, link)

	res := get(t, h, runPath(id))
	if res.status != http.StatusOK {
		t.Fatalf("status %d", res.status)
	}
	doc := parseHTML(t, res.body)
	for cardID, v := range map[string]string{
		"card-cost":   formatUSD(want.CostNanos),
		"card-tokens": formatInt(want.Tokens.Input + want.Tokens.Output),
		"card-calls":  "2",
		"card-status": "success",
	} {
		if got := text(find(doc, byID(cardID))); got != v {
			t.Errorf("%s = %q, want %q", cardID, got, v)
		}
	}
	if got := text(find(doc, byID("run-trace"))); got != want.TraceID || got == "" {
		t.Errorf("trace %q, want %q", got, want.TraceID)
	}
	mustContain(t, res.body, `<h1 class="user-id" title="travel-agent">travel-agent</h1>`,
		`href="/users/fay" title="User fay">fay</a>`, `href="/sessions/s-9" title="Session s-9">s-9</a>`)
	rows := findAll(find(doc, byID("calls")), byTag("tr"))
	if len(rows) != 3 {
		t.Fatalf("%d call rows, want a header and 2", len(rows))
	}
	for i, c := range want.Calls {
		cells := findAll(rows[1+i], byTag("td"))
		got := []string{text(cells[1]), text(cells[3]), text(cells[6]), text(cells[8]), text(cells[9])}
		exp := []string{c.Model, formatInt(c.Tokens.Input), formatInt(c.Tokens.Output), formatUSD(c.CostNanos), c.CostSource}
		if strings.Join(got, "|") != strings.Join(exp, "|") {
			t.Errorf("call %d: %q, want %q", i, got, exp)
		}
	}
	if want.Calls[1].CostSource != string(genai.CostUnpriced) {
		t.Errorf("fixture: the second call is unpriced, got %q", want.Calls[1].CostSource)
	}

	for _, target := range []string{"/runs/999999", "/runs/abc", "/runs/0", "/runs/-1", "/runs/"} {
		if res := get(t, h, target); res.status != http.StatusNotFound {
			t.Errorf("%s: status %d", target, res.status)
		}
	}
	mustContain(t, get(t, h, "/runs/999999").body, "No run 999999 is stored")

	// With a tracing backend, the trace id links to the trace there.
	mustNotContain(t, res.body, `href="https://`)
	traced := newTestHandler(r, WithTraceURL("https://jaeger.example/trace/{trace_id}"))
	mustContain(t, get(t, traced, runPath(id)).body,
		`<a class="mono" id="run-trace" href="https://jaeger.example/trace/`+want.TraceID+`"`)
	// Only http(s) patterns with the id are taken.
	for _, bad := range []string{"javascript:alert('{trace_id}')", "https://jaeger.example/search", "/trace/{trace_id}"} {
		mustNotContain(t, get(t, newTestHandler(r, WithTraceURL(bad)), runPath(id)).body, `id="run-trace" href=`)
	}
}
