package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
)

const spanCols = `trace_id, span_id, parent_span_id, start_ns, end_ns, error, role, convention, service,
	user_id, session_id, agent_name, workflow_name, model, provider, has_usage,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_nanos, cost_source`

const runCols = `trace_id, root_span_id, implicit, user_id, session_id, agent_name, workflow_name,
	start_ns, end_ns, error, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
	cost_nanos, call_count, user_conflicts`

const callCols = `trace_id, span_id, run_key, start_ns, model, provider,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
	cost_nanos, cost_source, aggregate, user_id, run_start_ns`

// Write statements, prepared once on the writer connection.
// runsOfTrace selects the runs of the trace ?1 (a blob) as a range of the
// unique run_key index: every key is the trace id in lower-case hex, ':' and
// the root span id (genai.RunKey), and ';' is the byte after ':'. Migration
// 0006 dropped runs (trace_id).
const runsOfTrace = `run_key >= lower(hex(?1)) || ':' AND run_key < lower(hex(?1)) || ';'`

var writeSQL = map[string]string{
	"lockTrace":  `INSERT INTO traces (trace_id) VALUES (?) ON CONFLICT (trace_id) DO NOTHING`,
	"loadSpans":  `SELECT ` + spanCols + ` FROM spans WHERE trace_id = ?`,
	"loadRuns":   `SELECT id, run_key, ` + runCols + ` FROM runs WHERE ` + runsOfTrace,
	"loadCalls":  `SELECT ` + callCols + ` FROM calls WHERE trace_id = ?`,
	"deleteCall": `DELETE FROM calls WHERE trace_id = ? AND span_id = ?`,
	"deleteRun":  `DELETE FROM runs WHERE run_key = ?`,
	// ?1 user, ?2 search key, ?3..?6 deltas, ?7 has added, ?8 min start, ?9 max start
	"upsertUser": `INSERT INTO users (user_id, search_key, run_count, total_duration, total_cost, total_tokens, first_seen, last_seen)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, ?9)
		ON CONFLICT (user_id) DO UPDATE SET
			run_count = run_count + excluded.run_count,
			total_duration = total_duration + excluded.total_duration,
			total_cost = total_cost + excluded.total_cost,
			total_tokens = total_tokens + excluded.total_tokens,
			first_seen = CASE WHEN ?7 THEN min(first_seen, excluded.first_seen) ELSE first_seen END,
			last_seen = CASE WHEN ?7 THEN max(last_seen, excluded.last_seen) ELSE last_seen END`,
	"deleteUser": `DELETE FROM users WHERE user_id = ? AND run_count <= 0`,
	// The extremes include those of runs deleted by retention (retention.go).
	"recomputeUser": `UPDATE users SET
			first_seen = min(ifnull(` + userRunsMin + `, ` + userRetiredMin + `), ifnull(` + userRetiredMin + `, ` + userRunsMin + `)),
			last_seen = max(ifnull(` + userRunsMax + `, ` + userRetiredMax + `), ifnull(` + userRetiredMax + `, ` + userRunsMax + `))
		WHERE user_id = ? AND (EXISTS (SELECT 1 FROM runs WHERE runs.user_id = users.user_id) OR ` + userRetiredMin + ` IS NOT NULL)`,
	"upsertModel": `INSERT INTO user_models (user_id, model, call_count, unpriced_calls, total_cost, total_tokens)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, model) DO UPDATE SET
			call_count = call_count + excluded.call_count, unpriced_calls = unpriced_calls + excluded.unpriced_calls,
			total_cost = total_cost + excluded.total_cost, total_tokens = total_tokens + excluded.total_tokens`,
	"deleteModel": `DELETE FROM user_models WHERE user_id = ? AND model = ? AND call_count <= 0`,
	"upsertAgent": `INSERT INTO user_agents (user_id, agent_name, run_count) VALUES (?, ?, ?)
		ON CONFLICT (user_id, agent_name) DO UPDATE SET run_count = run_count + excluded.run_count`,
	"deleteAgent": `DELETE FROM user_agents WHERE user_id = ? AND agent_name = ? AND run_count <= 0`,
	"upsertHour": `INSERT INTO user_hours (user_id, hour, run_count, total_duration, total_cost, total_tokens)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, hour) DO UPDATE SET
			run_count = run_count + excluded.run_count, total_duration = total_duration + excluded.total_duration,
			total_cost = total_cost + excluded.total_cost, total_tokens = total_tokens + excluded.total_tokens`,
	"deleteHour": `DELETE FROM user_hours WHERE user_id = ? AND hour = ? AND run_count <= 0`,
	"upsertModelHour": `INSERT INTO user_model_hours (user_id, model, hour, call_count, unpriced_calls, total_cost, total_tokens)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, model, hour) DO UPDATE SET
			call_count = call_count + excluded.call_count, unpriced_calls = unpriced_calls + excluded.unpriced_calls,
			total_cost = total_cost + excluded.total_cost, total_tokens = total_tokens + excluded.total_tokens`,
	"deleteModelHour": `DELETE FROM user_model_hours WHERE user_id = ? AND model = ? AND hour = ? AND call_count <= 0`,
}

