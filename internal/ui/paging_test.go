package ui

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/net/html"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// offsetCounter is a Reader that counts the ListUsers calls with an
// offset, which keyset paging should not need.
type offsetCounter struct {
	Reader
	offsets atomic.Int64
}

func (c *offsetCounter) ListUsers(ctx context.Context, q store.UserQuery) (store.UserPage, error) {
	if q.Offset > 0 {
		c.offsets.Add(1)
	}
	return c.Reader.ListUsers(ctx, q)
}

// pagerLinks returns the pager's links by rel.
func pagerLinks(doc *html.Node) map[string]string {
	links := map[string]string{}
	for _, a := range findAll(find(doc, byTagClass("nav", "pager")), byTag("a")) {
		links[attr(a, "rel")] = attr(a, "href")
	}
	return links
}

// offsetPages are the store's pages of q by offset, the reference the
// keyset pages must match.
func offsetPages(t *testing.T, r Reader, q store.UserQuery) (pages [][]string, count int64) {
	t.Helper()
	for off := 0; ; off += q.Limit {
		q.Offset = off
		p, err := r.ListUsers(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Users) == 0 {
			return pages, p.Count
		}
		pages, count = append(pages, userIDs(p.Users)), p.Count
	}
}

// TestListKeysetPaging pages forward through every page by the Next links,
// back by the Previous links, and jumps to the last page, for every sort
// both ways, and checks every page against the store's pages by offset.
// The fixture has ties (30 users with the same cost, tokens and run count;
// equal durations), so page boundaries fall both between values and inside
// tie groups. Keyset paging never makes the store step over rows by offset,
// whatever the ties.
func TestListKeysetPaging(t *testing.T) {
	base := fixture(t)
	type tc struct {
		sort, filter string
		limit        int
	}
	var cases []tc
	for _, f := range store.UserSortFields {
		for _, sort := range []string{f, "-" + f} {
			cases = append(cases, tc{sort, "", 4}, tc{sort, "", 7}, tc{sort, "agent=batch-processor", 6})
		}
	}
	cases = append(cases, tc{"-total_cost", "search=user-1", 3}, tc{"last_seen", "range=24h", 5})
	for _, c := range cases {
		name := fmt.Sprintf("%s/%s/%d", c.sort, c.filter, c.limit)
		t.Run(name, func(t *testing.T) {
			r := &offsetCounter{Reader: base}
			h := newTestHandler(r)
			st, err := parseListState(c.filter+"&sort="+c.sort+"&limit="+fmt.Sprint(c.limit), testNow)
			if err != nil {
				t.Fatal(err)
			}
			q := st.query()
			want, count := offsetPages(t, base, q)
			if len(want) < 2 {
				t.Fatalf("only %d pages: the case does not page", len(want))
			}
			check := func(target string, i int) map[string]string {
				t.Helper()
				res := get(t, h, target)
				if res.status != http.StatusOK {
					t.Fatalf("%s: status %d", target, res.status)
				}
				if got := listedUserIDs(t, res.body); !slices.Equal(got, want[i]) {
					t.Errorf("page %d (%s): rows %v, want %v", i+1, target, got, want[i])
				}
				doc := parseHTML(t, res.body)
				from := i*c.limit + 1
				status := fmt.Sprintf("Showing %d–%d of %d users · page %d of %d", from, from+len(want[i])-1, count, i+1, len(want))
				if got := text(find(doc, byTagClass("p", "pager-status"))); got != status {
					t.Errorf("page %d: pager %q, want %q", i+1, got, status)
				}
				return pagerLinks(doc)
			}

			first := st.URL()
			target := first
			var forward []string
			for i := range want {
				forward = append(forward, target)
				links := check(target, i)
				if i == len(want)-1 {
					if links["next"] != "" || links["last"] != "" {
						t.Errorf("last page links next %q, last %q", links["next"], links["last"])
					}
					break
				}
				if i > 0 && (links["first"] != first || !strings.Contains(links["next"], "cursor=")) {
					t.Errorf("page %d links %v", i+1, links)
				}
				target = links["next"]
			}
			// The last page, directly.
			links := check(first+sep(first)+"page=last", len(want)-1)
			// Back to the first page by the Previous links.
			for i := len(want) - 2; i >= 0; i-- {
				prev := links["prev"]
				if prev == "" {
					t.Fatalf("page %d has no previous link", i+2)
				}
				links = check(prev, i)
			}
			if links["prev"] != "" || links["first"] != "" {
				t.Errorf("first page links prev %q, first %q", links["prev"], links["first"])
			}
			// Every forward URL is a bookmark: it shows the same page again.
			for i, u := range forward {
				check(u, i)
			}
			if n := r.offsets.Load(); n > 0 {
				t.Errorf("%d store reads by offset", n)
			}
		})
	}
}

