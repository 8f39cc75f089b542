package ui

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/waxell/otelcol-waxell/internal/api"
	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
	"github.com/waxell/otelcol-waxell/internal/ui/internal/browser"
	"github.com/waxell/otelcol-waxell/internal/ui/internal/demo"
)

// End-to-end tests in headless Chromium (Debian's chromium package, or
// $CHROMIUM): spans are loaded into a SQLite store, the UI is served by
// httptest, and chromedp drives the pages as a person would. Every check
// compares what the page shows with the store's own answer, formatted the
// same way. -short skips them.

// browserSession is one Chromium with a tab, the server and its store.
type browserSession struct {
	t     *testing.T
	ctx   context.Context
	srv   *httptest.Server
	store *sqlite.Store

	mu       sync.Mutex
	dialogs  []string
	dialogCh chan string // every dialog, for the probe
}

func newBrowserSession(t *testing.T) *browserSession {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are skipped with -short")
	}
	path := browser.Path()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("Chromium is needed for the browser tests (apt-get install -y chromium, or set $CHROMIUM): %v", err)
	}

	// Load spans: the realistic 50 users plus users and agents named with markup.
	spans := demo.Realistic(testNow)
	b := demo.NewBuilder(30)
	for i, id := range hostile[:2] {
		spans = append(spans, b.Spans(demo.Run{UserID: id, Agent: hostile[1-i], SessionID: "sess-x",
			Start: testNow.Add(-time.Duration(i+1) * time.Minute), Duration: 2 * time.Second,
			Calls: []demo.Call{{Model: "gpt-4o", Input: 100, Output: 10, CostNanos: 1_000_000}}})...)
	}
	st := openStore(t, []genai.Span(spans))
	// The REST API next to the UI, as the exporter serves them, so that
	// pages can be checked against the API's.
	// Both share the abuse-flag statistics, as in the exporter.
	stats := flags.NewCache(st, time.Minute)
	apiHandler := api.NewHandler(st, api.WithFlagCache(stats))
	uiHandler := newTestHandler(st, WithFlags(stats))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			apiHandler.ServeHTTP(w, r)
			return
		}
		uiHandler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	ctx, cancel := browser.New(context.Background(), path, filepath.Join(t.TempDir(), "chromium"))
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // start the browser and open the tab
		t.Fatalf("start chromium: %v", err)
	}
	s := &browserSession{t: t, ctx: ctx, srv: srv, store: st, dialogCh: make(chan string, 64)}

	// Any JavaScript dialog fails the test (checked at the end); dismiss
	// it so the page does not hang.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			d := string(ev.Type) + ": " + ev.Message
			s.mu.Lock()
			s.dialogs = append(s.dialogs, d)
			s.mu.Unlock()
			select {
			case s.dialogCh <- d:
			default:
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, d := range s.dialogs {
			if d != "alert: probe" {
				t.Errorf("a JavaScript dialog opened: %s", d)
			}
		}
	})
	return s
}

func (s *browserSession) do(actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		s.t.Fatalf("browser: %v", err)
	}
}

// navigate runs an action that loads a new page (a click, a submit), waits
// for it and for the footer of the new page.
func (s *browserSession) navigate(actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		s.t.Fatalf("browser navigation: %v", err)
	}
	if resp.Status != 200 {
		s.t.Fatalf("browser navigation to %s: status %d", resp.URL, resp.Status)
	}
	s.do(chromedp.WaitReady(chromedp.CSS("footer")))
}

func (s *browserSession) open(path string) { s.navigate(chromedp.Navigate(s.srv.URL + path)) }

// choose picks value in the select with this id, as a person would, and
// waits for the page its form submits (by its own script).
func (s *browserSession) choose(id, value string) {
	s.t.Helper()
	s.navigate(selectValue(id, value))
}