// Inserts of spans, runs and calls: a statement per row, and one per
// rowsPerInsert rows (the batch's bulk; the rest goes row by row), which
// saves most of database/sql's and the driver's cost per statement.
var rowWrites = []rowWrite{
	{name: "insertSpan", head: `INSERT INTO spans (` + spanCols + `) VALUES `, cols: 23},
	{name: "upsertRun", head: `INSERT INTO runs (run_key, ` + runCols + `) VALUES `, cols: 19,
		tail: ` ON CONFLICT (run_key) DO UPDATE SET
			trace_id = excluded.trace_id, root_span_id = excluded.root_span_id, implicit = excluded.implicit,
			user_id = excluded.user_id, session_id = excluded.session_id, agent_name = excluded.agent_name,
			workflow_name = excluded.workflow_name, start_ns = excluded.start_ns, end_ns = excluded.end_ns,
			error = excluded.error, input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
			cache_read_tokens = excluded.cache_read_tokens, cache_write_tokens = excluded.cache_write_tokens,
			reasoning_tokens = excluded.reasoning_tokens, cost_nanos = excluded.cost_nanos,
			call_count = excluded.call_count, user_conflicts = excluded.user_conflicts`},
	{name: "upsertCall", head: `INSERT INTO calls (` + callCols + `) VALUES `, cols: 16,
		tail: ` ON CONFLICT (trace_id, span_id) DO UPDATE SET
			run_key = excluded.run_key, start_ns = excluded.start_ns, model = excluded.model,
			provider = excluded.provider, input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
			cache_read_tokens = excluded.cache_read_tokens, cache_write_tokens = excluded.cache_write_tokens,
			reasoning_tokens = excluded.reasoning_tokens, cost_nanos = excluded.cost_nanos,
			cost_source = excluded.cost_source, aggregate = excluded.aggregate, user_id = excluded.user_id,
			run_start_ns = excluded.run_start_ns`},
}

// rowsPerInsert is the number of rows of one multi-row statement (at most
// 32 * 23 parameters, far below SQLite's limit of 32766).
const rowsPerInsert = 32

// rowWrite is an INSERT (or upsert) of one row of cols values, as head +
// VALUES tuples + tail. Its statements are name (one row) and name+"Rows"
// (rowsPerInsert rows).
type rowWrite struct {
	name, head, tail string
	cols             int
}

func (r rowWrite) sql(rows int) string {
	tuple := "(" + strings.Repeat("?,", r.cols-1) + "?)"
	return r.head + strings.Repeat(tuple+",", rows-1) + tuple + r.tail
}

func init() {
	for k, v := range extraWriteSQL {
		writeSQL[k] = v
	}
	for _, r := range rowWrites {
		writeSQL[r.name] = r.sql(1)
		writeSQL[r.name+"Rows"] = r.sql(rowsPerInsert)
	}
}

