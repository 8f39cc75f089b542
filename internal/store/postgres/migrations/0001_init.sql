-- Initial schema of the PostgreSQL store (docs/store-spec.md).
-- Units: times and durations in nanoseconds, money in nano-USD, ids as bytea.
-- Identity-like text (user, agent, model, session, run key) uses COLLATE "C"
-- so that ordering is byte order, identical to SQLite's BINARY and to Go's
-- string comparison (the ledger sorts lock order in Go).

CREATE TABLE traces (
    trace_id bytea PRIMARY KEY
);

CREATE TABLE spans (
    trace_id           bytea   NOT NULL,
    span_id            bytea   NOT NULL,
    parent_span_id     bytea   NOT NULL,
    start_ns           bigint  NOT NULL,
    end_ns             bigint  NOT NULL,
    error              boolean NOT NULL,
    role               text COLLATE "C" NOT NULL,
    convention         text COLLATE "C" NOT NULL,
    service            text COLLATE "C" NOT NULL,
    user_id            text COLLATE "C" NOT NULL,
    session_id         text COLLATE "C" NOT NULL,
    agent_name         text COLLATE "C" NOT NULL,
    workflow_name      text COLLATE "C" NOT NULL,
    model              text COLLATE "C" NOT NULL,
    provider           text COLLATE "C" NOT NULL,
    has_usage          boolean NOT NULL,
    input_tokens       bigint  NOT NULL,
    output_tokens      bigint  NOT NULL,
    cache_read_tokens  bigint  NOT NULL,
    cache_write_tokens bigint  NOT NULL,
    reasoning_tokens   bigint  NOT NULL,
    cost_nanos         bigint  NOT NULL,
    cost_source        text COLLATE "C" NOT NULL,
    PRIMARY KEY (trace_id, span_id)
);

CREATE TABLE runs (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_key            text COLLATE "C" NOT NULL UNIQUE,
    trace_id           bytea   NOT NULL,
    root_span_id       bytea   NOT NULL,
    implicit           boolean NOT NULL,
    user_id            text COLLATE "C" NOT NULL,
    session_id         text COLLATE "C" NOT NULL,
    agent_name         text COLLATE "C" NOT NULL,
    workflow_name      text COLLATE "C" NOT NULL,
    start_ns           bigint  NOT NULL,
    end_ns             bigint  NOT NULL,
    error              boolean NOT NULL,
    input_tokens       bigint  NOT NULL,
    output_tokens      bigint  NOT NULL,
    cache_read_tokens  bigint  NOT NULL,
    cache_write_tokens bigint  NOT NULL,
    reasoning_tokens   bigint  NOT NULL,
    cost_nanos         bigint  NOT NULL,
    call_count         bigint  NOT NULL,
    user_conflicts     bigint  NOT NULL
);
CREATE INDEX runs_trace_idx ON runs (trace_id);
CREATE INDEX runs_user_start_idx ON runs (user_id, start_ns DESC, id DESC);
CREATE INDEX runs_session_idx ON runs (session_id);

CREATE TABLE calls (
    trace_id           bytea   NOT NULL,
    span_id            bytea   NOT NULL,
    run_key            text COLLATE "C" NOT NULL,
    start_ns           bigint  NOT NULL,
    model              text COLLATE "C" NOT NULL,
    provider           text COLLATE "C" NOT NULL,
    input_tokens       bigint  NOT NULL,
    output_tokens      bigint  NOT NULL,
    cache_read_tokens  bigint  NOT NULL,
    cache_write_tokens bigint  NOT NULL,
    reasoning_tokens   bigint  NOT NULL,
    cost_nanos         bigint  NOT NULL,
    cost_source        text COLLATE "C" NOT NULL,
    aggregate          boolean NOT NULL,
    user_id            text COLLATE "C" NOT NULL,
    run_start_ns       bigint  NOT NULL,
    PRIMARY KEY (trace_id, span_id)
);

CREATE TABLE users (
    user_id        text COLLATE "C" PRIMARY KEY,
    search_key     text COLLATE "C" NOT NULL,
    run_count      bigint NOT NULL,
    first_seen     bigint NOT NULL,
    last_seen      bigint NOT NULL,
    total_duration bigint NOT NULL,
    total_cost     bigint NOT NULL,
    total_tokens   bigint NOT NULL
);
-- One index per sort field and direction: the tie-break is user_id ascending
-- in both directions, so a descending sort needs (field DESC, user_id ASC);
-- a backward scan of (field, user_id) would order ties descending.
CREATE INDEX users_last_seen_idx           ON users (last_seen, user_id);
CREATE INDEX users_last_seen_desc_idx      ON users (last_seen DESC, user_id);
CREATE INDEX users_first_seen_idx          ON users (first_seen, user_id);
CREATE INDEX users_first_seen_desc_idx     ON users (first_seen DESC, user_id);
CREATE INDEX users_run_count_idx           ON users (run_count, user_id);
CREATE INDEX users_run_count_desc_idx      ON users (run_count DESC, user_id);
CREATE INDEX users_total_cost_idx          ON users (total_cost, user_id);
CREATE INDEX users_total_cost_desc_idx     ON users (total_cost DESC, user_id);
CREATE INDEX users_total_tokens_idx        ON users (total_tokens, user_id);
CREATE INDEX users_total_tokens_desc_idx   ON users (total_tokens DESC, user_id);
CREATE INDEX users_total_duration_idx      ON users (total_duration, user_id);
CREATE INDEX users_total_duration_desc_idx ON users (total_duration DESC, user_id);

CREATE TABLE user_models (
    user_id        text COLLATE "C" NOT NULL,
    model          text COLLATE "C" NOT NULL,
    call_count     bigint NOT NULL,
    unpriced_calls bigint NOT NULL,
    total_cost     bigint NOT NULL,
    total_tokens   bigint NOT NULL,
    PRIMARY KEY (user_id, model)
);

CREATE TABLE user_agents (
    user_id    text COLLATE "C" NOT NULL,
    agent_name text COLLATE "C" NOT NULL,
    run_count  bigint NOT NULL,
    PRIMARY KEY (user_id, agent_name)
);
CREATE INDEX user_agents_agent_idx ON user_agents (agent_name, user_id);

CREATE TABLE user_hours (
    user_id        text COLLATE "C" NOT NULL,
    hour           bigint NOT NULL,
    run_count      bigint NOT NULL,
    total_duration bigint NOT NULL,
    total_cost     bigint NOT NULL,
    total_tokens   bigint NOT NULL,
    PRIMARY KEY (user_id, hour)
);

CREATE TABLE user_model_hours (
    user_id        text COLLATE "C" NOT NULL,
    model          text COLLATE "C" NOT NULL,
    hour           bigint NOT NULL,
    call_count     bigint NOT NULL,
    unpriced_calls bigint NOT NULL,
    total_cost     bigint NOT NULL,
    total_tokens   bigint NOT NULL,
    PRIMARY KEY (user_id, model, hour)
);
