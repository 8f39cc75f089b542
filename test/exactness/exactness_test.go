package exactness

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// TestMain runs every test against a private PostgreSQL server. Unless
// -test.parallel is given, twice as many subtests as CPUs run at once: they
// spend much of their time waiting for the database server.
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", strconv.Itoa(2*runtime.GOMAXPROCS(0)))
	}
	os.Exit(pgtest.RunMain(m))
}

// TestSplits is the property test of S6 and S7: for every trace set and
// store, random splits of the set must give API answers byte-equal to the
// whole set applied in one batch, and a store that verifies exact.
func TestSplits(t *testing.T) {
	sets := allSets(t)
	t.Logf("%d trace sets, %d splits each per store: %s", len(sets), splits(), setNames(sets))
	start := time.Now()
	t.Cleanup(func() {
		t.Logf("all splits took %s; cancelled transactions: %d interrupted, %d committed anyway; "+
			"concurrent writers: %d transient errors retried, %d verifications while writing",
			time.Since(start).Round(time.Millisecond), interrupted.Load(), uninterrupted.Load(), transient.Load(), concurrentVerifies.Load())
	})
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
	run.run(t, st, run.whole())
	want := c.view(t)
	c.verify(t, "whole set in one batch")
	require.Equal(t, set.want, want.users(t), "users of the whole set (runs, tokens) differ from the hand-worked numbers")

	modes := map[string]int{}
	for i := range splits() {
		p := randomPlan(rnd, len(set.refs))
		m := randomMode(rnd, len(p))
		modes[m.kind()]++
		desc := fmt.Sprintf("split %d\nplan: %s\nmode: %s\n%s", i, p, m, replay)
		st := b.fresh(t)
		c.cur.set(st)
		st = write(t, b, c, st, run.prepare(t, p), m, desc)
		c.verify(t, desc)
		if d := c.view(t).diff(want); len(d) > 0 {
			t.Fatalf("%s\ndiffers from the whole set:\n%s", desc, strings.Join(d, "\n"))
		}
	}
	t.Logf("%d splits, write modes %v", splits(), modes)
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
				run.run(t, st, run.whole())
				views[k][set.name] = c.view(t)
			}
		})
	}
	for _, set := range sets {
		if d := views[1][set.name].diff(views[0][set.name]); len(d) > 0 {
			t.Errorf("%s: %s differs from %s:\n%s", set.name, backends[1].name, backends[0].name, strings.Join(d, "\n"))
		}
	}
}
