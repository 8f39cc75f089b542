// Package genai turns GenAI spans of any instrumentation convention into
// canonical facts and assembles the facts of one trace into runs and calls
// (rules S1 to S5 of the design). It imports no collector package but pdata.
package genai

import "go.opentelemetry.io/collector/pdata/pcommon"

// Role is what a span is for counting and for run structure (S1).
type Role string

const (
	RoleOther     Role = "other"
	RoleLLM       Role = "llm"
	RoleAgent     Role = "agent"
	RoleAggregate Role = "aggregate"
	RoleTool      Role = "tool"
)

// ParseRole maps a stored role name back to a Role; unknown names are RoleOther.
func ParseRole(s string) Role {
	switch r := Role(s); r {
	case RoleLLM, RoleAgent, RoleAggregate, RoleTool:
		return r
	default:
		return RoleOther
	}
}

// CostSource says where a span's cost comes from (S5).
type CostSource string

const (
	CostNone     CostSource = ""
	CostReported CostSource = "reported"
	CostComputed CostSource = "computed"
	CostUnpriced CostSource = "unpriced"
)

// Usage holds token counts in the normalised meaning: Input includes cache
// reads and writes, Output includes reasoning.
type Usage struct {
	Input      int64
	Output     int64
	CacheRead  int64
	CacheWrite int64
	Reasoning  int64
}

// Total is input plus output; reported totals are never trusted.
func (u Usage) Total() int64 { return u.Input + u.Output }

// Add returns the field-wise sum.
func (u Usage) Add(o Usage) Usage {
	return Usage{
		Input:      u.Input + o.Input,
		Output:     u.Output + o.Output,
		CacheRead:  u.CacheRead + o.CacheRead,
		CacheWrite: u.CacheWrite + o.CacheWrite,
		Reasoning:  u.Reasoning + o.Reasoning,
	}
}

// Span is the canonical, per-span fact set. It depends on the span alone
// (never on other spans), so it can be stored and re-assembled in any order.
type Span struct {
	TraceID      pcommon.TraceID
	SpanID       pcommon.SpanID
	ParentSpanID pcommon.SpanID
	// Start and End are Unix nanoseconds from the span itself (S8).
	Start int64
	End   int64
	Error bool

	Role       Role
	Convention string
	Service    string

	// The span's own values, before run attribution (S3).
	UserID       string
	SessionID    string
	AgentName    string // set on agent spans only: elsewhere it is context, not identity
	WorkflowName string

	Model    string // response model, else request model
	Provider string

	HasUsage   bool
	Usage      Usage
	CostNanos  int64 // nano-USD
	CostSource CostSource
}

// IsGenAI reports whether the span takes part in run assembly as GenAI work.
func (s *Span) IsGenAI() bool { return s.Role != RoleOther }
