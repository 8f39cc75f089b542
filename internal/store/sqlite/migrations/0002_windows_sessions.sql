-- Rollups and indexes of the windowed, session, run and overview reads
-- (docs/api.md). The new rollups are filled from the runs and calls already
-- stored, so an upgraded database verifies exactly.

-- Sessions: runs sharing a session id (runs without one have no row).
CREATE TABLE sessions (
    session_id     TEXT    NOT NULL PRIMARY KEY,
    run_count      INTEGER NOT NULL,
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    total_duration INTEGER NOT NULL,
    total_cost     INTEGER NOT NULL,
    total_tokens   INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_last_seen ON sessions (last_seen, session_id);
CREATE INDEX sessions_first_seen ON sessions (first_seen, session_id);
CREATE INDEX sessions_run_count ON sessions (run_count, session_id);
CREATE INDEX sessions_total_cost ON sessions (total_cost, session_id);
CREATE INDEX sessions_total_tokens ON sessions (total_tokens, session_id);
CREATE INDEX sessions_total_duration ON sessions (total_duration, session_id);

-- Every run (with or without a user) by the hour it started in. A store may
-- spread an hour over several shard rows; readers sum them.
CREATE TABLE run_hours (
    hour           INTEGER NOT NULL,
    shard          INTEGER NOT NULL,
    run_count      INTEGER NOT NULL,
    user_runs      INTEGER NOT NULL,
    total_duration INTEGER NOT NULL,
    total_cost     INTEGER NOT NULL,
    total_tokens   INTEGER NOT NULL,
    PRIMARY KEY (hour, shard)
) STRICT, WITHOUT ROWID;

-- Every call by model and the hour its run started in.
CREATE TABLE model_hours (
    hour           INTEGER NOT NULL,
    model          TEXT    NOT NULL,
    shard          INTEGER NOT NULL,
    call_count     INTEGER NOT NULL,
    unpriced_calls INTEGER NOT NULL,
    total_cost     INTEGER NOT NULL,
    total_tokens   INTEGER NOT NULL,
    PRIMARY KEY (hour, model, shard)
) STRICT, WITHOUT ROWID;

-- Runs at a window's edges, overview totals, windowed first/last seen
-- (covering).
CREATE INDEX runs_start ON runs (start_ns, user_id, end_ns, cost_nanos, input_tokens, output_tokens);
-- Calls by their run's start: the model totals at a window's edges (covering).
CREATE INDEX calls_run_start ON calls (run_start_ns, model, cost_source, cost_nanos, input_tokens, output_tokens);
-- A user's agents inside a window; the agent filter of windowed lists.
CREATE INDEX runs_user_agent ON runs (user_id, agent_name, start_ns);
-- A session's runs, oldest first (replaces runs_session).
CREATE INDEX runs_session_start ON runs (session_id, start_ns, id);
DROP INDEX runs_session;
-- Full hours of a window, for every user at once (covering).
CREATE INDEX user_hours_hour ON user_hours (hour, user_id, run_count, total_duration, total_cost, total_tokens);
-- A user's models inside a window (covering).
CREATE INDEX user_model_hours_user_hour ON user_model_hours (user_id, hour, model, call_count, unpriced_calls, total_cost, total_tokens);

INSERT INTO sessions (session_id, run_count, first_seen, last_seen, total_duration, total_cost, total_tokens)
SELECT session_id, count(*), min(start_ns), max(start_ns), sum(max(end_ns - start_ns, 0)), sum(cost_nanos),
       sum(input_tokens + output_tokens)
FROM runs WHERE session_id <> '' GROUP BY session_id;

INSERT INTO run_hours (hour, shard, run_count, user_runs, total_duration, total_cost, total_tokens)
SELECT start_ns - ((start_ns % 3600000000000) + 3600000000000) % 3600000000000 AS h, 0, count(*),
       sum(user_id <> ''), sum(max(end_ns - start_ns, 0)), sum(cost_nanos), sum(input_tokens + output_tokens)
FROM runs GROUP BY h;

INSERT INTO model_hours (hour, model, shard, call_count, unpriced_calls, total_cost, total_tokens)
SELECT run_start_ns - ((run_start_ns % 3600000000000) + 3600000000000) % 3600000000000 AS h, model, 0, count(*),
       sum(cost_source = 'unpriced'), sum(cost_nanos), sum(input_tokens + output_tokens)
FROM calls GROUP BY h, model;
