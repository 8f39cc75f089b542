-- Substring search over user ids (the users list's search parameter, a LIKE
-- on users.search_key): a pg_trgm GIN index finds the few matching users
-- among millions without reading every one. pg_trgm is optional: where it is
-- not installed or this role may not create it, the migration still succeeds
-- and the same LIKE reads every user (slower, equally exact).
DO $$
DECLARE
    trgm_schema name;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm unavailable (%): user search reads every user', SQLERRM;
    END;
    SELECT n.nspname INTO trgm_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
    IF trgm_schema IS NULL THEN
        RETURN;
    END IF;
    -- The extension may live in a schema outside search_path (installed
    -- earlier by another user of the database): the operator class is named
    -- with its schema.
    BEGIN
        EXECUTE format('CREATE INDEX users_search_trgm_idx ON users USING gin (search_key %I.gin_trgm_ops)',
            trgm_schema);
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'no trigram index on users (%): user search reads every user', SQLERRM;
    END;
END $$;
