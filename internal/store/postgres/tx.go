package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
)

// applyTx implements ledger.Tx on one READ COMMITTED transaction.
//
// Round trips: LockTraces pipelines the lock with the loads of the traces'
// spans, runs and calls (pgx.Batch); the later LoadSpans, LoadRuns and
// LoadCalls are served from what was loaded then. That is exact: the loads
// run after the lock statement, each with its own READ COMMITTED snapshot,
// and nobody else can change a locked trace's rows. New spans, runs and calls
// are one COPY each; the other changes are queued and sent in one pipeline
// by ApplyChanges. One ApplySpans thus costs at most seven round trips:
// BEGIN, lock+load, three COPYs, the pipeline, COMMIT. The lock round trip
// also reads the schema version, after the lock (fenceWritersSQL).
type applyTx struct {
	tx pgx.Tx

	loaded map[pcommon.TraceID]bool
	spans  map[pcommon.TraceID][]genai.Span
	runs   map[pcommon.TraceID][]ledger.StoredRun
	calls  map[pcommon.TraceID][]genai.Call

	pending *pgx.Batch // queued writes not sent yet

	schema int64 // the highest migration this binary knows (store.CheckSchema)

	shardNo int32 // the shard of this transaction's sharded rows, 1-based; 0 = not picked yet
}

var _ ledger.Tx = (*applyTx)(nil)

const (
	spanColumns = `trace_id, span_id, parent_span_id, start_ns, end_ns, error, role, convention, service,
		user_id, session_id, agent_name, workflow_name, model, provider, has_usage, input_tokens, output_tokens,
		cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, cost_source`
	runColumns = `run_key, trace_id, root_span_id, implicit, user_id, session_id, agent_name, workflow_name,
		start_ns, end_ns, error, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
		reasoning_tokens, cost_nanos, call_count, user_conflicts`
	callColumns = `trace_id, span_id, run_key, start_ns, model, provider, input_tokens, output_tokens,
		cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, cost_source, aggregate, user_id,
		run_start_ns`
)

// Lock statement: inserts missing trace rows and locks all of them, in the
// order given (sorted by the ledger). xmax = 0 only for a row inserted by this
// statement; a conflicting row is updated (locked) by us and gets our xid.
const lockTracesSQL = `INSERT INTO traces (trace_id) SELECT unnest($1::bytea[])
	ON CONFLICT (trace_id) DO UPDATE SET trace_id = EXCLUDED.trace_id
	RETURNING trace_id, (xmax = 0) AS inserted`

// Loads look up each trace id with its own index scan. The plain forms
// (trace_id = ANY($1), or a join with unnest) are planned from column
// statistics; without them (a new or fast-growing table that autovacuum has
// not analysed yet) the planner assumes each id matches 0.5% of the rows and
// reads the whole table for a few hundred ids, every batch. A LATERAL
// subquery fenced with OFFSET 0 cannot be flattened into a hash join: it is
// planned as a nested loop of index probes, one per trace.
var (
	loadSpansSQL = `SELECT s.* FROM unnest($1::bytea[]) AS k(trace_id) CROSS JOIN LATERAL (
		SELECT ` + spanColumns + ` FROM spans WHERE spans.trace_id = k.trace_id OFFSET 0) s
		ORDER BY s.trace_id, s.span_id`
	loadRunsSQL = `SELECT r.* FROM unnest($1::bytea[]) AS k(trace_id) CROSS JOIN LATERAL (
		SELECT id, ` + runColumns + ` FROM runs WHERE ` + runsOfTrace("k.trace_id") + ` OFFSET 0) r
		ORDER BY r.run_key`
	loadCallsSQL = `SELECT c.* FROM unnest($1::bytea[]) AS k(trace_id) CROSS JOIN LATERAL (
		SELECT ` + callColumns + ` FROM calls WHERE calls.trace_id = k.trace_id OFFSET 0) c
		ORDER BY c.trace_id, c.span_id`
)

