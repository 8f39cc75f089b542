package ui

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/ui/internal/demo"
)

// TestSessionPage: a session's page shows the store's aggregates, its users
// and agents linked, and its runs oldest first; an unknown session is a
// 404, and an id with a "/" is reached escaped.
func TestSessionPage(t *testing.T) {
	r := fixture(t)
	h := newTestHandler(r)
	want, err := r.GetSession(context.Background(), "s-1")
	if err != nil {
		t.Fatal(err)
	}
	res := get(t, h, "/sessions/s-1")
	if res.status != http.StatusOK {
		t.Fatalf("status %d", res.status)
	}
	doc := parseHTML(t, res.body)
	for id, v := range map[string]string{
		"card-runs":   formatInt(want.Summary.RunCount),
		"card-cost":   formatUSD(want.Summary.TotalCost),
		"card-tokens": formatInt(want.Summary.TotalTokens),
	} {
		if got := text(find(doc, byID(id))); got != v {
			t.Errorf("%s = %q, want %q", id, got, v)
		}
	}
	if want.Summary.RunCount != 2 || len(want.Runs) != 2 || want.Runs[0].Start >= want.Runs[1].Start {
		t.Fatalf("fixture: s-1 has alice's two runs, oldest first: %+v", want)
	}
	mustContain(t, res.body, `<title>Session s-1 · Waxell</title>`,
		`<a class="chip" href="/users/alice" title="User alice">alice</a>`,
		`<a class="chip" href="/?agent=chat-agent" title="All users of chat-agent">chat-agent</a>`)
	rows := findAll(find(doc, byID("runs")), byTag("tr"))
	if len(rows) != 3 { // the header and two runs
		t.Fatalf("%d table rows, want 3", len(rows))
	}
	for i, run := range want.Runs {
		cells := findAll(rows[1+i], byTag("td"))
		if got := attr(find(cells[0], byTag("time")), "datetime"); got != formatISO(run.Start) {
			t.Errorf("run %d started %q, want %q (oldest first)", i, got, formatISO(run.Start))
		}
		if got := text(cells[6]); got != formatUSD(run.CostNanos) {
			t.Errorf("run %d cost %q, want %q", i, got, formatUSD(run.CostNanos))
		}
	}

	// An id with a "/" is one escaped path segment.
	if res := get(t, h, "/sessions/conv%2F7"); res.status != http.StatusOK || !strings.Contains(res.body, `title="conv/7">conv/7</h1>`) {
		t.Errorf("conv/7: status %d", res.status)
	}
	for target, status := range map[string]int{
		"/sessions/nope":   http.StatusNotFound,
		"/sessions/conv/7": http.StatusNotFound,
		"/sessions/":       http.StatusNotFound,
	} {
		if res := get(t, h, target); res.status != status {
			t.Errorf("%s: status %d, want %d", target, res.status, status)
		}
	}
	mustContain(t, get(t, h, "/sessions/nope").body, "No runs have been recorded in the session “nope”.")
}

// TestSessionIDsThatAreDots: the sessions "." and ".." are reached through
// a ServeMux, as the exporter mounts the UI, which would resolve them away
// in a path.
func TestSessionIDsThatAreDots(t *testing.T) {
	b := demo.NewBuilder(60)
	var spans []genai.Span
	for _, id := range []string{".", ".."} {
		spans = append(spans, runSpans(b, "gil", "chat-agent", id, testNow.Add(-time.Hour), time.Second, false, "gpt-4o")...)
	}
	mux := http.NewServeMux()
	mux.Handle("/", newTestHandler(openStore(t, spans)))
	user := get(t, mux, "/users/gil").body
	for _, id := range []string{".", ".."} {
		link := sessionPath(id)
		mustContain(t, user, `href="`+html.EscapeString(link)+`"`)
		res := get(t, mux, link)
		if res.status != http.StatusOK || !strings.Contains(res.body, `title="`+id+`">`+id+`</h1>`) {
			t.Errorf("%q via %s: status %d", id, link, res.status)
		}
	}
}

// TestDetailTopSessions: a user's page lists the user's most expensive
// sessions, as the store sorts them, linked to their pages; a user without
// sessions has no such panel.
func TestDetailTopSessions(t *testing.T) {
	b := demo.NewBuilder(40)
	var spans []genai.Span
	for i := range topSessions + 2 {
		// Session i's run costs i+1 thousandths of a dollar; the last
		// session has two runs.
		for range 1 + i/(topSessions+1) {
			spans = append(spans, b.Spans(demo.Run{UserID: "dana", Agent: "chat-agent", SessionID: fmt.Sprintf("s/%02d", i),
				Start: testNow.Add(-time.Duration(i+1) * time.Hour), Duration: time.Second,
				Calls: []demo.Call{{Model: "gpt-4o", Input: 10, Output: 5, CostNanos: int64(i+1) * 1_000_000}}})...)
		}
	}
	spans = append(spans, runSpans(b, "erin", "chat-agent", "", testNow.Add(-time.Hour), time.Second, false, "gpt-4o")...)
	r := openStore(t, spans)
	h := newTestHandler(r)

	want, err := r.ListSessions(context.Background(), store.SessionQuery{UserID: "dana", Sort: store.SortTotalCost, Desc: true,
		Limit: topSessions})
	if err != nil || len(want.Sessions) != topSessions || want.Count != topSessions+2 {
		t.Fatalf("store: %d sessions of %d, %v", len(want.Sessions), want.Count, err)
	}
	res := get(t, h, "/users/dana")
	doc := parseHTML(t, res.body)
	mustContain(t, res.body, "Most expensive sessions", "top 10 of 12, all time")
	rows := findAll(find(doc, byID("sessions")), byTag("tr"))
	if len(rows) != 1+topSessions {
		t.Fatalf("%d rows, want %d", len(rows), 1+topSessions)
	}
	for i, s := range want.Sessions {
		cells := findAll(rows[1+i], byTag("td"))
		link := find(cells[0], byTag("a"))
		if text(link) != s.SessionID || attr(link, "href") != sessionPath(s.SessionID) {
			t.Errorf("row %d: %q -> %q, want %q", i, text(link), attr(link, "href"), s.SessionID)
		}
		if got := text(cells[2]); got != formatUSD(s.TotalCost) {
			t.Errorf("row %d cost %q, want %q", i, got, formatUSD(s.TotalCost))
		}
	}
	if text(find(rows[1], byTag("a"))) != "s/11" {
		t.Errorf("the most expensive session first: %q", text(find(rows[1], byTag("a"))))
	}
	mustNotContain(t, get(t, h, "/users/erin").body, "Most expensive sessions")
}
