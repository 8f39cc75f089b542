package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

func TestDebugMillion(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewDatabase(t))
	defer s.Close()
	t0 := time.Now()
	_, err := s.pool.Exec(ctx, `INSERT INTO users
		SELECT 'u' || g, 'u' || g, g % 17, (g * 7919) % 1000003, (g * 104729) % 1000033, g % 1009, (g*31) % 100013, g % 1019
		FROM generate_series(1::bigint, 1000000) g`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO user_agents SELECT 'u' || g, 'agent-' || (g % 7), 1 FROM generate_series(1::bigint, 1000000) g`)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("populate %v", time.Since(t0))
	for _, analyze := range []bool{false, true} {
		if analyze {
			s.pool.Exec(ctx, "ANALYZE")
		}
		for _, f := range store.UserSortFields {
			for _, desc := range []bool{false, true} {
				for rep := 0; rep < 7; rep++ {
					lq, _ := buildListUsers(store.UserQuery{Sort: f, Desc: desc, Limit: 50})
					t1 := time.Now()
					rows, _ := s.pool.Query(ctx, lq.pageSQL, lq.pageArgs...)
					n := 0
					for rows.Next() {
						n++
					}
					if rows.Err() != nil {
						t.Fatal(rows.Err())
					}
					d1 := time.Since(t1)
					t2 := time.Now()
					p, err := s.ListUsers(ctx, store.UserQuery{Sort: f, Desc: desc, Limit: 50, Search: "u12"})
					if err != nil {
						t.Fatal(err)
					}
					if rep == 6 {
						t.Logf("analyze=%v %s desc=%v page %v (%d) | ListUsers search total %v count %d", analyze, f, desc, d1, n, time.Since(t2), p.Count)
					}
				}
			}
		}
	}
	t3 := time.Now()
	p, _ := s.ListUsers(ctx, store.UserQuery{Sort: "total_cost", Desc: true, Limit: 50})
	t.Logf("full ListUsers %v count %d", time.Since(t3), p.Count)
	t3 = time.Now()
	p, _ = s.ListUsers(ctx, store.UserQuery{Sort: "total_cost", Desc: true, Limit: 50, Agent: "agent-3"})
	t.Logf("agent ListUsers %v count %d", time.Since(t3), p.Count)
}
