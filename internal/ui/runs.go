package ui

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// The runs list (/runs/): every run of a user, of a session, or of a user
// in a session, a page at a time, newest or oldest first. It reaches the
// runs a user's page (the last 50) and a session's page (the first
// store.SessionRuns) leave out.

// Query parameters of the runs list. user_id, session_id, agent and sort
// are the REST API's; range, start and end are the users list's time range
// (the runs that started in it); after and before are keyset positions
// "<start>.<id>" (the start in Unix nanoseconds and the id of a run), page
// the page number shown.
const (
	paramUserID    = "user_id"
	paramSessionID = "session_id"
	paramAfter     = "after"
)

// runsPerPage is how many runs a page of the runs list shows.
const runsPerPage = 25

// Sort values of the runs list, as the REST API's.
const (
	runsSortOldest = "started_at"
	runsSortNewest = "-started_at"
)

// runsState is the validated state of the runs list, all of it in the URL.
// A page starts after After or ends before Before (keyset positions in
// the list's order), or is the first page.
type runsState struct {
	UserID    string
	SessionID string
	Agent     string    // only this agent's runs; "" for all
	Range     timeRange // only the runs that started in it; all time by default
	Desc      bool      // newest first (the default)
	After     *store.RunCursor
	Before    *store.RunCursor
	Page      int // 1-based; 2 or more with After or Before
}

func parseRunsState(rawQuery string, now time.Time) (runsState, error) {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return runsState{}, &paramError{param: "query", msg: "is not a valid query string"}
	}
	g := getter(vals)
	s := runsState{Desc: true, Page: 1}
	// Ids are exact: spaces in them count.
	if s.UserID, err = g.raw(paramUserID); err != nil {
		return runsState{}, err
	}
	if s.SessionID, err = g.raw(paramSessionID); err != nil {
		return runsState{}, err
	}
	if s.Agent, err = g.get(paramAgent); err != nil {
		return runsState{}, err
	}
	if s.Range, err = parseRange(g, now, rangeAll); err != nil {
		return runsState{}, err
	}
	switch sort, err := g.get(paramSort); {
	case err != nil:
		return runsState{}, err
	case sort == runsSortOldest:
		s.Desc = false
	case sort != "" && sort != runsSortNewest:
		return runsState{}, &paramError{param: paramSort, msg: "must be started_at (oldest first) or -started_at (newest first)"}
	}
	if s.After, err = runCursorParam(g, paramAfter); err != nil {
		return runsState{}, err
	}
	if s.Before, err = runCursorParam(g, paramBefore); err != nil {
		return runsState{}, err
	}
	page, err := g.get(paramPage)
	if err != nil {
		return runsState{}, err
	}
	keyset := s.After != nil || s.Before != nil
	switch {
	case s.After != nil && s.Before != nil:
		return runsState{}, &paramError{param: paramBefore, msg: "must not be given with after"}
	case page == "" && !keyset:
		return s, nil
	case page == "":
		return runsState{}, &paramError{param: paramPage, msg: "must be given with after or before"}
	}
	n, err := strconv.Atoi(page)
	switch {
	case err != nil || n < 1 || n > maxPage:
		return runsState{}, &paramError{param: paramPage, msg: "must be a page number (1 to 1,000,000,000)"}
	case keyset && n < 2:
		return runsState{}, &paramError{param: paramPage, msg: "must be 2 or more with after or before"}
	case !keyset && n > 1:
		return runsState{}, &paramError{param: paramPage, msg: "must be 1 without after or before (follow the page links)"}
	}
	s.Page = n
	return s, nil
}

// runCursorParam reads a keyset position "<start>.<id>", two integers.
func runCursorParam(g getter, name string) (*store.RunCursor, error) {
	raw, err := g.get(name)
	if err != nil || raw == "" {
		return nil, err
	}
	start, id, ok := strings.Cut(raw, ".")
	c := store.RunCursor{}
	if ok {
		c.Start, err = strconv.ParseInt(start, 10, 64)
		if err == nil {
			c.ID, err = strconv.ParseInt(id, 10, 64)
		}
	}
	if !ok || err != nil {
		return nil, &paramError{param: name, msg: "is not a position in this list (follow the page links, or start from the first page)"}
	}
	return &c, nil
}

// runCursor is the keyset position of run r.
func runCursor(r store.RunSummary) *store.RunCursor {
	return &store.RunCursor{Start: r.Start, ID: r.ID}
}

// formatRunCursor writes a position as runCursorParam reads it.
func formatRunCursor(c store.RunCursor) string {
	return strconv.FormatInt(c.Start, 10) + "." + strconv.FormatInt(c.ID, 10)
}

