package hourindex

import (
	"fmt"
	"slices"
	"strings"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// PageQuery is one page of a window's users, as store.UserQuery pages them:
// sorted by Field (a store sort field with a rollup: run count, duration,
// cost, tokens), ties by user id in the same direction.
type PageQuery struct {
	Field string
	Desc  bool
	// Keep, when set, keeps only the users it accepts (filters); the count
	// is of those.
	Keep func(Aggs) bool
	// After lists the users after this position (Offset is then ignored);
	// Before the Limit users just before it, in list order (After and
	// Offset are then ignored).
	After, Before *store.Cursor
	Offset, Limit int // Limit 0: no limit
}

// fieldValue returns the accessor of a sort field's value.
func fieldValue(field string) (func(*Aggs) int64, error) {
	switch field {
	case store.SortRunCount:
		return func(a *Aggs) int64 { return a.RunCount }, nil
	case store.SortTotalDuration:
		return func(a *Aggs) int64 { return a.TotalDuration }, nil
	case store.SortTotalCost:
		return func(a *Aggs) int64 { return a.TotalCost }, nil
	case store.SortTotalTokens:
		return func(a *Aggs) int64 { return a.TotalTokens }, nil
	}
	return nil, fmt.Errorf("sort field %q has no hourly rollup", field)
}

// Sortable reports whether Page can sort by field.
func Sortable(field string) bool {
	_, err := fieldValue(field)
	return err == nil
}

// ranked is a user and its sort value.
type ranked struct {
	v int64
	u uint32
}

// Page returns the users of q's page with their window sums (first and last
// seen and agents left empty) and how many users q.Keep accepts.
func (v *View) Page(q PageQuery) ([]store.UserSummary, int64, error) {
	s := &v.w.sums
	val, err := fieldValue(q.Field)
	if err != nil {
		return nil, 0, err
	}
	desc, cur, k := q.Desc, q.After, q.Offset+q.Limit
	if q.Before != nil {
		desc, cur, k = !desc, q.Before, q.Limit
	} else if q.After != nil {
		k = q.Limit
	}
	if q.Limit <= 0 {
		k = -1
	}
	// first reports whether a comes before b in the (possibly reversed)
	// order.
	first := func(a, b ranked) bool {
		if a.v != b.v {
			return (a.v > b.v) == desc
		}
		return (strings.Compare(s.ids[a.u], s.ids[b.u]) > 0) == desc
	}
	var pos ranked
	if cur != nil {
		pos.v = cur.Value
	}
	// beyond reports whether r comes after the cursor.
	beyond := func(r ranked) bool {
		if r.v != pos.v {
			return (r.v < pos.v) == desc
		}
		if c := strings.Compare(s.ids[r.u], cur.ID); desc {
			return c < 0
		} else {
			return c > 0
		}
	}
	var count int64
	h := topK{first: first, k: k}
	v.each(func(u uint32, a *Aggs) {
		if q.Keep != nil && !q.Keep(*a) {
			return
		}
		count++
		if r := (ranked{val(a), u}); cur == nil || beyond(r) {
			h.offer(r)
		}
	})
	top := h.sorted()
	if q.Before == nil && q.After == nil {
		top = top[min(q.Offset, len(top)):]
	}
	if q.Before != nil {
		slices.Reverse(top)
	}
	if len(top) == 0 {
		return nil, count, nil
	}
	out := make([]store.UserSummary, len(top))
	for i, r := range top {
		a := s.vals[r.u]
		out[i] = store.UserSummary{UserID: s.ids[r.u], RunCount: a.RunCount, TotalDuration: a.TotalDuration,
			TotalCost: a.TotalCost, TotalTokens: a.TotalTokens}
	}
	return out, count, nil
}

// topK keeps the k first users offered (all of them when k < 0) in a heap
// whose root is the last of them.
type topK struct {
	first func(a, b ranked) bool
	k     int
	h     []ranked
}

func (t *topK) offer(r ranked) {
	if t.k < 0 {
		t.h = append(t.h, r)
		return
	}
	if t.k == 0 {
		return
	}
	if len(t.h) < t.k {
		t.h = append(t.h, r)
		t.up(len(t.h) - 1)
		return
	}
	if !t.first(r, t.h[0]) {
		return
	}
	t.h[0] = r
	t.down(0)
}

// last reports whether h[i] comes after h[j] (the heap's order: the root
// is the last kept).
func (t *topK) last(i, j int) bool { return t.first(t.h[j], t.h[i]) }

func (t *topK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !t.last(i, p) {
			return
		}
		t.h[i], t.h[p] = t.h[p], t.h[i]
		i = p
	}
}

func (t *topK) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(t.h) {
			return
		}
		c := l
		if r := l + 1; r < len(t.h) && t.last(r, l) {
			c = r
		}
		if !t.last(c, i) {
			return
		}
		t.h[i], t.h[c] = t.h[c], t.h[i]
		i = c
	}
}

// sorted returns the kept users in order.
func (t *topK) sorted() []ranked {
	slices.SortFunc(t.h, func(a, b ranked) int {
		if t.first(a, b) {
			return -1
		}
		if t.first(b, a) {
			return 1
		}
		return 0
	})
	return t.h
}

// Stats returns the usage statistics of the window's users (store.DistOf
// of their run counts and token totals).
func (v *View) Stats() store.UsageStats {
	var runs, tokens []int64
	v.each(func(_ uint32, a *Aggs) {
		runs, tokens = append(runs, a.RunCount), append(tokens, a.TotalTokens)
	})
	return store.UsageStats{Users: int64(len(runs)), RunCount: store.DistOf(runs), TotalTokens: store.DistOf(tokens)}
}
