-- The sessions list filtered by user (sessions?user_id=) read the user's
-- session ids from runs (0007) and each session by key: a user with 25,000
-- sessions took about 100 ms. user_sessions keeps, per (session, user with a
-- run in it), the user's run count in the session and a copy of the
-- session's aggregates, so that the user's sessions are one index range:
-- in last_seen order for the default sort, a top-N of the range otherwise.
-- Ingest and retention write it right after sessions (ledger
-- Changes.UserSessions, docs/store-spec.md).
CREATE TABLE user_sessions (
    session_id     text COLLATE "C" NOT NULL,
    user_id        text COLLATE "C" NOT NULL,
    runs           bigint NOT NULL, -- the user's runs in the session
    run_count      bigint NOT NULL, -- the rest: sessions' columns
    first_seen     bigint NOT NULL,
    last_seen      bigint NOT NULL,
    total_duration bigint NOT NULL,
    total_cost     bigint NOT NULL,
    total_tokens   bigint NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

-- What user_sessions must hold, recomputed from runs and sessions: the
-- backfill below, Verify and the scale benchmark's loader read it.
CREATE VIEW user_sessions_recomputed AS
SELECT m.session_id, m.user_id, m.runs, s.run_count, s.first_seen, s.last_seen, s.total_duration, s.total_cost,
    s.total_tokens
FROM (SELECT session_id, user_id, count(*) AS runs FROM runs WHERE session_id <> '' AND user_id <> ''
    GROUP BY session_id, user_id) m
LEFT JOIN sessions s ON s.session_id = m.session_id;

-- (A session missing from sessions would be a broken rollup: Verify reports it.)
INSERT INTO user_sessions SELECT * FROM user_sessions_recomputed WHERE run_count IS NOT NULL;

CREATE INDEX user_sessions_user_idx ON user_sessions (user_id, last_seen, session_id)
    INCLUDE (run_count, first_seen, total_duration, total_cost, total_tokens);
