package ratelog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRateLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	r := New(time.Minute)
	r.now = func() time.Time { return now }
	ok, n := r.Add("a", 3)
	assert.True(t, ok)
	assert.Equal(t, int64(3), n)
	ok, _ = r.Add("a", 2)
	assert.False(t, ok)
	ok, n = r.Add("b", 1)
	assert.True(t, ok, "keys are independent")
	assert.Equal(t, int64(1), n)
	now = now.Add(time.Minute)
	ok, n = r.Add("a", 1)
	assert.True(t, ok)
	assert.Equal(t, int64(3), n, "events since the last message")

	for i := range 2 * maxRateKeys {
		r.Add(string(rune('A'+i)), 1)
	}
	assert.LessOrEqual(t, len(r.entries), maxRateKeys+1)
}
