package sqlite

import (
	"context"

	"github.com/waxell/otelcol-waxell/internal/store/ledger"
)

// The columns user_sessions copies from sessions, and their sources.
const (
	userSessionCopy = `run_count, first_seen, last_seen, total_duration, total_cost, total_tokens`
	sessionCopyOf   = `SELECT ` + userSessionCopy + ` FROM sessions WHERE session_id = ?1`
	sessionCopyOr0  = `ifnull(s.run_count, 0), ifnull(s.first_seen, 0), ifnull(s.last_seen, 0),
		ifnull(s.total_duration, 0), ifnull(s.total_cost, 0), ifnull(s.total_tokens, 0)`
)

// Write statements of the session and hour rollups (ledger/extra.go). The
// single SQLite writer never contends, so every delta goes to shard 0.
var extraWriteSQL = map[string]string{
	// ?1 session, ?2..?5 deltas, ?6 has added, ?7 min start, ?8 max start
	"upsertSession": `INSERT INTO sessions (session_id, run_count, total_duration, total_cost, total_tokens, first_seen, last_seen)
		VALUES (?1, ?2, ?3, ?4, ?5, ?7, ?8)
		ON CONFLICT (session_id) DO UPDATE SET
			run_count = run_count + excluded.run_count,
			total_duration = total_duration + excluded.total_duration,
			total_cost = total_cost + excluded.total_cost,
			total_tokens = total_tokens + excluded.total_tokens,
			first_seen = CASE WHEN ?6 THEN min(first_seen, excluded.first_seen) ELSE first_seen END,
			last_seen = CASE WHEN ?6 THEN max(last_seen, excluded.last_seen) ELSE last_seen END`,
	"deleteSession": `DELETE FROM sessions WHERE session_id = ? AND run_count <= 0`,
	// The extremes include those of runs deleted by retention (retention.go).
	"recomputeSession": `UPDATE sessions SET
			first_seen = min(ifnull(` + sessionRunsMin + `, ` + sessionRetiredMin + `), ifnull(` + sessionRetiredMin + `, ` + sessionRunsMin + `)),
			last_seen = max(ifnull(` + sessionRunsMax + `, ` + sessionRetiredMax + `), ifnull(` + sessionRetiredMax + `, ` + sessionRunsMax + `))
		WHERE session_id = ? AND (EXISTS (SELECT 1 FROM runs WHERE runs.session_id = sessions.session_id)
			OR ` + sessionRetiredMin + ` IS NOT NULL)`,
	// user_sessions (migration 0008): a user's runs in a session, with the
	// session's aggregates as they are after the sessions rollup; the
	// refresh then copies them to the session's other members, skipping the
	// rows already equal and the sessions new in this transaction (as
	// PostgreSQL does, postgres/extra_tx.go).
	"upsertUserSession": `INSERT INTO user_sessions (session_id, user_id, runs, ` + userSessionCopy + `)
		SELECT ?1, ?2, ?3, ` + sessionCopyOr0 + ` FROM (SELECT 1) LEFT JOIN sessions s ON s.session_id = ?1 WHERE true
		ON CONFLICT (session_id, user_id) DO UPDATE SET runs = runs + excluded.runs, run_count = excluded.run_count,
			first_seen = excluded.first_seen, last_seen = excluded.last_seen,
			total_duration = excluded.total_duration, total_cost = excluded.total_cost,
			total_tokens = excluded.total_tokens`,
	"deleteUserSession": `DELETE FROM user_sessions WHERE session_id = ? AND user_id = ? AND runs <= 0`,
	"refreshUserSessions": `UPDATE user_sessions SET (` + userSessionCopy + `) = (` + sessionCopyOf + `)
		WHERE session_id = ?1 AND (SELECT run_count FROM sessions WHERE session_id = ?1) <> ?2
			AND (` + userSessionCopy + `) IS NOT (` + sessionCopyOf + `)`,
	"upsertRunHour": `INSERT INTO run_hours (hour, shard, run_count, user_runs, total_duration, total_cost, total_tokens)
		VALUES (?, 0, ?, ?, ?, ?, ?)
		ON CONFLICT (hour, shard) DO UPDATE SET
			run_count = run_count + excluded.run_count, user_runs = user_runs + excluded.user_runs,
			total_duration = total_duration + excluded.total_duration,
			total_cost = total_cost + excluded.total_cost, total_tokens = total_tokens + excluded.total_tokens`,
	"deleteRunHour": `DELETE FROM run_hours WHERE hour = ? AND shard = 0 AND run_count = 0 AND user_runs = 0
		AND total_duration = 0 AND total_cost = 0 AND total_tokens = 0`,
	"upsertModelHourAll": `INSERT INTO model_hours (hour, model, shard, call_count, unpriced_calls, total_cost, total_tokens)
		VALUES (?, ?, 0, ?, ?, ?, ?)
		ON CONFLICT (hour, model, shard) DO UPDATE SET
			call_count = call_count + excluded.call_count, unpriced_calls = unpriced_calls + excluded.unpriced_calls,
			total_cost = total_cost + excluded.total_cost, total_tokens = total_tokens + excluded.total_tokens`,
	"deleteModelHourAll": `DELETE FROM model_hours WHERE hour = ? AND model = ? AND shard = 0 AND call_count = 0
		AND unpriced_calls = 0 AND total_cost = 0 AND total_tokens = 0`,
}

