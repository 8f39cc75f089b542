-- The sessions list filtered by user (sessions?user_id=) read the sessions
-- whose id is among the user's runs (0007): a user with 20,000 sessions took
-- about 70 ms. user_sessions keeps, per (session, user with a run in it),
-- the user's run count in the session and a copy of the session's
-- aggregates, so that the user's sessions are one index range, as in
-- PostgreSQL's migration 0008. Ingest and retention write it after sessions
-- (ledger Changes.UserSessions, docs/store-spec.md).
CREATE TABLE user_sessions (
    session_id     TEXT    NOT NULL,
    user_id        TEXT    NOT NULL,
    runs           INTEGER NOT NULL, -- the user's runs in the session
    run_count      INTEGER NOT NULL, -- the rest: sessions' columns
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    total_duration INTEGER NOT NULL,
    total_cost     INTEGER NOT NULL,
    total_tokens   INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
) STRICT;

-- What user_sessions must hold, recomputed from runs and sessions: the
-- backfill below and Verify read it.
CREATE VIEW user_sessions_recomputed AS
SELECT m.session_id, m.user_id, m.runs, s.run_count, s.first_seen, s.last_seen, s.total_duration, s.total_cost,
    s.total_tokens
FROM (SELECT session_id, user_id, count(*) AS runs FROM runs WHERE session_id <> '' AND user_id <> ''
    GROUP BY session_id, user_id) m
LEFT JOIN sessions s ON s.session_id = m.session_id;

INSERT INTO user_sessions SELECT * FROM user_sessions_recomputed WHERE run_count IS NOT NULL;

CREATE INDEX user_sessions_user ON user_sessions (user_id, last_seen, session_id, run_count, first_seen,
    total_duration, total_cost, total_tokens);
