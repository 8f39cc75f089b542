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
	w := &window{lo: lo, hi: hi, used: ix.tick, busy: make(chan struct{}, 1)}
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
	ids   []string // ordinal to user id, as long as vals
	vals  []Aggs
	seen  []uint64 // bit per ordinal: the user is in users
	users []uint32 // users added, in the order first added; some may have gone back to zero
}

// sync takes the ordinal table ids (which only grows) and makes room for
// every ordinal in it.
func (s *sums) sync(ids []string) {
	s.ids = ids
	if n := len(ids); n > len(s.vals) {
		s.vals = append(s.vals, make([]Aggs, n-len(s.vals))...)
	}
	if n := (len(ids) + 63) / 64; n > len(s.seen) {
		s.seen = append(s.seen, make([]uint64, n-len(s.seen))...)
	}
}

func (s *sums) at(u uint32) *Aggs {
	w, b := u/64, uint64(1)<<(u%64)
	if s.seen[w]&b == 0 {
		s.seen[w] |= b
		s.users = append(s.users, u)
	}
	return &s.vals[u]
}

// apply adds (or subtracts) every row of seg.
func (s *sums) apply(seg *segment, op func(*Aggs, Aggs)) {
	for i, u := range seg.users {
		op(s.at(u), seg.aggs[i])
	}
}

// compact drops the users whose runs all left the window, once they are
// a quarter of the list. Every rollup row has a positive run count, so a
// user is in the window exactly when its run count is.
func (s *sums) compact() {
	zero := 0
	for _, u := range s.users {
		if s.vals[u].RunCount == 0 {
			zero++
		}
	}
	if zero*4 < len(s.users) {
		return
	}
	s.truncate(0, func(u uint32) bool { return s.vals[u].RunCount != 0 })
}

// truncate keeps the users from index from on that keep accepts, and forgets
// the others (their sums must be zero).
func (s *sums) truncate(from int, keep func(uint32) bool) {
	kept := s.users[:from]
	for _, u := range s.users[from:] {
		if keep(u) {
			kept = append(kept, u)
			continue
		}
		s.vals[u] = Aggs{}
		s.seen[u/64] &^= uint64(1) << (u % 64)
	}
	s.users = kept
}

// View is one read's use of a window's sums, with its edges added.
type View struct {
	w     *window
	base  int // users before the edges
	edges []edge
	ix    *Index
}

type edge struct {
	u uint32
	a Aggs
}

// Add adds as[i] to users[i]'s sums for this read (the runs at the
// window's edges); Release takes them back out.
func (v *View) Add(users []string, as []Aggs) {
	ix := v.ix
	ords := make([]uint32, len(users))
	ix.mu.Lock()
	for i, u := range users {
		ords[i] = ix.intern(u)
	}
	ids := ix.ids
	ix.mu.Unlock()
	s := &v.w.sums
	s.sync(ids)
	for i, u := range ords {
		s.at(u).add(as[i])
		v.edges = append(v.edges, edge{u, as[i]})
	}
}

// Release takes the edges back out of the window's sums and lets the next
// read use it. v must not be used afterwards.
func (v *View) Release() {
	s := &v.w.sums
	for _, e := range v.edges {
		s.vals[e.u].sub(e.a)
	}
	s.truncate(v.base, func(uint32) bool { return false })
	v.w.release()
}

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

// Len is the number of users with a run in the window.
func (v *View) Len() int {
	n := 0
	v.each(func(uint32, *Aggs) { n++ })
	return n
}

// each calls fn with every user with a run in the window, by ordinal: the
// bitset gives them in the order of their sums in memory, which a large
// window's pass reads several times faster than in random order.
func (v *View) each(fn func(u uint32, a *Aggs)) {
	s := &v.w.sums
	for i, word := range s.seen {
		for word != 0 {
			u := uint32(i*64 + bits.TrailingZeros64(word))
			word &= word - 1
			if a := &s.vals[u]; a.RunCount != 0 {
				fn(u, a)
			}
		}
	}
}

// Each calls fn with every user of the window and its sums, in no order.
func (v *View) Each(fn func(user string, a Aggs)) {
	ids := v.w.sums.ids
	v.each(func(u uint32, a *Aggs) { fn(ids[u], *a) })
}
