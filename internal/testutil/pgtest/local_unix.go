//go:build unix

package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/testutil/lockedfork"
)

const (
	dirPrefix      = "waxell-pgtest-"
	lockFileName   = "owner.lock"
	logFileName    = "postgres.log"
	startTimeout   = 60 * time.Second
	stopTimeout    = 60 * time.Second
	initdbTimeout  = 2 * time.Minute
	pollInterval   = 25 * time.Millisecond
	portAttempts   = 5
	staleNoLockAge = 5 * time.Minute
	maxSocketPath  = 100 // sun_path is 108 bytes on Linux, 104 on BSDs
)

// testSettings are appended to postgresql.conf. fsync and full_page_writes
// only protect against OS crashes and power loss, so turning them off keeps
// "committed data survives a server crash" (Stop("immediate")) true.
// synchronous_commit stays on for the same reason: with it off, the last
// commits before an immediate stop can be lost. With fsync off a commit only
// costs a write(2), so this is cheap.
var testSettings = []string{
	"fsync = off",
	"full_page_writes = off",
	"synchronous_commit = on",
	"max_connections = 200",
	"shared_buffers = 32MB",
	"huge_pages = off",
	"logging_collector = off",
	"timezone = 'UTC'",
	"log_timezone = 'UTC'",
}

// sysUser is the system user initdb and postgres are run as when the tests
// run as root.
type sysUser struct {
	name     string
	uid, gid uint32
}

// postmaster is one running postgres process.
type postmaster struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has been reaped
	err  error         // result of Wait; read only after done is closed
}