// selectValue picks value in the select with this id, as a person would.
func selectValue(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => {
		const sel = document.getElementById(` + jsString(id) + `);
		sel.value = ` + jsString(value) + `;
		sel.dispatchEvent(new Event("change", {bubbles: true}));
	})()`)
}

func eval[T any](s *browserSession, js string) T {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		s.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// location is the path and query of the page.
func (s *browserSession) location() string {
	return eval[string](s, `location.pathname + location.search`)
}

// rows are the user ids of the users table, in order.
func (s *browserSession) rows() []string {
	return eval[[]string](s, `Array.from(document.querySelectorAll("a.uid"), a => a.title)`)
}

// table returns the text of each cell of the body rows of a table.
func (s *browserSession) table(sel string) [][]string {
	return eval[[][]string](s, `Array.from(document.querySelectorAll(`+jsString(sel+" tbody tr")+`),
		tr => Array.from(tr.cells, c => c.textContent.replace(/\s+/g, " ").trim()))`)
}

func (s *browserSession) text(sel string) string {
	return eval[string](s, `document.querySelector(`+jsString(sel)+`).textContent.replace(/\s+/g, " ").trim()`)
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func (s *browserSession) list(q store.UserQuery) store.UserPage {
	s.t.Helper()
	if q.Sort == "" {
		q.Sort, q.Desc = store.SortLastSeen, true
	}
	if q.Limit == 0 {
		q.Limit = defaultLimit
	}
	p, err := s.store.ListUsers(context.Background(), q)
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

func (s *browserSession) expectRows(what string, q store.UserQuery) {
	s.t.Helper()
	want := userIDs(s.list(q).Users)
	if len(want) == 0 {
		s.t.Fatalf("%s: the store has no rows for %+v; the test data is wrong", what, q)
	}
	if got := s.rows(); !slices.Equal(got, want) {
		s.t.Errorf("%s: rows %v, want %v", what, got, want)
	}
}

func TestBrowserUsersList(t *testing.T) {
	s := newBrowserSession(t)

	// The dialog listener works (so "no dialog" below means something).
	s.open("/")
	s.do(chromedp.Evaluate[chromedp.Void](`setTimeout(() => alert("probe"), 0)`))
	select {
	case d := <-s.dialogCh:
		if d != "alert: probe" {
			t.Fatalf("unexpected dialog %q", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the dialog listener saw no probe alert")
	}

	// Open the list: newest activity first, 25 of 52 users.
	s.open("/")
	s.do(chromedp.WaitVisible(chromedp.CSS("table.users")))
	s.expectRows("default list", store.UserQuery{})
	if got, want := s.text(".pager-status"), "Showing 1–25 of 52 users · page 1 of 3"; got != want {
		t.Errorf("pager %q, want %q", got, want)
	}

	// Click the Cost header: highest cost first; click again: lowest first.
	cost := chromedp.CSS("thead th:nth-child(6) a")
	s.navigate(chromedp.Click(cost))
	s.do(chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="descending"] a[href="/?sort=total_cost"]`)))
	if got := s.location(); got != "/?sort=-total_cost" {
		t.Errorf("location %q", got)
	}
	s.expectRows("cost, descending", store.UserQuery{Sort: store.SortTotalCost, Desc: true})
	// The second time with the keyboard: focus the header link, press Enter.
	s.navigate(chromedp.Focus(cost), chromedp.KeyEvent("\r"))
	s.do(chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="ascending"] a[href="/?sort=-total_cost"]`)))
	if got := s.location(); got != "/?sort=total_cost" {
		t.Errorf("location %q", got)
	}
	s.expectRows("cost, ascending", store.UserQuery{Sort: store.SortTotalCost})

	// Type a search and submit it with Enter; the sort stays.
	s.navigate(chromedp.SendKeys(chromedp.CSS("#f-search"), "user-1\n"))
	if got := s.location(); got != "/?search=user-1&sort=total_cost" {
		t.Errorf("location after search %q", got)
	}
	s.expectRows("search", store.UserQuery{Search: "user-1", Sort: store.SortTotalCost})
	if got := s.text(".lede"); !strings.HasPrefix(got, formatInt(s.list(store.UserQuery{Search: "user-1"}).Count)+" users") {
		t.Errorf("heading %q", got)
	}

	// Choose an agent: the select submits the form by itself (with
	// JavaScript); clear the search first.
	s.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("f-search").value = ""`))
	s.choose("f-agent", "code-agent")
	if got := s.location(); got != "/?agent=code-agent&sort=total_cost" {
		t.Errorf("location after agent %q", got)
	}
	s.expectRows("agent", store.UserQuery{Agent: "code-agent", Sort: store.SortTotalCost})
	if got := eval[string](s, `document.getElementById("f-agent").value`); got != "code-agent" {
		t.Errorf("agent select shows %q", got)
	}

	// Page 2 of the full list, by cost (TestBrowserCursorPaging pages through everything).
	s.open("/?sort=-total_cost")
	s.navigate(chromedp.Click(chromedp.CSS(`a[rel="next"]`)))
	if got := s.location(); !strings.HasPrefix(got, "/?sort=-total_cost&cursor=") || !strings.HasSuffix(got, "&page=2") {
		t.Errorf("location of page 2 %q", got)
	}
	s.expectRows("page 2", store.UserQuery{Sort: store.SortTotalCost, Desc: true, Offset: 25})
	if got, want := s.text(".pager-status"), "Showing 26–50 of 52 users · page 2 of 3"; got != want {
		t.Errorf("pager %q, want %q", got, want)
	}

	// A time range preset and the state in the URL: reloading the URL gives the same view.
	s.open("/?range=7d&sort=-run_count&limit=10")
	first := s.rows()
	s.expectRows("7 days", store.UserQuery{Start: testNow.Add(-7 * 24 * time.Hour), Sort: store.SortRunCount, Desc: true, Limit: 10})
	s.navigate(chromedp.Reload())
	if got := s.rows(); !slices.Equal(got, first) {
		t.Errorf("reloaded view differs: %v vs %v", got, first)
	}
	// The custom date inputs are hidden unless the range is custom.
	if hidden := eval[bool](s, `document.querySelector("[data-custom]").hidden`); !hidden {
		t.Error("custom date inputs shown for a preset range")
	}
}

