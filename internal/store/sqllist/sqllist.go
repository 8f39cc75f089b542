// Package sqllist builds the stores' sorted list queries (users, sessions,
// windowed users) in SQL that PostgreSQL and SQLite both accept; a Dialect
// holds the differences in syntax.
package sqllist

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// Dialect holds what the two databases spell differently.
type Dialect struct {
	// NoLimit is the LIMIT operand that means "no limit".
	NoLimit string
	// Int8 is the suffix that makes an integer expression int8 ("::int8"),
	// or "" where every integer is.
	Int8 string
	// Greatest is the function returning the larger of two values.
	Greatest string
	// SplitSums sums int8 columns as two int4 halves (PostgreSQL: see Sum).
	SplitSums bool
	// AgentsAgg is the aggregate of a group's distinct agent_name values,
	// sorted, as the store reads a user's agents; "" where the store reads
	// agents apart (SQLite).
	AgentsAgg string
}

// UserColumns are the columns of a user's aggregates, in the users table
// and in every statement of windowed aggregates.
const UserColumns = `user_id, run_count, first_seen, last_seen, total_duration, total_cost, total_tokens`

// RunSummaryColumns are the columns of a run in a user's or a session's
// detail (store.RunSummary).
const RunSummaryColumns = `id, run_key, agent_name, workflow_name, session_id, start_ns, end_ns, error, cost_nanos,
	input_tokens + output_tokens, user_id`

// ModelCostColumns are the columns of a model's share of a user's cost
// (store.ModelCost), in user_models.
const ModelCostColumns = `model, total_cost, total_tokens, call_count, unpriced_calls`

// SessionColumns are the columns of a session's aggregates.
const SessionColumns = `session_id, run_count, first_seen, last_seen, total_duration, total_cost, total_tokens`

// sortColumns are the columns of the sort fields, in the users and sessions
// tables and the windowed aggregates alike. Only these names are spliced
// into SQL; every value is a parameter.
var sortColumns = map[string]string{
	store.SortLastSeen:      "last_seen",
	store.SortFirstSeen:     "first_seen",
	store.SortRunCount:      "run_count",
	store.SortTotalCost:     "total_cost",
	store.SortTotalTokens:   "total_tokens",
	store.SortTotalDuration: "total_duration",
}

// HighUsageCond is the condition of store.UserQuery.HighUsage on the
// aggregates of the row alias (u: a users row, w: a window's).
func HighUsageCond(alias string, b store.UsageBounds, arg func(any) string) string {
	return "(" + alias + ".run_count > " + arg(b.RunCount) + " OR " + alias + ".total_tokens > " + arg(b.Tokens) + ")"
}

// SortColumn returns the column of sort field; "" is store.SortLastSeen.
func SortColumn(field string) (string, error) {
	if field == "" {
		field = store.SortLastSeen
	}
	col, ok := sortColumns[field]
	if !ok {
		return "", fmt.Errorf("unknown sort field %q", field)
	}
	return col, nil
}

// Spec is one sorted list query over a rollup table (users, sessions) or a
// CTE: filters, a sort column with the row key as tie-break in the same
// direction (so one index (column, key) serves both directions),
// offset or keyset pagination (after a cursor, or before one). Only fixed
// identifiers and integers are spliced into the SQL; every value is a
// parameter.
type Spec struct {
	Dialect Dialect
	From    string // "users u"
	Alias   string // "u"
	Key     string // "user_id"
	Cols    string // select list of Alias's columns, unqualified, including Key and SortCol
	Conds   []string
	SortCol string
	Desc    bool
	After   *store.Cursor
	Before  *store.Cursor // wins over After
	Limit   int           // 0: no limit
	Offset  int
}

// Order is the ORDER BY clause of the list over output column names.
func (l *Spec) Order() string { return l.OrderBy(false) }

// OrderBy is the ORDER BY clause of the list, or of the list read from its
// end (both directions reversed): a forward or backward scan of the one
// index (column, key) that serves the list.
func (l *Spec) OrderBy(reverse bool) string {
	dir := l.dir(reverse)
	return "ORDER BY " + l.SortCol + " " + dir + ", " + l.Key + " " + dir
}

// dir is the direction of the sort column and the key, read forward or from
// the list's end.
func (l *Spec) dir(reverse bool) string {
	if l.Desc != reverse {
		return "DESC"
	}
	return "ASC"
}

// SQL returns the page query; arg allocates a parameter. With a cursor it
// is the union of two index range scans, the rest of the cursor's tie group
// and the rows beyond its value, so that a page deep in the list reads no
// more index entries than the first page, in both stores' planners. Before a
// cursor, that union is read from the list's end, in the reversed order,
// and put back in list order.
func (l *Spec) SQL(arg func(any) string) string {
	where := func(extra ...string) string { return Where(append(slices.Clone(l.Conds), extra...)...) }
	a := l.Alias + "."
	limit := ""
	if l.Limit > 0 {
		limit = " LIMIT " + strconv.Itoa(l.Limit)
	}
	cur, reverse := l.After, false
	if l.Before != nil {
		cur, reverse = l.Before, true
	}
	if cur == nil {
		q := "SELECT " + l.Cols + " FROM " + l.From + where() + " " + l.Order()
		switch {
		case l.Offset > 0 && limit == "":
			q += " LIMIT " + l.Dialect.NoLimit + " OFFSET " + strconv.Itoa(l.Offset)
		case l.Offset > 0:
			q += limit + " OFFSET " + strconv.Itoa(l.Offset)
		default:
			q += limit
		}
		return q
	}
	v, id := arg(cur.Value), arg(cur.ID)
	dir := l.dir(reverse)
	beyond, next := a+l.SortCol+" > "+v, a+l.Key+" > "+id
	if dir == "DESC" {
		beyond, next = a+l.SortCol+" < "+v, a+l.Key+" < "+id
	}
	// SQLite takes no parenthesised UNION members and PostgreSQL 15 wants
	// an alias on every subquery: aliased subqueries suit both.
	tie := "SELECT * FROM (SELECT " + l.Cols + " FROM " + l.From + where(a+l.SortCol+" = "+v, next) +
		" ORDER BY " + a + l.Key + " " + dir + limit + ") t"
	rest := "SELECT * FROM (SELECT " + l.Cols + " FROM " + l.From + where(beyond) + " " + l.OrderBy(reverse) + limit + ") b"
	q := "SELECT * FROM (" + tie + " UNION ALL " + rest + ") k " + l.OrderBy(reverse) + limit
	if reverse {
		q = "SELECT * FROM (" + q + ") r " + l.Order()
	}
	return q
}

