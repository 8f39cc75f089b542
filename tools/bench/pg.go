package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/testutil/lockedfork"
)

// postgresServer is a private PostgreSQL for the bench: initdb into a
// temporary directory, TCP on 127.0.0.1 only, stopped (fast shutdown) at the
// end. As root, initdb and postgres run as the postgres system user.
type postgresServer struct {
	dir    string
	port   int
	cmd    *exec.Cmd
	exited <-chan error
	cred   *syscall.Credential
}

// pgSettings are appended to postgresql.conf. Durability is left at the
// defaults (fsync and synchronous_commit on), so the figures are those of a
// real deployment; checkpoints are spread so they do not dominate short runs.
var pgSettings = []string{
	"listen_addresses = '127.0.0.1'",
	"shared_buffers = 512MB",
	"max_wal_size = 8GB",
	"checkpoint_timeout = 15min",
	"max_connections = 100",
	"log_min_messages = warning",
}

func findPGBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin or PATH")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startPostgres(workDir string) (*postgresServer, error) {
	bin, err := findPGBin()
	if err != nil {
		return nil, err
	}
	s := &postgresServer{dir: filepath.Join(workDir, "pg")}
	os.RemoveAll(s.dir)
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs a postgres system user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		for _, d := range []string{workDir, s.dir} {
			os.Chmod(d, 0o755)
		}
		if err := os.Chown(s.dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(s.dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C")
	initdb.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	initdb.Dir = s.dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	if s.port, err = freePort(); err != nil {
		return nil, err
	}
	settings := pgSettings
	if os.Getenv("BENCH_PG_STATEMENTS") == "1" {
		settings = append(settings, "shared_preload_libraries = 'pg_stat_statements'", "pg_stat_statements.track = all")
	}
	if v := os.Getenv("BENCH_PG_CONF"); v != "" {
		settings = append(settings, strings.Split(v, ";")...)
	}
	conf := "\n" + strings.Join(settings, "\n") + "\nunix_socket_directories = ''\n"
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	f.WriteString(conf)
	f.Close()
	logf, err := os.Create(filepath.Join(workDir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(s.port))
	s.cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	s.cmd.Dir = s.dir
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// The parent-death signal follows the forking thread, so the fork
	// happens on a thread that lives as long as the server: a plain Start
	// lost the server when the Go runtime retired that thread mid-run.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if s.exited, err = lockedfork.Start(s.cmd); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := pgx.Connect(context.Background(), s.dsn("postgres"))
		if err == nil {
			c.Close(context.Background())
			break
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("postgres did not start: %v (see %s)", err, logf.Name())
		}
		time.Sleep(200 * time.Millisecond)
	}
	return s, nil
}

func (s *postgresServer) dsn(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

func (s *postgresServer) createDB(name string) error {
	c, err := pgx.Connect(context.Background(), s.dsn("postgres"))
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	if _, err = c.Exec(context.Background(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return err
	}
	if os.Getenv("BENCH_PG_STATEMENTS") != "1" {
		return nil
	}
	db, err := pgx.Connect(context.Background(), s.dsn(name))
	if err != nil {
		return err
	}
	defer db.Close(context.Background())
	_, err = db.Exec(context.Background(), "CREATE EXTENSION pg_stat_statements")
	return err
}

// topStatements returns the statements of database db that took the most
// server time since the last reset (BENCH_PG_STATEMENTS=1), and resets.
func (s *postgresServer) topStatements(db string) (string, error) {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.dsn(db))
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, `SELECT calls, round(total_exec_time)::bigint, (total_exec_time / calls)::float8,
			rows, left(regexp_replace(query, '\s+', ' ', 'g'), 110)
		FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		ORDER BY total_exec_time DESC LIMIT 20`)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%8s %10s %9s %10s  %s\n", "calls", "total ms", "ms/call", "rows", "query")
	var calls, total, nrows int64
	var mean float64
	var q string
	_, err = pgx.ForEachRow(rows, []any{&calls, &total, &mean, &nrows, &q}, func() error {
		fmt.Fprintf(&b, "%8d %10d %9.2f %10d  %s\n", calls, total, mean, nrows, q)
		return nil
	})
	if err != nil {
		return "", err
	}
	_, err = c.Exec(ctx, "SELECT pg_stat_statements_reset()")
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
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.dsn("postgres"))
	if err != nil {
		return walStats{}, err
	}
	defer c.Close(ctx)
	var w walStats
	err = c.QueryRow(ctx, `SELECT wal_records, wal_fpi, wal_bytes::int8 FROM pg_stat_wal`).Scan(&w.records, &w.fpi, &w.bytes)
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
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.dsn("postgres"))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
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
	syscall.Sync()
	return nil
}

// pids of the postmaster and its children (backends, walwriter, ...).
func (s *postgresServer) pids() []int {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	pm := s.cmd.Process.Pid
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

func (s *postgresServer) stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Signal(syscall.SIGQUIT)
		<-s.exited
	}
	s.cmd = nil // stopped: a second stop returns at once
}

// dropSortIndexes drops the secondary indexes of users and sessions (the
// list pages' sort and search indexes), to measure what they cost ingest.
func (s *postgresServer) dropSortIndexes(db string) error {
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.dsn(db))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, `DO $$ DECLARE i record; BEGIN
		FOR i IN SELECT indexrelid::regclass AS name FROM pg_index
			WHERE indrelid IN ('users'::regclass, 'sessions'::regclass) AND NOT indisprimary LOOP
			EXECUTE 'DROP INDEX ' || i.name;
		END LOOP; END $$`)
	return err
}
