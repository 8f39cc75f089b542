// Package postgres is the PostgreSQL store (pgx/v5, pgxpool), for production
// deployments where many collector replicas write at once. It implements the
// behaviour of docs/store-spec.md; the counting logic lives in
// internal/store/ledger, this package only provides its SQL (ledger.Tx) and
// the read queries.
//
// Concurrency: every ApplySpans is one READ COMMITTED transaction. Writers
// serialise per trace on the traces row (taken first, in sorted order) and
// per rollup row (taken in sorted key order, tables always in the same
// order), so concurrent replicas do not deadlock on ordinary traffic. The
// rare deadlock (40P01) or serialization failure (40001) that PostgreSQL may
// still report is returned unmarked, so the exporter retries the batch.
package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store/hourindex"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
)

// Config configures the PostgreSQL store.
type Config struct {
	// DSN is a libpq connection string (URL or keyword/value form).
	DSN string
	// MaxConns bounds the connection pool; 0 keeps the pgx default
	// (max(4, number of CPUs)).
	MaxConns int32
}

// Store is the PostgreSQL store. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	schema int64 // the highest migration this binary knows
	// hours serves windowed reads' per-user sums, sessionHours windowed
	// sessions lists' counts (nil: every such read is one statement).
	hours, sessionHours *hourindex.Index
}

// ErrPermanent marks errors that retrying cannot fix, for example a
// constraint violation or a value PostgreSQL rejects. Test with IsPermanent.
var ErrPermanent = errors.New("permanent store error")

// IsPermanent reports whether err can never succeed when retried. Everything
// else (deadlocks, serialization failures, connection errors, timeouts) is
// worth retrying.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

// PoolSize is the number of connections Open's pool would have: cfg's
// MaxConns, else the DSN's pool_max_conns, else pgx's default (the greater
// of 4 and the number of CPUs).
func PoolSize(cfg Config) (int32, error) {
	pcfg, err := poolConfig(cfg)
	if err != nil {
		return 0, err
	}
	return pcfg.MaxConns, nil
}

func poolConfig(cfg Config) (*pgxpool.Config, error) {
	pcfg, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, err
	}
	if cfg.MaxConns > 0 {
		pcfg.MaxConns = cfg.MaxConns
	}
	return pcfg, nil
}

// Open connects to the database and applies the embedded migrations.
// Several processes may open the same (even empty) database at once.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	pcfg, err := poolConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot open postgres store: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("cannot open postgres store: %w", err)
	}
	schema, err := migrate(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("cannot open postgres store: %w", classify(err))
	}
	return &Store{pool: pool, schema: schema, hours: hourindex.New(hourIndexConfig),
		sessionHours: hourindex.New(hourIndexConfig)}, nil
}

// Close closes the connection pool, waiting for connections in use.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// ApplySpans applies a batch of canonical spans in one transaction (S6, S7).
// On error nothing is written; the error is marked permanent (IsPermanent)
// only when retrying cannot succeed.
//
// String fields are sanitised first (see sanitizeSpan): PostgreSQL text
// cannot hold NUL bytes or invalid UTF-8, and btree index entries are
// bounded in size. The useragg processor already cleans such values, so this
// is a defence that keeps one bad span from failing a whole batch forever.
func (s *Store) ApplySpans(ctx context.Context, spans []genai.Span) (ledger.Stats, error) {
	if len(spans) == 0 {
		return ledger.Stats{}, nil
	}
	clean := sanitizeSpans(spans)
	st, err := s.applySpans(ctx, clean)
	if err != nil {
		return st, fmt.Errorf("cannot apply spans: %w", classify(err))
	}
	return st, nil
}

// beginWriteSQL starts an ingest or retention transaction in the round
// trip of BEGIN. JIT is off inside it: the planner's cost estimate of a
// batch statement crosses jit_above_cost (the run lookups by key range are
// estimated at thousands of rows per trace for the one or two they find),
// and compiling with LLVM costs more than the statement saves (about 5% of
// the server's CPU under load in the bench; 227 ms for one lookup of 300
// traces that runs in 7 ms).
const beginWriteSQL = "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE; SET LOCAL jit = off"

func (s *Store) applySpans(ctx context.Context, spans []genai.Span) (st ledger.Stats, err error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: beginWriteSQL})
	if err != nil {
		return st, err
	}
	defer func() {
		if err != nil {
			// The error that matters is err; a failed rollback only means
			// the connection is gone, and the server rolls back then.
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	ltx := &applyTx{tx: tx, schema: s.schema}
	if st, err = ledger.Apply(ctx, ltx, spans); err != nil {
		return st, err
	}
	err = tx.Commit(ctx)
	return st, err
}

// classify marks errors that can never succeed as permanent. Data and
// constraint errors (SQLSTATE classes 22 and 23) and program limits (class
// 54, for example an index row too large) are permanent; everything else
// (40001 serialization failure, 40P01 deadlock, 08 connection errors, 57P01
// admin shutdown, context errors, network errors) is returned as it is.
func classify(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) == 5 {
		switch pgErr.Code[:2] {
		case "22", "23", "54":
			return fmt.Errorf("%w: %w", ErrPermanent, err)
		}
	}
	return err
}
