-- The users first seen in each hour, so that an overview counts a window's
-- new users from its whole hours' counts plus the users first seen in its
-- edges (an index range of minutes), instead of every user first seen in the
-- window (DESIGN.md §8.27). Triggers on users keep it, in the transaction
-- that changes users, whatever changes first_seen: a new user, an earlier run
-- arriving late, a recompute after runs left a user, a deleted user, a bulk
-- load. Rows are sharded by transaction id like run_hours so that writers of
-- the current hour do not queue on one row; readers sum the shards. A count
-- may be zero (a user moved out of the hour); hour_of(first_seen) is floor
-- division, also for times before 1970.
CREATE TABLE user_first_hours (
    hour  bigint NOT NULL,
    shard int    NOT NULL,
    n     bigint NOT NULL,
    PRIMARY KEY (hour, shard)
);

CREATE FUNCTION waxell_hour_of(t bigint) RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT t - ((t % 3600000000000) + 3600000000000) % 3600000000000 $$;

-- waxell_first_hours_add adds the counts of (hour, n) rows to the
-- transaction's shard, hours in order.
CREATE FUNCTION waxell_first_hours_add(hours bigint[], ns bigint[]) RETURNS void
    LANGUAGE sql
    AS $$
    INSERT INTO user_first_hours AS t (hour, shard, n)
    SELECT h, (txid_current() % 16)::int, sum(n)::int8 FROM unnest(hours, ns) AS d(h, n) GROUP BY h ORDER BY h
    ON CONFLICT (hour, shard) DO UPDATE SET n = t.n + EXCLUDED.n
$$;

-- New and deleted users: once per statement, from its transition table
-- (an upsert lists only the rows it inserted), counted up or down.
CREATE FUNCTION waxell_users_added_or_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM waxell_first_hours_add(array_agg(h), array_agg(CASE TG_OP WHEN 'DELETE' THEN -c ELSE c END))
        FROM (SELECT waxell_hour_of(first_seen) AS h, count(*)::int8 AS c FROM changed GROUP BY 1) x
        HAVING count(*) > 0;
    RETURN NULL;
END $$;
-- A changed first hour: per row, and only when the hour changes (the WHEN
-- clause is checked without calling the function), which few updates do.
CREATE FUNCTION waxell_users_first_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM waxell_first_hours_add(ARRAY[waxell_hour_of(OLD.first_seen), waxell_hour_of(NEW.first_seen)],
        ARRAY[-1, 1]::int8[]);
    RETURN NULL;
END $$;

CREATE TRIGGER users_first_hours_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION waxell_users_added_or_deleted();
CREATE TRIGGER users_first_hours_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION waxell_users_added_or_deleted();
CREATE TRIGGER users_first_hours_update AFTER UPDATE OF first_seen ON users FOR EACH ROW
    WHEN (waxell_hour_of(OLD.first_seen) <> waxell_hour_of(NEW.first_seen))
    EXECUTE FUNCTION waxell_users_first_moved();

INSERT INTO user_first_hours (hour, shard, n)
    SELECT waxell_hour_of(first_seen), 0, count(*) FROM users GROUP BY 1;
