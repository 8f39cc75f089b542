package waxellexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// TestQueryTimeout: a read of the API or the UI that outlasts
// api.query_timeout is answered with 503 `timeout`, stops in PostgreSQL
// (it no longer waits there), and is logged and counted; reads work again
// once the cause is gone. The read is held up by a lock on the users table.
func TestQueryTimeout(t *testing.T) {
	ctx := context.Background()
	env, e, dsn := startBounded(t, 300*time.Millisecond, 1)
	serving := env.logs.FilterMessage("Serving the Waxell API").All()
	require.Len(t, serving, 1)
	assert.Equal(t, int64(1), serving[0].ContextMap()["max_concurrent_queries"], "the bounds are logged at start")
	assert.Equal(t, 300*time.Millisecond, serving[0].ContextMap()["query_timeout"])
	assert.Equal(t, 600*time.Millisecond, serving[0].ContextMap()["export_timeout"])
	require.NoError(t, e.pushTraces(ctx, canonicalTraces(1, "alice")))
	base := "http://" + e.apiAddr

	conn, unlock := lockTable(t, dsn, "users")

	code, body := boundedGet(t, base+"/api/v1/observability/users/")
	require.Equal(t, http.StatusServiceUnavailable, code, body)
	var envelope errorResponse
	require.NoError(t, json.Unmarshal([]byte(body), &envelope), body)
	assert.Equal(t, "timeout", envelope.Error.Code)
	assert.Equal(t, "abuse-flag statistics: the query did not finish within 300ms; narrow the time window or add filters",
		envelope.Error.Message)
	pgtest.WaitForLockWaits(t, conn, "the timed-out read still waits for the lock in PostgreSQL",
		func(waiting int) bool { return waiting == 0 })

	code, body = boundedGet(t, base+"/users/alice")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "This view took too long")
	assert.Contains(t, body, "It did not finish within 300ms.")

	assert.Equal(t, int64(2), env.sum(t, metricQueriesTimedOut, attribute.Bool(attrQueued, false)))
	logged := env.logs.FilterMessageSnippet("hit the query bounds").All()
	require.Len(t, logged, 2)
	assert.Equal(t, "abuse-flag statistics", logged[0].ContextMap()["operation"])

	unlock()
	code, body = boundedGet(t, base+"/api/v1/observability/users/")
	require.Equal(t, http.StatusOK, code, body)
	assert.True(t, strings.Contains(body, `"user_id":"alice"`), body)

	// A CSV export that times out (its statistics are cached now), at
	// api.export_timeout, is an error response too, not a truncated file.
	_, unlock = lockTable(t, dsn, "users")
	code, body = boundedGet(t, base+"/api/v1/observability/users/?format=csv")
	require.Equal(t, http.StatusServiceUnavailable, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &envelope), body)
	assert.Equal(t, "timeout", envelope.Error.Code)
	assert.True(t, strings.HasPrefix(envelope.Error.Message, "export users: the query did not finish within 600ms"),
		envelope.Error.Message)
	unlock()
	code, body = boundedGet(t, base+"/api/v1/observability/users/?format=csv")
	require.Equal(t, http.StatusOK, code, body)
	assert.True(t, strings.HasPrefix(body, "user_id,run_count,"), body)
	assert.Contains(t, body, "\nalice,1,")
}