// Where is " WHERE " and conds joined by AND, or "" without conds.
func Where(conds ...string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// Count is a select-list expression: how many rows of l.From match l.Conds.
func (l *Spec) Count() string { return "(SELECT count(*) FROM " + l.From + Where(l.Conds...) + ")" }

// CountedSQL selects one page of l with count (Count, or an expression of
// the same value) as the first column of every row; extra is more of the
// select list over the page row p (", users"), or "".
func (l *Spec) CountedSQL(arg func(any) string, count, extra string) string {
	return "SELECT " + count + ", " + l.Cols + extra + " FROM (" + l.SQL(arg) + ") p " + l.Order()
}

// CountedUsersSQL selects the number of rows of l.From and one page of
// them: a row per user of the page, or a single row with a NULL user_id
// when the page is empty. first and last are the first_seen and last_seen
// expressions over the page row p; extra is more of the select list
// (", agents"), or "".
func (l *Spec) CountedUsersSQL(arg func(any) string, first, last, extra string) string {
	page := l.SQL(arg)
	return "SELECT c.n, p.user_id, coalesce(p.run_count, 0), coalesce(" + first + ", 0), coalesce(" + last + ", 0), " +
		"coalesce(p.total_duration, 0), coalesce(p.total_cost, 0), coalesce(p.total_tokens, 0)" + extra + "\n" +
		"FROM (SELECT count(*) AS n FROM " + l.From + ") c LEFT JOIN (" + page + ") p ON true " +
		strings.Replace(l.Order(), "ORDER BY ", "ORDER BY p.", 1)
}

// WindowExtremes returns the expressions of the first and last run start
// of user p.user_id in [lo, hi) (parameters loA, hiA): the window rollup's
// own p.first_seen and p.last_seen when they are exact, else a read of the
// user's runs. A user of the window may have no run left in it at the
// clamped edges of the time range; an absent extreme reads as 0, never NULL.
func WindowExtremes(exact bool, loA, hiA string) (first, last string) {
	if exact {
		return "p.first_seen", "p.last_seen"
	}
	in := " FROM runs r WHERE r.user_id = p.user_id AND r.start_ns >= " + loA + " AND r.start_ns < " + hiA + ")"
	return "coalesce((SELECT min(r.start_ns)" + in + ", 0)", "coalesce((SELECT max(r.start_ns)" + in + ", 0)"
}

// SessionFilter is what a sessions list's agent and time filters add to
// its query.
type SessionFilter struct {
	// Conds are the conditions on a sessions row s.
	Conds []string
	// Lo and Hi are the placeholders of the window's bounds, "" without one.
	Lo, Hi string
}

// SessionConds returns the conditions on a sessions row s of q's agent and
// time filters; agent is the agent name as the store compares it. The
// session's first and last seen bound its runs' starts: a cheap necessary
// condition before the exact probe of the window.
func SessionConds(q store.SessionQuery, agent string, arg func(any) string) SessionFilter {
	var f SessionFilter
	if q.Agent != "" {
		f.Conds = append(f.Conds, "EXISTS (SELECT 1 FROM runs r WHERE r.session_id = s.session_id AND r.agent_name = "+
			arg(agent)+")")
	}
	if !q.Start.IsZero() || !q.End.IsZero() {
		lo, hi := store.Bounds(q.Start, q.End)
		f.Lo, f.Hi = arg(lo), arg(hi)
		f.Conds = append(f.Conds, "s.last_seen >= "+f.Lo, "s.first_seen < "+f.Hi,
			"EXISTS (SELECT 1 FROM runs r WHERE r.session_id = s.session_id AND r.start_ns >= "+f.Lo+
				" AND r.start_ns < "+f.Hi+")")
	}
	return f
}

// SessionCount is the count of a sessions list with q's filters (f, the
// list's SessionConds), for a list of the sessions table: the table's size
// without filters (row_counts, in PostgreSQL; "" where the store counts),
// and with a window alone the distinct sessions of the window's runs, one
// range of the runs' start index instead of a probe of every session that
// overlaps the window (a day at a million users: 94 ms instead of 740).
// Other filters count l.
func SessionCount(q store.SessionQuery, f SessionFilter, l *Spec, tableCount string) string {
	switch {
	case q.NoCount:
		return "0" + l.Dialect.Int8
	case q.UserID == "" && q.Agent == "" && f.Lo == "" && tableCount != "":
		return tableCount
	case q.UserID == "" && q.Agent == "" && f.Lo != "":
		return "(SELECT count(DISTINCT session_id) FROM runs WHERE start_ns >= " + f.Lo + " AND start_ns < " + f.Hi +
			" AND session_id <> '')"
	}
	return l.Count()
}
