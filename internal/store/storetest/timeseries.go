package storetest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
)

// tsRun is one run of the timeseries tests: an agent root span and one LLM
// call with usage.
func tsRun(n byte, user, agent, model string, start int64, cost, tokens int64) []genai.Span {
	tid := pcommon.TraceID{0x75, 0x73, n}
	root := pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, 1}
	return []genai.Span{
		{TraceID: tid, SpanID: root, Start: start, End: start + 3e9, Role: genai.RoleAgent, AgentName: agent, UserID: user},
		{TraceID: tid, SpanID: pcommon.SpanID{0, 0, 0, 0, 0, 0, 0, 2}, ParentSpanID: root, Start: start + 1e9,
			End: start + 2e9, Role: genai.RoleLLM, Model: model, HasUsage: true, Usage: genai.Usage{Input: tokens, Output: 0},
			CostNanos: cost, CostSource: genai.CostComputed},
	}
}

// TimeseriesStore is what RunTimeseries needs from a store.
type TimeseriesStore interface {
	ApplySpans(ctx context.Context, spans []genai.Span) (ledger.Stats, error)
	UserTimeseries(ctx context.Context, q store.TimeseriesQuery) ([]store.Point, error)
	ListAgents(ctx context.Context) ([]string, error)
}

// RunTimeseries checks UserTimeseries and ListAgents on an empty store.
func RunTimeseries(t *testing.T, s TimeseriesStore) {
	ctx := context.Background()
	agents, err := s.ListAgents(ctx)
	require.NoError(t, err)
	require.Empty(t, agents)

	day0 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	at := func(day, hour, minute int) int64 {
		return day0.Add(time.Duration(day)*24*time.Hour + time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute).UnixNano()
	}
	var spans []genai.Span
	spans = append(spans, tsRun(1, "alice", "support", "gpt-4o", at(0, 9, 5), 1000, 10)...)
	spans = append(spans, tsRun(2, "alice", "support", "gpt-4o-mini", at(0, 9, 50), 200, 20)...)
	spans = append(spans, tsRun(3, "alice", "coder", "gpt-4o", at(2, 23, 59), 3000, 30)...)
	spans = append(spans, tsRun(4, "bob", "batch", "gpt-4o", at(1, 0, 0), 7, 7)...)
	spans = append(spans, tsRun(5, "alice", "coder", "gpt-4o", at(5, 1, 0), 50, 5)...) // outside the range below
	_, err = s.ApplySpans(ctx, spans)
	require.NoError(t, err)

	agents, err = s.ListAgents(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"batch", "coder", "support"}, agents)

	// Day buckets: start rounded down, empty days present, end exclusive.
	pts, err := s.UserTimeseries(ctx, store.TimeseriesQuery{UserID: "alice", Start: day0.Add(7 * time.Hour),
		End: day0.Add(3 * 24 * time.Hour), Bucket: store.BucketDay})
	require.NoError(t, err)
	require.Len(t, pts, 3)
	require.Equal(t, day0.UnixNano(), pts[0].T)
	require.Equal(t, store.Point{T: day0.UnixNano(), RunCount: 2, TotalCost: 1200, TotalTokens: 30, TotalDuration: 6e9,
		Models: []store.ModelPoint{
			{Model: "gpt-4o", TotalCost: 1000, TotalTokens: 10, CallCount: 1},
			{Model: "gpt-4o-mini", TotalCost: 200, TotalTokens: 20, CallCount: 1},
		}}, pts[0])
	require.Equal(t, store.Point{T: at(1, 0, 0)}, pts[1])
	require.Equal(t, int64(1), pts[2].RunCount)
	require.Equal(t, int64(3000), pts[2].TotalCost)

	// Hour buckets: a partial last bucket is present.
	pts, err = s.UserTimeseries(ctx, store.TimeseriesQuery{UserID: "alice", Start: time.Unix(0, at(0, 8, 30)),
		End: time.Unix(0, at(0, 10, 1)), Bucket: store.BucketHour})
	require.NoError(t, err)
	require.Len(t, pts, 3)
	require.Equal(t, []int64{at(0, 8, 0), at(0, 9, 0), at(0, 10, 0)}, []int64{pts[0].T, pts[1].T, pts[2].T})
	require.Equal(t, []int64{0, 2, 0}, []int64{pts[0].RunCount, pts[1].RunCount, pts[2].RunCount})

	// An empty range is an empty series, not an error.
	pts, err = s.UserTimeseries(ctx, store.TimeseriesQuery{UserID: "alice", Start: day0, End: day0, Bucket: store.BucketDay})
	require.NoError(t, err)
	require.Empty(t, pts)

	_, err = s.UserTimeseries(ctx, store.TimeseriesQuery{UserID: "nobody", Start: day0, End: day0.Add(time.Hour), Bucket: store.BucketHour})
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.UserTimeseries(ctx, store.TimeseriesQuery{UserID: "alice", Start: day0, End: day0.Add(time.Hour), Bucket: "week"})
	require.Error(t, err)
	_, err = s.UserTimeseries(ctx, store.TimeseriesQuery{UserID: "alice", End: day0, Bucket: store.BucketDay})
	require.Error(t, err)
	_, err = s.UserTimeseries(ctx, store.TimeseriesQuery{UserID: "alice", Start: time.Unix(0, math.MinInt64),
		End: time.Unix(0, math.MaxInt64), Bucket: store.BucketHour})
	require.Error(t, err)
}
