-- The sessions list filtered by user (sessions?user_id=) finds the user's
-- sessions from the user's runs. runs (user_id, start_ns, id) found the runs,
-- but reading each run's session_id fetched one heap page per run, scattered
-- over the table (a user with 18,000 runs: 80 ms of the 110). Carrying
-- session_id in the index makes it an index-only scan. The index is rebuilt
-- in this migration's transaction, which blocks writes to runs meanwhile
-- (about 8 s per 10 million runs).
CREATE INDEX runs_user_start_session_idx ON runs (user_id, start_ns DESC, id DESC) INCLUDE (session_id);
DROP INDEX runs_user_start_idx;
ALTER INDEX runs_user_start_session_idx RENAME TO runs_user_start_idx;
