package storetest

import (
	"encoding/binary"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

// t0 is the origin of fixture times: 2025-03-10T00:00:00Z.
var t0 = time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC).UnixNano()

const sec = int64(time.Second)

// at is a fixture time: day days after t0, at h:m:s UTC.
func at(day, h, m, s int) int64 {
	return t0 + int64(day)*24*3600*sec + int64(h)*3600*sec + int64(m)*60*sec + int64(s)*sec
}

// none is the parent of root spans.
var none pcommon.SpanID

// traceBuilder builds the spans of one trace. Span ids are assigned in the
// order spans are added; spans are listed in that order (parents first).
type traceBuilder struct {
	id    pcommon.TraceID
	seq   uint64
	spans []genai.Span
}

// newTrace starts a trace whose id is derived from n (distinct n, distinct ids).
func newTrace(n uint64) *traceBuilder {
	var id pcommon.TraceID
	id[0] = 0x7a
	binary.BigEndian.PutUint64(id[4:12], n)
	binary.BigEndian.PutUint32(id[12:], uint32(n*2654435761))
	return &traceBuilder{id: id}
}

type spanOpt func(*genai.Span)

func user(u string) spanOpt     { return func(s *genai.Span) { s.UserID = u } }
func session(v string) spanOpt  { return func(s *genai.Span) { s.SessionID = v } }
func workflow(v string) spanOpt { return func(s *genai.Span) { s.WorkflowName = v } }
func service(v string) spanOpt  { return func(s *genai.Span) { s.Service = v } }
func failed() spanOpt           { return func(s *genai.Span) { s.Error = true } }

// usageOf gives a span usage, a model and a cost (src CostUnpriced means cost 0).
func usageOf(model string, u genai.Usage, cost int64, src genai.CostSource) spanOpt {
	return func(s *genai.Span) {
		s.Model = model
		s.HasUsage = true
		s.Usage = u
		s.CostNanos = cost
		s.CostSource = src
	}
}

// tok is a usage with input and output tokens only.
func tok(in, out int64) genai.Usage { return genai.Usage{Input: in, Output: out} }

func (b *traceBuilder) add(parent pcommon.SpanID, role genai.Role, start, end int64, opts ...spanOpt) pcommon.SpanID {
	b.seq++
	var id pcommon.SpanID
	binary.BigEndian.PutUint64(id[:], b.seq<<8|0x5a)
	s := genai.Span{
		TraceID:      b.id,
		SpanID:       id,
		ParentSpanID: parent,
		Start:        start,
		End:          end,
		Role:         role,
		Convention:   "storetest",
	}
	for _, o := range opts {
		o(&s)
	}
	b.spans = append(b.spans, s)
	return id
}

// agent adds an agent (or workflow) span named name.
func (b *traceBuilder) agent(parent pcommon.SpanID, name string, start, end int64, opts ...spanOpt) pcommon.SpanID {
	return b.add(parent, genai.RoleAgent, start, end, append([]spanOpt{func(s *genai.Span) { s.AgentName = name }}, opts...)...)
}

// llm adds an LLM call span with usage.
func (b *traceBuilder) llm(parent pcommon.SpanID, model string, start, end int64, u genai.Usage, cost int64, src genai.CostSource, opts ...spanOpt) pcommon.SpanID {
	return b.add(parent, genai.RoleLLM, start, end, append([]spanOpt{usageOf(model, u, cost, src), func(s *genai.Span) { s.Provider = "prov" }}, opts...)...)
}

// aggregate adds a span repeating its children's usage (chain, task).
func (b *traceBuilder) aggregate(parent pcommon.SpanID, start, end int64, u genai.Usage, cost int64, src genai.CostSource, opts ...spanOpt) pcommon.SpanID {
	return b.add(parent, genai.RoleAggregate, start, end, append([]spanOpt{usageOf("", u, cost, src)}, opts...)...)
}

// other adds a non-GenAI span (an HTTP server span, a batch job root).
func (b *traceBuilder) other(parent pcommon.SpanID, start, end int64, opts ...spanOpt) pcommon.SpanID {
	return b.add(parent, genai.RoleOther, start, end, opts...)
}

// tool adds a tool span without usage.
func (b *traceBuilder) tool(parent pcommon.SpanID, start, end int64, opts ...spanOpt) pcommon.SpanID {
	return b.add(parent, genai.RoleTool, start, end, opts...)
}

// key is the run key of the run rooted at root.
func (b *traceBuilder) key(root pcommon.SpanID) string { return genai.RunKey(b.id, root) }

// span returns the span with id.
func (b *traceBuilder) span(id pcommon.SpanID) genai.Span {
	for _, s := range b.spans {
		if s.SpanID == id {
			return s
		}
	}
	panic("storetest: no such span")
}

// without returns the trace's spans except the given ones.
func (b *traceBuilder) without(ids ...pcommon.SpanID) []genai.Span {
	var out []genai.Span
next:
	for _, s := range b.spans {
		for _, id := range ids {
			if s.SpanID == id {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

// all concatenates the spans of traces.
func all(traces ...*traceBuilder) []genai.Span {
	var out []genai.Span
	for _, b := range traces {
		out = append(out, b.spans...)
	}
	return out
}
