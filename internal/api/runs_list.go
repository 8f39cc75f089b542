package api

import (
	"net/http"
	"strconv"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// Sort orders of the runs list.
const (
	sortStartedAt     = "started_at"
	sortStartedAtDesc = "-started_at"
)

type runListJSON struct {
	Results    []sessionRunJSON `json:"results"`
	Count      int64            `json:"count"`
	Next       *string          `json:"next"`
	Previous   *string          `json:"previous"`
	NextCursor *string          `json:"next_cursor"`
}

// runParams is a validated runs-list request.
type runParams struct {
	query  store.RunQuery
	format string
	fp     string
	echo   []queryParam
}

func parseRunParams(rawQuery string) (runParams, error) {
	q, err := newQuery(rawQuery, routeListRuns)
	if err != nil {
		return runParams{}, err
	}
	var p runParams
	if p.query.UserID, err = q.get(paramUserID); err != nil {
		return runParams{}, err
	}
	if p.query.SessionID, err = q.get(paramSessionID); err != nil {
		return runParams{}, err
	}
	if p.query.UserID == "" && p.query.SessionID == "" {
		return runParams{}, &paramError{param: paramUserID,
			msg: "is required: runs are listed for a user (user_id), a session (session_id) or both"}
	}
	if p.query.Agent, err = q.get(paramAgent); err != nil {
		return runParams{}, err
	}
	if p.query.Start, p.query.End, err = q.window(); err != nil {
		return runParams{}, err
	}
	sortRaw, err := q.get(paramSort)
	if err != nil {
		return runParams{}, err
	}
	switch sortRaw {
	case "", sortStartedAtDesc:
		p.query.Desc = true
	case sortStartedAt:
	default:
		return runParams{}, &paramError{param: paramSort, msg: "must be started_at or -started_at"}
	}
	if p.query.Limit, p.query.Offset, err = q.pageParams(); err != nil {
		return runParams{}, err
	}
	c, err := q.get(paramCursor)
	if err != nil {
		return runParams{}, err
	}
	p.fp = fingerprint("runs", p.query.UserID, p.query.SessionID, p.query.Agent, timeKey(p.query.Start),
		timeKey(p.query.End), strconv.FormatBool(p.query.Desc))
	after, err := decodeCursor(c, "runs", p.fp)
	if err != nil {
		return runParams{}, err
	}
	if after != nil {
		id, err := strconv.ParseInt(after.ID, 10, 64)
		if err != nil {
			return runParams{}, &paramError{param: paramCursor, msg: "is not a cursor of this list"}
		}
		p.query.After = &store.RunCursor{Start: after.Value, ID: id}
		if p.query.Offset > 0 {
			return runParams{}, &paramError{param: paramOffset, msg: "must not be given with cursor"}
		}
	}
	if p.format, err = q.format(); err != nil {
		return runParams{}, err
	}
	for _, e := range []queryParam{{paramSort, sortRaw}, {paramUserID, p.query.UserID},
		{paramSessionID, p.query.SessionID}, {paramAgent, p.query.Agent},
		{paramStart, formatEchoTime(p.query.Start)}, {paramEnd, formatEchoTime(p.query.End)}} {
		if e.value != "" {
			p.echo = append(p.echo, e)
		}
	}
	return p, nil
}

// link formats the query string of a page: by offset, or after a cursor.
func (p *runParams) link(offset int, cursor string) string {
	return pageLink(offset, cursor, p.query.Limit, p.echo)
}

func (h *handler) listRuns(w http.ResponseWriter, r *http.Request) {
	p, err := parseRunParams(r.URL.RawQuery)
	if err != nil {
		h.writeError(w, clientError(err))
		return
	}
	if p.format == formatCSV {
		h.runsCSV(w, r, p.query)
		return
	}
	q := p.query
	q.Limit++
	page, err := h.ext.ListRuns(r.Context(), q)
	if err != nil {
		h.storeError(w, r, "list runs", err)
		return
	}
	limit := p.query.Limit
	out := runListJSON{Count: page.Count}
	if len(page.Runs) > limit {
		page.Runs = page.Runs[:limit]
		last := page.Runs[limit-1]
		c := encodeCursor("runs", p.fp, store.Cursor{Value: last.Start, ID: strconv.FormatInt(last.ID, 10)})
		out.NextCursor = &c
	}
	out.Results = renderRuns(page.Runs)
	out.Next, out.Previous = pageLinks(p.query.After != nil, p.query.Offset, limit, page.Count, out.NextCursor, p.link)
	h.writeJSON(w, http.StatusOK, out)
}

func (h *handler) runsCSV(w http.ResponseWriter, r *http.Request, q store.RunQuery) {
	h.exportCSV(w, r, "runs.csv", []string{"id", "user_id", "session_id", "agent_name", "workflow_name",
		"started_at", "completed_at", "duration", "status", "cost", "tokens"}, func(s *csvSpool) error {
		return h.ext.EachRun(r.Context(), q, func(x store.RunSummary) error {
			status := statusSuccess
			if x.Error {
				status = statusError
			}
			return s.write([]string{strconv.FormatInt(x.ID, 10), csvText(x.UserID), csvText(x.SessionID),
				csvText(x.AgentName), csvText(x.WorkflowName), formatTime(x.Start), formatTime(x.End),
				formatSeconds(max(0, x.End-x.Start)), status, formatUSD(x.CostNanos), strconv.FormatInt(x.Tokens, 10)})
		})
	})
}
