package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
	"github.com/waxell/otelcol-waxell/internal/store/storetest"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.RunMain(m)) }

func openStore(t testing.TB, dsn string) *Store {
	t.Helper()
	return openStoreConns(t, dsn, 0)
}

func openStoreConns(t testing.TB, dsn string, maxConns int32) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, Config{DSN: dsn, MaxConns: maxConns})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// retryable reports the errors a writer retries in these tests: the ones
// PostgreSQL may raise between concurrent writers. (The exporter retries
// every error that is not IsPermanent.)
func retryable(err error) (code string, ok bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "40P01" || pgErr.Code == "40001") {
		return pgErr.Code, true
	}
	return "", false
}

var conformanceRetries atomic.Int64

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Opener{
		New: func(t *testing.T) (storetest.Store, func(*testing.T) storetest.Store) {
			dsn := pgtest.NewDatabase(t)
			return openStore(t, dsn), func(t *testing.T) storetest.Store { return openStore(t, dsn) }
		},
		IsTransient: func(err error) bool {
			_, ok := retryable(err)
			if ok {
				conformanceRetries.Add(1)
			}
			return ok
		},
	})
	t.Logf("transient errors retried: %d", conformanceRetries.Load())
}

// TestOpenConcurrently opens one empty database from several processes'
// worth of pools at once: all must succeed and apply the migration once.
func TestOpenConcurrently(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const n = 6
	var wg sync.WaitGroup
	stores := make([]*Store, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = Open(context.Background(), Config{DSN: dsn, MaxConns: 2})
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "Open %d", i)
	}
	var versions []int64
	rows, err := stores[0].pool.Query(context.Background(), "SELECT version FROM schema_migrations ORDER BY version")
	require.NoError(t, err)
	versions, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	ms, err := store.Migrations(migrationFS)
	require.NoError(t, err)
	var want []int64
	for _, m := range ms {
		want = append(want, m.Version)
	}
	require.Equal(t, want, versions)
	for _, s := range stores {
		require.NoError(t, s.Close())
	}
	// Opening again is a no-op.
	openStore(t, dsn).Close()
}

// TestRoundTrip checks that spans, runs and calls read back exactly as
// written, including unusual values.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewDatabase(t))
	defer s.Close()

	tr := newTraffic(7, 5)
	spans := tr.traces(0, 10)
	// Unusual but valid values.
	spans[0].Role = ""
	spans[0].Convention = "conv \u00e9\u6f22 'quote' \"dq\" \\"
	spans[1].Start, spans[1].End = -5, 1<<62
	spans[1].Usage = genai.Usage{Input: 1<<62 + 1, Output: -1, CacheRead: 3, CacheWrite: 4, Reasoning: 5}
	spans[2].CostNanos, spans[2].CostSource, spans[2].Error = -7, genai.CostReported, true
	_, err := s.ApplySpans(ctx, spans)
	require.NoError(t, err)

	byTrace := map[pcommon.TraceID][]genai.Span{}
	var traces []pcommon.TraceID
	for _, sp := range spans {
		if _, ok := byTrace[sp.TraceID]; !ok {
			traces = append(traces, sp.TraceID)
		}
		byTrace[sp.TraceID] = append(byTrace[sp.TraceID], sp)
	}
	sort.Slice(traces, func(i, j int) bool { return string(traces[i][:]) < string(traces[j][:]) })
	var wantRuns []genai.Run
	var wantCalls []genai.Call
	var wantSpans []genai.Span
	for _, id := range traces {
		asm := genai.Assemble(byTrace[id])
		wantRuns = append(wantRuns, asm.Runs...)
		wantCalls = append(wantCalls, asm.Calls...)
		ss := slices.Clone(byTrace[id])
		sort.Slice(ss, func(i, j int) bool { return string(ss[i].SpanID[:]) < string(ss[j].SpanID[:]) })
		wantSpans = append(wantSpans, ss...)
	}

	tx, err := s.pool.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	at := &applyTx{tx: tx, schema: s.schema}
	known, err := at.LockTraces(ctx, traces)
	require.NoError(t, err)
	for i, k := range known {
		require.True(t, k, "trace %d known", i)
	}
	gotSpans, err := at.LoadSpans(ctx, traces)
	require.NoError(t, err)
	require.Equal(t, wantSpans, gotSpans)
	gotRuns, err := at.LoadRuns(ctx, traces)
	require.NoError(t, err)
	var runs []genai.Run
	ids := map[int64]bool{}
	for _, r := range gotRuns {
		require.Positive(t, r.ID)
		require.False(t, ids[r.ID])
		ids[r.ID] = true
		runs = append(runs, r.Run)
	}
	sort.Slice(wantRuns, func(i, j int) bool { return wantRuns[i].Key < wantRuns[j].Key })
	require.Equal(t, wantRuns, runs)
	gotCalls, err := at.LoadCalls(ctx, traces)
	require.NoError(t, err)
	sort.Slice(wantCalls, func(i, j int) bool {
		a, b := wantCalls[i], wantCalls[j]
		return string(a.TraceID[:])+string(a.SpanID[:]) < string(b.TraceID[:])+string(b.SpanID[:])
	})
	require.Equal(t, wantCalls, gotCalls)

	// An unknown trace is reported as new (and its row created).
	var fresh pcommon.TraceID
	fresh[0] = 0xff
	known, err = at.LockTraces(ctx, []pcommon.TraceID{traces[0], fresh})
	require.NoError(t, err)
	require.Equal(t, []bool{true, false}, known)
}

