package faults

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the driver of the integrity check
)

// mountTmpfs mounts a tmpfs of the given size (for a disk that can fill
// up) on a new directory, unmounted when the test ends. It skips the test
// when mounting is not permitted (not root, or no CAP_SYS_ADMIN).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill up (needs root with CAP_SYS_ADMIN): %v: %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
	return dir
}

// fill writes a file until the file system is full and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for size := len(chunk); size > 0; {
		if _, err := f.Write(chunk[:size]); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			size /= 2
		}
	}
	return path
}

// integrityCheck runs PRAGMA integrity_check on a (closed) SQLite file.
func integrityCheck(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(context.Background(), "PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatalf("integrity check: %v", err)
	}
	if res != "ok" {
		t.Fatalf("integrity check of %s: %s", path, res)
	}
}

// servesReads checks that the API and the UI still answer while writes
// fail. What they show lies between the totals before the fault and the
// totals of everything sent (batches that fit in space already allocated
// may still be written).
func servesReads(t *testing.T, c *collector, before, all map[string]totals) {
	t.Helper()
	got, err := c.currentTotals()
	if err != nil {
		t.Fatalf("the API stopped serving during the fault: %v", err)
	}
	for u, b := range before {
		g := got[u]
		if g.Runs < b.Runs || g.Runs > all[u].Runs || g.Tokens < b.Tokens || g.Tokens > all[u].Tokens {
			t.Fatalf("the API serves impossible totals during the fault:\n%sbefore:\n%sall:\n%s",
				formatTotals(got), formatTotals(before), formatTotals(all))
		}
	}
	if code, _, err := c.Get(c.apiURL + "/"); err != nil || code != http.StatusOK {
		t.Fatalf("the UI stopped serving during the fault: %d %v", code, err)
	}
}

func sendRange(t *testing.T, c *collector, from, to int) []int {
	t.Helper()
	var out []int
	for n := from; n < to; n++ {
		if !c.send(n) {
			t.Fatalf("trace %d refused", n)
		}
		out = append(out, n)
	}
	return out
}

// TestSQLiteDiskFull fills the file system of the SQLite store while the
// collector runs: writes fail with a clear error, queued batches are
// retried, the API keeps serving, and once space is freed everything is
// written exactly; the database passes PRAGMA integrity_check.
func TestSQLiteDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "16m")
	path := filepath.Join(dir, "waxell.db")
	c := startCollector(t, options{store: storeConfig{driver: "sqlite", path: path}, queue: bigQueue, retry: retryFast})

	acked := sendRange(t, c, 0, 50)
	c.waitTotals(t, expected(acked), dataTimeout)
	before := expected(acked)

	filler := fill(t, dir)
	acked = append(acked, sendRange(t, c, 50, 250)...)
	c.waitLog(t, "Cannot write to the store", 30*time.Second)
	c.waitLog(t, "database or disk is full", 30*time.Second)
	servesReads(t, c, before, expected(acked))

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	c.waitLog(t, "The store accepts writes again", dataTimeout)
	c.waitTotals(t, expected(acked), dataTimeout)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	integrityCheck(t, path)
}

// chattr sets or clears the immutable attribute, which even root cannot
// write through; it skips the test where the file system lacks it.
func chattr(t *testing.T, flag string, paths ...string) {
	t.Helper()
	if out, err := exec.Command("chattr", append([]string{flag}, paths...)...).CombinedOutput(); err != nil {
		if flag == "+i" {
			t.Skipf("cannot make files immutable here (chattr %s): %v: %s", flag, err, strings.TrimSpace(string(out)))
		}
		t.Errorf("chattr %s: %v: %s", flag, err, out)
	}
}

// TestSQLiteNotWritable makes the database and its WAL unwritable while the
// collector runs (chattr +i: root ignores file modes): writes fail with a
// clear error, the API keeps serving, nothing is lost once the files are
// writable again. A store that is unwritable at start fails the start with
// a message naming the store.
func TestSQLiteNotWritable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "waxell.db")
	c := startCollector(t, options{store: storeConfig{driver: "sqlite", path: path}, queue: bigQueue, retry: retryFast})
	acked := sendRange(t, c, 0, 50)
	c.waitTotals(t, expected(acked), dataTimeout)
	before := expected(acked)

	files := []string{path, path + "-wal"}
	chattr(t, "+i", files...)
	locked := true
	defer func() {
		if locked {
			chattr(t, "-i", files...)
		}
	}()
	acked = append(acked, sendRange(t, c, 50, 150)...)
	c.waitLog(t, "Cannot write to the store", 30*time.Second)
	servesReads(t, c, before, expected(acked))

	chattr(t, "-i", files...)
	locked = false
	c.waitLog(t, "The store accepts writes again", dataTimeout)
	c.waitTotals(t, expected(acked), dataTimeout)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	integrityCheck(t, path)

	// Unwritable at start: the directory cannot hold the WAL.
	chattr(t, "+i", dir)
	defer chattr(t, "-i", dir)
	c2 := newCollector(t, options{store: storeConfig{driver: "sqlite", path: path}})
	if err := c2.Spawn(); err != nil {
		t.Fatal(err)
	}
	if !c2.WaitExit(readyTimeout) {
		t.Fatal("the collector started on an unwritable store")
	}
	if c2.ExitErr() == nil {
		t.Fatal("the collector exited with status 0 on an unwritable store")
	}
	if log := c2.Log(); !strings.Contains(log, "cannot open the sqlite store") {
		t.Fatalf("the start failure does not name the store:\n%s", c2.LogTail(20))
	}
	chattr(t, "-i", dir)
	integrityCheck(t, path)
}