// runsOfTrace is the condition that selects the runs of trace (a bytea
// expression) as a range of the unique run_key index: every key is the
// trace id in lower-case hex, ':' and the root span id (genai.RunKey), and
// ';' is the byte after ':'. Migration 0006 dropped runs (trace_id).
func runsOfTrace(trace string) string {
	hex := "encode(" + trace + ", 'hex')"
	return `run_key >= (` + hex + ` || ':') COLLATE "C" AND run_key < (` + hex + ` || ';') COLLATE "C"`
}

func (t *applyTx) LockTraces(ctx context.Context, traces []pcommon.TraceID) ([]bool, error) {
	ids := make([][]byte, len(traces))
	for i := range traces {
		ids[i] = traces[i][:]
	}
	b := &pgx.Batch{}
	b.Queue(lockTracesSQL, ids)
	b.Queue(store.SchemaVersionSQL)
	b.Queue(loadSpansSQL, ids)
	b.Queue(loadRunsSQL, ids)
	b.Queue(loadCallsSQL, ids)
	br := t.tx.SendBatch(ctx, b)
	defer br.Close()

	inserted := make(map[pcommon.TraceID]bool, len(traces))
	rows, _ := br.Query()
	var raw []byte
	var ins bool
	if _, err := pgx.ForEachRow(rows, []any{&raw, &ins}, func() error {
		id, err := traceID(raw)
		inserted[id] = ins
		return err
	}); err != nil {
		return nil, fmt.Errorf("lock traces: %w", err)
	}
	if len(inserted) != len(traces) {
		return nil, fmt.Errorf("lock traces: %d rows for %d traces", len(inserted), len(traces))
	}
	var stored int64
	if err := br.QueryRow().Scan(&stored); err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	if err := store.CheckSchema(stored, t.schema); err != nil {
		return nil, err
	}
	known := make([]bool, len(traces))
	for i, id := range traces {
		ins, ok := inserted[id]
		if !ok {
			return nil, fmt.Errorf("lock traces: trace %s not returned", id)
		}
		known[i] = !ins
	}

	t.loaded = make(map[pcommon.TraceID]bool, len(traces))
	for _, id := range traces {
		t.loaded[id] = true
	}
	t.spans = map[pcommon.TraceID][]genai.Span{}
	t.runs = map[pcommon.TraceID][]ledger.StoredRun{}
	t.calls = map[pcommon.TraceID][]genai.Call{}

	rows, _ = br.Query()
	for rows.Next() {
		s, err := scanSpan(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("load spans: %w", err)
		}
		t.spans[s.TraceID] = append(t.spans[s.TraceID], s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load spans: %w", err)
	}
	rows, _ = br.Query()
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("load runs: %w", err)
		}
		t.runs[r.TraceID] = append(t.runs[r.TraceID], r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load runs: %w", err)
	}
	rows, _ = br.Query()
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("load calls: %w", err)
		}
		t.calls[c.TraceID] = append(t.calls[c.TraceID], c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load calls: %w", err)
	}
	return known, br.Close()
}

func (t *applyTx) checkLoaded(traces []pcommon.TraceID) error {
	for _, id := range traces {
		if !t.loaded[id] {
			return fmt.Errorf("trace %s was not locked", id)
		}
	}
	return nil
}

func (t *applyTx) LoadSpans(_ context.Context, traces []pcommon.TraceID) ([]genai.Span, error) {
	if err := t.checkLoaded(traces); err != nil {
		return nil, fmt.Errorf("load spans: %w", err)
	}
	var out []genai.Span
	for _, id := range traces {
		out = append(out, t.spans[id]...)
	}
	return out, nil
}

func (t *applyTx) LoadRuns(_ context.Context, traces []pcommon.TraceID) ([]ledger.StoredRun, error) {
	if err := t.checkLoaded(traces); err != nil {
		return nil, fmt.Errorf("load runs: %w", err)
	}
	var out []ledger.StoredRun
	for _, id := range traces {
		out = append(out, t.runs[id]...)
	}
	return out, nil
}

