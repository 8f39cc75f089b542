// Package sqlite is the embedded store: pure-Go SQLite (modernc.org/sqlite)
// in WAL mode, one writer connection taking BEGIN IMMEDIATE transactions and
// a pool of read connections. The counting logic lives in ledger; this
// package implements ledger.Tx and the read queries (docs/store-spec.md).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
)

// Config configures the store.
type Config struct {
	// Path is the database file; ":memory:" keeps a private in-memory
	// database on a single connection (for tests).
	Path string
}

// busyTimeout is how long a connection waits for a lock held by another
// connection or process before failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is the SQLite store. It is safe for concurrent use.
type Store struct {
	write *sql.DB // one connection: SQLite has one writer at a time
	read  *sql.DB // == write for ":memory:"
	stmts *writeStmts

	schema int64 // the highest migration this binary knows (store.CheckSchema)

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the database and applies the migrations
// it lacks.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Path == "" {
		return nil, errors.New("sqlite: cannot open store: empty path")
	}
	s := &Store{}
	var err error
	if cfg.Path == ":memory:" {
		// A private in-memory database lives as long as its one connection.
		s.write, err = sql.Open("sqlite", "file::memory:?"+dsnParams(true))
		if err != nil {
			return nil, fmt.Errorf("sqlite: cannot open store: %w", err)
		}
		s.write.SetMaxOpenConns(1)
		s.write.SetMaxIdleConns(1)
		s.write.SetConnMaxLifetime(0)
		s.write.SetConnMaxIdleTime(0)
		s.read = s.write
	} else {
		abs, err := filepath.Abs(cfg.Path)
		if err != nil {
			return nil, fmt.Errorf("sqlite: cannot open store %s: %w", cfg.Path, err)
		}
		u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
		if s.write, err = sql.Open("sqlite", u+"?"+dsnParams(true)); err != nil {
			return nil, fmt.Errorf("sqlite: cannot open store %s: %w", cfg.Path, err)
		}
		s.write.SetMaxOpenConns(1)
		s.write.SetMaxIdleConns(1)
		s.write.SetConnMaxLifetime(0)
		s.write.SetConnMaxIdleTime(0)
		if s.read, err = sql.Open("sqlite", u+"?"+dsnParams(false)); err != nil {
			_ = s.write.Close()
			return nil, fmt.Errorf("sqlite: cannot open store %s: %w", cfg.Path, err)
		}
		n := max(4, runtime.GOMAXPROCS(0))
		s.read.SetMaxOpenConns(n)
		s.read.SetMaxIdleConns(n)
	}
	if err := s.migrate(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sqlite: cannot open store %s: %w", cfg.Path, err)
	}
	if s.stmts, err = prepareWriteStmts(ctx, s.write); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sqlite: cannot open store %s: %w", cfg.Path, err)
	}
	return s, nil
}

// dsnParams are the connection parameters: WAL, busy timeout, no foreign
// keys; the writer begins IMMEDIATE transactions, readers are query-only.
func dsnParams(writer bool) string {
	v := url.Values{}
	v.Set("_busy_timeout", strconv.FormatInt(busyTimeout.Milliseconds(), 10))
	v.Set("_journal_mode", "WAL")
	v.Set("_foreign_keys", "0")
	v.Set("_synchronous", "NORMAL")
	if writer {
		v.Set("_txlock", "immediate")
		// The writer's page cache holds the indexes it updates (32 MiB,
		// the default is 2 MiB): with 2 MiB, batches re-read their pages
		// from the file, one pread each, a sixth of the collector's CPU
		// in the bench (docs/performance.md).
		v.Add("_pragma", "cache_size(-32768)")
	} else {
		v.Set("_query_only", "1")
	}
	return v.Encode()
}

// Close closes the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.stmts != nil {
			errs = append(errs, s.stmts.close())
		}
		if s.read != nil && s.read != s.write {
			errs = append(errs, s.read.Close())
		}
		if s.write != nil {
			errs = append(errs, s.write.Close())
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("sqlite: cannot close store: %w", err)
		}
	})
	return s.closeErr
}

// migrate applies, in order and each in its own transaction, the embedded
// migrations not yet recorded in schema_migrations, and refuses a database
// that a newer binary migrated further (store.ErrSchemaNewer).
func (s *Store) migrate(ctx context.Context) error {
	ms, err := store.Migrations(migrationFS)
	if err != nil {
		return err
	}
	if _, err := s.write.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("cannot create schema_migrations: %w", err)
	}
	for _, m := range ms {
		if err := s.applyMigration(ctx, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	s.schema = store.Latest(ms)
	return s.checkSchema(ctx, s.write)
}

// checkSchema refuses to go on when another process, running a newer
// binary, migrated the file beyond what this one knows. Write transactions
// run it first: they hold the write lock (BEGIN IMMEDIATE), which a
// migration also needs, so none can interleave with one.
func (s *Store) checkSchema(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) error {
	var stored int64
	if err := q.QueryRowContext(ctx, store.SchemaVersionSQL).Scan(&stored); err != nil {
		return fmt.Errorf("cannot read the schema version: %w", err)
	}
	return store.CheckSchema(stored, s.schema)
}

func (s *Store) applyMigration(ctx context.Context, m store.Migration) (err error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return tx.Rollback()
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.Version, time.Now().UnixNano()); err != nil {
		return err
	}
	return tx.Commit()
}

// ApplySpans applies a batch of canonical spans in one transaction.
func (s *Store) ApplySpans(ctx context.Context, spans []genai.Span) (ledger.Stats, error) {
	if len(spans) == 0 {
		return ledger.Stats{}, nil
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return ledger.Stats{}, classify("cannot apply spans", err)
	}
	var st ledger.Stats
	if err = s.checkSchema(ctx, tx); err == nil {
		st, err = ledger.Apply(ctx, newWriteTx(tx, s.stmts), spans)
	}
	if err != nil {
		_ = tx.Rollback()
		return ledger.Stats{}, classify("cannot apply spans", err)
	}
	if err := tx.Commit(); err != nil {
		return ledger.Stats{}, classify("cannot apply spans", err)
	}
	return st, nil
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// IsPermanent reports whether err can never succeed on retry (for example
// a constraint violation caused by the data). Other errors, such as
// SQLITE_BUSY or a cancelled context, are transient.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// classify wraps err once with context, marking it permanent when SQLite
// says the statement itself is at fault.
func classify(what string, err error) error {
	var se *sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3lib.SQLITE_CONSTRAINT, sqlite3lib.SQLITE_MISMATCH, sqlite3lib.SQLITE_TOOBIG,
			sqlite3lib.SQLITE_RANGE:
			return fmt.Errorf("sqlite: %s: %w", what, &permanentError{err})
		}
	}
	return fmt.Errorf("sqlite: %s: %w", what, err)
}
