package storetest

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// refRun is one run of the window fixture, with everything the reference
// answers need: the fixture builds each run as an agent root span (user,
// session) with LLM children, so its totals are known without Assemble.
type refRun struct {
	key     string
	user    string
	session string
	agent   string
	start   int64
	end     int64
	failed  bool
	calls   []refCall
}

type refCall struct {
	model  string
	usage  genai.Usage
	cost   int64
	source genai.CostSource
	start  int64
}

func (r *refRun) cost() (c int64) {
	for _, x := range r.calls {
		c += x.cost
	}
	return c
}

func (r *refRun) tokens() (t int64) {
	for _, x := range r.calls {
		t += x.usage.Total()
	}
	return t
}

func (r *refRun) duration() int64 { return max(0, r.end-r.start) }

// windowFixture is random traffic over about six hours: runs with and
// without users and sessions, several agents and models, unpriced calls,
// and runs starting exactly on hour boundaries. Every run starts at a
// distinct time, so "newest first" has no ties.
type windowFixture struct {
	runs   []refRun
	traces []*traceBuilder
	hour0  int64 // start of the first hour
}

var windowUsers = []string{"w-ann", "w-bo", "w-cy", "w-di", "w-ed", "w-fay", "w-gus", "w,comma", "w\"quote", "w\nline", ""}

func newWindowFixture(r *rand.Rand, base uint64, nRuns int) *windowFixture {
	f := &windowFixture{hour0: at(20, 6, 0, 0)}
	used := map[int64]bool{}
	models := []string{"m-alpha", "m-beta", "m-gamma", "m-local"}
	for i := 0; i < nRuns; i++ {
		var start int64
		for {
			if r.IntN(5) == 0 { // exactly on an hour boundary
				start = f.hour0 + int64(r.IntN(7))*3600*sec
			} else {
				start = f.hour0 + r.Int64N(6*3600*sec+1800*sec)
			}
			if !used[start] {
				break
			}
		}
		used[start] = true
		run := refRun{
			user:   windowUsers[r.IntN(len(windowUsers))],
			agent:  []string{"ag-one", "ag-two", "ag-three"}[r.IntN(3)],
			start:  start,
			end:    start + r.Int64N(90*sec),
			failed: r.IntN(7) == 0,
		}
		if r.IntN(4) != 0 {
			run.session = []string{"sess-a", "sess-b", "sess-c", "sess-d", "sess-e"}[r.IntN(5)]
		}
		b := newTrace(base + uint64(i))
		opts := []spanOpt{user(run.user), session(run.session)}
		if run.failed {
			opts = append(opts, failed())
		}
		root := b.agent(none, run.agent, run.start, run.end, opts...)
		for c := 0; c < 1+r.IntN(3); c++ {
			m := models[r.IntN(len(models))]
			call := refCall{model: m, start: run.start + int64(c+1)*sec, source: computed}
			call.usage = genai.Usage{Input: 10 + r.Int64N(1000), Output: 1 + r.Int64N(500)}
			if r.IntN(3) == 0 {
				call.usage.CacheRead = r.Int64N(call.usage.Input)
				call.usage.CacheWrite = r.Int64N(call.usage.Input - call.usage.CacheRead + 1)
				call.usage.Reasoning = r.Int64N(call.usage.Output + 1)
			}
			call.cost = 1 + r.Int64N(50000)
			switch {
			case m == "m-local":
				call.cost, call.source = 0, unpriced
			case r.IntN(4) == 0:
				call.source = reported
			}
			b.llm(root, m, call.start, call.start+sec/2, call.usage, call.cost, call.source)
			run.calls = append(run.calls, call)
		}
		run.key = b.key(root)
		f.runs = append(f.runs, run)
		f.traces = append(f.traces, b)
	}
	return f
}

// windowOf returns the fixture's runs that started in [lo, hi).
func (f *windowFixture) windowOf(lo, hi int64) []refRun {
	var out []refRun
	for _, r := range f.runs {
		if r.start >= lo && r.start < hi {
			out = append(out, r)
		}
	}
	return out
}

// refUsers aggregates runs per user (runs without a user are skipped).
func refUsers(runs []refRun) map[string]store.UserSummary {
	out := map[string]store.UserSummary{}
	agents := map[string]map[string]bool{}
	for _, r := range runs {
		if r.user == "" {
			continue
		}
		u, ok := out[r.user]
		if !ok {
			u = store.UserSummary{UserID: r.user, FirstSeen: math.MaxInt64, LastSeen: math.MinInt64}
			agents[r.user] = map[string]bool{}
		}
		u.RunCount++
		u.FirstSeen = min(u.FirstSeen, r.start)
		u.LastSeen = max(u.LastSeen, r.start)
		u.TotalDuration += r.duration()
		u.TotalCost += r.cost()
		u.TotalTokens += r.tokens()
		agents[r.user][r.agent] = true
		out[r.user] = u
	}
	for id, u := range out {
		for a := range agents[id] {
			u.Agents = append(u.Agents, a)
		}
		sort.Strings(u.Agents)
		out[id] = u
	}
	return out
}

