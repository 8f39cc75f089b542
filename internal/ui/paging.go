package ui

import (
	"context"
	"math"
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
// cursor with this id and the greatest value is past the end of an
// ascending list.
var idAfterAll = strings.Repeat("\U0010FFFF", store.MaxUserIDBytes/4+1)

// fetchPage reads the page st addresses, in one store read (two when
// rows before a Previous link's cursor were deleted). Keyset pages
// (after a cursor, before one, the last page) cost the store about as much
// as the first page whatever their depth; offset pages (old bookmarks) make
// it step over every row before them.
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

// pageBefore reads the st.Limit rows before st.Before (page st.Page) in
// one backward keyset read; one row more tells whether rows lie before them.
func (h *handler) pageBefore(ctx context.Context, st listState) (listPage, error) {
	q := st.query()
	q.Before, q.Limit = st.Before, st.Limit+1
	pg, err := h.reader.ListUsers(ctx, q)
	if err != nil {
		return listPage{}, err
	}
	switch n := len(pg.Users); {
	case n < st.Limit:
		// Less than a page lies before the cursor: the first page shows more.
		return h.pageAt(ctx, st.firstPage(), 0, 1)
	case n == st.Limit:
		return listPage{users: pg.Users, count: pg.Count, page: 1, from: 1, hasNext: true}, nil
	}
	return listPage{users: pg.Users[1:], count: pg.Count, page: int64(st.Page),
		from: int64(st.Page-1)*int64(st.Limit) + 1, hasPrev: true, hasNext: true}, nil
}

// lastPage reads the last st.Limit rows, before a position past the end
// of the list, and keeps those of the last page, which the count places.
func (h *handler) lastPage(ctx context.Context, st listState) (listPage, error) {
	end := store.Cursor{Value: math.MaxInt64, ID: idAfterAll}
	if st.Desc {
		// Descending, ties descend too: the smallest value and id are last.
		end = store.Cursor{Value: math.MinInt64, ID: ""}
	}
	q := st.query()
	q.Before = &end
	pg, err := h.reader.ListUsers(ctx, q)
	if err != nil {
		return listPage{}, err
	}
	limit := int64(st.Limit)
	pages := max(1, (pg.Count+limit-1)/limit)
	// The count and the rows may be read a commit apart (PostgreSQL).
	n := min(len(pg.Users), int(pg.Count-(pages-1)*limit))
	return listPage{users: pg.Users[len(pg.Users)-n:], count: pg.Count, page: pages,
		from: (pages-1)*limit + 1, hasPrev: pages > 1}, nil
}

// cursorOf is the keyset position of u in the list sorted by field.
func cursorOf(u store.UserSummary, field string) *store.Cursor {
	return &store.Cursor{Value: u.SortValue(field), ID: u.UserID}
}
