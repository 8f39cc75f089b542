package genai

import (
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Canonical attribute names written by the useragg processor (design §5).
// They are a public contract: the processor README documents each one.
const (
	AttrRunKey           = "waxell.run.key"
	AttrRunRoot          = "waxell.run.root"
	AttrUserID           = "waxell.user.id"
	AttrSessionID        = "waxell.session.id"
	AttrAgentName        = "waxell.agent.name"
	AttrWorkflowName     = "waxell.workflow.name"
	AttrSpanRole         = "waxell.span.role"
	AttrModel            = "waxell.llm.model"
	AttrProvider         = "waxell.llm.provider"
	AttrInputTokens      = "waxell.usage.input_tokens"
	AttrOutputTokens     = "waxell.usage.output_tokens"
	AttrCacheReadTokens  = "waxell.usage.cache_read_tokens"
	AttrCacheWriteTokens = "waxell.usage.cache_write_tokens"
	AttrReasoningTokens  = "waxell.usage.reasoning_tokens"
	AttrUsageCounted     = "waxell.usage.counted"
	AttrCostUSD          = "waxell.cost.usd"
	AttrCostSource       = "waxell.cost.source"
	AttrConvention       = "waxell.convention"

	// The span's own values before run attribution. The exporter stores
	// these, so that the store can re-attribute runs whatever the order in
	// which a trace's spans arrive.
	AttrOwnUserID       = "waxell.span.user.id"
	AttrOwnSessionID    = "waxell.span.session.id"
	AttrOwnAgentName    = "waxell.span.agent.name"
	AttrOwnWorkflowName = "waxell.span.workflow.name"
	// AttrOwnError marks a span that failed by its convention's own marker
	// (Langfuse level=ERROR) while its OTLP status is not ERROR.
	AttrOwnError = "waxell.span.error"

	// AttrSkipped marks a span the processor did not count, with the
	// reason (SkipReason); such a span carries no other canonical attribute
	// and the exporter does not store it.
	AttrSkipped = "waxell.span.skipped"
)

// canonicalKeys is every attribute the processor owns. Annotate and
// MarkSkipped remove them all before writing, so a value sent by a client
// (forged, or left by an earlier pipeline) never survives next to, or
// instead of, the processor's own.
var canonicalKeys = map[string]struct{}{
	AttrRunKey: {}, AttrRunRoot: {}, AttrUserID: {}, AttrSessionID: {}, AttrAgentName: {}, AttrWorkflowName: {},
	AttrSpanRole: {}, AttrModel: {}, AttrProvider: {}, AttrInputTokens: {}, AttrOutputTokens: {},
	AttrCacheReadTokens: {}, AttrCacheWriteTokens: {}, AttrReasoningTokens: {}, AttrUsageCounted: {},
	AttrCostUSD: {}, AttrCostSource: {}, AttrConvention: {}, AttrOwnUserID: {}, AttrOwnSessionID: {},
	AttrOwnAgentName: {}, AttrOwnWorkflowName: {}, AttrOwnError: {}, AttrSkipped: {},
}

// removeCanonical deletes every canonical attribute from attrs, in one pass.
func removeCanonical(attrs pcommon.Map) {
	attrs.RemoveIf(func(k string, _ pcommon.Value) bool {
		if len(k) < len("waxell.") || k[:len("waxell.")] != "waxell." {
			return false
		}
		_, ok := canonicalKeys[k]
		return ok
	})
}

// MarkSkipped removes the canonical attributes of span and marks it as
// skipped for reason.
func MarkSkipped(span ptrace.Span, reason string) {
	attrs := span.Attributes()
	removeCanonical(attrs)
	attrs.PutStr(AttrSkipped, reason)
}

// SkippedReason returns the reason the processor skipped span, if it did.
func SkippedReason(span ptrace.Span) (string, bool) {
	v, ok := span.Attributes().Get(AttrSkipped)
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

// RunView is what the processor knows of a span's run when it writes the
// canonical attributes.
type RunView struct {
	Run     *Run // nil when the span belongs to no run
	Root    bool
	Counted bool
}

// Annotate writes the canonical attributes of s onto span. Original
// attributes are never removed or changed; canonical ones already present
// (sent by the client) are replaced, never trusted.
func Annotate(span ptrace.Span, s *Span, v RunView) {
	// The values are gathered first so that the attribute slice grows once,
	// by exactly what is written, instead of by the worst case or repeatedly.
	var w annotations
	w.str(AttrSpanRole, string(s.Role))
	w.str(AttrConvention, s.Convention)
	w.str(AttrOwnUserID, s.UserID)
	w.str(AttrOwnSessionID, s.SessionID)
	w.str(AttrOwnAgentName, s.AgentName)
	w.str(AttrOwnWorkflowName, s.WorkflowName)
	if s.Error && span.Status().Code() != ptrace.StatusCodeError {
		w.boolean(AttrOwnError, true)
	}
	if r := v.Run; r != nil {
		w.str(AttrRunKey, r.Key)
		if v.Root {
			w.boolean(AttrRunRoot, true)
		}
		w.str(AttrUserID, r.UserID)
		w.str(AttrSessionID, r.SessionID)
		w.str(AttrAgentName, r.AgentName)
		w.str(AttrWorkflowName, r.WorkflowName)
	} else {
		w.str(AttrUserID, s.UserID)
		w.str(AttrSessionID, s.SessionID)
	}
	w.str(AttrModel, s.Model)
	w.str(AttrProvider, s.Provider)
	// Input and output tokens are always written on a span with usage (their
	// presence is what says it has usage); the other counts and the root flag
	// only when they say something (§8.17). Each attribute is one pdata
	// allocation, and most spans have no cached or reasoning tokens.
	if s.HasUsage {
		w.integer(AttrInputTokens, s.Usage.Input)
		w.integer(AttrOutputTokens, s.Usage.Output)
		w.positive(AttrCacheReadTokens, s.Usage.CacheRead)
		w.positive(AttrCacheWriteTokens, s.Usage.CacheWrite)
		w.positive(AttrReasoningTokens, s.Usage.Reasoning)
	}
	// A usage-less LLM leaf still counts as a call (a failed request).
	if s.HasUsage || s.Role == RoleLLM {
		w.boolean(AttrUsageCounted, v.Counted)
	}
	if s.CostSource != CostNone {
		w.double(AttrCostUSD, float64(s.CostNanos)/1e9)
		w.str(AttrCostSource, string(s.CostSource))
	}

	attrs := span.Attributes()
	removeCanonical(attrs)
	attrs.EnsureCapacity(attrs.Len() + w.n)
	for k := range w.n {
		a := &w.list[k]
		switch a.typ {
		case pcommon.ValueTypeStr:
			attrs.PutStr(a.key, a.s)
		case pcommon.ValueTypeInt:
			attrs.PutInt(a.key, a.i)
		case pcommon.ValueTypeBool:
			attrs.PutBool(a.key, a.i != 0)
		case pcommon.ValueTypeDouble:
			attrs.PutDouble(a.key, a.f)
		}
	}
}

// maxAnnotations is the most attributes Annotate writes on one span.
const maxAnnotations = 23

// annotations are the attributes Annotate is about to write, in order. It
// lives on the stack: no allocation. Each method fills its entry in place
// (the array is large; copying entries showed in profiles).
type annotations struct {
	list [maxAnnotations]annotation
	n    int
}

type annotation struct {
	key string
	typ pcommon.ValueType
	s   string
	i   int64 // an int, or a bool as 0 or 1
	f   float64
}

// next returns the entry to fill, typed t.
func (w *annotations) next(k string, t pcommon.ValueType) *annotation {
	a := &w.list[w.n]
	w.n++
	a.key, a.typ = k, t
	return a
}

// str adds a string attribute; an empty value is not written.
func (w *annotations) str(k, v string) {
	if v != "" {
		w.next(k, pcommon.ValueTypeStr).s = v
	}
}

func (w *annotations) integer(k string, v int64) {
	w.next(k, pcommon.ValueTypeInt).i = v
}

// positive adds an int attribute only when v is above zero; absent reads as 0.
func (w *annotations) positive(k string, v int64) {
	if v > 0 {
		w.integer(k, v)
	}
}

func (w *annotations) boolean(k string, v bool) {
	a := w.next(k, pcommon.ValueTypeBool)
	if v {
		a.i = 1
	}
}

func (w *annotations) double(k string, v float64) {
	w.next(k, pcommon.ValueTypeDouble).f = v
}

// FromCanonical reads the facts the processor wrote on span. ok is false when
// the span carries no canonical attributes (it did not pass through useragg).
func FromCanonical(res pcommon.Resource, span ptrace.Span) (s Span, ok bool) {
	attrs := span.Attributes()
	role, ok := attrs.Get(AttrSpanRole)
	if !ok {
		return Span{}, false
	}
	start, end, _ := spanTimes(span)
	s = Span{
		TraceID:      span.TraceID(),
		SpanID:       span.SpanID(),
		ParentSpanID: span.ParentSpanID(),
		Start:        start,
		End:          end,
		Error:        span.Status().Code() == ptrace.StatusCodeError || boolean(attrs, AttrOwnError),
		Role:         ParseRole(role.Str()),
		Convention:   str(attrs, AttrConvention),
		UserID:       str(attrs, AttrOwnUserID),
		SessionID:    str(attrs, AttrOwnSessionID),
		AgentName:    str(attrs, AttrOwnAgentName),
		WorkflowName: str(attrs, AttrOwnWorkflowName),
		Model:        str(attrs, AttrModel),
		Provider:     str(attrs, AttrProvider),
	}
	if v, ok := res.Attributes().Get("service.name"); ok {
		s.Service = v.AsString()
	}
	if _, ok := attrs.Get(AttrInputTokens); ok {
		s.HasUsage = true
		s.Usage = Usage{
			Input:      integer(attrs, AttrInputTokens),
			Output:     integer(attrs, AttrOutputTokens),
			CacheRead:  integer(attrs, AttrCacheReadTokens),
			CacheWrite: integer(attrs, AttrCacheWriteTokens),
			Reasoning:  integer(attrs, AttrReasoningTokens),
		}
	}
	if src, ok := attrs.Get(AttrCostSource); ok {
		s.CostSource = CostSource(src.Str())
		if v, ok := attrs.Get(AttrCostUSD); ok && v.Type() == pcommon.ValueTypeDouble {
			if f := v.Double(); !math.IsNaN(f) && !math.IsInf(f, 0) && f >= 0 && f < math.MaxInt64/1e9 {
				s.CostNanos = int64(math.Round(f * 1e9))
			}
		}
	}
	return s, true
}

func str(m pcommon.Map, k string) string {
	if v, ok := m.Get(k); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

func integer(m pcommon.Map, k string) int64 {
	if v, ok := m.Get(k); ok && v.Type() == pcommon.ValueTypeInt && v.Int() > 0 {
		return v.Int()
	}
	return 0
}

func boolean(m pcommon.Map, k string) bool {
	v, ok := m.Get(k)
	return ok && v.Type() == pcommon.ValueTypeBool && v.Bool()
}
