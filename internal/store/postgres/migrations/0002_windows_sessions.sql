-- Rollups and indexes of the windowed, session, run and overview reads
-- (docs/api.md). The new rollups are filled from the runs and calls already
-- stored, so an upgraded database verifies exactly.

-- Sessions: runs sharing a session id (runs without one have no row).
CREATE TABLE sessions (
    session_id     text COLLATE "C" PRIMARY KEY,
    run_count      bigint NOT NULL,
    first_seen     bigint NOT NULL,
    last_seen      bigint NOT NULL,
    total_duration bigint NOT NULL,
    total_cost     bigint NOT NULL,
    total_tokens   bigint NOT NULL
);
CREATE INDEX sessions_last_seen_idx           ON sessions (last_seen, session_id);
CREATE INDEX sessions_last_seen_desc_idx      ON sessions (last_seen DESC, session_id);
CREATE INDEX sessions_first_seen_idx          ON sessions (first_seen, session_id);
CREATE INDEX sessions_first_seen_desc_idx     ON sessions (first_seen DESC, session_id);
CREATE INDEX sessions_run_count_idx           ON sessions (run_count, session_id);
CREATE INDEX sessions_run_count_desc_idx      ON sessions (run_count DESC, session_id);
CREATE INDEX sessions_total_cost_idx          ON sessions (total_cost, session_id);
CREATE INDEX sessions_total_cost_desc_idx     ON sessions (total_cost DESC, session_id);
CREATE INDEX sessions_total_tokens_idx        ON sessions (total_tokens, session_id);
CREATE INDEX sessions_total_tokens_desc_idx   ON sessions (total_tokens DESC, session_id);
CREATE INDEX sessions_total_duration_idx      ON sessions (total_duration, session_id);
CREATE INDEX sessions_total_duration_desc_idx ON sessions (total_duration DESC, session_id);

-- Every run (with or without a user) by the hour it started in, spread over
-- shard rows (one picked at random per transaction) so that concurrent
-- writers rarely wait for one another on the current hour; readers sum them.
CREATE TABLE run_hours (
    hour           bigint NOT NULL,
    shard          int    NOT NULL,
    run_count      bigint NOT NULL,
    user_runs      bigint NOT NULL,
    total_duration bigint NOT NULL,
    total_cost     bigint NOT NULL,
    total_tokens   bigint NOT NULL,
    PRIMARY KEY (hour, shard)
);

-- Every call by model and the hour its run started in (sharded likewise).
CREATE TABLE model_hours (
    hour           bigint NOT NULL,
    model          text COLLATE "C" NOT NULL,
    shard          int    NOT NULL,
    call_count     bigint NOT NULL,
    unpriced_calls bigint NOT NULL,
    total_cost     bigint NOT NULL,
    total_tokens   bigint NOT NULL,
    PRIMARY KEY (hour, model, shard)
);

-- Row counts of users and sessions (sharded likewise), so that an
-- unfiltered list answers its count without reading every row.
CREATE TABLE row_counts (
    name  text COLLATE "C" NOT NULL,
    shard int    NOT NULL,
    n     bigint NOT NULL,
    PRIMARY KEY (name, shard)
);

-- Runs at a window's edges, overview totals, windowed first/last seen
-- (index-only scans).
CREATE INDEX runs_start_idx ON runs (start_ns) INCLUDE (user_id, end_ns, cost_nanos, input_tokens, output_tokens);
-- Calls by their run's start: the model totals at a window's edges (index-only).
CREATE INDEX calls_run_start_idx ON calls (run_start_ns) INCLUDE (model, cost_source, cost_nanos, input_tokens, output_tokens);
-- A user's agents inside a window; the agent filter of windowed lists.
CREATE INDEX runs_user_agent_idx ON runs (user_id, agent_name, start_ns);
-- A session's runs, oldest first (replaces runs_session_idx).
CREATE INDEX runs_session_start_idx ON runs (session_id, start_ns, id);
DROP INDEX runs_session_idx;
-- Full hours of a window, for every user at once (index-only scans).
CREATE INDEX user_hours_hour_idx ON user_hours (hour, user_id)
    INCLUDE (run_count, total_duration, total_cost, total_tokens);
-- A user's models inside a window.
CREATE INDEX user_model_hours_user_hour_idx ON user_model_hours (user_id, hour)
    INCLUDE (model, call_count, unpriced_calls, total_cost, total_tokens);

INSERT INTO sessions (session_id, run_count, first_seen, last_seen, total_duration, total_cost, total_tokens)
SELECT session_id, count(*), min(start_ns), max(start_ns), sum(greatest(end_ns - start_ns, 0)), sum(cost_nanos),
       sum(input_tokens + output_tokens)
FROM runs WHERE session_id <> '' GROUP BY session_id;

INSERT INTO run_hours (hour, shard, run_count, user_runs, total_duration, total_cost, total_tokens)
SELECT start_ns - mod(mod(start_ns, 3600000000000) + 3600000000000, 3600000000000) AS h, 0, count(*),
       count(*) FILTER (WHERE user_id <> ''), sum(greatest(end_ns - start_ns, 0)), sum(cost_nanos),
       sum(input_tokens + output_tokens)
FROM runs GROUP BY h;

INSERT INTO model_hours (hour, model, shard, call_count, unpriced_calls, total_cost, total_tokens)
SELECT run_start_ns - mod(mod(run_start_ns, 3600000000000) + 3600000000000, 3600000000000) AS h, model, 0,
       count(*), count(*) FILTER (WHERE cost_source = 'unpriced'), sum(cost_nanos), sum(input_tokens + output_tokens)
FROM calls GROUP BY h, model;

INSERT INTO row_counts (name, shard, n) SELECT 'users', 0, count(*) FROM users;
INSERT INTO row_counts (name, shard, n) SELECT 'sessions', 0, count(*) FROM sessions;
