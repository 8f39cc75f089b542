package storetest

import (
	"strings"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
)

const (
	computed = genai.CostComputed
	reported = genai.CostReported
	unpriced = genai.CostUnpriced
)

// basicFixture is a small world whose answers are worked out by hand in
// basicUsers and basicDetails: five users, runs without users, every span
// role, stacked and aggregate usage, implicit runs, an HTTP root carrying
// the user, a batch of sibling runs, an error run, unpriced calls.
type basicFixture struct {
	traces []*traceBuilder
	keys   map[string]string // named run keys
}

func newBasicFixture() *basicFixture {
	f := &basicFixture{keys: map[string]string{}}

	// T1: alice, planner, two LLM calls and a tool.
	t1 := newTrace(1)
	a := t1.agent(none, "planner", at(0, 10, 0, 0), at(0, 10, 0, 30), user("alice"), session("s1"), workflow("trip"))
	t1.llm(a, "gpt-4o", at(0, 10, 0, 1), at(0, 10, 0, 5), tok(100, 50), 1500, computed)
	t1.llm(a, "gpt-4o", at(0, 10, 0, 10), at(0, 10, 0, 15),
		genai.Usage{Input: 200, Output: 100, CacheRead: 50, CacheWrite: 10, Reasoning: 20}, 3000, computed)
	t1.tool(a, at(0, 10, 0, 16), at(0, 10, 0, 20))
	f.keys["t1"] = t1.key(a)

	// T2: alice, planner, error; stacked LLM spans (outer wrapper reports its own cost; the inner one counts).
	t2 := newTrace(2)
	a = t2.agent(none, "planner", at(0, 12, 30, 0), at(0, 12, 31, 0), user("alice"), failed())
	o := t2.llm(a, "gpt-4o", at(0, 12, 30, 5), at(0, 12, 30, 20), tok(1000, 500), 99999, reported)
	t2.llm(o, "gpt-4o", at(0, 12, 30, 6), at(0, 12, 30, 19), tok(1000, 500), 15000, computed, session("s2"))
	f.keys["t2"] = t2.key(a)

	// T3: bob, researcher; an aggregate span repeating its children's usage.
	t3 := newTrace(3)
	a = t3.agent(none, "researcher", at(0, 11, 0, 0), at(0, 11, 2, 0), user("bob"))
	g := t3.aggregate(a, at(0, 11, 0, 1), at(0, 11, 1, 59), tok(300, 300), 7777, reported)
	t3.llm(g, "claude-3", at(0, 11, 0, 2), at(0, 11, 0, 30), tok(100, 100), 2000, computed)
	t3.llm(g, "claude-3", at(0, 11, 0, 31), at(0, 11, 1, 0), tok(200, 200), 4000, computed)
	f.keys["t3"] = t3.key(a)

	// T4: bob on the HTTP root span; implicit run (no agent), one unpriced call.
	t4 := newTrace(4)
	h := t4.other(none, at(1, 9, 0, 0), at(1, 9, 0, 20), service("web"), user("bob"))
	t4.llm(h, "gpt-4o-mini", at(1, 9, 0, 2), at(1, 9, 0, 4), tok(10, 5), 30, computed)
	t4.llm(h, "my-local", at(1, 9, 0, 5), at(1, 9, 0, 9), tok(40, 10), 0, unpriced)
	f.keys["t4"] = t4.key(h)

	// T5: a batch job: one run per item, each with its own user (the third has none).
	t5 := newTrace(5)
	r := t5.other(none, at(0, 14, 0, 0), at(0, 14, 0, 40), service("batch"))
	a1 := t5.agent(r, "classifier", at(0, 14, 0, 0), at(0, 14, 0, 10), user("carol"))
	t5.llm(a1, "gpt-4o", at(0, 14, 0, 1), at(0, 14, 0, 9), tok(10, 10), 200, computed)
	a2 := t5.agent(r, "classifier", at(0, 14, 0, 10), at(0, 14, 0, 30), user("dave"))
	t5.llm(a2, "gpt-4o", at(0, 14, 0, 11), at(0, 14, 0, 29), tok(20, 20), 400, computed)
	a3 := t5.agent(r, "classifier", at(0, 14, 0, 30), at(0, 14, 0, 40))
	t5.llm(a3, "gpt-4o", at(0, 14, 0, 31), at(0, 14, 0, 39), tok(5, 5), 100, computed)
	f.keys["t5a1"] = t5.key(a1)
	f.keys["t5a2"] = t5.key(a2)

	// T6: carol, an agent span with usage and no LLM span: its usage counts.
	t6 := newTrace(6)
	a = t6.agent(none, "summarizer", at(2, 8, 0, 0), at(2, 8, 0, 5), user("carol"), usageOf("claude-3", tok(50, 25), 750, reported))
	f.keys["t6"] = t6.key(a)

	// T7: a lone LLM span without user: a run without rollups.
	t7 := newTrace(7)
	t7.llm(none, "gpt-4o", at(0, 16, 0, 0), at(0, 16, 0, 3), tok(7, 7), 140, computed)

	// T8: eve, three models, two with equal cost, one unpriced.
	t8 := newTrace(8)
	a = t8.agent(none, "planner", at(0, 9, 0, 0), at(0, 9, 0, 40), user("eve"))
	t8.llm(a, "gpt-4o", at(0, 9, 0, 1), at(0, 9, 0, 10), tok(100, 100), 2000, computed)
	t8.llm(a, "claude-3", at(0, 9, 0, 11), at(0, 9, 0, 20), tok(50, 50), 2000, reported)
	t8.llm(a, "my-local", at(0, 9, 0, 21), at(0, 9, 0, 30), tok(10, 10), 0, unpriced)
	f.keys["t8"] = t8.key(a)

	f.traces = []*traceBuilder{t1, t2, t3, t4, t5, t6, t7, t8}
	return f
}

