package hourindex

import (
	"context"
	"math/bits"
)

// window is the sums of the hours [lo, hi) at the versions of segs.
type window struct {
	lo, hi int64
	// busy holds a token while a read uses the window; a channel rather
	// than a mutex, so that a read waiting for it still ends at its deadline.
	busy chan struct{}
	segs map[int64]*segment
	sums sums
	used uint64
	// rankings are cached orders of sums and count the users with a run in
	// the whole hours (-1: not counted yet), both reset whenever sums change.
	rankings []*ranking
	count    int
}

// window returns the cached window [lo, hi), or a new one (evicting the
// least recently used beyond MaxWindows: a read still holding it finishes
// with it).
func (ix *Index) window(lo, hi int64) *window {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.tick++
	for _, w := range ix.windows {
		if w.lo == lo && w.hi == hi {
			w.used = ix.tick
			return w
		}
	}
	w := &window{lo: lo, hi: hi, used: ix.tick, busy: make(chan struct{}, 1), count: -1}
	ix.windows = append(ix.windows, w)
	if len(ix.windows) > max(ix.cfg.MaxWindows, 1) {
		oldest := 0
		for i, x := range ix.windows {
			if x.used < ix.windows[oldest].used {
				oldest = i
			}
		}
		ix.windows = append(ix.windows[:oldest], ix.windows[oldest+1:]...)
	}
	return w
}

// sums are aggregates per user, dense by ordinal.
type sums struct {
	vals []Aggs
	// seen has a bit per ordinal whose sums were added to (some may have
	// gone back to zero since).
	seen []uint64
}

// sync makes room for n ordinals (the index's ordinals only grow).
func (s *sums) sync(n int) {
	if n > len(s.vals) {
		s.vals = append(s.vals, make([]Aggs, n-len(s.vals))...)
	}
	if w := bitWords(n); w > len(s.seen) {
		s.seen = append(s.seen, make([]uint64, w-len(s.seen))...)
	}
}

func bitWords(n int) int { return (n + 63) / 64 }

func hasBit(set []uint64, u uint32) bool {
	w := int(u / 64)
	return w < len(set) && set[w]&(1<<(u%64)) != 0
}

// eachBit calls fn with every ordinal set in set, in increasing order.
func eachBit(set []uint64, fn func(u uint32)) {
	for i, word := range set {
		for word != 0 {
			fn(uint32(i*64 + bits.TrailingZeros64(word)))
			word &= word - 1
		}
	}
}

// apply adds (or subtracts) every row of seg.
func (s *sums) apply(seg *segment, op func(*Aggs, Aggs)) {
	for i, u := range seg.users {
		s.seen[u/64] |= 1 << (u % 64)
		op(&s.vals[u], seg.aggs[i])
	}
}

// compact forgets the users whose runs all left the window, once they are
// a quarter of those seen. Every rollup row has a positive run count, so a
// user is in the window exactly when its run count is.
func (s *sums) compact() {
	seen, zero := 0, 0
	eachBit(s.seen, func(u uint32) {
		seen++
		if s.vals[u].RunCount == 0 {
			zero++
		}
	})
	if zero*4 < seen {
		return
	}
	eachBit(s.seen, func(u uint32) {
		if s.vals[u].RunCount == 0 {
			s.vals[u] = Aggs{}
			s.seen[u/64] &^= 1 << (u % 64)
		}
	})
}

// View is one read's use of a window: its sums, plus the runs at the
// read's edges kept apart (so that the sums and the rankings cached with
// them stay those of the whole hours).
type View struct {
	w  *window
	ix *Index
	// edges are the edge runs' sums per user, and edgeSet their users.
	edges   map[uint32]Aggs
	edgeSet []uint64
}

// Add adds as[i] to users[i]'s sums for this read (the runs at the
// window's edges).
func (v *View) Add(users []string, as []Aggs) {
	ix := v.ix
	ords := make([]uint32, len(users))
	ix.mu.Lock()
	for i, u := range users {
		ords[i] = ix.intern(u)
	}
	n := len(ix.ids)
	ix.mu.Unlock()
	if w := bitWords(n); w > len(v.edgeSet) {
		v.edgeSet = append(v.edgeSet, make([]uint64, w-len(v.edgeSet))...)
	}
	if v.edges == nil {
		v.edges = make(map[uint32]Aggs, len(users))
	}
	for i, u := range ords {
		a := v.edges[u]
		a.add(as[i])
		v.edges[u] = a
		v.edgeSet[u/64] |= 1 << (u % 64)
	}
}

// Release lets the next read use the window. v must not be used afterwards.
func (v *View) Release() { v.w.release() }

// acquire waits until no other read uses w, or ctx ends.
func (w *window) acquire(ctx context.Context) error {
	select {
	case w.busy <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *window) release() { <-w.busy }

// Len is the number of users with a run in the read's window: those of the
// whole hours (counted once per change of the hours) and the edge users
// without a run in them.
func (v *View) Len() int {
	w := v.w
	if w.count < 0 {
		w.count = 0
		eachBit(w.sums.seen, func(u uint32) {
			if w.sums.vals[u].RunCount != 0 {
				w.count++
			}
		})
	}
	n := w.count
	for u, e := range v.edges {
		if v.base(u).RunCount == 0 && e.RunCount != 0 {
			n++
		}
	}
	return n
}

// Sums returns the sums of users in the read's window (zero for a user
// without runs in it).
func (v *View) Sums(users []string) []Aggs {
	out := make([]Aggs, len(users))
	ix := v.ix
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for i, user := range users {
		if u, ok := ix.ord[user]; ok {
			out[i] = v.sum(u)
		}
	}
	return out
}

// sum returns u's sums in the read's window: the whole hours' and the
// edges'.
func (v *View) sum(u uint32) Aggs {
	a := v.base(u)
	a.add(v.edges[u])
	return a
}

// base returns u's sums without the edges.
func (v *View) base(u uint32) Aggs {
	if s := &v.w.sums; hasBit(s.seen, u) {
		return s.vals[u]
	}
	return Aggs{}
}

// each calls fn with every user with a run in the read's window and its
// sums, by ordinal for the whole hours' users: the bitset gives them in the
// order of their sums in memory, which a large window's pass reads several
// times faster than in random order.
func (v *View) each(fn func(u uint32, a Aggs)) {
	s := &v.w.sums
	eachBit(s.seen, func(u uint32) {
		a := s.vals[u]
		if hasBit(v.edgeSet, u) {
			a.add(v.edges[u])
		}
		if a.RunCount != 0 {
			fn(u, a)
		}
	})
	for u, e := range v.edges {
		if !hasBit(s.seen, u) && e.RunCount != 0 {
			fn(u, e)
		}
	}
}
