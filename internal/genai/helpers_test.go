package genai

import (
	"encoding/binary"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// kv is one span attribute; values are string, int, int64, float64, bool or
// []byte.
type kv struct {
	k string
	v any
}

func a(k string, v any) kv { return kv{k, v} }

// spec describes one span of a test trace.
type spec struct {
	trace   uint64 // 0 means 1
	id      uint64
	parent  uint64
	name    string
	kind    ptrace.SpanKind
	scope   string
	service string // "" means "svc"
	start   int64  // 0 means 1000*id
	end     int64  // 0 means start+500
	err     bool
	attrs   []kv
}

func traceID(n uint64) pcommon.TraceID {
	var t pcommon.TraceID
	if n == 0 {
		n = 1
	}
	binary.BigEndian.PutUint64(t[8:], n)
	t[0] = 0xaa
	return t
}

func spanID(n uint64) pcommon.SpanID {
	var s pcommon.SpanID
	if n != 0 {
		binary.BigEndian.PutUint64(s[:], n)
	}
	return s
}

func (sp spec) times() (int64, int64) {
	start := sp.start
	if start == 0 {
		start = int64(sp.id) * 1000
	}
	end := sp.end
	if end == 0 {
		end = start + 500
	}
	return start, end
}

func putValue(m pcommon.Map, k string, v any) {
	switch x := v.(type) {
	case string:
		m.PutStr(k, x)
	case int:
		m.PutInt(k, int64(x))
	case int64:
		m.PutInt(k, x)
	case float64:
		m.PutDouble(k, x)
	case bool:
		m.PutBool(k, x)
	case []byte:
		m.PutEmptyBytes(k).FromRaw(x)
	case nil:
		m.PutEmpty(k)
	default:
		panic("unsupported attribute type")
	}
}

// build creates the pdata objects of sp.
func (sp spec) build() (pcommon.Resource, pcommon.InstrumentationScope, ptrace.Span) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	svc := sp.service
	if svc == "" {
		svc = "svc"
	}
	rs.Resource().Attributes().PutStr("service.name", svc)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(sp.scope)
	s := ss.Spans().AppendEmpty()
	s.SetTraceID(traceID(sp.trace))
	s.SetSpanID(spanID(sp.id))
	s.SetParentSpanID(spanID(sp.parent))
	s.SetName(sp.name)
	s.SetKind(sp.kind)
	start, end := sp.times()
	s.SetStartTimestamp(pcommon.Timestamp(start))
	s.SetEndTimestamp(pcommon.Timestamp(end))
	if sp.err {
		s.Status().SetCode(ptrace.StatusCodeError)
	}
	for _, x := range sp.attrs {
		putValue(s.Attributes(), x.k, x.v)
	}
	return rs.Resource(), ss.Scope(), s
}

// want returns the Span facts that follow from sp's ids, times, service and
// status; the test fills in the rest.
func (sp spec) want(s Span) Span {
	s.TraceID = traceID(sp.trace)
	s.SpanID = spanID(sp.id)
	s.ParentSpanID = spanID(sp.parent)
	s.Start, s.End = sp.times()
	s.Service = sp.service
	if s.Service == "" {
		s.Service = "svc"
	}
	s.Error = s.Error || sp.err
	return s
}

// testPricer prices [input, output] tokens in nano-USD per token.
type testPricer map[string][2]int64

func (p testPricer) Cost(model string, u Usage) (int64, bool) {
	pr, ok := p[model]
	if !ok {
		return 0, false
	}
	return u.Input*pr[0] + u.Output*pr[1], true
}

var prices = testPricer{
	"gpt-4o":                 {2500, 10000},
	"gpt-4o-mini":            {150, 600},
	"text-embedding-3-small": {20, 0},
	"claude-sonnet-4-5":      {3000, 15000},
	"gemini-2.5-flash":       {300, 2500},
}

func newTestExtractor() *Extractor { return NewExtractor(ExtractConfig{}, prices) }

func extract(t testing.TB, e *Extractor, sp spec) (Span, []Issue) {
	t.Helper()
	res, scope, span := sp.build()
	return e.Extract(res, scope, span)
}

// extractTrace extracts every span of a trace, in order.
func extractTrace(t testing.TB, e *Extractor, specs []spec) []Span {
	t.Helper()
	out := make([]Span, 0, len(specs))
	for _, sp := range specs {
		s, _ := extract(t, e, sp)
		out = append(out, s)
	}
	return out
}
