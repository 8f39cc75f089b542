package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/ui/internal/demo"
)

// fixtureRun is a run the runs fixture stores: its user, session, agent
// and start.
type fixtureRun struct {
	user, session, agent string
	start                time.Time
}

// runsFixture is a store with hana's 60 runs (in threes with the same
// start, so that the list has ties), from testNow (2026-02-07 15:04 UTC)
// back by the hour to 2026-02-06 20:04, 48 of them on 2026-02-07 and 12
// on 2026-02-06; 31 of them in the session "s/a", 20 in "s-b" and 9 in
// none; every fifth (the 1st, 6th, … 56th: 12 runs, 2 of them on
// 2026-02-06) of the agent search-agent, the rest of chat-agent. ivan's 5
// runs in "s/a" (the 1st and 4th of search-agent); kai's 3 runs; and
// lena's 40 runs, 23 hours apart from testNow back, alternately of
// chat-agent and search-agent (2 in the last 24 hours, 8 in 7 days, 32 in
// 30 days).
func runsFixture(t testing.TB) (Reader, []fixtureRun) {
	t.Helper()
	b := demo.NewBuilder(70)
	var spans []genai.Span
	var runs []fixtureRun
	add := func(user, session, agent string, start time.Time) {
		runs = append(runs, fixtureRun{user, session, agent, start})
		spans = append(spans, b.Spans(demo.Run{UserID: user, SessionID: session, Agent: agent, Workflow: "answer",
			Start: start, Duration: time.Duration(len(runs)) * time.Second, Error: len(runs)%7 == 0,
			Calls: []demo.Call{{Model: "gpt-4o", Input: 100, Output: int64(len(runs)), CostNanos: int64(len(runs)) * 1_000_000}}})...)
	}
	agent := func(i, every int) string {
		if i%every == 0 {
			return "search-agent"
		}
		return "chat-agent"
	}
	for i := range 60 {
		session := "s/a"
		switch {
		case i >= 31 && i < 51:
			session = "s-b"
		case i >= 51:
			session = ""
		}
		add("hana", session, agent(i, 5), testNow.Add(-time.Duration(i/3)*time.Hour))
	}
	for i := range 5 {
		add("ivan", "s/a", agent(i, 3), testNow.Add(-time.Duration(i)*time.Hour-time.Minute))
	}
	for i := range 3 {
		add("kai", "", "chat-agent", testNow.Add(-time.Duration(i)*time.Hour))
	}
	for i := range 40 {
		add("lena", "", agent(i+1, 2), testNow.Add(-time.Duration(i)*23*time.Hour))
	}
	return openStore(t, spans), runs
}

// matches reports whether the fixture's run is one of q's (its user,
// session, agent and range).
func (run fixtureRun) matches(q store.RunQuery) bool {
	return (q.UserID == "" || run.user == q.UserID) && (q.SessionID == "" || run.session == q.SessionID) &&
		(q.Agent == "" || run.agent == q.Agent) && (q.Start.IsZero() || !run.start.Before(q.Start)) &&
		(q.End.IsZero() || run.start.Before(q.End))
}

// runsPageRow is a row of a runs table: the run's id, user, session and
// agent.
type runsPageRow struct {
	id                   int64
	user, session, agent string
}

// runRowsOf reads the rows of the runs table of a page.
func runRowsOf(t *testing.T, doc *html.Node) []runsPageRow {
	t.Helper()
	var out []runsPageRow
	for _, tr := range findAll(find(find(doc, byID("runs")), byTag("tbody")), byTag("tr")) {
		cells := findAll(tr, byTag("td"))
		id, err := strconv.ParseInt(strings.TrimPrefix(attr(find(cells[0], byTag("a")), "href"), "/runs/"), 10, 64)
		if err != nil || len(cells) != 9 {
			t.Fatalf("a row of %d cells, run link %q", len(cells), attr(find(cells[0], byTag("a")), "href"))
		}
		// The links' titles have the ids as they are (text collapses spaces).
		user := strings.TrimPrefix(attr(find(cells[1], byTag("a")), "title"), "User ")
		session := strings.TrimPrefix(attr(find(cells[8], byTag("a")), "title"), "Session ")
		agent := attr(find(cells[2], byTag("span")), "title")
		out = append(out, runsPageRow{id: id, user: user, session: session, agent: agent})
	}
	return out
}

