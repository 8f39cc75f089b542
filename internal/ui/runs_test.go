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

// fixtureRun is a run the runs fixture stores: its user and session.
type fixtureRun struct{ user, session string }

// runsFixture is a store with hana's 60 runs (in threes with the same
// start, so that the list has ties), 31 of them in the session "s/a",
// 20 in "s-b" and 9 in none; ivan's 5 runs in "s/a"; and kai's 3 runs.
func runsFixture(t testing.TB) (Reader, []fixtureRun) {
	t.Helper()
	b := demo.NewBuilder(70)
	var spans []genai.Span
	var runs []fixtureRun
	add := func(user, session string, start time.Time) {
		runs = append(runs, fixtureRun{user, session})
		spans = append(spans, b.Spans(demo.Run{UserID: user, SessionID: session, Agent: "chat-agent", Workflow: "answer",
			Start: start, Duration: time.Duration(len(runs)) * time.Second, Error: len(runs)%7 == 0,
			Calls: []demo.Call{{Model: "gpt-4o", Input: 100, Output: int64(len(runs)), CostNanos: int64(len(runs)) * 1_000_000}}})...)
	}
	for i := range 60 {
		session := "s/a"
		switch {
		case i >= 31 && i < 51:
			session = "s-b"
		case i >= 51:
			session = ""
		}
		add("hana", session, testNow.Add(-time.Duration(i/3)*time.Hour))
	}
	for i := range 5 {
		add("ivan", "s/a", testNow.Add(-time.Duration(i)*time.Hour-time.Minute))
	}
	for i := range 3 {
		add("kai", "", testNow.Add(-time.Duration(i)*time.Hour))
	}
	return openStore(t, spans), runs
}

// runsPageRow is a row of a runs table: the run's id, user and session.
type runsPageRow struct {
	id            int64
	user, session string
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
		out = append(out, runsPageRow{id: id, user: user, session: session})
	}
	return out
}

// servedRuns serves target from a handler reading r through a recorder,
// checks that the page read the store as one page should (one ListRuns of
// a page and a row by keyset, two for a Previous link with less than a
// page before its cursor) and returns the page.
func servedRuns(t *testing.T, r Reader, target string) (response, *html.Node) {
	t.Helper()
	rec := &recordingReader{Reader: r}
	res := get(t, newTestHandler(rec), target)
	if res.status != http.StatusOK {
		t.Fatalf("%s: status %d", target, res.status)
	}
	if n := len(rec.reads); n < 1 || n > 2 || (n == 2 && !strings.Contains(target, "before=")) ||
		slices.ContainsFunc(rec.reads, func(s string) bool { return s != "ListRuns" }) {
		t.Errorf("%s: reads %v", target, rec.reads)
	}
	for _, q := range rec.runQs {
		if q.Limit != runsPerPage+1 || q.Offset != 0 {
			t.Errorf("%s: a read of %d rows at offset %d", target, q.Limit, q.Offset)
		}
	}
	return res, parseHTML(t, res.body)
}

// TestRunsList: the runs list of a user, of a session and of both shows
// exactly the store's runs, 25 a page, in both orders; walking Next to the
// end and Previous back visits every run once, each page read from the
// store once; the pager, order toggle and export link say where the page
// is.
func TestRunsList(t *testing.T) {
	r, runs := runsFixture(t)
	tests := []struct {
		name          string
		user, session string
		heading       string
	}{
		{"user", "hana", "", "Runs of user hana"},
		{"session", "", "s/a", "Runs of session s/a"},
		{"user in session", "hana", "s/a", "Runs of user hana in session s/a"},
		{"short list", "kai", "", "Runs of user kai"},
	}
	for _, tc := range tests {
		var want []fixtureRun
		for _, run := range runs {
			if (tc.user == "" || run.user == tc.user) && (tc.session == "" || run.session == tc.session) {
				want = append(want, run)
			}
		}
		for _, desc := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/desc=%v", tc.name, desc), func(t *testing.T) {
				all, err := r.ListRuns(context.Background(), store.RunQuery{UserID: tc.user, SessionID: tc.session, Desc: desc})
				if err != nil || int(all.Count) != len(want) || len(all.Runs) != len(want) {
					t.Fatalf("store: %d runs of %d, %v; the fixture has %d", len(all.Runs), all.Count, err, len(want))
				}
				var wantIDs []int64
				for _, run := range all.Runs {
					wantIDs = append(wantIDs, run.ID)
				}
				first := runsURL(tc.user, tc.session)
				if !desc {
					first += "&sort=started_at"
				}
				pages := (len(want) + runsPerPage - 1) / runsPerPage

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
						if (tc.user != "" && row.user != tc.user) || (tc.session != "" && row.session != tc.session) {
							t.Errorf("page %d: a run of user %q in session %q", len(forward), row.user, row.session)
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
					if p == 1 {
						mustContain(t, res.body, `<p class="lede">`+formatInt(int64(len(want)))+` runs</p>`)
					}
				}
				if !slices.Equal(seen, wantIDs) {
					t.Errorf("Next visits %v, want the store's %v", seen, wantIDs)
				}
				if len(forward) != pages {
					t.Errorf("%d pages, want %d", len(forward), pages)
				}
				for i := 1; i < len(seen); i++ {
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
	// A 400 page's reset link is the list's first page.
	mustContain(t, get(t, h, "/runs/?user_id=hana&sort=bogus").body, `href="/runs/?user_id=hana"`)
}
