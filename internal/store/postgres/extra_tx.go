package postgres

import (
	"math/rand/v2"

	"github.com/waxell/otelcol-waxell/internal/store/ledger"
)

// shards is the number of rows each sharded rollup key (an hour of
// run_hours, an hour and model of model_hours, a name of row_counts) is
// spread over. Each transaction adds all its deltas to one shard picked at
// random, so concurrent writers of the current hour rarely wait for one
// another; readers sum the shards. One shard per transaction and key, taken
// in the fixed table order, keeps the lock order acyclic.
const shards = 16

// shard returns the transaction's shard, picking it on first use.
func (t *applyTx) shard() int32 {
	if t.shardNo == 0 {
		t.shardNo = 1 + rand.Int32N(shards)
	}
	return t.shardNo - 1
}

// countInsertedSQL adds the rows of the CTE "up" whose inserted is true to
// row_counts(name, shard).
func countInsertedSQL(name, shardParam string) string {
	return `INSERT INTO row_counts AS c (name, shard, n)
		SELECT '` + name + `', ` + shardParam + `::int, count(*) FROM up WHERE inserted HAVING count(*) > 0
		ON CONFLICT (name, shard) DO UPDATE SET n = c.n + EXCLUDED.n`
}

// countDeletedSQL subtracts the rows of the CTE "d" from row_counts(name, shard).
func countDeletedSQL(name, shardParam string) string {
	return `INSERT INTO row_counts AS c (name, shard, n)
		SELECT '` + name + `', ` + shardParam + `::int, -count(*) FROM d HAVING count(*) > 0
		ON CONFLICT (name, shard) DO UPDATE SET n = c.n + EXCLUDED.n`
}

