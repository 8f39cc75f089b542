package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
	"github.com/waxell/otelcol-waxell/internal/ui/internal/demo"
)

const largeUsers = 100_000

// large is one store of largeUsers users (about 150,000 runs), built once
// per test binary and shared by the benchmarks and the timing test.
var large struct {
	once  sync.Once
	dir   string
	store *sqlite.Store
	err   error
	took  time.Duration
}

func TestMain(m *testing.M) {
	code := m.Run()
	if large.store != nil {
		_ = large.store.Close()
	}
	if large.dir != "" {
		_ = os.RemoveAll(large.dir)
	}
	os.Exit(code)
}

func largeStore(tb testing.TB) *sqlite.Store {
	tb.Helper()
	large.once.Do(func() {
		start := time.Now()
		large.dir, large.err = os.MkdirTemp("", "waxell-ui-large-")
		if large.err != nil {
			return
		}
		large.store, large.err = sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(large.dir, "large.db")})
		if large.err != nil {
			return
		}
		large.err = demo.Large(testNow, largeUsers, 10_000, func(spans []genai.Span) error {
			_, err := large.store.ApplySpans(context.Background(), spans)
			return err
		})
		large.took = time.Since(start)
	})
	if large.err != nil {
		tb.Fatalf("large store: %v", large.err)
	}
	return large.store
}

// largePages are the pages measured with the large store. storeBound
// pages wait on ListUsers queries that visit every user (substring search,
// the agent and time filters, deep offsets, sorting many ties): their store
// time is the store's to improve, so only the UI's own time is held to a
// budget there.
var largePages = []struct {
	name, target string
	storeBound   bool
}{
	{"list/default", "/", false},
	{"list/sort-cost", "/?sort=-total_cost", false},
	{"list/sort-tokens-asc-100", "/?sort=total_tokens&limit=100", false},
	{"list/page-2", "/?sort=-total_cost&offset=25", false},
	{"list/sort-runs", "/?sort=-run_count", true}, // few distinct counts: SQLite sorts the ties by user_id
	{"list/search", "/?search=u0420", true},
	{"list/agent", "/?agent=voice-agent&sort=-total_cost", true},
	{"list/range-7d", "/?range=7d", true},
	{"list/last-page", "/?offset=99975", true},
	{"detail/30d", "/users/u012345", false},
	{"detail/all", "/users/u054321?range=all", false},
	{"detail/24h", "/users/u099999?range=24h", false},
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

// BenchmarkListPage renders pages of the users list and of user details
// against 100,000 users (server time: store reads and rendering).
func BenchmarkListPage(b *testing.B) {
	h := newTestHandler(largeStore(b))
	for _, p := range largePages {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				serveOnce(b, h, p.target)
			}
		})
	}
}

// BenchmarkDetailPage renders one user's page against 100,000 users.
func BenchmarkDetailPage(b *testing.B) {
	h := newTestHandler(largeStore(b))
	b.ReportAllocs()
	for b.Loop() {
		serveOnce(b, h, "/users/u012345")
	}
}

// TestPagesFastWith100kUsers checks the budget with 100,000 users
// in the store: the default list, every sort, shallow pages and user
// details render in under 100 ms of server time, and the UI's own share
// (everything but the store reads) stays under 10 ms on every page.
// Medians of seven renders after one warm-up.
func TestPagesFastWith100kUsers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100,000-user store")
	}
	h := newTestHandler(largeStore(t))
	t.Logf("built the %d-user store in %v", largeUsers, large.took.Round(time.Millisecond))
	const budget, uiBudget = 100 * time.Millisecond, 10 * time.Millisecond
	for _, p := range largePages {
		serveOnce(t, h, p.target)
		var totals, own []time.Duration
		for range 7 {
			st, total := serveOnce(t, h, p.target)
			totals = append(totals, total)
			own = append(own, total-st)
		}
		slices.Sort(totals)
		slices.Sort(own)
		total, ui := totals[len(totals)/2], own[len(own)/2]
		note := ""
		if p.storeBound {
			note = " (store-bound: ListUsers visits every user)"
		}
		t.Logf("%-26s total %7.1f ms, UI %5.1f ms%s", p.name, ms(total), ms(ui), note)
		if ui > uiBudget {
			t.Errorf("%s: the UI's own time %v is over %v", p.name, ui, uiBudget)
		}
		if !p.storeBound && total > budget {
			t.Errorf("%s: %v is over the %v budget", p.name, total, budget)
		}
	}
}
