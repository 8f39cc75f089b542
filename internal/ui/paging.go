package ui

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// listPage is one page of the users list and where it sits in the list.
type listPage struct {
	users   []store.UserSummary
	count   int64 // users matching the filters
	page    int64 // 1-based page number
	from    int64 // 1-based position of the first row
	hasPrev bool
	hasNext bool
}

// idAfterAll sorts after every stored user id: ids are at most
// store.MaxUserIDBytes bytes and both stores compare them as bytes, so a
// cursor with this id skips the whole tie group of its value.
var idAfterAll = strings.Repeat("\U0010FFFF", store.MaxUserIDBytes/4+1)

// fetchPage reads the page st addresses. Keyset pages (after a cursor,
// before one, the last page) cost the store about as much as the first
// page whatever their depth; offset pages (old bookmarks) make it step over
// every row before them.
func (h *handler) fetchPage(ctx context.Context, st listState) (listPage, error) {
	switch {
	case st.Before != nil:
		return h.pageBefore(ctx, st)
	case st.Last:
		return h.lastPage(ctx, st)
	case st.After != nil:
		return h.pageAt(ctx, st, 0, st.Page)
	case st.Page > 1:
		return h.pageAt(ctx, st, (st.Page-1)*st.Limit, st.Page)
	}
	return h.pageAt(ctx, st, st.Offset, st.Offset/st.Limit+1)
}

// pageAt reads the page after st.After, or else at offset off.
func (h *handler) pageAt(ctx context.Context, st listState, off, page int) (listPage, error) {
	q := st.query()
	q.Limit++ // one more row tells whether there is a next page
	q.After, q.Offset = st.After, off
	pg, err := h.reader.ListUsers(ctx, q)
	if err != nil {
		return listPage{}, err
	}
	from := int64(off) + 1
	if st.After != nil {
		from = int64(page-1)*int64(st.Limit) + 1
	}
	p := listPage{users: pg.Users, count: pg.Count, page: int64(page), from: from, hasPrev: page > 1 || off > 0}
	if len(p.users) > st.Limit {
		p.users, p.hasNext = p.users[:st.Limit], true
	}
	return p, nil
}

// pageBefore reads the st.Limit rows before st.Before (page st.Page). The
// store lists forward only, so the rows come from two forward reads: the
// start of the cursor's tie group (the ids below the cursor's), then the
// closest values beyond the group in the opposite sort. The second read
// orders ties by id ascending too, so it is only exact when the page
// boundary falls between two values; when it falls inside a tie group the
// page is read at its offset instead.
func (h *handler) pageBefore(ctx context.Context, st listState) (listPage, error) {
	b := *st.Before
	q := st.query()
	q.After = &store.Cursor{Value: b.Value} // every id sorts after ""
	q.Limit++
	grp, err := h.reader.ListUsers(ctx, q)
	if err != nil {
		return listPage{}, err
	}
	k := 0
	for k < len(grp.Users) && grp.Users[k].SortValue(st.Sort) == b.Value && grp.Users[k].UserID < b.ID {
		k++
	}
	atOffset := st
	atOffset.Before = nil
	if k > st.Limit {
		return h.pageAt(ctx, atOffset, (st.Page-1)*st.Limit, st.Page)
	}
	rows := slices.Clone(grp.Users[:k])
	if need := st.Limit - k; need > 0 {
		q := st.query()
		q.Desc = !q.Desc
		q.After = &store.Cursor{Value: b.Value, ID: idAfterAll}
		q.Limit, q.NoCount = need+1, true
		back, err := h.reader.ListUsers(ctx, q)
		if err != nil {
			return listPage{}, err
		}
		if len(back.Users) <= need {
			// Less than a page lies before the cursor: that is the first page.
			return h.pageAt(ctx, st.firstPage(), 0, 1)
		}
		if back.Users[need-1].SortValue(st.Sort) == back.Users[need].SortValue(st.Sort) {
			return h.pageAt(ctx, atOffset, (st.Page-1)*st.Limit, st.Page)
		}
		prev := back.Users[:need]
		slices.SortFunc(prev, st.compare)
		rows = append(prev, rows...)
	}
	return listPage{users: rows, count: grp.Count, page: int64(st.Page),
		from: int64(st.Page-1)*int64(st.Limit) + 1, hasPrev: st.Page > 1, hasNext: true}, nil
}

// lastPage reads the last page from the end of the opposite sort, exact
// when the page boundary falls between two values, else at its offset.
func (h *handler) lastPage(ctx context.Context, st listState) (listPage, error) {
	q := st.query()
	q.Desc = !q.Desc
	q.Limit++
	back, err := h.reader.ListUsers(ctx, q)
	if err != nil {
		return listPage{}, err
	}
	limit := int64(st.Limit)
	pages := max(1, (back.Count+limit-1)/limit)
	n := int(back.Count - (pages-1)*limit)
	first := st.firstPage()
	switch {
	case pages == 1:
		return h.pageAt(ctx, first, 0, 1)
	case len(back.Users) <= n || back.Users[n-1].SortValue(st.Sort) == back.Users[n].SortValue(st.Sort):
		return h.pageAt(ctx, first, int(pages-1)*st.Limit, int(pages))
	}
	rows := back.Users[:n]
	slices.SortFunc(rows, st.compare)
	return listPage{users: rows, count: back.Count, page: pages, from: (pages-1)*limit + 1, hasPrev: true}, nil
}

// compare orders users as the store lists them: by the sort value in the
// sort's direction, ties by user id ascending (bytewise, as both stores).
func (s listState) compare(a, b store.UserSummary) int {
	c := cmp.Compare(a.SortValue(s.Sort), b.SortValue(s.Sort))
	if s.Desc {
		c = -c
	}
	if c != 0 {
		return c
	}
	return strings.Compare(a.UserID, b.UserID)
}

// cursorOf is the keyset position of u in the list sorted by field.
func cursorOf(u store.UserSummary, field string) *store.Cursor {
	return &store.Cursor{Value: u.SortValue(field), ID: u.UserID}
}