// servedRuns serves target from a handler reading r through a recorder,
// checks that the page read the store as one page should (one ListRuns of
// a page and a row by keyset, two for a Previous link with less than a
// page before its cursor, and the agents of the filter once) and returns
// the page.
func servedRuns(t *testing.T, r Reader, target string) (response, *html.Node) {
	t.Helper()
	rec := &recordingReader{Reader: r}
	res := get(t, newTestHandler(rec), target)
	if res.status != http.StatusOK {
		t.Fatalf("%s: status %d", target, res.status)
	}
	agents := slices.DeleteFunc(slices.Clone(rec.reads), func(s string) bool { return s != "ListAgents" })
	runs := slices.DeleteFunc(slices.Clone(rec.reads), func(s string) bool { return s != "ListRuns" })
	if n := len(runs); n < 1 || n > 2 || (n == 2 && !strings.Contains(target, "before=")) ||
		len(agents) != 1 || len(agents)+len(runs) != len(rec.reads) {
		t.Errorf("%s: reads %v", target, rec.reads)
	}
	for _, q := range rec.runQs {
		if q.Limit != runsPerPage+1 || q.Offset != 0 {
			t.Errorf("%s: a read of %d rows at offset %d", target, q.Limit, q.Offset)
		}
	}
	return res, parseHTML(t, res.body)
}

