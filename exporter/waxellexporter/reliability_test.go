package waxellexporter

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

func startExporter(t *testing.T, env *testEnv, cfg *Config) *waxellExporter {
	t.Helper()
	e, err := newWaxellExporter(env.set, cfg)
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, e.shutdown(context.Background())) })
	return e
}

func get(t *testing.T, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, http.NoBody)
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// TestSecurityHeaders: every response of the API carries nosniff and a
// Content-Security-Policy that allows nothing; UI pages carry the UI's own
// policy; CORS is off unless configured; over-long URLs are refused.
func TestSecurityHeaders(t *testing.T) {
	env := newTestEnv(t)
	e := startExporter(t, env, sqliteConfig(t))
	require.NoError(t, e.pushTraces(context.Background(), canonicalTraces(1, "<script>alert(1)</script>")))
	base := "http://" + e.apiAddr

	for _, path := range []string{"/api/v1/observability/users/", "/api/v1/observability/users/nobody/", "/api/nothing",
		"/api/v1/observability/users/?sort=bogus", "/api/v1/admin/verify"} {
		resp, body := get(t, base+path, map[string]string{"Origin": "https://evil.example"})
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), path)
		assert.Equal(t, apiContentSecurityPolicy, resp.Header.Get("Content-Security-Policy"), path)
		assert.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"), path)
		assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), "%s: CORS is off by default", path)
		assert.NotContains(t, body, "<script>", "%s: markup in JSON is escaped", path)
	}

	resp, body := get(t, base+"/", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'", "the UI's own policy")
	assert.NotContains(t, body, "<script>alert(1)</script>", "the UI escapes user ids")
	assert.Contains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;")

	resp, body = get(t, base+"/api/v1/observability/users/?search="+strings.Repeat("a", maxURLBytes), nil)
	assert.Equal(t, http.StatusRequestURITooLong, resp.StatusCode)
	assert.Contains(t, body, `"uri_too_long"`)
}

func TestCORSOnlyWhenConfigured(t *testing.T) {
	env := newTestEnv(t)
	cfg := sqliteConfig(t)
	cfg.API.Get().CORS = configoptional.Some(confighttp.CORSConfig{AllowedOrigins: []string{"https://dash.example"}})
	e := startExporter(t, env, cfg)
	url := "http://" + e.apiAddr + "/api/v1/observability/users/"

	resp, _ := get(t, url, map[string]string{"Origin": "https://dash.example"})
	assert.Equal(t, "https://dash.example", resp.Header.Get("Access-Control-Allow-Origin"))
	resp, _ = get(t, url, map[string]string{"Origin": "https://evil.example"})
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
}

