package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// SchemaOpener opens stores for RunNewerSchema.
type SchemaOpener struct {
	// New returns a store on a new, empty database; a function that opens
	// that database again and returns Open's error (closing what it opened);
	// and one that runs a statement on the database.
	New func(t *testing.T) (s Retainer, reopen func() error, exec func(sql string))
	// IsPermanent reports the errors the exporter drops instead of retrying.
	IsPermanent func(error) bool
}

// Statements that record, then forget, a migration newer than any the binary
// knows: what a newer collector sharing the database leaves behind.
const (
	recordNewerMigration = `INSERT INTO schema_migrations (version, applied_at)
		SELECT max(version) + 1, max(applied_at) FROM schema_migrations`
	forgetNewerMigration = `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`
)

// RunNewerSchema checks that a store does not write into a database that a
// newer binary migrated further: ingest and retention fail with a transient
// store.ErrSchemaNewer and change nothing, opening fails, and all of it
// works again once the newer migration is gone.
func RunNewerSchema(t *testing.T, o SchemaOpener) {
	ctx := context.Background()
	s, reopen, exec := o.New(t)
	defer func() { require.NoError(t, s.Close()) }()

	first, later := newTrace(9101), newTrace(9102)
	a := first.agent(none, "support", at(0, 9, 0, 0), at(0, 9, 0, 30), user("alice"))
	first.llm(a, "gpt-4o", at(0, 9, 0, 1), at(0, 9, 0, 5), tok(100, 20), 3000, genai.CostComputed)
	b := later.agent(none, "support", at(1, 9, 0, 0), at(1, 9, 0, 30), user("bob"))
	later.llm(b, "gpt-4o", at(1, 9, 0, 1), at(1, 9, 0, 5), tok(50, 10), 1500, genai.CostComputed)

	_, err := s.ApplySpans(ctx, first.spans)
	require.NoError(t, err)
	before, err := s.ListUsers(ctx, store.UserQuery{Sort: store.SortLastSeen, Limit: 10})
	require.NoError(t, err)
	require.Equal(t, int64(1), before.Count)

	exec(recordNewerMigration)

	_, err = s.ApplySpans(ctx, later.spans)
	require.ErrorIs(t, err, store.ErrSchemaNewer, "ingest into a newer schema")
	require.False(t, o.IsPermanent(err), "the batch is retried, not dropped: %v", err)
	_, err = s.Retain(ctx, time.Unix(0, at(30, 0, 0, 0)))
	require.ErrorIs(t, err, store.ErrSchemaNewer, "retention in a newer schema")
	after, err := s.ListUsers(ctx, store.UserQuery{Sort: store.SortLastSeen, Limit: 10})
	require.NoError(t, err, "reads go on")
	require.Equal(t, before, after, "nothing was written")
	require.ErrorIs(t, reopen(), store.ErrSchemaNewer, "opening a newer schema")

	exec(forgetNewerMigration)

	_, err = s.ApplySpans(ctx, later.spans)
	require.NoError(t, err, "the retried batch goes through")
	require.NoError(t, reopen())
	after, err = s.ListUsers(ctx, store.UserQuery{Sort: store.SortLastSeen, Limit: 10})
	require.NoError(t, err)
	require.Equal(t, int64(2), after.Count)
	diffs, err := s.Verify(ctx)
	require.NoError(t, err)
	require.Empty(t, diffs)
}

// OpenErr returns the error of an Open call, closing the store it opened:
// the reopen function of a SchemaOpener.
func OpenErr[S interface{ Close() error }](s S, err error) error {
	if err != nil {
		return err
	}
	return s.Close()
}