func (f *basicFixture) spans() []genai.Span { return all(f.traces...) }

// basicUsers is every user of the basic fixture, by user id, worked out by hand.
func basicUsers() []store.UserSummary {
	return []store.UserSummary{
		{UserID: "alice", RunCount: 2, FirstSeen: at(0, 10, 0, 0), LastSeen: at(0, 12, 30, 0),
			TotalDuration: 90 * sec, TotalCost: 4500 + 15000, TotalTokens: 150 + 300 + 1500, Agents: []string{"planner"}},
		{UserID: "bob", RunCount: 2, FirstSeen: at(0, 11, 0, 0), LastSeen: at(1, 9, 0, 2),
			TotalDuration: 120*sec + 7*sec, TotalCost: 6000 + 30, TotalTokens: 600 + 65, Agents: []string{"researcher", "web"}},
		{UserID: "carol", RunCount: 2, FirstSeen: at(0, 14, 0, 0), LastSeen: at(2, 8, 0, 0),
			TotalDuration: 15 * sec, TotalCost: 950, TotalTokens: 95, Agents: []string{"classifier", "summarizer"}},
		{UserID: "dave", RunCount: 1, FirstSeen: at(0, 14, 0, 10), LastSeen: at(0, 14, 0, 10),
			TotalDuration: 20 * sec, TotalCost: 400, TotalTokens: 40, Agents: []string{"classifier"}},
		{UserID: "eve", RunCount: 1, FirstSeen: at(0, 9, 0, 0), LastSeen: at(0, 9, 0, 0),
			TotalDuration: 40 * sec, TotalCost: 4000, TotalTokens: 320, Agents: []string{"planner"}},
	}
}

func summaryOf(users []store.UserSummary, id string) store.UserSummary {
	for _, u := range users {
		if u.UserID == id {
			return u
		}
	}
	panic("storetest: no user " + id)
}