func (p *postmaster) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func newLocal(cfg PrivateConfig) (inst *Instance, err error) {
	removeStaleDirs()

	binDir, err := BinDir()
	if err != nil {
		return nil, err
	}
	runAs, err := lookupRunAs()
	if err != nil {
		return nil, err
	}

	parent := cfg.Dir
	if parent == "" {
		parent = os.TempDir()
	}
	base, err := os.MkdirTemp(parent, dirPrefix+"*")
	if err != nil {
		return nil, err
	}
	inst = &Instance{
		binDir:  binDir,
		baseDir: base,
		dataDir: filepath.Join(base, "data"),
		sockDir: filepath.Join(base, "sock"),
		logPath: filepath.Join(base, logFileName),
		runAs:   runAs,
		extra:   cfg.Settings,
	}
	defer func() {
		if err != nil {
			inst.destroy()
			inst = nil
		}
	}()

	if inst.lock, err = os.OpenFile(filepath.Join(base, lockFileName), os.O_RDWR|os.O_CREATE, 0o644); err != nil {
		return inst, err
	}
	if err = syscall.Flock(int(inst.lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return inst, fmt.Errorf("lock %s: %w", inst.lock.Name(), err)
	}
	if err = os.Chmod(base, 0o755); err != nil {
		return inst, err
	}
	if err = os.Mkdir(inst.sockDir, 0o755); err != nil {
		return inst, err
	}
	if err = os.WriteFile(inst.logPath, nil, 0o644); err != nil {
		return inst, err
	}
	if runAs != nil {
		if err = checkTraversable(base, runAs); err != nil {
			return inst, err
		}
		if err = chownTree(base, runAs); err != nil {
			return inst, err
		}
	}
	if err = inst.initdb(); err != nil {
		return inst, err
	}

	// Pick a free port. Another process may grab it before postgres binds
	// it; then try another one.
	for attempt := 1; ; attempt++ {
		if inst.port, err = freePort(); err != nil {
			return inst, err
		}
		inst.adminDSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", inst.port)
		var bindFailed bool
		inst.mu.Lock()
		bindFailed, err = inst.spawnLocked()
		inst.mu.Unlock()
		if err == nil || !bindFailed || attempt == portAttempts {
			return inst, err
		}
	}
}

func (in *Instance) initdb() error {
	ctx, cancel := context.WithTimeout(context.Background(), initdbTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(in.binDir, "initdb"),
		"-D", in.dataDir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C")
	cmd.Dir = in.baseDir
	cmd.Env = childEnv()
	cmd.SysProcAttr = sysProcAttr(in.runAs, syscall.SIGKILL)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s failed: %v\n%s", cmd.Path, err, tailLines(out, 40))
	}

	sock := in.sockDir
	if len(sock)+len("/.s.PGSQL.65535") > maxSocketPath {
		sock = "" // path too long for a unix socket: TCP only
	}
	var conf strings.Builder
	conf.WriteString("\n# Added by pgtest (internal/testutil/pgtest).\n")
	conf.WriteString("listen_addresses = '127.0.0.1'\n")
	conf.WriteString("unix_socket_directories = '" + strings.ReplaceAll(sock, "'", "''") + "'\n")
	for _, s := range append(slices.Clone(testSettings), in.extra...) {
		conf.WriteString(s + "\n")
	}
	f, err := os.OpenFile(filepath.Join(in.dataDir, "postgresql.conf"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(conf.String()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (in *Instance) startLocal() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.proc != nil {
		if !in.proc.exited() {
			return nil
		}
		in.proc = nil // died on its own; start it again
	}
	_, err := in.spawnLocked()
	return err
}

// spawnLocked starts postgres and waits until it accepts connections.
// bindFailed reports whether it failed because the port was in use.
// in.mu must be held.
func (in *Instance) spawnLocked() (bindFailed bool, err error) {
	logf, err := os.OpenFile(in.logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return false, err
	}
	logStart, _ := logf.Seek(0, io.SeekEnd)

	cmd := exec.Command(filepath.Join(in.binDir, "postgres"), "-D", in.dataDir, "-p", strconv.Itoa(in.port))
	cmd.Dir = in.baseDir
	cmd.Env = childEnv()
	cmd.Stdout = logf
	cmd.Stderr = logf
	// SIGQUIT (immediate shutdown) if this test process dies.
	cmd.SysProcAttr = sysProcAttr(in.runAs, syscall.SIGQUIT)
	pm := &postmaster{cmd: cmd, done: make(chan struct{})}

	exited, err := lockedfork.Start(cmd)
	logf.Close()
	if err != nil {
		return false, err
	}
	go func() {
		pm.err = <-exited
		close(pm.done)
	}()

	if err := in.waitReady(pm); err != nil {
		if !pm.exited() {
			_ = cmd.Process.Kill()
			<-pm.done
		}
		out := in.logSince(logStart)
		bindFailed = bytes.Contains(out, []byte("could not bind")) ||
			bytes.Contains(out, []byte("could not create any TCP/IP sockets"))
		return bindFailed, fmt.Errorf("postgres did not start (port %d, log %s): %v\n--- server log (tail) ---\n%s",
			in.port, in.logPath, err, tailLines(out, 40))
	}
	in.proc = pm
	return false, nil
}

// waitReady polls until our postmaster accepts connections, it exits, or the
// deadline passes. It checks data_directory so that another server that
// happens to listen on the same port is not mistaken for ours.
func (in *Instance) waitReady(pm *postmaster) error {
	deadline := time.Now().Add(startTimeout)
	lastErr := errors.New("no connection attempt yet")
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		lastErr = in.checkOurs(ctx)
		cancel()
		if lastErr == nil {
			return nil
		}
		select {
		case <-pm.done:
			return fmt.Errorf("postgres exited: %v", pm.err)
		case <-time.After(pollInterval):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %v", startTimeout, lastErr)
		}
	}
}

func (in *Instance) checkOurs(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, in.adminDSN)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var dir string
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dir); err != nil {
		return err
	}
	if filepath.Clean(dir) != filepath.Clean(in.dataDir) {
		return fmt.Errorf("port %d is served by another server (data_directory %s)", in.port, dir)
	}
	return nil
}

func (in *Instance) stopLocal(mode string) error {
	var sig syscall.Signal
	switch mode {
	case "immediate":
		sig = syscall.SIGQUIT
	case "fast":
		sig = syscall.SIGINT
	case "smart":
		sig = syscall.SIGTERM
	default:
		return fmt.Errorf("pgtest: unknown stop mode %q (want immediate, fast or smart)", mode)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	pm := in.proc
	if pm == nil {
		return nil
	}
	in.proc = nil
	if pm.exited() {
		return nil
	}
	if err := pm.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pgtest: signal postgres: %w", err)
	}
	select {
	case <-pm.done:
		return nil
	case <-time.After(stopTimeout):
		_ = pm.cmd.Process.Kill()
		<-pm.done
		return fmt.Errorf("pgtest: postgres did not stop (%s) within %v; killed it", mode, stopTimeout)
	}
}

// PID returns the postmaster's process id, or 0 while the server is stopped.
func (in *Instance) PID() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.proc == nil || in.proc.exited() {
		return 0
	}
	return in.proc.cmd.Process.Pid
}

// shutdown stops the server and removes its directory (end of the process).
func (in *Instance) shutdown() error {
	err := in.stopLocal("fast")
	if rmErr := in.destroy(); err == nil {
		err = rmErr
	}
	return err
}

// destroy kills a still running server and removes the directory.
func (in *Instance) destroy() error {
	in.mu.Lock()
	if pm := in.proc; pm != nil {
		in.proc = nil
		if !pm.exited() {
			_ = pm.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-pm.done:
			case <-time.After(stopTimeout):
				_ = pm.cmd.Process.Kill()
				<-pm.done
			}
		}
	}
	in.mu.Unlock()
	err := os.RemoveAll(in.baseDir)
	if in.lock != nil {
		in.lock.Close()
	}
	return err
}