func values[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// refModels is the cost by model of the runs' calls, by cost descending,
// ties by model.
func refModels(runs []refRun) []store.ModelCost {
	by := map[string]store.ModelCost{}
	for _, r := range runs {
		for _, c := range r.calls {
			m := by[c.model]
			m.Model = c.model
			m.CallCount++
			m.TotalCost += c.cost
			m.TotalTokens += c.usage.Total()
			if c.source == unpriced {
				m.UnpricedCalls++
			}
			by[c.model] = m
		}
	}
	out := values(by)
	sort.Slice(out, func(i, j int) bool {
		if out[i].TotalCost != out[j].TotalCost {
			return out[i].TotalCost > out[j].TotalCost
		}
		return out[i].Model < out[j].Model
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

// refRecent is the newest store.RecentRuns runs, as summaries without ids.
func refRecent(runs []refRun, limit int, newestFirst bool) []store.RunSummary {
	rs := append([]refRun(nil), runs...)
	sort.Slice(rs, func(i, j int) bool {
		if newestFirst {
			return rs[i].start > rs[j].start
		}
		return rs[i].start < rs[j].start
	})
	if len(rs) > limit {
		rs = rs[:limit]
	}
	var out []store.RunSummary
	for _, r := range rs {
		out = append(out, store.RunSummary{Key: r.key, AgentName: r.agent, WorkflowName: genai.DefaultWorkflow,
			SessionID: r.session, Start: r.start, End: r.end, Error: r.failed, CostNanos: r.cost(),
			Tokens: r.tokens(), UserID: r.user})
	}
	return out
}

// refSessions aggregates runs per session.
func refSessions(runs []refRun) map[string]store.SessionSummary {
	out := map[string]store.SessionSummary{}
	users := map[string]map[string]bool{}
	agents := map[string]map[string]bool{}
	for _, r := range runs {
		if r.session == "" {
			continue
		}
		s, ok := out[r.session]
		if !ok {
			s = store.SessionSummary{SessionID: r.session, FirstSeen: math.MaxInt64, LastSeen: math.MinInt64}
			users[r.session], agents[r.session] = map[string]bool{}, map[string]bool{}
		}
		s.RunCount++
		s.FirstSeen = min(s.FirstSeen, r.start)
		s.LastSeen = max(s.LastSeen, r.start)
		s.TotalDuration += r.duration()
		s.TotalCost += r.cost()
		s.TotalTokens += r.tokens()
		if r.user != "" {
			users[r.session][r.user] = true
		}
		agents[r.session][r.agent] = true
		out[r.session] = s
	}
	for id, s := range out {
		for u := range users[id] {
			s.Users = append(s.Users, u)
		}
		for a := range agents[id] {
			s.Agents = append(s.Agents, a)
		}
		sort.Strings(s.Users)
		sort.Strings(s.Agents)
		out[id] = s
	}
	return out
}

// sessionSortField is the value of a sort field of a session.
func sessionSortField(s store.SessionSummary, field string) int64 {
	return sortField(store.UserSummary{RunCount: s.RunCount, FirstSeen: s.FirstSeen, LastSeen: s.LastSeen,
		TotalDuration: s.TotalDuration, TotalCost: s.TotalCost, TotalTokens: s.TotalTokens}, field)
}

func sortedSessions(ss []store.SessionSummary, field string, desc bool) []store.SessionSummary {
	out := append([]store.SessionSummary(nil), ss...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := sessionSortField(out[i], field), sessionSortField(out[j], field)
		if a != b {
			if desc {
				return a > b
			}
			return a < b
		}
		if desc {
			return out[i].SessionID > out[j].SessionID
		}
		return out[i].SessionID < out[j].SessionID
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

// interestingTimes are window bounds worth testing: every run start and
// its neighbours, hour boundaries and their neighbours.
func (f *windowFixture) interestingTimes() []int64 {
	var out []int64
	for _, r := range f.runs {
		out = append(out, r.start, r.start-1, r.start+1)
	}
	for h := int64(-1); h <= 8; h++ {
		b := f.hour0 + h*3600*sec
		out = append(out, b, b-1, b+1, b+1800*sec)
	}
	return out
}

// FixtureSpans returns the spans of a fixed random world (runs with and
// without users and sessions, several hours, agents and models) for store
// tests outside the suite, such as migration tests.
func FixtureSpans() []genai.Span {
	f := newWindowFixture(rand.New(rand.NewPCG(42, 6)), 7000, 120)
	return all(append(f.traces, newBasicFixture().traces...)...)
}