// TestLightReadsPassHeavyOnes: with two query slots, heavy reads (here
// windowed lists, held up by a lock on user_hours) hold at most one, so
// light reads (a user's detail, a lifetime page) are answered while they
// wait; and the heavy ones finish once the lock is gone.
func TestLightReadsPassHeavyOnes(t *testing.T) {
	ctx := context.Background()
	env, e, dsn := startBounded(t, time.Minute, 2)
	require.NoError(t, e.pushTraces(ctx, canonicalTraces(1, "alice")))
	base := "http://" + e.apiAddr
	lifetime := base + "/api/v1/observability/users/"
	code, body := boundedGet(t, lifetime) // and the lifetime flag statistics are cached
	require.Equal(t, http.StatusOK, code, body)

	conn, unlock := lockTable(t, dsn, "user_hours")

	// Two windows: requests for one window share one computation of its
	// flag statistics, so they would take one slot between them.
	heavy := make(chan string, 2)
	launched := time.Now()
	for i := range 2 {
		window := fmt.Sprintf("%s/api/v1/observability/users/?scope=window&start=%s&end=%s", base,
			url.QueryEscape(t0.Add(-time.Duration(3+i)*time.Hour).Format(time.RFC3339)),
			url.QueryEscape(t0.Add(3*time.Hour).Format(time.RFC3339)))
		go func() {
			code, body, err := fetch(window)
			heavy <- fmt.Sprint(code, " ", body, err)
		}()
	}
	waiting := func() int {
		n, err := pgtest.LockWaits(ctx, conn)
		require.NoError(t, err)
		return n
	}
	pgtest.WaitForLockWaits(t, conn, "one heavy read waits for the lock in PostgreSQL",
		func(waiting int) bool { return waiting == 1 })

	// Light reads that do not read user_hours themselves.
	for _, target := range []string{base + "/api/v1/observability/users/alice/", lifetime, base + "/"} {
		code, body := boundedGet(t, target)
		assert.Equal(t, http.StatusOK, code, "%s beside the heavy reads: %s", target, body)
	}
	assert.Equal(t, 1, waiting(), "the other heavy read waits for its slot, not in PostgreSQL")
	assert.Empty(t, heavy, "the heavy reads are still held up")

	// Hold the lock a while, so that the second heavy read's wait in the
	// gate is long next to a loopback request's latency.
	const hold = 200 * time.Millisecond
	require.Eventually(t, func() bool { return time.Since(launched) >= hold }, 10*time.Second, time.Millisecond)
	assert.Equal(t, uint64(2), env.histogram(t, metricQueriesWait, attribute.Bool(attrHeavy, true)).Count,
		"heavy reads admitted while the lock holds the first window's: the lifetime and that window's statistics")
	unlock()
	for range 2 {
		got := <-heavy
		assert.True(t, strings.HasPrefix(got, "200 "), got)
		assert.Contains(t, got, `"user_id":"alice"`)
	}
	assert.Empty(t, env.logs.FilterMessageSnippet("hit the query bounds").All())

	// Each window's list is two heavy reads (its flag statistics, its page);
	// the light ones are the detail, two lifetime lists (the first also
	// computed the lifetime statistics, a heavy read) and the UI's page with
	// its agents.
	heavyWaits := env.histogram(t, metricQueriesWait, attribute.Bool(attrHeavy, true))
	lightWaits := env.histogram(t, metricQueriesWait, attribute.Bool(attrHeavy, false))
	assert.Equal(t, uint64(5), heavyWaits.Count, "heavy reads admitted")
	assert.Equal(t, uint64(5), lightWaits.Count, "light reads admitted")
	longest, ok := heavyWaits.Max.Value()
	require.True(t, ok)
	assert.GreaterOrEqual(t, longest, (hold / 2).Seconds(),
		"the second window's read waited in the gate while the lock held the first")
}

// startBounded starts an exporter into a new PostgreSQL database (a pool of
// 4) whose API has the query bounds timeout and slots; it returns the
// database's DSN too.
func startBounded(t *testing.T, timeout time.Duration, slots int) (*testEnv, *waxellExporter, string) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	env := newTestEnv(t)
	cfg := sqliteConfig(t)
	cfg.Store.Driver = DriverPostgres
	cfg.Store.Postgres.DSN = configopaque.String(dsn)
	cfg.Store.Postgres.MaxConns = 4
	cfg.API.Get().QueryTimeout = timeout
	cfg.API.Get().ExportTimeout = 2 * timeout
	cfg.API.Get().MaxConcurrentQueries = slots
	return env, startExporter(t, env, cfg), dsn
}

