package hourindex

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// BenchmarkWeekPage sums a cached week shaped like BenchmarkScale's (719,000
// (user, hour) rows of 1,000,000 users, heavy-tailed) and picks the first
// page by cost: what a windowed users list costs in Go once its hours are
// cached.
func BenchmarkWeekPage(b *testing.B) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 6))
	db := newFakeDB()
	for range 719_000 {
		u := int(r.ExpFloat64() * 150_000)
		db.put(int64(r.IntN(168)), fmt.Sprintf("user-%07d", u%1_000_000), Aggs{1, 30e9, r.Int64N(1e8), r.Int64N(5000)})
	}
	ix := New(Config{MaxEntries: 2_000_000, MaxWindows: 2})
	s, err := ix.Window(ctx, db, 0, 168)
	if err != nil {
		b.Fatal(err)
	}
	s.Release()
	b.ResetTimer()
	for b.Loop() {
		s, err := ix.Window(ctx, db, 0, 168)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Page(PageQuery{Field: store.SortTotalCost, Desc: true, Limit: 25}); err != nil {
			b.Fatal(err)
		}
		s.Release()
	}
}