// TestRunsList: the runs list of a user, of a session and of both, with
// or without an agent and a time range, shows exactly the store's runs
// for the same filters (as many as the fixture is known to have), 25 a
// page, in both orders; walking Next to the end and Previous back visits
// every run once, each page read from the store once, every link keeping
// the filters; the heading, pager, order toggle and export link say where
// the page is.
func TestRunsList(t *testing.T) {
	r, runs := runsFixture(t)
	feb6 := time.Date(2026, 2, 6, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		user, session string
		filter        string         // the filters' parameters, as canonical URLs write them
		q             store.RunQuery // the same filters for the store
		count         int            // the fixture's runs of the list (runsFixture's comment)
		heading, lede string
	}{
		{"user", "hana", "", "", store.RunQuery{}, 60, "Runs of user hana", "60 runs"},
		{"session", "", "s/a", "", store.RunQuery{}, 36, "Runs of session s/a", "36 runs"},
		{"user in session", "hana", "s/a", "", store.RunQuery{}, 31, "Runs of user hana in session s/a", "31 runs"},
		{"short list", "kai", "", "", store.RunQuery{}, 3, "Runs of user kai", "3 runs"},
		{"agent", "hana", "", "agent=search-agent", store.RunQuery{Agent: "search-agent"}, 12,
			"Runs of user hana", "12 runs · agent search-agent"},
		{"other agent", "hana", "", "agent=chat-agent", store.RunQuery{Agent: "chat-agent"}, 48,
			"Runs of user hana", "48 runs · agent chat-agent"},
		{"yesterday", "hana", "", "range=custom&start=2026-02-06&end=2026-02-06",
			store.RunQuery{Start: feb6, End: feb6.Add(24 * time.Hour)}, 12, "Runs of user hana", "12 runs · 2026-02-06 to 2026-02-06"},
		{"agent yesterday", "hana", "", "agent=search-agent&range=custom&start=2026-02-06&end=2026-02-06",
			store.RunQuery{Agent: "search-agent", Start: feb6, End: feb6.Add(24 * time.Hour)}, 2,
			"Runs of user hana", "2 runs · agent search-agent · 2026-02-06 to 2026-02-06"},
		{"today to the hour", "hana", "", "range=custom&start=2026-02-07T00%3A00%3A00Z&end=2026-02-07T15%3A04%3A00Z",
			store.RunQuery{Start: feb6.Add(24 * time.Hour), End: testNow}, 45, "Runs of user hana",
			"45 runs · 2026-02-07 00:00 UTC to 2026-02-07 15:04 UTC"},
		{"30 days", "lena", "", "range=30d", store.RunQuery{Start: testNow.Add(-30 * 24 * time.Hour)}, 32,
			"Runs of user lena", "32 runs · last 30 days"},
		{"agent in 7 days", "lena", "", "agent=search-agent&range=7d",
			store.RunQuery{Agent: "search-agent", Start: testNow.Add(-7 * 24 * time.Hour)}, 4,
			"Runs of user lena", "4 runs · agent search-agent · last 7 days"},
		{"24 hours", "lena", "", "range=24h", store.RunQuery{Start: testNow.Add(-24 * time.Hour)}, 2,
			"Runs of user lena", "2 runs · last 24 hours"},
		{"session's agent", "", "s/a", "agent=search-agent", store.RunQuery{Agent: "search-agent"}, 9,
			"Runs of session s/a", "9 runs · agent search-agent"},
	}
	for _, tc := range tests {
		tc.q.UserID, tc.q.SessionID = tc.user, tc.session
		var want []fixtureRun
		for _, run := range runs {
			if run.matches(tc.q) {
				want = append(want, run)
			}
		}
		if len(want) != tc.count {
			t.Fatalf("%s: the fixture has %d runs, its comment says %d", tc.name, len(want), tc.count)
		}
		filter, err := url.ParseQuery(tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]string{paramUserID: tc.user, paramSessionID: tc.session} {
			if v != "" {
				filter.Set(k, v)
			}
		}
		for _, desc := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/desc=%v", tc.name, desc), func(t *testing.T) {
				q := tc.q
				q.Desc = desc
				all, err := r.ListRuns(context.Background(), q)
				if err != nil || int(all.Count) != len(want) || len(all.Runs) != len(want) {
					t.Fatalf("store: %d runs of %d, %v; the fixture has %d", len(all.Runs), all.Count, err, len(want))
				}
				var wantIDs []int64
				for _, run := range all.Runs {
					wantIDs = append(wantIDs, run.ID)
				}
				first := runsURL(tc.user, tc.session)
				if tc.filter != "" {
					first += "&" + tc.filter
				}
				if !desc {
					first += "&sort=started_at"
				}
				pages := (len(want) + runsPerPage - 1) / runsPerPage
				// Every link of a page keeps the list's ids and filters.
				keeps := func(p int, rel, link string) {
					t.Helper()
					u, err := url.Parse(link)
					if err != nil || u.Path != "/runs/" {
						t.Fatalf("page %d: %s link %q", p, rel, link)
					}
					got := u.Query()
					for _, k := range []string{paramUserID, paramSessionID, paramAgent, paramRange, paramStart, paramEnd} {
						if got.Get(k) != filter.Get(k) {
							t.Errorf("page %d: the %s link %q has %s=%q, want %q", p, rel, link, k, got.Get(k), filter.Get(k))
						}
					}
				}

				// Forward by Next.
				var forward [][]runsPageRow
				var seen []int64
				target := first
				for target != "" {
					res, doc := servedRuns(t, r, target)
					rows := runRowsOf(t, doc)
					forward = append(forward, rows)
					for _, row := range rows {
						seen = append(seen, row.id)
						if (tc.user != "" && row.user != tc.user) || (tc.session != "" && row.session != tc.session) ||
							(tc.q.Agent != "" && row.agent != tc.q.Agent) {
							t.Errorf("page %d: a run of user %q in session %q of agent %q", len(forward), row.user, row.session, row.agent)
						}
					}
					p := len(forward)
					from := (p-1)*runsPerPage + 1
					status := fmt.Sprintf("Showing %d–%d of %d runs · page %d of %d", from, from+len(rows)-1, len(want), p, pages)
					if got := text(find(doc, byTagClass("p", "pager-status"))); got != status {
						t.Errorf("page %d: pager %q, want %q", p, got, status)
					}
					if p < pages && len(rows) != runsPerPage {
						t.Errorf("page %d of %d has %d rows", p, pages, len(rows))
					}
					if got := text(find(doc, byID("runs-heading"))); got != tc.heading {
						t.Errorf("heading %q, want %q", got, tc.heading)
					}
					links := pagerLinks(doc)
					if (links["first"] != "") != (p > 1) || (links["prev"] != "") != (p > 1) {
						t.Errorf("page %d: links %v", p, links)
					}
					if _, ok := links["last"]; ok {
						t.Errorf("page %d: a Last link", p)
					}
					if len(forward) > pages {
						t.Fatalf("more than %d pages", pages)
					}
					target = links["next"]
					links["toggle"] = attr(find(find(doc, byID("runs-order")), byTag("a")), "href")
					export := links[""] // the Export CSV link
					delete(links, "")
					for rel, link := range links {
						keeps(p, rel, link)
					}
					// The export has the filters as the REST API's: the agent
					// and the range's resolved bounds, in RFC 3339 UTC.
					wantCSV := url.Values{"format": {"csv"}, paramSort: {map[bool]string{true: "-started_at", false: "started_at"}[desc]}}
					for k, v := range map[string]string{paramUserID: tc.user, paramSessionID: tc.session, paramAgent: tc.q.Agent,
						paramStart: rfc3339(tc.q.Start), paramEnd: rfc3339(tc.q.End)} {
						if v != "" {
							wantCSV.Set(k, v)
						}
					}
					if want := "/api/v1/observability/runs/?" + wantCSV.Encode(); export != want {
						t.Errorf("page %d: export %q, want %q", p, export, want)
					}
					if got := text(find(doc, byID("runs-count"))); got != tc.lede {
						t.Errorf("page %d: count %q, want %q", p, got, tc.lede)
					}
					if p == 1 {
						mustContain(t, res.body, `id="runs-count">`+tc.lede+`</p>`)
					}
				}
				if !slices.Equal(seen, wantIDs) {
					t.Errorf("Next visits %v, want the store's %v", seen, wantIDs)
				}
				if len(forward) != pages {
					t.Errorf("%d pages, want %d", len(forward), pages)
				}
				for i := 1; i < len(all.Runs); i++ {
					a, b := all.Runs[i-1], all.Runs[i]
					if before := a.Start < b.Start || a.Start == b.Start && a.ID < b.ID; before == desc {
						t.Errorf("runs %d and %d are not in order (desc=%v)", a.ID, b.ID, desc)
					}
				}

				// Back by Previous, from the last page.
				_, doc := servedRuns(t, r, lastNextTarget(t, r, first, pages))
				for p := pages; ; p-- {
					if got := runRowsOf(t, doc); !slices.Equal(got, forward[p-1]) {
						t.Errorf("Previous to page %d: %v, want %v", p, got, forward[p-1])
					}
					prev := pagerLinks(doc)["prev"]
					if prev == "" {
						if p != 1 {
							t.Errorf("no Previous link on page %d", p)
						}
						break
					}
					_, doc = servedRuns(t, r, prev)
				}
			})
		}
	}
}

