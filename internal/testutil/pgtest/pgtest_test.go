package pgtest_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.RunMain(m)) }

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func exec(t *testing.T, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func queryInt(t *testing.T, conn *pgx.Conn, sql string) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestDatabasesAreIsolated(t *testing.T) {
	dsn1, dsn2 := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	if dsn1 == dsn2 {
		t.Fatalf("same DSN twice: %s", dsn1)
	}
	c1, c2 := connect(t, dsn1), connect(t, dsn2)

	var db1, db2 string
	if err := c1.QueryRow(context.Background(), "SELECT current_database()").Scan(&db1); err != nil {
		t.Fatal(err)
	}
	if err := c2.QueryRow(context.Background(), "SELECT current_database()").Scan(&db2); err != nil {
		t.Fatal(err)
	}
	if db1 == db2 || !strings.HasPrefix(db1, "test_") || !strings.HasPrefix(db2, "test_") {
		t.Fatalf("databases %q and %q: want two distinct test_* databases", db1, db2)
	}

	exec(t, c1, "CREATE TABLE items (id int PRIMARY KEY, v text)")
	exec(t, c1, "INSERT INTO items SELECT g, 'one' FROM generate_series(1, 3) g")
	if n := queryInt(t, c2, "SELECT count(*) FROM pg_class WHERE relname = 'items'"); n != 0 {
		t.Fatalf("table created in %s is visible in %s", db1, db2)
	}
	exec(t, c2, "CREATE TABLE items (id int PRIMARY KEY, v text)")
	exec(t, c2, "INSERT INTO items VALUES (1, 'two')")
	if n := queryInt(t, c1, "SELECT count(*) FROM items"); n != 3 {
		t.Fatalf("%s: %d rows, want 3", db1, n)
	}
	if n := queryInt(t, c2, "SELECT count(*) FROM items"); n != 1 {
		t.Fatalf("%s: %d rows, want 1", db2, n)
	}

	inst := pgtest.Server(t)
	if inst.Port() <= 0 {
		t.Fatalf("Port() = %d", inst.Port())
	}
	if !inst.External() && inst.DataDir() == "" {
		t.Fatal("DataDir() is empty for a private server")
	}
	admin := connect(t, inst.AdminDSN())
	if n := queryInt(t, admin, fmt.Sprintf(
		"SELECT count(*) FROM pg_database WHERE datname IN ('%s', '%s')", db1, db2)); n != 2 {
		t.Fatalf("admin connection sees %d of the 2 test databases", n)
	}
}

func TestDatabaseDroppedAfterTest(t *testing.T) {
	var name string
	var conn *pgx.Conn
	t.Run("inner", func(t *testing.T) {
		var err error
		conn, err = pgx.Connect(context.Background(), pgtest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		// conn stays open: the drop must not be blocked by it (WITH (FORCE)).
	})
	if conn != nil {
		defer conn.Close(context.Background())
	}
	admin := connect(t, pgtest.Server(t).AdminDSN())
	if n := queryInt(t, admin, "SELECT count(*) FROM pg_database WHERE datname = '"+name+"'"); n != 0 {
		t.Fatalf("database %s still exists after its test finished", name)
	}
}

func TestParallelDatabases(t *testing.T) {
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			conn := connect(t, pgtest.NewDatabase(t))
			exec(t, conn, "CREATE TABLE t (v int)")
			exec(t, conn, "INSERT INTO t VALUES ($1)", i)
			if n := queryInt(t, conn, "SELECT sum(v) FROM t"); n != i {
				t.Fatalf("sum = %d, want %d", n, i)
			}
		})
	}
}