var (
	upsertSessionsSQL = `WITH up AS (INSERT INTO sessions AS s (session_id, run_count, first_seen, last_seen,
			total_duration, total_cost, total_tokens)
		SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[])
		ON CONFLICT (session_id) DO UPDATE SET run_count = s.run_count + EXCLUDED.run_count,
			first_seen = least(s.first_seen, EXCLUDED.first_seen),
			last_seen = greatest(s.last_seen, EXCLUDED.last_seen),
			total_duration = s.total_duration + EXCLUDED.total_duration,
			total_cost = s.total_cost + EXCLUDED.total_cost,
			total_tokens = s.total_tokens + EXCLUDED.total_tokens
		RETURNING (xmax = 0) AS inserted)
		` + countInsertedSQL("sessions", "$8")
	deleteSessionsSQL = `WITH d AS (DELETE FROM sessions WHERE session_id = ANY($1::text[]) AND run_count <= 0
		RETURNING 1) ` + countDeletedSQL("sessions", "$2")
	// Two statements, for the reason given at recomputeUsersSQL.
	lockSessionsSQL      = `SELECT 1 FROM sessions WHERE session_id = ANY($1::text[]) ORDER BY session_id FOR UPDATE`
	recomputeSessionsSQL = `UPDATE sessions s SET
			first_seen = coalesce(least((SELECT min(r.start_ns) FROM runs r WHERE r.session_id = s.session_id),
				` + retiredSessionFirst + `), s.first_seen),
			last_seen = coalesce(greatest((SELECT max(r.start_ns) FROM runs r WHERE r.session_id = s.session_id),
				` + retiredSessionLast + `), s.last_seen)
		WHERE s.session_id = ANY($1::text[])`

	// user_sessions (migration 0008) is written after sessions, whose rows
	// the transaction holds by then: every writer of a session's member rows
	// holds the session's row first. An upserted row takes the session's
	// aggregates as they are now (zeros once the session is deleted: its
	// member rows are then emptied too); the refresh copies them to the
	// session's other members, skipping the rows already equal. A session
	// whose run count equals the batch's net runs in it is new in this
	// transaction (a stored session has at least one run): its members are
	// all among the upserted rows, so the refresh does not probe them.
	upsertUserSessionsSQL = `INSERT INTO user_sessions AS t (session_id, user_id, runs, run_count, first_seen,
			last_seen, total_duration, total_cost, total_tokens)
		SELECT d.session_id, d.user_id, d.n, coalesce(s.run_count, 0), coalesce(s.first_seen, 0),
			coalesce(s.last_seen, 0), coalesce(s.total_duration, 0), coalesce(s.total_cost, 0),
			coalesce(s.total_tokens, 0)
		FROM unnest($1::text[], $2::text[], $3::int8[]) WITH ORDINALITY AS d(session_id, user_id, n, i)
		LEFT JOIN LATERAL (SELECT * FROM sessions s WHERE s.session_id = d.session_id OFFSET 0) s ON true
		ORDER BY d.i
		ON CONFLICT (session_id, user_id) DO UPDATE SET runs = t.runs + EXCLUDED.runs,
			run_count = EXCLUDED.run_count, first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen,
			total_duration = EXCLUDED.total_duration, total_cost = EXCLUDED.total_cost,
			total_tokens = EXCLUDED.total_tokens`
	deleteUserSessionsSQL = `DELETE FROM user_sessions t USING unnest($1::text[], $2::text[]) AS d(session_id, user_id)
		WHERE t.session_id = d.session_id AND t.user_id = d.user_id AND t.runs <= 0`
	refreshUserSessionsSQL = `UPDATE user_sessions t SET run_count = x.run_count, first_seen = x.first_seen,
			last_seen = x.last_seen, total_duration = x.total_duration, total_cost = x.total_cost,
			total_tokens = x.total_tokens
		FROM (SELECT s.*, m.user_id FROM unnest($1::text[], $2::int8[]) AS k(session_id, batch_runs)
			CROSS JOIN LATERAL (SELECT * FROM sessions s WHERE s.session_id = k.session_id
				AND s.run_count <> k.batch_runs OFFSET 0) s
			CROSS JOIN LATERAL (SELECT u.user_id FROM user_sessions u WHERE u.session_id = s.session_id
				AND (u.run_count, u.first_seen, u.last_seen, u.total_duration, u.total_cost, u.total_tokens)
				IS DISTINCT FROM (s.run_count, s.first_seen, s.last_seen, s.total_duration, s.total_cost,
					s.total_tokens) OFFSET 0) m) x
		WHERE t.session_id = x.session_id AND t.user_id = x.user_id`

	upsertRunHoursSQL = `INSERT INTO run_hours AS t (hour, shard, run_count, user_runs, total_duration, total_cost,
			total_tokens)
		SELECT h, $7::int, r, u, d, c, k FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::int8[],
			$6::int8[]) AS x(h, r, u, d, c, k)
		ON CONFLICT (hour, shard) DO UPDATE SET run_count = t.run_count + EXCLUDED.run_count,
			user_runs = t.user_runs + EXCLUDED.user_runs, total_duration = t.total_duration + EXCLUDED.total_duration,
			total_cost = t.total_cost + EXCLUDED.total_cost, total_tokens = t.total_tokens + EXCLUDED.total_tokens`
	deleteRunHoursSQL = `DELETE FROM run_hours WHERE hour = ANY($1::int8[]) AND shard = $2::int AND run_count = 0
		AND user_runs = 0 AND total_duration = 0 AND total_cost = 0 AND total_tokens = 0`

	upsertModelHoursSQL = `INSERT INTO model_hours AS t (hour, model, shard, call_count, unpriced_calls, total_cost,
			total_tokens)
		SELECT h, m, $7::int, n, u, c, k FROM unnest($1::int8[], $2::text[], $3::int8[], $4::int8[], $5::int8[],
			$6::int8[]) AS x(h, m, n, u, c, k)
		ON CONFLICT (hour, model, shard) DO UPDATE SET call_count = t.call_count + EXCLUDED.call_count,
			unpriced_calls = t.unpriced_calls + EXCLUDED.unpriced_calls,
			total_cost = t.total_cost + EXCLUDED.total_cost, total_tokens = t.total_tokens + EXCLUDED.total_tokens`
	deleteModelHoursSQL = `DELETE FROM model_hours t USING unnest($1::int8[], $2::text[]) AS d(hour, model)
		WHERE t.hour = d.hour AND t.model = d.model AND t.shard = $3::int AND t.call_count = 0
			AND t.unpriced_calls = 0 AND t.total_cost = 0 AND t.total_tokens = 0`
)

// queueExtra queues the session and hour rollups of c, after the per-user
// ones (the table order every writer follows).
func (t *applyTx) queueExtra(c *ledger.Changes) {
	sessionsRollup.queue(t, c.Sessions, t.shard())
	if len(c.RecomputeSessionExtremes) > 0 {
		t.queue(lockSessionsSQL, c.RecomputeSessionExtremes)
		t.queue(recomputeSessionsSQL, c.RecomputeSessionExtremes)
	}
	userSessionsRollup.queue(t, c.UserSessions)
	if len(c.Sessions) > 0 {
		ids := make([]string, len(c.Sessions))
		runs := make([]int64, len(c.Sessions))
		for i := range c.Sessions {
			ids[i], runs[i] = c.Sessions[i].SessionID, c.Sessions[i].Delta.Runs
		}
		t.queue(refreshUserSessionsSQL, ids, runs)
	}
	runHoursRollup.queue(t, c.Hours, t.shard())
	modelHoursRollup.queue(t, c.ModelHours, t.shard())
}
