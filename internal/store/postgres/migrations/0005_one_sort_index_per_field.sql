-- Lists break ties by the row key in the sort's direction (DESIGN.md §8.18),
-- so one index (field, key) serves both directions: a descending page is a
-- backward scan of it. The descending copies go; every update of a user or
-- session counter wrote each of them (none of these updates can be HOT).
DROP INDEX IF EXISTS users_last_seen_desc_idx;
DROP INDEX IF EXISTS users_first_seen_desc_idx;
DROP INDEX IF EXISTS users_run_count_desc_idx;
DROP INDEX IF EXISTS users_total_cost_desc_idx;
DROP INDEX IF EXISTS users_total_tokens_desc_idx;
DROP INDEX IF EXISTS users_total_duration_desc_idx;
DROP INDEX IF EXISTS sessions_last_seen_desc_idx;
DROP INDEX IF EXISTS sessions_first_seen_desc_idx;
DROP INDEX IF EXISTS sessions_run_count_desc_idx;
DROP INDEX IF EXISTS sessions_total_cost_desc_idx;
DROP INDEX IF EXISTS sessions_total_tokens_desc_idx;
DROP INDEX IF EXISTS sessions_total_duration_desc_idx;
-- runs (session_id) is a prefix of runs_session_start_idx (0002), which
-- serves every lookup it served; one index less per run written.
DROP INDEX IF EXISTS runs_session_idx;
