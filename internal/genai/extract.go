package genai

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// ExtractConfig extends every precedence list; configured keys are tried
// BEFORE the built-in keys. Keys are exact attribute names.
type ExtractConfig struct {
	UserKeys, SessionKeys, AgentNameKeys, WorkflowKeys, ModelKeys, ProviderKeys             []string
	InputTokenKeys, OutputTokenKeys, CacheReadKeys, CacheWriteKeys, ReasoningKeys, CostKeys []string
}

// Pricer prices a model's usage in nano-USD. ok is false when the model has
// no price.
type Pricer interface {
	Cost(model string, u Usage) (nanos int64, ok bool)
}

// modelGrouper is a Pricer that also knows the price-table entry a reported
// model name resolves to (pricing.Table.BaseName). Calls are then grouped
// under that base name, so a dated or provider-prefixed name and its base
// model are one model.
type modelGrouper interface {
	BaseName(model string) string
}

// Issue is a malformed attribute value that was skipped or clamped.
type Issue struct {
	Attribute string
	Reason    string
}

type keyRef struct {
	field fieldID
	rank  uint16
}

type keyEntry struct {
	refs    []keyRef
	markers uint32
}

// Extractor turns spans into canonical facts. It is immutable once built and
// safe for concurrent use.
type Extractor struct {
	keys        map[string]keyEntry
	pricer      Pricer
	grouper     modelGrouper // nil: models stay as reported
	cfgCostKeys int          // ranks below this are configured cost keys
}

// NewExtractor builds the key index of cfg plus the built-in conventions. p
// may be nil: then no cost is computed and spans with usage are unpriced.
func NewExtractor(cfg ExtractConfig, p Pricer) *Extractor {
	e := &Extractor{keys: make(map[string]keyEntry, 256), pricer: p}
	e.grouper, _ = p.(modelGrouper)
	lists := []struct {
		f          fieldID
		configured []string
		builtin    []string
	}{
		{fUser, cfg.UserKeys, builtinUserKeys},
		{fSession, cfg.SessionKeys, builtinSessionKeys},
		{fAgent, cfg.AgentNameKeys, nil},
		{fWorkflow, cfg.WorkflowKeys, builtinWorkflowKeys},
		{fModel, cfg.ModelKeys, nil},
		{fRespModel, nil, builtinRespModelKeys},
		{fReqModel, nil, builtinReqModelKeys},
		{fProvider, cfg.ProviderKeys, builtinProviderKeys},
		{fInput, cfg.InputTokenKeys, builtinInputKeys},
		{fOutput, cfg.OutputTokenKeys, builtinOutputKeys},
		{fCacheRead, cfg.CacheReadKeys, builtinCacheReadKeys},
		{fCacheWrite, cfg.CacheWriteKeys, builtinCacheWriteKeys},
		{fReasoning, cfg.ReasoningKeys, builtinReasoningKeys},
		{fTotal, nil, builtinTotalKeys},
		{fCost, cfg.CostKeys, builtinCostKeys},
	}
	for _, l := range lists {
		rank := 0
		for _, k := range l.configured {
			if k = strings.TrimSpace(k); k != "" && e.add(k, l.f, rank) {
				rank++
			}
		}
		if l.f == fCost {
			e.cfgCostKeys = rank
		}
		for _, k := range l.builtin {
			if e.add(k, l.f, rank) {
				rank++
			}
		}
	}
	for k, f := range singleKeys {
		e.add(k, f, 0)
	}
	return e
}

// add registers k for field f at rank; a key already in f keeps its earlier rank.
func (e *Extractor) add(k string, f fieldID, rank int) bool {
	ent, ok := e.keys[k]
	if !ok {
		ent.markers = keyMarkers(k)
	}
	for _, r := range ent.refs {
		if r.field == f {
			return false
		}
	}
	ent.refs = append(ent.refs, keyRef{field: f, rank: uint16(min(rank, 0xffff))})
	e.keys[k] = ent
	return true
}

