package postgres

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/api"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// The scale benchmark: PostgreSQL with 1,000,000 users and 10,000,000 runs
// (and as many calls), bulk-loaded with COPY, every list and detail endpoint
// timed through the API handler (in process, no network).
//
//	WAXELL_BENCH_POSTGRES_DSN=postgres://.../waxellbench \
//	  go test -run '^$' -bench BenchmarkScale -benchtime 100x -timeout 2h -v ./internal/store/postgres/
//
// The database is loaded on first use and reused while its bench_meta row
// matches the size asked for (WAXELL_BENCH_USERS, WAXELL_BENCH_RUNS): keep
// the server's data directory to skip the load next time (docs/api.md shows
// a server set up for that). -v prints a summary with the load average.
// Benchmarks run only with -bench; without the DSN the benchmark skips.

const (
	benchDSNEnv   = "WAXELL_BENCH_POSTGRES_DSN"
	benchUsersEnv = "WAXELL_BENCH_USERS"
	benchRunsEnv  = "WAXELL_BENCH_RUNS"
)

// benchEnd is the end of the loaded traffic; runs span the 90 days before.
var benchEnd = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

const benchSpan = 90 * 24 * time.Hour

var (
	benchAgents = []string{"support-agent", "search-agent", "code-agent", "chat-agent", "batch-agent", "sql-agent",
		"triage-agent", "voice-agent"}
	benchModels = []string{"gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "claude-haiku-4", "gemini-2.5-pro", "local-llama"}
)

func benchUserID(i int) string { return fmt.Sprintf("user-%07d", i) }

// bulkLoad fills an empty store database with users users and runs runs
// (one call each): every user has at least one run; the others go to users
// with a heavy tail (user 0 has about 1% of all runs); 5% of runs carry no
// user; runs of a user are grouped five by five into sessions; start times
// grow with the run index over 90 days, and users first appear all along. Runs and calls are written with
// COPY, the rollups computed from them in SQL, then indexes are rebuilt and
// the tables vacuumed and analysed. The result verifies (TestBulkLoadVerifies).
func bulkLoad(ctx context.Context, tb testing.TB, pool *pgxpool.Pool, users, runs int, seed uint64) {
	tb.Helper()
	conn, err := pool.Acquire(ctx)
	require.NoError(tb, err)
	defer conn.Release()
	must := func(sql string, args ...any) {
		tb.Helper()
		t0 := time.Now()
		_, err := conn.Exec(ctx, sql, args...)
		require.NoError(tb, err, sql)
		flat := strings.Join(strings.Fields(sql), " ")
		tb.Logf("%6.1fs  %s", time.Since(t0).Seconds(), flat[:min(80, len(flat))])
	}
	must(`SET work_mem = '1GB'`)
	must(`SET maintenance_work_mem = '2GB'`)
	// Secondary indexes and the primary keys of the rollup tables are
	// dropped during the load and built again after it (a sort per index
	// instead of millions of random inserts).
	rows, err := conn.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes i
		WHERE schemaname = current_schema() AND tablename NOT IN ('schema_migrations')
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`)
	require.NoError(tb, err)
	var names, defs []string
	var n, d string
	_, err = pgx.ForEachRow(rows, []any{&n, &d}, func() error {
		names, defs = append(names, n), append(defs, d)
		return nil
	})
	require.NoError(tb, err)
	rollups := []string{"users", "user_agents", "user_hours", "user_models", "user_model_hours", "sessions",
		"run_hours", "model_hours", "user_sessions"}
	rows, err = conn.Query(ctx, `SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
		FROM pg_constraint c WHERE c.contype = 'p' AND c.conrelid::regclass::text = ANY($1)`, rollups)
	require.NoError(tb, err)
	var tbl, cn, cd string
	var dropPKs, pks []string
	_, err = pgx.ForEachRow(rows, []any{&tbl, &cn, &cd}, func() error {
		dropPKs = append(dropPKs, `ALTER TABLE `+pgx.Identifier{tbl}.Sanitize()+` DROP CONSTRAINT `+pgx.Identifier{cn}.Sanitize())
		pks = append(pks, `ALTER TABLE `+pgx.Identifier{tbl}.Sanitize()+` ADD CONSTRAINT `+pgx.Identifier{cn}.Sanitize()+` `+cd)
		return nil
	})
	require.NoError(tb, err)
	for _, q := range dropPKs {
		must(q)
	}
	for _, n := range names {
		must(`DROP INDEX ` + pgx.Identifier{n}.Sanitize())
	}

	r := rand.New(rand.NewPCG(seed, 0xb))
	perUser := make([]int32, users)
	start0 := benchEnd.Add(-benchSpan).UnixNano()
	step := benchSpan.Nanoseconds() / int64(runs)
	type run struct {
		key, user, session, agent, model, source string
		tid, sid                                 []byte
		start, end, in, out, cr, cw, rs, cost    int64
		failed                                   bool
	}
	gen := func(i int) run {
		var x run
		x.tid = make([]byte, 16)
		binary.BigEndian.PutUint64(x.tid[:8], seed)
		binary.BigEndian.PutUint64(x.tid[8:], uint64(i))
		x.sid = []byte{0, 0, 0, 0, 0, 0, 0, 1}
		x.key = hex.EncodeToString(x.tid) + ":" + hex.EncodeToString(x.sid)
		x.start = start0 + int64(i)*step + r.Int64N(step)
		x.end = x.start + int64(1+r.IntN(60))*int64(time.Second)
		// User k first appears at run k*runs/users, so users arrive all
		// along the 90 days; other runs go to users seen so far, favouring
		// low ids (a heavy tail); one run in twenty has no user.
		u := -1
		per := max(1, runs/users)
		switch seen := min(users, i/per+1); {
		case i%per == 0 && i/per < users:
			u = i / per
		case r.IntN(20) == 0:
		default:
			u = int(float64(seen) * math.Pow(r.Float64(), 3))
		}
		if u >= 0 {
			x.user = benchUserID(u)
			x.session = fmt.Sprintf("sess-%07d-%d", u, perUser[u]/5)
			perUser[u]++
		}
		x.agent = benchAgents[r.IntN(len(benchAgents))]
		x.model = benchModels[r.IntN(len(benchModels))]
		x.in, x.out = int64(50+r.IntN(4000)), int64(10+r.IntN(800))
		if r.IntN(4) == 0 {
			x.cr, x.cw, x.rs = x.in/2, x.in/10, x.out/3
		}
		x.source = "computed"
		x.cost = x.in*250 + x.out*1000
		switch r.IntN(30) {
		case 0:
			x.source, x.cost = "unpriced", 0
		case 1, 2, 3:
			x.source = "reported"
		}
		x.failed = r.IntN(50) == 0
		return x
	}
	t0 := time.Now()
	// Runs and calls in one pass, streamed through two COPYs in chunks.
	const chunk = 500_000
	for lo := 0; lo < runs; lo += chunk {
		hi := min(lo+chunk, runs)
		batch := make([]run, 0, hi-lo)
		for i := lo; i < hi; i++ {
			batch = append(batch, gen(i))
		}
		_, err := conn.Conn().CopyFrom(ctx, pgx.Identifier{"runs"}, []string{"run_key", "trace_id", "root_span_id",
			"implicit", "user_id", "session_id", "agent_name", "workflow_name", "start_ns", "end_ns", "error",
			"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
			"cost_nanos", "call_count", "user_conflicts"}, pgx.CopyFromSlice(len(batch), func(i int) ([]any, error) {
			x := &batch[i]
			return []any{x.key, x.tid, x.sid, false, x.user, x.session, x.agent, "default", x.start, x.end, x.failed,
				x.in, x.out, x.cr, x.cw, x.rs, x.cost, int64(1), int64(0)}, nil
		}))
		require.NoError(tb, err)
		_, err = conn.Conn().CopyFrom(ctx, pgx.Identifier{"calls"}, []string{"trace_id", "span_id", "run_key",
			"start_ns", "model", "provider", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
			"reasoning_tokens", "cost_nanos", "cost_source", "aggregate", "user_id", "run_start_ns"},
			pgx.CopyFromSlice(len(batch), func(i int) ([]any, error) {
				x := &batch[i]
				return []any{x.tid, []byte{0, 0, 0, 0, 0, 0, 0, 2}, x.key, x.start + int64(time.Millisecond), x.model,
					"prov", x.in, x.out, x.cr, x.cw, x.rs, x.cost, x.source, false, x.user, x.start}, nil
			}))
		require.NoError(tb, err)
		if lo/chunk%4 == 0 {
			tb.Logf("copied %d runs and calls in %.0fs", hi, time.Since(t0).Seconds())
		}
	}
	tb.Logf("%6.1fs  COPY %d runs and %d calls", time.Since(t0).Seconds(), runs, runs)

	const hour = `(start_ns - mod(start_ns, 3600000000000))`
	const callHour = `(run_start_ns - mod(run_start_ns, 3600000000000))`
	must(`INSERT INTO users SELECT user_id, lower(user_id), count(*), min(start_ns), max(start_ns),
		sum(greatest(end_ns - start_ns, 0)), sum(cost_nanos), sum(input_tokens + output_tokens)
		FROM runs WHERE user_id <> '' GROUP BY user_id`)
	must(`INSERT INTO user_agents SELECT user_id, agent_name, count(*) FROM runs WHERE user_id <> '' GROUP BY 1, 2`)
	must(`INSERT INTO user_hours SELECT user_id, ` + hour + `, count(*), sum(greatest(end_ns - start_ns, 0)),
		sum(cost_nanos), sum(input_tokens + output_tokens) FROM runs WHERE user_id <> '' GROUP BY 1, 2`)
	must(`INSERT INTO user_hour_versions SELECT DISTINCT hour, 0, 1 FROM user_hours`)
	must(`INSERT INTO user_models SELECT user_id, model, count(*), count(*) FILTER (WHERE cost_source = 'unpriced'),
		sum(cost_nanos), sum(input_tokens + output_tokens) FROM calls WHERE user_id <> '' GROUP BY 1, 2`)
	must(`INSERT INTO user_model_hours SELECT user_id, model, ` + callHour + `, count(*),
		count(*) FILTER (WHERE cost_source = 'unpriced'), sum(cost_nanos), sum(input_tokens + output_tokens)
		FROM calls WHERE user_id <> '' GROUP BY 1, 2, 3`)
	must(`INSERT INTO sessions SELECT session_id, count(*), min(start_ns), max(start_ns),
		sum(greatest(end_ns - start_ns, 0)), sum(cost_nanos), sum(input_tokens + output_tokens)
		FROM runs WHERE session_id <> '' GROUP BY session_id`)
	must(`INSERT INTO run_hours SELECT ` + hour + `, 0, count(*), count(*) FILTER (WHERE user_id <> ''),
		sum(greatest(end_ns - start_ns, 0)), sum(cost_nanos), sum(input_tokens + output_tokens) FROM runs GROUP BY 1`)
	must(`INSERT INTO model_hours SELECT ` + callHour + `, model, 0, count(*),
		count(*) FILTER (WHERE cost_source = 'unpriced'), sum(cost_nanos), sum(input_tokens + output_tokens)
		FROM calls GROUP BY 1, 2`)
	must(`INSERT INTO user_sessions SELECT * FROM user_sessions_recomputed`)
	must(`DELETE FROM row_counts`)
	must(`INSERT INTO row_counts SELECT 'users', 0, count(*) FROM users UNION ALL SELECT 'sessions', 0, count(*) FROM sessions`)
	for _, d := range append(pks, defs...) {
		must(d)
	}
	must(`VACUUM (ANALYZE)`)
}

// TestBulkLoadVerifies checks the benchmark's loader at a small size: the
// rollups it computes in SQL are the ones the ledger maintains.
func TestBulkLoadVerifies(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewDatabase(t))
	defer s.Close()
	bulkLoad(ctx, t, s.pool, 300, 4000, 1)
	diffs, err := s.Verify(ctx)
	require.NoError(t, err)
	require.Empty(t, diffs)
	var n int64
	require.NoError(t, s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n))
	require.EqualValues(t, 300, n)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchCase is one endpoint: the targets to request in turn.
type benchCase struct {
	name    string
	targets []string
}

func BenchmarkScale(b *testing.B) {
	dsn := os.Getenv(benchDSNEnv)
	if dsn == "" {
		b.Skipf("set %s to a database to load (or reuse) for the scale benchmark", benchDSNEnv)
	}
	ctx := context.Background()
	users, runs := envInt(benchUsersEnv, 1_000_000), envInt(benchRunsEnv, 10_000_000)
	s, err := Open(ctx, Config{DSN: dsn, MaxConns: 8})
	require.NoError(b, err)
	defer s.Close()
	_, err = s.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_meta (users bigint, runs bigint, loaded_at timestamptz, load_seconds float8)`)
	require.NoError(b, err)
	var haveUsers, haveRuns int64
	var loadSecs float64
	err = s.pool.QueryRow(ctx, `SELECT users, runs, load_seconds FROM bench_meta`).Scan(&haveUsers, &haveRuns, &loadSecs)
	if err != nil || haveUsers != int64(users) || haveRuns != int64(runs) {
		var rc int64
		require.NoError(b, s.pool.QueryRow(ctx, `SELECT count(*) FROM runs`).Scan(&rc))
		require.Zero(b, rc, "the benchmark database holds other data: use an empty database")
		t0 := time.Now()
		bulkLoad(ctx, b, s.pool, users, runs, 7)
		loadSecs = time.Since(t0).Seconds()
		_, err = s.pool.Exec(ctx, `INSERT INTO bench_meta VALUES ($1, $2, now(), $3)`, users, runs, loadSecs)
		require.NoError(b, err)
	}
	b.Logf("%d users, %d runs (and calls); loaded in %.0fs", users, runs, loadSecs)

	h := api.NewHandler(s)
	get := func(target string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		return rec.Code, rec.Body.String()
	}
	cursorAt := func(list, query string, offset int) string {
		t0 := time.Now()
		code, body := get(fmt.Sprintf("/api/v1/observability/%s/?%s&limit=1&offset=%d", list, query, offset))
		require.Equal(b, http.StatusOK, code, body)
		i := strings.Index(body, `"next_cursor":"`)
		require.Positive(b, i, body)
		c := body[i+len(`"next_cursor":"`):]
		b.Logf("cursor after %s row %d found in %.1fs (by offset)", list, offset, time.Since(t0).Seconds())
		return c[:strings.IndexByte(c, '"')]
	}
	r := rand.New(rand.NewPCG(99, 1))
	pickUsers := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			if i%4 == 0 { // a quarter of heavy users
				out[i] = benchUserID(r.IntN(1000))
			} else {
				out[i] = benchUserID(r.IntN(users))
			}
		}
		return out
	}
	// Run ids are dense after COPY; every user has a session "-0".
	var minID, maxID int64
	require.NoError(b, s.pool.QueryRow(ctx, `SELECT min(id), max(id) FROM runs`).Scan(&minID, &maxID))
	runIDs := make([]int64, 500)
	sessionIDs := make([]string, 500)
	for i := range runIDs {
		runIDs[i] = minID + r.Int64N(maxID-minID+1)
		sessionIDs[i] = fmt.Sprintf("sess-%07d-0", r.IntN(users))
	}

	ts := func(t time.Time) string { return url.QueryEscape(t.Format(time.RFC3339Nano)) }
	// Unaligned windows ending near the end of the traffic.
	hourWin := "start=" + ts(benchEnd.Add(-75*time.Minute-17*time.Second)) + "&end=" + ts(benchEnd.Add(-15*time.Minute+3*time.Second))
	dayWin := "start=" + ts(benchEnd.Add(-25*time.Hour-7*time.Minute)) + "&end=" + ts(benchEnd.Add(-1*time.Hour+11*time.Minute))
	weekWin := "start=" + ts(benchEnd.Add(-7*24*time.Hour-3*time.Hour-29*time.Minute)) + "&end=" + ts(benchEnd.Add(-2*time.Hour-41*time.Minute))
	deep := cursorAt("users", "sort=-last_seen", users*9/10)
	deepCost := cursorAt("users", "sort=-total_cost", users*9/10)
	deepSessions := cursorAt("sessions", "sort=-last_seen", 1_500_000*users/1_000_000)
	// The user with the most runs (about 1% of them), deep in its list.
	deepRuns := cursorAt("runs", "user_id="+benchUserID(0), runs/200)

	repeat := func(t string) []string { return []string{t} }
	each := func(f func(int) string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	detailUsers := pickUsers(200)
	cases := []benchCase{
		{"users/first-page", repeat("/api/v1/observability/users/")},
		{"users/first-page-sort-cost", repeat("/api/v1/observability/users/?sort=-total_cost")},
		{"users/deep-cursor", repeat("/api/v1/observability/users/?cursor=" + deep)},
		{"users/deep-cursor-sort-cost", repeat("/api/v1/observability/users/?sort=-total_cost&cursor=" + deepCost)},
		{"users/window-1h", repeat("/api/v1/observability/users/?scope=window&sort=-total_cost&" + hourWin)},
		{"users/window-1h-last-seen", repeat("/api/v1/observability/users/?scope=window&" + hourWin)},
		{"users/window-1d", repeat("/api/v1/observability/users/?scope=window&sort=-total_cost&" + dayWin)},
		{"users/window-7d", repeat("/api/v1/observability/users/?scope=window&sort=-total_cost&" + weekWin)},
		// The list's default order (-last_seen), which has no hourly rollup.
		{"users/window-1d-last-seen", repeat("/api/v1/observability/users/?scope=window&" + dayWin)},
		{"users/window-7d-last-seen", repeat("/api/v1/observability/users/?scope=window&" + weekWin)},
		{"users/search", repeat("/api/v1/observability/users/?search=user-00012")},
		{"user/detail", each(func(i int) string { return "/api/v1/observability/users/" + detailUsers[i] + "/" }, 200)},
		{"user/detail-window-1d", each(func(i int) string {
			return "/api/v1/observability/users/" + detailUsers[i] + "/?scope=window&" + dayWin
		}, 200)},
		{"user/timeseries-7d-hourly", each(func(i int) string {
			return "/api/v1/observability/users/" + detailUsers[i] + "/timeseries/?bucket=hour&start=" +
				ts(benchEnd.Add(-7*24*time.Hour)) + "&end=" + ts(benchEnd)
		}, 200)},
		{"sessions/first-page", repeat("/api/v1/observability/sessions/")},
		{"sessions/deep-cursor", repeat("/api/v1/observability/sessions/?cursor=" + deepSessions)},
		{"sessions/window-1d", repeat("/api/v1/observability/sessions/?" + dayWin)},
		{"sessions/window-1d-sort-cost", repeat("/api/v1/observability/sessions/?sort=-total_cost&" + dayWin)},
		{"sessions/by-user", each(func(i int) string { return "/api/v1/observability/sessions/?user_id=" + detailUsers[i] }, 200)},
		// The ten users with the most runs (user 0 has about 1% of them),
		// which a sample of 200 rarely draws.
		{"sessions/by-top-user", each(func(i int) string { return "/api/v1/observability/sessions/?user_id=" + benchUserID(i) }, 10)},
		// The same in an order that their index does not hold: a top-N of all their sessions.
		{"sessions/by-top-user-sort-cost", each(func(i int) string {
			return "/api/v1/observability/sessions/?sort=-total_cost&user_id=" + benchUserID(i)
		}, 10)},
		{"session/detail", each(func(i int) string { return "/api/v1/observability/sessions/" + sessionIDs[i%len(sessionIDs)] + "/" }, 500)},
		{"runs/by-user", each(func(i int) string { return "/api/v1/observability/runs/?user_id=" + detailUsers[i] }, 200)},
		{"runs/by-top-user", each(func(i int) string { return "/api/v1/observability/runs/?user_id=" + benchUserID(i) }, 10)},
		{"runs/by-top-user-deep-cursor", repeat("/api/v1/observability/runs/?user_id=" + benchUserID(0) + "&cursor=" + deepRuns)},
		{"runs/by-top-user-window-1d", each(func(i int) string {
			return "/api/v1/observability/runs/?user_id=" + benchUserID(i) + "&" + dayWin
		}, 10)},
		{"runs/by-top-user-agent", each(func(i int) string {
			return "/api/v1/observability/runs/?user_id=" + benchUserID(i) + "&agent=" + benchAgents[i%len(benchAgents)]
		}, 10)},
		{"runs/by-session", each(func(i int) string { return "/api/v1/observability/runs/?session_id=" + sessionIDs[i%len(sessionIDs)] }, 500)},
		{"run/detail", each(func(i int) string { return fmt.Sprintf("/api/v1/observability/runs/%d/", runIDs[i%len(runIDs)]) }, 500)},
		{"overview/1h", repeat("/api/v1/observability/overview/?" + hourWin)},
		{"overview/1d", repeat("/api/v1/observability/overview/?" + dayWin)},
		{"overview/7d", repeat("/api/v1/observability/overview/?" + weekWin)},
	}
	var report []string
	for _, c := range cases {
		// The first request computes the population statistics of the
		// flags (cached for a minute): timed apart, as "cold".
		t0 := time.Now()
		code, body := get(c.targets[0])
		cold := time.Since(t0)
		require.Equal(b, http.StatusOK, code, "%s: %s", c.targets[0], body)
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				target := c.targets[i%len(c.targets)]
				t0 := time.Now()
				code, body := get(target)
				lat = append(lat, time.Since(t0))
				if code != http.StatusOK {
					b.Fatalf("%s: %d %s", target, code, body)
				}
			}
			slices.Sort(lat)
			q := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(math.Ceil(p*float64(len(lat))))-1)].Microseconds()) / 1000
			}
			b.ReportMetric(q(0.5), "p50-ms")
			b.ReportMetric(q(0.95), "p95-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(0, "ns/op")
			if len(lat) >= 20 {
				// The machine's load average (Linux): a shared machine inflates tails.
				load := "unknown"
				if raw, err := os.ReadFile("/proc/loadavg"); err == nil && len(strings.Fields(string(raw))) >= 3 {
					load = strings.Join(strings.Fields(string(raw))[:3], " ")
				}
				report = append(report, fmt.Sprintf("%-30s p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms  (n=%d, first request %.0f ms, load %s)",
					c.name, q(0.5), q(0.95), q(0.99), len(lat), float64(cold.Microseconds())/1000, load))
			}
		})
	}
	b.Logf("p95 at %d users, %d runs:\n%s", users, runs, strings.Join(report, "\n"))
	_ = store.ErrNotFound
}