func (in *Instance) logSince(off int64) []byte {
	b, err := os.ReadFile(in.logPath)
	if err != nil {
		return []byte(err.Error())
	}
	if off >= 0 && off <= int64(len(b)) {
		b = b[off:]
	}
	return b
}

func tailLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// BinDir returns the directory of the PostgreSQL server binaries a private
// server is started from.
func BinDir() (string, error) {
	return findBinDir("/usr/lib/postgresql/*/bin", os.Getenv("PATH"))
}

// findBinDir returns the directory holding initdb and postgres: the highest
// version matching pattern, else the directory of initdb on path.
func findBinDir(pattern, path string) (string, error) {
	dirs, _ := filepath.Glob(pattern)
	slices.SortFunc(dirs, func(a, b string) int {
		return -compareVersions(filepath.Base(filepath.Dir(a)), filepath.Base(filepath.Dir(b)))
	})
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			continue
		}
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb and postgres) found in %s or $PATH.\n"+
		"Install PostgreSQL (Debian/Ubuntu: apt-get install -y postgresql), or set %s to a DSN of an "+
		"existing PostgreSQL 13+ server whose user may CREATE DATABASE, e.g.\n"+
		"\t%s='postgres://postgres:secret@127.0.0.1:5432/postgres?sslmode=disable'",
		pattern, EnvDSN, EnvDSN)
}

// compareVersions compares dotted numeric versions ("15", "9.6").
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x - y
		}
	}
	return strings.Compare(a, b)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// lookupRunAs returns the user to run initdb/postgres as: nil unless we are
// root, which they refuse to run as.
func lookupRunAs() (*sysUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("tests run as root, but initdb/postgres refuse to run as root and there is "+
			"no \"postgres\" system user to run them as (%v). Install the postgresql package (which creates it), "+
			"create it (useradd --system --user-group --home-dir /var/lib/postgresql postgres), "+
			"run the tests as a non-root user, or set %s", err, EnvDSN)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("user postgres: unexpected uid/gid %q/%q", u.Uid, u.Gid)
	}
	if uid == 0 {
		return nil, errors.New("user postgres has uid 0; initdb/postgres refuse to run as root")
	}
	return &sysUser{name: u.Username, uid: uint32(uid), gid: uint32(gid)}, nil
}

// checkTraversable verifies that u can reach dir (search permission on every
// ancestor), so that postgres running as u can use it.
func checkTraversable(dir string, u *sysUser) error {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		perm := fi.Mode().Perm()
		ok := perm&0o001 != 0
		if st, isStat := fi.Sys().(*syscall.Stat_t); isStat {
			ok = ok || (st.Uid == u.uid && perm&0o100 != 0) || (st.Gid == u.gid && perm&0o010 != 0)
		}
		if !ok {
			return fmt.Errorf("tests run as root, so postgres runs as user %q, which cannot traverse %s (mode %v); "+
				"point TMPDIR to a world-accessible directory such as /tmp", u.name, d, fi.Mode())
		}
		if parent := filepath.Dir(d); parent == d {
			return nil
		}
	}
}

func chownTree(root string, u *sysUser) error {
	return filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(u.uid), int(u.gid))
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// childEnv is the environment for initdb/postgres: no PG* variables, C locale.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG") || strings.HasPrefix(k, "LC_") || k == "LANG" || k == "LANGUAGE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C", "LANG=C")
}

// removeStaleDirs removes directories of earlier test processes that died
// without cleaning up. A live owner holds an flock on its lock file.
func removeStaleDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		lf, err := os.Open(filepath.Join(dir, lockFileName))
		if err != nil {
			// No lock file: either just being created by another process,
			// or garbage. Only remove it when old.
			if fi, err := os.Stat(dir); err == nil && fi.IsDir() && time.Since(fi.ModTime()) > staleNoLockAge {
				_ = os.RemoveAll(dir)
			}
			continue
		}
		if syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			if stopOrphan(filepath.Join(dir, "data")) {
				_ = os.RemoveAll(dir)
			}
		}
		lf.Close()
	}
}

// stopOrphan makes sure no postmaster runs on dataDir any more (normally the
// parent-death signal already stopped it). It reports whether none runs.
func stopOrphan(dataDir string) bool {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return true
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 || !processAlive(pid) {
		return true
	}
	// Make sure the pid is really that postmaster, not a reused pid.
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte(dataDir)) {
		return err == nil // pid reused by something else: stale
	}
	_ = syscall.Kill(pid, syscall.SIGQUIT)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if !processAlive(pid) {
			return true
		}
		time.Sleep(pollInterval)
	}
	return false
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
