package genai

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAssemblerReuse assembles every recorded trace with one Assembler, in
// several orders, and wants exactly what a fresh Assemble gives: buffers left
// by a larger or different trace must never leak into the next assembly.
func TestAssemblerReuse(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	e := NewExtractor(ExtractConfig{}, nil)
	var traces [][]Span
	for _, f := range files {
		byTrace, _ := loadFixture(t, e, f)
		for _, spans := range byTrace {
			traces = append(traces, spans)
		}
	}
	// Sorted by the trace id for a stable order across runs of the test.
	slices.SortFunc(traces, func(x, y []Span) int { return compareIDs(x[0].TraceID[:], y[0].TraceID[:]) })
	bySize := slices.Clone(traces)
	slices.SortStableFunc(bySize, func(x, y []Span) int { return len(y) - len(x) })
	for _, tc := range []struct {
		name   string
		traces [][]Span
	}{
		{"by trace id", traces},
		{"largest first", bySize},
		{"smallest first", reversed(bySize)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a Assembler
			for i, spans := range tc.traces {
				got := a.Assemble(spans)
				require.Equal(t, Assemble(spans), got, "trace %s", spans[0].TraceID)
				if i%3 == 2 {
					// As between two batches: nothing of the spans is kept.
					a.Reset()
					for _, b := range a.store[:cap(a.store)] {
						require.Zero(t, b.run)
					}
					require.Zero(t, countNonZero(a.callBuf[:cap(a.callBuf)]))
					require.Zero(t, countNonZero(a.runBuf[:cap(a.runBuf)]))
				}
			}
		})
	}
}

func countNonZero[T comparable](s []T) int {
	var zero T
	n := 0
	for _, v := range s {
		if v != zero {
			n++
		}
	}
	return n
}

func compareIDs(x, y []byte) int { return slices.Compare(x, y) }

func reversed[T any](s []T) []T {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}
