package ui

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// column is one header of the users table.
type column struct {
	Label    string
	Field    string // sort field; "" for columns the store cannot sort by
	Numeric  bool
	SortURL  string
	AriaSort string // "ascending", "descending" or ""
	Hint     string // what activating the header does, for screen readers
	Class    string
}

// listView is the data of the users list.
type listView struct {
	pageData
	State       listState
	Now         int64
	AgentField  agentField
	RangeFields rangeFields
	Limits      []option
	Columns     []column
	Users       []userRow
	Count       int64
	From, To    int64
	Page        int64
	Pages       int64
	FirstURL    string
	PrevURL     string
	NextURL     string
	LastURL     string
	SortDesc    string // "cost, highest first"
	Empty       string // "store", "filter" or "page" when no rows show
	Endpoint    string
	Sorts       []option // the sort select (narrow screens, where headers are hidden)
	FlagsOn     bool     // users are marked (and can be filtered) by the high_usage flag
	CSVURL      string   // the REST API's CSV export of every user of the list
}

// userRow is a row of the users table.
type userRow struct {
	store.UserSummary
	HighUsage bool // flagged high_usage
}

type option struct {
	Value, Label string
	Selected     bool
}

var columnDefs = []struct {
	label, field, noun, class string
	numeric                   bool
}{
	{"User ID", "", "", "col-user", false},
	{"Runs", store.SortRunCount, "runs", "", true},
	{"First seen", store.SortFirstSeen, "first seen", "", false},
	{"Last seen", store.SortLastSeen, "last seen", "", false},
	{"Duration", store.SortTotalDuration, "duration", "", true},
	{"Cost", store.SortTotalCost, "cost", "", true},
	{"Tokens", store.SortTotalTokens, "tokens", "", true},
	{"Agents", "", "", "col-agents", false},
}

// sortNoun describes a sort for people: "cost, highest first".
func sortNoun(field string, desc bool) string {
	for _, c := range columnDefs {
		if c.field != field {
			continue
		}
		switch {
		case field == store.SortFirstSeen || field == store.SortLastSeen:
			if desc {
				return c.noun + ", newest first"
			}
			return c.noun + ", oldest first"
		case desc:
			return c.noun + ", highest first"
		default:
			return c.noun + ", lowest first"
		}
	}
	return field
}

func (h *handler) serveList(w http.ResponseWriter, r *http.Request) {
	tm := &timing{start: time.Now()}
	now := h.now()
	st, err := parseListState(r.URL.RawQuery, now)
	if err != nil {
		h.badRequest(w, r, err, "/")
		return
	}

	// The page, the agents and the flags' thresholds are independent reads,
	// unless the page keeps only flagged users.
	var (
		pg                      listPage
		agents                  []string
		thr                     flags.Thresholds
		pgErr, agentErr, thrErr error
		wg                      sync.WaitGroup
	)
	wg.Go(func() { agents, agentErr = h.reader.ListAgents(r.Context()) })
	if st.HighUsage {
		if thr, thrErr = h.thresholds(r.Context(), store.StatsQuery{}); thrErr == nil {
			b := thr.Bounds()
			st.bounds = &b
			pg, pgErr = h.fetchPage(r.Context(), st)
		}
	} else {
		wg.Go(func() { thr, thrErr = h.thresholds(r.Context(), store.StatsQuery{}) })
		pg, pgErr = h.fetchPage(r.Context(), st)
	}
	wg.Wait()
	tm.store = time.Since(tm.start)
	for _, e := range []struct {
		what string
		err  error
	}{{"abuse-flag statistics", thrErr}, {"list users", pgErr}, {"list agents", agentErr}} {
		if e.err != nil {
			h.storeError(w, r, e.what, e.err)
			return
		}
	}

	v := listView{
		pageData:   pageData{Title: "Users", ResetURL: "/", Nav: navUsers},
		State:      st,
		Now:        now.UnixNano(),
		AgentField: agentField{ID: "f-agent", Agent: st.Agent, Agents: agents},
		Count:      pg.count,
		Endpoint:   h.endpoint,
		SortDesc:   sortNoun(st.Sort, st.Desc),
		FlagsOn:    h.flags != nil,
		CSVURL:     st.csvURL(),
	}
	for _, u := range pg.users {
		v.Users = append(v.Users, userRow{UserSummary: u, HighUsage: thr.Flagged(u.RunCount, u.TotalTokens)})
	}
	v.RangeFields = newRangeFields("f", "Active in", rangeAll, st.Range)
	for _, l := range limitChoices {
		v.Limits = append(v.Limits, option{Value: strconv.Itoa(l), Label: strconv.Itoa(l) + " per page", Selected: l == st.Limit})
	}
	if st.Limit != defaultLimit && !v.Limits[0].Selected && !v.Limits[1].Selected && !v.Limits[2].Selected {
		v.Limits = append([]option{{Value: strconv.Itoa(st.Limit), Label: strconv.Itoa(st.Limit) + " per page", Selected: true}}, v.Limits...)
	}
	for _, c := range columnDefs {
		if c.field == "" {
			continue
		}
		for _, desc := range []bool{true, false} {
			p := c.field
			if desc {
				p = "-" + p
			}
			v.Sorts = append(v.Sorts, option{Value: p, Label: capitalize(sortNoun(c.field, desc)), Selected: p == st.sortParam()})
		}
	}

	for _, c := range columnDefs {
		col := column{Label: c.label, Field: c.field, Numeric: c.numeric, Class: c.class}
		if c.field != "" {
			next := st.firstPage()
			next.Sort = c.field
			if st.Sort == c.field {
				if st.Desc {
					col.AriaSort = "descending"
				} else {
					col.AriaSort = "ascending"
				}
				next.Desc = !st.Desc
			} else {
				next.Desc = true // biggest and newest first on the first click
			}
			col.SortURL = next.URL()
			col.Hint = "sort by " + sortNoun(next.Sort, next.Desc)
		}
		v.Columns = append(v.Columns, col)
	}

	v.Page = pg.page
	v.Pages = max(1, (pg.count+int64(st.Limit)-1)/int64(st.Limit))
	if n := len(pg.users); n > 0 {
		v.From, v.To = pg.from, pg.from+int64(n)-1
	}
	first := st.firstPage()
	last := first
	last.Last = true
	if pg.hasPrev {
		v.FirstURL = first.URL()
		v.PrevURL = v.FirstURL
		if pg.page > 2 && len(pg.users) > 0 {
			prev := first
			prev.Before, prev.Page = cursorOf(pg.users[0], st.Sort), int(pg.page-1)
			v.PrevURL = prev.URL()
		}
	}
	if pg.hasNext {
		next := first
		next.After, next.Page = cursorOf(pg.users[len(pg.users)-1], st.Sort), int(pg.page+1)
		v.NextURL = next.URL()
		v.LastURL = last.URL()
	}
	switch {
	case len(pg.users) > 0:
	case pg.count > 0:
		v.Empty = "page"
		v.LastURL = last.URL()
	case st.Filtered():
		v.Empty = "filter"
	default:
		v.Empty = "store"
	}
	h.render(w, r, http.StatusOK, listTmpl, v, tm)
}

// Pager is the list's pager.
func (v listView) Pager() pager {
	return pager{From: v.From, To: v.To, Count: v.Count, Page: v.Page, Pages: v.Pages, One: "user", Many: "users",
		CSVURL: v.CSVURL, FirstURL: v.FirstURL, PrevURL: v.PrevURL, NextURL: v.NextURL, LastURL: v.LastURL,
		Last: true, Links: v.Pages > 1}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
