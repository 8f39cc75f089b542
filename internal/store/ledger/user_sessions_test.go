package ledger

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

func TestDiffUserSessions(t *testing.T) {
	run := func(root byte, user, session string, cost int64) genai.Run {
		r := genai.Run{TraceID: pcommon.TraceID{1}, RootSpanID: pcommon.SpanID{root}, UserID: user,
			SessionID: session, Start: 10, End: 20, CostNanos: cost}
		r.Key = genai.RunKey(r.TraceID, r.RootSpanID)
		return r
	}
	stored := func(runs ...genai.Run) []StoredRun {
		out := make([]StoredRun, len(runs))
		for i, r := range runs {
			out[i] = StoredRun{ID: int64(i + 1), Run: r}
		}
		return out
	}
	tests := []struct {
		name     string
		old, new []genai.Run
		want     []UserSessionDelta
	}{
		{"new runs, sorted by session then user; none without a user or session",
			nil,
			[]genai.Run{run(1, "u2", "s1", 1), run(2, "u1", "s2", 1), run(3, "u1", "s1", 1), run(4, "u1", "s1", 1),
				run(5, "", "s1", 1), run(6, "u1", "", 1)},
			[]UserSessionDelta{{"s1", "u1", 2}, {"s1", "u2", 1}, {"s2", "u1", 1}}},
		{"a changed cost changes no membership",
			[]genai.Run{run(1, "u1", "s1", 1)}, []genai.Run{run(1, "u1", "s1", 9)}, nil},
		{"a run moved to another user",
			[]genai.Run{run(1, "u1", "s1", 1)}, []genai.Run{run(1, "u2", "s1", 1)},
			[]UserSessionDelta{{"s1", "u1", -1}, {"s1", "u2", 1}}},
		{"a run moved to another session",
			[]genai.Run{run(1, "u1", "s1", 1)}, []genai.Run{run(1, "u1", "s0", 1)},
			[]UserSessionDelta{{"s0", "u1", 1}, {"s1", "u1", -1}}},
		{"a run deleted and another added in the same membership cancel out",
			[]genai.Run{run(1, "u1", "s1", 1)}, []genai.Run{run(2, "u1", "s1", 1)}, nil},
		{"a run deleted",
			[]genai.Run{run(1, "u1", "s1", 1), run(2, "u1", "s1", 1)}, []genai.Run{run(2, "u1", "s1", 1)},
			[]UserSessionDelta{{"s1", "u1", -1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := Diff(stored(tt.old...), nil, tt.new, nil)
			require.Equal(t, tt.want, ch.UserSessions)
		})
	}
}

func TestRetiredUserSessions(t *testing.T) {
	runs := []genai.Run{{UserID: "u2", SessionID: "s1"}, {UserID: "u1", SessionID: "s1"}, {UserID: "u2", SessionID: "s1"},
		{UserID: "", SessionID: "s1"}, {UserID: "u1", SessionID: ""}}
	require.Equal(t, []UserSessionDelta{{"s1", "u1", -1}, {"s1", "u2", -2}}, RetiredUserSessions(runs))
	require.Empty(t, RetiredUserSessions(nil))
}
