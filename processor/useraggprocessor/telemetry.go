package useraggprocessor // import "github.com/waxell/otelcol-waxell/processor/useraggprocessor"

import (
	"errors"

	"go.opentelemetry.io/otel/metric"

	"github.com/waxell/otelcol-waxell/processor/useraggprocessor/internal/metadata"
)

// Names of the processor's own metrics. README.md documents each one.
const (
	metricSpans         = "useragg.spans"
	metricRuns          = "useragg.runs"
	metricCalls         = "useragg.calls"
	metricCallsUnpriced = "useragg.calls.unpriced"
	metricWithoutUser   = "useragg.spans.without_user"
	metricUserConflicts = "useragg.runs.user_conflicts"
	metricRejected      = "useragg.values.rejected"
	metricEmailLike     = "useragg.user_ids.email_like"
	metricSkipped       = "useragg.spans.skipped"
)

// Metric attribute keys.
const (
	attrConvention = "convention"
	attrAttribute  = "attribute"
	attrReason     = "reason"
)

// conventionNone labels spans that match no GenAI convention.
const conventionNone = "none"

type telemetry struct {
	spans         metric.Int64Counter
	runs          metric.Int64Counter
	calls         metric.Int64Counter
	callsUnpriced metric.Int64Counter
	withoutUser   metric.Int64Counter
	userConflicts metric.Int64Counter
	rejected      metric.Int64Counter
	emailLike     metric.Int64Counter
	skipped       metric.Int64Counter
}

func newTelemetry(mp metric.MeterProvider) (*telemetry, error) {
	m := mp.Meter(metadata.ScopeName)
	var t telemetry
	var errs []error
	counter := func(dst *metric.Int64Counter, name, unit, desc string) {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		*dst = c
	}
	counter(&t.spans, metricSpans, "{span}",
		"Spans processed, by GenAI convention recognised (\"none\" for spans that match none).")
	counter(&t.runs, metricRuns, "{run}",
		"Runs assembled. A run whose spans arrive in several batches is counted once per batch.")
	counter(&t.calls, metricCalls, "{call}",
		"Spans whose usage was counted (leaf LLM calls, or agent/aggregate spans of runs without LLM usage).")
	counter(&t.callsUnpriced, metricCallsUnpriced, "{call}",
		"Counted calls whose model has no price (cost 0, waxell.cost.source=unpriced).")
	counter(&t.withoutUser, metricWithoutUser, "{span}",
		"GenAI spans whose run (or, outside runs, the span itself) has no user id.")
	counter(&t.userConflicts, metricUserConflicts, "{run}",
		"Runs in which spans name more than one distinct user id (the first by precedence wins).")
	counter(&t.rejected, metricRejected, "{value}",
		"Attribute values skipped because they are malformed, by attribute key and reason.")
	counter(&t.emailLike, metricEmailLike, "{span}",
		"Spans whose own user id looks like an email address (counted when privacy.warn_email_user_ids is on).")
	counter(&t.skipped, metricSkipped, "{span}",
		"Spans not counted at all because they are malformed (missing trace or span id, no timestamps, start far in the future), by reason.")
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &t, nil
}
