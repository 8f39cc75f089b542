-- Initial schema. Times are Unix nanoseconds, durations nanoseconds, money
-- nano-USD, ids BLOB (trace 16 bytes, span 8 bytes). Booleans are 0/1.

CREATE TABLE traces (
    trace_id BLOB NOT NULL PRIMARY KEY
) STRICT, WITHOUT ROWID;

CREATE TABLE spans (
    trace_id           BLOB    NOT NULL,
    span_id            BLOB    NOT NULL,
    parent_span_id     BLOB    NOT NULL,
    start_ns           INTEGER NOT NULL,
    end_ns             INTEGER NOT NULL,
    error              INTEGER NOT NULL,
    role               TEXT    NOT NULL,
    convention         TEXT    NOT NULL,
    service            TEXT    NOT NULL,
    user_id            TEXT    NOT NULL,
    session_id         TEXT    NOT NULL,
    agent_name         TEXT    NOT NULL,
    workflow_name      TEXT    NOT NULL,
    model              TEXT    NOT NULL,
    provider           TEXT    NOT NULL,
    has_usage          INTEGER NOT NULL,
    input_tokens       INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    cache_read_tokens  INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    reasoning_tokens   INTEGER NOT NULL,
    cost_nanos         INTEGER NOT NULL,
    cost_source        TEXT    NOT NULL,
    PRIMARY KEY (trace_id, span_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE runs (
    id                 INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    run_key            TEXT    NOT NULL UNIQUE,
    trace_id           BLOB    NOT NULL,
    root_span_id       BLOB    NOT NULL,
    implicit           INTEGER NOT NULL,
    user_id            TEXT    NOT NULL,
    session_id         TEXT    NOT NULL,
    agent_name         TEXT    NOT NULL,
    workflow_name      TEXT    NOT NULL,
    start_ns           INTEGER NOT NULL,
    end_ns             INTEGER NOT NULL,
    error              INTEGER NOT NULL,
    input_tokens       INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    cache_read_tokens  INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    reasoning_tokens   INTEGER NOT NULL,
    cost_nanos         INTEGER NOT NULL,
    call_count         INTEGER NOT NULL,
    user_conflicts     INTEGER NOT NULL
) STRICT;
CREATE INDEX runs_trace ON runs (trace_id);
CREATE INDEX runs_user ON runs (user_id, start_ns DESC, id DESC);
CREATE INDEX runs_session ON runs (session_id);

CREATE TABLE calls (
    trace_id           BLOB    NOT NULL,
    span_id            BLOB    NOT NULL,
    run_key            TEXT    NOT NULL,
    start_ns           INTEGER NOT NULL,
    model              TEXT    NOT NULL,
    provider           TEXT    NOT NULL,
    input_tokens       INTEGER NOT NULL,
    output_tokens      INTEGER NOT NULL,
    cache_read_tokens  INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    reasoning_tokens   INTEGER NOT NULL,
    cost_nanos         INTEGER NOT NULL,
    cost_source        TEXT    NOT NULL,
    aggregate          INTEGER NOT NULL,
    user_id            TEXT    NOT NULL,
    run_start_ns       INTEGER NOT NULL,
    PRIMARY KEY (trace_id, span_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX calls_run ON calls (run_key);

CREATE TABLE users (
    user_id        TEXT    NOT NULL PRIMARY KEY,
    search_key     TEXT    NOT NULL,
    run_count      INTEGER NOT NULL,
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    total_duration INTEGER NOT NULL,
    total_cost     INTEGER NOT NULL,
    total_tokens   INTEGER NOT NULL
) STRICT;
CREATE INDEX users_last_seen ON users (last_seen, user_id);
CREATE INDEX users_first_seen ON users (first_seen, user_id);
CREATE INDEX users_run_count ON users (run_count, user_id);
CREATE INDEX users_total_cost ON users (total_cost, user_id);
CREATE INDEX users_total_tokens ON users (total_tokens, user_id);
CREATE INDEX users_total_duration ON users (total_duration, user_id);

CREATE TABLE user_models (
    user_id        TEXT    NOT NULL,
    model          TEXT    NOT NULL,
    call_count     INTEGER NOT NULL,
    unpriced_calls INTEGER NOT NULL,
    total_cost     INTEGER NOT NULL,
    total_tokens   INTEGER NOT NULL,
    PRIMARY KEY (user_id, model)
) STRICT, WITHOUT ROWID;

CREATE TABLE user_agents (
    user_id    TEXT    NOT NULL,
    agent_name TEXT    NOT NULL,
    run_count  INTEGER NOT NULL,
    PRIMARY KEY (user_id, agent_name)
) STRICT, WITHOUT ROWID;
CREATE INDEX user_agents_agent ON user_agents (agent_name, user_id);

CREATE TABLE user_hours (
    user_id        TEXT    NOT NULL,
    hour           INTEGER NOT NULL,
    run_count      INTEGER NOT NULL,
    total_duration INTEGER NOT NULL,
    total_cost     INTEGER NOT NULL,
    total_tokens   INTEGER NOT NULL,
    PRIMARY KEY (user_id, hour)
) STRICT, WITHOUT ROWID;

CREATE TABLE user_model_hours (
    user_id        TEXT    NOT NULL,
    model          TEXT    NOT NULL,
    hour           INTEGER NOT NULL,
    call_count     INTEGER NOT NULL,
    unpriced_calls INTEGER NOT NULL,
    total_cost     INTEGER NOT NULL,
    total_tokens   INTEGER NOT NULL,
    PRIMARY KEY (user_id, model, hour)
) STRICT, WITHOUT ROWID;