// rfc3339 is t in RFC 3339 UTC, "" for the zero time (no bound).
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// lastNextTarget is the URL of the last page, reached by Next links.
func lastNextTarget(t *testing.T, r Reader, first string, pages int) string {
	t.Helper()
	target := first
	for range pages - 1 {
		_, doc := servedRuns(t, r, target)
		target = pagerLinks(doc)["next"]
	}
	return target
}

// TestRunsListControls: the order toggle, the First link and the export
// link, and a Previous link whose runs before the cursor were deleted
// (fewer than a page: the first page shows).
func TestRunsListControls(t *testing.T) {
	r, _ := runsFixture(t)
	h := newTestHandler(r)
	doc := parseHTML(t, get(t, h, "/runs/?user_id=hana").body)
	order := find(doc, byID("runs-order"))
	if got := text(order); got != "Order: Newest first · Oldest first" {
		t.Errorf("order %q", got)
	}
	if a := find(order, byTag("a")); attr(a, "href") != "/runs/?sort=started_at&user_id=hana" || text(a) != "Oldest first" {
		t.Errorf("toggle %q -> %q", text(a), attr(a, "href"))
	}
	if got := attr(find(doc, byID("export-csv")), "href"); got != "/api/v1/observability/runs/?format=csv&sort=-started_at&user_id=hana" {
		t.Errorf("export %q", got)
	}
	next := pagerLinks(doc)["next"]
	doc = parseHTML(t, get(t, h, next).body)
	if got := attr(find(find(doc, byID("runs-order")), byTag("a")), "href"); got != "/runs/?sort=started_at&user_id=hana" {
		t.Errorf("the toggle of page 2 leads to %q, want the first page oldest first", got)
	}
	if first := pagerLinks(doc)["first"]; first != "/runs/?user_id=hana" {
		t.Errorf("First %q", first)
	}
	oldest := parseHTML(t, get(t, h, "/runs/?user_id=hana&sort=started_at").body)
	if got := attr(find(find(oldest, byID("runs-order")), byTag("a")), "href"); got != "/runs/?user_id=hana" {
		t.Errorf("the toggle back %q", got)
	}
	if got := attr(find(oldest, byID("export-csv")), "href"); got != "/api/v1/observability/runs/?format=csv&sort=started_at&user_id=hana" {
		t.Errorf("export oldest first %q", got)
	}

	// A Previous link to page 2 whose cursor has fewer than a page of runs
	// before it (as after a deletion): the first page, in two reads.
	all, err := r.ListRuns(context.Background(), store.RunQuery{UserID: "hana", Desc: true})
	if err != nil {
		t.Fatal(err)
	}
	c := all.Runs[10]
	res, doc := servedRuns(t, r, "/runs/?user_id=hana&page=2&before="+formatRunCursor(*runCursor(c)))
	if rows := runRowsOf(t, doc); len(rows) != runsPerPage || rows[0].id != all.Runs[0].ID {
		t.Errorf("Previous past the start: %d rows from %d", len(rows), rows[0].id)
	}
	mustContain(t, text(doc), "Showing 1–25 of 60 runs · page 1 of 3")
	mustNotContain(t, res.body, `rel="prev"`)
	// Exactly a page before the cursor: that page is the first, in one read.
	res, doc = servedRuns(t, r, "/runs/?user_id=hana&page=3&before="+formatRunCursor(*runCursor(all.Runs[runsPerPage])))
	if rows := runRowsOf(t, doc); len(rows) != runsPerPage || rows[0].id != all.Runs[0].ID {
		t.Errorf("a page before: %d rows from %d", len(rows), rows[0].id)
	}
	mustContain(t, text(doc), "Showing 1–25 of 60 runs · page 1 of 3")
	mustNotContain(t, res.body, `rel="prev"`)
}

