// Package ratelog bounds how often a component logs about the same kind of
// event, so bad input from one app cannot flood the collector's log.
package ratelog

import (
	"sync"
	"time"
)

// Limiter lets a caller log one message per key at most once per
// interval, carrying the number of events seen since the last message. It
// needs no goroutine: events that arrive after the last message and are
// never followed by another are only visible in the metrics.
type Limiter struct {
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	entries map[string]*rateEntry
}

type rateEntry struct {
	last    time.Time
	logged  bool
	pending int64
}

// maxRateKeys bounds the number of keys tracked; further keys share one
// entry so that a stream of distinct keys cannot grow memory.
const maxRateKeys = 256

const overflowKey = "\x00overflow"

func New(interval time.Duration) *Limiter {
	return &Limiter{interval: interval, now: time.Now, entries: map[string]*rateEntry{}}
}

// Add records n events for key and reports whether to log now, with the
// number of events to report (those since the previous message).
func (r *Limiter) Add(key string, n int64) (bool, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.entries[key]
	if !ok {
		if len(r.entries) >= maxRateKeys {
			key = overflowKey
			e = r.entries[key]
		}
		if e == nil {
			e = &rateEntry{}
			r.entries[key] = e
		}
	}
	e.pending += n
	now := r.now()
	if e.logged && now.Sub(e.last) < r.interval {
		return false, 0
	}
	count := e.pending
	e.pending, e.last, e.logged = 0, now, true
	return true, count
}
