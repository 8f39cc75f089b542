-- Retention (docs/reliability.md, internal/store/ledger/retired.go). A trace
-- deleted by retention keeps its row in traces (a tombstone) and gets a row
-- here, so that a late span of it is ignored instead of counted again.
CREATE TABLE retired_traces (
    trace_id   bytea  PRIMARY KEY,
    retired_at bigint NOT NULL
);

-- What the deleted runs and calls contributed to each rollup row (the rollup
-- tables keep lifetime totals). Verify adds these rows to the rollups it
-- recomputes from the remaining runs and calls; first/last seen
-- recomputations of users and sessions include their extremes. Keys follow
-- ledger.RetiredRow: k1..k3 are the rollup's key columns in order (hours as
-- decimal text), unused ones ''.
CREATE TABLE retired_rollups (
    rollup     text COLLATE "C" NOT NULL,
    k1         text COLLATE "C" NOT NULL,
    k2         text COLLATE "C" NOT NULL,
    k3         text COLLATE "C" NOT NULL,
    runs       bigint NOT NULL,
    calls      bigint NOT NULL,
    unpriced   bigint NOT NULL,
    duration   bigint NOT NULL,
    cost       bigint NOT NULL,
    tokens     bigint NOT NULL,
    user_runs  bigint NOT NULL,
    first_seen bigint NOT NULL,
    last_seen  bigint NOT NULL,
    PRIMARY KEY (rollup, k1, k2, k3)
);
