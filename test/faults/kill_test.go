package faults

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// persistentQueue is a sending queue kept in a file_storage directory.
func persistentQueue(dir string) (queue, ext string) {
	return bigQueue + "\nstorage: file_storage/queue",
		"file_storage/queue:\n  directory: " + dir + "\n  create_directory: true"
}

func persistentOptions(t *testing.T, st storeConfig) options {
	q, ext := persistentQueue(filepath.Join(t.TempDir(), "queue"))
	return options{store: st, queue: q, retry: retryFast, extensions: ext, extNames: []string{"file_storage/queue"}}
}

// TestKill9PersistentQueue: with `sending_queue: {storage: file_storage/...}`
// every batch the receiver acknowledged survives kill -9 of the collector.
//
// Queued: PostgreSQL is down, so acknowledged batches exist only in the
// persistent queue when the collector is killed; after PostgreSQL and the
// collector are back, all of them are written exactly once.
func TestKill9PersistentQueue(t *testing.T) {
	st := postgresStore(t)
	pg := pgtest.Server(t)
	c := startCollector(t, persistentOptions(t, st))

	const warm, queued = 20, 300
	var acked []int
	for n := range warm {
		if !c.send(n) {
			t.Fatalf("trace %d refused", n)
		}
		acked = append(acked, n)
	}
	c.waitTotals(t, expected(acked), dataTimeout)

	if err := pg.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	restarted := false
	defer func() {
		if !restarted {
			_ = pg.Start()
		}
	}()
	for n := warm; n < warm+queued; n++ {
		if !c.send(n) {
			t.Fatalf("trace %d refused while the store is down", n)
		}
		acked = append(acked, n)
	}
	inQueue := c.waitMetric(t, "acknowledged batches in the queue", 30*time.Second,
		func(v float64) bool { return v >= queued-4 }, "otelcol_exporter_queue_size")
	c.kill()
	t.Logf("killed with %.0f acknowledged requests in the persistent queue", inQueue)

	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	c.start()
	c.waitTotals(t, expected(acked), dataTimeout)
	c.waitMetric(t, "queue drained", dataTimeout, func(v float64) bool { return v == 0 }, "otelcol_exporter_queue_size")
}

// TestKill9DuringIngest kills the collector while clients send and it
// writes, and restarts it at once; clients resend what was not
// acknowledged (as OTLP exporters do). The totals are exact: nothing the
// receiver acknowledged is lost, nothing is counted twice (a resent batch
// that had also reached the queue, or the store, is deduplicated by span
// id). SQLite (WAL, one file) and PostgreSQL.
func TestKill9DuringIngest(t *testing.T) {
	for _, b := range []struct {
		name  string
		store func(t *testing.T) storeConfig
	}{
		{"sqlite", func(t *testing.T) storeConfig {
			return storeConfig{driver: "sqlite", path: filepath.Join(t.TempDir(), "data", "waxell.db")}
		}},
		{"postgres", postgresStore},
	} {
		t.Run(b.name, func(t *testing.T) {
			c := startCollector(t, persistentOptions(t, b.store(t)))
			s := startSender(c, 0, 5*time.Millisecond)
			defer s.stop()
			for kill := 1; kill <= 3; kill++ {
				s.waitAcked(t, s.acked.len()+100)
				applied, _ := c.metric("waxell_spans_applied")
				c.kill()
				t.Logf("kill -9 #%d after %d acknowledged traces (%.0f spans written by this process)", kill, s.acked.len(), applied)
				c.start()
			}
			s.waitAcked(t, s.acked.len()+100)
			s.stop()
			c.waitTotals(t, expected(s.acked.list()), dataTimeout)
			t.Logf("%d traces acknowledged, %d attempts refused and resent", s.acked.len(), s.refused.Load())
		})
	}
}
