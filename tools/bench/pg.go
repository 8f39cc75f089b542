package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// postgresServer is the bench's private PostgreSQL, started by pgtest like
// the tests' server but with the durability of a real deployment.
type postgresServer struct{ *pgtest.Instance }

// pgSettings override pgtest's test settings. Durability is back at the
// defaults (fsync, full-page writes and synchronous_commit on), so the figures
// are those of a real deployment; checkpoints are spread so they do not
// dominate short runs.
var pgSettings = []string{
	"fsync = on",
	"full_page_writes = on",
	"shared_buffers = 512MB",
	"max_wal_size = 8GB",
	"checkpoint_timeout = 15min",
	"log_min_messages = warning",
}

// pgConf is the server's configuration: pgSettings, then the environment's.
func pgConf() []string {
	settings := slices.Clone(pgSettings)
	if os.Getenv("BENCH_PG_STATEMENTS") == "1" {
		settings = append(settings, "shared_preload_libraries = 'pg_stat_statements'", "pg_stat_statements.track = all")
	}
	if v := os.Getenv("BENCH_PG_CONF"); v != "" {
		settings = append(settings, strings.Split(v, ";")...)
	}
	return settings
}

func startPostgres(workDir string) (*postgresServer, error) {
	// As root the server runs as the postgres user, which must reach it.
	if err := os.Chmod(workDir, 0o755); err != nil {
		return nil, err
	}
	in, err := pgtest.NewPrivate(pgtest.PrivateConfig{Dir: workDir, Settings: pgConf()})
	if err != nil {
		return nil, err
	}
	return &postgresServer{in}, nil
}

// withConn runs f on a connection to database db, closed afterwards.
func (s *postgresServer) withConn(db string, f func(ctx context.Context, c *pgx.Conn) error) error {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.DSN(db))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	return f(ctx, c)
}

func (s *postgresServer) createDB(name string) error {
	err := s.withConn("postgres", func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
		return err
	})
	if err != nil || os.Getenv("BENCH_PG_STATEMENTS") != "1" {
		return err
	}
	return s.withConn(name, func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "CREATE EXTENSION pg_stat_statements")
		return err
	})
}

// topStatements returns the statements of database db that took the most
// server time since the last reset (BENCH_PG_STATEMENTS=1), and resets.
func (s *postgresServer) topStatements(db string) (string, error) {
	var b strings.Builder
	err := s.withConn(db, func(ctx context.Context, c *pgx.Conn) error {
		rows, err := c.Query(ctx, `SELECT calls, round(total_exec_time)::bigint, (total_exec_time / calls)::float8,
				rows, left(regexp_replace(query, '\s+', ' ', 'g'), 110)
			FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
			ORDER BY total_exec_time DESC LIMIT 20`)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%8s %10s %9s %10s  %s\n", "calls", "total ms", "ms/call", "rows", "query")
		var calls, total, nrows int64
		var mean float64
		var q string
		if _, err := pgx.ForEachRow(rows, []any{&calls, &total, &mean, &nrows, &q}, func() error {
			fmt.Fprintf(&b, "%8d %10d %9.2f %10d  %s\n", calls, total, mean, nrows, q)
			return nil
		}); err != nil {
			return err
		}
		_, err = c.Exec(ctx, "SELECT pg_stat_statements_reset()")
		return err
	})
	return b.String(), err
}

// walStats are PostgreSQL's cluster-wide WAL counters (pg_stat_wal).
type walStats struct{ records, fpi, bytes int64 }

func (w walStats) sub(o walStats) walStats {
	return walStats{w.records - o.records, w.fpi - o.fpi, w.bytes - o.bytes}
}

// wal reads the WAL counters; the bench runs one pipeline at a time, so the
// difference over a run is that run's WAL.
func (s *postgresServer) wal() (walStats, error) {
	var w walStats
	err := s.withConn("postgres", func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, `SELECT wal_records, wal_fpi, wal_bytes::int8 FROM pg_stat_wal`).Scan(&w.records, &w.fpi, &w.bytes)
	})
	return w, err
}

// settle isolates the next pipeline from the ones before. It drops their
// databases: otherwise autovacuum scans the millions of rows they inserted
// while the next pipeline is measured (the limit's tables took 90 s of the
// PostgreSQL pipeline's first minutes). A CHECKPOINT then writes out their
// dirty pages and restarts the WAL distance to the next checkpoint, and sync
// flushes what the kernel still has to write (SQLite's files).
func (s *postgresServer) settle() error {
	if s == nil {
		syscall.Sync()
		return nil
	}
	err := s.withConn("postgres", func(ctx context.Context, c *pgx.Conn) error {
		rows, _ := c.Query(ctx, "SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres'")
		dbs, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("list databases: %w", err)
		}
		for _, db := range dbs {
			if _, err := c.Exec(ctx, "DROP DATABASE "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)"); err != nil {
				return fmt.Errorf("drop database %s: %w", db, err)
			}
		}
		if _, err := c.Exec(ctx, "CHECKPOINT"); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		return nil
	})
	syscall.Sync()
	return err
}

// pids of the postmaster and its children (backends, walwriter, ...).
func (s *postgresServer) pids() []int {
	if s == nil {
		return nil
	}
	pm := s.PID()
	if pm == 0 {
		return nil
	}
	out := []int{pm}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(pid); ok && st.ppid == pm {
			out = append(out, pid)
		}
	}
	return out
}

// stop shuts the server down and removes its files; a second stop is a no-op.
func (s *postgresServer) stop() {
	if s == nil {
		return
	}
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "bench: stop PostgreSQL:", err)
	}
}

// dropSortIndexes drops the secondary indexes of users and sessions (the
// list pages' sort and search indexes), to measure what they cost ingest.
func (s *postgresServer) dropSortIndexes(db string) error {
	return s.withConn(db, func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, `DO $$ DECLARE i record; BEGIN
			FOR i IN SELECT indexrelid::regclass AS name FROM pg_index
				WHERE indrelid IN ('users'::regclass, 'sessions'::regclass) AND NOT indisprimary LOOP
				EXECUTE 'DROP INDEX ' || i.name;
			END LOOP; END $$`)
		return err
	})
}