// sortParam is the list's order as the sort parameter.
func (s runsState) sortParam() string {
	if s.Desc {
		return runsSortNewest
	}
	return runsSortOldest
}

// params are the parameters that select the list's runs: the ids and the
// agent, which the UI and the REST API spell alike.
func (s runsState) params() url.Values {
	v := url.Values{}
	if s.UserID != "" {
		v.Set(paramUserID, s.UserID)
	}
	if s.SessionID != "" {
		v.Set(paramSessionID, s.SessionID)
	}
	if s.Agent != "" {
		v.Set(paramAgent, s.Agent)
	}
	return v
}

// setAll sets the parameters kvs in v.
func setAll(v url.Values, kvs []kv) {
	for _, p := range kvs {
		v.Set(p.k, p.v)
	}
}

// Filtered reports whether the agent or the range narrows the list.
func (s runsState) Filtered() bool {
	return s.Agent != "" || s.Range.Kind != rangeAll
}

// URL is the canonical URL of the state; default values are left out.
func (s runsState) URL() string {
	v := s.params()
	var rg []kv
	s.Range.addTo(&rg, rangeAll)
	setAll(v, rg)
	if !s.Desc {
		v.Set(paramSort, runsSortOldest)
	}
	if s.After != nil {
		v.Set(paramAfter, formatRunCursor(*s.After))
	}
	if s.Before != nil {
		v.Set(paramBefore, formatRunCursor(*s.Before))
	}
	if s.Page > 1 {
		v.Set(paramPage, strconv.Itoa(s.Page))
	}
	return "/runs/?" + v.Encode()
}

// firstPage is the first page of the same list.
func (s runsState) firstPage() runsState {
	s.After, s.Before, s.Page = nil, nil, 1
	return s
}

// unfiltered is the first page of the same order without the agent and
// range filters.
func (s runsState) unfiltered() runsState {
	s = s.firstPage()
	s.Agent, s.Range = "", timeRange{Kind: rangeAll}
	return s
}

// csvURL is the REST API's CSV export of every run of the list, in its
// order: its agent, and its range resolved to RFC 3339 times.
func (s runsState) csvURL() string {
	v := s.params()
	setAll(v, s.Range.apiBounds())
	v.Set(paramSort, s.sortParam())
	v.Set("format", "csv")
	return "/api/v1/observability/runs/?" + v.Encode()
}

// query is the store query of the list's runs; fetchRuns sets the paging.
func (s runsState) query() store.RunQuery {
	return store.RunQuery{UserID: s.UserID, SessionID: s.SessionID, Agent: s.Agent,
		Start: s.Range.Start, End: s.Range.End, Desc: s.Desc, Limit: runsPerPage + 1}
}

// runsURL is the runs list of a user, of a session or of both.
func runsURL(userID, sessionID string) string {
	return runsState{UserID: userID, SessionID: sessionID, Range: timeRange{Kind: rangeAll}, Desc: true}.URL()
}

// runsPage is one page of the runs list and where it sits in the list.
type runsPage struct {
	runs    []store.RunSummary
	count   int64
	page    int
	hasPrev bool
	hasNext bool
}

// fetchRuns reads the page st addresses in one store read (two for a
// Previous link when less than a page lies before its cursor).
func (h *handler) fetchRuns(ctx context.Context, st runsState) (runsPage, error) {
	if st.Before != nil {
		return h.runsBefore(ctx, st)
	}
	q := st.query() // one more row tells whether there is a next page
	q.After = st.After
	pg, err := h.reader.ListRuns(ctx, q)
	if err != nil {
		return runsPage{}, err
	}
	p := runsPage{runs: pg.Runs, count: pg.Count, page: st.Page, hasPrev: st.After != nil}
	if len(p.runs) > runsPerPage {
		p.runs, p.hasNext = p.runs[:runsPerPage], true
	}
	return p, nil
}

// runsBefore reads the page before st.Before: the runs after it in the
// reversed order, one more telling whether runs lie before them, put back
// in the list's order.
func (h *handler) runsBefore(ctx context.Context, st runsState) (runsPage, error) {
	q := st.query()
	q.Desc, q.After = !q.Desc, st.Before
	pg, err := h.reader.ListRuns(ctx, q)
	if err != nil {
		return runsPage{}, err
	}
	runs := pg.Runs
	slices.Reverse(runs)
	switch n := len(runs); {
	case n < runsPerPage:
		// Less than a page lies before the cursor: the first page shows more.
		return h.fetchRuns(ctx, st.firstPage())
	case n == runsPerPage:
		return runsPage{runs: runs, count: pg.Count, page: 1, hasNext: true}, nil
	}
	return runsPage{runs: runs[1:], count: pg.Count, page: st.Page, hasPrev: true, hasNext: true}, nil
}

