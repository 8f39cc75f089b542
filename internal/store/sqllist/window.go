package sqllist

import (
	"strings"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// Windowed aggregates: every aggregate of a user counts only the runs that
// started in [lo, hi). They are exact for any bounds: whole hours inside the
// window come from the user_hours rollup, the parts of the window shorter
// than an hour at either end from the runs themselves (store.SplitWindow).
// Their statements have UserColumns.

// WindowUsers selects every user with a run in the window and its window
// aggregates, for a list sorted by sortCol; exact reports whether first_seen
// and last_seen are (WindowAgg).
func (d Dialect) WindowUsers(sp store.Split, arg func(any) string, sortCol string) (sql string, exact bool) {
	if sortCol == "first_seen" || sortCol == "last_seen" {
		// No rollup holds them: straight from the runs of the window.
		return d.WindowRuns(sp, arg, "user_id <> ''"), true
	}
	return d.WindowAgg(sp, arg, "user_id <> ''")
}

// WindowAgg selects, per user with a run in the window, the window's
// run_count, total_duration, total_cost and total_tokens, from user_hours
// for whole hours and from runs at the edges. first_seen and last_seen are
// exact only when the window has no whole hour (exact says whether they
// are); otherwise they are placeholders, filled for the rows that need them
// (WindowExtremes). userCond restricts the users (non-empty user_id for all,
// "user_id = $n" for one); it is applied to both tables.
func (d Dialect) WindowAgg(sp store.Split, arg func(any) string, userCond string) (sql string, exact bool) {
	if !sp.Hours {
		return d.WindowRuns(sp, arg, userCond), true
	}
	hours := func(lo, hi string) string {
		return `SELECT user_id, run_count, 0` + d.Int8 + ` AS first_seen, 0` + d.Int8 + ` AS last_seen,
			total_duration, total_cost, total_tokens FROM user_hours WHERE hour >= ` + lo + ` AND hour < ` + hi +
			` AND ` + userCond
	}
	edge := func(lo, hi string) string { return d.edgeRuns(lo, hi, userCond) }
	parts := splitParts(sp, arg, hours, edge)
	return `SELECT user_id, ` + d.Sum("run_count") + ` AS run_count, 0` + d.Int8 + ` AS first_seen, 0` + d.Int8 +
		` AS last_seen, ` + d.Sum("total_duration") + ` AS total_duration, ` + d.Sum("total_cost") +
		` AS total_cost, ` + d.Sum("total_tokens") + ` AS total_tokens
		FROM (` + strings.Join(parts, " UNION ALL ") + `) x GROUP BY user_id`, false
}

// WindowRuns selects, per user with a run in the window, every aggregate
// straight from the runs (the covering index on runs (start_ns)).
func (d Dialect) WindowRuns(sp store.Split, arg func(any) string, userCond string) string {
	return `SELECT user_id, count(*)` + d.Int8 + ` AS run_count, min(start_ns) AS first_seen,
		max(start_ns) AS last_seen, ` + d.Sum(d.Greatest+"(end_ns - start_ns, 0)") + ` AS total_duration,
		` + d.Sum("cost_nanos") + ` AS total_cost, ` + d.Sum("input_tokens + output_tokens") + ` AS total_tokens
		FROM runs WHERE start_ns >= ` + arg(sp.Lo) + ` AND start_ns < ` + arg(sp.Hi) + ` AND ` + userCond +
		` GROUP BY user_id`
}

// edgeRuns selects the runs matching userCond that started in [lo, hi) as
// one-run rollup rows (first_seen and last_seen are the run's start).
func (d Dialect) edgeRuns(lo, hi, userCond string) string {
	return `SELECT user_id, 1` + d.Int8 + ` AS run_count, start_ns AS first_seen, start_ns AS last_seen,
		` + d.Greatest + `(end_ns - start_ns, 0) AS total_duration, cost_nanos AS total_cost,
		input_tokens + output_tokens AS total_tokens
		FROM runs WHERE start_ns >= ` + lo + ` AND start_ns < ` + hi + ` AND ` + userCond
}

// UserWindowTotals is the statement of one user's aggregates over the window
// sp, in one row: run count, duration, cost, tokens, first and last run
// start (0 without runs), then extra, when not nil, more of the select list
// given the user's and the window bounds' placeholders (", agents"). user is
// the user id's placeholder.
func (d Dialect) UserWindowTotals(sp store.Split, arg func(any) string, user string,
	extra func(user, loA, hiA string) string) string {
	agg, _ := d.WindowAgg(sp, arg, "user_id = "+user)
	loA, hiA := arg(sp.Lo), arg(sp.Hi)
	in := " FROM runs r WHERE r.user_id = " + user + " AND r.start_ns >= " + loA + " AND r.start_ns < " + hiA + ")"
	more := ""
	if extra != nil {
		more = extra(user, loA, hiA)
	}
	sum := func(col string) string { return "coalesce(sum(" + col + "), 0)" + d.Int8 }
	return `SELECT ` + sum("run_count") + `, ` + sum("total_duration") + `, ` + sum("total_cost") + `, ` +
		sum("total_tokens") + `, coalesce((SELECT min(r.start_ns)` + in + `, 0), coalesce((SELECT max(r.start_ns)` +
		in + `, 0)` + more + ` FROM (` + agg + `) a`
}

// UserWindowModels is the statement of the cost by model of one user's
// calls in the runs that started in the window sp: rows of model, cost,
// tokens, calls and unpriced calls, most expensive first. Whole hours come
// from user_model_hours, the edges from the calls of the user's runs. user
// is the user id's placeholder.
func (d Dialect) UserWindowModels(sp store.Split, arg func(any) string, user string) string {
	hours := func(lo, hi string) string {
		return `SELECT model, call_count, unpriced_calls, total_cost, total_tokens FROM user_model_hours
			WHERE user_id = ` + user + ` AND hour >= ` + lo + ` AND hour < ` + hi
	}
	edge := func(lo, hi string) string {
		return `SELECT c.model, 1` + d.Int8 + ` AS call_count, CASE WHEN c.cost_source = 'unpriced' THEN 1 ELSE 0 END` +
			d.Int8 + ` AS unpriced_calls, c.cost_nanos AS total_cost, c.input_tokens + c.output_tokens AS total_tokens
			FROM runs r JOIN calls c ON c.trace_id = r.trace_id AND c.run_key = r.run_key
			WHERE r.user_id = ` + user + ` AND r.start_ns >= ` + lo + ` AND r.start_ns < ` + hi
	}
	return `SELECT model, sum(total_cost)` + d.Int8 + ` AS c, sum(total_tokens)` + d.Int8 + `, sum(call_count)` +
		d.Int8 + `, sum(unpriced_calls)` + d.Int8 + ` FROM (` + strings.Join(splitParts(sp, arg, hours, edge), " UNION ALL ") +
		`) m GROUP BY model ORDER BY c DESC, model ASC`
}

// WindowList returns the statement of the windowed users list of q
// (scope=window) sorted by column col: the window's users with their window
// aggregates and q's filters, materialized, then their count and one page
// (CountedUsersSQL). search is the store's condition "the id of user u
// contains q.Search", agent the agent name as the store compares it, and
// extra, when not nil, more of the page's select list given the window
// bounds' placeholders (", agents"). An unpaged list (no limit, no offset:
// an export) reads its extremes and agents otherwise (unpagedWindowList).
func (d Dialect) WindowList(q store.UserQuery, col string, arg func(any) string, search func(string) string,
	agent string, extra func(lo, hi string) string) string {
	loN, hiN := store.Bounds(q.Start, q.End)
	w, exact := d.WindowUsers(store.SplitWindow(loN, hiN), arg, col)
	lo, hi := arg(loN), arg(hiN)
	var conds []string
	if q.Search != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM users u WHERE u.user_id = w.user_id AND "+search(q.Search)+")")
	}
	if q.Agent != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM runs r WHERE r.user_id = w.user_id AND r.agent_name = "+
			arg(agent)+" AND r.start_ns >= "+lo+" AND r.start_ns < "+hi+")")
	}
	if q.Above != nil {
		conds = append(conds, "w."+col+" > "+arg(*q.Above))
	}
	if q.HighUsage != nil {
		conds = append(conds, HighUsageCond("w", *q.HighUsage, arg))
	}
	l := Spec{Dialect: d, From: "f", Alias: "f", Key: "user_id", Cols: UserColumns, SortCol: col, Desc: q.Desc,
		After: q.After, Before: q.Before, Limit: max(q.Limit, 0), Offset: max(q.Offset, 0)}
	with := "WITH w AS (" + w + "), f AS MATERIALIZED (SELECT w.* FROM w" + Where(conds...) + ")"
	if l.Limit == 0 && l.Offset == 0 {
		return with + d.unpagedWindowList(&l, arg, exact, q.NoCount, lo, hi)
	}
	first, last := WindowExtremes(exact, lo, hi)
	more := ""
	if extra != nil {
		more = extra(lo, hi)
	}
	return with + "\n" + l.CountedUsersSQL(arg, first, last, more)
}

