package waxellexporter

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/otel/attribute"

	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// TestQueryTimeout: a read of the API or the UI that outlasts
// api.query_timeout is answered with 503 `timeout`, stops in PostgreSQL
// (it no longer waits there), and is logged and counted; reads work again
// once the cause is gone. The read is held up by a lock on the users table.
func TestQueryTimeout(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	env := newTestEnv(t)
	cfg := sqliteConfig(t)
	cfg.Store.Driver = DriverPostgres
	cfg.Store.Postgres.DSN = configopaque.String(dsn)
	cfg.Store.Postgres.MaxConns = 4
	cfg.API.Get().QueryTimeout = 300 * time.Millisecond
	cfg.API.Get().MaxConcurrentQueries = 1
	e := startExporter(t, env, cfg)
	serving := env.logs.FilterMessage("Serving the Waxell API").All()
	require.Len(t, serving, 1)
	assert.Equal(t, int64(1), serving[0].ContextMap()["max_concurrent_queries"], "the bounds are logged at start")
	assert.Equal(t, 300*time.Millisecond, serving[0].ContextMap()["query_timeout"])
	require.NoError(t, e.pushTraces(ctx, canonicalTraces(1, "alice")))
	base := "http://" + e.apiAddr

	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `LOCK TABLE users IN ACCESS EXCLUSIVE MODE`)
	require.NoError(t, err)

	// Bounded, so that a read the gate fails to stop fails the test rather
	// than hanging it.
	get := func(url string) (*http.Response, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err, "the read was not stopped by the query timeout")
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}
	resp, body := get(base + "/api/v1/observability/users/")
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, body)
	var envelope errorResponse
	require.NoError(t, json.Unmarshal([]byte(body), &envelope), body)
	assert.Equal(t, "timeout", envelope.Error.Code)
	assert.Equal(t, "abuse-flag statistics: the query did not finish within 300ms; narrow the time window or add filters",
		envelope.Error.Message)
	require.Eventually(t, func() bool {
		waiting, err := pgtest.LockWaits(ctx, conn)
		require.NoError(t, err)
		return waiting == 0
	}, 10*time.Second, 5*time.Millisecond,
		"the timed-out read still waits for the lock in PostgreSQL")

	resp, body = get(base + "/users/alice")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Contains(t, body, "This view took too long")
	assert.Contains(t, body, "It did not finish within 300ms.")

	assert.Equal(t, int64(2), env.sum(t, metricQueriesTimedOut, attribute.Bool(attrQueued, false)))
	logged := env.logs.FilterMessageSnippet("hit the query bounds").All()
	require.Len(t, logged, 2)
	assert.Equal(t, "abuse-flag statistics", logged[0].ContextMap()["operation"])

	require.NoError(t, tx.Commit(ctx))
	resp, body = get(base + "/api/v1/observability/users/")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.True(t, strings.Contains(body, `"user_id":"alice"`), body)
}

type errorResponse struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}
