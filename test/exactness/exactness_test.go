package exactness

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.RunMain(m)) }

// TestSplits is the property test of S6 and S7: for every trace set and
// store, random splits of the set must give API answers byte-equal to the
// whole set applied in one batch, and a store that verifies exact.
func TestSplits(t *testing.T) {
	sets := allSets(t)
	t.Logf("%d trace sets, %d splits each per store: %s", len(sets), splits(), setNames(sets))
	start := time.Now()
	t.Cleanup(func() { t.Logf("all splits took %s", time.Since(start).Round(time.Millisecond)) })
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			t.Parallel()
			for _, bk := range backends {
				t.Run(bk.name, func(t *testing.T) {
					t.Parallel()
					testSplits(t, set, bk.new(t))
				})
			}
		})
	}
}

func testSplits(t *testing.T, set *traceSet, b backend) {
	rnd, replay := newRand(t)
	run := &runner{set: set, pipe: newPipeline(t)}
	c := newAPIClient(t)

	st := b.fresh(t)
	c.cur.set(st)
	run.run(t, st, run.whole(), -1, nil)
	want := c.view(t)
	c.verify(t, "whole set in one batch")
	require.Equal(t, set.want, want.users(t), "users of the whole set (runs, tokens) differ from the hand-worked numbers")
	b.release(t, st)

	for i := range splits() {
		p := randomPlan(rnd, len(set.refs))
		st := b.fresh(t)
		c.cur.set(st)
		// Once in a while, also verify a state in the middle of a split.
		mid := -1
		if rnd.IntN(4) == 0 {
			mid = rnd.IntN(len(p))
		}
		run.run(t, st, p, mid, func() { c.verify(t, fmt.Sprintf("split %d after step %d of %s; %s", i, mid, p, replay)) })
		c.verify(t, fmt.Sprintf("split %d: %s; %s", i, p, replay))
		if d := c.view(t).diff(want); len(d) > 0 {
			t.Fatalf("split %d differs from the whole set\nplan: %s\n%s\n%s", i, p, replay, strings.Join(d, "\n"))
		}
		b.release(t, st)
	}
}

// TestStoresAgree: both stores give byte-identical answers for every set.
func TestStoresAgree(t *testing.T) {
	sets := allSets(t)
	views := make([]map[string]view, len(backends))
	for k, bk := range backends {
		views[k] = map[string]view{}
		t.Run(bk.name, func(t *testing.T) {
			b := bk.new(t)
			c := newAPIClient(t)
			for _, set := range sets {
				run := &runner{set: set, pipe: newPipeline(t)}
				st := b.fresh(t)
				c.cur.set(st)
				run.run(t, st, run.whole(), -1, nil)
				views[k][set.name] = c.view(t)
				b.release(t, st)
			}
		})
	}
	for _, set := range sets {
		if d := views[1][set.name].diff(views[0][set.name]); len(d) > 0 {
			t.Errorf("%s: %s differs from %s:\n%s", set.name, backends[1].name, backends[0].name, strings.Join(d, "\n"))
		}
	}
}
