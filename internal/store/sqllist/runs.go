package sqllist

import (
	"strconv"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// RunList is the SQL of one list of runs (store.RunQuery).
type RunList struct {
	// Page selects the page's runs (RunSummaryColumns) after a first column
	// holding Count's value (0 with q.NoCount).
	Page string
	// Count selects how many runs match, for a page that came back empty.
	Count string
	// CountArgs is how many of the arguments Count takes: the first ones.
	CountArgs int
}

// Runs builds the list of q; userID, sessionID and agent are the values as
// the store compares them. The filters are equalities and a range on
// start_ns, and the order is (start_ns, id) in q's direction, so a user's
// or a session's runs are one range of the (user_id, start_ns, id) or
// (session_id, start_ns, id) index; a cursor is a row comparison on that
// range, so a deep page reads no more entries than the first. The count of
// all of a user's or a session's runs comes from its rollup row; with more
// filters it counts one index range.
func Runs(d Dialect, q store.RunQuery, userID, sessionID, agent string, arg func(any) string) RunList {
	var l RunList
	filter := func(v any) string {
		l.CountArgs++
		return arg(v)
	}
	var conds []string
	var userA, sessionA string
	if q.UserID != "" {
		userA = filter(userID)
		conds = append(conds, "user_id = "+userA)
	}
	if q.SessionID != "" {
		sessionA = filter(sessionID)
		conds = append(conds, "session_id = "+sessionA)
	}
	if q.Agent != "" {
		conds = append(conds, "agent_name = "+filter(agent))
	}
	if !q.Start.IsZero() {
		conds = append(conds, "start_ns >= "+filter(q.Start.UnixNano()))
	}
	if !q.End.IsZero() {
		conds = append(conds, "start_ns < "+filter(q.End.UnixNano()))
	}
	switch {
	case q.NoCount:
		l.Count = "0" + d.Int8
	case len(conds) == 1 && userA != "":
		l.Count = rollupRuns("users", "user_id", userA)
	case len(conds) == 1 && sessionA != "":
		l.Count = rollupRuns("sessions", "session_id", sessionA)
	default:
		l.Count = "(SELECT count(*) FROM runs" + Where(conds...) + ")"
	}
	// Placeholders are numbered: the page reuses the count's.
	dir, cmp := "ASC", ">"
	if q.Desc {
		dir, cmp = "DESC", "<"
	}
	if c := q.After; c != nil {
		conds = append(conds, "(start_ns, id) "+cmp+" ("+arg(c.Start)+", "+arg(c.ID)+")")
	}
	l.Page = "SELECT " + l.Count + ", " + RunSummaryColumns + " FROM runs" + Where(conds...) +
		" ORDER BY start_ns " + dir + ", id " + dir
	switch {
	case q.Limit > 0:
		l.Page += " LIMIT " + strconv.Itoa(q.Limit)
		if q.Offset > 0 {
			l.Page += " OFFSET " + strconv.Itoa(q.Offset)
		}
	case q.Offset > 0:
		l.Page += " LIMIT " + d.NoLimit + " OFFSET " + strconv.Itoa(q.Offset)
	}
	return l
}

// rollupRuns is the number of stored runs of one user or session, read from
// its rollup row instead of counted (the heaviest users have a hundred
// thousand runs): the rollup's lifetime run count less the runs retention
// deleted from it (retired_rollups, migration 0003).
func rollupRuns(table, key, a string) string {
	return "(coalesce((SELECT run_count FROM " + table + " WHERE " + key + " = " + a + "), 0) - " +
		"coalesce((SELECT runs FROM retired_rollups WHERE rollup = '" + table + "' AND k1 = " + a +
		" AND k2 = '' AND k3 = ''), 0))"
}
