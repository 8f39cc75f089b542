package sqlite

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// TestDiskFull simulates a full disk with max_page_count (test/faults fills
// a real file system where mounting is permitted): a write fails with a
// transient error and changes nothing, reads keep working, and writes
// succeed again once there is room; the database stays intact.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "waxell.db")
	s := openFile(t, path)
	defer s.Close()
	_, err := s.ApplySpans(ctx, benchTraces(0, 5))
	require.NoError(t, err)
	before, err := s.ListUsers(ctx, store.UserQuery{Sort: store.SortLastSeen, Limit: 100})
	require.NoError(t, err)

	var pages int64
	require.NoError(t, s.write.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages))
	_, err = s.write.ExecContext(ctx, "PRAGMA max_page_count = "+strconv.FormatInt(pages, 10))
	require.NoError(t, err)

	_, err = s.ApplySpans(ctx, benchTraces(5, 200))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "database or disk is full")
	assert.False(t, IsPermanent(err), "a full disk is transient: the exporter retries")

	during, err := s.ListUsers(ctx, store.UserQuery{Sort: store.SortLastSeen, Limit: 100})
	require.NoError(t, err, "reads keep working")
	assert.Equal(t, before, during, "the failed batch changed nothing")

	_, err = s.write.ExecContext(ctx, "PRAGMA max_page_count = 1073741823")
	require.NoError(t, err)
	_, err = s.ApplySpans(ctx, benchTraces(5, 200))
	require.NoError(t, err, "the retried batch succeeds")
	diffs, err := s.Verify(ctx)
	require.NoError(t, err)
	assert.Empty(t, diffs)
	var res string
	require.NoError(t, s.write.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res))
	assert.Equal(t, "ok", res)
}
