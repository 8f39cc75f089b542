package ui

import (
	"context"
	"net/http"
	"strings"
	"testing"
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
