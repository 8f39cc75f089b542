package flags

import (
	"context"
	"sync"
	"time"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// StatsReader computes a population's statistics.
type StatsReader interface {
	UsageStats(ctx context.Context, q store.StatsQuery) (store.UsageStats, error)
}

// DefaultTTL is how long a population's statistics are served as they are.
const DefaultTTL = time.Minute

// maxEntries bounds the cache; beyond it, it starts over.
const maxEntries = 256

// Cache holds population statistics, one entry per population. The first
// request for a population computes them, and concurrent requests share
// that computation. Once an entry is older than its TTL, the next request
// is answered with it at once and starts one recomputation in the
// background (stale-while-revalidate): at a million users the lifetime
// statistics take about a second, which one request a minute would
// otherwise wait for. A recomputation that fails drops the entry, so the
// request after it computes them again and reports the failure. Statistics
// are thus at most a TTL plus one computation old. Close stops the
// recomputations.
type Cache struct {
	r      StatsReader
	ttl    time.Duration
	now    func() time.Time
	ctx    context.Context // of the recomputations in the background
	cancel context.CancelFunc

	mu         sync.Mutex
	entries    map[store.StatsQuery]*entry
	refreshing sync.WaitGroup
}

type entry struct {
	done       chan struct{} // closed when the first computation ends
	at         time.Time
	stats      store.UsageStats
	err        error
	refreshing bool
}

// NewCache returns a cache of r's statistics reused for ttl (DefaultTTL
// when not positive).
func NewCache(r StatsReader, ttl time.Duration) *Cache {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Cache{r: r, ttl: ttl, now: time.Now, ctx: ctx, cancel: cancel}
}

// Get returns the statistics of q's population.
func (c *Cache) Get(ctx context.Context, q store.StatsQuery) (store.UsageStats, error) {
	q.Start, q.End = q.Start.UTC(), q.End.UTC() // one key per instant
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxEntries {
		c.entries = map[store.StatsQuery]*entry{}
	}
	e, ok := c.entries[q]
	if !ok {
		e = &entry{done: make(chan struct{})}
		c.entries[q] = e
		c.mu.Unlock()
		// Not bound to one request: its result serves every request of
		// the population.
		st, err := c.r.UsageStats(context.WithoutCancel(ctx), q)
		c.mu.Lock()
		e.stats, e.err, e.at = st, err, c.now()
		if err != nil && c.entries[q] == e {
			delete(c.entries, q)
		}
		c.mu.Unlock()
		close(e.done)
		return st, err
	}
	select {
	case <-e.done:
	default:
		c.mu.Unlock()
		select {
		case <-e.done:
			c.mu.Lock()
			defer c.mu.Unlock()
			return e.stats, e.err
		case <-ctx.Done():
			return store.UsageStats{}, ctx.Err()
		}
	}
	if c.now().Sub(e.at) > c.ttl && !e.refreshing {
		e.refreshing = true
		c.refreshing.Add(1)
		go c.refresh(q, e)
	}
	st := e.stats
	c.mu.Unlock()
	return st, nil
}

// refresh recomputes the statistics of entry e of q.
func (c *Cache) refresh(q store.StatsQuery, e *entry) {
	defer c.refreshing.Done()
	st, err := c.r.UsageStats(c.ctx, q)
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refreshing = false
	if err != nil {
		if c.entries[q] == e {
			delete(c.entries, q)
		}
		return
	}
	e.stats, e.at = st, c.now()
}

// Close cancels the recomputations in the background and waits for them to
// end; call it before closing the store they read. Requests may still use
// the cache, which then computes in the foreground only: a recomputation
// started after Close fails at once and drops its entry.
func (c *Cache) Close() {
	c.cancel()
	c.refreshing.Wait()
}
