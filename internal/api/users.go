package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// Scopes of the users list and detail.
const (
	scopeLifetime = "lifetime"
	scopeWindow   = "window"
)

// usersExtra is the part of a users-list request beyond the seed's
// parameters.
type usersExtra struct {
	window bool
	cursor *store.Cursor
	fp     string
	format string
	k      float64
	flag   string // the flag the list is filtered by, or ""
}

// parseScope parses scope; window needs at least one of start and end.
func parseScope(q *query, start, end time.Time) (window bool, given string, err error) {
	s, err := q.get(paramScope)
	if err != nil {
		return false, "", err
	}
	switch s {
	case "", scopeLifetime:
	case scopeWindow:
		if start.IsZero() && end.IsZero() {
			return false, "", &paramError{param: paramScope, msg: "window needs start or end (or both)"}
		}
		window = true
	default:
		return false, "", &paramError{param: paramScope, msg: "must be lifetime or window"}
	}
	return window, s, nil
}

// parseUsersExtra parses the users-list parameters beyond the seed's, after
// parseListParams accepted the seed's, and adds those that shape the result
// to the page links.
func (h *handler) parseUsersExtra(rawQuery string, p *listParams) (usersExtra, error) {
	q, err := newQuery(rawQuery, routeListUsers)
	if err != nil {
		return usersExtra{}, err
	}
	var x usersExtra
	var scope string
	if x.window, scope, err = parseScope(q, p.query.Start, p.query.End); err != nil {
		return usersExtra{}, err
	}
	c, err := q.get(paramCursor)
	if err != nil {
		return usersExtra{}, err
	}
	if x.flag, err = q.flag(); err != nil {
		return usersExtra{}, err
	}
	parts := []string{"users", strconv.FormatBool(x.window), p.query.Search, p.query.Agent, timeKey(p.query.Start),
		timeKey(p.query.End), p.query.Sort, strconv.FormatBool(p.query.Desc)}
	if x.flag != "" { // only then, so that cursors of unfiltered lists stay valid
		parts = append(parts, x.flag)
	}
	x.fp = fingerprint(parts...)
	if x.cursor, err = decodeCursor(c, "users", x.fp); err != nil {
		return usersExtra{}, err
	}
	if x.cursor != nil && p.query.Offset > 0 {
		return usersExtra{}, &paramError{param: paramOffset, msg: "must not be given with cursor"}
	}
	if x.format, err = q.format(); err != nil {
		return usersExtra{}, err
	}
	if x.format == formatCSV && h.ext == nil {
		return usersExtra{}, &paramError{param: paramFormat, msg: "csv is not supported by this store"}
	}
	kRaw, err := q.get(paramFlagK)
	if err != nil {
		return usersExtra{}, err
	}
	if x.k, err = q.flagK(h.x.flagK); err != nil {
		return usersExtra{}, err
	}
	p.addEcho(paramScope, scope)
	p.addEcho(paramFlagK, kRaw)
	p.addEcho(paramFlag, x.flag)
	return x, nil
}

// userRowJSON is a users-list row: the seed's fields, then flags.
type userRowJSON struct {
	userJSON
	Flags []string `json:"flags"`
}

type userListExtJSON struct {
	Results    []userRowJSON `json:"results"`
	Count      int64         `json:"count"`
	Next       *string       `json:"next"`
	Previous   *string       `json:"previous"`
	NextCursor *string       `json:"next_cursor"`
}

func (h *handler) listUsers(w http.ResponseWriter, r *http.Request) {
	p, err := parseListParams(r.URL.RawQuery)
	if err != nil {
		h.writeError(w, clientError(err))
		return
	}
	x, err := h.parseUsersExtra(r.URL.RawQuery, &p)
	if err != nil {
		h.writeError(w, clientError(err))
		return
	}
	q := p.query
	q.Window, q.After = x.window, x.cursor
	pop := store.StatsQuery{} // lifetime: every user, whatever the filters
	if q.Window {
		pop = store.StatsQuery{Window: true, Start: q.Start, End: q.End}
	}
	thr, err := h.thresholdsFor(r.Context(), pop, x.k)
	if err != nil {
		h.storeError(w, r, "compute usage statistics", err)
		return
	}
	if x.flag != "" {
		b := thr.Bounds()
		q.HighUsage = &b
	}
	if x.format == formatCSV {
		h.usersCSV(w, r, q, thr)
		return
	}
	limit := q.Limit
	q.Limit = limit + 1 // one more row tells whether there is a next page
	page, err := h.reader.ListUsers(r.Context(), q)
	if err != nil {
		h.storeError(w, r, "list users", err)
		return
	}
	var nextCursor *string
	if len(page.Users) > limit {
		page.Users = page.Users[:limit]
		last := page.Users[limit-1]
		c := encodeCursor("users", x.fp, store.Cursor{Value: last.SortValue(q.Sort), ID: last.UserID})
		nextCursor = &c
	}
	seed := renderUserList(page, &p)
	out := userListExtJSON{Results: make([]userRowJSON, len(seed.Results)), Count: seed.Count,
		Next: seed.Next, Previous: seed.Previous, NextCursor: nextCursor}
	for i, u := range seed.Results {
		out.Results[i] = userRowJSON{userJSON: u, Flags: thr.Flags(u.RunCount, u.TotalTokens)}
	}
	if x.cursor != nil {
		// Keyset pages link forward only.
		out.Next, out.Previous = nil, nil
		if nextCursor != nil {
			s := p.link(0, *nextCursor)
			out.Next = &s
		}
	}
	h.writeJSON(w, http.StatusOK, out)
}

