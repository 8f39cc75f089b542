-- Retention (docs/reliability.md, internal/store/ledger/retired.go). A trace
-- deleted by retention keeps its row in traces (a tombstone) and gets a row
-- here, so that a late span of it is ignored instead of counted again.
CREATE TABLE retired_traces (
    trace_id   BLOB    NOT NULL PRIMARY KEY,
    retired_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- What the deleted runs and calls contributed to each rollup row (the rollup
-- tables keep lifetime totals). Verify adds these rows to the rollups it
-- recomputes from the remaining runs and calls; first/last seen
-- recomputations of users and sessions include their extremes. Keys follow
-- ledger.RetiredRow: k1..k3 are the rollup's key columns in order (hours as
-- decimal text), unused ones ''.
CREATE TABLE retired_rollups (
    rollup     TEXT    NOT NULL,
    k1         TEXT    NOT NULL,
    k2         TEXT    NOT NULL,
    k3         TEXT    NOT NULL,
    runs       INTEGER NOT NULL,
    calls      INTEGER NOT NULL,
    unpriced   INTEGER NOT NULL,
    duration   INTEGER NOT NULL,
    cost       INTEGER NOT NULL,
    tokens     INTEGER NOT NULL,
    user_runs  INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    PRIMARY KEY (rollup, k1, k2, k3)
) STRICT, WITHOUT ROWID;
