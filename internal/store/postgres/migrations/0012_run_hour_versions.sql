-- A version per hour of runs' starts, bumped in every transaction that
-- changes which sessions have runs starting in the hour: a run inserted or
-- deleted, or one whose start hour or session changes. Each replica keeps
-- the sessions of the hours its windowed sessions lists count in memory
-- (internal/store/hourindex, DESIGN.md §8.28) and rereads, in the snapshot of
-- the read, only the hours whose version changed. Triggers keep it, once per
-- statement from its transition tables, whatever writes runs (ingest,
-- retention, a bulk load); rows are sharded by transaction id like
-- user_first_hours; readers sum the shards. Every hour with runs gets a
-- version here, so the index knows every hour of a window.
CREATE TABLE run_hour_versions (
    hour    bigint NOT NULL,
    shard   int    NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (hour, shard)
);

-- waxell_bump_run_hours bumps the versions of hours (distinct, in order) on
-- the transaction's shard.
CREATE FUNCTION waxell_bump_run_hours(hours bigint[]) RETURNS void
    LANGUAGE sql
    AS $$
    INSERT INTO run_hour_versions AS t (hour, shard, version)
    SELECT DISTINCT h, (txid_current() % 16)::int, 1::int8 FROM unnest(hours) AS h ORDER BY h
    ON CONFLICT (hour, shard) DO UPDATE SET version = t.version + 1
$$;

-- Runs inserted or deleted: the hours of the statement's transition table.
CREATE FUNCTION waxell_runs_added_or_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM waxell_bump_run_hours(array_agg(DISTINCT waxell_hour_of(start_ns))) FROM changed HAVING count(*) > 0;
    RETURN NULL;
END $$;
-- An updated run moves its session between hours only when its start hour
-- or its session changes; cost and token updates, most of them, bump nothing.
CREATE FUNCTION waxell_runs_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM waxell_bump_run_hours(array_agg(v.hour)) FROM (
        SELECT waxell_hour_of(o.start_ns) AS h, waxell_hour_of(n.start_ns) AS g
        FROM before_rows o JOIN after_rows n ON n.id = o.id
        WHERE waxell_hour_of(o.start_ns) <> waxell_hour_of(n.start_ns) OR o.session_id <> n.session_id
    ) m, LATERAL (VALUES (m.h), (m.g)) AS v(hour)
    HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE TRIGGER runs_hour_versions_insert AFTER INSERT ON runs
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION waxell_runs_added_or_deleted();
CREATE TRIGGER runs_hour_versions_delete AFTER DELETE ON runs
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION waxell_runs_added_or_deleted();
CREATE TRIGGER runs_hour_versions_update AFTER UPDATE ON runs
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows FOR EACH STATEMENT
    EXECUTE FUNCTION waxell_runs_updated();

INSERT INTO run_hour_versions (hour, shard, version)
    SELECT DISTINCT waxell_hour_of(start_ns), 0, 1 FROM runs;