func (t *applyTx) LoadCalls(_ context.Context, traces []pcommon.TraceID) ([]genai.Call, error) {
	if err := t.checkLoaded(traces); err != nil {
		return nil, fmt.Errorf("load calls: %w", err)
	}
	var out []genai.Call
	for _, id := range traces {
		out = append(out, t.calls[id]...)
	}
	return out, nil
}

func (t *applyTx) queue(sql string, args ...any) {
	if t.pending == nil {
		t.pending = &pgx.Batch{}
	}
	t.pending.Queue(sql, args...)
}

// flush sends the queued statements in one pipeline.
func (t *applyTx) flush(ctx context.Context) error {
	b := t.pending
	t.pending = nil
	if b == nil || b.Len() == 0 {
		return nil
	}
	return t.tx.SendBatch(ctx, b).Close()
}

// InsertSpans writes new spans by COPY (copy.go): a locked trace's new spans
// cannot exist yet.
func (t *applyTx) InsertSpans(ctx context.Context, spans []genai.Span) error {
	return copyNew(ctx, t, "spans", spanColumns, spans, 320, writeSpan)
}

// Change statements. Every INSERT ... SELECT FROM unnest(...) processes its
// rows in array order, which the ledger sorted by key, so concurrent writers
// take row locks (and unique-index insertion waits) in one global order:
// traces first, then each table in the order of ApplyChanges.
var (
	deleteCallsSQL = `DELETE FROM calls c USING unnest($1::bytea[], $2::bytea[]) AS d(trace_id, span_id)
		WHERE c.trace_id = d.trace_id AND c.span_id = d.span_id`
	deleteRunsSQL = `DELETE FROM runs WHERE run_key = ANY($1::text[])`
	// New runs and calls are written by COPY (ledger.Changes: the trace lock
	// keeps their keys ours); changed ones by these upserts.
	upsertRunsSQL = `INSERT INTO runs (` + runColumns + `)
		SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::bool[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::int8[], $10::int8[], $11::bool[], $12::int8[], $13::int8[], $14::int8[], $15::int8[],
			$16::int8[], $17::int8[], $18::int8[], $19::int8[])
		ON CONFLICT (run_key) DO UPDATE SET trace_id = EXCLUDED.trace_id, root_span_id = EXCLUDED.root_span_id,
			implicit = EXCLUDED.implicit, user_id = EXCLUDED.user_id, session_id = EXCLUDED.session_id,
			agent_name = EXCLUDED.agent_name, workflow_name = EXCLUDED.workflow_name, start_ns = EXCLUDED.start_ns,
			end_ns = EXCLUDED.end_ns, error = EXCLUDED.error, input_tokens = EXCLUDED.input_tokens,
			output_tokens = EXCLUDED.output_tokens, cache_read_tokens = EXCLUDED.cache_read_tokens,
			cache_write_tokens = EXCLUDED.cache_write_tokens, reasoning_tokens = EXCLUDED.reasoning_tokens,
			cost_nanos = EXCLUDED.cost_nanos, call_count = EXCLUDED.call_count,
			user_conflicts = EXCLUDED.user_conflicts`
	upsertCallsSQL = `INSERT INTO calls (` + callColumns + `)
		SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::text[], $4::int8[], $5::text[], $6::text[], $7::int8[],
			$8::int8[], $9::int8[], $10::int8[], $11::int8[], $12::int8[], $13::text[], $14::bool[], $15::text[],
			$16::int8[])
		ON CONFLICT (trace_id, span_id) DO UPDATE SET run_key = EXCLUDED.run_key, start_ns = EXCLUDED.start_ns,
			model = EXCLUDED.model, provider = EXCLUDED.provider, input_tokens = EXCLUDED.input_tokens,
			output_tokens = EXCLUDED.output_tokens, cache_read_tokens = EXCLUDED.cache_read_tokens,
			cache_write_tokens = EXCLUDED.cache_write_tokens, reasoning_tokens = EXCLUDED.reasoning_tokens,
			cost_nanos = EXCLUDED.cost_nanos, cost_source = EXCLUDED.cost_source, aggregate = EXCLUDED.aggregate,
			user_id = EXCLUDED.user_id, run_start_ns = EXCLUDED.run_start_ns`

	// first_seen/last_seen of a delta without added runs are the neutral
	// elements of least/greatest (such a new row is deleted right after:
	// its run_count is <= 0).
	// The users inserted and deleted are counted in row_counts (extra_tx.go).
	upsertUsersSQL = `WITH up AS (INSERT INTO users AS u (user_id, search_key, run_count, first_seen, last_seen,
			total_duration, total_cost, total_tokens)
		SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[],
			$8::int8[])
		ON CONFLICT (user_id) DO UPDATE SET run_count = u.run_count + EXCLUDED.run_count,
			first_seen = least(u.first_seen, EXCLUDED.first_seen),
			last_seen = greatest(u.last_seen, EXCLUDED.last_seen),
			total_duration = u.total_duration + EXCLUDED.total_duration,
			total_cost = u.total_cost + EXCLUDED.total_cost,
			total_tokens = u.total_tokens + EXCLUDED.total_tokens
		RETURNING (xmax = 0) AS inserted)
		` + countInsertedSQL("users", "$9")
	deleteUsersSQL = `WITH d AS (DELETE FROM users WHERE user_id = ANY($1::text[]) AND run_count <= 0 RETURNING 1)
		` + countDeletedSQL("users", "$2")
	// The recompute is two statements: the first locks the rows (already
	// locked by the upsert when the ledger lists the user in Users, as it
	// does; kept so the recompute never depends on that), the second starts
	// with a fresh READ COMMITTED snapshot taken after the locks were
	// granted, so its subqueries see the runs of every writer that committed
	// while we waited. Writers that commit later wait for our lock and then
	// apply least/greatest (or their own recompute) on top of our values.
	lockUsersSQL      = `SELECT 1 FROM users WHERE user_id = ANY($1::text[]) ORDER BY user_id FOR UPDATE`
	recomputeUsersSQL = `UPDATE users u SET
			first_seen = coalesce(least((SELECT min(r.start_ns) FROM runs r WHERE r.user_id = u.user_id),
				` + retiredUserFirst + `), u.first_seen),
			last_seen = coalesce(greatest((SELECT max(r.start_ns) FROM runs r WHERE r.user_id = u.user_id),
				` + retiredUserLast + `), u.last_seen)
		WHERE u.user_id = ANY($1::text[])`

	upsertUserModelsSQL = `INSERT INTO user_models AS t (user_id, model, call_count, unpriced_calls, total_cost,
			total_tokens)
		SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[])
		ON CONFLICT (user_id, model) DO UPDATE SET call_count = t.call_count + EXCLUDED.call_count,
			unpriced_calls = t.unpriced_calls + EXCLUDED.unpriced_calls,
			total_cost = t.total_cost + EXCLUDED.total_cost, total_tokens = t.total_tokens + EXCLUDED.total_tokens`
	deleteUserModelsSQL = `DELETE FROM user_models t USING unnest($1::text[], $2::text[]) AS d(user_id, model)
		WHERE t.user_id = d.user_id AND t.model = d.model AND t.call_count <= 0`

	upsertUserAgentsSQL = `INSERT INTO user_agents AS t (user_id, agent_name, run_count)
		SELECT * FROM unnest($1::text[], $2::text[], $3::int8[])
		ON CONFLICT (user_id, agent_name) DO UPDATE SET run_count = t.run_count + EXCLUDED.run_count`
	deleteUserAgentsSQL = `DELETE FROM user_agents t USING unnest($1::text[], $2::text[]) AS d(user_id, agent_name)
		WHERE t.user_id = d.user_id AND t.agent_name = d.agent_name AND t.run_count <= 0`

	upsertUserHoursSQL = `INSERT INTO user_hours AS t (user_id, hour, run_count, total_duration, total_cost,
			total_tokens)
		SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[])
		ON CONFLICT (user_id, hour) DO UPDATE SET run_count = t.run_count + EXCLUDED.run_count,
			total_duration = t.total_duration + EXCLUDED.total_duration,
			total_cost = t.total_cost + EXCLUDED.total_cost, total_tokens = t.total_tokens + EXCLUDED.total_tokens`
	deleteUserHoursSQL = `DELETE FROM user_hours t USING unnest($1::text[], $2::int8[]) AS d(user_id, hour)
		WHERE t.user_id = d.user_id AND t.hour = d.hour AND t.run_count <= 0`

	// bumpHourVersionsSQL bumps the versions of the hours $1 (sorted) on
	// shard $2: a replica's hour index rereads hours whose version changed.
	bumpHourVersionsSQL = `INSERT INTO user_hour_versions AS t (hour, shard, version)
		SELECT h, $2::int, 1 FROM unnest($1::int8[]) AS h ORDER BY h
		ON CONFLICT (hour, shard) DO UPDATE SET version = t.version + 1`

	upsertUserModelHoursSQL = `INSERT INTO user_model_hours AS t (user_id, model, hour, call_count,
			unpriced_calls, total_cost, total_tokens)
		SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])
		ON CONFLICT (user_id, model, hour) DO UPDATE SET call_count = t.call_count + EXCLUDED.call_count,
			unpriced_calls = t.unpriced_calls + EXCLUDED.unpriced_calls,
			total_cost = t.total_cost + EXCLUDED.total_cost, total_tokens = t.total_tokens + EXCLUDED.total_tokens`
	deleteUserModelHoursSQL = `DELETE FROM user_model_hours t
		USING unnest($1::text[], $2::text[], $3::int8[]) AS d(user_id, model, hour)
		WHERE t.user_id = d.user_id AND t.model = d.model AND t.hour = d.hour AND t.call_count <= 0`
)

