package api

import (
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/waxell/otelcol-waxell/internal/store"
)

type sessionJSON struct {
	SessionID     string    `json:"session_id"`
	RunCount      int64     `json:"run_count"`
	FirstSeen     timestamp `json:"first_seen"`
	LastSeen      timestamp `json:"last_seen"`
	TotalDuration seconds   `json:"total_duration"`
	TotalCost     usd       `json:"total_cost"`
	TotalTokens   int64     `json:"total_tokens"`
	Users         []string  `json:"users"`
	Agents        []string  `json:"agents"`
}

type sessionListJSON struct {
	Results    []sessionJSON `json:"results"`
	Count      int64         `json:"count"`
	Next       *string       `json:"next"`
	Previous   *string       `json:"previous"`
	NextCursor *string       `json:"next_cursor"`
}

type sessionAggregatesJSON struct {
	RunCount      int64     `json:"run_count"`
	TotalDuration seconds   `json:"total_duration"`
	TotalCost     usd       `json:"total_cost"`
	TotalTokens   int64     `json:"total_tokens"`
	Users         []string  `json:"users"`
	Agents        []string  `json:"agents"`
	FirstSeen     timestamp `json:"first_seen"`
	LastSeen      timestamp `json:"last_seen"`
}

type sessionDetailJSON struct {
	SessionID     string                `json:"session_id"`
	Aggregates    sessionAggregatesJSON `json:"aggregates"`
	Runs          []sessionRunJSON      `json:"runs"`
	RunsTruncated bool                  `json:"runs_truncated"`
}

// sessionRunJSON is a run of a session: the seed's run fields and its user.
type sessionRunJSON struct {
	runJSON
	UserID *string `json:"user_id"`
}

func renderSession(s store.SessionSummary) sessionJSON {
	return sessionJSON{SessionID: s.SessionID, RunCount: s.RunCount, FirstSeen: timestamp(s.FirstSeen),
		LastSeen: timestamp(s.LastSeen), TotalDuration: seconds(s.TotalDuration), TotalCost: usd(s.TotalCost),
		TotalTokens: s.TotalTokens, Users: nonNil(s.Users), Agents: nonNil(s.Agents)}
}

// sessionParams is a validated sessions-list request.
type sessionParams struct {
	query  store.SessionQuery
	format string
	fp     string
	echo   []queryParam
}

func parseSessionParams(rawQuery string) (sessionParams, error) {
	q, err := newQuery(rawQuery, routeListSessions)
	if err != nil {
		return sessionParams{}, err
	}
	var p sessionParams
	if p.query.UserID, err = q.get(paramUserID); err != nil {
		return sessionParams{}, err
	}
	if p.query.Agent, err = q.get(paramAgent); err != nil {
		return sessionParams{}, err
	}
	if p.query.Start, p.query.End, err = q.window(); err != nil {
		return sessionParams{}, err
	}
	sortRaw, err := q.get(paramSort)
	if err != nil {
		return sessionParams{}, err
	}
	if p.query.Sort, p.query.Desc, err = parseSort(sortRaw); err != nil {
		return sessionParams{}, err
	}
	if p.query.Limit, p.query.Offset, err = q.pageParams(); err != nil {
		return sessionParams{}, err
	}
	c, err := q.get(paramCursor)
	if err != nil {
		return sessionParams{}, err
	}
	p.fp = fingerprint("sessions", p.query.UserID, p.query.Agent, timeKey(p.query.Start), timeKey(p.query.End),
		p.query.Sort, strconv.FormatBool(p.query.Desc))
	if p.query.After, err = decodeCursor(c, "sessions", p.fp); err != nil {
		return sessionParams{}, err
	}
	if p.query.After != nil && p.query.Offset > 0 {
		return sessionParams{}, &paramError{param: paramOffset, msg: "must not be given with cursor"}
	}
	if p.format, err = q.format(); err != nil {
		return sessionParams{}, err
	}
	for _, e := range []queryParam{{paramSort, sortRaw}, {paramUserID, p.query.UserID}, {paramAgent, p.query.Agent},
		{paramStart, formatEchoTime(p.query.Start)}, {paramEnd, formatEchoTime(p.query.End)}} {
		if e.value != "" {
			p.echo = append(p.echo, e)
		}
	}
	return p, nil
}

