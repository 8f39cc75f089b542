package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// readModelCosts reads the next result of br: rows of model, cost, tokens,
// calls and unpriced calls.
func readModelCosts(br pgx.BatchResults) ([]store.ModelCost, error) {
	var m store.ModelCost
	return collect(br, &m, &m.Model, &m.TotalCost, &m.TotalTokens, &m.CallCount, &m.UnpricedCalls)
}

// readRunSummaries reads the next result of br: rows of
// sqllist.RunSummaryColumns.
func readRunSummaries(br pgx.BatchResults) ([]store.RunSummary, error) {
	var r store.RunSummary
	return collect(br, &r, runSummaryDest(&r)...)
}

// runSummaryDest is where the columns sqllist.RunSummaryColumns are read.
func runSummaryDest(r *store.RunSummary) []any {
	return []any{&r.ID, &r.Key, &r.AgentName, &r.WorkflowName, &r.SessionID, &r.Start, &r.End, &r.Error,
		&r.CostNanos, &r.Tokens, &r.UserID}
}

// readUserLists reads the last two results of a user detail's batch, its
// cost by model and its runs, into d and closes br.
func readUserLists(br pgx.BatchResults, d *store.UserDetail) error {
	var err error
	if d.CostByModel, err = readModelCosts(br); err != nil {
		return err
	}
	if d.Runs, err = readRunSummaries(br); err != nil {
		return err
	}
	return br.Close()
}

// collect reads every row of the next result of br into dest, fields of *v,
// and returns a copy of *v per row.
func collect[T any](br pgx.BatchResults, v *T, dest ...any) ([]T, error) {
	rows, _ := br.Query()
	var out []T
	_, err := pgx.ForEachRow(rows, dest, func() error {
		out = append(out, *v)
		return nil
	})
	return out, err
}