func TestBrowserUserDetail(t *testing.T) {
	s := newBrowserSession(t)
	top := s.list(store.UserQuery{Sort: store.SortTotalCost, Desc: true, Limit: 1}).Users[0]

	// Open the most expensive user from the list.
	s.open("/?sort=-total_cost")
	s.navigate(chromedp.Click(chromedp.CSS("table.users tbody tr:first-child a.uid")))
	if got, want := s.location(), userPath(top.UserID); got != want {
		t.Errorf("location %q, want %q", got, want)
	}
	d, err := s.store.GetUser(context.Background(), top.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.text("h1.user-id"); got != top.UserID {
		t.Errorf("heading %q", got)
	}

	// Cards.
	now := testNow.UnixNano()
	for sel, want := range map[string]string{
		"#card-runs":     formatInt(d.Summary.RunCount),
		"#card-cost":     formatUSD(d.Summary.TotalCost),
		"#card-tokens":   formatInt(d.Summary.TotalTokens),
		"#card-duration": formatDuration(d.Summary.TotalDuration),
		"#card-first":    formatRelative(d.Summary.FirstSeen, now) + " " + formatUTC(d.Summary.FirstSeen),
		"#card-last":     formatRelative(d.Summary.LastSeen, now) + " " + formatUTC(d.Summary.LastSeen),
	} {
		if got := s.text(sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if got := eval[string](s, `document.querySelector("#card-last time").title`); got != formatUTC(d.Summary.LastSeen) {
		t.Errorf("last seen tooltip %q", got)
	}

	// Cost by model.
	var models [][]string
	for _, m := range d.CostByModel {
		models = append(models, []string{m.Model, formatUSD(m.TotalCost), formatInt(m.TotalTokens), formatInt(m.CallCount),
			formatPercent(m.TotalCost, d.Summary.TotalCost)})
	}
	if got := s.table("#models"); !slices.EqualFunc(got, models, slices.Equal) {
		t.Errorf("models %q, want %q", got, models)
	}

	// Recent runs: the last 50, newest first; sessions are links.
	var runs [][]string
	sessions := 0
	for _, r := range d.Runs {
		status, session := "success", "—"
		if r.Error {
			status = "error"
		}
		if r.SessionID != "" {
			session = r.SessionID
			sessions++
		}
		runs = append(runs, []string{r.AgentName, r.WorkflowName, formatRelative(r.Start, now), formatDuration(r.End - r.Start),
			status, formatUSD(r.CostNanos), formatInt(r.Tokens), session})
	}
	if len(runs) != min(int(d.Summary.RunCount), store.RecentRuns) {
		t.Errorf("store gave %d runs", len(runs))
	}
	if got := s.table("#runs"); !slices.EqualFunc(got, runs, slices.Equal) {
		t.Errorf("runs %q, want %q", got, runs)
	}
	if got := eval[int](s, `document.querySelectorAll('#runs a[href^="/sessions/"]').length`); got != sessions {
		t.Errorf("session links %d, want %d", got, sessions)
	}

	// The most expensive sessions, as the store sorts them.
	top10, err := s.store.ListSessions(context.Background(), store.SessionQuery{UserID: top.UserID, Sort: store.SortTotalCost,
		Desc: true, Limit: topSessions})
	if err != nil {
		t.Fatal(err)
	}
	var sessionRows [][]string
	for _, x := range top10.Sessions {
		sessionRows = append(sessionRows, []string{x.SessionID, formatInt(x.RunCount), formatUSD(x.TotalCost),
			formatInt(x.TotalTokens), formatRelative(x.LastSeen, now), strings.Join(x.Agents, ", ")})
	}
	if got := s.table("#sessions"); len(sessionRows) == 0 || !slices.EqualFunc(got, sessionRows, slices.Equal) {
		t.Errorf("sessions %q, want %q", got, sessionRows)
	}

	// The chart: one bar per day with cost in the last 30 days.
	win := chartWindowFor(timeRange{Kind: range30d}, testNow, d.Summary.FirstSeen, d.Summary.LastSeen)
	points, err := s.store.UserTimeseries(context.Background(), store.TimeseriesQuery{UserID: top.UserID, Start: win.Start, End: win.End, Bucket: store.BucketDay})
	if err != nil {
		t.Fatal(err)
	}
	days := 0
	for _, p := range points {
		if p.TotalCost > 0 {
			days++
		}
	}
	if got := eval[int](s, `document.querySelectorAll("figure svg .bars rect").length`); got != days || days == 0 {
		t.Errorf("bars %d, want %d (non-zero)", got, days)
	}
	if got := eval[string](s, `document.querySelector("figure svg").getAttribute("role")`); got != "img" {
		t.Errorf("chart role %q", got)
	}

	// Change the chart range with the select (the form submits itself).
	s.choose("d-range", "7d")
	if got := s.location(); got != userPath(top.UserID)+"?range=7d" {
		t.Errorf("location %q", got)
	}
	if got := eval[int](s, `document.querySelectorAll("figure table tbody tr").length`); got != 7 {
		t.Errorf("7-day chart has %d rows", got)
	}
}

// TestBrowserSession: a run's session link on a user's page opens the
// session's page, whose cards and runs (oldest first) are the store's, and
// whose users link back to their pages.
func TestBrowserSession(t *testing.T) {
	s := newBrowserSession(t)
	top := s.list(store.UserQuery{Sort: store.SortTotalCost, Desc: true, Limit: 1}).Users[0]
	s.open(userPath(top.UserID))
	href := eval[string](s, `document.querySelector('#runs a[href^="/sessions/"]').getAttribute("href")`)
	id := eval[string](s, `document.querySelector('#runs a[href^="/sessions/"]').textContent`)
	s.navigate(chromedp.Click(chromedp.CSS(`#runs a[href^="/sessions/"]`)))
	if got := s.location(); got != href || href != sessionPath(id) {
		t.Errorf("location %q, link %q, want %q", got, href, sessionPath(id))
	}
	d, err := s.store.GetSession(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.text("h1.user-id"); got != id {
		t.Errorf("heading %q, want %q", got, id)
	}
	for sel, want := range map[string]string{
		"#card-runs":     formatInt(d.Summary.RunCount),
		"#card-cost":     formatUSD(d.Summary.TotalCost),
		"#card-tokens":   formatInt(d.Summary.TotalTokens),
		"#card-duration": formatDuration(d.Summary.TotalDuration),
	} {
		if got := s.text(sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	now := testNow.UnixNano()
	var runs [][]string
	for _, r := range d.Runs {
		status := "success"
		if r.Error {
			status = "error"
		}
		runs = append(runs, []string{formatRelative(r.Start, now), r.UserID, r.AgentName, r.WorkflowName,
			formatDuration(r.End - r.Start), status, formatUSD(r.CostNanos), formatInt(r.Tokens)})
	}
	if got := s.table("#runs"); len(runs) == 0 || !slices.EqualFunc(got, runs, slices.Equal) {
		t.Errorf("runs %q, want %q", got, runs)
	}
	// The first run's page: its calls as the store has them.
	s.navigate(chromedp.Click(chromedp.CSS(`#runs tbody tr:first-child td.when a`)))
	if got := s.location(); got != runPath(d.Runs[0].ID) {
		t.Fatalf("run link: location %q, want %q", got, runPath(d.Runs[0].ID))
	}
	run, err := s.store.GetRun(context.Background(), d.Runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var calls [][]string
	for _, c := range run.Calls {
		source := c.CostSource
		calls = append(calls, []string{formatRelative(c.Start, now), c.Model, c.Provider, formatInt(c.Tokens.Input),
			formatInt(c.Tokens.CachedInput), formatInt(c.Tokens.CacheWrite), formatInt(c.Tokens.Output),
			formatInt(c.Tokens.Reasoning), formatUSD(c.CostNanos), source})
	}
	if got := s.table("#calls"); len(calls) == 0 || !slices.EqualFunc(got, calls, slices.Equal) {
		t.Errorf("calls %q, want %q", got, calls)
	}
	if got := s.text("#card-cost"); got != formatUSD(run.CostNanos) {
		t.Errorf("run cost %q, want %q", got, formatUSD(run.CostNanos))
	}
	s.navigate(chromedp.Click(chromedp.CSS(`#run-context a[href^="/sessions/"]`)))
	if got := s.location(); got != sessionPath(id) {
		t.Errorf("back to the session: location %q", got)
	}
	s.navigate(chromedp.Click(chromedp.CSS(`#session-users a[title=` + jsString("User "+top.UserID) + `]`)))
	if got := s.location(); got != userPath(top.UserID) {
		t.Errorf("back to the user: location %q", got)
	}
}

// TestBrowserRunsList: from the user with the most runs, whose page shows
// the last 50, "All N runs" opens the runs list; Next pages to the end and
// Previous back to the start, every page the store's runs in order, with
// the pager saying where it is; the toggle lists them oldest first. The
// filter form, from page 2: an agent, then a preset range, then a custom
// day, each the store's runs of those filters from page 1, kept by Next
// and the toggle and exported by Export CSV.
func TestBrowserRunsList(t *testing.T) {
	s := newBrowserSession(t)
	heavy := s.list(store.UserQuery{Sort: store.SortRunCount, Desc: true, Limit: 1}).Users[0]
	if heavy.RunCount <= store.RecentRuns {
		t.Fatalf("the heaviest user has %d runs, no more than a user's page shows; the test data is wrong", heavy.RunCount)
	}
	// The store's runs of the user (and the filters of q), a page at a
	// time, as the list should show them.
	storeRuns := func(q store.RunQuery) [][][]string {
		t.Helper()
		q.UserID = heavy.UserID
		all, err := s.store.ListRuns(context.Background(), q)
		if err != nil || len(all.Runs) != int(all.Count) || all.Count == 0 {
			t.Fatalf("store: %d runs of %d, %v for %+v; the test data must have some", len(all.Runs), all.Count, err, q)
		}
		var pages [][][]string
		for i, r := range all.Runs {
			if i%runsPerPage == 0 {
				pages = append(pages, nil)
			}
			status, session := "success", "—"
			if r.Error {
				status = "error"
			}
			if r.SessionID != "" {
				session = r.SessionID
			}
			pages[len(pages)-1] = append(pages[len(pages)-1], []string{formatRelative(r.Start, testNow.UnixNano()), r.UserID,
				r.AgentName, r.WorkflowName, formatDuration(r.End - r.Start), status, formatUSD(r.CostNanos), formatInt(r.Tokens), session})
		}
		return pages
	}
	storePages := func(desc bool) [][][]string {
		t.Helper()
		pages := storeRuns(store.RunQuery{Desc: desc})
		if n := (len(pages)-1)*runsPerPage + len(pages[len(pages)-1]); n != int(heavy.RunCount) {
			t.Fatalf("store: %d runs; the user has %d", n, heavy.RunCount)
		}
		return pages
	}
	newest := storePages(true)
	check := func(pages [][][]string, i int, how string) {
		t.Helper()
		if got := s.table("#runs"); !slices.EqualFunc(got, pages[i], slices.Equal) {
			t.Errorf("page %d (%s): rows %q, want the store's %q", i+1, how, got, pages[i])
		}
		from := i*runsPerPage + 1
		count := (len(pages)-1)*runsPerPage + len(pages[len(pages)-1])
		want := fmt.Sprintf("Showing %d–%d of %d runs · page %d of %d", from, from+len(pages[i])-1, count, i+1, len(pages))
		if got := s.text(".pager-status"); got != want {
			t.Errorf("page %d (%s): pager %q, want %q", i+1, how, got, want)
		}
	}

	s.open(userPath(heavy.UserID))
	if got, want := s.text("#all-runs"), "All "+formatInt(heavy.RunCount)+" runs →"; got != want {
		t.Errorf("link %q, want %q", got, want)
	}
	s.navigate(chromedp.Click(chromedp.CSS("#all-runs")))
	if got := s.location(); got != runsURL(heavy.UserID, "") {
		t.Errorf("location %q, want %q", got, runsURL(heavy.UserID, ""))
	}
	if got := s.text("#runs-heading"); got != "Runs of user "+heavy.UserID {
		t.Errorf("heading %q", got)
	}
	check(newest, 0, "first")
	for i := 1; i < len(newest); i++ {
		s.navigate(chromedp.Click(chromedp.CSS(`a[rel="next"]`)))
		check(newest, i, "next")
	}
	if n := eval[int](s, `document.querySelectorAll('a[rel="next"]').length`); n != 0 {
		t.Errorf("the last page has %d Next links", n)
	}
	for i := len(newest) - 2; i >= 0; i-- {
		s.navigate(chromedp.Click(chromedp.CSS(`a[rel="prev"]`)))
		check(newest, i, "previous")
	}
	if n := eval[int](s, `document.querySelectorAll('a[rel="prev"], a[rel="first"]').length`); n != 0 {
		t.Errorf("the first page has %d Previous/First links", n)
	}

	// Oldest first, and Next from there.
	oldest := storePages(false)
	s.navigate(chromedp.Click(chromedp.CSS(`#runs-order a`)))
	check(oldest, 0, "oldest first")
	s.navigate(chromedp.Click(chromedp.CSS(`a[rel="next"]`)))
	check(oldest, 1, "oldest first, next")
	// The heading's user link leads back to the user's page.
	s.navigate(chromedp.Click(chromedp.CSS(`#runs-user`)))
	if got := s.location(); got != userPath(heavy.UserID) {
		t.Errorf("back to the user: location %q", got)
	}

	// The filters. The user's agent with the most runs, and a day on which
	// the user ran it (the day of its third newest run).
	agent, most := "", 0
	for _, a := range heavy.Agents {
		p, err := s.store.ListRuns(context.Background(), store.RunQuery{UserID: heavy.UserID, Agent: a, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if int(p.Count) > most {
			agent, most = a, int(p.Count)
		}
	}
	recent, err := s.store.ListRuns(context.Background(), store.RunQuery{UserID: heavy.UserID, Agent: agent, Desc: true, Limit: 3})
	if err != nil || len(recent.Runs) < 3 {
		t.Fatalf("the agent %s has %d runs of the user, %v", agent, len(recent.Runs), err)
	}
	day := time.Unix(0, recent.Runs[2].Start).UTC().Truncate(24 * time.Hour)
	date := day.Format(time.DateOnly)
	base := "/runs/?user_id=" + url.QueryEscape(heavy.UserID)
	// From page 2, pick the agent: its runs from page 1 (paging reset).
	s.open(runsURL(heavy.UserID, ""))
	s.navigate(chromedp.Click(chromedp.CSS(`a[rel="next"]`)))
	s.choose("r-agent", agent)
	if got, want := s.location(), base+"&agent="+url.QueryEscape(agent); got != want {
		t.Errorf("location after the agent %q, want %q", got, want)
	}
	byAgent := storeRuns(store.RunQuery{Agent: agent, Desc: true})
	if len(byAgent) < 2 || (len(byAgent)-1)*runsPerPage+len(byAgent[len(byAgent)-1]) >= int(heavy.RunCount) {
		t.Fatalf("the agent %s has %d pages of the user's runs; the case does not filter or page", agent, len(byAgent))
	}
	check(byAgent, 0, "agent")
	if got, want := s.text("#runs-count"), formatInt(int64(most))+" runs · agent "+agent; got != want {
		t.Errorf("count %q, want %q", got, want)
	}
	s.navigate(chromedp.Click(chromedp.CSS(`a[rel="next"]`)))
	check(byAgent, 1, "agent, next")
	s.navigate(chromedp.Click(chromedp.CSS(`#runs-order a`)))
	check(storeRuns(store.RunQuery{Agent: agent}), 0, "agent, oldest first")
	// A preset range keeps the agent and the order.
	s.choose("r-range", range7d)
	if got, want := s.location(), base+"&sort=started_at&agent="+url.QueryEscape(agent)+"&range=7d"; got != want {
		t.Errorf("location after the range %q, want %q", got, want)
	}
	check(storeRuns(store.RunQuery{Agent: agent, Start: testNow.Add(-7 * 24 * time.Hour)}), 0, "agent, 7 days")
	// A custom day: choosing "Custom…" shows the dates (it does not
	// submit); Apply submits them.
	s.do(selectValue("r-range", rangeCustom), chromedp.WaitVisible(chromedp.CSS("#r-start")))
	s.do(chromedp.SetValue(chromedp.CSS("#r-start"), date), chromedp.SetValue(chromedp.CSS("#r-end"), date))
	s.navigate(chromedp.Click(chromedp.CSS(`.filters button[type="submit"]`)))
	if got, want := s.location(), base+"&sort=started_at&agent="+url.QueryEscape(agent)+"&range=custom&start="+date+"&end="+date; got != want {
		t.Errorf("location after the custom day %q, want %q", got, want)
	}
	oneDay := storeRuns(store.RunQuery{Agent: agent, Start: day, End: day.Add(24 * time.Hour)})
	check(oneDay, 0, "agent, one day")
	runs := fmt.Sprintf("%d runs", len(oneDay[0]))
	if len(oneDay[0]) == 1 {
		runs = "1 run"
	}
	if got, want := s.text("#runs-count"), runs+" · agent "+agent+" · "+date+" to "+date; got != want {
		t.Errorf("count %q, want %q", got, want)
	}
	// Export CSV: the same runs, through the REST API.
	res, err := http.Get(s.srv.URL + eval[string](s, `document.getElementById("export-csv").getAttribute("href")`))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(res.Body).ReadAll()
	_ = res.Body.Close()
	shown := eval[[]string](s, `Array.from(document.querySelectorAll("#runs td.when a"), a => a.getAttribute("href").slice("/runs/".length))`)
	var exported []string
	for _, r := range rows[min(1, len(rows)):] {
		exported = append(exported, r[0])
	}
	if err != nil || res.StatusCode != http.StatusOK || !slices.Equal(exported, shown) || len(shown) != len(oneDay[0]) {
		t.Errorf("export: status %d, %v, runs %v; the page shows %v", res.StatusCode, err, exported, shown)
	}
	// Clear: every run of the user again, oldest first.
	s.navigate(chromedp.Click(chromedp.CSS("#runs-clear")))
	check(storePages(false), 0, "cleared")
}

func TestBrowserXSS(t *testing.T) {
	s := newBrowserSession(t)
	for _, id := range hostile[:2] {
		// Find the user by searching for a fragment of the id, open it.
		s.open("/?search=" + url.QueryEscape(id[:8]))
		if got := s.rows(); !slices.Contains(got, id) {
			t.Fatalf("search for %q: rows %v", id[:8], got)
		}
		s.navigate(chromedp.Click(chromedp.CSS(`a.uid[title=` + jsString(id) + `]`)))
		if got := s.text("h1.user-id"); got != id {
			t.Errorf("heading %q, want the literal %q", got, id)
		}
		// No element came from the id: no <img>, no inline <script>.
		if n := eval[int](s, `document.querySelectorAll("img:not(.brand img), script:not([src])").length`); n != 0 {
			t.Errorf("%q: %d injected elements", id, n)
		}
		// The agent name (markup too) shows as text in the runs table.
		if got := s.table("#runs")[0][0]; got != hostile[1-slices.Index(hostile, id)] {
			t.Errorf("agent cell %q", got)
		}
	}
	// The list with both users and the markup agents in the select.
	s.open("/")
	if n := eval[int](s, `Array.from(document.querySelectorAll("#f-agent option")).filter(o => o.value === `+jsString(hostile[0])+`).length`); n != 1 {
		t.Errorf("hostile agent option count %d", n)
	}
	if n := eval[int](s, `document.querySelectorAll("img:not(.brand img), script:not([src])").length`); n != 0 {
		t.Errorf("list: %d injected elements", n)
	}
	// Their session's page names them as text.
	s.open(sessionPath("sess-x"))
	if n := eval[int](s, `document.querySelectorAll("img:not(.brand img), script:not([src])").length`); n != 0 {
		t.Errorf("session: %d injected elements", n)
	}
	users := eval[[]string](s, `Array.from(document.querySelectorAll("#session-users a")).map(a => a.textContent)`)
	if want := slices.Sorted(slices.Values(hostile[:2])); !slices.Equal(users, want) {
		t.Errorf("session users %q, want %q", users, want)
	}
	// The overview lists them among its top users, as text.
	s.open("/overview?range=all")
	if n := eval[int](s, `document.querySelectorAll("img:not(.brand img), script:not([src])").length`); n != 0 {
		t.Errorf("overview: %d injected elements", n)
	}
}

func TestBrowserWithoutJavaScript(t *testing.T) {
	s := newBrowserSession(t)
	s.open("/")
	if _, err := chromedp.Call(s.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	s.open("/?sort=-total_cost")
	// Without the script the custom dates are visible, and the form works
	// with its Apply button.
	s.do(chromedp.WaitVisible(chromedp.CSS("#f-start")))
	s.do(chromedp.SendKeys(chromedp.CSS("#f-search"), "user-2"))
	s.do(chromedp.SetValue(chromedp.CSS("#f-agent"), "search-agent"))
	s.navigate(chromedp.Click(chromedp.CSS(`.filters button[type="submit"]`)))
	u, err := url.Parse(s.location())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("search") != "user-2" || q.Get("agent") != "search-agent" || q.Get("sort") != "-total_cost" || q.Get("range") != "all" {
		t.Errorf("query %q", u.RawQuery)
	}
	s.expectRows("no-JS filter", store.UserQuery{Search: "user-2", Agent: "search-agent", Sort: store.SortTotalCost, Desc: true})
}

// apiPages are the user ids of every page of the REST API's users list
// for query, followed by next_cursor, and the count.
func (s *browserSession) apiPages(query string) (pages [][]string, count int64) {
	s.t.Helper()
	cursor := ""
	for {
		target := s.srv.URL + "/api/v1/observability/users/?" + query
		if cursor != "" {
			target += "&cursor=" + url.QueryEscape(cursor)
		}
		res, err := http.Get(target)
		if err != nil {
			s.t.Fatal(err)
		}
		var body struct {
			Results []struct {
				UserID string `json:"user_id"`
			} `json:"results"`
			Count      int64   `json:"count"`
			NextCursor *string `json:"next_cursor"`
		}
		err = json.NewDecoder(res.Body).Decode(&body)
		_ = res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			s.t.Fatalf("%s: status %d, %v", target, res.StatusCode, err)
		}
		var ids []string
		for _, r := range body.Results {
			ids = append(ids, r.UserID)
		}
		pages, count = append(pages, ids), body.Count
		if body.NextCursor == nil {
			return pages, count
		}
		cursor = *body.NextCursor
	}
}

// TestBrowserCursorPaging pages through whole lists by the Next link (by
// mouse, and by keyboard on the first step) and back by the Previous link,
// checks every page against the REST API's pages (followed by
// next_cursor), and opens each page's URL afresh, as a bookmark, to see
// the same view. The cases cover a sort with many ties (runs), a filtered
// list and a list that is not a whole number of pages.
func TestBrowserCursorPaging(t *testing.T) {
	s := newBrowserSession(t)
	start := testNow.Add(-30 * 24 * time.Hour).Format(time.RFC3339)
	for _, tc := range []struct{ ui, api string }{
		{"/?sort=-total_cost&limit=10", "sort=-total_cost&limit=10"},
		{"/?sort=run_count&limit=7", "sort=run_count&limit=7"},
		{"/?agent=chat-agent&range=30d&limit=5", "agent=chat-agent&start=" + url.QueryEscape(start) + "&sort=-last_seen&limit=5"},
	} {
		want, count := s.apiPages(tc.api)
		if len(want) < 3 {
			t.Fatalf("%s: the API has %d pages; the case does not page", tc.api, len(want))
		}
		s.open(tc.ui)
		s.do(chromedp.WaitVisible(chromedp.CSS("table.users")))
		var locations, statuses []string
		check := func(i int, how string) {
			t.Helper()
			if got := s.rows(); !slices.Equal(got, want[i]) {
				t.Errorf("%s page %d (%s): rows %v, want the API's %v", tc.ui, i+1, how, got, want[i])
			}
			if got := s.text(".pager-status"); !strings.Contains(got, " of "+formatInt(count)+" users · page "+strconv.Itoa(i+1)+" of "+strconv.Itoa(len(want))) {
				t.Errorf("%s page %d (%s): pager %q", tc.ui, i+1, how, got)
			}
		}
		for i := range want {
			check(i, "next")
			locations, statuses = append(locations, s.location()), append(statuses, s.text(".pager-status"))
			if i == len(want)-1 {
				break
			}
			if i == 0 {
				s.navigate(chromedp.Focus(chromedp.CSS(`a[rel="next"]`)), chromedp.KeyEvent("\r"))
			} else {
				s.navigate(chromedp.Click(chromedp.CSS(`a[rel="next"]`)))
			}
		}
		if n := eval[int](s, `document.querySelectorAll('a[rel="next"], a[rel="last"]').length`); n != 0 {
			t.Errorf("%s: the last page has %d next/last links", tc.ui, n)
		}
		for i := len(want) - 2; i >= 0; i-- {
			s.navigate(chromedp.Click(chromedp.CSS(`a[rel="prev"]`)))
			check(i, "previous")
		}
		if n := eval[int](s, `document.querySelectorAll('a[rel="prev"], a[rel="first"]').length`); n != 0 {
			t.Errorf("%s: the first page has %d previous/first links", tc.ui, n)
		}
		// Bookmarks: each page's URL opened afresh shows the same view.
		for i, loc := range locations {
			s.open(loc)
			check(i, "bookmark")
			if got := s.text(".pager-status"); got != statuses[i] {
				t.Errorf("%s: bookmark %s shows %q, want %q", tc.ui, loc, got, statuses[i])
			}
		}
		// Last jumps to the last page.
		s.open(tc.ui)
		s.navigate(chromedp.Click(chromedp.CSS(`a[rel="last"]`)))
		check(len(want)-1, "last")
	}
}

// TestBrowserHighUsage: the users the list marks "High usage" are exactly
// those the REST API flags high_usage, the mark is visible, and a marked
// user's page says why while an unmarked user's page does not.
func TestBrowserHighUsage(t *testing.T) {
	s := newBrowserSession(t)
	res, err := http.Get(s.srv.URL + "/api/v1/observability/users/?sort=-run_count&limit=100")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Results []struct {
			UserID string   `json:"user_id"`
			Flags  []string `json:"flags"`
		} `json:"results"`
		Count int64 `json:"count"`
	}
	err = json.NewDecoder(res.Body).Decode(&body)
	_ = res.Body.Close()
	if err != nil || body.Count > 100 {
		t.Fatalf("the API's list: %v (count %d, one page expected)", err, body.Count)
	}
	var flagged, plain []string
	for _, u := range body.Results {
		if slices.Contains(u.Flags, flags.HighUsage) {
			flagged = append(flagged, u.UserID)
		} else {
			plain = append(plain, u.UserID)
		}
	}
	if len(flagged) == 0 || len(plain) == 0 {
		t.Fatalf("the test data must have flagged and unflagged users: %d and %d", len(flagged), len(plain))
	}

	s.open("/?sort=-run_count&limit=100")
	marked := eval[[]string](s, `Array.from(document.querySelectorAll("th.col-user"))
		.filter(th => { const f = th.querySelector(".flag"); return f && f.offsetWidth > 0 && f.textContent === "High usage"; })
		.map(th => th.querySelector("a.uid").title)`)
	if !slices.Equal(marked, flagged) {
		t.Errorf("marked %v, the API flags %v", marked, flagged)
	}

	// The usage select submits the filter by itself: the flagged users
	// alone, in the list's order.
	s.choose("f-flag", "high_usage")
	if got := s.location(); got != "/?flag=high_usage&limit=100&sort=-run_count" {
		t.Errorf("location after the usage filter %q", got)
	}
	if got := s.rows(); !slices.Equal(got, flagged) {
		t.Errorf("filtered rows %v, the API flags %v", got, flagged)
	}

	s.open(userURL(flagged[0], timeRange{}))
	if got := s.text("#flag-note"); !strings.HasPrefix(got, "High usage ") || !strings.Contains(got, "where a typical user has") {
		t.Errorf("%s's flag note: %q", flagged[0], got)
	}
	s.open(userURL(plain[0], timeRange{}))
	if n := eval[int](s, `document.querySelectorAll("#flag-note").length`); n != 0 {
		t.Errorf("%s's page has a flag note", plain[0])
	}
}

// TestBrowserOverview reaches the overview from the navigation, chooses a
// range with its select, and checks the page against the REST API's
// overview of the same range: totals, top users and anomalies.
func TestBrowserOverview(t *testing.T) {
	s := newBrowserSession(t)
	s.open("/")
	s.navigate(chromedp.Click(chromedp.CSS(`nav a[href="/overview"]`)))
	if got := s.location(); got != "/overview" {
		t.Fatalf("location %q after the navigation link", got)
	}
	s.choose("o-range", "all")
	if got := s.location(); got != "/overview?range=all" {
		t.Errorf("location after the range %q", got)
	}

	res, err := http.Get(s.srv.URL + "/api/v1/observability/overview/")
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Totals struct {
			RunCount int64 `json:"run_count"`
		} `json:"totals"`
		UniqueUsers int64 `json:"unique_users"`
		TopUsers    []struct {
			UserID string `json:"user_id"`
		} `json:"top_users"`
		Anomalies []struct {
			UserID string `json:"user_id"`
			Metric string `json:"metric"`
		} `json:"anomalies"`
	}
	err = json.NewDecoder(res.Body).Decode(&o)
	_ = res.Body.Close()
	if err != nil || len(o.Anomalies) == 0 {
		t.Fatalf("the API's overview: %v, %d anomalies (the test data must have some)", err, len(o.Anomalies))
	}
	if got, want := s.text("#card-runs"), formatInt(o.Totals.RunCount); got != want {
		t.Errorf("runs card %q, the API says %s", got, want)
	}
	if got, want := s.text("#card-users"), formatInt(o.UniqueUsers); got != want {
		t.Errorf("users card %q, the API says %s", got, want)
	}
	var top, anomalies []string
	for _, u := range o.TopUsers {
		top = append(top, u.UserID)
	}
	for _, a := range o.Anomalies {
		label := map[string]string{"run_count": "Runs", "total_tokens": "Tokens"}[a.Metric]
		anomalies = append(anomalies, a.UserID+" "+label)
	}
	if got := eval[[]string](s, `Array.from(document.querySelectorAll("#top-users a.uid"), a => a.title)`); !slices.Equal(got, top) {
		t.Errorf("top users %v, the API's %v", got, top)
	}
	got := eval[[]string](s, `Array.from(document.querySelectorAll("#anomalies tbody tr"),
		tr => tr.querySelector("a.uid").title + " " + tr.cells[1].textContent)`)
	if !slices.Equal(got, anomalies) {
		t.Errorf("anomalies %v, the API's %v", got, anomalies)
	}
}
