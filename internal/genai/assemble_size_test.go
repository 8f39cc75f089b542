package genai

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAssembleTraceSizes covers both ways the assembler looks up span ids:
// a scan for small traces and a map above linearLookup spans. Each trace is
// an agent run whose root has a chain of tool spans, every tool span an LLM
// child with usage, plus a duplicate of one LLM span and an LLM span whose
// parent is the last tool of the chain. A lookup that misses parents would
// split the run (an implicit run) or count the duplicate.
func TestAssembleTraceSizes(t *testing.T) {
	for _, tools := range []int{1, 3, linearLookup/2 - 2, linearLookup/2 + 1, 3 * linearLookup} {
		t.Run(fmt.Sprint(tools), func(t *testing.T) {
			trace := traceID(7)
			root := Span{TraceID: trace, SpanID: spanID(1), Role: RoleAgent, UserID: "u", Start: 1, End: 1000}
			spans := []Span{root}
			parent := root.SpanID
			next := uint64(2)
			var llms []Span
			for range tools {
				tool := Span{TraceID: trace, SpanID: spanID(next), ParentSpanID: parent, Role: RoleTool, Start: int64(next)}
				llm := Span{TraceID: trace, SpanID: spanID(next + 1), ParentSpanID: tool.SpanID, Role: RoleLLM,
					Model: "m", HasUsage: true, Usage: Usage{Input: 10, Output: 1}, Start: int64(next + 1)}
				spans = append(spans, tool, llm)
				llms = append(llms, llm)
				parent = tool.SpanID
				next += 2
			}
			spans = append(spans, llms[0]) // a duplicate, counted once
			n := len(spans)
			// Any order gives the same assembly (S7).
			rand.New(rand.NewPCG(uint64(tools), 1)).Shuffle(n, func(i, j int) { spans[i], spans[j] = spans[j], spans[i] })

			asm := Assemble(spans)
			require.Len(t, asm.Runs, 1)
			r := asm.Runs[0]
			require.False(t, r.Implicit)
			require.Equal(t, root.SpanID, r.RootSpanID)
			require.Equal(t, "u", r.UserID)
			require.Equal(t, int64(tools), r.CallCount)
			require.Equal(t, int64(11*tools), r.Usage.Total())
			require.Len(t, asm.Calls, tools)
			for i := range spans {
				require.Equal(t, 0, asm.RunOf[i], "span %d", i)
			}
			counted := 0
			for _, c := range asm.Counted {
				if c {
					counted++
				}
			}
			// The duplicate is resolved to its first occurrence: both copies
			// report that occurrence's flag.
			require.Equal(t, tools+1, counted)
		})
	}
}