// userDetailExtJSON is the lifetime detail: the seed's fields, then flags.
type userDetailExtJSON struct {
	userDetailJSON
	Flags []string `json:"flags"`
}

// userWindowDetailJSON is the detail with scope=window: the seed's shape,
// every aggregate over the window (first_seen and last_seen null when the
// user has no run in it), then flags and the window.
type userWindowDetailJSON struct {
	UserID      string               `json:"user_id"`
	Aggregates  windowAggregatesJSON `json:"aggregates"`
	CostByModel []modelCostJSON      `json:"cost_by_model"`
	Runs        []runJSON            `json:"runs"`
	Flags       []string             `json:"flags"`
	Scope       string               `json:"scope"`
	Window      windowJSON           `json:"window"`
}

type windowAggregatesJSON struct {
	RunCount      int64      `json:"run_count"`
	TotalDuration seconds    `json:"total_duration"`
	TotalCost     usd        `json:"total_cost"`
	TotalTokens   int64      `json:"total_tokens"`
	Agents        []string   `json:"agents"`
	FirstSeen     *timestamp `json:"first_seen"`
	LastSeen      *timestamp `json:"last_seen"`
}

// windowJSON echoes a window's bounds (null: unbounded), in UTC.
type windowJSON struct {
	Start *timestamp `json:"start"`
	End   *timestamp `json:"end"`
}

func newWindowJSON(start, end time.Time) windowJSON {
	var w windowJSON
	if !start.IsZero() {
		t := timestamp(start.UnixNano())
		w.Start = &t
	}
	if !end.IsZero() {
		t := timestamp(end.UnixNano())
		w.End = &t
	}
	return w
}

// userQuery parses the query of a request on user userID's route; it
// writes the error and returns false when the id or the query is invalid.
func (h *handler) userQuery(w http.ResponseWriter, r *http.Request, userID string, rt route) (*query, bool) {
	if !utf8.ValidString(userID) {
		h.writeError(w, (&paramError{param: paramUserID, msg: "must be valid UTF-8"}).apiError())
		return nil, false
	}
	q, err := newQuery(r.URL.RawQuery, rt)
	if err != nil {
		h.writeError(w, clientError(err))
		return nil, false
	}
	return q, true
}

func (h *handler) getUser(w http.ResponseWriter, r *http.Request, userID string) {
	q, ok := h.userQuery(w, r, userID, routeGetUser)
	if !ok {
		return
	}
	start, end, err := q.window()
	if err != nil {
		h.writeError(w, clientError(err))
		return
	}
	window, _, err := parseScope(q, start, end)
	if err == nil && !window && (!start.IsZero() || !end.IsZero()) {
		err = &paramError{param: paramScope, msg: "must be window when start or end is given"}
	}
	if err == nil && window && h.ext == nil {
		err = &paramError{param: paramScope, msg: "window is not supported by this store"}
	}
	k := 0.0
	if err == nil {
		k, err = q.flagK(h.x.flagK)
	}
	if err != nil {
		h.writeError(w, clientError(err))
		return
	}
	if len(userID) > store.MaxUserIDBytes {
		// Never stored as given: the processor hashes longer ids.
		h.writeError(w, errUserNotFound(userID))
		return
	}
	var d store.UserDetail
	if window {
		d, err = h.ext.GetUserWindow(r.Context(), store.WindowDetailQuery{UserID: userID, Start: start, End: end})
	} else {
		d, err = h.reader.GetUser(r.Context(), userID)
	}
	if errors.Is(err, store.ErrNotFound) {
		h.writeError(w, errUserNotFound(userID))
		return
	}
	if err != nil {
		h.storeError(w, r, "get user", err)
		return
	}
	thr, err := h.thresholdsFor(r.Context(), store.StatsQuery{Window: window, Start: start, End: end}, k)
	if err != nil {
		h.storeError(w, r, "compute usage statistics", err)
		return
	}
	flags := thr.Flags(d.Summary.RunCount, d.Summary.TotalTokens)
	seed := renderUserDetail(d)
	if !window {
		h.writeJSON(w, http.StatusOK, userDetailExtJSON{userDetailJSON: seed, Flags: flags})
		return
	}
	out := userWindowDetailJSON{
		UserID: seed.UserID,
		Aggregates: windowAggregatesJSON{
			RunCount:      seed.Aggregates.RunCount,
			TotalDuration: seed.Aggregates.TotalDuration,
			TotalCost:     seed.Aggregates.TotalCost,
			TotalTokens:   seed.Aggregates.TotalTokens,
			Agents:        seed.Aggregates.Agents,
		},
		CostByModel: seed.CostByModel,
		Runs:        seed.Runs,
		Flags:       flags,
		Scope:       scopeWindow,
		Window:      newWindowJSON(start, end),
	}
	if d.Summary.RunCount > 0 {
		out.Aggregates.FirstSeen, out.Aggregates.LastSeen = &seed.Aggregates.FirstSeen, &seed.Aggregates.LastSeen
	}
	h.writeJSON(w, http.StatusOK, out)
}
