package exactness

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func findSet(t testing.TB, name string) *traceSet {
	t.Helper()
	for _, s := range allSets(t) {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("no trace set %s", name)
	return nil
}

// partition splits a set's span indices by pred.
func (s *traceSet) partition(pred func(ptrace.Span) bool) (match, rest []int) {
	for i, r := range s.refs {
		if pred(s.span(r)) {
			match = append(match, i)
		} else {
			rest = append(rest, i)
		}
	}
	return match, rest
}

// agentsOf returns user id -> agents from a view's list.
func (v view) agentsOf(t testing.TB) map[string][]string {
	t.Helper()
	var l struct {
		Results []struct {
			UserID string   `json:"user_id"`
			Agents []string `json:"agents"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal(v.lists[listSorts[0]], &l))
	out := map[string][]string{}
	for _, r := range l.Results {
		out[r.UserID] = r.Agents
	}
	return out
}

// TestLateSpan (S7): the span that makes the run (the agent span, or the
// HTTP root that carries the user) arrives "an hour later": after the rest
// of its trace was stored and the API was read, in a batch of its own,
// after a restart of the store and through another processor instance
// (nothing can still be buffered). The answers must then change exactly to
// those of the whole trace, and stay there when the span comes yet again.
func TestLateSpan(t *testing.T) {
	cases := []struct {
		set  string
		late func(ptrace.Span) bool
		// What the API says before the late span arrives.
		before       map[string]userWant
		beforeAgents map[string][]string
		unchanged    bool // the late span adds nothing the API shows
	}{
		{
			// The outer ai.generateText is the run's agent span and repeats
			// the steps' usage: before it arrives the steps are an implicit
			// run named after the service; after, the run is the agent's,
			// and its tokens must not double.
			set:          "fixture/vercel-ai/v6_multi_step_run",
			late:         func(s ptrace.Span) bool { return s.Name() == "ai.generateText" },
			before:       map[string]userWant{"user-123": {1, 330}},
			beforeAgents: map[string][]string{"user-123": {"support-app"}},
		},
		{
			// The user is only on the agent span: before it arrives the
			// calls belong to nobody.
			set:    "fixture/otel-genai/multi_call_run",
			late:   func(s ptrace.Span) bool { return strings.HasPrefix(s.Name(), "invoke_agent") },
			before: map[string]userWant{},
		},
		{
			// The HTTP roots carry the users of an implicit run and of an
			// agent run without a user of its own.
			set:          "hazard/http-root-user",
			late:         func(s ptrace.Span) bool { return s.Kind() == ptrace.SpanKindServer },
			before:       map[string]userWant{"hz-http-own": {1, 15}},
			beforeAgents: map[string][]string{"hz-http-own": {"agent-b"}},
		},
		{
			// The agent span and the HTTP root above it: the run moves to
			// the earlier hour and to another user.
			set:          "hazard/hour-boundary",
			late:         func(s ptrace.Span) bool { return !strings.HasPrefix(s.Name(), "chat") },
			before:       map[string]userWant{"hz-hour-llm": {1, 130}},
			beforeAgents: map[string][]string{"hz-hour-llm": {"svc"}},
		},
		{
			// Sibling runs of a batch job: the job root adds nothing.
			set:       "hazard/batch-10-users",
			late:      func(s ptrace.Span) bool { return s.Name() == "batch-job" },
			before:    findSet(t, "hazard/batch-10-users").want,
			unchanged: true,
		},
	}
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			b := bk.new(t)
			c := newAPIClient(t)
			for _, tc := range cases {
				t.Run(tc.set, func(t *testing.T) {
					set := findSet(t, tc.set)
					late, rest := set.partition(tc.late)
					require.NotEmpty(t, late)
					require.NotEmpty(t, rest)

					run := &runner{set: set, pipe: newPipeline(t)}
					st := b.fresh(t)
					c.cur.set(st)
					run.run(t, st, run.whole())
					want := c.view(t)

					st = b.fresh(t)
					c.cur.set(st)
					run.run(t, st, plan{{kind: deliver, spans: rest}})
					before := c.view(t)
					c.verify(t, "before the late span")
					require.Equal(t, tc.before, before.users(t))
					if tc.beforeAgents != nil {
						require.Equal(t, tc.beforeAgents, before.agentsOf(t))
					}
					if tc.unchanged {
						require.Empty(t, before.diff(want))
					} else {
						require.NotEmpty(t, before.diff(want), "the late span must change the answers")
					}

					// An hour later: the store restarted, another processor.
					st = b.reopen(t, st)
					c.cur.set(st)
					later := &runner{set: set, pipe: newPipeline(t)}
					for range 2 { // the second time is a re-delivery
						later.run(t, st, plan{{kind: deliver, spans: late}})
						c.verify(t, "after the late span")
						if d := c.view(t).diff(want); len(d) > 0 {
							t.Fatalf("after the late span the answers differ from the whole trace's:\n%s", strings.Join(d, "\n"))
						}
					}
					require.Equal(t, set.want, want.users(t))
				})
			}
		})
	}
}

// TestTimeFromSpans (S8): first_seen, last_seen and the runs' times are the
// span start times, whenever and in whatever order the batches arrive.
func TestTimeFromSpans(t *testing.T) {
	t1 := time.Date(2001, 9, 9, 1, 46, 40, 0, time.UTC)
	t2 := time.Date(2026, 3, 2, 12, 34, 56, 789_000_000, time.UTC)
	t3 := time.Date(2040, 1, 1, 0, 0, 0, 500_000_000, time.UTC)
	t4 := time.Date(2019, 5, 5, 5, 5, 5, 0, time.UTC)
	td := ptrace.NewTraces()
	for n, at := range []time.Time{t1, t2, t3} {
		addTraceAt(td, uint64(900+n), "svc", at,
			invokeAgent(1, 0, 0, 2000, "s8-agent", a("user.id", "s8")),
			chat(2, 1, 100, "gpt-4o", 10, 5, a("user.id", "s8")),
		)
	}
	addTraceAt(td, 903, "api", t4,
		sp{id: 1, name: "POST /chat", kind: ptrace.SpanKindServer, start: 0, end: 5000, attrs: []kv{a("user.id", "s8-implicit")}},
		chat(2, 1, 300, "gpt-4o", 1, 1),
		chat(3, 1, 1200, "gpt-4o", 2, 2),
	)
	set := newTraceSet("s8", td, nil)
	idx := func(trace, span uint64) int {
		for i, r := range set.refs {
			s := set.span(r)
			if s.TraceID() == traceID(trace) && s.SpanID() == spanID(span) {
				return i
			}
		}
		t.Fatalf("no span %d/%d", trace, span)
		return -1
	}
	ms := func(at time.Time, d int64) time.Time { return at.Add(time.Duration(d) * time.Millisecond) }
	ts := func(at time.Time) string { return at.UTC().Format(time.RFC3339Nano) }

	// Batches in an order unrelated to the span times, each a little later
	// than the one before; after each, what first_seen and last_seen must be.
	steps := []struct {
		spans       []int
		user        string
		first, last time.Time
	}{
		{[]int{idx(901, 2)}, "s8", ms(t2, 100), ms(t2, 100)}, // a call whose agent span is not known yet: an implicit run
		{[]int{idx(901, 1)}, "s8", t2, t2},                   // its agent span: the run starts with it
		{[]int{idx(902, 2), idx(902, 1)}, "s8", t2, t3},
		{[]int{idx(900, 2)}, "s8", ms(t1, 100), t3},
		{[]int{idx(900, 1)}, "s8", t1, t3},
		{[]int{idx(903, 3)}, "s8-implicit", ms(t4, 1200), ms(t4, 1200)}, // no user yet: nothing listed
		{[]int{idx(903, 1)}, "s8-implicit", ms(t4, 1200), ms(t4, 1200)},
		{[]int{idx(903, 2)}, "s8-implicit", ms(t4, 300), ms(t4, 300)}, // an implicit run starts with its earliest call
	}
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			b := bk.new(t)
			c := newAPIClient(t)
			run := &runner{set: set, pipe: newPipeline(t)}
			st := b.fresh(t)
			c.cur.set(st)
			for i, s := range steps {
				run.run(t, st, plan{{kind: deliver, spans: s.spans}})
				c.verify(t, fmt.Sprintf("step %d", i))
				v := c.view(t)
				var d struct {
					Aggregates struct {
						FirstSeen string `json:"first_seen"`
						LastSeen  string `json:"last_seen"`
					} `json:"aggregates"`
				}
				body, listed := v.details[s.user]
				if i == 5 {
					require.False(t, listed, "step %d: %s has no run with a user yet", i, s.user)
					continue
				}
				require.True(t, listed, "step %d: %s not listed", i, s.user)
				require.NoError(t, json.Unmarshal(body, &d))
				require.Equal(t, ts(s.first), d.Aggregates.FirstSeen, "step %d first_seen", i)
				require.Equal(t, ts(s.last), d.Aggregates.LastSeen, "step %d last_seen", i)
				for _, sort := range listSorts {
					require.Contains(t, string(v.lists[sort]), `"first_seen":"`+ts(s.first)+`","last_seen":"`+ts(s.last)+`"`, "step %d sort %s", i, sort)
				}
			}
			// The runs' own times are their root spans'.
			var d struct {
				Runs []struct {
					StartedAt   string `json:"started_at"`
					CompletedAt string `json:"completed_at"`
				} `json:"runs"`
			}
			require.NoError(t, json.Unmarshal(c.view(t).details["s8"], &d))
			require.Len(t, d.Runs, 3)
			for k, at := range []time.Time{t3, t2, t1} {
				require.Equal(t, ts(at), d.Runs[k].StartedAt)
				require.Equal(t, ts(ms(at, 2000)), d.Runs[k].CompletedAt)
			}
		})
	}
}
