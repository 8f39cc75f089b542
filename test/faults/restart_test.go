package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/waxell/otelcol-waxell/internal/testutil/collectortest"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// shippedExporter is the exporter's sending_queue and retry_on_failure of
// testdata/postgres.yaml, the documented PostgreSQL settings
// (docs/reliability.md, "Exporter settings"), as YAML fragments, and the
// store's connection pool size.
func shippedExporter(t *testing.T) (queue, retry string, maxConns int) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "postgres.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Exporters struct {
			Waxell struct {
				Store struct {
					Postgres struct {
						MaxConns int `yaml:"max_conns"`
					} `yaml:"postgres"`
				} `yaml:"store"`
				Queue yaml.Node `yaml:"sending_queue"`
				Retry yaml.Node `yaml:"retry_on_failure"`
			} `yaml:"waxell"`
		} `yaml:"exporters"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	w := cfg.Exporters.Waxell
	fragment := func(n *yaml.Node, what string) string {
		if n.Kind != yaml.MappingNode {
			t.Fatalf("%s has no exporters.waxell.%s", path, what)
		}
		out, err := yaml.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	return fragment(&w.Queue, "sending_queue"), fragment(&w.Retry, "retry_on_failure"), w.Store.Postgres.MaxConns
}

// TestPostgresRestartsDuringIngest crashes PostgreSQL (pgtest's immediate
// stop: SIGQUIT to the postmaster, what `pg_ctl stop -m immediate` sends)
// and restarts it, twice, while an OTLP client keeps sending, with the
// exporter configured exactly as testdata/postgres.yaml ships it. Each
// outage lasts until the client has had traffic acknowledged into the
// queue meanwhile; in-flight transactions die with the server. Afterwards
// nothing acknowledged is lost and nothing is counted twice: the totals
// equal the ground truth of what was acknowledged, still after the queue
// has drained, and verify is clean.
func TestPostgresRestartsDuringIngest(t *testing.T) {
	queue, retry, maxConns := shippedExporter(t)
	st := postgresStore(t)
	pg := pgtest.Server(t)
	c := startCollector(t, options{store: st, queue: queue, retry: retry, maxConns: maxConns})
	s := startSender(c, 0, 5*time.Millisecond)
	defer s.stop()

	const outages, outageTraces = 2, 400
	for i := 1; i <= outages; i++ {
		s.waitAcked(t, s.acked.len()+100)
		c.waitMetric(t, "writes before the outage", dataTimeout, func(v float64) bool { return v > 0 }, "waxell_spans_applied")
		failedBefore, err := c.metric("waxell_batches_failed", `permanent="false"`)
		if err != nil {
			t.Fatal(err)
		}
		if err := pg.Stop("immediate"); err != nil {
			t.Fatal(err)
		}
		down := time.Now()
		ackedAtStop := s.acked.len()
		c.waitMetric(t, "failed attempts during this outage", 30*time.Second,
			func(v float64) bool { return v > failedBefore }, "waxell_batches_failed", `permanent="false"`)
		// The client keeps sending; the queue takes it. At one trace per
		// 5 ms this is an outage of a few seconds.
		s.waitAcked(t, ackedAtStop+outageTraces)
		if err := pg.Start(); err != nil {
			t.Fatal(err)
		}
		t.Logf("outage %d: PostgreSQL down %s, %d traces acknowledged meanwhile",
			i, time.Since(down).Round(10*time.Millisecond), s.acked.len()-ackedAtStop)
		if err := c.waitLogCount("The store accepts writes again", i, dataTimeout); err != nil {
			t.Fatal(err)
		}
	}
	s.waitAcked(t, s.acked.len()+100)
	s.stop()
	assertNoRefusals(t, s)

	want := expected(s.acked.list())
	c.waitTotals(t, want, dataTimeout)
	c.waitMetric(t, "queue drained", dataTimeout, func(v float64) bool { return v == 0 }, "otelcol_exporter_queue_size")
	// A batch written twice would show only once the queue is empty.
	c.waitTotals(t, want, time.Second)
	if v, _ := c.metric("waxell_batches_failed", `permanent="true"`); v != 0 {
		t.Errorf("%v batches dropped as permanent failures", v)
	}
	if v, _ := c.metric("otelcol_exporter_send_failed_spans"); v != 0 {
		t.Errorf("otelcol_exporter_send_failed_spans = %v: spans were given up", v)
	}
	failed, _ := c.metric("waxell_batches_failed", `permanent="false"`)
	t.Logf("%d traces acknowledged through %d PostgreSQL crashes; %.0f failed attempts retried", s.acked.len(), outages, failed)
}

// waitAcked waits until the sender has n traces acknowledged.
func (s *sender) waitAcked(t *testing.T, n int) {
	t.Helper()
	if !collectortest.Poll(dataTimeout, func() bool { return s.acked.len() >= n }) {
		t.Fatalf("only %d of %d traces acknowledged after %s (%d attempts refused)", s.acked.len(), n, dataTimeout, s.refused.Load())
	}
}

// waitLogCount waits until the log contains s at least n times.
func (c *collector) waitLogCount(s string, n int, timeout time.Duration) error {
	if !collectortest.Poll(timeout, func() bool { return strings.Count(c.Log(), s) >= n }) {
		return fmt.Errorf("the collector log mentions %q %d times after %s, want %d", s, strings.Count(c.Log(), s), timeout, n)
	}
	return nil
}