// TestSanitize stores values PostgreSQL text cannot hold without failing
// the batch, deterministically, so that resending stays idempotent.
func TestSanitize(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewDatabase(t))
	defer s.Close()

	long1 := strings.Repeat("x", 3000) + "1"
	long2 := strings.Repeat("x", 3000) + "2"
	tr := newTraffic(11, 1)
	var spans []genai.Span
	for i, u := range []string{"nul\x00user", "bad\xffutf8", long1, long2, "ok"} {
		sp := tr.shaped(uint64(i), 0)
		for k := range sp {
			sp[k].UserID = u
			sp[k].Model = "model\x00" + strings.Repeat("m", 4000)
			sp[k].AgentName = "agent\xc3"
		}
		spans = append(spans, sp...)
	}
	st, err := s.ApplySpans(ctx, spans)
	require.NoError(t, err)
	require.Equal(t, len(spans), st.NewSpans)
	st, err = s.ApplySpans(ctx, spans)
	require.NoError(t, err)
	require.Equal(t, len(spans), st.DuplicateSpans)

	page, err := s.ListUsers(ctx, store.UserQuery{Sort: store.SortRunCount, Limit: 10})
	require.NoError(t, err)
	require.EqualValues(t, 5, page.Count)
	var ids []string
	for _, u := range page.Users {
		ids = append(ids, u.UserID)
		require.LessOrEqual(t, len(u.UserID), store.MaxUserIDBytes)
		require.Equal(t, []string{"agent\uFFFD"}, u.Agents)
	}
	require.Contains(t, ids, "nuluser")
	require.Contains(t, ids, "bad\uFFFDutf8")
	require.Contains(t, ids, "ok")
	// The raw ids find the cleaned users.
	for _, u := range []string{"nul\x00user", "bad\xffutf8", long1, long2} {
		d, err := s.GetUser(ctx, u)
		require.NoError(t, err, "GetUser %q", u[:8])
		require.EqualValues(t, 1, d.Summary.RunCount)
		require.Len(t, d.CostByModel, 1)
		require.LessOrEqual(t, len(d.CostByModel[0].Model), maxTextBytes)
	}
	d1, _ := s.GetUser(ctx, long1)
	d2, _ := s.GetUser(ctx, long2)
	require.NotEqual(t, d1.Summary.UserID, d2.Summary.UserID, "long ids stay distinct")
	diffs, err := s.Verify(ctx)
	require.NoError(t, err)
	require.Empty(t, diffs)

	require.Equal(t, "a\uFFFDb", cleanText("a\xff\xfeb"))
	require.Equal(t, "ab", cleanText("a\x00b"))
	c := cleanText(strings.Repeat("\u00e9", 2000))
	require.LessOrEqual(t, len(c), maxTextBytes)
	require.True(t, strings.HasPrefix(c, "\u00e9\u00e9"))
	require.Equal(t, c, cleanText(strings.Repeat("\u00e9", 2000)))

	clean := []genai.Span{{UserID: "fine"}}
	require.Same(t, &clean[0], &sanitizeSpans(clean)[0], "clean input is not copied")
}