// lockTable locks table in a transaction of its own connection, which it
// returns (to watch the lock's waiters), until unlock.
func lockTable(t *testing.T, dsn, table string) (conn *pgx.Conn, unlock func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `LOCK TABLE `+pgx.Identifier{table}.Sanitize()+` IN ACCESS EXCLUSIVE MODE`)
	require.NoError(t, err)
	return conn, func() { require.NoError(t, tx.Commit(ctx)) }
}

// boundedGet reads url within 20s, so that a read the gate fails to stop
// fails the test rather than hanging it; it returns the status and body.
func boundedGet(t *testing.T, url string) (int, string) {
	t.Helper()
	code, body, err := fetch(url)
	require.NoError(t, err, "the read was not stopped by the query timeout")
	return code, body
}

// fetch is boundedGet for other goroutines than the test's.
func fetch(url string) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	if err != nil {
		return 0, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

type errorResponse struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// histogram is the one data point of the histogram name with attrs.
func (env *testEnv) histogram(t *testing.T, name string, attrs ...attribute.KeyValue) metricdata.HistogramDataPoint[float64] {
	t.Helper()
	m, err := env.tel.GetMetric(name)
	require.NoError(t, err)
	data, ok := m.Data.(metricdata.Histogram[float64])
	require.True(t, ok)
	want := attribute.NewSet(attrs...)
	for _, dp := range data.DataPoints {
		if dp.Attributes.Equals(&want) {
			return dp
		}
	}
	t.Fatalf("%s has no data point with %v", name, attrs)
	return metricdata.HistogramDataPoint[float64]{}
}

// TestExportOutlastsWriteTimeout: a CSV export may take longer than
// api.write_timeout, which cuts an ordinary response short: its write
// deadline is api.export_timeout from the start of its read, and again from
// the start of its download. Both reads are held up by a lock on the users
// table for twice the write timeout.
func TestExportOutlastsWriteTimeout(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	cfg := sqliteConfig(t)
	cfg.Store.Driver = DriverPostgres
	cfg.Store.Postgres.DSN = configopaque.String(dsn)
	cfg.Store.Postgres.MaxConns = 4
	const writeTimeout = 300 * time.Millisecond
	cfg.API.Get().WriteTimeout = writeTimeout
	e := startExporter(t, newTestEnv(t), cfg)
	require.NoError(t, e.pushTraces(ctx, canonicalTraces(1, "alice")))
	list := "http://" + e.apiAddr + "/api/v1/observability/users/"
	code, body := boundedGet(t, list) // the flag statistics are cached from now on
	require.Equal(t, http.StatusOK, code, body)

	// A connection per request: a client that retried a cut response on a
	// new connection would hide the cut.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for _, tc := range []struct {
		target string
		export bool
	}{{list + "?format=csv", true}, {list, false}} {
		conn, unlock := lockTable(t, dsn, "users")
		type result struct {
			code int
			body string
			err  error
		}
		done := make(chan result, 1)
		launched := time.Now()
		go func() {
			var r result
			resp, err := client.Get(tc.target)
			if r.err = err; err == nil {
				b, err := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				r.code, r.body, r.err = resp.StatusCode, string(b), err
			}
			done <- r
		}()
		pgtest.WaitForLockWaits(t, conn, "the read waits for the lock", func(waiting int) bool { return waiting == 1 })
		require.Eventually(t, func() bool { return time.Since(launched) >= 2*writeTimeout }, 10*time.Second, time.Millisecond)
		unlock()
		r := <-done
		if tc.export {
			require.NoError(t, r.err, "the export outlasts the write timeout")
			assert.Equal(t, http.StatusOK, r.code, r.body)
			assert.Contains(t, r.body, "\nalice,1,")
			continue
		}
		assert.Error(t, r.err, "an ordinary response past the write timeout is cut: %d %q", r.code, r.body)
	}
}
