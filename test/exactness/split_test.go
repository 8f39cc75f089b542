package exactness

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

// SeedEnv replays the random splits of a logged seed (decimal uint64).
const SeedEnv = "WAXELL_EXACTNESS_SEED"

var (
	seedOnce sync.Once
	seedVal  uint64
	seedErr  error
	seedFrom string
)

// masterSeed is the seed of the whole test binary; each subtest derives its
// own generator from it and its name, so that a replay gives the same
// splits whatever runs in parallel.
func masterSeed(t testing.TB) uint64 {
	t.Helper()
	seedOnce.Do(func() {
		if v := os.Getenv(SeedEnv); v != "" {
			seedVal, seedErr = strconv.ParseUint(v, 10, 64)
			seedFrom = "from " + SeedEnv
			return
		}
		seedVal = uint64(time.Now().UnixNano())
		seedFrom = "random"
	})
	require.NoError(t, seedErr, SeedEnv)
	return seedVal
}

func newRand(t testing.TB) (*rand.Rand, string) {
	t.Helper()
	s := masterSeed(t)
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	replay := fmt.Sprintf("seed %d (%s; replay: %s=%d go test -run '^%s$' ./test/exactness/)",
		s, seedFrom, SeedEnv, s, strings.ReplaceAll(t.Name(), "/", "$/^"))
	t.Log(replay)
	return rand.New(rand.NewPCG(s, h.Sum64())), replay
}

// splits is how many random splits each trace set gets per store.
func splits() int {
	if testing.Short() {
		return 20
	}
	return 200
}

// maxBatches bounds the number of first deliveries of a split.
const maxBatches = 16

type stepKind int

const (
	// deliver: a raw batch through the processor, then the store.
	deliver stepKind = iota
	// redeliver: a raw batch again (a client or receiver retry).
	redeliver
	// retry: an earlier processed batch applied again (an exporter retry).
	retry
	// reprocess: an earlier processed batch through the processor again
	// (two collectors with useragg in a row), then the store.
	reprocess
)

// step is one batch of a split. of names the deliver step (by id) that a
// retry or reprocess repeats.
type step struct {
	kind  stepKind
	id    int
	of    int
	spans []int
}

type plan []step

func (p plan) String() string {
	var b strings.Builder
	for _, s := range p {
		switch s.kind {
		case deliver:
			fmt.Fprintf(&b, " d%d%v", s.id, s.spans)
		case redeliver:
			fmt.Fprintf(&b, " redeliver(d%d)", s.of)
		case retry:
			fmt.Fprintf(&b, " retry(d%d)", s.of)
		case reprocess:
			fmt.Fprintf(&b, " reprocess(d%d)", s.of)
		}
	}
	return strings.TrimSpace(b.String())
}

func insertAt(r *rand.Rand, s []int, v int) []int {
	p := r.IntN(len(s) + 1)
	s = append(s, 0)
	copy(s[p+1:], s[p:])
	s[p] = v
	return s
}

// randomPlan splits n spans into batches of random sizes (from one span per
// batch to all in one), in random order across and within batches, with
// spans duplicated inside a batch and into other batches, and whole batches
// delivered again: raw, as a processed retry, or processed twice.
//
// Large sets get at most maxBatches first deliveries, to bound the run time;
// small sets (every fixture) still get splits of one span per batch.
func randomPlan(r *rand.Rand, n int) plan {
	minSize := (n + maxBatches - 1) / maxBatches
	maxSize := minSize + r.IntN(n-minSize+1)
	dupRate := 2 + r.IntN(8) // one span in dupRate is duplicated in place
	var p plan
	var cur []int
	newSize := func() int { return minSize + r.IntN(maxSize-minSize+1) }
	size := newSize()
	flush := func() {
		p = append(p, step{kind: deliver, id: len(p), spans: cur})
		cur, size = nil, newSize()
	}
	for _, i := range r.Perm(n) {
		cur = insertAt(r, cur, i)
		if r.IntN(dupRate) == 0 {
			cur = insertAt(r, cur, i)
		}
		if len(cur) >= size {
			flush()
		}
	}
	if len(cur) > 0 {
		flush()
	}
	// Copies of random spans in random batches: before or after the span's
	// first delivery.
	for k := r.IntN(n/2 + 2); k > 0; k-- {
		j := r.IntN(len(p))
		p[j].spans = insertAt(r, p[j].spans, r.IntN(n))
	}
	// Whole batches again, somewhere after the original.
	for k := r.IntN(4); k > 0; k-- {
		var orig step
		for orig = p[r.IntN(len(p))]; orig.kind != deliver; orig = p[r.IntN(len(p))] {
		}
		pos := 0
		for pos < len(p) && !(p[pos].kind == deliver && p[pos].id == orig.id) {
			pos++
		}
		pos += 1 + r.IntN(len(p)-pos)
		s := step{kind: stepKind(1 + r.IntN(3)), of: orig.id, spans: orig.spans}
		p = append(p[:pos], append(plan{s}, p[pos:]...)...)
	}
	return p
}

// runner executes plans against stores through one processor instance.
type runner struct {
	set  *traceSet
	pipe *pipeline
}

type delivered struct {
	processed ptrace.Traces // as the processor forwarded it, before the store
	spans     []genai.Span
}

// run executes p against st. After afterStep (when >= 0), check is called.
func (r *runner) run(t testing.TB, st spanStore, p plan, afterStep int, check func()) {
	t.Helper()
	done := map[int]delivered{}
	for i, s := range p {
		switch s.kind {
		case deliver, redeliver:
			out := r.pipe.process(t, r.set.batch(s.spans))
			d := delivered{processed: ptrace.NewTraces(), spans: canonical(t, out)}
			out.CopyTo(d.processed)
			if s.kind == deliver {
				done[s.id] = d
			}
			apply(t, st, d.spans)
		case retry:
			apply(t, st, done[s.of].spans)
		case reprocess:
			td := ptrace.NewTraces()
			done[s.of].processed.CopyTo(td)
			spans := canonical(t, r.pipe.process(t, td))
			require.Equal(t, done[s.of].spans, spans, "processing twice changes the canonical facts")
			apply(t, st, spans)
		}
		if i == afterStep && check != nil {
			check()
		}
	}
}

// whole is the reference plan: every span once, in one batch, in recorded order.
func (r *runner) whole() plan {
	return plan{{kind: deliver, spans: r.set.all()}}
}
