package waxellexporter // import "github.com/waxell/otelcol-waxell/exporter/waxellexporter"

import (
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// storeHealth reports store outages in the log: the first failed write at
// once, then at most once per logEvery while the store keeps failing, and
// the recovery when a write succeeds again. The batches themselves are kept
// by the sending queue and retried by exporterhelper (retry_on_failure);
// waxell.batches.failed{permanent=false} counts every failed attempt.
type storeHealth struct {
	logEvery time.Duration
	store    []zap.Field // names the store in every message
	down     atomic.Bool // fast path for the common, healthy case

	mu       sync.Mutex
	since    time.Time
	lastLog  time.Time
	failures int64
}

func (h *storeHealth) failed(l *zap.Logger, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	h.failures++
	if !h.down.Load() {
		h.down.Store(true)
		h.since, h.lastLog, h.failures = now, now, 1
		l.Warn("Cannot write to the store; the batch stays queued and is retried (sending_queue, retry_on_failure)",
			append(h.store[:len(h.store):len(h.store)], zap.Error(err))...)
		return
	}
	if now.Sub(h.lastLog) >= h.logEvery {
		h.lastLog = now
		l.Warn("The store is still failing; batches are queued and retried (logged at most once a minute)",
			append(h.store[:len(h.store):len(h.store)], zap.Int64("failed_attempts", h.failures),
				zap.Duration("outage", now.Sub(h.since).Round(time.Millisecond)), zap.Error(err))...)
	}
}

func (h *storeHealth) succeeded(l *zap.Logger) {
	if !h.down.Load() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down.Load() {
		return
	}
	h.down.Store(false)
	l.Info("The store accepts writes again; queued batches are being written",
		append(h.store[:len(h.store):len(h.store)], zap.Duration("outage", time.Since(h.since).Round(time.Millisecond)),
			zap.Int64("failed_attempts", h.failures))...)
}
