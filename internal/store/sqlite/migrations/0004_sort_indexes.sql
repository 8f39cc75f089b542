-- Descending sort indexes of the users list for the fields whose values
-- repeat (counts, and the zero cost and tokens of unpriced or usage-less
-- runs): the tie-break is user_id ascending in both directions, so with
-- (field, user_id) alone a descending sort sorts every tie group it reads
-- (runs descending with 100,000 users: the 50,000 with two runs) before its
-- first row. (field DESC, user_id) reads a page in order, as in PostgreSQL,
-- and a backward scan of it, (field ASC, user_id DESC), the page before a
-- cursor (UserQuery.Before) of the descending sort. Times and durations are
-- nanoseconds that rarely tie, so their small tie groups are sorted instead
-- of indexed: these three cost the writers 4-10% more CPU, all six 16-18%
-- (docs/ui.md).
CREATE INDEX users_run_count_desc ON users (run_count DESC, user_id);
CREATE INDEX users_total_cost_desc ON users (total_cost DESC, user_id);
CREATE INDEX users_total_tokens_desc ON users (total_tokens DESC, user_id);
