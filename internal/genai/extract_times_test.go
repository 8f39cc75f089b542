package genai

import (
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestTimestampRules(t *testing.T) {
	e := newTestExtractor()
	llm := []kv{a("gen_ai.operation.name", "chat"), a("gen_ai.request.model", "gpt-4o"), a("gen_ai.usage.input_tokens", 10)}
	tests := []struct {
		name             string
		start, end       uint64
		wantStart, wantE int64
		issue            Issue
	}{
		{"well formed", 1000, 2000, 1000, 2000, Issue{}},
		{"end before start is clamped", 5000, 4000, 5000, 5000, Issue{IssueEndTime, ReasonEndBeforeStart}},
		{"zero start takes the end", 0, 7000, 7000, 7000, Issue{IssueStartTime, ReasonStartZero}},
		{"zero end takes the start", 7000, 0, 7000, 7000, Issue{IssueEndTime, ReasonEndZero}},
		{"both zero stay zero (skipped)", 0, 0, 0, 0, Issue{}},
		{"beyond int64 saturates", math.MaxUint64, math.MaxUint64, math.MaxInt64, math.MaxInt64, Issue{}},
		{"end beyond int64 saturates, never wraps negative", 1000, 1 << 63, 1000, math.MaxInt64, Issue{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, scope, span := spec{id: 3, attrs: llm}.build()
			span.SetStartTimestamp(pcommon.Timestamp(tt.start))
			span.SetEndTimestamp(pcommon.Timestamp(tt.end))
			s, issues := e.Extract(res, scope, span)
			if s.Start != tt.wantStart || s.End != tt.wantE {
				t.Fatalf("start, end = %d, %d; want %d, %d", s.Start, s.End, tt.wantStart, tt.wantE)
			}
			var got Issue
			for _, is := range issues {
				if is.Attribute == IssueStartTime || is.Attribute == IssueEndTime {
					got = is
				}
			}
			if got != tt.issue {
				t.Fatalf("issue %+v, want %+v", got, tt.issue)
			}
			// The exporter reads the same times from the annotated span.
			Annotate(span, &s, RunView{})
			back, ok := FromCanonical(res, span)
			if !ok || back.Start != s.Start || back.End != s.End {
				t.Fatalf("FromCanonical times %d, %d (ok %v); Extract %d, %d", back.Start, back.End, ok, s.Start, s.End)
			}
		})
	}
}

func TestSkipReason(t *testing.T) {
	now := time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	ok := Span{TraceID: traceID(1), SpanID: spanID(1), Start: now - 1, End: now}
	const day = 24 * time.Hour
	tests := []struct {
		name   string
		mutate func(*Span)
		skew   time.Duration
		want   string
	}{
		{"well formed", func(*Span) {}, day, ""},
		{"no trace id", func(s *Span) { s.TraceID = pcommon.TraceID{} }, day, SkipNoTraceID},
		{"no span id", func(s *Span) { s.SpanID = pcommon.SpanID{} }, day, SkipNoSpanID},
		{"no times", func(s *Span) { s.Start, s.End = 0, 0 }, day, SkipNoTimes},
		{"a little ahead (clock skew) is fine", func(s *Span) { s.Start = now + int64(time.Hour) }, day, ""},
		{"far future", func(s *Span) { s.Start = now + int64(day) + 1 }, day, SkipFuture},
		{"far future kept with the check off", func(s *Span) { s.Start = now + 20*365*int64(day) }, 0, ""},
		{"saturated", func(s *Span) { s.Start, s.End = math.MaxInt64, math.MaxInt64 }, 0, SkipOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.mutate(&s)
			if got := SkipReason(&s, now, tt.skew); got != tt.want {
				t.Fatalf("SkipReason = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestAnnotateReplacesForgedAttributes: canonical attributes sent by a
// client are removed, so a span without a user or usage of its own cannot
// smuggle one in through waxell.* attributes.
func TestAnnotateReplacesForgedAttributes(t *testing.T) {
	e := newTestExtractor()
	res, scope, span := spec{id: 2, name: "chat", attrs: []kv{a("gen_ai.operation.name", "chat"),
		a(AttrOwnUserID, "victim"), a(AttrUserID, "victim"), a(AttrInputTokens, int64(1e12)),
		a(AttrCostUSD, 1e6), a(AttrCostSource, "reported"), a(AttrSkipped, "no"), a("waxell.custom", "kept")}}.build()
	s, _ := e.Extract(res, scope, span)
	Annotate(span, &s, RunView{})
	attrs := span.Attributes()
	for _, k := range []string{AttrOwnUserID, AttrUserID, AttrInputTokens, AttrCostUSD, AttrCostSource, AttrSkipped} {
		if v, ok := attrs.Get(k); ok {
			t.Errorf("forged %s = %v survived", k, v.AsRaw())
		}
	}
	if v, _ := attrs.Get("waxell.custom"); v.Str() != "kept" {
		t.Error("an attribute outside the canonical set was removed")
	}
	back, ok := FromCanonical(res, span)
	if !ok || back.UserID != "" || back.HasUsage || back.CostNanos != 0 {
		t.Fatalf("exporter view %+v", back)
	}

	MarkSkipped(span, SkipNoTimes)
	if _, ok := FromCanonical(res, span); ok {
		t.Fatal("a skipped span still carries canonical attributes")
	}
	if r, ok := SkippedReason(span); !ok || r != SkipNoTimes {
		t.Fatalf("SkippedReason = %q, %v", r, ok)
	}
	if _, ok := SkippedReason(ptrace.NewSpan()); ok {
		t.Fatal("SkippedReason on a plain span")
	}
}
