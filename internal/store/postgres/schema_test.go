package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
	"github.com/waxell/otelcol-waxell/internal/store/storetest"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

func TestNewerSchema(t *testing.T) {
	storetest.RunNewerSchema(t, storetest.SchemaOpener{
		New: func(t *testing.T) (storetest.Retainer, func() error, func(string)) {
			dsn := pgtest.NewDatabase(t)
			s := openStore(t, dsn)
			reopen := func() error { return storetest.OpenErr(Open(context.Background(), Config{DSN: dsn})) }
			exec := func(q string) {
				_, err := s.pool.Exec(context.Background(), q)
				require.NoError(t, err, q)
			}
			return s, reopen, exec
		},
		IsPermanent: IsPermanent,
	})
}

// TestMigrationFencesWriters: a migration waits for the write transaction in
// flight, whose data it then sees, and holds back a writer that starts
// meanwhile; that writer, older than the new schema, then refuses to write.
func TestMigrationFencesWriters(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewDatabase(t))
	defer s.Close()
	traffic := newTraffic(7, 5)
	inFlight, later := traffic.traces(0, 1), traffic.traces(1, 1)

	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: beginWriteSQL})
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	_, err = ledger.Apply(ctx, &applyTx{tx: tx, schema: s.schema}, inFlight)
	require.NoError(t, err)

	next := store.Migration{Version: s.schema + 1, Name: "fence_probe.sql",
		SQL: `CREATE TABLE fence_probe AS SELECT count(*) AS runs FROM runs`}
	migrated := make(chan error, 1)
	go func() { migrated <- applyMigration(ctx, s.pool, next) }()
	waitForLockWaits(t, s, 1)
	wrote := make(chan error, 1)
	go func() {
		_, err := s.ApplySpans(ctx, later)
		wrote <- err
	}()
	waitForLockWaits(t, s, 2)

	require.NoError(t, tx.Commit(ctx))
	require.NoError(t, <-migrated)
	require.ErrorIs(t, <-wrote, store.ErrSchemaNewer)

	var seen, runs int64
	require.NoError(t, s.pool.QueryRow(ctx, `SELECT runs FROM fence_probe`).Scan(&seen))
	require.NoError(t, s.pool.QueryRow(ctx, `SELECT count(*) FROM runs`).Scan(&runs))
	require.NotZero(t, runs)
	require.Equal(t, runs, seen, "the migration saw the runs of the writer in flight, and the writer held back wrote none")
}

// waitForLockWaits polls until n sessions of the store's database wait for
// a lock.
func waitForLockWaits(t *testing.T, s *Store, n int) {
	t.Helper()
	pgtest.WaitForLockWaits(t, s.pool, fmt.Sprintf("%d sessions waiting for a lock", n),
		func(waiting int) bool { return waiting >= n })
}
