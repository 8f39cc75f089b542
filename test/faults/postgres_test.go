package faults

import (
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// envOutage overrides how long TestPostgresOutage keeps PostgreSQL down.
const envOutage = "WAXELL_FAULTS_OUTAGE"

const defaultOutage = 60 * time.Second

func outageDuration(t *testing.T) time.Duration {
	if s := os.Getenv(envOutage); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("%s=%q: not a positive duration", envOutage, s)
		}
		return d
	}
	return defaultOutage
}

// queueRetry keeps every batch through an outage: a big queue, retries
// every second at most, for ten minutes.
const (
	bigQueue   = "num_consumers: 4\nqueue_size: 100000"
	retryFast  = "initial_interval: 100ms\nmax_interval: 1s\nmax_elapsed_time: 10m"
	sendPeriod = 20 * time.Millisecond
)

func postgresStore(t *testing.T) storeConfig {
	if pgtest.Server(t).External() {
		t.Skip("needs a private PostgreSQL server to stop and start (" + pgtest.EnvDSN + " is set)")
	}
	return storeConfig{driver: "postgres", dsn: pgtest.NewDatabase(t)}
}

// sender sends traces first, first+1, ... at a steady pace until stopped,
// and resends a trace until the collector acknowledges it, the way an OTLP
// exporter retries. Nothing but acknowledged traces is expected.
type sender struct {
	c        *collector
	acked    ackSet
	next     atomic.Int64
	refused  atomic.Int64 // attempts not acknowledged (retried)
	stopOnce sync.Once
	stopCh   chan struct{}
	done     chan struct{}
}

func startSender(c *collector, first int, period time.Duration) *sender {
	s := &sender{c: c, stopCh: make(chan struct{}), done: make(chan struct{})}
	s.next.Store(int64(first))
	go func() {
		defer close(s.done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-s.stopCh:
				return
			case <-tick.C:
			}
			n := int(s.next.Load())
			if c.send(n) {
				s.acked.add(n)
				s.next.Add(1)
			} else {
				s.refused.Add(1)
			}
		}
	}()
	return s
}

// stop ends the loop after the request in flight.
func (s *sender) stop() {
	s.stopOnce.Do(func() { close(s.stopCh) })
	<-s.done
}

// TestPostgresOutage stops PostgreSQL (a crash: immediate shutdown) for
// WAXELL_FAULTS_OUTAGE (default 60 s) while OTLP clients keep sending. The
// sending queue holds every batch and retries it; afterwards the totals
// are exact, the store verifies, and the collector's log and metrics show
// the outage and the recovery. The collector is never restarted.
func TestPostgresOutage(t *testing.T) {
	outage := outageDuration(t)
	st := postgresStore(t)
	pg := pgtest.Server(t)
	c := startCollector(t, options{store: st, queue: bigQueue, retry: retryFast})

	s := startSender(c, 0, sendPeriod)
	defer s.stop()
	// Traffic flows before the outage.
	c.waitMetric(t, "before the outage", dataTimeout, func(v float64) bool { return v >= 20 }, "waxell_spans_applied")

	if err := pg.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	restarted := false
	defer func() {
		if !restarted {
			_ = pg.Start()
		}
	}()
	c.waitLog(t, "Cannot write to the store", 30*time.Second)
	failedBefore := c.waitMetric(t, "failed attempts during the outage", 30*time.Second,
		func(v float64) bool { return v > 0 }, "waxell_batches_failed", `permanent="false"`)
	c.waitMetric(t, "queued batches during the outage", 30*time.Second,
		func(v float64) bool { return v > 0 }, "otelcol_exporter_queue_size")
	ackedAtStop := s.acked.len()

	// The outage itself: clients keep sending until a full outage's worth
	// of traces has been acknowledged (about outage long at sendPeriod).
	s.waitAcked(t, ackedAtStop+int(outage/sendPeriod))
	queued, err := c.metric("otelcol_exporter_queue_size")
	if err != nil {
		t.Fatal(err)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	t.Logf("PostgreSQL was down for %s; %d traces acknowledged meanwhile, %.0f requests queued at the end",
		time.Since(down).Round(time.Second), s.acked.len()-ackedAtStop, queued)
	if s.acked.len()-ackedAtStop < int(outage/sendPeriod)/4 {
		t.Errorf("only %d traces were acknowledged during the outage", s.acked.len()-ackedAtStop)
	}

	c.waitLog(t, "The store accepts writes again", dataTimeout)
	// Traffic after the outage, then the final count.
	s.waitAcked(t, s.acked.len()+50)
	s.stop()
	assertNoRefusals(t, s)
	c.waitTotals(t, expected(s.acked.list()), dataTimeout)

	failed := c.waitMetric(t, "failed attempts", time.Second, func(float64) bool { return true },
		"waxell_batches_failed", `permanent="false"`)
	t.Logf("failed attempts retried: %.0f (first seen %0.f); traces sent: %d", failed, failedBefore, s.acked.len())
	if v, _ := c.metric("waxell_batches_failed", `permanent="true"`); v != 0 {
		t.Errorf("%v batches dropped as permanent failures", v)
	}
	if v, _ := c.metric("otelcol_exporter_send_failed_spans"); v != 0 {
		t.Errorf("otelcol_exporter_send_failed_spans = %v: spans were given up", v)
	}
	c.waitMetric(t, "queue drained", dataTimeout, func(v float64) bool { return v == 0 }, "otelcol_exporter_queue_size")
}

func assertNoRefusals(t *testing.T, s *sender) {
	t.Helper()
	if n := s.refused.Load(); n != 0 {
		t.Errorf("%d requests were refused; with a big enough queue every request must be accepted", n)
	}
}