// TestRunsListLinks: a user's page links to the runs list when it shows
// fewer runs than the user has, a session's page when it shows fewer than
// the session has (more than store.SessionRuns), and the list they lead to
// has all of them; ids of any characters survive the links.
func TestRunsListLinks(t *testing.T) {
	b := demo.NewBuilder(71)
	var spans []genai.Span
	add := func(user, session string, n int) {
		for i := range n {
			spans = append(spans, b.Spans(demo.Run{UserID: user, SessionID: session, Agent: "chat-agent",
				Start: testNow.Add(-time.Duration(i+1) * time.Second), Duration: time.Second,
				Calls: []demo.Call{{Model: "gpt-4o", Input: 10, Output: 5, CostNanos: 1_000_000}}})...)
		}
	}
	bigSession := "conv/<b>\"&?#..\nx"
	add("busy", bigSession, store.SessionRuns+1)
	add("few", "small", 50) // all shown on the user's page
	ids := []string{"lot", `<script>alert(1)</script>`, `a"b'c`, "x/y?z&w#v", "..", ".", "line\nbreak", " spaced ", "%2F"}
	for _, id := range ids {
		add(id, "", 51)
	}
	r := openStore(t, spans)
	mux := http.NewServeMux() // as the exporter mounts the UI
	mux.Handle("/", newTestHandler(r))

	for _, tc := range []struct {
		name, page string // the page with the link
		want       int64  // runs of the list; 0: no link
		user, sess string
	}{
		{"user with 50 runs", userPath("few"), 0, "few", ""},
		{"session with 50 runs", sessionPath("small"), 0, "", "small"},
		{"user with 1,001 runs", userPath("busy"), store.SessionRuns + 1, "busy", ""},
		{"session with 1,001 runs", sessionPath(bigSession), store.SessionRuns + 1, "", bigSession},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := get(t, mux, tc.page)
			if res.status != http.StatusOK {
				t.Fatalf("%s: status %d", tc.page, res.status)
			}
			doc := parseHTML(t, res.body)
			link := find(doc, byID("all-runs"))
			if tc.want == 0 {
				if link != nil {
					t.Errorf("a link %q with every run shown", attr(link, "href"))
				}
				return
			}
			if got, want := text(link), "All "+formatInt(tc.want)+" runs →"; got != want {
				t.Errorf("link %q, want %q", got, want)
			}
			href := attr(link, "href")
			if href != runsURL(tc.user, tc.sess) {
				t.Errorf("link %q, want %q", href, runsURL(tc.user, tc.sess))
			}
			res = get(t, mux, href)
			doc = parseHTML(t, res.body)
			if res.status != http.StatusOK {
				t.Fatalf("%s: status %d", href, res.status)
			}
			mustContain(t, text(doc), fmt.Sprintf("Showing 1–25 of %s runs · page 1 of 41", formatInt(tc.want)))
			for _, row := range runRowsOf(t, doc) {
				if row.user != "busy" || row.session != bigSession {
					t.Errorf("a run of %q in %q", row.user, row.session)
				}
			}
		})
	}

	// Hostile user ids: escaped in the pages, and every link of the list
	// (the user page's "All runs", the heading's user, Next, the toggle)
	// leads to the same user.
	for _, id := range ids {
		t.Run("id "+strconv.Quote(id), func(t *testing.T) {
			user := get(t, mux, userPath(id))
			doc := parseHTML(t, user.body)
			href := attr(find(doc, byID("all-runs")), "href")
			if user.status != http.StatusOK || href == "" {
				t.Fatalf("user page %s: status %d, link %q", userPath(id), user.status, href)
			}
			res := get(t, mux, href)
			assertInert(t, href, res.body)
			doc = parseHTML(t, res.body)
			if res.status != http.StatusOK {
				t.Fatalf("%s: status %d", href, res.status)
			}
			if got := attr(find(doc, byID("runs-user")), "title"); got != "User "+id {
				t.Errorf("heading's user %q", got)
			}
			mustContain(t, text(doc), "Showing 1–25 of 51 runs · page 1 of 3")
			back := attr(find(doc, byID("runs-user")), "href")
			if back != userPath(id) {
				t.Errorf("the heading links to %q, want %q", back, userPath(id))
			}
			if res := get(t, mux, back); res.status != http.StatusOK || attr(find(parseHTML(t, res.body), byTag("h1")), "title") != id {
				t.Errorf("back to the user: %s status %d", back, res.status)
			}
			export, _ := url.Parse(attr(find(doc, byID("export-csv")), "href"))
			if got := export.Query().Get("user_id"); got != id {
				t.Errorf("export's user_id %q", got)
			}
			for _, rel := range []string{"next", "toggle"} {
				link := pagerLinks(doc)[rel]
				if rel == "toggle" {
					link = attr(find(find(doc, byID("runs-order")), byTag("a")), "href")
				}
				res := get(t, mux, link)
				d := parseHTML(t, res.body)
				if res.status != http.StatusOK || attr(find(d, byID("runs-user")), "title") != "User "+id {
					t.Errorf("%s %s: status %d, user %q", rel, link, res.status, attr(find(d, byID("runs-user")), "title"))
				}
				for _, row := range runRowsOf(t, d) {
					if row.user != id {
						t.Errorf("%s: a run of %q", rel, row.user)
					}
				}
			}
		})
	}
	// The session's heading links back to it.
	doc := parseHTML(t, get(t, mux, runsURL("", bigSession)).body)
	if back := attr(find(doc, byID("runs-session")), "href"); back != sessionPath(bigSession) {
		t.Errorf("the heading links to %q", back)
	} else if res := get(t, mux, back); res.status != http.StatusOK || !strings.Contains(res.body, "first 1,000 of 1,001") {
		t.Errorf("back to the session: %s status %d", back, res.status)
	}
}

