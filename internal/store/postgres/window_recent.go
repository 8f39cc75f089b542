package postgres

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/hourindex"
)

// recentList reports whether the windowed list q, sorted by col, is a page
// of the window's users by their last run, most recent first (the list's
// default order), that recentPage serves: no filter but the window, no
// cursor before, a window the hour index counts.
func (s *Store) recentList(q store.UserQuery, col string) bool {
	lo, hi := store.Bounds(q.Start, q.End)
	return q.Limit > 0 && col == "last_seen" && q.Desc && q.Before == nil && q.Search == "" && q.Agent == "" &&
		q.Above == nil && q.HighUsage == nil && s.indexed(store.SplitWindow(lo, hi))
}

// firstSlice is the width of the first slice of the window recentUsers reads
// (a minute); each later slice is twice the one before.
const firstSlice = int64(60e9)

// recentUsers returns the first need users of [lo, hi) by last run start,
// most recent first, ties by user id descending; after a cursor, those
// after it. It reads the window's runs backward in slices of growing width,
// each grouped by user: a user's last run is in the first slice it appears
// in, and once need users are found every user with a later last run has
// been found too. After a cursor (value v, id), the slices start at v and
// skip the users with a run after v (listed on earlier pages).
func recentUsers(ctx context.Context, tx pgx.Tx, lo, hi int64, after *store.Cursor, need int) ([]store.UserSummary, error) {
	top, skip := hi, ""
	var extra []any
	if after != nil {
		top = min(hi, after.Value+1)
		skip = ` HAVING NOT EXISTS (SELECT 1 FROM runs r WHERE r.user_id = runs.user_id AND r.start_ns > $3
			AND r.start_ns < $4)`
		extra = []any{after.Value, hi}
	}
	sql := `SELECT user_id, max(start_ns) FROM runs WHERE start_ns >= $1 AND start_ns < $2 AND user_id <> ''
		GROUP BY user_id` + skip
	var found []store.UserSummary
	seen := map[string]bool{}
	// Windows are at most maxIndexedHours long: width cannot overflow.
	for width, b := firstSlice, top; b > lo && len(found) < need; width *= 2 {
		a := max(lo, b-width)
		rows, _ := tx.Query(ctx, sql, append([]any{a, b}, extra...)...)
		var u store.UserSummary
		if _, err := pgx.ForEachRow(rows, []any{&u.UserID, &u.LastSeen}, func() error {
			// The first slice a user is in holds its last run: in a later
			// one it must be skipped even when this one did not list it
			// (at the cursor's time, not after its id).
			if seen[u.UserID] {
				return nil
			}
			seen[u.UserID] = true
			if after == nil || u.LastSeen < after.Value || u.UserID < after.ID {
				found = append(found, u)
			}
			return nil
		}); err != nil {
			return nil, err
		}
		b = a
	}
	slices.SortFunc(found, func(x, y store.UserSummary) int {
		if c := cmp.Compare(y.LastSeen, x.LastSeen); c != 0 {
			return c
		}
		return strings.Compare(y.UserID, x.UserID)
	})
	return found[:min(need, len(found))], nil
}

// listUsersRecent is listUsersWindow for a page recentList accepts: the
// count and the page rows' sums from the hour index, the page from the
// runs' start index.
func (s *Store) listUsersRecent(ctx context.Context, q store.UserQuery, fn func(store.UserSummary) error) (int64, error) {
	lo, hi := store.Bounds(q.Start, q.End)
	return s.pageFromIndex(ctx, q, fn, func(tx pgx.Tx, v *hourindex.View) ([]store.UserSummary, int64, error) {
		offset := max(q.Offset, 0)
		if q.After != nil {
			offset = 0
		}
		page, err := recentUsers(ctx, tx, lo, hi, q.After, offset+q.Limit)
		if err != nil {
			return nil, 0, err
		}
		page = page[min(offset, len(page)):]
		ids := make([]string, len(page))
		for i := range page {
			ids[i] = page[i].UserID
		}
		for i, a := range v.Sums(ids) {
			u := &page[i]
			u.RunCount, u.TotalDuration, u.TotalCost, u.TotalTokens = a.RunCount, a.TotalDuration, a.TotalCost, a.TotalTokens
		}
		return page, int64(v.Len()), nil
	})
}
