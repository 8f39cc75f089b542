package genai

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// A span that failed by its convention's marker (Langfuse level=ERROR) with
// an unset OTLP status must reach the store as failed, like the processor saw it.
func TestCanonicalCarriesConventionError(t *testing.T) {
	for _, tc := range []struct {
		name      string
		status    ptrace.StatusCode
		failed    bool
		wantError bool
		wantAttr  bool
	}{
		{"convention error, status unset", ptrace.StatusCodeUnset, true, true, true},
		{"status error", ptrace.StatusCodeError, true, true, false},
		{"no error", ptrace.StatusCodeOk, false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			span := ptrace.NewSpan()
			span.SetTraceID(pcommon.TraceID{1})
			span.SetSpanID(pcommon.SpanID{2})
			span.SetStartTimestamp(1)
			span.SetEndTimestamp(2)
			span.Status().SetCode(tc.status)
			s := Span{Role: RoleLLM, Error: tc.failed}
			Annotate(span, &s, RunView{})
			_, hasAttr := span.Attributes().Get(AttrOwnError)
			assert.Equal(t, tc.wantAttr, hasAttr)
			got, ok := FromCanonical(pcommon.NewResource(), span)
			assert.True(t, ok)
			assert.Equal(t, tc.wantError, got.Error)
		})
	}
}