// unpagedWindowList continues WindowList's statement for a list without a
// page. A page reads each of its users' extremes (when the rollup does not
// have them) and agents with a probe of the user's runs; over a whole list,
// one pass over the window's runs grouped by user (e) is several times
// faster (a week at a million users: 4 s instead of 11). The count comes
// first on every row (0 with noCount, an export's, which would only
// discard it), and agents last when the dialect aggregates them.
func (d Dialect) unpagedWindowList(l *Spec, arg func(any) string, exact, noCount bool, lo, hi string) string {
	var e []string
	first, last := "p.first_seen", "p.last_seen"
	if !exact {
		e = append(e, "min(start_ns) AS first_seen", "max(start_ns) AS last_seen")
		first, last = "coalesce(e.first_seen, 0)", "coalesce(e.last_seen, 0)"
	}
	agents := ""
	if d.AgentsAgg != "" {
		e = append(e, d.AgentsAgg+" AS agents")
		agents = ", e.agents"
	}
	count := "(SELECT count(*) FROM f)"
	if noCount {
		count = "0"
	}
	sel := "SELECT " + count + ", p.user_id, p.run_count, " + first + ", " + last +
		", p.total_duration, p.total_cost, p.total_tokens" + agents + " FROM (" + l.SQL(arg) + ") p"
	dir := l.dir(false)
	order := " ORDER BY p." + l.SortCol + " " + dir + ", p." + l.Key + " " + dir
	if len(e) == 0 {
		return "\n" + sel + order
	}
	return ", e AS (SELECT user_id, " + strings.Join(e, ", ") + " FROM runs WHERE start_ns >= " + lo +
		" AND start_ns < " + hi + " AND user_id <> '' GROUP BY user_id)\n" + sel +
		" LEFT JOIN e ON e.user_id = p.user_id" + order
}

// Sum is the exact int8 sum of the int8 expression expr. PostgreSQL's
// sum(int8) is numeric, and its per-group state and result took about a
// third of a day's window at a million users; with SplitSums the two int4
// halves (bits 31 and up, the low 31 bits) are summed instead, in int8
// arithmetic. A value of 2^62 or more in one row then fails the statement
// (integer out of range) rather than being summed wrong.
func (d Dialect) Sum(expr string) string {
	if !d.SplitSums {
		return "sum(" + expr + ")" + d.Int8
	}
	return "(sum(((" + expr + ") >> 31)::int4) * 2147483648 + sum(((" + expr + ") & 2147483647)::int4))"
}