// link formats the query string of a page: by offset, or after a cursor.
func (p *sessionParams) link(offset int, cursor string) string {
	return pageLink(offset, cursor, p.query.Limit, p.echo)
}

func (h *handler) listSessions(w http.ResponseWriter, r *http.Request) {
	p, err := parseSessionParams(r.URL.RawQuery)
	if err != nil {
		h.writeError(w, clientError(err))
		return
	}
	if p.format == formatCSV {
		h.sessionsCSV(w, r, p.query)
		return
	}
	q := p.query
	q.Limit++
	page, err := h.ext.ListSessions(r.Context(), q)
	if err != nil {
		h.storeError(w, r, "list sessions", err)
		return
	}
	limit := p.query.Limit
	out := sessionListJSON{Results: make([]sessionJSON, 0, min(len(page.Sessions), limit)), Count: page.Count}
	if len(page.Sessions) > limit {
		page.Sessions = page.Sessions[:limit]
		last := page.Sessions[limit-1]
		c := encodeCursor("sessions", p.fp, store.Cursor{Value: sessionSortValue(last, q.Sort), ID: last.SessionID})
		out.NextCursor = &c
	}
	for _, s := range page.Sessions {
		out.Results = append(out.Results, renderSession(s))
	}
	out.Next, out.Previous = pageLinks(p.query.After != nil, p.query.Offset, limit, page.Count, out.NextCursor, p.link)
	h.writeJSON(w, http.StatusOK, out)
}

func sessionSortValue(s store.SessionSummary, field string) int64 {
	return store.UserSummary{RunCount: s.RunCount, FirstSeen: s.FirstSeen, LastSeen: s.LastSeen,
		TotalDuration: s.TotalDuration, TotalCost: s.TotalCost, TotalTokens: s.TotalTokens}.SortValue(field)
}

func (h *handler) getSession(w http.ResponseWriter, r *http.Request, id string) {
	if !utf8.ValidString(id) {
		h.writeError(w, (&paramError{param: paramSessionID, msg: "must be valid UTF-8"}).apiError())
		return
	}
	if len(id) > store.MaxUserIDBytes {
		h.writeError(w, errNotFound("session", id))
		return
	}
	d, err := h.ext.GetSession(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		h.writeError(w, errNotFound("session", id))
		return
	}
	if err != nil {
		h.storeError(w, r, "get session", err)
		return
	}
	s := d.Summary
	out := sessionDetailJSON{
		SessionID: s.SessionID,
		Aggregates: sessionAggregatesJSON{RunCount: s.RunCount, TotalDuration: seconds(s.TotalDuration),
			TotalCost: usd(s.TotalCost), TotalTokens: s.TotalTokens, Users: nonNil(s.Users), Agents: nonNil(s.Agents),
			FirstSeen: timestamp(s.FirstSeen), LastSeen: timestamp(s.LastSeen)},
		Runs:          renderRuns(d.Runs),
		RunsTruncated: s.RunCount > int64(len(d.Runs)),
	}
	h.writeJSON(w, http.StatusOK, out)
}

// renderRuns renders runs with their users.
func renderRuns(runs []store.RunSummary) []sessionRunJSON {
	seed := renderUserDetail(store.UserDetail{Runs: runs}).Runs
	out := make([]sessionRunJSON, len(runs))
	for i := range runs {
		out[i].runJSON = seed[i]
		if runs[i].UserID != "" {
			u := runs[i].UserID
			out[i].UserID = &u
		}
	}
	return out
}