// execRows writes n rows with the statements of name (rowWrites): whole
// chunks of rowsPerInsert rows with one statement each, the rest one by
// one. add appends the values of row i to args.
func (w *writeTx) execRows(ctx context.Context, name string, n int, add func(args []any, i int) []any) error {
	args := w.args[:0]
	i := 0
	for ; i+rowsPerInsert <= n; i += rowsPerInsert {
		args = args[:0]
		for k := i; k < i+rowsPerInsert; k++ {
			args = add(args, k)
		}
		if _, err := w.exec(ctx, name+"Rows", args...); err != nil {
			return err
		}
	}
	for ; i < n; i++ {
		args = add(args[:0], i)
		if _, err := w.exec(ctx, name, args...); err != nil {
			return err
		}
	}
	clear(args)
	w.args = args[:0]
	return nil
}

type writeStmts struct {
	byName map[string]*sql.Stmt
}

func prepareWriteStmts(ctx context.Context, db *sql.DB) (*writeStmts, error) {
	w := &writeStmts{byName: make(map[string]*sql.Stmt, len(writeSQL))}
	for name, q := range writeSQL {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			_ = w.close()
			return nil, fmt.Errorf("cannot prepare %s: %w", name, err)
		}
		w.byName[name] = st
	}
	return w, nil
}

