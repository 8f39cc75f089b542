package genai

import (
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Timestamp and identity rules for malformed but decodable spans. Each case
// has one defined outcome (docs/reliability.md):
//
//   - start and end both zero: the span is skipped (SkipNoTimes);
//   - start zero, end set: start is set to end (ReasonStartZero);
//   - end zero, start set: end is set to start (ReasonEndZero);
//   - end before start: end is clamped to start (ReasonEndBeforeStart);
//   - a timestamp beyond the int64 range of Unix nanoseconds (after
//     2262-04-11) saturates at math.MaxInt64 instead of wrapping to a
//     negative time, and a start at that limit skips the span
//     (SkipOverflow);
//   - a start further after the processor's clock than the processor's
//     max_future_skew skips the span (SkipFuture); off by default, so that
//     times are kept as reported (S8);
//   - an all-zero trace id or span id skips the span (SkipNoTraceID,
//     SkipNoSpanID): the store identifies spans by both ids, so two such
//     spans would silently merge.
//
// The clamps are pure functions of the span, applied identically by Extract
// and FromCanonical, so the processor and the exporter agree and a span sent
// twice is treated the same way twice (S6).

// Pseudo attribute names under which timestamp issues are reported.
const (
	IssueStartTime = "span.start_time_unix_nano"
	IssueEndTime   = "span.end_time_unix_nano"
)

// Timestamp issue reasons.
const (
	ReasonStartZero      = "zero: set to the end time"
	ReasonEndZero        = "zero: set to the start time"
	ReasonEndBeforeStart = "before the start time: clamped to it"
)

// Reasons for skipping a whole span (SkipReason).
const (
	SkipNoTraceID = "missing trace id"
	SkipNoSpanID  = "missing span id"
	SkipNoTimes   = "zero start and end time"
	SkipOverflow  = "start time beyond the year 2262"
	SkipFuture    = "start time too far in the future (max_future_skew)"
)

// toNanos converts a pdata timestamp to int64 Unix nanoseconds, saturating
// instead of wrapping to a negative value.
func toNanos(ts pcommon.Timestamp) int64 {
	if uint64(ts) > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(ts)
}

// spanTimes returns the span's start and end after the clamps above, and the
// issue of the first clamp applied (zero Issue when none).
func spanTimes(span ptrace.Span) (start, end int64, is Issue) {
	start, end = toNanos(span.StartTimestamp()), toNanos(span.EndTimestamp())
	switch {
	case start == 0 && end == 0:
		// Skipped by SkipReason.
	case start == 0:
		start, is = end, Issue{IssueStartTime, ReasonStartZero}
	case end == 0:
		end, is = start, Issue{IssueEndTime, ReasonEndZero}
	case end < start:
		end, is = start, Issue{IssueEndTime, ReasonEndBeforeStart}
	}
	return start, end, is
}

// SkipReason reports why a span must not be counted at all ("" when it may
// be). maxSkew > 0 enables the future check against now (Unix nanoseconds);
// the exporter re-checks the deterministic rules with maxSkew 0.
func SkipReason(s *Span, now int64, maxSkew time.Duration) string {
	switch {
	case s.TraceID.IsEmpty():
		return SkipNoTraceID
	case s.SpanID.IsEmpty():
		return SkipNoSpanID
	case s.Start == 0 && s.End == 0:
		return SkipNoTimes
	case s.Start == math.MaxInt64:
		return SkipOverflow
	case maxSkew > 0 && s.Start > now && s.Start-now > int64(maxSkew):
		return SkipFuture
	}
	return ""
}
