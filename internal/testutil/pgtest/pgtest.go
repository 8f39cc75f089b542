// Package pgtest gives Go tests a real PostgreSQL server.
//
// One server is used per test binary (started lazily on first use) and every
// test gets its own, freshly created database:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.RunMain(m)) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.NewDatabase(t) // dropped again by t.Cleanup
//		conn, err := pgx.Connect(ctx, dsn)
//		...
//	}
//
// Server selection:
//
//   - If WAXELL_TEST_POSTGRES_DSN is set, that server is used. Its user needs
//     the CREATEDB privilege, and the server must be PostgreSQL 13 or newer
//     (databases are dropped WITH (FORCE)). Such an external server cannot be
//     stopped or restarted by tests: [Instance.Stop] and [Instance.Start]
//     return an error.
//   - Otherwise a private server is created from local binaries (the highest
//     /usr/lib/postgresql/*/bin, then $PATH) in a directory
//     $TMPDIR/waxell-pgtest-*, listening on 127.0.0.1 on a free port and on a
//     unix socket inside that directory. When the tests run as root, initdb and
//     postgres are run as the "postgres" system user.
//
// The private server is stopped and its directory removed by [RunMain] after
// all tests ran. If the test process dies instead (panic, timeout, SIGKILL),
// the kernel sends SIGQUIT to the postmaster (Linux parent-death signal) and
// the directory left behind is removed by the next test process that starts a
// server.
//
// Tests that call [Instance.Stop] affect every database of the binary and must
// not run in parallel with other tests using this package. A server left
// stopped (for example by a test that failed between Stop and Start) is
// started again by the next call to [Server] or [NewDatabase].
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN is the environment variable naming an existing server to use instead
// of starting a private one.
const EnvDSN = "WAXELL_TEST_POSTGRES_DSN"

// opTimeout bounds single administrative operations (CREATE/DROP DATABASE).
const opTimeout = 60 * time.Second

// Instance is the PostgreSQL server shared by the tests of one test binary.
type Instance struct {
	adminDSN string
	port     int
	external bool

	// Local servers only; fixed once the instance has been created.
	binDir  string
	baseDir string
	dataDir string
	sockDir string
	logPath string
	runAs   *sysUser // nil: run initdb/postgres as the current user
	extra   []string // postgresql.conf lines after testSettings
	lock    *os.File // flock'ed while this process owns baseDir

	mu   sync.Mutex
	proc *postmaster // running postmaster, nil when stopped
}

// process is the process-wide singleton state.
var process struct {
	mu      sync.Mutex
	runMain bool // RunMain is active
	tried   bool
	inst    *Instance
	err     error
}

