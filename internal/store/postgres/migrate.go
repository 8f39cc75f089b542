package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waxell/otelcol-waxell/internal/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockKey is the pg_advisory_xact_lock key serialising migrations
// of all processes sharing a database ("waxell-m" in ASCII).
const migrationLockKey int64 = 0x77_61_78_65_6c_6c_2d_6d

// migrate applies the missing migrations, each in its own transaction under
// a transaction-scoped advisory lock. Another process migrating the same
// database at the same time waits for the lock and then finds the version
// recorded (READ COMMITTED: every statement after the lock sees commits made
// while waiting), so both succeed. It returns the highest version this binary
// knows; a database a newer binary migrated further is refused
// (store.ErrSchemaNewer).
func migrate(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	ms, err := store.Migrations(migrationFS)
	if err != nil {
		return 0, err
	}
	for _, m := range ms {
		if err := applyMigration(ctx, pool, m); err != nil {
			return 0, fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	known := store.Latest(ms)
	return known, checkSchema(ctx, pool, known)
}

// checkSchema refuses a database migrated beyond known (store.CheckSchema).
// Write transactions run it after their first lock on traces, which a
// migration in progress blocks (fenceWritersSQL); ingest reads the version
// in its lock round trip instead (applyTx.LockTraces).
func checkSchema(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, known int64) error {
	var stored int64
	if err := q.QueryRow(ctx, store.SchemaVersionSQL).Scan(&stored); err != nil {
		return fmt.Errorf("cannot read the schema version: %w", err)
	}
	return store.CheckSchema(stored, known)
}

// fenceWritersSQL makes a migration wait for the write transactions in
// flight and hold back new ones until it commits: EXCLUSIVE on traces
// conflicts with the lock each of them takes there before touching any other
// table (ingest's insert, retention's ROW SHARE), so all take their locks in
// one order and no cycle forms; readers go on. A writer let through after the
// commit reads the new version and, if it is an older binary, refuses to
// write (store.CheckSchema), so no older writer misses what a migration
// starts maintaining. Before migration 1 there is no traces table to lock.
const fenceWritersSQL = `DO $$BEGIN
	IF to_regclass('traces') IS NOT NULL THEN LOCK TABLE traces IN EXCLUSIVE MODE; END IF;
END$$`

func applyMigration(ctx context.Context, pool *pgxpool.Pool, m store.Migration) error {
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockKey); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    bigint PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return err
		}
		var done bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)",
			m.Version).Scan(&done); err != nil {
			return err
		}
		if done {
			return nil
		}
		if _, err := tx.Exec(ctx, fenceWritersSQL); err != nil {
			return err
		}
		// No arguments: pgx uses the simple protocol, which runs every
		// statement of the file.
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES ($1)", m.Version)
		return err
	})
}