// ApplyChanges writes the new runs and calls by COPY, then sends every other
// change statement in one pipeline. The server runs them in order, each with
// its own READ COMMITTED snapshot. Deletes of rollup rows are issued only for
// keys whose count delta is <= 0: a positive delta can never bring a count to
// zero.
func (t *applyTx) ApplyChanges(ctx context.Context, c *ledger.Changes) error {
	if err := copyNew(ctx, t, "runs", runColumns, c.RunsInserted, 360, writeRun); err != nil {
		return err
	}
	if err := copyNew(ctx, t, "calls", callColumns, c.CallsInserted, 300, writeCall); err != nil {
		return err
	}
	if n := len(c.CallsDeleted); n > 0 {
		traces, spans := make([][]byte, n), make([][]byte, n)
		for i := range c.CallsDeleted {
			traces[i], spans[i] = c.CallsDeleted[i].TraceID[:], c.CallsDeleted[i].SpanID[:]
		}
		t.queue(deleteCallsSQL, traces, spans)
	}
	if len(c.RunsDeleted) > 0 {
		t.queue(deleteRunsSQL, c.RunsDeleted)
	}
	queueUpserts(t, upsertRunsSQL, c.RunsUpdated, writeRun)
	queueUpserts(t, upsertCallsSQL, c.CallsUpdated, writeCall)
	usersRollup.queue(t, c.Users, t.shard())
	if len(c.RecomputeExtremes) > 0 {
		t.queue(lockUsersSQL, c.RecomputeExtremes)
		t.queue(recomputeUsersSQL, c.RecomputeExtremes)
	}
	userModelsRollup.queue(t, c.UserModels)
	userAgentsRollup.queue(t, c.UserAgents)
	userHoursRollup.queue(t, c.UserHours)
	if len(c.UserHours) > 0 {
		t.queue(bumpHourVersionsSQL, changedHours(c.UserHours), t.shard())
	}
	userModelHoursRollup.queue(t, c.UserModelHours)
	t.queueExtra(c)
	return t.flush(ctx)
}

