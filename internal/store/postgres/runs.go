package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// GetRun returns the run with the given id and its counted calls, oldest
// first (ties by span id); store.ErrNotFound if there is none.
func (s *Store) GetRun(ctx context.Context, id int64) (store.RunDetail, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT id, run_key, trace_id, root_span_id, implicit, user_id, session_id,
			agent_name, workflow_name, start_ns, end_ns, error, input_tokens, cache_read_tokens, cache_write_tokens,
			output_tokens, reasoning_tokens, cost_nanos, call_count, user_conflicts
		FROM runs WHERE id = $1`, id)
	b.Queue(`SELECT span_id, start_ns, model, provider, input_tokens, cache_read_tokens,
			cache_write_tokens, output_tokens, reasoning_tokens, cost_nanos, cost_source, aggregate
		FROM calls c WHERE (c.trace_id, c.run_key) = (SELECT trace_id, run_key FROM runs WHERE id = $1)
		ORDER BY start_ns, span_id`, id)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	var d store.RunDetail
	var tid, root []byte
	err := br.QueryRow().Scan(&d.ID, &d.Key, &tid, &root, &d.Implicit, &d.UserID, &d.SessionID,
		&d.AgentName, &d.WorkflowName, &d.Start, &d.End, &d.Error, &d.Tokens.Input, &d.Tokens.CachedInput,
		&d.Tokens.CacheWrite, &d.Tokens.Output, &d.Tokens.Reasoning, &d.CostNanos, &d.CallCount, &d.UserConflicts)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.RunDetail{}, fmt.Errorf("run %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.RunDetail{}, fmt.Errorf("cannot get run: %w", err)
	}
	d.TraceID, d.RootSpanID = hex.EncodeToString(tid), hex.EncodeToString(root)
	rows, _ := br.Query()
	var c store.CallDetail
	var sid []byte
	if _, err := pgx.ForEachRow(rows, []any{&sid, &c.Start, &c.Model, &c.Provider, &c.Tokens.Input,
		&c.Tokens.CachedInput, &c.Tokens.CacheWrite, &c.Tokens.Output, &c.Tokens.Reasoning, &c.CostNanos,
		&c.CostSource, &c.Aggregate}, func() error {
		c.SpanID = hex.EncodeToString(sid)
		d.Calls = append(d.Calls, c)
		return nil
	}); err != nil {
		return store.RunDetail{}, fmt.Errorf("cannot get run: %w", err)
	}
	if err := br.Close(); err != nil {
		return store.RunDetail{}, fmt.Errorf("cannot get run: %w", err)
	}
	return d, nil
}
