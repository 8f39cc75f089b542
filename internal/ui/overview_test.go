package ui

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// TestOverviewPage: the cards, top users and cost by model are the store's
// overview of the range (the last 24 hours unless another is chosen), the
// range is validated, and the navigation marks the page.
func TestOverviewPage(t *testing.T) {
	r := fixture(t)
	h := newTestHandler(r)
	for _, tc := range []struct {
		target string
		start  time.Time
		label  string
	}{
		{"/overview", testNow.Add(-24 * time.Hour), "last 24 hours"},
		{"/overview?range=all", time.Time{}, "all time"},
		{"/overview?range=7d", testNow.Add(-7 * 24 * time.Hour), "last 7 days"},
	} {
		res := get(t, h, tc.target)
		if res.status != http.StatusOK {
			t.Fatalf("%s: status %d", tc.target, res.status)
		}
		o, err := r.Overview(context.Background(), store.OverviewQuery{Start: tc.start, TopUsers: overviewTopUsers})
		if err != nil {
			t.Fatal(err)
		}
		doc := parseHTML(t, res.body)
		cards := map[string]string{
			"card-runs":   formatInt(o.RunCount),
			"card-cost":   formatUSD(o.TotalCost),
			"card-tokens": formatInt(o.TotalTokens),
			"card-users":  formatInt(o.UniqueUsers),
			"card-new":    formatInt(o.NewUsers),
			"card-share":  formatPercent(o.UserRuns, o.RunCount),
		}
		for id, want := range cards {
			if got := text(find(doc, byID(id))); got != want {
				t.Errorf("%s: %s = %q, want %q", tc.target, id, got, want)
			}
		}
		var top []string
		for _, a := range findAll(find(doc, byID("top-users")), byTagClass("a", "uid")) {
			top = append(top, text(a))
		}
		if want := userIDs(o.TopUsers); len(want) == 0 || !slices.Equal(top, want) {
			t.Errorf("%s: top users %v, want %v", tc.target, top, want)
		}
		var models []string
		for _, m := range findAll(find(doc, byID("models")), byTagClass("span", "model")) {
			models = append(models, text(m))
		}
		var want []string
		for _, m := range o.CostByModel {
			want = append(want, m.Model)
		}
		if !slices.Equal(models, want) {
			t.Errorf("%s: models %v, want %v", tc.target, models, want)
		}
		mustContain(t, res.body, "Runs, cost and users of the "+tc.label, `href="/overview" class="navlink" aria-current="page"`)
		mustNotContain(t, res.body, "anomalies", `href="/" class="navlink" aria-current="page"`)
	}
	res := get(t, h, "/overview?range=1y")
	if res.status != http.StatusBadRequest {
		t.Errorf("range=1y: status %d, want 400", res.status)
	}
	mustContain(t, res.body, "The “range” parameter must be one of 24h, 7d, 30d, all or custom.")
}

// TestOverviewAnomalies: with flags, the overview lists the range's
// flagged users with the metric, the typical value and the threshold, and
// marks them among the top users.
func TestOverviewAnomalies(t *testing.T) {
	st := highUsageStore(t)
	h := newTestHandler(st, WithFlags(flags.NewCache(st, time.Minute)))
	doc := parseHTML(t, get(t, h, "/overview?range=7d").body)
	rows := findAll(find(doc, byID("anomalies")), byTag("tr"))
	var got [][]string
	for _, tr := range rows[1:] {
		var cells []string
		for _, c := range findAll(tr, func(n *html.Node) bool { return n.Data == "td" || n.Data == "th" }) {
			cells = append(cells, text(c))
		}
		got = append(got, cells)
	}
	// Runs: median 1, flagged above 6, score (40-1)/(1.253314 x 39/31) = 24.7;
	// tokens: median 1,100, above 7,170, score 42,900/(1.253314 x 42,900/31) = 24.7.
	want := [][]string{
		{"heavy", "Runs", "40", "1", "6", "24.7"},
		{"heavy", "Tokens", "44,000", "1,100", "7,170", "24.7"},
	}
	if len(got) != len(want) {
		t.Fatalf("anomalies %v, want %v", got, want)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("anomaly %d: %v, want %v", i, got[i], want[i])
		}
	}
	var marked []string
	for _, th := range findAll(find(doc, byID("top-users")), byTag("th")) {
		if find(th, byTagClass("span", "flag")) != nil {
			marked = append(marked, text(find(th, byTagClass("a", "uid"))))
		}
	}
	if !slices.Equal(marked, []string{"heavy"}) {
		t.Errorf("marked top users %v, want [heavy]", marked)
	}
}
