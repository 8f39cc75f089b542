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
	// Above, when set, keeps only the users whose Field is above it; Keep,
	// when set, only the users it accepts. The count is of those kept.
	Above *int64
	Keep  func(Aggs) bool
	// After lists the users after this position (Offset is then ignored);
	// Before the Limit users just before it, in list order (After and
	// Offset are then ignored).
	After, Before *store.Cursor
	Offset, Limit int // Limit 0: no limit
}

// fieldOf returns the number of a sort field's aggregate (Aggs.field).
func fieldOf(field string) (int, error) {
	switch field {
	case store.SortRunCount:
		return 0, nil
	case store.SortTotalDuration:
		return 1, nil
	case store.SortTotalCost:
		return 2, nil
	case store.SortTotalTokens:
		return 3, nil
	}
	return 0, fmt.Errorf("sort field %q has no hourly rollup", field)
}

// field returns the aggregate numbered i by fieldOf.
func (a *Aggs) field(i int) int64 {
	switch i {
	case 0:
		return a.RunCount
	case 1:
		return a.TotalDuration
	case 2:
		return a.TotalCost
	}
	return a.TotalTokens
}

// Sortable reports whether Page can sort by field.
func Sortable(field string) bool {
	_, err := fieldOf(field)
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
	rs, err := v.Pages(q)
	if err != nil {
		return nil, 0, err
	}
	return rs[0].Users, rs[0].Count, nil
}

// PageResult is one query's page and count.
type PageResult struct {
	Users []store.UserSummary
	Count int64
}

// pager is one query's state during the pass over a window's users.
type pager struct {
	q     PageQuery
	field int
	cur   *store.Cursor
	count int64
	top   topK
}

// keeps reports whether q's filters keep a user with sums a.
func (p *pager) keeps(a Aggs) bool {
	return a.RunCount != 0 && (p.q.Above == nil || a.field(p.field) > *p.q.Above) &&
		(p.q.Keep == nil || p.q.Keep(a))
}

// Pages answers several queries in one pass over the window's users (the
// pass, not the heaps, is what a large window costs). The first pages of
// queries without Keep come from a ranking of the whole hours' users cached
// with the window, merged with this read's edge users: no pass at all
// while the window's hours are unchanged.
func (v *View) Pages(qs ...PageQuery) ([]PageResult, error) {
	ids := v.ix.idTable()
	ps := make([]pager, len(qs))
	var pass []*pager
	for i, q := range qs {
		f, err := fieldOf(q.Field)
		if err != nil {
			return nil, err
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
		p := &ps[i]
		*p = pager{q: q, field: f, cur: cur, top: topK{desc: desc, ids: ids, k: k}}
		if !p.cacheable() || !v.fromRanking(p) {
			pass = append(pass, p)
		}
	}
	if len(pass) > 0 {
		v.each(func(u uint32, a Aggs) {
			for _, p := range pass {
				if !p.keeps(a) {
					continue
				}
				p.count++
				if r := (ranked{a.field(p.field), u}); p.cur == nil || p.top.before(*p.cur, r) {
					p.top.offer(r)
				}
			}
		})
	}
	out := make([]PageResult, len(ps))
	for i := range ps {
		out[i] = PageResult{Users: v.rows(ids, ps[i].result()), Count: ps[i].count}
	}
	return out, nil
}

// result returns the page's users in list order.
func (p *pager) result() []ranked {
	top := p.top.sorted()
	switch {
	case p.q.Before != nil:
		slices.Reverse(top)
	case p.q.After == nil:
		top = top[min(p.q.Offset, len(top)):]
	}
	return top
}

// rows returns the users rs with their sums.
func (v *View) rows(ids []string, rs []ranked) []store.UserSummary {
	if len(rs) == 0 {
		return nil
	}
	out := make([]store.UserSummary, len(rs))
	for i, r := range rs {
		a := v.sum(r.u)
		out[i] = store.UserSummary{UserID: ids[r.u], RunCount: a.RunCount, TotalDuration: a.TotalDuration,
			TotalCost: a.TotalCost, TotalTokens: a.TotalTokens}
	}
	return out
}

// topK keeps the k first users offered (all of them when k < 0) in a heap
// whose root is the last of them. The order is by value, then by user id,
// both descending when desc.
type topK struct {
	desc bool
	ids  []string
	k    int
	h    []ranked
}

// first reports whether a comes before b.
func (t *topK) first(a, b ranked) bool {
	if a.v != b.v {
		return (a.v > b.v) == t.desc
	}
	return (strings.Compare(t.ids[a.u], t.ids[b.u]) > 0) == t.desc
}

// before reports whether the cursor c comes before r.
func (t *topK) before(c store.Cursor, r ranked) bool {
	if r.v != c.Value {
		return (r.v < c.Value) == t.desc
	}
	if c := strings.Compare(t.ids[r.u], c.ID); t.desc {
		return c < 0
	} else {
		return c > 0
	}
}

func (t *topK) offer(r ranked) {
	switch {
	case t.k < 0:
		t.h = append(t.h, r)
	case len(t.h) < t.k:
		t.h = append(t.h, r)
		t.up(len(t.h) - 1)
	case t.k == 0 || (r.v != t.h[0].v && (r.v < t.h[0].v) == t.desc):
		// Most users of a large window end here: below the last kept by
		// value alone, with no id compared.
	case t.first(r, t.h[0]):
		t.h[0] = r
		t.down(0)
	}
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
	v.each(func(_ uint32, a Aggs) {
		runs, tokens = append(runs, a.RunCount), append(tokens, a.TotalTokens)
	})
	return store.UsageStats{Users: int64(len(runs)), RunCount: store.DistOf(runs), TotalTokens: store.DistOf(tokens)}
}
