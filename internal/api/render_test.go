package api

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
)

func TestFormatUSD(t *testing.T) {
	tests := []struct {
		nanos int64
		want  string
	}{
		{0, "0"},
		{1, "0"},
		{499, "0"},
		{500, "0.000001"}, // half rounds up
		{999, "0.000001"},
		{1000, "0.000001"},
		{1499, "0.000001"},
		{1500, "0.000002"},
		{8_900_000, "0.0089"},
		{1_234_567_000, "1.234567"},
		{1_234_567_499, "1.234567"},
		{1_234_567_500, "1.234568"},
		{987_654_321, "0.987654"},
		{246_913_500, "0.246914"},
		{999_999_499, "0.999999"},
		{999_999_500, "1"}, // carries into the dollars
		{1_000_000_000, "1"},
		{10_000_000_000, "10"},
		{12_300_000_000, "12.3"},
		{100_000, "0.0001"},
		{-1_500, "-0.000002"}, // half away from zero
		{-499, "0"},           // never "-0"
		{math.MaxInt64, "9223372036.854776"},
		{math.MinInt64, "-9223372036.854776"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, formatUSD(tt.nanos), "formatUSD(%d)", tt.nanos)
	}
}

func TestFormatSeconds(t *testing.T) {
	tests := []struct {
		ns   int64
		want string
	}{
		{0, "0"},
		{1, "0.000000001"},
		{10, "0.00000001"},
		{999_999_999, "0.999999999"},
		{1_000_000_000, "1"},
		{2_800_000_000, "2.8"},
		{245_800_000_000, "245.8"},
		{3_000_000_001, "3.000000001"},
		{120_000_000_000, "120"},
		{1_500_000, "0.0015"},
		{-2_500_000_000, "-2.5"},
		{math.MaxInt64, "9223372036.854775807"},
		{math.MinInt64, "-9223372036.854775808"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, formatSeconds(tt.ns), "formatSeconds(%d)", tt.ns)
	}
}

func TestFormatTime(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 1, 15, 8, 30, 0, 0, time.UTC), "2026-01-15T08:30:00Z"},
		{time.Date(2026, 2, 7, 14, 22, 0, 500_000_000, time.UTC), "2026-02-07T14:22:00.5Z"},
		{time.Date(2026, 2, 7, 14, 22, 0, 1, time.UTC), "2026-02-07T14:22:00.000000001Z"},
		{time.Date(2026, 2, 7, 14, 22, 0, 120_000, time.UTC), "2026-02-07T14:22:00.00012Z"},
		{time.Date(2026, 2, 7, 16, 22, 0, 0, time.FixedZone("", 2*3600)), "2026-02-07T14:22:00Z"},
		{time.Unix(0, 0), "1970-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, formatTime(tt.t.UnixNano()))
	}
}

// The JSON numbers are emitted verbatim and stay valid JSON numbers.
func TestUnitMarshalJSON(t *testing.T) {
	v := struct {
		C usd       `json:"c"`
		D seconds   `json:"d"`
		T timestamp `json:"t"`
	}{usd(8_900_000), seconds(245_800_000_000), timestamp(time.Date(2026, 1, 15, 8, 30, 0, 0, time.UTC).UnixNano())}
	b, err := json.Marshal(v)
	require.NoError(t, err)
	assert.Equal(t, `{"c":0.0089,"d":245.8,"t":"2026-01-15T08:30:00Z"}`, string(b))
}

func TestRenderUserDetailEdges(t *testing.T) {
	d := store.UserDetail{
		Summary: store.UserSummary{UserID: "u"}, // nil agents, no models, no runs
	}
	b, err := json.Marshal(renderUserDetail(d))
	require.NoError(t, err)
	assert.Equal(t, `{"user_id":"u","aggregates":{"run_count":0,"total_duration":0,"total_cost":0,"total_tokens":0,`+
		`"agents":[],"first_seen":"1970-01-01T00:00:00Z","last_seen":"1970-01-01T00:00:00Z"},"cost_by_model":[],"runs":[]}`,
		string(b))

	d.Runs = []store.RunSummary{{ID: 7, AgentName: "a", WorkflowName: "w", SessionID: "s", Start: 10, End: 5, Error: true}}
	d.CostByModel = []store.ModelCost{{Model: "m", UnpricedCalls: 1, CallCount: 1}}
	out := renderUserDetail(d)
	require.Len(t, out.Runs, 1)
	assert.Equal(t, seconds(0), out.Runs[0].Duration, "a run ending before it starts lasts 0")
	assert.Equal(t, statusError, out.Runs[0].Status)
	require.NotNil(t, out.Runs[0].SessionID)
	assert.Equal(t, "s", *out.Runs[0].SessionID)
	assert.True(t, out.CostByModel[0].Unpriced)
}