// Scanning.

func traceID(b []byte) (pcommon.TraceID, error) {
	var id pcommon.TraceID
	if len(b) != len(id) {
		return id, fmt.Errorf("trace id of %d bytes", len(b))
	}
	copy(id[:], b)
	return id, nil
}

func spanID(b []byte) (pcommon.SpanID, error) {
	var id pcommon.SpanID
	if len(b) != len(id) {
		return id, fmt.Errorf("span id of %d bytes", len(b))
	}
	copy(id[:], b)
	return id, nil
}

// idScanner collects raw id columns and converts them after Scan.
type idScanner struct {
	raw [3][]byte
	err error
}

func (s *idScanner) trace(i int, dst *pcommon.TraceID) {
	if s.err == nil {
		*dst, s.err = traceID(s.raw[i])
	}
}

func (s *idScanner) span(i int, dst *pcommon.SpanID) {
	if s.err == nil {
		*dst, s.err = spanID(s.raw[i])
	}
}

func scanSpan(rows pgx.Rows) (genai.Span, error) {
	var s genai.Span
	var ids idScanner
	var role, source string
	err := rows.Scan(&ids.raw[0], &ids.raw[1], &ids.raw[2], &s.Start, &s.End, &s.Error, &role, &s.Convention,
		&s.Service, &s.UserID, &s.SessionID, &s.AgentName, &s.WorkflowName, &s.Model, &s.Provider, &s.HasUsage,
		&s.Usage.Input, &s.Usage.Output, &s.Usage.CacheRead, &s.Usage.CacheWrite, &s.Usage.Reasoning,
		&s.CostNanos, &source)
	if err != nil {
		return s, err
	}
	ids.trace(0, &s.TraceID)
	ids.span(1, &s.SpanID)
	ids.span(2, &s.ParentSpanID)
	s.Role, s.CostSource = genai.Role(role), genai.CostSource(source)
	return s, ids.err
}