func TestStopStart(t *testing.T) {
	inst := pgtest.Server(t)
	if inst.External() {
		// An external server cannot be crashed; check that this is reported.
		if err := inst.Stop("immediate"); err == nil {
			t.Fatal("Stop on an external server: want error")
		}
		return
	}
	dsn := pgtest.NewDatabase(t)
	port, dataDir := inst.Port(), inst.DataDir()

	conn := connect(t, dsn)
	exec(t, conn, "CREATE TABLE kv (k text PRIMARY KEY, v int)")
	exec(t, conn, "INSERT INTO kv VALUES ('before-crash', 1)")

	if err := inst.Stop("immediate"); err != nil {
		t.Fatalf("Stop(immediate): %v", err)
	}
	if err := conn.Ping(context.Background()); err == nil {
		t.Fatal("connection still works after Stop(immediate)")
	}
	if err := inst.Stop("immediate"); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := inst.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if inst.Port() != port || inst.DataDir() != dataDir {
		t.Fatalf("restarted on port %d dir %s, want %d %s", inst.Port(), inst.DataDir(), port, dataDir)
	}

	conn2 := connect(t, dsn)
	if n := queryInt(t, conn2, "SELECT v FROM kv WHERE k = 'before-crash'"); n != 1 {
		t.Fatalf("v = %d, want 1", n)
	}
	exec(t, conn2, "INSERT INTO kv VALUES ('after-crash', 2)")

	// A clean stop/start cycle as well.
	if err := inst.Stop("fast"); err != nil {
		t.Fatalf("Stop(fast): %v", err)
	}
	if err := inst.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := inst.Start(); err != nil {
		t.Fatalf("second Start: %v", err)
	}
	if n := queryInt(t, connect(t, dsn), "SELECT sum(v) FROM kv"); n != 3 {
		t.Fatalf("sum = %d, want 3", n)
	}

	if err := inst.Stop("bogus"); err == nil {
		t.Fatal("Stop(bogus): want error")
	}
}

func TestServerRestartsStoppedServer(t *testing.T) {
	inst := pgtest.Server(t)
	if inst.External() {
		return // nothing to stop; covered by TestStopStart
	}
	if err := inst.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	// A test that left the server stopped must not break later tests.
	conn := connect(t, pgtest.NewDatabase(t))
	if n := queryInt(t, conn, "SELECT 1"); n != 1 {
		t.Fatalf("got %d", n)
	}
}

// TestNewPrivate checks the server a program owns (tools/bench): its settings
// override the test settings, PID names the running postmaster, and Close
// stops it, removes its directory and may be called again. It needs the local
// PostgreSQL binaries even when the other tests use WAXELL_TEST_POSTGRES_DSN:
// NewPrivate always starts its own server (.ci/run installs them).
func TestNewPrivate(t *testing.T) {
	// Not t.TempDir(): as root the server runs as postgres, which must
	// traverse every ancestor.
	parent, err := os.MkdirTemp("", "pgtest-private-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := pgtest.NewPrivate(pgtest.PrivateConfig{Dir: parent, Settings: []string{"fsync = on", "work_mem = '7MB'"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })

	conn := connect(t, in.DSN("postgres"))
	for setting, want := range map[string]string{"fsync": "on", "work_mem": "7MB", "full_page_writes": "off"} {
		var got string
		if err := conn.QueryRow(context.Background(), "SHOW "+setting).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("SHOW %s = %q, want %q", setting, got, want)
		}
	}
	pid := in.PID()
	if pid <= 0 {
		t.Fatalf("PID() = %d while running", pid)
	}
	if runtime.GOOS == "linux" { // the backend serving conn is a child of the postmaster
		backend := queryInt(t, conn, "SELECT pg_backend_pid()")
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", backend))
		if err != nil {
			t.Fatal(err)
		}
		if fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])); fields[1] != strconv.Itoa(pid) {
			t.Errorf("backend %d has parent %s, PID() = %d", backend, fields[1], pid)
		}
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Fatalf("%d entries in the parent directory, want the server's one", len(entries))
	}

	conn.Close(context.Background())
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if got := in.PID(); got != 0 {
		t.Errorf("PID() = %d after Close", got)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Errorf("Close left %d entries in the parent directory", len(entries))
	}
	if err := in.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
