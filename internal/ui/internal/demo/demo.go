// Package demo builds canonical GenAI spans for the UI's tests, benchmark
// and screenshots: a light data set, a realistic 50-user data set and a
// large synthetic one. Everything is deterministic for a given "now".
package demo

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

// Call is one LLM call of a run.
type Call struct {
	Model        string
	Input        int64
	Output       int64
	CostNanos    int64
	Unpriced     bool
	OffsetMillis int64 // start of the call after the run's start
}

// Run describes one agent run: an agent root span and its LLM calls.
type Run struct {
	UserID    string
	SessionID string
	Agent     string
	Workflow  string
	Start     time.Time
	Duration  time.Duration
	Error     bool
	Calls     []Call
}

// Builder turns runs into spans with unique trace and span ids.
type Builder struct {
	seed uint32
	n    uint64
}

// NewBuilder returns a builder whose trace ids are derived from seed, so
// two builders with different seeds never collide.
func NewBuilder(seed uint32) *Builder { return &Builder{seed: seed} }

// Spans returns the spans of one run: the agent root and one child LLM
// span per call (and a tool span, as real traces have).
func (b *Builder) Spans(r Run) []genai.Span {
	b.n++
	var tid pcommon.TraceID
	binary.BigEndian.PutUint32(tid[0:4], b.seed|0x80000000)
	binary.BigEndian.PutUint64(tid[8:16], b.n)
	sid := func(k uint64) pcommon.SpanID {
		var id pcommon.SpanID
		binary.BigEndian.PutUint64(id[:], k<<8|0x11)
		return id
	}
	start := r.Start.UnixNano()
	end := start + int64(r.Duration)
	wf := r.Workflow
	root := genai.Span{
		TraceID: tid, SpanID: sid(1), Start: start, End: end, Error: r.Error,
		Role: genai.RoleAgent, Convention: "demo", Service: "demo-app",
		UserID: r.UserID, SessionID: r.SessionID, AgentName: r.Agent, WorkflowName: wf,
	}
	out := make([]genai.Span, 0, len(r.Calls)+2)
	out = append(out, root)
	out = append(out, genai.Span{TraceID: tid, SpanID: sid(2), ParentSpanID: root.SpanID, Start: start + 1e6,
		End: start + 2e6, Role: genai.RoleTool, Convention: "demo", Service: "demo-app"})
	for i, c := range r.Calls {
		cs := start + c.OffsetMillis*1e6
		ce := min(cs+int64(r.Duration)/int64(len(r.Calls)+1), end)
		src := genai.CostComputed
		cost := c.CostNanos
		if c.Unpriced {
			src, cost = genai.CostUnpriced, 0
		}
		out = append(out, genai.Span{
			TraceID: tid, SpanID: sid(uint64(i) + 3), ParentSpanID: root.SpanID, Start: cs, End: ce,
			Role: genai.RoleLLM, Convention: "demo", Service: "demo-app", Model: c.Model, Provider: providerOf(c.Model),
			HasUsage: true, Usage: genai.Usage{Input: c.Input, Output: c.Output}, CostNanos: cost, CostSource: src,
		})
	}
	return out
}

func providerOf(model string) string {
	switch {
	case len(model) >= 6 && model[:6] == "claude":
		return "anthropic"
	case len(model) >= 6 && model[:6] == "gemini":
		return "google"
	case len(model) >= 5 && model[:5] == "llama":
		return "meta"
	default:
		return "openai"
	}
}

// price is USD per million input and output tokens.
type price struct{ in, out float64 }

var prices = map[string]price{
	"gpt-4o":           {2.5, 10},
	"gpt-4o-mini":      {0.15, 0.6},
	"o3-mini":          {1.1, 4.4},
	"claude-sonnet-4":  {3, 15},
	"claude-haiku-3.5": {0.8, 4},
	"gemini-2.5-flash": {0.3, 2.5},
}

// CostNanos is the cost of a call at the demo price list (0 for unknown
// models, which are then unpriced).
func CostNanos(model string, in, out int64) int64 {
	p := prices[model]
	// USD per million tokens = nano-USD per token * 1e-3.
	return int64(float64(in)*p.in*1e3 + float64(out)*p.out*1e3)
}

func call(model string, in, out, offset int64) Call {
	_, priced := prices[model]
	return Call{Model: model, Input: in, Output: out, CostNanos: CostNanos(model, in, out), Unpriced: !priced, OffsetMillis: offset}
}

// Light is a handful of runs by three users over the last few days.
func Light(now time.Time) []genai.Span {
	b := NewBuilder(1)
	d := func(days, hours float64) time.Time {
		return now.Add(-time.Duration((days*24 + hours) * float64(time.Hour))).Truncate(time.Second)
	}
	runs := []Run{
		{UserID: "user-456", SessionID: "conv-1001", Agent: "chat-agent", Start: d(3, 2), Duration: 2800 * time.Millisecond,
			Calls: []Call{call("gpt-4o", 1200, 310, 100)}},
		{UserID: "user-456", SessionID: "conv-1001", Agent: "chat-agent", Start: d(3, 1.9), Duration: 4100 * time.Millisecond,
			Calls: []Call{call("gpt-4o", 2400, 520, 80), call("gpt-4o-mini", 800, 90, 2500)}},
		{UserID: "user-456", Agent: "search-agent", Workflow: "web-search", Start: d(1, 5), Duration: 9 * time.Second,
			Calls: []Call{call("gpt-4o-mini", 5200, 700, 200)}},
		{UserID: "user-789", SessionID: "conv-2001", Agent: "chat-agent", Start: d(2, 0), Duration: 1500 * time.Millisecond,
			Calls: []Call{call("claude-sonnet-4", 900, 240, 50)}},
		{UserID: "user-789", Agent: "code-agent", Start: d(0, 3), Duration: 65 * time.Second, Error: true,
			Calls: []Call{call("claude-sonnet-4", 14000, 2600, 300), call("claude-sonnet-4", 16000, 1900, 30000)}},
		{UserID: "user-123", Agent: "chat-agent", Start: d(0, 0.5), Duration: 2100 * time.Millisecond,
			Calls: []Call{call("gpt-4o-mini", 600, 120, 40)}},
	}
	var out []genai.Span
	for _, r := range runs {
		out = append(out, b.Spans(r)...)
	}
	return out
}

