-- Lists break ties by the row key in the sort's direction (DESIGN.md §8.18),
-- so one index (field, key) serves both directions without sorting a tie
-- group: a descending page is a backward scan of it. The descending copies
-- of 0004 go.
DROP INDEX IF EXISTS users_run_count_desc;
DROP INDEX IF EXISTS users_total_cost_desc;
DROP INDEX IF EXISTS users_total_tokens_desc;
-- runs (session_id) is a prefix of runs_session_start (0002), which serves
-- every lookup it served; one index less per run written.
DROP INDEX IF EXISTS runs_session;
