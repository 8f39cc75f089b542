package postgres

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

// traffic generates realistic GenAI traces for the PostgreSQL-specific
// tests and the benchmark. Every span id is unique per trace; every trace id
// is unique per (seed, n).
type traffic struct {
	r     *rand.Rand
	seed  uint64
	users int
	base  int64
}

var trafficModels = []string{"gpt-4o", "claude-sonnet-4", "gemini-2.5-pro", "llama-3-70b"}

func newTraffic(seed uint64, users int) *traffic {
	return &traffic{
		r:     rand.New(rand.NewPCG(seed, 0x7261666669)),
		seed:  seed,
		users: users,
		base:  int64(1_741_564_800) * 1e9, // 2025-03-10T00:00:00Z
	}
}

type traceGen struct {
	id    pcommon.TraceID
	seq   uint64
	spans []genai.Span
}

func (g *traceGen) add(parent pcommon.SpanID, role genai.Role, start, end int64, f func(*genai.Span)) pcommon.SpanID {
	g.seq++
	var id pcommon.SpanID
	binary.BigEndian.PutUint64(id[:], g.seq*0x9e3779b97f4a7c15|1)
	s := genai.Span{TraceID: g.id, SpanID: id, ParentSpanID: parent, Start: start, End: end, Role: role,
		Convention: "pgtest", Service: "svc"}
	if f != nil {
		f(&s)
	}
	g.spans = append(g.spans, s)
	return id
}

func (tr *traffic) user() string { return fmt.Sprintf("user-%04d", tr.r.IntN(tr.users)) }

func (tr *traffic) llm(model string) func(*genai.Span) {
	in, out := int64(10+tr.r.IntN(2000)), int64(1+tr.r.IntN(500))
	cost := in*150 + out*600
	src := genai.CostComputed
	if model == "llama-3-70b" {
		cost, src = 0, genai.CostUnpriced
	}
	return func(s *genai.Span) {
		s.Model, s.Provider, s.HasUsage = model, "prov", true
		s.Usage = genai.Usage{Input: in, Output: out, CacheRead: in / 4}
		s.CostNanos, s.CostSource = cost, src
	}
}

func (tr *traffic) model() string { return trafficModels[tr.r.IntN(len(trafficModels))] }

// trace returns the spans of trace n, of one of several shapes.
func (tr *traffic) trace(n uint64) []genai.Span { return tr.shaped(n, n%5) }

// shaped returns the spans of trace n of the given shape (0: agent root with
// the user, two LLM calls and a tool: 4 spans).
func (tr *traffic) shaped(n, shape uint64) []genai.Span {
	g := &traceGen{}
	binary.BigEndian.PutUint64(g.id[:8], tr.seed)
	binary.BigEndian.PutUint64(g.id[8:], n)
	start := tr.base + int64(tr.r.IntN(14*24*3600))*1e9
	sec := int64(1e9)
	u := tr.user()
	agentName := fmt.Sprintf("agent-%d", tr.r.IntN(5))
	switch shape {
	case 0: // agent root with the user, two calls and a tool
		a := g.add(pcommon.SpanID{}, genai.RoleAgent, start, start+20*sec, func(s *genai.Span) {
			s.AgentName, s.UserID, s.SessionID = agentName, u, "sess-"+u
		})
		g.add(a, genai.RoleLLM, start+sec, start+5*sec, tr.llm(tr.model()))
		g.add(a, genai.RoleTool, start+6*sec, start+7*sec, nil)
		g.add(a, genai.RoleLLM, start+8*sec, start+15*sec, tr.llm(tr.model()))
	case 1: // HTTP root with the user, agent below it
		h := g.add(pcommon.SpanID{}, genai.RoleOther, start, start+30*sec, func(s *genai.Span) { s.UserID = u })
		a := g.add(h, genai.RoleAgent, start+sec, start+29*sec, func(s *genai.Span) { s.AgentName = agentName })
		g.add(a, genai.RoleLLM, start+2*sec, start+9*sec, tr.llm(tr.model()))
	case 2: // user only on the deepest span; doubly instrumented call
		a := g.add(pcommon.SpanID{}, genai.RoleAgent, start, start+40*sec, func(s *genai.Span) { s.AgentName = agentName })
		m := tr.model()
		outer := g.add(a, genai.RoleLLM, start+sec, start+10*sec, tr.llm(m))
		g.add(outer, genai.RoleLLM, start+2*sec, start+9*sec, func(s *genai.Span) {
			tr.llm(m)(s)
			s.UserID = u
		})
		if tr.r.IntN(3) == 0 { // a conflicting user
			g.add(a, genai.RoleTool, start+11*sec, start+12*sec, func(s *genai.Span) { s.UserID = tr.user() })
		}
	case 3: // implicit run: LLM spans without an agent
		root := g.add(pcommon.SpanID{}, genai.RoleOther, start, start+10*sec, nil)
		g.add(root, genai.RoleLLM, start+sec, start+4*sec, func(s *genai.Span) {
			tr.llm(tr.model())(s)
			s.UserID = u
		})
		g.add(root, genai.RoleLLM, start+5*sec, start+9*sec, tr.llm(tr.model()))
	case 4: // batch job: sibling runs for different users, usage on an aggregate
		root := g.add(pcommon.SpanID{}, genai.RoleOther, start, start+120*sec, nil)
		for k := 0; k < 3; k++ {
			ku := tr.user()
			off := int64(k) * 30 * sec
			a := g.add(root, genai.RoleAgent, start+off, start+off+20*sec, func(s *genai.Span) {
				s.AgentName, s.UserID = agentName, ku
			})
			if k == 2 {
				g.add(a, genai.RoleAggregate, start+off+sec, start+off+10*sec, tr.llm(tr.model()))
			} else {
				g.add(a, genai.RoleLLM, start+off+sec, start+off+10*sec, tr.llm(tr.model()))
			}
		}
	}
	return g.spans
}

// traces returns the spans of traces first..first+count-1.
func (tr *traffic) traces(first, count uint64) []genai.Span {
	var out []genai.Span
	for n := first; n < first+count; n++ {
		out = append(out, tr.trace(n)...)
	}
	return out
}