// basicDetails is GetUser of every basic user with run ids zeroed.
func (f *basicFixture) details() map[string]store.UserDetail {
	u := basicUsers()
	k := f.keys
	details := map[string]store.UserDetail{
		"alice": {
			Summary:     summaryOf(u, "alice"),
			CostByModel: []store.ModelCost{{Model: "gpt-4o", TotalCost: 19500, TotalTokens: 1950, CallCount: 3}},
			Runs: []store.RunSummary{
				{Key: k["t2"], AgentName: "planner", WorkflowName: "default", SessionID: "s2",
					Start: at(0, 12, 30, 0), End: at(0, 12, 31, 0), Error: true, CostNanos: 15000, Tokens: 1500},
				{Key: k["t1"], AgentName: "planner", WorkflowName: "trip", SessionID: "s1",
					Start: at(0, 10, 0, 0), End: at(0, 10, 0, 30), CostNanos: 4500, Tokens: 450},
			},
		},
		"bob": {
			Summary: summaryOf(u, "bob"),
			CostByModel: []store.ModelCost{
				{Model: "claude-3", TotalCost: 6000, TotalTokens: 600, CallCount: 2},
				{Model: "gpt-4o-mini", TotalCost: 30, TotalTokens: 15, CallCount: 1},
				{Model: "my-local", TotalCost: 0, TotalTokens: 50, CallCount: 1, UnpricedCalls: 1},
			},
			Runs: []store.RunSummary{
				{Key: k["t4"], AgentName: "web", WorkflowName: "default",
					Start: at(1, 9, 0, 2), End: at(1, 9, 0, 9), CostNanos: 30, Tokens: 65},
				{Key: k["t3"], AgentName: "researcher", WorkflowName: "default",
					Start: at(0, 11, 0, 0), End: at(0, 11, 2, 0), CostNanos: 6000, Tokens: 600},
			},
		},
		"carol": {
			Summary: summaryOf(u, "carol"),
			CostByModel: []store.ModelCost{
				{Model: "claude-3", TotalCost: 750, TotalTokens: 75, CallCount: 1},
				{Model: "gpt-4o", TotalCost: 200, TotalTokens: 20, CallCount: 1},
			},
			Runs: []store.RunSummary{
				{Key: k["t6"], AgentName: "summarizer", WorkflowName: "default",
					Start: at(2, 8, 0, 0), End: at(2, 8, 0, 5), CostNanos: 750, Tokens: 75},
				{Key: k["t5a1"], AgentName: "classifier", WorkflowName: "default",
					Start: at(0, 14, 0, 0), End: at(0, 14, 0, 10), CostNanos: 200, Tokens: 20},
			},
		},
		"dave": {
			Summary:     summaryOf(u, "dave"),
			CostByModel: []store.ModelCost{{Model: "gpt-4o", TotalCost: 400, TotalTokens: 40, CallCount: 1}},
			Runs: []store.RunSummary{
				{Key: k["t5a2"], AgentName: "classifier", WorkflowName: "default",
					Start: at(0, 14, 0, 10), End: at(0, 14, 0, 30), CostNanos: 400, Tokens: 40},
			},
		},
		"eve": {
			Summary: summaryOf(u, "eve"),
			CostByModel: []store.ModelCost{
				{Model: "claude-3", TotalCost: 2000, TotalTokens: 100, CallCount: 1},
				{Model: "gpt-4o", TotalCost: 2000, TotalTokens: 200, CallCount: 1},
				{Model: "my-local", TotalCost: 0, TotalTokens: 20, CallCount: 1, UnpricedCalls: 1},
			},
			Runs: []store.RunSummary{
				{Key: k["t8"], AgentName: "planner", WorkflowName: "default",
					Start: at(0, 9, 0, 0), End: at(0, 9, 0, 40), CostNanos: 4000, Tokens: 320},
			},
		},
	}
	for id, d := range details {
		for i := range d.Runs {
			d.Runs[i].UserID = id
		}
	}
	return details
}