// TestRunsListBadInput: malformed parameters are 400 pages that name
// them, a list of no user and no session is a 404 page that says how to
// get one, never a 500; an unknown user's list is empty, not an error.
func TestRunsListBadInput(t *testing.T) {
	r, _ := runsFixture(t)
	h := newTestHandler(r)
	for _, tc := range []struct {
		target string
		status int
		want   string
	}{
		{"/runs/", http.StatusNotFound, "The runs list is of a user or a session"},
		{"/runs", http.StatusNotFound, "/runs/?user_id=… or /runs/?session_id=…"},
		{"/runs/?user_id=&session_id=", http.StatusNotFound, "The runs list is of a user or a session"},
		{"/runs/?agent=chat-agent", http.StatusNotFound, "The runs list is of a user or a session"},
		{"/runs/?user_id=hana&after=abc&page=2", http.StatusBadRequest, "The “after” parameter is not a position in this list"},
		{"/runs/?user_id=hana&after=123&page=2", http.StatusBadRequest, "The “after” parameter"},
		{"/runs/?user_id=hana&after=1.x&page=2", http.StatusBadRequest, "The “after” parameter"},
		{"/runs/?user_id=hana&after=1.2.3&page=2", http.StatusBadRequest, "The “after” parameter"},
		{"/runs/?user_id=hana&after=99999999999999999999.1&page=2", http.StatusBadRequest, "The “after” parameter"},
		{"/runs/?user_id=hana&before=.&page=2", http.StatusBadRequest, "The “before” parameter"},
		{"/runs/?user_id=hana&before=1.2&after=1.2&page=2", http.StatusBadRequest, "must not be given with after"},
		{"/runs/?user_id=hana&after=1.2", http.StatusBadRequest, "The “page” parameter must be given with after or before"},
		{"/runs/?user_id=hana&after=1.2&page=1", http.StatusBadRequest, "must be 2 or more"},
		{"/runs/?user_id=hana&after=1.2&page=x", http.StatusBadRequest, "The “page” parameter must be a page number"},
		{"/runs/?user_id=hana&page=3", http.StatusBadRequest, "The “page” parameter must be 1 without after or before"},
		{"/runs/?user_id=hana&sort=bogus", http.StatusBadRequest, "The “sort” parameter must be started_at"},
		{"/runs/?user_id=hana&sort=-last_seen", http.StatusBadRequest, "The “sort” parameter"},
		{"/runs/?user_id=hana&user_id=kai", http.StatusBadRequest, "The “user_id” parameter is given more than once"},
		{"/runs/?user_id=%zz", http.StatusBadRequest, "The “query” parameter"},
		{"/runs/?user_id=hana&range=yesterday", http.StatusBadRequest, "The “range” parameter must be one of 24h, 7d, 30d, all or custom."},
		{"/runs/?user_id=hana&range=custom&start=2026-02-30", http.StatusBadRequest, "The “start” parameter must be a date"},
		{"/runs/?user_id=hana&start=yesterday", http.StatusBadRequest, "The “start” parameter must be a date"},
		{"/runs/?user_id=hana&range=custom&end=2026-02-07T25:00:00Z", http.StatusBadRequest, "The “end” parameter must be a date"},
		{"/runs/?user_id=hana&range=custom&start=2026-02-07&end=2026-02-06", http.StatusBadRequest, "The “start” parameter must be before the end of the range."},
		{"/runs/?user_id=hana&agent=chat-agent&agent=search-agent", http.StatusBadRequest, "The “agent” parameter is given more than once"},
		{"/runs/?user_id=hana&range=24h&range=7d", http.StatusBadRequest, "The “range” parameter is given more than once"},
		// An agent or a range without runs: an empty list that says so.
		{"/runs/?user_id=hana&agent=nobody-agent", http.StatusOK, "No runs of the user “hana” match these filters. Try another agent or a longer time range, or clear the filters."},
		{"/runs/?session_id=s/a&user_id=hana&range=custom&end=2026-01-01", http.StatusOK, "No runs of the user “hana” in the session “s/a” match these filters."},
		{"/runs/?user_id=kai&agent=search-agent&range=24h", http.StatusOK, "0 runs · agent search-agent · last 24 hours"},
		// A preset ignores the date inputs a form without JavaScript sends.
		{"/runs/?user_id=lena&agent=&range=7d&start=&end=2026-01-01", http.StatusOK, "Showing 1–8 of 8 runs"},
		{"/runs/?user_id=lena&range=all&start=2020-01-01", http.StatusOK, "Showing 1–25 of 40 runs"},
		{"/runs/?user_id=nobody", http.StatusOK, "No runs are recorded for the user “nobody”."},
		{"/runs/?session_id=nowhere", http.StatusOK, "No runs are recorded for the session “nowhere”."},
		{"/runs/?user_id=kai&session_id=s/a", http.StatusOK, "No runs are recorded for the user “kai” in the session “s/a”."},
		// A cursor past the end of the list: a page that says so.
		{"/runs/?user_id=hana&after=1.1&page=2", http.StatusOK, "This page is past the end of the list."},
		{"/runs/?user_id=hana&page=1", http.StatusOK, "Showing 1–25 of 60 runs"},
		{"/runs/?user_id=hana&after=-5.1&page=2&sort=started_at", http.StatusOK, "Showing 26–50 of 60 runs"},
	} {
		res := get(t, h, tc.target)
		if res.status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.target, res.status, tc.status)
		}
		if !strings.Contains(text(parseHTML(t, res.body)), tc.want) {
			t.Errorf("%s: the page does not say %q", tc.target, tc.want)
		}
	}
	// An empty list has no pager, and says 0 runs.
	doc := parseHTML(t, get(t, h, "/runs/?user_id=nobody").body)
	if got := text(find(doc, byTagClass("p", "lede"))); got != "0 runs" {
		t.Errorf("lede %q", got)
	}
	if find(doc, byTagClass("nav", "pager")) != nil || find(doc, byID("runs")) != nil {
		t.Error("an empty list with a table or a pager")
	}
	// A 400 page's reset link is the list's first page, without filters.
	mustContain(t, get(t, h, "/runs/?user_id=hana&sort=bogus").body, `href="/runs/?user_id=hana"`)
	mustContain(t, get(t, h, "/runs/?user_id=hana&agent=chat-agent&range=bogus").body, `href="/runs/?user_id=hana"`)
	// An agent the store does not know stays selected in the form, and
	// Clear leads to the unfiltered list.
	doc = parseHTML(t, get(t, h, "/runs/?user_id=hana&agent=nobody-agent&sort=started_at").body)
	if got := formValues(t, doc).Get("agent"); got != "nobody-agent" {
		t.Errorf("the form's agent %q", got)
	}
	if got := attr(find(doc, byID("runs-clear")), "href"); got != "/runs/?sort=started_at&user_id=hana" {
		t.Errorf("Clear %q", got)
	}
}