func TestClassify(t *testing.T) {
	for code, permanent := range map[string]bool{
		"23505": true, "23502": true, "22021": true, "22003": true, "54000": true,
		"40P01": false, "40001": false, "57P01": false, "08006": false, "53300": false,
	} {
		err := classify(fmt.Errorf("ctx: %w", &pgconn.PgError{Code: code}))
		require.Equal(t, permanent, IsPermanent(err), code)
		var pgErr *pgconn.PgError
		require.True(t, errors.As(err, &pgErr), code)
	}
	require.False(t, IsPermanent(classify(context.DeadlineExceeded)))
	require.False(t, IsPermanent(nil))
}

func TestListUsersUsesIndexes(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewDatabase(t))
	defer s.Close()
	_, err := s.pool.Exec(ctx, `INSERT INTO users
		SELECT 'u' || g, 'u' || g, g % 17, g % 1000, g % 1003, g % 1009, g % 1013, g % 1019
		FROM generate_series(1, 50000) g`)
	require.NoError(t, err)
	// Users written behind the store's back: keep its row count in step.
	_, err = s.pool.Exec(ctx, `UPDATE row_counts SET n = n + 50000 WHERE name = 'users' AND shard = 0`)
	require.NoError(t, err)
	_, err = s.pool.Exec(ctx, "ANALYZE users")
	require.NoError(t, err)

	for _, field := range store.UserSortFields {
		for _, desc := range []bool{false, true} {
			lq, err := buildListUsers(store.UserQuery{Sort: field, Desc: desc, Limit: 50, Offset: 50})
			require.NoError(t, err)
			var plan []string
			rows, err := s.pool.Query(ctx, "EXPLAIN "+lq.pageSQL, lq.pageArgs...)
			require.NoError(t, err)
			plan, err = pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			col, _ := sqllist.SortColumn(field)
			scan := "Index Scan using users_" + col + "_idx on users"
			if desc {
				scan = "Index Scan Backward using users_" + col + "_idx on users"
			}
			text := strings.Join(plan, "\n")
			require.Contains(t, text, scan, "%s desc=%v:\n%s", field, desc, text)
			require.NotContains(t, text, "Seq Scan on users", "%s desc=%v:\n%s", field, desc, text)

			page, err := s.ListUsers(ctx, store.UserQuery{Sort: field, Desc: desc, Limit: 50, Offset: 50})
			require.NoError(t, err)
			require.EqualValues(t, 50000, page.Count)
			require.Len(t, page.Users, 50)
		}
	}
	_, err = s.ListUsers(ctx, store.UserQuery{Sort: "user_id; DROP TABLE users"})
	require.Error(t, err)
}