// sep is the separator before one more parameter of u.
func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

// TestListOldOffsetBookmarks: offset URLs (and a page number alone) still
// show their rows, and their links continue by keyset.
func TestListOldOffsetBookmarks(t *testing.T) {
	r := fixture(t)
	h := newTestHandler(r)
	for _, tc := range []struct {
		target string
		offset int
		status string
	}{
		{"/?agent=batch-processor&limit=10&offset=10", 10, "Showing 11–20 of 30 users · page 2 of 3"},
		{"/?agent=batch-processor&limit=10&page=2", 10, "Showing 11–20 of 30 users · page 2 of 3"},
		{"/?agent=batch-processor&limit=10&offset=15", 15, "Showing 16–25 of 30 users · page 2 of 3"},
	} {
		want, err := r.ListUsers(context.Background(), store.UserQuery{Agent: "batch-processor", Sort: store.SortLastSeen,
			Desc: true, Limit: 10, Offset: tc.offset})
		if err != nil {
			t.Fatal(err)
		}
		res := get(t, h, tc.target)
		if got := listedUserIDs(t, res.body); !slices.Equal(got, userIDs(want.Users)) {
			t.Errorf("%s: rows %v, want %v", tc.target, got, userIDs(want.Users))
		}
		doc := parseHTML(t, res.body)
		if got := text(find(doc, byTagClass("p", "pager-status"))); got != tc.status {
			t.Errorf("%s: pager %q, want %q", tc.target, got, tc.status)
		}
		links := pagerLinks(doc)
		if links["first"] != "/?agent=batch-processor&limit=10" || links["last"] != "/?agent=batch-processor&limit=10&page=last" {
			t.Errorf("%s: links %v", tc.target, links)
		}
		// Next continues right after the last row shown.
		after, err := r.ListUsers(context.Background(), store.UserQuery{Agent: "batch-processor", Sort: store.SortLastSeen,
			Desc: true, Limit: 10, Offset: tc.offset + 10})
		if err != nil {
			t.Fatal(err)
		}
		if got := listedUserIDs(t, get(t, h, links["next"]).body); !slices.Equal(got, userIDs(after.Users)) {
			t.Errorf("%s: next page rows %v, want %v", tc.target, got, userIDs(after.Users))
		}
	}
}

// TestListPreviousStaleBookmark: a Previous link whose page number no
// longer matches the rows before its cursor (users came or went since it
// was made) shows the rows there are: a full page just before the cursor
// when there is one, else the first page, numbered as they are.
func TestListPreviousStaleBookmark(t *testing.T) {
	r := fixture(t)
	h := newTestHandler(r)
	st, err := parseListState("agent=batch-processor&limit=4", testNow)
	if err != nil {
		t.Fatal(err)
	}
	q := st.query()
	q.Limit = 0
	all, err := r.ListUsers(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	ids := userIDs(all.Users)
	if len(ids) != 30 {
		t.Fatalf("%d users, want 30", len(ids))
	}
	for _, tc := range []struct {
		cursor, page int // position of the cursor row, page number of the link
		rows         []string
		status       string
		prev         bool
	}{
		{cursor: 2, page: 5, rows: ids[:4], status: "Showing 1–4 of 30 users · page 1 of 8"},
		{cursor: 4, page: 7, rows: ids[:4], status: "Showing 1–4 of 30 users · page 1 of 8"},
		{cursor: 5, page: 2, rows: ids[1:5], status: "Showing 5–8 of 30 users · page 2 of 8", prev: true},
		{cursor: 12, page: 6, rows: ids[8:12], status: "Showing 21–24 of 30 users · page 6 of 8", prev: true},
	} {
		link := st
		link.Before, link.Page = cursorOf(all.Users[tc.cursor], st.Sort), tc.page
		res := get(t, h, link.URL())
		if got := listedUserIDs(t, res.body); !slices.Equal(got, tc.rows) {
			t.Errorf("before #%d: rows %v, want %v", tc.cursor, got, tc.rows)
		}
		doc := parseHTML(t, res.body)
		if got := text(find(doc, byTagClass("p", "pager-status"))); got != tc.status {
			t.Errorf("before #%d: pager %q, want %q", tc.cursor, got, tc.status)
		}
		links := pagerLinks(doc)
		if (links["prev"] != "") != tc.prev || links["next"] == "" {
			t.Errorf("before #%d: links %v", tc.cursor, links)
		}
	}
}