var agents = []struct {
	name, workflow string
	models         []string
	calls          [2]int // min, max calls per run
	tokens         int64  // typical input tokens per call
}{
	{"chat-agent", "default", []string{"gpt-4o", "gpt-4o-mini"}, [2]int{1, 3}, 1800},
	{"support-agent", "ticket-triage", []string{"gpt-4o-mini", "claude-haiku-3.5"}, [2]int{1, 4}, 2500},
	{"search-agent", "web-search", []string{"gpt-4o-mini", "gemini-2.5-flash"}, [2]int{2, 5}, 6000},
	{"code-agent", "refactor", []string{"claude-sonnet-4", "o3-mini"}, [2]int{2, 8}, 12000},
	{"batch-processor", "nightly-summaries", []string{"gpt-4o-mini", "llama-3.1-8b"}, [2]int{1, 2}, 4000},
}

// Realistic is 50 users over the last 45 days: a few heavy users, a long
// tail of light ones, five agents, six models (one unpriced), sessions,
// some failed runs, and a couple of awkward user ids (a long one and one
// with markup).
func Realistic(now time.Time) []genai.Span {
	r := rand.New(rand.NewPCG(42, 2026))
	b := NewBuilder(2)
	var out []genai.Span
	seen := map[string]bool{}
	for u := 0; u < 50; u++ {
		id := fmt.Sprintf("user-%d", 1000+r.IntN(9000))
		for seen[id] {
			id = fmt.Sprintf("user-%d", 1000+r.IntN(9000))
		}
		seen[id] = true
		switch u {
		case 7:
			id = "acct_7f3e9a12-5b4c-4e8d-9a1f-2c6b8d0e4f71@tenant-eu-west-1.example.internal"
		case 13:
			id = "org:acme/team:platform/user:dana"
		}
		// Heavy-tailed activity: a few users run a lot.
		runs := 1 + int(float64(r.IntN(12))*float64(r.IntN(12))/4)
		if u%11 == 0 || u == 7 {
			runs += 60
		}
		nAgents := 1 + r.IntN(3)
		first := r.IntN(len(agents))
		active := 1 + r.IntN(45)
		session := ""
		for k := 0; k < runs; k++ {
			a := agents[(first+r.IntN(nAgents))%len(agents)]
			if k%4 == 0 {
				session = ""
				if r.IntN(3) > 0 {
					session = fmt.Sprintf("sess-%06x", r.Uint32()&0xffffff)
				}
			}
			ago := time.Duration(r.Float64() * float64(active) * float64(24*time.Hour))
			start := now.Add(-ago).Truncate(time.Millisecond)
			nc := a.calls[0] + r.IntN(a.calls[1]-a.calls[0]+1)
			var calls []Call
			var off int64
			for c := 0; c < nc; c++ {
				m := a.models[r.IntN(len(a.models))]
				in := a.tokens/2 + r.Int64N(a.tokens)
				outT := in/8 + r.Int64N(in/4+1)
				calls = append(calls, call(m, in, outT, off))
				off += 300 + r.Int64N(4000)
			}
			dur := time.Duration(off+500+r.Int64N(3000)) * time.Millisecond
			out = append(out, b.Spans(Run{
				UserID: id, SessionID: session, Agent: a.name, Workflow: a.workflow, Start: start,
				Duration: dur, Error: r.IntN(25) == 0, Calls: calls,
			})...)
		}
	}
	return out
}

// LargeAgents are the agent names of Large.
var LargeAgents = []string{"batch-processor", "chat-agent", "code-agent", "search-agent", "support-agent", "summarizer", "translator", "voice-agent"}

// Large calls emit with batches of the spans of users users (one or two
// runs each, one LLM call per run), about batchRuns runs per batch. User
// ids are "u%06d".
func Large(now time.Time, users, batchRuns int, emit func([]genai.Span) error) error {
	b := NewBuilder(3)
	r := rand.New(rand.NewPCG(7, 7))
	batch := make([]genai.Span, 0, batchRuns*3)
	models := []string{"gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "gemini-2.5-flash"}
	runs := 0
	for u := 0; u < users; u++ {
		id := fmt.Sprintf("u%06d", u)
		for k := 0; k <= u%2; k++ {
			in, outT := 100+r.Int64N(5000), 10+r.Int64N(800)
			m := models[r.IntN(len(models))]
			start := now.Add(-time.Duration(r.Int64N(int64(60 * 24 * time.Hour)))).Truncate(time.Millisecond)
			spans := b.Spans(Run{UserID: id, Agent: LargeAgents[r.IntN(len(LargeAgents))], Start: start,
				Duration: time.Duration(500+r.Int64N(20000)) * time.Millisecond, Calls: []Call{call(m, in, outT, 10)}})
			batch = append(batch, spans[0], spans[2]) // root and LLM call; no tool span
			runs++
			if runs%batchRuns == 0 {
				if err := emit(batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
	}
	if len(batch) > 0 {
		return emit(batch)
	}
	return nil
}
