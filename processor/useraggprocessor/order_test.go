package useraggprocessor

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestCompareTraceIDs(t *testing.T) {
	id := func(b ...byte) pcommon.TraceID {
		var t pcommon.TraceID
		copy(t[:], b)
		return t
	}
	for _, tc := range []struct {
		name string
		x, y pcommon.TraceID
	}{
		{"equal", id(1, 2, 3), id(1, 2, 3)},
		{"first byte", id(1), id(2)},
		{"high word decides over low word", id(0, 0, 0, 0, 0, 0, 0, 2), id(0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9)},
		{"low word", id(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), id(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)},
		{"last byte", id(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff), id(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe)},
		{"unsigned bytes", id(0x80), id(0x7f)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, bytes.Compare(tc.x[:], tc.y[:]), compareTraceIDs(&tc.x, &tc.y))
			assert.Equal(t, bytes.Compare(tc.y[:], tc.x[:]), compareTraceIDs(&tc.y, &tc.x))
		})
	}
}