// applyRetrying applies one batch the way the exporter does: transient
// errors are retried (and counted by SQLSTATE), anything else fails.
func applyRetrying(ctx context.Context, s *Store, batch []genai.Span, retries *sync.Map) (ledger.Stats, error) {
	for attempt := 0; ; attempt++ {
		st, err := s.ApplySpans(ctx, batch)
		if err == nil {
			return st, nil
		}
		code, ok := retryable(err)
		if !ok || IsPermanent(err) || attempt >= 50 {
			return st, err
		}
		n, _ := retries.LoadOrStore(code, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
	}
}

type storeView struct {
	Lists   map[string]store.UserPage
	Details map[string]store.UserDetail
}

// viewOf reads every answer of the read API, run ids zeroed (they depend on
// arrival order).
func viewOf(t *testing.T, s *Store) storeView {
	t.Helper()
	ctx := context.Background()
	v := storeView{Lists: map[string]store.UserPage{}, Details: map[string]store.UserDetail{}}
	for _, field := range store.UserSortFields {
		for _, desc := range []bool{false, true} {
			p, err := s.ListUsers(ctx, store.UserQuery{Sort: field, Desc: desc, Limit: 1 << 20})
			require.NoError(t, err)
			v.Lists[fmt.Sprintf("%s/%v", field, desc)] = p
		}
	}
	for _, u := range v.Lists[store.SortLastSeen+"/false"].Users {
		d, err := s.GetUser(ctx, u.UserID)
		require.NoError(t, err)
		for i := range d.Runs {
			require.Positive(t, d.Runs[i].ID)
			d.Runs[i].ID = 0
		}
		d.Runs = orderRunTies(d.Runs)
		v.Details[u.UserID] = d
	}
	return v
}

// orderRunTies orders runs that started at the same time by key. The store
// breaks such ties by run id, which follows the order in which the writers
// happened to insert the runs. For the same reason, the runs tied at the end
// of a full list are dropped: which of them made the list depends on it too.
func orderRunTies(runs []store.RunSummary) []store.RunSummary {
	slices.SortStableFunc(runs, func(a, b store.RunSummary) int {
		if c := cmp.Compare(b.Start, a.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(runs) == store.RecentRuns {
		last := runs[len(runs)-1].Start
		for len(runs) > 0 && runs[len(runs)-1].Start == last {
			runs = runs[:len(runs)-1]
		}
	}
	return runs
}

// TestTwoWriters runs two stores (two pools: two collector processes) on one
// database, each with several concurrent senders, applying interleaved
// halves of the same traffic: overlapping users, traces split between the
// writers, some spans sent by both. The result must equal one writer
// applying everything, and the rollups must verify.
func TestTwoWriters(t *testing.T) {
	ctx := context.Background()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	const traces, users = 1500, 25
	spans := newTraffic(seed, users).traces(0, traces)

	ref := openStore(t, pgtest.NewDatabase(t))
	defer ref.Close()
	for b := range slices.Chunk(spans, 500) {
		_, err := ref.ApplySpans(ctx, b)
		require.NoError(t, err)
	}
	want := viewOf(t, ref)
	require.NotEmpty(t, want.Details)

	dsn := pgtest.NewDatabase(t)
	writers := []*Store{openStoreConns(t, dsn, 4), openStoreConns(t, dsn, 4)}
	defer func() {
		for _, w := range writers {
			w.Close()
		}
	}()

	r := rand.New(rand.NewPCG(seed, 2))
	halves := make([][]genai.Span, 2)
	for i, k := range r.Perm(len(spans)) {
		halves[i%2] = append(halves[i%2], spans[k])
		if r.IntN(10) == 0 { // also sent by the other writer
			halves[(i+1)%2] = append(halves[(i+1)%2], spans[k])
		}
	}
	const senders = 4 // per writer, like the exporter's queue consumers
	var (
		wg       sync.WaitGroup
		retries  sync.Map
		newSpans atomic.Int64
		mu       sync.Mutex
		errs     []error
		start    = make(chan struct{})
	)
	for w, half := range halves {
		batches := slices.Collect(slices.Chunk(half, 30))
		for c := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := c; i < len(batches); i += senders {
					st, err := applyRetrying(ctx, writers[w], batches[i], &retries)
					if err != nil {
						mu.Lock()
						errs = append(errs, fmt.Errorf("writer %d sender %d: %w", w, c, err))
						mu.Unlock()
						return
					}
					newSpans.Add(int64(st.NewSpans))
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	require.Empty(t, errs)
	retries.Range(func(code, n any) bool {
		t.Logf("retried %s: %d times", code, n.(*atomic.Int64).Load())
		return true
	})
	require.EqualValues(t, len(spans), newSpans.Load(), "every span is new exactly once")

	for i, w := range writers {
		diffs, err := w.Verify(ctx)
		require.NoError(t, err)
		require.Empty(t, diffs, "writer %d", i)
	}
	require.Equal(t, want, viewOf(t, writers[0]))
	require.Equal(t, want, viewOf(t, writers[1]))
	diffs, err := ref.Verify(ctx)
	require.NoError(t, err)
	require.Empty(t, diffs)
}

// BenchmarkApplySpans applies batches of 250 new traces of 4 spans (an
// agent run with two LLM calls and a tool call) for 1000 users.
func BenchmarkApplySpans(b *testing.B) {
	ctx := context.Background()
	s := openStore(b, pgtest.NewDatabase(b))
	defer s.Close()
	tr := newTraffic(1, 1000)
	const tracesPerBatch = 250
	batches := make([][]genai.Span, b.N)
	for i := range batches {
		for n := range uint64(tracesPerBatch) {
			batches[i] = append(batches[i], tr.shaped(uint64(i)*tracesPerBatch+n, 0)...)
		}
	}
	b.ResetTimer()
	spans := 0
	for i := 0; i < b.N; i++ {
		st, err := s.ApplySpans(ctx, batches[i])
		if err != nil {
			b.Fatal(err)
		}
		spans += st.NewSpans
	}
	b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
}