func scanRun(rows pgx.Rows) (ledger.StoredRun, error) {
	var r ledger.StoredRun
	var ids idScanner
	err := rows.Scan(&r.ID, &r.Key, &ids.raw[0], &ids.raw[1], &r.Implicit, &r.UserID, &r.SessionID, &r.AgentName,
		&r.WorkflowName, &r.Start, &r.End, &r.Error, &r.Usage.Input, &r.Usage.Output, &r.Usage.CacheRead,
		&r.Usage.CacheWrite, &r.Usage.Reasoning, &r.CostNanos, &r.CallCount, &r.UserConflicts)
	if err != nil {
		return r, err
	}
	ids.trace(0, &r.TraceID)
	ids.span(1, &r.RootSpanID)
	return r, ids.err
}

func scanCall(rows pgx.Rows) (genai.Call, error) {
	var c genai.Call
	var ids idScanner
	var source string
	err := rows.Scan(&ids.raw[0], &ids.raw[1], &c.RunKey, &c.Start, &c.Model, &c.Provider, &c.Usage.Input,
		&c.Usage.Output, &c.Usage.CacheRead, &c.Usage.CacheWrite, &c.Usage.Reasoning, &c.CostNanos, &source,
		&c.Aggregate, &c.UserID, &c.RunStart)
	if err != nil {
		return c, err
	}
	ids.trace(0, &c.TraceID)
	ids.span(1, &c.SpanID)
	c.CostSource = genai.CostSource(source)
	return c, ids.err
}

// changedHours returns the distinct hours of d, sorted.
func changedHours(d []ledger.UserHourDelta) []int64 {
	hours := make([]int64, 0, len(d))
	for i := range d {
		hours = append(hours, d[i].Hour)
	}
	slices.Sort(hours)
	return slices.Compact(hours)
}
