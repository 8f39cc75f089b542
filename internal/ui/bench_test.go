package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
	"github.com/waxell/otelcol-waxell/internal/store/postgres"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
	"github.com/waxell/otelcol-waxell/internal/ui/internal/demo"
)

func TestMain(m *testing.M) { os.Exit(pgtest.RunMain(m)) }

const largeUsers = 100_000

// largeStore is a store holding largeUsers users (about 150,000 runs),
// written through ApplySpans as the exporter writes.
type largeStore interface {
	Reader
	ApplySpans(ctx context.Context, spans []genai.Span) (ledger.Stats, error)
	Close() error
}

// largeBackends open an empty store of each kind for tb.
var largeBackends = []struct {
	name string
	open func(tb testing.TB) (largeStore, error)
}{
	{"sqlite", func(tb testing.TB) (largeStore, error) {
		return sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(tb.TempDir(), "large.db")})
	}},
	{"postgres", func(tb testing.TB) (largeStore, error) {
		return postgres.Open(context.Background(), postgres.Config{DSN: pgtest.NewDatabase(tb)})
	}},
}

// fillLarge opens a store of backend i and loads the large data set.
func fillLarge(tb testing.TB, i int) Reader {
	tb.Helper()
	start := time.Now()
	s, err := largeBackends[i].open(tb)
	if err != nil {
		tb.Fatalf("open %s: %v", largeBackends[i].name, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	err = demo.Large(testNow, largeUsers, 10_000, func(spans []genai.Span) error {
		_, err := s.ApplySpans(context.Background(), spans)
		return err
	})
	if err != nil {
		tb.Fatalf("fill %s: %v", largeBackends[i].name, err)
	}
	tb.Logf("%s: loaded %d users in %v", largeBackends[i].name, largeUsers, time.Since(start).Round(time.Millisecond))
	return s
}

// largePage is a page measured with the large stores. A page slow on a
// store is known to miss the budget there because of the store's query:
// an old offset bookmark (the pager links by cursor) makes SQLite step over
// every row before the page. Only the UI's own time is held to a budget there.
type largePage struct {
	name, target string
	slowOn       []string // backends
}

// slowOnSQLite marks a page slow on SQLite only.
var slowOnSQLite = []string{"sqlite"}

// deepLinks returns the Next and Previous links of page 3,998 of 4,000
// of the list sorted by sort, as the pager builds them.
func deepLinks(tb testing.TB, r Reader, sort string) (next, prev string) {
	tb.Helper()
	st, err := parseListState("sort="+sort, testNow)
	if err != nil {
		tb.Fatal(err)
	}
	q := st.query()
	q.Offset, q.NoCount = 3997*st.Limit, true
	rows, err := r.ListUsers(context.Background(), q)
	if err != nil || len(rows.Users) != st.Limit {
		tb.Fatalf("deep rows: %d, %v", len(rows.Users), err)
	}
	n, p := st, st
	n.After, n.Page = cursorOf(rows.Users[st.Limit-1], st.Sort), 3999
	p.Before, p.Page = cursorOf(rows.Users[0], st.Sort), 3997
	return n.URL(), p.URL()
}

// largePages are the measured pages: the first page, every sort key both
// ways, deep pages reached by keyset (next, previous, last), an old offset
// bookmark, search, agent and time filters, and user details.
func largePages(tb testing.TB, r Reader) []largePage {
	tb.Helper()
	next, prev := deepLinks(tb, r, "-last_seen")
	nextRuns, prevRuns := deepLinks(tb, r, "-run_count")
	pages := []largePage{
		{"list/first-page", "/", nil},
		{"list/deep-next", next, nil},
		{"list/deep-previous", prev, nil},
		{"list/last-page", "/?page=last", nil},
		{"list/deep-next-by-runs", nextRuns, nil},
		{"list/deep-previous-by-runs", prevRuns, nil},
		{"list/last-page-by-runs", "/?sort=-run_count&page=last", nil},
		{"list/old-offset-bookmark", "/?offset=99975", slowOnSQLite},
		{"list/limit-100", "/?sort=total_tokens&limit=100", nil},
		{"list/search", "/?search=u0420", nil},
		{"list/agent", "/?agent=voice-agent&sort=-total_cost", nil},
		{"list/range-7d", "/?range=7d", nil},
		{"list/high-usage", "/?flag=high_usage", nil},
		{"list/high-usage-by-cost-asc", "/?flag=high_usage&sort=total_cost", nil},
		{"list/high-usage-by-runs", "/?flag=high_usage&sort=-run_count", nil},
		{"detail/30d", "/users/u012345", nil},
		{"detail/all", "/users/u054321?range=all", nil},
		{"detail/24h", "/users/u099999?range=24h", nil},
	}
	for _, f := range store.UserSortFields {
		pages = append(pages, largePage{"list/sort-" + f, "/?sort=-" + f, nil},
			largePage{"list/sort-" + f + "-asc", "/?sort=" + f, nil})
	}
	return pages
}

// largeHandler serves the UI from r with the abuse flags on, their
// statistics read from the store s, as the exporter serves it. Usage in the
// large data set varies little: k = 1 flags a part of its users, so that
// the filtered pages have rows.
func largeHandler(tb testing.TB, s, r Reader) http.Handler {
	c := flags.NewCache(s.(flags.StatsReader), time.Hour)
	tb.Cleanup(c.Close)
	return newTestHandler(r, WithFlags(c), WithHighUsageK(1))
}

// serveOnce serves target and returns the store and total times the
// handler reported in its Server-Timing header.
func serveOnce(tb testing.TB, h http.Handler, target string) (storeTime, total time.Duration) {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("%s: status %d", target, rec.Code)
	}
	var s, t float64
	if _, err := fmt.Sscanf(rec.Header().Get("Server-Timing"), "store;dur=%g, total;dur=%g", &s, &t); err != nil {
		tb.Fatalf("%s: Server-Timing %q: %v", target, rec.Header().Get("Server-Timing"), err)
	}
	return time.Duration(s * float64(time.Millisecond)), time.Duration(t * float64(time.Millisecond))
}

// BenchmarkPages renders the users list and user details against 100,000
// users in each store: server time (store reads and rendering), and the
// UI's own share (everything but the store reads):
//
//	go test ./internal/ui/ -run '^$' -bench BenchmarkPages -benchtime 20x
func BenchmarkPages(b *testing.B) {
	for i, be := range largeBackends {
		b.Run(be.name, func(b *testing.B) {
			r := fillLarge(b, i)
			h := largeHandler(b, r, r)
			for _, p := range largePages(b, r) {
				b.Run(p.name, func(b *testing.B) {
					b.ReportAllocs()
					var totals, own []time.Duration
					for b.Loop() {
						st, total := serveOnce(b, h, p.target)
						totals, own = append(totals, total), append(own, total-st)
					}
					p50, p95 := percentiles(totals)
					ui50, _ := percentiles(own)
					b.ReportMetric(ms(p50), "p50-ms")
					b.ReportMetric(ms(p95), "p95-ms")
					b.ReportMetric(ms(ui50), "ui-p50-ms")
				})
			}
		})
	}
}

// percentiles returns the median and the 95th percentile (nearest rank).
func percentiles(d []time.Duration) (p50, p95 time.Duration) {
	s := slices.Sorted(slices.Values(d))
	return s[(len(s)-1)/2], s[(len(s)*95+99)/100-1]
}

// TestPagesWith100kUsers checks, with 100,000 users in each store, what
// keeps every page fast whatever the machine's load (BenchmarkPages times
// them): each page is one or two bounded store reads (keyset, never an
// offset, except for an old offset bookmark), and the UI's own work for a
// page, replayed from the store's recorded answers, stays within a fixed
// number of allocations per row shown.
func TestPagesWith100kUsers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two 100,000-user stores")
	}
	for i, be := range largeBackends {
		t.Run(be.name, func(t *testing.T) {
			r := fillLarge(t, i)
			for _, p := range largePages(t, r) {
				rec := &recordingReader{Reader: r}
				res := get(t, largeHandler(t, r, rec), p.target)
				if res.status != http.StatusOK {
					t.Fatalf("%s: status %d", p.name, res.status)
				}
				rows := rec.checkReads(t, p, pageLimit(t, p.target))
				if rows == 0 {
					t.Errorf("%s: the page shows no user", p.name)
				}
				replay := largeHandler(t, r, rec.replay())
				allocs := testing.AllocsPerRun(5, func() { serveOnce(t, replay, p.target) })
				if limit := float64(uiAllocsBase + uiAllocsPerRow*rows); allocs > limit {
					t.Errorf("%s: the UI allocates %.0f times for %d rows, over %.0f", p.name, allocs, rows, limit)
				}
				t.Logf("%-28s %3d rows, %d store reads, UI allocations %.0f", p.name, rows, len(rec.reads), allocs)
			}
		})
	}
}

// pageLimit is the number of rows a list page shows at most.
func pageLimit(t *testing.T, target string) int {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	st, err := parseListState(u.RawQuery, testNow)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	return st.Limit
}

// The UI's allocation budget for a page: a fixed part (layout, headers,
// the agents select, the chart of a user's page) and a part per row shown.
// Measured at two thirds of these or less (about 1,900 for a user's page,
// 7,000 for 25 rows, 22,800 for 100); rendering that walks more rows than it
// shows, or builds a row quadratically, exceeds them.
const uiAllocsBase, uiAllocsPerRow = 3000, 300
