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
		return `SELECT ` + strconv.Itoa(list) + `, ` + o.Zero + `, p.user_id, p.run_count, ` + o.First + `, ` + o.Last +
			`, p.total_duration, p.total_cost, p.total_tokens` + agents + ` FROM (SELECT * FROM f` + where +
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
