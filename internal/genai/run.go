package genai

import (
	"encoding/hex"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// DefaultWorkflow is the workflow name of runs whose spans name none.
const DefaultWorkflow = "default"

// UnknownAgent names the agent of a run when neither its root nor its
// service says more.
const UnknownAgent = "unknown"

// UnknownModel names calls whose spans carry no model.
const UnknownModel = "unknown"

// Run is one agent run (S2, S3), identified by Key = trace_id:root_span_id.
type Run struct {
	Key          string
	TraceID      pcommon.TraceID
	RootSpanID   pcommon.SpanID
	Implicit     bool
	UserID       string
	SessionID    string
	AgentName    string
	WorkflowName string
	Start        int64
	End          int64
	Error        bool
	Usage        Usage
	CostNanos    int64
	CallCount    int64
	// UserConflicts counts distinct user ids inside the run other than the chosen one.
	UserConflicts int64
}

// Duration is the run's wall time in nanoseconds, never negative.
func (r *Run) Duration() int64 {
	if r.End < r.Start {
		return 0
	}
	return r.End - r.Start
}

// Call is one counted usage record (S4): a leaf LLM span, or an agent or
// aggregate span used because its run has no LLM usage.
type Call struct {
	TraceID    pcommon.TraceID
	SpanID     pcommon.SpanID
	RunKey     string
	Start      int64
	Model      string
	Provider   string
	Usage      Usage
	CostNanos  int64
	CostSource CostSource
	Aggregate  bool
	// Denormalised from the run so rollups can be maintained from calls alone.
	UserID   string
	RunStart int64
}

// RunKey formats the run key of a root span.
func RunKey(t pcommon.TraceID, root pcommon.SpanID) string {
	var b [16*2 + 1 + 8*2]byte
	hex.Encode(b[:32], t[:])
	b[32] = ':'
	hex.Encode(b[33:], root[:])
	return string(b[:])
}
