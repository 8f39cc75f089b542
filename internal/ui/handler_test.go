package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/net/html"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/readgate"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/postgres"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
	"github.com/waxell/otelcol-waxell/internal/ui/internal/demo"
)

// fixture is a small store: alice (3 runs, two agents, two models, a
// session), bob (one failed run), carol (2 runs), and 30 one-run users
// user-00..user-29 for pagination.
func fixture(t testing.TB) Reader {
	t.Helper()
	b := demo.NewBuilder(10)
	var spans []genai.Span
	ago := func(d time.Duration) time.Time { return testNow.Add(-d) }
	spans = append(spans, runSpans(b, "alice", "chat-agent", "s-1", ago(50*time.Hour), 3*time.Second, false, "gpt-4o")...)
	spans = append(spans, runSpans(b, "alice", "chat-agent", "s-1", ago(49*time.Hour), 4*time.Second, false, "gpt-4o", "gpt-4o-mini")...)
	spans = append(spans, runSpans(b, "alice", "search-agent", "", ago(2*time.Hour), 245*time.Second, false, "gpt-4o-mini")...)
	spans = append(spans, runSpans(b, "bob", "code-agent", "", ago(10*24*time.Hour), 65*time.Second, true, "claude-sonnet-4", "claude-sonnet-4", "claude-sonnet-4")...)
	spans = append(spans, runSpans(b, "carol", "chat-agent", "conv/7", ago(40*24*time.Hour), time.Second, false, "gpt-4o")...)
	spans = append(spans, runSpans(b, "carol", "chat-agent", "conv/7", ago(39*24*time.Hour), time.Second, false)...)
	for i := range 30 {
		spans = append(spans, runSpans(b, fmt.Sprintf("user-%02d", i), "batch-processor", "",
			ago(time.Duration(i+3)*time.Hour), time.Duration(i+1)*time.Second, false, "gpt-4o-mini")...)
	}
	return openStore(t, spans)
}

func newTestHandler(r Reader, opts ...Option) http.Handler {
	return NewHandler(r, append([]Option{WithClock(clock)}, opts...)...)
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	h := newTestHandler(fixture(t))
	for _, target := range []string{"/", "/?sort=bogus", "/users/alice", "/users/nobody", "/static/style.css",
		"/static/app.js", "/static/nope.css", "/nope", "/favicon.ico", "/users/a/b", "/overview", "/overview?range=x",
		"/runs/?user_id=alice", "/runs/", "/runs/?user_id=alice&after=x"} {
		res := get(t, h, target)
		if got := res.header.Get("Content-Security-Policy"); got != contentSecurityPolicy {
			t.Errorf("%s: CSP = %q", target, got)
		}
		if got := res.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q", target, got)
		}
		if got := res.header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy = %q", target, got)
		}
	}
	if contentSecurityPolicy != "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" {
		t.Errorf("unexpected CSP %q", contentSecurityPolicy)
	}
}

func TestPagesHaveNoInlineScriptOrStyle(t *testing.T) {
	h := newTestHandler(fixture(t))
	for _, target := range []string{"/", "/users/alice", "/?sort=bogus", "/overview?range=all", "/runs/?user_id=alice"} {
		doc := parseHTML(t, get(t, h, target).body)
		for _, s := range findAll(doc, byTag("script")) {
			if attr(s, "src") == "" {
				t.Errorf("%s: inline script", target)
			}
		}
		if len(findAll(doc, byTag("style"))) > 0 {
			t.Errorf("%s: inline <style>", target)
		}
		if n := find(doc, func(n *html.Node) bool { return attr(n, "style") != "" }); n != nil {
			t.Errorf("%s: style attribute on <%s>", target, n.Data)
		}
	}
}

