package waxellexporter

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHighUsageK: api.high_usage_k is the k of the API's default and of the
// UI. Ten users have one run and "heavy" has ten: with k = 3.5 the run
// counts' threshold is 1 + 3.5 x 1.253314 x 9/11 = 4.6, so heavy is
// flagged; with k = 100 it is 103.6, and nobody is, unless a request
// asks for k itself.
func TestHighUsageK(t *testing.T) {
	for _, tc := range []struct {
		k       float64
		flagged int64
		ui      string
	}{
		{3.5, 1, "1 user flagged for high usage"},
		{100, 0, "Nobody is flagged for high usage."},
	} {
		t.Run(fmt.Sprint(tc.k), func(t *testing.T) {
			cfg := sqliteConfig(t)
			cfg.API.Get().HighUsageK = tc.k
			e := startExporter(t, newTestEnv(t), cfg)
			pushOneHeavyUser(t, e)
			base := "http://" + e.apiAddr
			var list struct {
				Count int64 `json:"count"`
			}
			require.Equal(t, http.StatusOK, getJSON(t, base+"/api/v1/observability/users/?flag=high_usage", &list))
			assert.Equal(t, tc.flagged, list.Count, "the API's default k")
			require.Equal(t, http.StatusOK, getJSON(t, base+"/api/v1/observability/users/?flag=high_usage&flag_k=3.5", &list))
			assert.Equal(t, int64(1), list.Count, "a request's own k")
			resp, body := get(t, base+"/?flag=high_usage", nil)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Contains(t, body, tc.ui, "the UI's k")
		})
	}
}

// TestHighUsageStatsTTL: api.high_usage_stats_ttl is how long the flags'
// statistics are reused. Ten users have one run and "heavy" ten: heavy is
// flagged (threshold 4.6 runs, above). Then ten more users run ten times
// each: the median becomes 10 and the threshold 10 + 3.5 x 1.253314 x 90/21
// = 28.8, so nobody is flagged, once the statistics are recomputed. Until
// then the eleven users with ten runs are all above the old threshold.
func TestHighUsageStatsTTL(t *testing.T) {
	for _, tc := range []struct {
		ttl   time.Duration
		fresh bool
	}{{time.Hour, false}, {time.Millisecond, true}} {
		t.Run(tc.ttl.String(), func(t *testing.T) {
			cfg := sqliteConfig(t)
			cfg.API.Get().HighUsageStatsTTL = tc.ttl
			e := startExporter(t, newTestEnv(t), cfg)
			pushOneHeavyUser(t, e)
			flagged := func() int64 {
				var list struct {
					Count int64 `json:"count"`
				}
				require.Equal(t, http.StatusOK, getJSON(t, "http://"+e.apiAddr+"/api/v1/observability/users/?flag=high_usage", &list))
				return list.Count
			}
			require.Equal(t, int64(1), flagged())
			for u := range 10 {
				for r := range 10 {
					require.NoError(t, e.pushTraces(context.Background(), canonicalTraces(byte(111+10*u+r), fmt.Sprintf("busy-%d", u))))
				}
			}
			if tc.fresh {
				require.Eventually(t, func() bool { return flagged() == 0 }, 10*time.Second, 5*time.Millisecond,
					"recomputed statistics flag nobody")
				return
			}
			assert.Equal(t, int64(11), flagged(), "the statistics of the first request")
			assert.Equal(t, int64(11), flagged(), "still within the TTL")
		})
	}
}

// pushOneHeavyUser stores ten users with one run each (traces 1 to 10) and
// "heavy" with ten (traces 101 to 110).
func pushOneHeavyUser(t *testing.T, e *waxellExporter) {
	t.Helper()
	for i := range 10 {
		require.NoError(t, e.pushTraces(context.Background(), canonicalTraces(byte(1+i), fmt.Sprintf("user-%d", i))))
		require.NoError(t, e.pushTraces(context.Background(), canonicalTraces(byte(101+i), "heavy")))
	}
}

// TestTraceURL: api.trace_url links a run's trace id in the UI.
func TestTraceURL(t *testing.T) {
	cfg := sqliteConfig(t)
	cfg.API.Get().TraceURL = "https://jaeger.example/trace/{trace_id}"
	e := startExporter(t, newTestEnv(t), cfg)
	require.NoError(t, e.pushTraces(context.Background(), canonicalTraces(7, "alice")))
	base := "http://" + e.apiAddr
	resp, body := get(t, base+"/users/alice", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	i := strings.Index(body, `href="/runs/`)
	require.GreaterOrEqual(t, i, 0, "the user's page links its run")
	run := body[i+len(`href="`):]
	run = run[:strings.IndexByte(run, '"')]
	resp, body = get(t, base+run, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, `href="https://jaeger.example/trace/`+traceID(7).String()+`"`)
}
