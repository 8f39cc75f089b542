package exactness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
	"github.com/waxell/otelcol-waxell/internal/store/postgres"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
	"github.com/waxell/otelcol-waxell/processor/useraggprocessor"
)

// spanStore is what the waxell exporter and the API use of a store.
type spanStore interface {
	ApplySpans(ctx context.Context, spans []genai.Span) (ledger.Stats, error)
	ListUsers(ctx context.Context, q store.UserQuery) (store.UserPage, error)
	GetUser(ctx context.Context, userID string) (store.UserDetail, error)
	Verify(ctx context.Context) ([]string, error)
	Close() error
}

// pipeline is the real useragg processor feeding a sink, as in a collector
// whose traces pipeline is [useragg] -> [waxell].
type pipeline struct {
	proc processor.Traces
	sink *consumertest.TracesSink
}

func newPipeline(t testing.TB) *pipeline {
	t.Helper()
	ctx := context.Background()
	f := useraggprocessor.NewFactory()
	sink := &consumertest.TracesSink{}
	proc, err := f.CreateTraces(ctx, processortest.NewNopSettings(f.Type()), f.CreateDefaultConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, proc.Start(ctx, componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, proc.Shutdown(context.Background())) })
	return &pipeline{proc: proc, sink: sink}
}

// process runs td (consumed: the processor mutates it) through the processor.
func (p *pipeline) process(t testing.TB, td ptrace.Traces) ptrace.Traces {
	t.Helper()
	require.NoError(t, p.proc.ConsumeTraces(context.Background(), td))
	out := p.sink.AllTraces()
	require.Len(t, out, 1, "the processor forwards each batch as one")
	p.sink.Reset()
	return out[0]
}

// canonical reads the canonical facts of every processed span, the way
// the waxell exporter's pushTraces does. Every span must carry them.
func canonical(t testing.TB, td ptrace.Traces) []genai.Span {
	t.Helper()
	out := make([]genai.Span, 0, td.SpanCount())
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s, ok := genai.FromCanonical(rs.Resource(), spans.At(k))
				require.True(t, ok, "span %s %q has no canonical attributes", spans.At(k).SpanID(), spans.At(k).Name())
				out = append(out, s)
			}
		}
	}
	return out
}

// apply writes one converted batch in one transaction, as the exporter does.
func apply(t testing.TB, st spanStore, spans []genai.Span) ledger.Stats {
	t.Helper()
	stats, err := st.ApplySpans(context.Background(), spans)
	require.NoError(t, err)
	return stats
}

// backend hands out empty stores of one kind, one split after another.
type backend interface {
	// fresh returns an empty store; release it before the next call.
	fresh(t testing.TB) spanStore
	release(t testing.TB, st spanStore)
	// reopen closes st and opens the same database again (a restart).
	reopen(t testing.TB, st spanStore) spanStore
}

type backendKind struct {
	name string
	new  func(t *testing.T) backend
}

var backends = []backendKind{
	{"sqlite", newSQLiteBackend},
	{"postgres", newPostgresBackend},
}

// sqliteBackend opens a new database file per split, in one temp dir.
type sqliteBackend struct {
	dir   string
	n     int
	paths map[spanStore]string
}

func newSQLiteBackend(t *testing.T) backend {
	return &sqliteBackend{dir: t.TempDir(), paths: map[spanStore]string{}}
}

func (b *sqliteBackend) open(t testing.TB, path string) spanStore {
	t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: path})
	require.NoError(t, err)
	b.paths[st] = path
	return st
}

func (b *sqliteBackend) fresh(t testing.TB) spanStore {
	b.n++
	return b.open(t, filepath.Join(b.dir, fmt.Sprintf("split-%d.db", b.n)))
}

func (b *sqliteBackend) release(t testing.TB, st spanStore) {
	t.Helper()
	require.NoError(t, st.Close())
	path := b.paths[st]
	delete(b.paths, st)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

func (b *sqliteBackend) reopen(t testing.TB, st spanStore) spanStore {
	t.Helper()
	path := b.paths[st]
	delete(b.paths, st)
	require.NoError(t, st.Close())
	return b.open(t, path)
}

// postgresBackend uses one database for all splits of a test and empties
// its tables between splits through a direct connection: creating a
// database per split would dominate the run time.
type postgresBackend struct {
	dsn    string
	st     spanStore
	admin  *pgx.Conn
	tables string
}

func newPostgresBackend(t *testing.T) backend {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	st, err := postgres.Open(ctx, postgres.Config{DSN: dsn, MaxConns: 4})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	// Every table the migrations created but their own bookkeeping, so that
	// a table added by a later migration is emptied too.
	rows, err := conn.Query(ctx, `SELECT string_agg(quote_ident(tablename), ', ' ORDER BY tablename) FROM pg_tables
		WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'`)
	require.NoError(t, err)
	tables, err := pgx.CollectExactlyOneRow(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Contains(t, tables, "user_model_hours")
	return &postgresBackend{dsn: dsn, st: st, admin: conn, tables: tables}
}

func (b *postgresBackend) fresh(t testing.TB) spanStore {
	t.Helper()
	_, err := b.admin.Exec(context.Background(), "TRUNCATE "+b.tables+" RESTART IDENTITY")
	require.NoError(t, err)
	return b.st
}

func (b *postgresBackend) release(testing.TB, spanStore) {}

func (b *postgresBackend) reopen(t testing.TB, st spanStore) spanStore {
	t.Helper()
	require.NoError(t, st.Close())
	var err error
	b.st, err = postgres.Open(context.Background(), postgres.Config{DSN: b.dsn, MaxConns: 4})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.st.Close() })
	return b.st
}

// switchable serves the API from whichever store the test uses right now,
// so that one HTTP server lasts for all splits.
type switchable struct {
	mu sync.RWMutex
	st spanStore
}

func (s *switchable) set(st spanStore) {
	s.mu.Lock()
	s.st = st
	s.mu.Unlock()
}

func (s *switchable) get() spanStore {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st
}

func (s *switchable) ListUsers(ctx context.Context, q store.UserQuery) (store.UserPage, error) {
	return s.get().ListUsers(ctx, q)
}

func (s *switchable) GetUser(ctx context.Context, id string) (store.UserDetail, error) {
	return s.get().GetUser(ctx, id)
}

func (s *switchable) Verify(ctx context.Context) ([]string, error) { return s.get().Verify(ctx) }