// cand is the best valid value seen so far for one field.
type cand struct {
	str  string
	num  int64
	usd  float64
	key  string
	rank uint16
	set  bool
}

// state is the per-span scratch space of Extract; it lives on the stack.
type state struct {
	e       *Extractor
	c       [numFields]cand
	markers uint32
	issues  []Issue
}

func (st *state) issue(k, reason string) {
	st.issues = append(st.issues, Issue{Attribute: k, Reason: reason})
}

// visit indexes one attribute: a single map lookup, then the key's fields.
func (st *state) visit(k string, v pcommon.Value) {
	ent, ok := st.e.keys[k]
	if !ok {
		st.markers |= keyMarkers(k)
		return
	}
	st.markers |= ent.markers
	for _, r := range ent.refs {
		st.offer(r, k, v)
	}
}

// offer validates v for field r.field and keeps it if it beats the current
// candidate. Invalid values are skipped (the next key in precedence wins).
func (st *state) offer(r keyRef, k string, v pcommon.Value) {
	c := &st.c[r.field]
	kind := r.field.kind()
	if kind == kindProvider && v.Type() == pcommon.ValueTypeStr {
		st.markers |= providerMarkers(strings.TrimSpace(v.Str()))
	}
	if c.set && c.rank <= r.rank {
		return
	}
	switch kind {
	case kindRaw:
		if v.Type() != pcommon.ValueTypeStr {
			return
		}
		s := strings.TrimSpace(v.Str())
		if s == "" {
			return
		}
		c.str = s
	case kindName, kindProvider:
		if v.Type() != pcommon.ValueTypeStr {
			st.issue(k, ReasonNotString)
			return
		}
		s := strings.TrimSpace(v.Str())
		if kind == kindProvider {
			s = normalizeProvider(s, k == "ai.model.provider")
		}
		if s == "" {
			return
		}
		c.str = s
	case kindID:
		var s string
		switch v.Type() {
		case pcommon.ValueTypeStr:
			s = strings.TrimSpace(v.Str())
		case pcommon.ValueTypeInt:
			s = strconv.FormatInt(v.Int(), 10)
		default:
			st.issue(k, ReasonNotString)
			return
		}
		if s == "" {
			return
		}
		c.str = s
	case kindTokens:
		n, reason := parseCount(v)
		if reason != "" {
			st.issue(k, reason)
			return
		}
		c.num = n
	case kindCost:
		f, reason := parseUSD(v)
		if reason != "" {
			st.issue(k, reason)
			return
		}
		c.usd = f
	}
	c.set, c.rank, c.key = true, r.rank, k
}

// id returns the sanitised id of field f, or "".
func (st *state) id(f fieldID) string {
	c := &st.c[f]
	if !c.set {
		return ""
	}
	s, reason := cleanID(c.str)
	if reason != "" {
		st.issue(c.key, reason)
	}
	return s
}

// name sanitises a display name found under key k.
func (st *state) name(s, k string) string {
	if s == "" {
		return ""
	}
	s, reason := cleanName(s)
	if reason != "" {
		st.issue(k, reason)
	}
	return s
}