// formValues are the fields of the page's filter form as a browser
// without JavaScript submits them: hidden and date inputs, and each
// select's selected option (else its first).
func formValues(t *testing.T, doc *html.Node) url.Values {
	t.Helper()
	form := find(doc, byTagClass("form", "filters"))
	if form == nil {
		t.Fatal("no filter form")
	}
	v := url.Values{}
	for _, in := range findAll(form, byTag("input")) {
		v.Add(attr(in, "name"), attr(in, "value"))
	}
	for _, sel := range findAll(form, byTag("select")) {
		opts := findAll(sel, byTag("option"))
		chosen := opts[0]
		for _, o := range opts {
			if hasAttr(o, "selected") {
				chosen = o
			}
		}
		v.Add(attr(sel, "name"), attr(chosen, "value"))
	}
	return v
}

// TestRunsListForm: the filter form of the runs list (a GET form, for
// browsers without JavaScript too) keeps the list's ids and order and
// resets the paging; submitted with an agent and a range it shows their
// runs, and shows the filters it was given; its agents are the store's.
func TestRunsListForm(t *testing.T) {
	r, _ := runsFixture(t)
	h := newTestHandler(r)
	doc := parseHTML(t, get(t, h, "/runs/?user_id=hana&sort=started_at").body)
	doc = parseHTML(t, get(t, h, pagerLinks(doc)["next"]).body) // page 2
	form := find(doc, byTagClass("form", "filters"))
	if attr(form, "method") != "get" || attr(form, "action") != "/runs/" {
		t.Fatalf("form %s %s", attr(form, "method"), attr(form, "action"))
	}
	var agents []string
	for _, o := range findAll(find(doc, byID("r-agent")), byTag("option")) {
		agents = append(agents, text(o))
	}
	if want := []string{"All agents", "chat-agent", "search-agent"}; !slices.Equal(agents, want) {
		t.Errorf("agents %q, want %q", agents, want)
	}
	v := formValues(t, doc)
	want := url.Values{"user_id": {"hana"}, "sort": {"started_at"}, "agent": {""}, "range": {"all"}, "start": {""}, "end": {""}}
	if v.Encode() != want.Encode() {
		t.Errorf("the form sends %q, want %q", v.Encode(), want.Encode())
	}
	if find(doc, byID("runs-clear")) != nil {
		t.Error("a Clear link without filters")
	}

	// Yesterday's runs of search-agent, oldest first, from page 2: page 1.
	v.Set("agent", "search-agent")
	v.Set("range", "custom")
	v.Set("start", "2026-02-06")
	v.Set("end", "2026-02-06")
	res, doc := servedRuns(t, r, "/runs/?"+v.Encode())
	all, err := r.ListRuns(context.Background(), store.RunQuery{UserID: "hana", Agent: "search-agent",
		Start: time.Date(2026, 2, 6, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 2, 7, 0, 0, 0, 0, time.UTC)})
	if err != nil || len(all.Runs) != 2 {
		t.Fatalf("store: %d runs, %v; the fixture has 2", len(all.Runs), err)
	}
	rows := runRowsOf(t, doc)
	if len(rows) != 2 || rows[0].id != all.Runs[0].ID || rows[1].id != all.Runs[1].ID || rows[0].id != 56 || rows[1].id != 51 {
		t.Errorf("rows %v, want the store's (oldest first) %d and %d: hana's 56th (18 hours ago) and 51st", rows, all.Runs[0].ID, all.Runs[1].ID)
	}
	mustContain(t, text(doc), "2 runs · agent search-agent · 2026-02-06 to 2026-02-06", "Showing 1–2 of 2 runs · page 1 of 1")
	mustNotContain(t, res.body, `rel="prev"`, `rel="first"`)
	if got := formValues(t, doc); got.Encode() != v.Encode() {
		t.Errorf("the form shows %q, want what it sent, %q", got.Encode(), v.Encode())
	}
	if got := attr(find(doc, byID("runs-clear")), "href"); got != "/runs/?sort=started_at&user_id=hana" {
		t.Errorf("Clear %q", got)
	}

	// Ids of any characters survive the form's hidden fields.
	for _, tc := range []struct{ user, session string }{{`a"b'c<x>&`, ""}, {"", "conv/<b>\"&?#..x"}, {" spaced ", "s/a"}} {
		doc := parseHTML(t, get(t, h, runsURL(tc.user, tc.session)).body)
		v := formValues(t, doc)
		if v.Get("user_id") != tc.user || v.Get("session_id") != tc.session || len(v["user_id"]) != min(1, len(tc.user)) ||
			len(v["session_id"]) != min(1, len(tc.session)) {
			t.Errorf("%q in %q: the form sends %q", tc.user, tc.session, v.Encode())
		}
	}
}
