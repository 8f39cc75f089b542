package main

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/waxell/otelcol-waxell/internal/pricing"
)

// Conventions the generator can render a run in.
const (
	convGenAI         = "genai"         // OpenTelemetry GenAI semconv: invoke_agent -> chat, execute_tool
	convOpenInference = "openinference" // OpenInference: AGENT -> LLM, TOOL (llm.token_count.*)
	convVercel        = "vercel"        // Vercel AI SDK v5: ai.generateText (functionId) -> ai.generateText.doGenerate, ai.toolCall
)

// model is one model the generator calls. request is the name sent,
// response the (dated) name answered; the processor prices the response
// model, so the generator does too.
type model struct {
	provider, vercelProvider string
	request, response        string
	reasoning, cacheWrite    bool
}

var models = []model{
	{"openai", "openai.chat", "gpt-4o", "gpt-4o-2024-08-06", false, false},
	{"openai", "openai.chat", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", false, false},
	{"openai", "openai.responses", "o4-mini", "o4-mini-2025-04-16", true, false},
	{"anthropic", "anthropic.messages", "claude-sonnet-4", "claude-sonnet-4-20250514", false, true},
	{"gcp.gemini", "google.generative-ai", "gemini-2.5-flash", "gemini-2.5-flash", false, false},
}

var agents = []string{"support-agent", "research-agent", "sql-agent", "travel-planner", "code-reviewer", "billing-bot"}
var tools = []string{"search_docs", "get_weather", "run_sql", "fetch_url", "lookup_order"}

// call is one LLM call of a run, with its usage in the normalised meaning
// (input includes cache reads and writes, output includes reasoning).
type call struct {
	spanID                                          [8]byte
	model                                           *model
	input, output, cacheRead, cacheWrite, reasoning int64
	costNanos                                       int64
	start, end                                      int64 // unix ns
}

// run is one agent run: a root span, 1..5 LLM calls, a tool call between
// consecutive LLM calls.
type run struct {
	traceID    [16]byte
	rootID     [8]byte
	conv       string
	user       string
	session    string
	agent      string
	start, end int64
	calls      []call
	tools      int
}

func (r *run) spans() int { return 1 + len(r.calls) + r.tools }

// generator produces runs deterministically from (seed, stream).
type generator struct {
	rng    *rand.Rand
	zipf   *rand.Zipf
	mix    []string // one entry per weight unit
	prices *pricing.Table
	stream uint32
	seq    uint32
	seed   uint64
	base   int64 // unix ns: runs start at base + seq ms (in the past)
}

func newGenerator(seed uint64, stream uint32, users uint64, zipfS float64, mix []string, prices *pricing.Table, base time.Time) *generator {
	rng := rand.New(rand.NewPCG(seed, uint64(stream)+1))
	if users < 2 {
		users = 2
	}
	return &generator{
		rng:    rng,
		zipf:   rand.NewZipf(rng, zipfS, 1, users-1),
		mix:    mix,
		prices: prices,
		stream: stream,
		seed:   seed,
		base:   base.UnixNano(),
	}
}

// parseMix reads "genai=2,openinference=1,vercel=1" (or "genai") into a
// weighted list.
func parseMix(s string) ([]string, error) {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w := part, 1
		if i := strings.IndexByte(part, '='); i >= 0 {
			name = part[:i]
			if _, err := fmt.Sscanf(part[i+1:], "%d", &w); err != nil || w < 0 || w > 100 {
				return nil, fmt.Errorf("-mix: bad weight in %q", part)
			}
		}
		switch name {
		case convGenAI, convOpenInference, convVercel:
		default:
			return nil, fmt.Errorf("-mix: unknown convention %q (want genai, openinference, vercel)", name)
		}
		for range w {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-mix: no convention with a positive weight")
	}
	return out, nil
}

func (g *generator) id16() [16]byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:], g.seed^0x9e3779b97f4a7c15)
	binary.BigEndian.PutUint32(b[8:], g.stream)
	binary.BigEndian.PutUint32(b[12:], g.seq)
	return b
}

