package hourindex

import "slices"

// ranking is the first users of a window's whole hours in one query's
// order (field, direction, above filter), cached until the hours change.
type ranking struct {
	key rankKey
	top []ranked
	// complete: top holds every user the filter keeps.
	complete bool
	count    int64 // users the filter keeps
}

type rankKey struct {
	field int
	desc  bool
	above *int64
}

func (k rankKey) equal(o rankKey) bool {
	return k.field == o.field && k.desc == o.desc && (k.above == nil) == (o.above == nil) &&
		(k.above == nil || *k.above == *o.above)
}

// maxRankings bounds the rankings cached per window.
const maxRankings = 8

// cacheable reports whether p's page can come from a ranking: a first page
// (with an offset), with no Keep filter.
func (p *pager) cacheable() bool {
	return p.q.Keep == nil && p.q.After == nil && p.q.Before == nil && p.q.Limit > 0
}

func (p *pager) rankKey() rankKey { return rankKey{p.field, p.q.Desc, p.q.Above} }

// fromRanking fills p's page and count from the window's ranking for p,
// building it when missing or too short. It reports false when the ranking
// cannot serve p.
func (v *View) fromRanking(p *pager) bool {
	need := p.q.Offset + p.q.Limit
	r := v.ranking(p, need)
	if !v.mergeRanking(p, r, need) {
		// Too many of its first users are at this read's edges: rebuild
		// it once, longer.
		r = v.buildRanking(p, 2*(need+len(v.edges)))
		return v.mergeRanking(p, r, need)
	}
	return true
}

// ranking returns the cached ranking for p, or builds one long enough for
// need users besides this read's edge users.
func (v *View) ranking(p *pager, need int) *ranking {
	key := p.rankKey()
	for _, r := range v.w.rankings {
		if r.key.equal(key) {
			return r
		}
	}
	return v.buildRanking(p, max(2*(need+len(v.edges)), 1024))
}

// buildRanking ranks the whole hours' users (without the edges), keeping
// the first m, and caches the result.
func (v *View) buildRanking(p *pager, m int) *ranking {
	key := p.rankKey()
	s := &v.w.sums
	q := pager{q: PageQuery{Above: p.q.Above}, field: p.field}
	top := topK{desc: p.q.Desc, ids: v.ix.idTable(), k: m}
	var count int64
	eachBit(s.seen, func(u uint32) {
		if a := &s.vals[u]; q.keeps(*a) {
			count++
			top.offer(ranked{a.field(p.field), u})
		}
	})
	r := &ranking{key: key, top: top.sorted(), complete: count <= int64(m), count: count}
	rs := slices.DeleteFunc(v.w.rankings, func(x *ranking) bool { return x.key.equal(key) })
	if len(rs) >= maxRankings {
		rs = rs[1:]
	}
	v.w.rankings = append(rs, r)
	return r
}

// mergeRanking offers p the first need users of r that have no edge runs
// in this read and the edge users with their sums, and sets p's count. It
// reports false when r is too short.
func (v *View) mergeRanking(p *pager, r *ranking, need int) bool {
	taken := 0
	for _, x := range r.top {
		if taken == need {
			break
		}
		if !hasBit(v.edgeSet, x.u) {
			p.top.offer(x)
			taken++
		}
	}
	if taken < need && !r.complete {
		p.top.h = p.top.h[:0]
		return false
	}
	count := r.count
	for u := range v.edges {
		if p.keeps(v.base(u)) {
			count--
		}
		if a := v.sum(u); p.keeps(a) {
			count++
			p.top.offer(ranked{a.field(p.field), u})
		}
	}
	p.count = count
	return true
}
