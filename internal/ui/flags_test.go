package ui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
	"github.com/waxell/otelcol-waxell/internal/ui/internal/demo"
)

// TestHighUsageMarks: with flags, the list marks the users the high_usage
// rule flags, and their page says which metric and by how much. Thirty
// users have one run (1,100 tokens); "heavy" has 40. Both metrics have a
// MAD of 0, so the thresholds come from the mean absolute deviation:
// runs 1 + 3.5 x 1.253314 x 39/31 = 6.52, tokens 1,100 + 3.5 x 1.253314 x
// 42,900/31 = 7,170.5.
func TestHighUsageMarks(t *testing.T) {
	st := highUsageStore(t)
	h := newTestHandler(st, WithFlags(flags.NewCache(st, time.Minute)))

	res := get(t, h, "/?sort=-run_count")
	if res.status != http.StatusOK {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	doc := parseHTML(t, res.body)
	var marked []string
	for _, row := range findAll(doc, byTagClass("th", "col-user")) {
		if find(row, byTagClass("span", "flag")) != nil {
			marked = append(marked, text(find(row, byTagClass("a", "uid"))))
		}
	}
	if len(marked) != 1 || marked[0] != "heavy" {
		t.Errorf("marked %v, want [heavy]", marked)
	}

	res = get(t, h, "/users/heavy")
	note := find(parseHTML(t, res.body), byID("flag-note"))
	if note == nil {
		t.Fatal("heavy's page has no flag note")
	}
	want := "High usage Runs: 40, where a typical user has 1 and more than 6 is flagged; " +
		"Tokens: 44,000, where a typical user has 1,100 and more than 7,170 is flagged."
	if got := text(note); got != want {
		t.Errorf("flag note %q, want %q", got, want)
	}
	if find(parseHTML(t, get(t, h, "/users/u-03").body), byID("flag-note")) != nil {
		t.Error("u-03's page has a flag note")
	}

	// The filter keeps the flagged users, and every link of the view keeps it.
	res = get(t, h, "/?flag=high_usage&sort=total_cost")
	doc = parseHTML(t, res.body)
	var rows []string
	for _, a := range findAll(doc, byTagClass("a", "uid")) {
		rows = append(rows, text(a))
	}
	if len(rows) != 1 || rows[0] != "heavy" {
		t.Errorf("flag=high_usage lists %v, want [heavy]", rows)
	}
	mustContain(t, res.body, "1 user flagged for high usage, sorted by cost, lowest first",
		`<option value="high_usage" selected>High usage only</option>`)
	for _, a := range findAll(doc, byTagClass("a", "sort")) {
		if href := attr(a, "href"); !strings.Contains(href, "flag=high_usage") {
			t.Errorf("sort link %q drops the filter", href)
		}
	}
	if res := get(t, h, "/?flag=heavy"); res.status != http.StatusBadRequest {
		t.Errorf("flag=heavy: status %d, want 400", res.status)
	} else {
		mustContain(t, res.body, "The “flag” parameter must be high_usage.")
	}

	// Without flags nobody is marked, there is no usage filter, and a link
	// with one lists nobody (rather than everybody).
	plain := newTestHandler(st)
	mustNotContain(t, get(t, plain, "/").body, "High usage", `name="flag"`)
	mustNotContain(t, get(t, plain, "/users/heavy").body, "flag-note")
	mustContain(t, get(t, plain, "/?flag=high_usage").body, "Nobody is flagged for high usage.")
}

// highUsageStore holds thirty users with one run (1,100 tokens) in the
// last 30 hours and "heavy" with 40 runs in the last 40 minutes.
func highUsageStore(t *testing.T) *sqlite.Store {
	b := demo.NewBuilder(10)
	var spans []genai.Span
	for i := range 30 {
		spans = append(spans, runSpans(b, fmt.Sprintf("u-%02d", i), "chat-agent", "", testNow.Add(-time.Duration(i+1)*time.Hour),
			time.Second, false, "gpt-4o")...)
	}
	for i := range 40 {
		spans = append(spans, runSpans(b, "heavy", "chat-agent", "", testNow.Add(-time.Duration(i+1)*time.Minute),
			time.Second, false, "gpt-4o")...)
	}
	return openStore(t, spans)
}

// TestHighUsageStatisticsFail: a failure to compute the statistics is an
// error page, not a page whose marks silently disappeared.
func TestHighUsageStatisticsFail(t *testing.T) {
	st := openStore(t, runSpans(demo.NewBuilder(10), "alice", "chat-agent", "", testNow.Add(-time.Hour), time.Second, false, "gpt-4o"))
	h := newTestHandler(st, WithFlags(flags.NewCache(failingStats{}, time.Minute)))
	for _, target := range []string{"/", "/users/alice"} {
		res := get(t, h, target)
		if res.status != http.StatusInternalServerError {
			t.Errorf("%s: status %d, want 500", target, res.status)
		}
		mustContain(t, res.body, "Something went wrong")
	}
}

type failingStats struct{}

func (failingStats) UsageStats(context.Context, store.StatsQuery) (store.UsageStats, error) {
	return store.UsageStats{}, fmt.Errorf("no statistics")
}
