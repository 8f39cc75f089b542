package exactness

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store/postgres"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
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

// runner turns plans into the batches the exporter would apply, through
// one processor instance, and applies them.
type runner struct {
	set  *traceSet
	pipe *pipeline
}

// prepare runs the plan's batches through the processor, in plan order,
// and returns the converted batch of every step. The processor keeps no
// state between batches, so doing this before touching the store is the
// same as interleaving it with the writes.
func (r *runner) prepare(t testing.TB, p plan) [][]genai.Span {
	t.Helper()
	type delivered struct {
		processed ptrace.Traces // as the processor forwarded it, before the exporter
		spans     []genai.Span
	}
	done := map[int]delivered{}
	out := make([][]genai.Span, len(p))
	for i, s := range p {
		switch s.kind {
		case deliver, redeliver:
			processed := r.pipe.process(t, r.set.batch(s.spans))
			d := delivered{processed: ptrace.NewTraces(), spans: canonical(t, processed)}
			processed.CopyTo(d.processed)
			if s.kind == deliver {
				done[s.id] = d
			}
			out[i] = d.spans
		case retry:
			out[i] = done[s.of].spans
		case reprocess:
			td := ptrace.NewTraces()
			done[s.of].processed.CopyTo(td)
			out[i] = canonical(t, r.pipe.process(t, td))
			require.Equal(t, done[s.of].spans, out[i], "processing a batch twice changes its canonical facts")
		}
	}
	return out
}

// run applies the plan to st one batch after another.
func (r *runner) run(t testing.TB, st spanStore, p plan) {
	t.Helper()
	for _, b := range r.prepare(t, p) {
		apply(t, st, b)
	}
}

// whole is the reference plan: every span once, in one batch, in recorded order.
func (r *runner) whole() plan {
	return plan{{kind: deliver, spans: r.set.all()}}
}

// writeMode is how a split's batches reach the store, besides one after
// another: with a restart of the store, with transactions cancelled midway
// (a collector killed or a client timeout; the batch is then retried, as the
// exporter's queue does), or from several writers at once (replicas).
type writeMode struct {
	restartAfter int                   // step after which the store is reopened, or -1
	cancel       map[int]time.Duration // steps whose first attempt is cancelled after this long
	writers      int                   // > 1: concurrent writers, batches dealt at random
	deal         uint64                // seed of the dealing
	verifyAfter  int                   // step after which Verify is asked, or -1
}

func (m writeMode) String() string {
	var parts []string
	if m.restartAfter >= 0 {
		parts = append(parts, fmt.Sprintf("restart after step %d", m.restartAfter))
	}
	if len(m.cancel) > 0 {
		parts = append(parts, fmt.Sprintf("cancelled first attempts %v", m.cancel))
	}
	if m.writers > 1 {
		parts = append(parts, fmt.Sprintf("%d concurrent writers", m.writers))
	}
	if len(parts) == 0 {
		return "sequential"
	}
	return strings.Join(parts, ", ")
}

// kind names the mode without its parameters.
func (m writeMode) kind() string {
	switch {
	case m.restartAfter >= 0:
		return "restart"
	case len(m.cancel) > 0:
		return "cancel"
	case m.writers > 1:
		return "concurrent"
	default:
		return "sequential"
	}
}

func randomMode(r *rand.Rand, steps int) writeMode {
	m := writeMode{restartAfter: -1, verifyAfter: -1}
	switch r.IntN(8) {
	case 0:
		m.restartAfter = r.IntN(steps)
	case 1:
		m.cancel = map[int]time.Duration{}
		for k := 1 + r.IntN(min(steps, 3)); k > 0; k-- {
			m.cancel[r.IntN(steps)] = time.Duration(r.IntN(3000)) * time.Microsecond
		}
	case 2, 3:
		m.writers, m.deal = 2+r.IntN(3), r.Uint64()
	}
	if m.writers <= 1 && r.IntN(4) == 0 {
		m.verifyAfter = r.IntN(steps)
	}
	return m
}

// write applies the batches in the given mode and returns the store in use
// at the end (another one after a restart).
func write(t testing.TB, b backend, c *apiClient, st spanStore, batches [][]genai.Span, m writeMode, desc string) spanStore {
	t.Helper()
	if m.writers > 1 {
		writeConcurrently(t, st, batches, m, desc)
		return st
	}
	for i, batch := range batches {
		if d, ok := m.cancel[i]; ok {
			applyCancelled(t, st, batch, d)
		}
		apply(t, st, batch)
		if i == m.verifyAfter {
			c.verify(t, fmt.Sprintf("after step %d of %s", i, desc))
		}
		if i == m.restartAfter {
			st = b.reopen(t, st)
			c.cur.set(st)
		}
	}
	return st
}

// applyCancelled applies a batch with a context cancelled after d, which
// may or may not interrupt the transaction (also just after it committed).
func applyCancelled(t testing.TB, st spanStore, batch []genai.Span, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(d, cancel)
	_, err := st.ApplySpans(ctx, batch)
	timer.Stop()
	if err != nil {
		require.Error(t, ctx.Err(), "an uncancelled apply failed: %v", err)
		interrupted.Add(1)
	} else {
		uninterrupted.Add(1)
	}
	cancel()
}

// Cancelled first attempts that failed and that went through anyway.
var interrupted, uninterrupted atomic.Int64

// writeConcurrently deals the batches at random to writers that apply them
// at the same time, each in its order, retrying transient errors as the
// exporter does.
func writeConcurrently(t testing.TB, st spanStore, batches [][]genai.Span, m writeMode, desc string) {
	t.Helper()
	writers := m.writers
	r := rand.New(rand.NewPCG(m.deal, 0))
	queues := make([][][]genai.Span, writers)
	for _, b := range batches {
		w := r.IntN(writers)
		queues[w] = append(queues[w], b)
	}
	var wg sync.WaitGroup
	errs := make([]error, writers)
	start := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for _, b := range queues[w] {
				for attempt := 0; ; attempt++ {
					_, err := st.ApplySpans(context.Background(), b)
					if err == nil {
						break
					}
					if isPermanent(err) || attempt == 50 {
						errs[w] = err
						return
					}
					transient.Add(1)
				}
			}
		}()
	}
	// Verify asks a few times while the writers write: every committed
	// state must be exact, not only the last one.
	stop := make(chan struct{})
	verified := make(chan error, 1)
	go func() {
		var err error
		for range maxVerifiesWhileWriting {
			select {
			case <-stop:
				verified <- err
				return
			case <-time.After(2 * time.Millisecond):
			}
			diffs, verr := st.Verify(context.Background())
			concurrentVerifies.Add(1)
			switch {
			case verr != nil && err == nil:
				err = verr
			case len(diffs) > 0 && err == nil:
				err = fmt.Errorf("verify during concurrent writes:\n%s", strings.Join(diffs, "\n"))
			}
		}
		<-stop
		verified <- err
	}()
	close(start)
	wg.Wait()
	close(stop)
	require.NoError(t, <-verified, desc)
	require.NoError(t, errors.Join(errs...), desc)
}

// maxVerifiesWhileWriting bounds the verifications of one concurrent split.
const maxVerifiesWhileWriting = 5

// concurrentVerifies counts the verifications run during concurrent writes.
var concurrentVerifies atomic.Int64

// transient counts the retried errors of concurrent writers.
var transient atomic.Int64

func isPermanent(err error) bool { return postgres.IsPermanent(err) || sqlite.IsPermanent(err) }
