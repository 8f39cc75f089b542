package exactness

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
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
	// fresh returns an empty store, the same one each time or another.
	fresh(t testing.TB) spanStore
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

// clearer empties every table of a database but the migrations' own
// bookkeeping (so that a table added by a later migration is emptied too).
type clearer struct {
	exec  func(ctx context.Context, sql string) error
	stmts string
}

func (c *clearer) clear(t testing.TB) {
	t.Helper()
	require.NoError(t, c.exec(context.Background(), c.stmts))
}

func deleteAll(tables []string) string {
	var b strings.Builder
	for _, tb := range tables {
		fmt.Fprintf(&b, "DELETE FROM %s;", tb)
	}
	return b.String()
}

// sqliteBackend uses one database file per test, emptied between splits
// through a connection of its own. A new file per split would be just as
// good a proof, but opening and migrating it costs 20 times more.
type sqliteBackend struct {
	path string
	st   spanStore
	clearer
}

func newSQLiteBackend(t *testing.T) backend {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "waxell.db")
	st, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	require.NoError(t, err)
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	require.NoError(t, err)
	b := &sqliteBackend{path: path, st: st}
	t.Cleanup(func() {
		_ = db.Close()
		_ = b.st.Close()
	})
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT IN ('schema_migrations', 'sqlite_sequence') ORDER BY name`)
	require.NoError(t, err)
	var tables []string
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, `"`+name+`"`)
	}
	require.NoError(t, rows.Err())
	require.Contains(t, tables, `"user_model_hours"`)
	b.clearer = clearer{
		exec: func(ctx context.Context, q string) error {
			_, err := db.ExecContext(ctx, "BEGIN IMMEDIATE;"+q+"COMMIT;")
			return err
		},
		stmts: deleteAll(tables),
	}
	return b
}

func (b *sqliteBackend) fresh(t testing.TB) spanStore {
	b.clear(t)
	return b.st
}

func (b *sqliteBackend) reopen(t testing.TB, st spanStore) spanStore {
	t.Helper()
	require.NoError(t, st.Close())
	var err error
	b.st, err = sqlite.Open(context.Background(), sqlite.Config{Path: b.path})
	require.NoError(t, err)
	return b.st
}

// postgresBackend uses one database per test, emptied between splits
// through a direct connection: creating a database per split would dominate
// the run time (DELETE is also 20 times faster than TRUNCATE here).
type postgresBackend struct {
	dsn string
	st  spanStore
	clearer
}

func newPostgresBackend(t *testing.T) backend {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	st, err := postgres.Open(ctx, postgres.Config{DSN: dsn, MaxConns: 4})
	require.NoError(t, err)
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	b := &postgresBackend{dsn: dsn, st: st}
	t.Cleanup(func() {
		_ = conn.Close(context.Background())
		_ = b.st.Close()
	})
	// Tables with triggers first: their triggers keep other tables
	// (user_first_hours, run_hour_versions) in step with them, and would
	// write into those after they were emptied.
	rows, err := conn.Query(ctx, `SELECT quote_ident(t.tablename) FROM pg_tables t
		WHERE t.schemaname = current_schema() AND t.tablename <> 'schema_migrations'
		ORDER BY EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = quote_ident(t.tablename)::regclass
			AND NOT g.tgisinternal) DESC, t.tablename`)
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Contains(t, tables, "user_model_hours")
	b.clearer = clearer{
		exec: func(ctx context.Context, q string) error {
			// Several statements without arguments: one implicit transaction.
			_, err := conn.Exec(ctx, q)
			return err
		},
		stmts: deleteAll(tables),
	}
	return b
}

func (b *postgresBackend) fresh(t testing.TB) spanStore {
	b.clear(t)
	return b.st
}

func (b *postgresBackend) reopen(t testing.TB, st spanStore) spanStore {
	t.Helper()
	require.NoError(t, st.Close())
	var err error
	b.st, err = postgres.Open(context.Background(), postgres.Config{DSN: b.dsn, MaxConns: 4})
	require.NoError(t, err)
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