// runSpec is one run of a generated user: an agent root and one LLM call.
type runSpec struct {
	start  int64
	durSec int64
	in     int64
	out    int64
	cost   int64 // 0 means unpriced
	agent  string
}

// userSpec is a generated user and its runs.
type userSpec struct {
	id   string
	runs []runSpec
}

// buildUsers turns user specs into traces, one trace per run, numbered from base.
func buildUsers(base uint64, users []userSpec) []*traceBuilder {
	var out []*traceBuilder
	n := base
	for _, u := range users {
		for _, r := range u.runs {
			b := newTrace(n)
			n++
			agent := r.agent
			if agent == "" {
				agent = "agent"
			}
			a := b.agent(none, agent, r.start, r.start+r.durSec*sec, user(u.id))
			src := computed
			if r.cost == 0 {
				src = unpriced
			}
			b.llm(a, "model-x", r.start+sec, r.start+2*sec, tok(r.in, r.out), r.cost, src)
			out = append(out, b)
		}
	}
	return out
}

// summaries adds up the specs (plain sums; the spec numbers are literals).
func summaries(users []userSpec) []store.UserSummary {
	var out []store.UserSummary
	for _, u := range users {
		s := store.UserSummary{UserID: u.id}
		agents := map[string]bool{}
		for i, r := range u.runs {
			s.RunCount++
			if i == 0 || r.start < s.FirstSeen {
				s.FirstSeen = r.start
			}
			if i == 0 || r.start > s.LastSeen {
				s.LastSeen = r.start
			}
			s.TotalDuration += r.durSec * sec
			s.TotalCost += r.cost
			s.TotalTokens += r.in + r.out
			a := r.agent
			if a == "" {
				a = "agent"
			}
			if !agents[a] {
				agents[a] = true
				s.Agents = append(s.Agents, a)
			}
		}
		sortStrings(s.Agents)
		out = append(out, s)
	}
	return out
}

// sortUsers are users with many ties on every sort field, with ids whose
// byte order differs from their case-insensitive order.
func sortUsers() []userSpec {
	d := func(m int) int64 { return at(5, 0, 0, 0) + int64(m)*60*sec }
	return []userSpec{
		{"u-a", []runSpec{{d(60), 10, 10, 10, 100, "alpha"}}},
		{"u-b", []runSpec{{d(60), 10, 10, 10, 100, "alpha"}}},
		{"U-c", []runSpec{{d(30), 20, 5, 5, 300, "beta"}, {d(120), 5, 50, 50, 0, "alpha"}}},
		{"u-d", []runSpec{{d(90), 10, 100, 0, 100, "beta"}}},
		{"\u00fc-e", []runSpec{{d(30), 40, 1, 1, 50, "gamma"}}},
		{"u-f", []runSpec{{d(200), 1, 1000, 1000, 5000, ""}, {d(10), 1, 1, 1, 1, ""}}},
		{"_g", []runSpec{{d(120), 10, 10, 10, 100, "alpha"}}},
		{"Z", []runSpec{{d(-30), 25, 60, 40, 400, "gamma"}}},
		{"u-a ", []runSpec{{d(61), 24, 0, 0, 0, "alpha"}}},
	}
}

// searchLong is a 300-byte user id.
var searchLong = strings.Repeat("x", 150) + "MIDDLE" + strings.Repeat("y", 144)

// searchUsers have ids with characters that LIKE patterns, quoting and
// lower-casing get wrong.
func searchUsers() []userSpec {
	ids := []string{
		"alice", "ALICE-Upper", "50%off", "100%", "under_score", "underXscore", "o'brien", "o\"quote",
		"a/b/c", "with space", "back\\slash", "\u00dcn\u00efc\u00f6d\u00e9-\u03a9mega", "\u65e5\u672c\u8a9e", searchLong,
	}
	var out []userSpec
	for i, id := range ids {
		out = append(out, userSpec{id, []runSpec{{at(6, 0, i, 0), int64(i + 1), int64(i), 1, int64(10 * i), ""}}})
	}
	return out
}