// applyExtra writes the session and hour rollups of ch, after the per-user
// ones.
func (w *writeTx) applyExtra(ctx context.Context, ch *ledger.Changes) error {
	if err := applyRollup(ctx, w, ch.Sessions, "upsertSession", "deleteSession", 1, func(s *ledger.SessionDelta) []any {
		d := &s.Delta
		return []any{s.SessionID, d.Runs, d.Duration, d.Cost, d.Tokens, b2i(s.HasAdded), s.MinStart, s.MaxStart}
	}, func(s *ledger.SessionDelta) bool { return s.Delta.Runs < 0 }); err != nil {
		return err
	}
	for _, id := range ch.RecomputeSessionExtremes {
		if _, err := w.exec(ctx, "recomputeSession", id); err != nil {
			return err
		}
	}
	if err := w.applyUserSessions(ctx, ch.UserSessions); err != nil {
		return err
	}
	for i := range ch.Sessions {
		if _, err := w.exec(ctx, "refreshUserSessions", ch.Sessions[i].SessionID, ch.Sessions[i].Delta.Runs); err != nil {
			return err
		}
	}
	if err := applyRollup(ctx, w, ch.Hours, "upsertRunHour", "deleteRunHour", 1, func(h *ledger.HourDelta) []any {
		d := &h.Delta
		return []any{h.Hour, d.Runs, h.UserRuns, d.Duration, d.Cost, d.Tokens}
	}, func(h *ledger.HourDelta) bool { return h.Delta.Runs <= 0 }); err != nil {
		return err
	}
	return applyRollup(ctx, w, ch.ModelHours, "upsertModelHourAll", "deleteModelHourAll", 2,
		func(m *ledger.ModelHourDelta) []any {
			d := &m.Delta
			return []any{m.Hour, m.Model, d.Calls, d.Unpriced, d.Cost, d.Tokens}
		}, func(m *ledger.ModelHourDelta) bool { return m.Delta.Calls <= 0 })
}

// applyUserSessions adds the deltas ds to user_sessions' run counts,
// deleting the rows they empty.
func (w *writeTx) applyUserSessions(ctx context.Context, ds []ledger.UserSessionDelta) error {
	return applyRollup(ctx, w, ds, "upsertUserSession", "deleteUserSession", 2,
		func(d *ledger.UserSessionDelta) []any { return []any{d.SessionID, d.UserID, d.Runs} },
		func(d *ledger.UserSessionDelta) bool { return d.Runs < 0 })
}
