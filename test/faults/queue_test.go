package faults

import (
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// tinyQueue holds queueCapacity batches, the one its consumer is retrying
// included.
const (
	tinyQueue     = "num_consumers: 1\nqueue_size: 5"
	queueCapacity = 5
)

// TestQueueFullBackpressure: with the store down and the sending queue
// full, OTLP clients are refused (HTTP 503 Service Unavailable, gRPC
// UNAVAILABLE: both retryable for OTLP exporters), never silently dropped;
// what was accepted is written exactly once the store is back, and what was
// refused never appears.
func TestQueueFullBackpressure(t *testing.T) {
	st := postgresStore(t)
	pg := pgtest.Server(t)
	c := startCollector(t, options{store: st, queue: tinyQueue + "\nblock_on_overflow: false", retry: retryFast})

	if err := pg.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	restarted := false
	defer func() {
		if !restarted {
			_ = pg.Start()
		}
	}()

	var acked []int
	var httpRefused, grpcRefused int
	seen := map[string]bool{}
	for n := 0; n < 40; n++ {
		td := traceOf(n)
		if n%2 == 0 {
			code, err := c.sendHTTP(td)
			switch {
			case err == nil && code == http.StatusOK:
				acked = append(acked, n)
			case code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests:
				httpRefused++
				seen["HTTP "+http.StatusText(code)] = true
			default:
				t.Fatalf("trace %d over HTTP: status %d, error %v", n, code, err)
			}
			continue
		}
		switch code := c.sendGRPC(td); code {
		case codes.OK:
			acked = append(acked, n)
		case codes.Unavailable, codes.ResourceExhausted:
			grpcRefused++
			seen["gRPC "+code.String()] = true
		default:
			t.Fatalf("trace %d over gRPC: %s", n, code)
		}
	}
	t.Logf("queue full: %d accepted, %d refused over HTTP, %d over gRPC, as %v", len(acked), httpRefused, grpcRefused, seen)
	if httpRefused == 0 || grpcRefused == 0 {
		t.Fatalf("a full queue must refuse on both transports (HTTP %d, gRPC %d)", httpRefused, grpcRefused)
	}
	if len(acked) > queueCapacity+1 {
		t.Fatalf("%d batches accepted by a queue of 5", len(acked))
	}
	// The refusal is visible in the collector's metrics.
	c.waitMetric(t, "refusals counted", 10*time.Second, func(v float64) bool { return v > 0 },
		"otelcol_exporter_enqueue_failed_spans")

	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	c.waitTotals(t, expected(acked), dataTimeout)
}

// TestQueueFullBlocks: with block_on_overflow the receiver waits for room
// in the queue instead of refusing; the blocked request completes and is
// written once the store is back.
func TestQueueFullBlocks(t *testing.T) {
	st := postgresStore(t)
	pg := pgtest.Server(t)
	c := startCollector(t, options{store: st, queue: tinyQueue + "\nblock_on_overflow: true", retry: retryFast})

	if err := pg.Stop("immediate"); err != nil {
		t.Fatal(err)
	}
	restarted := false
	defer func() {
		if !restarted {
			_ = pg.Start()
		}
	}()

	// Fill the consumer and the queue, then one more request blocks.
	results := make(chan int, 20)
	for n := range 10 {
		go func() {
			if c.send(n) {
				results <- n
			} else {
				results <- -1
			}
		}()
	}
	var acked []int
	deadline := time.After(30 * time.Second)
	for len(acked) < queueCapacity {
		select {
		case n := <-results:
			if n < 0 {
				t.Fatal("a request was refused although block_on_overflow is set")
			}
			acked = append(acked, n)
		case <-deadline:
			t.Fatalf("only %d requests accepted", len(acked))
		}
	}
	// The others wait while the store is down.
	select {
	case n := <-results:
		t.Fatalf("request %d completed (%d accepted) while the queue is full", n, len(acked))
	case <-time.After(2 * time.Second):
	}

	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	for len(acked) < 10 {
		select {
		case n := <-results:
			if n < 0 {
				t.Fatal("a blocked request was refused")
			}
			acked = append(acked, n)
		case <-time.After(dataTimeout):
			t.Fatalf("blocked requests did not complete: %d of 10", len(acked))
		}
	}
	c.waitTotals(t, expected(acked), dataTimeout)
}
