// Package hourindex keeps the per-user hourly rollups (user_hours) of the
// hours that windowed reads ask for in memory, one segment per hour with
// users as dense ordinals, and the sums of the windows read most recently,
// so that a window's users are counted and ranked in a few milliseconds
// instead of the database grouping hundreds of thousands of rows on every
// request (DESIGN.md §8.26).
//
// It stays exact while any number of replicas write: every transaction that
// changes an hour's rollups also bumps that hour's version, and a read
// compares the versions of its snapshot with those its window was summed
// at, then subtracts the hours that differ and adds them as they are in that
// same snapshot (integer sums, so the result is the one a full sum gives).
package hourindex

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
)

// Aggs are one user's aggregates over an hour, a window or a run.
type Aggs struct {
	RunCount, TotalDuration, TotalCost, TotalTokens int64
}

func (a *Aggs) add(b Aggs) {
	a.RunCount += b.RunCount
	a.TotalDuration += b.TotalDuration
	a.TotalCost += b.TotalCost
	a.TotalTokens += b.TotalTokens
}

func (a *Aggs) sub(b Aggs) {
	a.RunCount -= b.RunCount
	a.TotalDuration -= b.TotalDuration
	a.TotalCost -= b.TotalCost
	a.TotalTokens -= b.TotalTokens
}

// Reader reads the rollups, every call in the same snapshot of the database.
type Reader interface {
	// Versions returns the version of every hour in [lo, hi) (hour starts
	// in Unix nanoseconds) that has rollup rows. A version changes in every
	// transaction that changes the hour's rows.
	Versions(ctx context.Context, lo, hi int64) (map[int64]int64, error)
	// Hours calls fn with every rollup row of the hours.
	Hours(ctx context.Context, hours []int64, fn func(hour int64, user string, a Aggs)) error
}

// Config bounds the memory of an Index.
type Config struct {
	// MaxEntries bounds the (user, hour) rows cached between reads; a
	// window larger than that is still summed, and its hours then evicted.
	MaxEntries int
	// MaxWindows bounds the windows whose sums are kept, each a dense array
	// of 40 bytes per user known to the index.
	MaxWindows int
}

// Index is one replica's cache of hourly rollups and window sums. It is
// safe for concurrent use.
type Index struct {
	cfg Config

	mu      sync.Mutex
	ord     map[string]uint32 // user id to ordinal
	ids     []string          // ordinal to user id; only appended to
	hours   map[int64]*segment
	entries int // rows held by hours
	windows []*window
	tick    uint64 // advances on every read, for least-recently-used eviction
}

// segment is one hour's rows at one version; never changed once built.
type segment struct {
	version int64
	users   []uint32
	aggs    []Aggs
	used    uint64
}

// New returns an empty index.
func New(cfg Config) *Index {
	return &Index{cfg: cfg, ord: map[string]uint32{}, hours: map[int64]*segment{}}
}

// Window returns the sums per user of the hours [lo, hi), brought to the
// versions rd reports: hours whose version differs from the one the
// window's sums hold are read through rd (unless cached at that version),
// subtracted as they were and added as they are. The caller adds the edges
// of its window (View.Add) and must Release the view; reads of the same
// window wait for one another meanwhile (or until ctx ends).
func (ix *Index) Window(ctx context.Context, rd Reader, lo, hi int64) (*View, error) {
	versions, err := rd.Versions(ctx, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("cannot read hour versions: %w", err)
	}
	w := ix.window(lo, hi)
	if err := w.acquire(ctx); err != nil {
		return nil, fmt.Errorf("cannot sum a window: %w", err)
	}
	v, err := ix.update(ctx, rd, w, versions)
	if err != nil {
		w.release()
		return nil, err
	}
	return v, nil
}