// TestStoreOutageLogged: a failing store is reported once, then at most
// once a minute, and its recovery is reported; every failed attempt is
// counted and returned for retry (never dropped).
func TestStoreOutageLogged(t *testing.T) {
	env := newTestEnv(t)
	st := &fakeStore{err: errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")}
	e := newFakeExporter(t, env, st)
	ctx := context.Background()

	for range 3 {
		err := e.pushTraces(ctx, canonicalTraces(1, "alice"))
		require.Error(t, err)
		assert.False(t, consumererror.IsPermanent(err), "a transient store error is retried, never dropped")
	}
	assert.Equal(t, int64(3), env.sum(t, metricBatchesFailed, attribute.Bool(attrPermanent, false)))
	assert.Equal(t, 1, env.logs.FilterMessageSnippet("Cannot write to the store").Len())
	assert.Zero(t, env.logs.FilterMessageSnippet("still failing").Len(), "rate-limited within the minute")

	st.err = nil
	require.NoError(t, e.pushTraces(ctx, canonicalTraces(1, "alice")))
	require.NoError(t, e.pushTraces(ctx, canonicalTraces(2, "bob")))
	rec := env.logs.FilterMessageSnippet("accepts writes again").All()
	require.Len(t, rec, 1, "the recovery is logged once")
	assert.Equal(t, int64(3), rec[0].ContextMap()["failed_attempts"])
	assert.Len(t, st.batches, 2)

	// A second outage is reported again.
	st.err = errors.New("connection reset by peer")
	require.Error(t, e.pushTraces(ctx, canonicalTraces(3, "carol")))
	assert.Equal(t, 2, env.logs.FilterMessageSnippet("Cannot write to the store").Len())
}

// TestSkippedSpansNotStored: spans the processor marked as skipped, and
// canonical spans without ids or times, are counted and never stored.
func TestSkippedSpansNotStored(t *testing.T) {
	env := newTestEnv(t)
	st := &fakeStore{}
	e := newFakeExporter(t, env, st)

	td := canonicalTraces(1, "alice")
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	genai.MarkSkipped(spans.AppendEmpty(), genai.SkipNoTimes)
	noID := spans.AppendEmpty()
	spans.At(1).CopyTo(noID)
	noID.SetSpanID(pcommon.SpanID{})
	noTimes := spans.AppendEmpty()
	spans.At(1).CopyTo(noTimes)
	noTimes.SetSpanID(spanID(9))
	noTimes.SetStartTimestamp(0)
	noTimes.SetEndTimestamp(0)

	require.NoError(t, e.pushTraces(context.Background(), td))
	require.Len(t, st.batches, 1)
	assert.Len(t, st.batches[0], 3, "only the three well-formed spans are stored")
	assert.Equal(t, int64(3), env.sum(t, metricSpansSkipped))
	assert.Zero(t, env.sum(t, metricWithoutCanonical), "skipped spans are not reported as a missing processor")
	assert.Zero(t, env.logs.FilterMessageSnippet("without canonical").Len())
}

// shiftTraces moves every span of td by d (canonical attributes do not
// hold times).
func shiftTraces(td ptrace.Traces, d time.Duration) ptrace.Traces {
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := 0; i < spans.Len(); i++ {
		s := spans.At(i)
		s.SetStartTimestamp(pcommon.Timestamp(int64(s.StartTimestamp()) + int64(d)))
		s.SetEndTimestamp(pcommon.Timestamp(int64(s.EndTimestamp()) + int64(d)))
	}
	return td
}

// TestRetention: the background retention deletes old traces and keeps
// recent ones; lifetime aggregates stay exact, a replayed span of a
// retired trace is ignored and counted, and shutdown stops the goroutine
// (goleak checks it in TestMain).
func TestRetention(t *testing.T) {
	env := newTestEnv(t)
	cfg := sqliteConfig(t)
	cfg.Retention = 24 * time.Hour
	cfg.RetentionInterval = 20 * time.Millisecond
	e := startExporter(t, env, cfg)
	ctx := context.Background()

	recent := time.Since(t0) - time.Hour                                                    // one hour ago
	require.NoError(t, e.pushTraces(ctx, canonicalTraces(1, "alice")))                      // 2026-09-01: old
	require.NoError(t, e.pushTraces(ctx, shiftTraces(canonicalTraces(2, "alice"), recent))) // recent
	require.NoError(t, e.pushTraces(ctx, canonicalTraces(3, "bob")))                        // old

	deadline := time.Now().Add(30 * time.Second)
	for env.sum(t, metricTracesRetired) < 2 {
		require.True(t, time.Now().Before(deadline), "retention did not run")
		time.Sleep(10 * time.Millisecond)
	}
	assert.Equal(t, int64(2), env.sum(t, metricTracesRetired), "the recent trace is kept")
	assert.Positive(t, env.logs.FilterMessageSnippet("Retention deleted old traces").Len())

	base := "http://" + e.apiAddr + "/api/v1/observability/users/"
	var user struct {
		Aggregates struct {
			RunCount    int64 `json:"run_count"`
			TotalTokens int64 `json:"total_tokens"`
		} `json:"aggregates"`
		Runs []map[string]any `json:"runs"`
	}
	require.Equal(t, http.StatusOK, getJSON(t, base+"alice/", &user))
	assert.Equal(t, int64(2), user.Aggregates.RunCount, "lifetime aggregates are kept")
	assert.Equal(t, int64(2*1215), user.Aggregates.TotalTokens)
	assert.Len(t, user.Runs, 1, "the old run itself is gone")
	require.Equal(t, http.StatusOK, getJSON(t, base+"bob/", &user))
	assert.Equal(t, int64(1), user.Aggregates.RunCount)
	assert.Empty(t, user.Runs)

	// A replay of a retired trace changes nothing and is counted.
	require.NoError(t, e.pushTraces(ctx, canonicalTraces(3, "bob")))
	assert.Equal(t, int64(3), env.sum(t, metricSpansRetired))
	assert.Equal(t, 1, env.logs.FilterMessageSnippet("retention already deleted").Len())
	require.Equal(t, http.StatusOK, getJSON(t, base+"bob/", &user))
	assert.Equal(t, int64(1), user.Aggregates.RunCount, "not counted twice")

	diffs, err := e.store.Verify(ctx)
	require.NoError(t, err)
	assert.Empty(t, diffs)
}