func (w *writeStmts) close() error {
	var errs []error
	for _, st := range w.byName {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// writeTx implements ledger.Tx on one write transaction.
type writeTx struct {
	tx    *sql.Tx
	stmts *writeStmts
	bound map[string]*sql.Stmt
	args  []any // scratch of execRows
}

var _ ledger.Tx = (*writeTx)(nil)

func newWriteTx(tx *sql.Tx, stmts *writeStmts) *writeTx {
	return &writeTx{tx: tx, stmts: stmts, bound: map[string]*sql.Stmt{}}
}

// stmt returns the named statement bound to the transaction.
func (w *writeTx) stmt(ctx context.Context, name string) *sql.Stmt {
	st, ok := w.bound[name]
	if !ok {
		st = w.tx.StmtContext(ctx, w.stmts.byName[name])
		w.bound[name] = st
	}
	return st
}

func (w *writeTx) exec(ctx context.Context, name string, args ...any) (sql.Result, error) {
	res, err := w.stmt(ctx, name).ExecContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}

// LockTraces inserts the missing trace rows. The transaction is IMMEDIATE,
// so it already holds the database's write lock.
func (w *writeTx) LockTraces(ctx context.Context, traces []pcommon.TraceID) ([]bool, error) {
	known := make([]bool, len(traces))
	for i, t := range traces {
		res, err := w.exec(ctx, "lockTrace", t[:])
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		known[i] = n == 0
	}
	return known, nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (w *writeTx) InsertSpans(ctx context.Context, spans []genai.Span) error {
	return w.execRows(ctx, "insertSpan", len(spans), func(args []any, i int) []any {
		s := &spans[i]
		return append(args, s.TraceID[:], s.SpanID[:], s.ParentSpanID[:], s.Start, s.End, b2i(s.Error),
			string(s.Role), s.Convention, s.Service,
			s.UserID, s.SessionID, s.AgentName, s.WorkflowName, s.Model, s.Provider, b2i(s.HasUsage),
			s.Usage.Input, s.Usage.Output, s.Usage.CacheRead, s.Usage.CacheWrite, s.Usage.Reasoning,
			s.CostNanos, string(s.CostSource))
	})
}

// query runs the named per-trace query for each trace and scans every row.
func (w *writeTx) query(ctx context.Context, name string, traces []pcommon.TraceID, scan func(*sql.Rows) error) error {
	st := w.stmt(ctx, name)
	for _, t := range traces {
		rows, err := st.QueryContext(ctx, t[:])
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				_ = rows.Close()
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func (w *writeTx) LoadSpans(ctx context.Context, traces []pcommon.TraceID) ([]genai.Span, error) {
	var out []genai.Span
	err := w.query(ctx, "loadSpans", traces, func(rows *sql.Rows) error {
		var (
			s               genai.Span
			tid, sid, pid   []byte
			isErr, hasUsage int64
			role, source    string
		)
		if err := rows.Scan(&tid, &sid, &pid, &s.Start, &s.End, &isErr, &role, &s.Convention, &s.Service,
			&s.UserID, &s.SessionID, &s.AgentName, &s.WorkflowName, &s.Model, &s.Provider, &hasUsage,
			&s.Usage.Input, &s.Usage.Output, &s.Usage.CacheRead, &s.Usage.CacheWrite, &s.Usage.Reasoning,
			&s.CostNanos, &source); err != nil {
			return err
		}
		if err := ids(tid, sid, pid, &s.TraceID, &s.SpanID, &s.ParentSpanID); err != nil {
			return err
		}
		s.Error, s.HasUsage = isErr != 0, hasUsage != 0
		s.Role, s.CostSource = genai.Role(role), genai.CostSource(source)
		out = append(out, s)
		return nil
	})
	return out, err
}

// ids copies stored id blobs into their fixed-size arrays.
func ids(tid, sid, pid []byte, t *pcommon.TraceID, s, p *pcommon.SpanID) error {
	if len(tid) != len(t) || len(sid) != len(s) || (pid != nil && len(pid) != len(p)) {
		return fmt.Errorf("malformed id blob (trace %d, span %d, parent %d bytes)", len(tid), len(sid), len(pid))
	}
	copy(t[:], tid)
	copy(s[:], sid)
	if pid != nil {
		copy(p[:], pid)
	}
	return nil
}

func (w *writeTx) LoadRuns(ctx context.Context, traces []pcommon.TraceID) ([]ledger.StoredRun, error) {
	var out []ledger.StoredRun
	err := w.query(ctx, "loadRuns", traces, func(rows *sql.Rows) error {
		r, err := scanRun(rows)
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

func scanRun(rows *sql.Rows) (ledger.StoredRun, error) {
	var (
		r               ledger.StoredRun
		tid, root       []byte
		implicit, isErr int64
	)
	if err := rows.Scan(&r.ID, &r.Key, &tid, &root, &implicit, &r.UserID, &r.SessionID, &r.AgentName, &r.WorkflowName,
		&r.Start, &r.End, &isErr, &r.Usage.Input, &r.Usage.Output, &r.Usage.CacheRead, &r.Usage.CacheWrite,
		&r.Usage.Reasoning, &r.CostNanos, &r.CallCount, &r.UserConflicts); err != nil {
		return r, err
	}
	if err := ids(tid, root, nil, &r.TraceID, &r.RootSpanID, nil); err != nil {
		return r, err
	}
	r.Implicit, r.Error = implicit != 0, isErr != 0
	return r, nil
}

func (w *writeTx) LoadCalls(ctx context.Context, traces []pcommon.TraceID) ([]genai.Call, error) {
	var out []genai.Call
	err := w.query(ctx, "loadCalls", traces, func(rows *sql.Rows) error {
		c, err := scanCall(rows)
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

func scanCall(rows *sql.Rows) (genai.Call, error) {
	var (
		c         genai.Call
		tid, sid  []byte
		source    string
		aggregate int64
	)
	if err := rows.Scan(&tid, &sid, &c.RunKey, &c.Start, &c.Model, &c.Provider,
		&c.Usage.Input, &c.Usage.Output, &c.Usage.CacheRead, &c.Usage.CacheWrite, &c.Usage.Reasoning,
		&c.CostNanos, &source, &aggregate, &c.UserID, &c.RunStart); err != nil {
		return c, err
	}
	if err := ids(tid, sid, nil, &c.TraceID, &c.SpanID, nil); err != nil {
		return c, err
	}
	c.CostSource, c.Aggregate = genai.CostSource(source), aggregate != 0
	return c, nil
}

// ApplyChanges writes the changes in the order of the spec: calls and runs
// deleted, runs and calls upserted, then every rollup. A rollup row can only
// reach zero when its count decreases, so only then is its deletion tried.
func (w *writeTx) ApplyChanges(ctx context.Context, ch *ledger.Changes) error {
	for _, k := range ch.CallsDeleted {
		if _, err := w.exec(ctx, "deleteCall", k.TraceID[:], k.SpanID[:]); err != nil {
			return err
		}
	}
	for _, k := range ch.RunsDeleted {
		if _, err := w.exec(ctx, "deleteRun", k); err != nil {
			return err
		}
	}
	// SQLite's upsert costs what an insert does: new and changed rows share
	// one statement.
	for _, runs := range [][]genai.Run{ch.RunsInserted, ch.RunsUpdated} {
		if err := w.execRows(ctx, "upsertRun", len(runs), func(args []any, i int) []any {
			r := &runs[i]
			return append(args, r.Key, r.TraceID[:], r.RootSpanID[:], b2i(r.Implicit),
				r.UserID, r.SessionID, r.AgentName, r.WorkflowName, r.Start, r.End, b2i(r.Error),
				r.Usage.Input, r.Usage.Output, r.Usage.CacheRead, r.Usage.CacheWrite, r.Usage.Reasoning,
				r.CostNanos, r.CallCount, r.UserConflicts)
		}); err != nil {
			return err
		}
	}
	for _, calls := range [][]genai.Call{ch.CallsInserted, ch.CallsUpdated} {
		if err := w.execRows(ctx, "upsertCall", len(calls), func(args []any, i int) []any {
			c := &calls[i]
			return append(args, c.TraceID[:], c.SpanID[:], c.RunKey, c.Start, c.Model, c.Provider,
				c.Usage.Input, c.Usage.Output, c.Usage.CacheRead, c.Usage.CacheWrite, c.Usage.Reasoning,
				c.CostNanos, string(c.CostSource), b2i(c.Aggregate), c.UserID, c.RunStart)
		}); err != nil {
			return err
		}
	}

	if err := applyRollup(ctx, w, ch.Users, "upsertUser", "deleteUser", 1, func(u *ledger.UserDelta) []any {
		d := &u.Delta
		return []any{u.UserID, strings.ToLower(u.UserID), d.Runs, d.Duration, d.Cost, d.Tokens, b2i(u.HasAdded),
			u.MinStart, u.MaxStart}
	}, func(u *ledger.UserDelta) bool { return u.Delta.Runs < 0 }); err != nil {
		return err
	}
	for _, u := range ch.RecomputeExtremes {
		if _, err := w.exec(ctx, "recomputeUser", u); err != nil {
			return err
		}
	}
	if err := applyRollup(ctx, w, ch.UserModels, "upsertModel", "deleteModel", 2, func(m *ledger.UserModelDelta) []any {
		d := &m.Delta
		return []any{m.UserID, m.Model, d.Calls, d.Unpriced, d.Cost, d.Tokens}
	}, func(m *ledger.UserModelDelta) bool { return m.Delta.Calls < 0 }); err != nil {
		return err
	}
	if err := applyRollup(ctx, w, ch.UserAgents, "upsertAgent", "deleteAgent", 2, func(a *ledger.UserAgentDelta) []any {
		return []any{a.UserID, a.Agent, a.Delta.Runs}
	}, func(a *ledger.UserAgentDelta) bool { return a.Delta.Runs < 0 }); err != nil {
		return err
	}
	if err := applyRollup(ctx, w, ch.UserHours, "upsertHour", "deleteHour", 2, func(h *ledger.UserHourDelta) []any {
		d := &h.Delta
		return []any{h.UserID, h.Hour, d.Runs, d.Duration, d.Cost, d.Tokens}
	}, func(h *ledger.UserHourDelta) bool { return h.Delta.Runs < 0 }); err != nil {
		return err
	}
	if err := applyRollup(ctx, w, ch.UserModelHours, "upsertModelHour", "deleteModelHour", 3,
		func(h *ledger.UserModelHourDelta) []any {
			d := &h.Delta
			return []any{h.UserID, h.Model, h.Hour, d.Calls, d.Unpriced, d.Cost, d.Tokens}
		}, func(h *ledger.UserModelHourDelta) bool { return h.Delta.Calls < 0 }); err != nil {
		return err
	}
	return w.applyExtra(ctx, ch)
}

// applyRollup upserts each delta of ds (statement upsert with args(delta))
// and, when emptied(delta) says the row may have reached zero, deletes it if
// it has (statement del with the first keyArgs of those arguments: the key).
func applyRollup[T any](ctx context.Context, w *writeTx, ds []T, upsert, del string, keyArgs int,
	args func(*T) []any, emptied func(*T) bool) error {
	for i := range ds {
		a := args(&ds[i])
		if _, err := w.exec(ctx, upsert, a...); err != nil {
			return err
		}
		if emptied(&ds[i]) {
			if _, err := w.exec(ctx, del, a[:keyArgs]...); err != nil {
				return err
			}
		}
	}
	return nil
}