// runsView is the data of the runs list.
type runsView struct {
	pageData
	State       runsState
	UserURL     string // the user's page, with a user id
	SessionURL  string // the session's page, with a session id
	Count       int64
	Table       runsTable
	Pager       pager
	NewestURL   string // the first page newest first
	OldestURL   string // the first page oldest first
	PastEnd     bool   // the page is past the end of a list that has runs
	AgentField  agentField
	RangeFields rangeFields
	ClearURL    string // the first page without the agent and range filters
}

func (h *handler) serveRuns(w http.ResponseWriter, r *http.Request) {
	tm := &timing{start: time.Now()}
	now := h.now()
	st, err := parseRunsState(r.URL.RawQuery, now)
	if err != nil {
		reset := "/"
		if st, e := parseRunsState(idsOnly(r.URL.Query()), now); e == nil && (st.UserID != "" || st.SessionID != "") {
			reset = st.URL()
		}
		h.badRequest(w, r, err, reset)
		return
	}
	if st.UserID == "" && st.SessionID == "" {
		h.renderErrorView(w, r, errorView{Status: http.StatusNotFound, Heading: "Page not found",
			Message: "The runs list is of a user or a session: /runs/?user_id=… or /runs/?session_id=… " +
				"(a user's page and a session's page link to it).", pageData: pageData{ResetURL: "/"}})
		return
	}
	// The page and the agents of the filter's select are independent reads.
	var (
		pg       runsPage
		agents   []string
		agentErr error
		wg       sync.WaitGroup
	)
	wg.Go(func() { agents, agentErr = h.reader.ListAgents(r.Context()) })
	pg, err = h.fetchRuns(r.Context(), st)
	wg.Wait()
	tm.store = time.Since(tm.start)
	if err != nil {
		h.storeError(w, r, "list runs", err)
		return
	}
	if agentErr != nil {
		h.storeError(w, r, "list agents", agentErr)
		return
	}

	first := st.firstPage()
	v := runsView{
		pageData: pageData{Title: "Runs of " + runsOf(st), ResetURL: first.URL(), Nav: navUsers},
		State:    st,
		Count:    pg.count,
		Table:    runsTable{Now: now.UnixNano(), Sessions: true},
		PastEnd:  len(pg.runs) == 0 && pg.count > 0,

		AgentField:  agentField{ID: "r-agent", Agent: st.Agent, Agents: agents},
		RangeFields: newRangeFields("r", "Started in", rangeAll, st.Range),
		ClearURL:    st.unfiltered().URL(),
	}
	if st.UserID != "" {
		v.UserURL = userPath(st.UserID)
	}
	if st.SessionID != "" {
		v.SessionURL = sessionPath(st.SessionID)
	}
	newest, oldest := first, first
	newest.Desc, oldest.Desc = true, false
	v.NewestURL, v.OldestURL = newest.URL(), oldest.URL()
	v.Table.Runs = h.runRows(pg.runs, v.Table.Sessions)

	p := pager{Count: pg.count, Page: int64(pg.page), One: "run", Many: "runs", CSVURL: st.csvURL()}
	p.Pages = max(1, (pg.count+runsPerPage-1)/runsPerPage)
	if n := len(pg.runs); n > 0 {
		p.From = int64(pg.page-1)*runsPerPage + 1
		p.To = p.From + int64(n) - 1
	}
	if pg.hasPrev {
		p.FirstURL = first.URL()
		p.PrevURL = p.FirstURL
		if pg.page > 2 && len(pg.runs) > 0 {
			prev := first
			prev.Before, prev.Page = runCursor(pg.runs[0]), pg.page-1
			p.PrevURL = prev.URL()
		}
	}
	if pg.hasNext {
		next := first
		next.After, next.Page = runCursor(pg.runs[len(pg.runs)-1]), pg.page+1
		p.NextURL = next.URL()
	}
	p.Links = p.Pages > 1 || p.FirstURL != "" || p.NextURL != ""
	v.Pager = p
	h.render(w, r, http.StatusOK, runsTmpl, v, tm)
}

// runsOf names the list for a title: "user alice in session s-1".
func runsOf(st runsState) string {
	var parts []string
	if st.UserID != "" {
		parts = append(parts, "user "+truncateID(st.UserID, 48))
	}
	if st.SessionID != "" {
		parts = append(parts, "session "+truncateID(st.SessionID, 48))
	}
	return strings.Join(parts, " in ")
}

// idsOnly is the query of the ids of a runs list, for the reset link of its
// 400 page.
func idsOnly(q url.Values) string {
	v := url.Values{}
	for _, k := range []string{paramUserID, paramSessionID} {
		if len(q[k]) == 1 {
			v.Set(k, q[k][0])
		}
	}
	return v.Encode()
}