func spanID(seq uint32, i int) [8]byte {
	var b [8]byte
	binary.BigEndian.PutUint32(b[0:], seq)
	binary.BigEndian.PutUint32(b[4:], uint32(i)+1)
	return b
}

// next generates one run.
func (g *generator) next() run {
	g.seq++
	r := run{traceID: g.id16(), rootID: spanID(g.seq, 0)}
	r.conv = g.mix[g.rng.IntN(len(g.mix))]
	u := g.zipf.Uint64()
	r.user = fmt.Sprintf("user-%07d", u)
	r.session = fmt.Sprintf("sess-%07d-%d", u, g.rng.IntN(8))
	r.agent = agents[g.rng.IntN(len(agents))]
	// Runs start in the past (the processor rejects future timestamps),
	// spread over the last hour.
	r.start = g.base - int64(g.rng.IntN(3600))*int64(time.Second) - int64(g.rng.IntN(1000))*int64(time.Millisecond)
	n := 1 + g.rng.IntN(5)
	t := r.start + int64(5*time.Millisecond)
	m := &models[g.rng.IntN(len(models))] // one model per run, like most agents
	r.calls = make([]call, n)
	for i := range n {
		c := &r.calls[i]
		c.spanID = spanID(g.seq, i+1)
		c.model = m
		c.input = 200 + int64(g.rng.IntN(8000))
		if g.rng.IntN(2) == 0 {
			c.cacheRead = int64(g.rng.IntN(int(c.input*8/10) + 1))
		}
		if m.cacheWrite && g.rng.IntN(4) == 0 {
			c.cacheWrite = int64(g.rng.IntN(int(c.input-c.cacheRead) + 1))
		}
		c.output = 20 + int64(g.rng.IntN(1500))
		if m.reasoning {
			c.reasoning = int64(g.rng.IntN(int(c.output) + 1))
		}
		nanos, _, ok := g.prices.Cost(m.response, pricing.Usage{Input: c.input, Output: c.output,
			CacheRead: c.cacheRead, CacheWrite: c.cacheWrite, Reasoning: c.reasoning})
		if !ok {
			panic("unpriced model " + m.response)
		}
		c.costNanos = nanos
		c.start = t
		t += int64(200+g.rng.IntN(2800)) * int64(time.Millisecond)
		c.end = t
		if i < n-1 {
			r.tools++
			t += int64(10+g.rng.IntN(300)) * int64(time.Millisecond)
		}
	}
	r.end = t + int64(2*time.Millisecond)
	return r
}

// userTotals is what the API must report for one user.
type userTotals struct {
	runs, tokens, costNanos int64
}

// expected accumulates the totals of acknowledged runs.
type expected struct {
	users                         map[string]*userTotals
	runs, calls, spans            int64
	tokens, costNanos             int64
	byConv                        map[string]int64
	inTok, outTok, cacheR, reason int64
}

func newExpected() *expected {
	return &expected{users: map[string]*userTotals{}, byConv: map[string]int64{}}
}

func (e *expected) add(r *run) {
	u := e.users[r.user]
	if u == nil {
		u = &userTotals{}
		e.users[r.user] = u
	}
	u.runs++
	e.runs++
	e.spans += int64(r.spans())
	e.byConv[r.conv]++
	for i := range r.calls {
		c := &r.calls[i]
		u.tokens += c.input + c.output
		u.costNanos += c.costNanos
		e.tokens += c.input + c.output
		e.costNanos += c.costNanos
		e.calls++
		e.inTok += c.input
		e.outTok += c.output
		e.cacheR += c.cacheRead
		e.reason += c.reasoning
	}
}

func (e *expected) merge(o *expected) {
	for k, v := range o.users {
		u := e.users[k]
		if u == nil {
			u = &userTotals{}
			e.users[k] = u
		}
		u.runs += v.runs
		u.tokens += v.tokens
		u.costNanos += v.costNanos
	}
	e.runs += o.runs
	e.calls += o.calls
	e.spans += o.spans
	e.tokens += o.tokens
	e.costNanos += o.costNanos
	e.inTok += o.inTok
	e.outTok += o.outTok
	e.cacheR += o.cacheR
	e.reason += o.reason
	for k, v := range o.byConv {
		e.byConv[k] += v
	}
}