// RunMain runs the tests and afterwards stops the private server (if one was
// started) and removes its directory. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.RunMain(m)) }
func RunMain(m *testing.M) int {
	process.mu.Lock()
	process.runMain = true
	process.mu.Unlock()

	code := m.Run()

	process.mu.Lock()
	inst := process.inst
	process.mu.Unlock()
	if inst != nil && !inst.external {
		if err := inst.shutdown(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// Server returns the test binary's PostgreSQL server, starting it on first
// use (or again, if it was left stopped). It fails the test if no server can
// be provided.
func Server(t testing.TB) *Instance {
	t.Helper()
	inst, err := sharedInstance()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := inst.Start(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return inst
}

// NewDatabase creates an empty database test_<random> on the shared server
// and returns a DSN (URL or keyword/value form, like the admin DSN) for it.
// The database is dropped WITH (FORCE) when the test finishes.
func NewDatabase(t testing.TB) (dsn string) {
	t.Helper()
	inst := Server(t)

	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := "test_" + hex.EncodeToString(b[:])

	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := inst.adminExec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := inst.Start(); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		if err := inst.adminExec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return inst.dsnFor(name)
}

// PrivateConfig sets up a server started by [NewPrivate].
type PrivateConfig struct {
	// Dir is where the server's directory is created; "" means os.TempDir().
	Dir string
	// Settings are postgresql.conf lines written after the test settings, so
	// they override them (a later line wins), e.g. "fsync = on".
	Settings []string
}

// NewPrivate starts a private server from local binaries for a program that
// is not a test binary (tools/bench). It ignores [EnvDSN]. The caller owns the
// server and must Close it.
func NewPrivate(cfg PrivateConfig) (*Instance, error) { return newLocal(cfg) }

// Close stops a server from [NewPrivate] (fast shutdown) and removes its
// directory. Closing it again is a no-op.
func (in *Instance) Close() error {
	if in.external {
		return nil
	}
	return in.shutdown()
}

// DSN returns a DSN for database db on the server.
func (in *Instance) DSN(db string) string { return in.dsnFor(db) }

// AdminDSN returns a superuser (or, for an external server, the configured
// user's) DSN for the server's maintenance database.
func (in *Instance) AdminDSN() string { return in.adminDSN }

// Port returns the server's TCP port.
func (in *Instance) Port() int { return in.port }

// DataDir returns the private server's data directory ("" for an external
// server).
func (in *Instance) DataDir() string { return in.dataDir }

// External reports whether the server comes from WAXELL_TEST_POSTGRES_DSN
// (and therefore cannot be stopped or started).
func (in *Instance) External() bool { return in.external }

// Stop stops the private server: mode "immediate" (SIGQUIT, a crash: no
// checkpoint, crash recovery on the next start), "fast" (SIGINT) or "smart"
// (SIGTERM, waits for clients to disconnect). It waits until the postmaster
// has exited. Stopping a stopped server is a no-op.
func (in *Instance) Stop(mode string) error {
	if in.external {
		return errors.New("pgtest: cannot stop an external server (" + EnvDSN + ")")
	}
	return in.stopLocal(mode)
}

// Start starts the private server again on the same port and data directory
// and waits until it accepts connections (after crash recovery). Starting a
// running server is a no-op.
func (in *Instance) Start() error {
	if in.external {
		return nil
	}
	return in.startLocal()
}

func sharedInstance() (*Instance, error) {
	process.mu.Lock()
	defer process.mu.Unlock()
	if !process.runMain {
		return nil, errors.New("pgtest.RunMain is not active; add to the package's tests:\n" +
			"\tfunc TestMain(m *testing.M) { os.Exit(pgtest.RunMain(m)) }")
	}
	if !process.tried {
		process.tried = true
		if dsn := os.Getenv(EnvDSN); dsn != "" {
			process.inst, process.err = newExternal(dsn)
		} else {
			process.inst, process.err = newLocal(PrivateConfig{})
		}
	}
	return process.inst, process.err
}

func newExternal(dsn string) (*Instance, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", EnvDSN, err)
	}
	inst := &Instance{adminDSN: dsn, port: int(cfg.Port), external: true}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := inst.adminExec(ctx, "SELECT 1"); err != nil {
		return nil, fmt.Errorf("cannot use the server from %s (host %s, port %d): %w",
			EnvDSN, cfg.Host, cfg.Port, err)
	}
	return inst, nil
}

func (in *Instance) adminExec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, in.adminDSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// dsnFor returns the admin DSN with the database replaced by name.
func (in *Instance) dsnFor(name string) string {
	if strings.HasPrefix(in.adminDSN, "postgres://") || strings.HasPrefix(in.adminDSN, "postgresql://") {
		if u, err := url.Parse(in.adminDSN); err == nil {
			u.Path = "/" + name
			u.RawPath = ""
			q := u.Query()
			if q.Has("dbname") {
				q.Del("dbname")
				u.RawQuery = q.Encode()
			}
			return u.String()
		}
	}
	// Keyword/value form: a later keyword overrides an earlier one.
	return strings.TrimSpace(in.adminDSN) + " dbname=" + name
}
