package waxellexporter // import "github.com/waxell/otelcol-waxell/exporter/waxellexporter"

import (
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/waxell/otelcol-waxell/exporter/waxellexporter/internal/metadata"
)

// Names of the exporter's own metrics. README.md documents each one.
const (
	metricSpansApplied     = "waxell.spans.applied"
	metricSpansDuplicate   = "waxell.spans.duplicate"
	metricBatchesFailed    = "waxell.batches.failed"
	metricWithoutCanonical = "waxell.spans.without_canonical"
	metricSpansSkipped     = "waxell.spans.skipped"
	metricSpansRetired     = "waxell.spans.retired"
	metricTracesRetired    = "waxell.retention.traces"
	metricQueriesTimedOut  = "waxell.api.queries.timed_out"
	metricQueriesWait      = "waxell.api.queries.wait"
)

const (
	attrPermanent = "permanent"
	attrQueued    = "queued"
	attrHeavy     = "heavy"
)

// queryWaitBuckets are the bounds, in seconds, of the wait for a query slot:
// from none through a heavy read's seconds to the default query timeout.
var queryWaitBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30}

type telemetry struct {
	spansApplied     metric.Int64Counter
	spansDuplicate   metric.Int64Counter
	batchesFailed    metric.Int64Counter
	withoutCanonical metric.Int64Counter
	spansSkipped     metric.Int64Counter
	spansRetired     metric.Int64Counter
	tracesRetired    metric.Int64Counter
	queriesTimedOut  metric.Int64Counter
	queriesWait      metric.Float64Histogram

	permanent, queued, heavy boolAttr
}

// boolAttr is the measurement option of each value of one bool attribute,
// built once rather than per measurement.
type boolAttr [2]metric.MeasurementOption

func newBoolAttr(key string) boolAttr {
	return boolAttr{
		metric.WithAttributeSet(attribute.NewSet(attribute.Bool(key, false))),
		metric.WithAttributeSet(attribute.NewSet(attribute.Bool(key, true))),
	}
}

// of is the option of the attribute set to v.
func (a boolAttr) of(v bool) metric.MeasurementOption {
	if v {
		return a[1]
	}
	return a[0]
}

func newTelemetry(mp metric.MeterProvider) (*telemetry, error) {
	m := mp.Meter(metadata.ScopeName)
	t := telemetry{permanent: newBoolAttr(attrPermanent), queued: newBoolAttr(attrQueued), heavy: newBoolAttr(attrHeavy)}
	var errs []error
	counter := func(dst *metric.Int64Counter, name, unit, desc string) {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		*dst = c
	}
	counter(&t.spansApplied, metricSpansApplied, "{span}",
		"Spans newly written to the store (first time their trace and span id were seen).")
	counter(&t.spansDuplicate, metricSpansDuplicate, "{span}",
		"Spans the store already held (retries, replays, other replicas); they change nothing.")
	counter(&t.batchesFailed, metricBatchesFailed, "{batch}",
		"Batches the store failed to apply, by whether the error is permanent (dropped) or transient (retried).")
	counter(&t.withoutCanonical, metricWithoutCanonical, "{span}",
		"Spans dropped because they carry no canonical waxell.* attributes (the useragg processor is not in the pipeline).")
	counter(&t.spansSkipped, metricSpansSkipped, "{span}",
		"Spans not stored because the useragg processor marked them as malformed (waxell.span.skipped).")
	counter(&t.spansRetired, metricSpansRetired, "{span}",
		"Spans ignored because retention already deleted their trace (late or replayed spans).")
	counter(&t.tracesRetired, metricTracesRetired, "{trace}",
		"Traces deleted by retention (their spans, runs and calls; lifetime aggregates are kept).")
	counter(&t.queriesTimedOut, metricQueriesTimedOut, "{query}",
		"Reads of the API and the UI stopped by api.query_timeout, by whether they ran (false) or waited for a slot (true).")
	wait, err := m.Float64Histogram(metricQueriesWait, metric.WithUnit("s"),
		metric.WithDescription("How long reads of the API and the UI waited for a query slot (api.max_concurrent_queries), by whether they were heavy."),
		metric.WithExplicitBucketBoundaries(queryWaitBuckets...))
	errs = append(errs, err)
	t.queriesWait = wait
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &t, nil
}
