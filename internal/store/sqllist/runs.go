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
// range, so a deep page reads no more entries than the first.
func Runs(d Dialect, q store.RunQuery, userID, sessionID, agent string, arg func(any) string) RunList {
	var l RunList
	filter := func(v any) string {
		l.CountArgs++
		return arg(v)
	}
	var conds []string
	if q.UserID != "" {
		conds = append(conds, "user_id = "+filter(userID))
	}
	if q.SessionID != "" {
		conds = append(conds, "session_id = "+filter(sessionID))
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
	l.Count = "0" + d.Int8
	if !q.NoCount {
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
