package sqllist

import (
	"strconv"
	"strings"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// OverviewUsers is the statement of an overview's users over a window: one
// pass over the window's users (agg, materialized as f) shared by the count
// and every list. Its rows are (list, count, user_id, run_count, first_seen,
// last_seen, total_duration, total_cost, total_tokens[, agents]): list 0 is
// the one row with the count of f; list k fills store.Overview.Lists()[k-1]
// (top users by cost, outliers by run count, outliers by tokens), in no order.
type OverviewUsers struct {
	Agg         string // the window's users with their window aggregates
	First, Last string // a list row p's first and last seen (WindowExtremes)
	// Zero is an int8 zero; Agents, when set, is the select-list expression
	// of a list row p's agents and NoAgents that of the count row.
	Zero, Agents, NoAgents string
}

// SQL returns the statement for q; arg allocates the outliers' thresholds.
func (o OverviewUsers) SQL(q store.OverviewQuery, arg func(any) string) string {
	top, outliers := q.OverviewLists()
	agents, noAgents := "", ""
	if o.Agents != "" {
		agents, noAgents = ", "+o.Agents, ", "+o.NoAgents
	}
	branch := func(list int, where, order string, limit int) string {
		// The outliers (lists 2 and 3) carry ids and sums only
		// (store.Overview.HighRunCount): no extremes or agents to look up.
		first, last, ag := o.First, o.Last, agents
		if list > 1 {
			first, last, ag = o.Zero, o.Zero, noAgents
		}
		return `SELECT ` + strconv.Itoa(list) + `, ` + o.Zero + `, p.user_id, p.run_count, ` + first + `, ` + last +
			`, p.total_duration, p.total_cost, p.total_tokens` + ag + ` FROM (SELECT * FROM f` + where +
			` ORDER BY ` + order + ` DESC, user_id DESC LIMIT ` + strconv.Itoa(limit) + `) p`
	}
	parts := []string{`SELECT 0, count(*), NULL` + strings.Repeat(", "+o.Zero, 6) + noAgents + ` FROM f`,
		branch(1, "", "total_cost", top)}
	if q.RunCountAbove != nil {
		parts = append(parts, branch(2, " WHERE run_count > "+arg(*q.RunCountAbove), "run_count", outliers))
	}
	if q.TokensAbove != nil {
		parts = append(parts, branch(3, " WHERE total_tokens > "+arg(*q.TokensAbove), "total_tokens", outliers))
	}
	return `WITH f AS MATERIALIZED (` + o.Agg + `) ` + strings.Join(parts, " UNION ALL ")
}

// WindowOverviewUsers is the OverviewUsers statement of q over the window
// [lo, hi). agents, when not nil, gives the select-list expression of a list
// row p's agents from the window bounds' placeholders, and noAgents that of
// the count row.
func (d Dialect) WindowOverviewUsers(q store.OverviewQuery, lo, hi int64, arg func(any) string,
	agents func(loA, hiA string) string, noAgents string) string {
	agg, exact := d.WindowAgg(store.SplitWindow(lo, hi), arg, "user_id <> ''")
	loA, hiA := arg(lo), arg(hi)
	first, last := WindowExtremes(exact, loA, hiA)
	o := OverviewUsers{Agg: agg, First: first, Last: last, Zero: "0" + d.Int8}
	if agents != nil {
		o.Agents, o.NoAgents = agents(loA, hiA), noAgents
	}
	return o.SQL(q, arg)
}

// OverviewTotals is the statement of the totals of the runs that started in
// the window sp: run count, runs with a user, duration, cost and tokens, in
// one row. Whole hours come from run_hours, the edges from the runs.
func (d Dialect) OverviewTotals(sp store.Split, arg func(any) string) string {
	hours := func(lo, hi string) string {
		return `SELECT sum(run_count) AS rc, sum(user_runs) AS ur, sum(total_duration) AS d, sum(total_cost) AS c,
			sum(total_tokens) AS k FROM run_hours WHERE hour >= ` + lo + ` AND hour < ` + hi
	}
	edge := func(lo, hi string) string {
		return `SELECT count(*) AS rc, count(CASE WHEN user_id <> '' THEN 1 END) AS ur,
			sum(` + d.Greatest + `(end_ns - start_ns, 0)) AS d, sum(cost_nanos) AS c, sum(input_tokens + output_tokens) AS k
			FROM runs WHERE start_ns >= ` + lo + ` AND start_ns < ` + hi
	}
	sum := func(col string) string { return "coalesce(sum(" + col + "), 0)" + d.Int8 }
	return `SELECT ` + sum("rc") + `, ` + sum("ur") + `, ` + sum("d") + `, ` + sum("c") + `, ` + sum("k") +
		` FROM (` + strings.Join(splitParts(sp, arg, hours, edge), " UNION ALL ") + `) t`
}

// OverviewModels is the statement of the cost by model of the calls of the
// runs that started in the window sp: rows of model, cost, tokens, calls and
// unpriced calls, most expensive first. Whole hours come from model_hours,
// the edges from the calls.
func (d Dialect) OverviewModels(sp store.Split, arg func(any) string) string {
	hours := func(lo, hi string) string {
		return `SELECT model, call_count AS n, unpriced_calls AS u, total_cost AS c, total_tokens AS k
			FROM model_hours WHERE hour >= ` + lo + ` AND hour < ` + hi
	}
	edge := func(lo, hi string) string {
		return `SELECT model, 1` + d.Int8 + ` AS n, CASE WHEN cost_source = 'unpriced' THEN 1 ELSE 0 END` + d.Int8 +
			` AS u, cost_nanos AS c, input_tokens + output_tokens AS k
			FROM calls WHERE run_start_ns >= ` + lo + ` AND run_start_ns < ` + hi
	}
	return `SELECT model, sum(c)` + d.Int8 + ` AS cost, sum(k)` + d.Int8 + `, sum(n)` + d.Int8 + `, sum(u)` + d.Int8 +
		` FROM (` + strings.Join(splitParts(sp, arg, hours, edge), " UNION ALL ") + `) m
		GROUP BY model HAVING sum(n) <> 0 OR sum(c) <> 0 OR sum(k) <> 0 ORDER BY cost DESC, model ASC`
}

// splitParts are the parts of a statement over the window sp: hours over
// its whole hours, edge over what is left at either end (or over all of it
// when it has no whole hour). Each gets its bounds' placeholders.
func splitParts(sp store.Split, arg func(any) string, hours, edge func(lo, hi string) string) []string {
	if !sp.Hours {
		return []string{edge(arg(sp.Lo), arg(sp.Hi))}
	}
	parts := []string{hours(arg(sp.HoursLo), arg(sp.HoursHi))}
	if sp.Lo < sp.HoursLo {
		parts = append(parts, edge(arg(sp.Lo), arg(sp.HoursLo)))
	}
	if sp.HoursHi < sp.Hi {
		parts = append(parts, edge(arg(sp.HoursHi), arg(sp.Hi)))
	}
	return parts
}