// update brings w to versions; the caller holds w.
func (ix *Index) update(ctx context.Context, rd Reader, w *window, versions map[int64]int64) (*View, error) {
	var stale []int64
	next := make(map[int64]*segment, len(versions))
	ix.mu.Lock()
	for h, v := range versions {
		if s := w.segs[h]; s != nil && s.version == v {
			next[h] = s
		} else if s := ix.hours[h]; s != nil && s.version == v {
			next[h] = s
		} else {
			stale = append(stale, h)
		}
	}
	for _, s := range next {
		s.used = ix.tick
	}
	ix.mu.Unlock()
	if len(stale) > 0 {
		loaded, err := ix.load(ctx, rd, stale, versions)
		if err != nil {
			return nil, err
		}
		for h, s := range loaded {
			next[h] = s
		}
	}
	w.sums.sync(len(ix.idTable()))
	changed, left := false, false
	for h, old := range w.segs {
		if next[h] != old {
			w.sums.apply(old, (*Aggs).sub)
			changed, left = true, true
		}
	}
	for h, s := range next {
		if w.segs[h] != s {
			w.sums.apply(s, (*Aggs).add)
			changed = true
		}
	}
	w.segs = next
	if left {
		w.sums.compact()
	}
	if changed {
		w.rankings, w.count = nil, -1
	}
	ix.evict()
	return &View{w: w, ix: ix}, nil
}

// load reads the stale hours and caches them at the versions read with them.
func (ix *Index) load(ctx context.Context, rd Reader, stale []int64, versions map[int64]int64) (map[int64]*segment, error) {
	slices.Sort(stale)
	type row struct {
		user string
		a    Aggs
	}
	rows := make(map[int64][]row, len(stale))
	if err := rd.Hours(ctx, stale, func(hour int64, user string, a Aggs) {
		rows[hour] = append(rows[hour], row{user, a})
	}); err != nil {
		return nil, fmt.Errorf("cannot read hourly rollups: %w", err)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	segs := make(map[int64]*segment, len(stale))
	for _, h := range stale {
		rs := rows[h]
		seg := &segment{version: versions[h], users: make([]uint32, len(rs)), aggs: make([]Aggs, len(rs)), used: ix.tick}
		for i, r := range rs {
			seg.users[i], seg.aggs[i] = ix.intern(r.user), r.a
		}
		// Another read may have cached a later snapshot's hour meanwhile;
		// versions only grow, so the higher one stays.
		if old := ix.hours[h]; old == nil || old.version < seg.version {
			if old != nil {
				ix.entries -= len(old.users)
			}
			ix.hours[h] = seg
			ix.entries += len(seg.users)
		}
		segs[h] = seg
	}
	return segs, nil
}

// intern returns the ordinal of user, adding it; ix.mu must be held.
func (ix *Index) intern(user string) uint32 {
	if o, ok := ix.ord[user]; ok {
		return o
	}
	o := uint32(len(ix.ids))
	ix.ord[user] = o
	ix.ids = append(ix.ids, user)
	return o
}

// idTable returns the ordinal-to-id table as it is now; its entries never
// change, so the slice may be read without the lock.
func (ix *Index) idTable() []string {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.ids
}

// evict drops the least recently used hours until at most MaxEntries rows
// are cached.
func (ix *Index) evict() {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.entries <= ix.cfg.MaxEntries {
		return
	}
	hs := make([]int64, 0, len(ix.hours))
	for h := range ix.hours {
		hs = append(hs, h)
	}
	slices.SortFunc(hs, func(a, b int64) int {
		if ua, ub := ix.hours[a].used, ix.hours[b].used; ua != ub {
			return cmp.Compare(ua, ub)
		}
		return cmp.Compare(a, b)
	})
	for _, h := range hs {
		if ix.entries <= ix.cfg.MaxEntries {
			return
		}
		ix.entries -= len(ix.hours[h].users)
		delete(ix.hours, h)
	}
}

// Cached reports how many hours and rows the index holds, and how many
// windows' sums.
func (ix *Index) Cached() (hours, entries, windows int) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.hours), ix.entries, len(ix.windows)
}