// Extract returns the canonical facts of one span. Issues lists malformed
// values that were skipped or clamped; it is nil for well-formed spans.
func (e *Extractor) Extract(res pcommon.Resource, scope pcommon.InstrumentationScope, span ptrace.Span) (Span, []Issue) {
	st := state{e: e}
	span.Attributes().Range(func(k string, v pcommon.Value) bool {
		st.visit(k, v)
		return true
	})

	spanName := span.Name()
	scopeName := scope.Name()
	root := span.ParentSpanID().IsEmpty()
	start, end, timeIssue := spanTimes(span)
	if timeIssue.Attribute != "" {
		st.issues = append(st.issues, timeIssue)
	}
	s := Span{
		TraceID:      span.TraceID(),
		SpanID:       span.SpanID(),
		ParentSpanID: span.ParentSpanID(),
		Start:        start,
		End:          end,
		Error:        span.Status().Code() == ptrace.StatusCodeError || strings.EqualFold(st.c[sLFLevel].str, "ERROR"),
	}
	if v, ok := res.Attributes().Get("service.name"); ok {
		if v.Type() == pcommon.ValueTypeStr {
			s.Service = v.Str()
		} else {
			s.Service = v.AsString()
		}
	}
	s.Convention = detectConvention(scopeName, spanName, st.markers)

	s.Usage, s.HasUsage = st.usage()

	var reqModel string
	switch c := &st.c; {
	case c[fModel].set:
		s.Model = st.name(c[fModel].str, c[fModel].key)
	case c[fRespModel].set:
		s.Model = st.name(c[fRespModel].str, c[fRespModel].key)
	case c[fReqModel].set:
		s.Model = st.name(c[fReqModel].str, c[fReqModel].key)
	}
	if c := &st.c[fReqModel]; c.set {
		reqModel, _ = cleanName(c.str)
	}

	s.Role = st.classify(roleInput{
		name:     spanName,
		scope:    scopeName,
		root:     root,
		hasModel: st.c[fModel].set || st.c[fRespModel].set || st.c[fReqModel].set,
		hasUsage: s.HasUsage,
	})

	if c := &st.c[fProvider]; c.set {
		s.Provider = st.name(c.str, c.key)
	} else if s.Role != RoleOther {
		if s.Provider = providerFromHost(st.c[sServerAddr].str); s.Provider == "" {
			if s.Provider = providerFromModel(s.Model); s.Provider == "" {
				s.Provider = providerFromModel(reqModel)
			}
		}
	}

	s.UserID = st.id(fUser)
	s.SessionID = st.id(fSession)
	if s.Role == RoleAgent {
		n, k := st.agentName(spanName, reqModel, s.Model)
		s.AgentName = st.name(n, k)
	}
	wf, wfKey := st.workflowName(spanName, s.Convention, span.Kind() == ptrace.SpanKindServer, root)
	s.WorkflowName = st.name(wf, wfKey)

	st.cost(&s, reqModel)
	// After pricing and naming, which use the name as reported: only the
	// grouping changes, and the span's own attributes keep the raw name.
	if st.e.grouper != nil && s.Model != "" {
		s.Model = st.e.grouper.BaseName(s.Model)
	}
	return s, st.issues
}

// cost applies S5: a reported cost wins; else the price of the model (the
// response model, else the request model); else unpriced when there is usage.
func (st *state) cost(s *Span, reqModel string) {
	if usd, ok := st.reportedCost(); ok {
		s.CostSource, s.CostNanos = CostReported, usdToNanos(usd)
		return
	}
	if !s.HasUsage && s.Role != RoleLLM {
		return
	}
	if p := st.e.pricer; p != nil && s.Model != "" {
		n, ok := p.Cost(s.Model, s.Usage)
		if !ok && reqModel != "" && reqModel != s.Model {
			n, ok = p.Cost(reqModel, s.Usage)
		}
		if ok {
			s.CostSource, s.CostNanos = CostComputed, max(n, 0)
			return
		}
	}
	if s.HasUsage {
		s.CostSource = CostUnpriced
	}
}

// reportedCost resolves §10.2 cost_usd: configured keys, then Langfuse
// cost_details (total, else the sum of its parts), then the built-in keys.
func (st *state) reportedCost() (float64, bool) {
	c := &st.c[fCost]
	if c.set && int(c.rank) < st.e.cfgCostKeys {
		return c.usd, true
	}
	if st.c[sLFCost].set {
		if usd, ok := st.langfuseCost(); ok {
			return usd, true
		}
	}
	return c.usd, c.set
}