func TestListDefault(t *testing.T) {
	r := fixture(t)
	h := newTestHandler(r)
	res := get(t, h, "/")
	if res.status != http.StatusOK {
		t.Fatalf("status %d", res.status)
	}
	if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if !strings.Contains(res.header.Get("Server-Timing"), "store;dur=") {
		t.Errorf("Server-Timing = %q", res.header.Get("Server-Timing"))
	}
	want, err := r.ListUsers(context.Background(), store.UserQuery{Sort: store.SortLastSeen, Desc: true, Limit: 25})
	if err != nil {
		t.Fatal(err)
	}
	if got := listedUserIDs(t, res.body); !slices.Equal(got, userIDs(want.Users)) {
		t.Errorf("rows %v, want %v", got, userIDs(want.Users))
	}
	doc := parseHTML(t, res.body)
	// Every column, in the order.
	var heads []string
	for _, th := range findAll(find(doc, byTag("thead")), byTag("th")) {
		heads = append(heads, strings.TrimRight(strings.Fields(text(th))[0], "↕↑↓,"))
	}
	if want := []string{"User", "Runs", "First", "Last", "Duration", "Cost", "Tokens", "Agents"}; !slices.Equal(heads, want) {
		t.Errorf("headers %v, want %v", heads, want)
	}
	mustContain(t, text(doc), "Showing 1–25 of 33 users", "page 1 of 2")
	// alice's row is formatted for people.
	rows := tableRows(t, doc, byTagClass("table", "users"))
	var alice []string
	for _, row := range rows {
		if row[0] == "alice" {
			alice = row
		}
	}
	d, err := r.GetUser(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	wantRow := []string{"alice", "3", "2 days ago", "2 hours ago", formatDuration(d.Summary.TotalDuration),
		formatUSD(d.Summary.TotalCost), formatInt(d.Summary.TotalTokens), "chat-agent search-agent"}
	if !slices.Equal(alice, wantRow) {
		t.Errorf("alice row %q, want %q", alice, wantRow)
	}
	mustContain(t, res.body, `<time datetime="`+formatISO(d.Summary.LastSeen)+`" title="`+formatUTC(d.Summary.LastSeen)+`">2 hours ago</time>`)
	mustContain(t, res.body, `title="`+formatUSDExact(d.Summary.TotalCost)+`"`)
	// Agents select lists every agent.
	var agents []string
	for _, o := range findAll(find(doc, byID("f-agent")), byTag("option")) {
		agents = append(agents, attr(o, "value"))
	}
	if want := []string{"", "batch-processor", "chat-agent", "code-agent", "search-agent"}; !slices.Equal(agents, want) {
		t.Errorf("agent options %v, want %v", agents, want)
	}
	// Labelled controls.
	for _, id := range []string{"f-search", "f-agent", "f-range", "f-start", "f-end", "f-limit", "f-sort"} {
		if find(doc, func(n *html.Node) bool { return n.Data == "label" && attr(n, "for") == id }) == nil {
			t.Errorf("control %s has no label", id)
		}
	}
	// The next page continues after the last row (TestListKeysetPaging pages through every view).
	next := pagerLinks(doc)["next"]
	if !strings.HasPrefix(next, "/?cursor=") || !strings.HasSuffix(next, "&page=2") {
		t.Errorf("next = %q", next)
	}
	rest, err := r.ListUsers(context.Background(), store.UserQuery{Sort: store.SortLastSeen, Desc: true, Limit: 25, Offset: 25})
	if err != nil {
		t.Fatal(err)
	}
	if got := listedUserIDs(t, get(t, h, next).body); !slices.Equal(got, userIDs(rest.Users)) {
		t.Errorf("next page rows %v, want %v", got, userIDs(rest.Users))
	}
}

func userIDs(us []store.UserSummary) []string {
	var ids []string
	for _, u := range us {
		ids = append(ids, u.UserID)
	}
	return ids
}

func TestListSortHeaders(t *testing.T) {
	r := fixture(t)
	h := newTestHandler(r)
	for _, field := range []string{store.SortRunCount, store.SortFirstSeen, store.SortLastSeen, store.SortTotalDuration, store.SortTotalCost, store.SortTotalTokens} {
		for _, desc := range []bool{true, false} {
			param := field
			if desc {
				param = "-" + field
			}
			res := get(t, h, "/?search=a&sort="+param)
			if res.status != http.StatusOK {
				t.Fatalf("%s: status %d", param, res.status)
			}
			want, err := r.ListUsers(context.Background(), store.UserQuery{Search: "a", Sort: field, Desc: desc, Limit: 25})
			if err != nil {
				t.Fatal(err)
			}
			if got := listedUserIDs(t, res.body); !slices.Equal(got, userIDs(want.Users)) {
				t.Errorf("%s: rows %v, want %v", param, got, userIDs(want.Users))
			}
			doc := parseHTML(t, res.body)
			th := find(doc, func(n *html.Node) bool { return n.Data == "th" && attr(n, "aria-sort") != "" })
			wantAria := "ascending"
			if desc {
				wantAria = "descending"
			}
			if attr(th, "aria-sort") != wantAria {
				t.Errorf("%s: aria-sort %q", param, attr(th, "aria-sort"))
			}
			// The sorted header's link reverses the order and keeps the search.
			link := find(th, byTag("a"))
			flipped := "-" + field
			if desc {
				flipped = field
			}
			u, _ := url.Parse(attr(link, "href"))
			if u.Query().Get("sort") != flipped && !(flipped == "-last_seen" && u.Query().Get("sort") == "") {
				t.Errorf("%s: header link %q", param, attr(link, "href"))
			}
			if u.Query().Get("search") != "a" {
				t.Errorf("%s: header link lost the search: %q", param, attr(link, "href"))
			}
		}
	}
	// User ID and Agents cannot be sorted by the store: plain headers.
	doc := parseHTML(t, get(t, h, "/").body)
	for _, th := range findAll(find(doc, byTag("thead")), byTag("th")) {
		if label := text(th); label == "User ID" || label == "Agents" {
			if find(th, byTag("a")) != nil {
				t.Errorf("%s header is a link", label)
			}
		}
	}
}

func TestListFilters(t *testing.T) {
	r := fixture(t)
	h := newTestHandler(r)
	cases := []struct {
		query string
		want  store.UserQuery
	}{
		{"?search=USER-1", store.UserQuery{Search: "USER-1"}},
		{"?agent=chat-agent", store.UserQuery{Agent: "chat-agent"}},
		{"?range=24h", store.UserQuery{Start: testNow.Add(-24 * time.Hour)}},
		{"?range=7d&agent=code-agent", store.UserQuery{Agent: "code-agent", Start: testNow.Add(-7 * 24 * time.Hour)}},
		{"?range=30d", store.UserQuery{Start: testNow.Add(-30 * 24 * time.Hour)}},
		{"?range=all&start=2020-01-01", store.UserQuery{}},
		{"?range=custom&start=2026-01-01&end=2026-01-01", store.UserQuery{
			Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}},
		{"?start=2026-02-05T00:00:00Z", store.UserQuery{Start: time.Date(2026, 2, 5, 0, 0, 0, 0, time.UTC)}},
		{"?limit=10&offset=10", store.UserQuery{Limit: 10, Offset: 10}},
		{"?limit=10&offset=30", store.UserQuery{Limit: 10, Offset: 30}},
	}
	for _, tc := range cases {
		q := tc.want
		q.Sort, q.Desc = store.SortLastSeen, true
		if q.Limit == 0 {
			q.Limit = 25
		}
		want, err := r.ListUsers(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		res := get(t, h, "/"+tc.query)
		if res.status != http.StatusOK {
			t.Errorf("%s: status %d", tc.query, res.status)
			continue
		}
		if got := listedUserIDs(t, res.body); !slices.Equal(got, userIDs(want.Users)) {
			t.Errorf("%s: rows %v, want %v", tc.query, got, userIDs(want.Users))
		}
		if want.Count > 0 {
			mustContain(t, res.body, fmt.Sprintf("of <strong>%s</strong>", formatInt(want.Count)))
		}
	}
	// The form shows the state: search text, selected agent and range.
	doc := parseHTML(t, get(t, h, "/?search=ali&agent=chat-agent&range=7d&sort=-total_cost&limit=50").body)
	if v := attr(find(doc, byID("f-search")), "value"); v != "ali" {
		t.Errorf("search input value %q", v)
	}
	for id, want := range map[string]string{"f-agent": "chat-agent", "f-range": "7d", "f-limit": "50", "f-sort": "-total_cost"} {
		sel := find(doc, byID(id))
		opt := find(sel, func(n *html.Node) bool { return n.Data == "option" && hasAttr(n, "selected") })
		if attr(opt, "value") != want {
			t.Errorf("%s selected %q, want %q", id, attr(opt, "value"), want)
		}
	}
	// Links to users keep an explicit range.
	a := find(doc, byTagClass("a", "uid"))
	if got := attr(a, "href"); got != "/users/alice?range=7d" {
		t.Errorf("user link %q", got)
	}
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

func TestListEmptyStates(t *testing.T) {
	empty := newTestHandler(openStore(t), WithOTLPEndpoint("http://collector.example:4318"))
	res := get(t, empty, "/")
	if res.status != http.StatusOK {
		t.Fatalf("status %d", res.status)
	}
	mustContain(t, res.body, "No users yet", "Point your OTLP exporter at <code>http://collector.example:4318</code>")

	h := newTestHandler(fixture(t))
	res = get(t, h, "/?search=zzz")
	mustContain(t, res.body, "No users match these filters", "zzz", `href="/">clear the filters`)
	mustNotContain(t, res.body, "No users yet")

	res = get(t, h, "/?offset=500")
	mustContain(t, res.body, "This page is past the end", `href="/?page=last"`)
}

func TestListBadParams(t *testing.T) {
	h := newTestHandler(fixture(t))
	const c = "eyJzIjoiLWxhc3Rfc2VlbiIsInYiOjEsImkiOiJhbGljZSJ9"
	for query, want := range map[string]string{
		"sort=bogus":      "The “sort” parameter must be one of",
		"sort=user_id":    "The “sort” parameter must be one of",
		"limit=0":         "The “limit” parameter must be between 1 and 100",
		"limit=101":       "The “limit” parameter must be between 1 and 100",
		"limit=ten":       "The “limit” parameter must be a whole number",
		"offset=-1":       "The “offset” parameter must not be negative",
		"range=1y":        "The “range” parameter must be one of 24h, 7d, 30d, all or custom",
		"start=yesterday": "The “start” parameter must be a date",
		"range=custom&start=2026-02-01&end=2026-01-01": "must be before the end",
		"agent=a&agent=b": "The “agent” parameter is given more than once",
		"search=%ZZ":      "not a valid query string",
		// Paging: c is a cursor of the default sort (-last_seen) after alice.
		"cursor=" + c:                         "The “page” parameter must be a page number",
		"page=1&cursor=" + c:                  "The “page” parameter must be 2 or more",
		"page=2&sort=-total_cost&cursor=" + c: "The “cursor” parameter is not a position in this list",
		"page=2&cursor=bm9wZQ":                "The “cursor” parameter is not a position in this list",
		"page=2&before=%25%25":                "The “before” parameter is not a position in this list",
		"page=2&cursor=" + c + "&before=" + c: "The “before” parameter must not be given with cursor",
		"page=2&offset=5&cursor=" + c:         "The “offset” parameter must not be given with cursor",
		"page=0":                              "The “page” parameter must be a page number",
		"page=next":                           "The “page” parameter must be a page number",
		"page=9223372036854775807":            "The “page” parameter must be a page number (1 to 1,000,000,000)",
	} {
		res := get(t, h, "/?"+query)
		if res.status != http.StatusBadRequest {
			t.Errorf("%s: status %d", query, res.status)
		}
		mustContain(t, res.body, "That view cannot be shown", "Reset the view")
		if !strings.Contains(res.body, strings.ReplaceAll(want, "“", "“")) {
			t.Errorf("%s: body lacks %q", query, want)
		}
	}
	// Identical repeats are harmless (a bookmark plus a form field).
	if res := get(t, h, "/?agent=chat-agent&agent=chat-agent"); res.status != http.StatusOK {
		t.Errorf("repeated identical agent: status %d", res.status)
	}
}

func TestDetailPage(t *testing.T) {
	r := fixture(t)
	h := newTestHandler(r, WithSessionURL("/sessions/{session_id}"))
	res := get(t, h, "/users/alice")
	if res.status != http.StatusOK {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	d, err := r.GetUser(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	doc := parseHTML(t, res.body)
	cards := map[string]string{
		"card-runs":     formatInt(d.Summary.RunCount),
		"card-cost":     formatUSD(d.Summary.TotalCost),
		"card-tokens":   formatInt(d.Summary.TotalTokens),
		"card-duration": formatDuration(d.Summary.TotalDuration),
		"card-first":    "2 days ago " + formatUTC(d.Summary.FirstSeen),
		"card-last":     "2 hours ago " + formatUTC(d.Summary.LastSeen),
	}
	for id, want := range cards {
		if got := text(find(doc, byID(id))); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	// Cost by model, most expensive first, with shares.
	var wantModels [][]string
	for _, m := range d.CostByModel {
		wantModels = append(wantModels, []string{m.Model, formatUSD(m.TotalCost), formatInt(m.TotalTokens),
			formatInt(m.CallCount), formatPercent(m.TotalCost, d.Summary.TotalCost)})
	}
	if got := tableRows(t, doc, byID("models")); !slices.EqualFunc(got, wantModels, slices.Equal) {
		t.Errorf("models %q, want %q", got, wantModels)
	}
	// Recent runs, newest first, sessions linked.
	var wantRuns [][]string
	for _, run := range d.Runs {
		status := "success"
		if run.Error {
			status = "error"
		}
		session := "—"
		if run.SessionID != "" {
			session = run.SessionID
		}
		wantRuns = append(wantRuns, []string{run.AgentName, run.WorkflowName, formatRelative(run.Start, testNow.UnixNano()),
			formatDuration(run.End - run.Start), status, formatUSD(run.CostNanos), formatInt(run.Tokens), session})
	}
	if got := tableRows(t, doc, byID("runs")); !slices.EqualFunc(got, wantRuns, slices.Equal) {
		t.Errorf("runs %q, want %q", got, wantRuns)
	}
	mustContain(t, res.body, `href="/sessions/s-1"`, "4m 5s")
	// The chart: 30 days, two days with cost, accessible.
	svg := find(doc, byTag("svg"))
	if attr(svg, "role") != "img" || attr(svg, "aria-labelledby") == "" {
		t.Errorf("chart svg lacks role/aria-labelledby")
	}
	if got := len(findAll(find(doc, byTagClass("g", "bars")), byTag("rect"))); got != 2 {
		t.Errorf("bars = %d, want 2", got)
	}
	mustContain(t, text(doc), "Cost per day · last 30 days")
	if rows := tableRows(t, find(doc, byTag("figure")), byTag("table")); len(rows) != 30 {
		t.Errorf("chart data rows = %d, want 30", len(rows))
	}
	// Back link.
	mustContain(t, res.body, `<a href="/">← All users</a>`)
}

func TestDetailSessionLinks(t *testing.T) {
	// Without a pattern, runs link to the UI's own session page.
	h := newTestHandler(fixture(t))
	mustContain(t, get(t, h, "/users/alice").body, `<a class="clip mono" href="/sessions/s-1" title="Session s-1">s-1</a>`)
	mustContain(t, get(t, h, "/users/carol").body, `href="/sessions/conv%2F7"`)
	// Session ids are escaped into the pattern.
	h = newTestHandler(fixture(t), WithSessionURL("https://traces.example/search?session={session_id}"))
	mustContain(t, get(t, h, "/users/carol").body, `href="https://traces.example/search?session=conv%2F7"`)
	// Unsafe patterns are ignored.
	h = newTestHandler(fixture(t), WithSessionURL("javascript:alert({session_id})"))
	carol := get(t, h, "/users/carol").body
	mustNotContain(t, carol, "javascript:")
	mustContain(t, carol, `href="/sessions/conv%2F7"`)
}

func TestDetailRanges(t *testing.T) {
	h := newTestHandler(fixture(t))
	for query, want := range map[string]string{
		"":           "Cost per day · last 30 days",
		"?range=24h": "Cost per hour · last 24 hours",
		"?range=7d":  "Cost per day · last 7 days",
		"?range=all": "Cost per day · all time",
		"?range=custom&start=2026-02-01&end=2026-02-07": "Cost per day · 2026-02-01 to 2026-02-07",
	} {
		res := get(t, h, "/users/alice"+query)
		if res.status != http.StatusOK {
			t.Errorf("%q: status %d", query, res.status)
			continue
		}
		if got := text(find(parseHTML(t, res.body), byID("chart-title"))); got != want {
			t.Errorf("%q: chart title %q, want %q", query, got, want)
		}
	}
	doc := parseHTML(t, get(t, h, "/users/alice?range=24h").body)
	if rows := tableRows(t, find(doc, byTag("figure")), byTag("table")); len(rows) != 24 {
		t.Errorf("24h rows = %d, want 24", len(rows))
	}
	doc = parseHTML(t, get(t, h, "/users/alice?range=7d").body)
	if got := attr(find(doc, func(n *html.Node) bool { return n.Data == "a" && text(n) == "← All users" }), "href"); got != "/?range=7d" {
		t.Errorf("back link %q", got)
	}
	if res := get(t, h, "/users/alice?range=forever"); res.status != http.StatusBadRequest {
		t.Errorf("bad range: status %d", res.status)
	}
}

func TestDetailRouting(t *testing.T) {
	b := demo.NewBuilder(11)
	ids := []string{"a/b", "sp ace", "ünï", "100%", "?q=1#x", ".", "..", "a..b"}
	var spans []genai.Span
	for _, id := range ids {
		spans = append(spans, runSpans(b, id, "agent", "", testNow.Add(-time.Hour), time.Second, false, "gpt-4o")...)
	}
	h := newTestHandler(openStore(t, spans))
	for _, id := range ids {
		link := userPath(id)
		res := get(t, h, link)
		if res.status != http.StatusOK {
			t.Errorf("%q via %s: status %d", id, link, res.status)
			continue
		}
		if got := text(find(parseHTML(t, res.body), byTagClass("h1", "user-id"))); got != id {
			t.Errorf("%q via %s: heading %q", id, link, got)
		}
	}
	if got := userPath("a/b"); got != "/users/a%2Fb" {
		t.Errorf("userPath(a/b) = %q", got)
	}
	for target, status := range map[string]int{
		"/users/nobody":  http.StatusNotFound,
		"/users/a/b":     http.StatusNotFound, // a raw slash is not part of an id
		"/users/":        http.StatusFound,
		"/users/a%2Fb/":  http.StatusOK, // a trailing slash is tolerated
		"/nope":          http.StatusNotFound,
		"/static/x.css":  http.StatusNotFound,
		"/users/%2E%2E/": http.StatusOK,
	} {
		if res := get(t, h, target); res.status != status {
			t.Errorf("%s: status %d, want %d", target, res.status, status)
		}
	}
	res := get(t, h, "/users/nobody")
	mustContain(t, res.body, "No such user", "nobody")
}

func TestMethodNotAllowed(t *testing.T) {
	h := newTestHandler(fixture(t))
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		req := httptest.NewRequest(m, "/", nil)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d, Allow %q", m, rec.Code, rec.Header().Get("Allow"))
		}
	}
	req := httptest.NewRequest(http.MethodHead, "/", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("HEAD: %d", rec.Code)
	}
}

func TestStaticAssets(t *testing.T) {
	h := newTestHandler(fixture(t))
	for name, ct := range map[string]string{"style.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8", "favicon.svg": "image/svg+xml"} {
		res := get(t, h, assetURL(name))
		if res.status != http.StatusOK || res.header.Get("Content-Type") != ct {
			t.Errorf("%s: %d %q", name, res.status, res.header.Get("Content-Type"))
		}
		if !strings.Contains(res.header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: Cache-Control %q", name, res.header.Get("Cache-Control"))
		}
		req := httptest.NewRequest(http.MethodGet, "/static/"+name, nil)
		req.Header.Set("If-None-Match", res.header.Get("ETag"))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified {
			t.Errorf("%s: conditional GET %d", name, rec.Code)
		}
	}
	// Pages reference the versioned assets.
	mustContain(t, get(t, h, "/").body, assetURL("style.css"), assetURL("app.js"))
}

// failingReader fails every read.
type failingReader struct{ err error }

func (f failingReader) ListUsers(context.Context, store.UserQuery) (store.UserPage, error) {
	return store.UserPage{}, f.err
}
func (f failingReader) GetUser(context.Context, string) (store.UserDetail, error) {
	return store.UserDetail{}, f.err
}
func (f failingReader) UserTimeseries(context.Context, store.TimeseriesQuery) ([]store.Point, error) {
	return nil, f.err
}
func (f failingReader) ListAgents(context.Context) ([]string, error) { return nil, f.err }
func (f failingReader) Overview(context.Context, store.OverviewQuery) (store.Overview, error) {
	return store.Overview{}, f.err
}
func (f failingReader) GetSession(context.Context, string) (store.SessionDetail, error) {
	return store.SessionDetail{}, f.err
}
func (f failingReader) ListSessions(context.Context, store.SessionQuery) (store.SessionPage, error) {
	return store.SessionPage{}, f.err
}
func (f failingReader) GetRun(context.Context, int64) (store.RunDetail, error) {
	return store.RunDetail{}, f.err
}
func (f failingReader) ListRuns(context.Context, store.RunQuery) (store.RunPage, error) {
	return store.RunPage{}, f.err
}

func TestStoreErrors(t *testing.T) {
	core, logs := observer.New(zap.ErrorLevel)
	h := newTestHandler(failingReader{err: errors.New("disk on fire: /secret/path")}, WithLogger(zap.New(core)))
	for _, target := range []string{"/", "/users/alice", "/sessions/s-1", "/runs/1", "/runs/?user_id=alice"} {
		res := get(t, h, target)
		if res.status != http.StatusInternalServerError {
			t.Errorf("%s: status %d", target, res.status)
		}
		mustContain(t, res.body, "Something went wrong")
		mustNotContain(t, res.body, "disk on fire", "/secret/path")
	}
	if logs.Len() != 5 {
		t.Errorf("logged %d errors, want 5", logs.Len())
	}
	h = newTestHandler(failingReader{err: fmt.Errorf("query: %w", context.DeadlineExceeded)})
	if res := get(t, h, "/"); res.status != http.StatusServiceUnavailable {
		t.Errorf("timeout: status %d", res.status)
	}
}

// TestQueryBoundPages: a read the exporter's query bounds stopped says which
// bound, and what to do about it; it is not a store failure to log.
func TestQueryBoundPages(t *testing.T) {
	tests := []struct {
		name string
		err  *readgate.TimeoutError
		want []string
	}{
		{"ran too long", &readgate.TimeoutError{Op: "list users", Timeout: 30 * time.Second, Slots: 2},
			[]string{"This view took too long", "It did not finish within 30s. Choose a shorter time range or add a filter."}},
		{"no slot", &readgate.TimeoutError{Op: "list users", Timeout: 30 * time.Second, Queued: true, Slots: 2},
			[]string{"The store is busy", "Other views are being computed."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zap.ErrorLevel)
			h := newTestHandler(failingReader{err: tc.err}, WithLogger(zap.New(core)))
			for _, target := range []string{"/", "/users/alice", "/sessions/s-1", "/runs/1", "/runs/?user_id=alice"} {
				res := get(t, h, target)
				if res.status != http.StatusServiceUnavailable {
					t.Errorf("%s: status %d", target, res.status)
				}
				mustContain(t, res.body, tc.want...)
			}
			if logs.Len() != 0 {
				t.Errorf("logged %d errors, want none", logs.Len())
			}
		})
	}
}

// Both stores are readers of the UI.
var (
	_ Reader = (*sqlite.Store)(nil)
	_ Reader = (*postgres.Store)(nil)
)

func TestDetailUnpricedAndEmptyChart(t *testing.T) {
	b := demo.NewBuilder(12)
	old := testNow.Add(-90 * 24 * time.Hour)
	spans := b.Spans(demo.Run{UserID: "free", Agent: "local-agent", Start: old, Duration: time.Second,
		Calls: []demo.Call{{Model: "llama-local", Input: 50, Output: 5, Unpriced: true}}})
	h := newTestHandler(openStore(t, spans))
	res := get(t, h, "/users/free")
	if res.status != http.StatusOK {
		t.Fatalf("status %d", res.status)
	}
	doc := parseHTML(t, res.body)
	mustContain(t, text(doc), "No cost in this range", "1 unpriced", "$0.00")
	if got := tableRows(t, doc, byID("models")); len(got) != 1 || got[0][4] != "–" {
		t.Errorf("models %q", got)
	}
	if n := len(findAll(find(doc, byTagClass("g", "bars")), byTag("rect"))); n != 0 {
		t.Errorf("%d bars for a user without cost", n)
	}
	// All time starts the chart at the user's first run.
	doc = parseHTML(t, get(t, h, "/users/free?range=all").body)
	if rows := tableRows(t, find(doc, byTag("figure")), byTag("table")); len(rows) != 91 {
		t.Errorf("all-time chart rows = %d, want 91", len(rows))
	}
}
