package waxellexporter

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/waxell/otelcol-waxell/exporter/waxellexporter/internal/metadata"
	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/readgate"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
)

var t0 = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

func traceID(n byte) pcommon.TraceID { return pcommon.TraceID{0x7a, 15: n} }
func ts(ms int) pcommon.Timestamp {
	return pcommon.NewTimestampFromTime(t0.Add(time.Duration(ms) * time.Millisecond))
}
func spanID(n byte) pcommon.SpanID { return pcommon.SpanID{7: n} }

// canonicalTraces builds one agent run of user, with two counted LLM calls,
// annotated the way the useragg processor annotates it: facts ->
// genai.Assemble -> genai.Annotate.
func canonicalTraces(trace byte, user string) ptrace.Traces {
	tid := traceID(trace)
	ns := func(ms int) int64 { return t0.Add(time.Duration(ms) * time.Millisecond).UnixNano() }
	facts := []genai.Span{
		{
			TraceID: tid, SpanID: spanID(1), Start: ns(0), End: ns(2000),
			Role: genai.RoleAgent, Convention: "otel-genai", Service: "support-api",
			UserID: user, SessionID: "sess-1", AgentName: "support-bot",
		},
		{
			TraceID: tid, SpanID: spanID(2), ParentSpanID: spanID(1), Start: ns(10), End: ns(900),
			Role: genai.RoleLLM, Convention: "otel-genai", Service: "support-api",
			Model: "gpt-4o", Provider: "openai", HasUsage: true,
			Usage:     genai.Usage{Input: 1000, Output: 200},
			CostNanos: 4_500_000, CostSource: genai.CostComputed,
		},
		{
			TraceID: tid, SpanID: spanID(3), ParentSpanID: spanID(1), Start: ns(1000), End: ns(1900),
			Role: genai.RoleLLM, Convention: "otel-genai", Service: "support-api",
			Model: "acme-unknown", HasUsage: true,
			Usage:      genai.Usage{Input: 10, Output: 5},
			CostSource: genai.CostUnpriced,
		},
	}
	asm := genai.Assemble(facts)

	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "support-api")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	for i := range facts {
		f := &facts[i]
		span := spans.AppendEmpty()
		span.SetTraceID(f.TraceID)
		span.SetSpanID(f.SpanID)
		span.SetParentSpanID(f.ParentSpanID)
		span.SetName(string(f.Role))
		span.SetStartTimestamp(pcommon.Timestamp(f.Start))
		span.SetEndTimestamp(pcommon.Timestamp(f.End))
		span.Attributes().PutStr("gen_ai.input.messages", "a prompt that is never stored")
		v := genai.RunView{Counted: asm.Counted[i]}
		if r := asm.RunOf[i]; r >= 0 {
			v.Run = &asm.Runs[r]
			v.Root = v.Run.RootSpanID == f.SpanID
		}
		genai.Annotate(span, f, v)
	}
	return td
}

func freeEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

type testEnv struct {
	set  exporter.Settings
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	env := &testEnv{tel: componenttest.NewTelemetry()}
	env.set = exportertest.NewNopSettings(metadata.Type)
	env.set.TelemetrySettings = env.tel.NewTelemetrySettings()
	core, logs := observer.New(zap.InfoLevel)
	env.set.Logger = zap.New(core)
	env.logs = logs
	t.Cleanup(func() { require.NoError(t, env.tel.Shutdown(context.Background())) })
	return env
}

func (env *testEnv) sum(t *testing.T, name string, attrs ...attribute.KeyValue) int64 {
	t.Helper()
	m, err := env.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	data, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok)
	want := attribute.NewSet(attrs...)
	var total int64
	for _, dp := range data.DataPoints {
		if len(attrs) == 0 || dp.Attributes.Equals(&want) {
			total += dp.Value
		}
	}
	return total
}

// sqliteConfig is a synchronous (no queue, no retry) config on a fresh
// SQLite file in a directory that does not exist yet.
func sqliteConfig(t *testing.T) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Store.SQLite.Path = filepath.Join(t.TempDir(), "nested", "data", "waxell.db")
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.Enabled = false
	cfg.API.Get().NetAddr.Endpoint = freeEndpoint(t)
	return cfg
}

func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, http.NoBody)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	if out != nil {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

func TestComponentFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, "waxell", f.Type().String())
	require.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
}

func TestLifecycleSQLiteAndAPI(t *testing.T) {
	env := newTestEnv(t)
	cfg := sqliteConfig(t)
	exp, err := NewFactory().CreateTraces(context.Background(), env.set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	started := true
	defer func() {
		if started {
			require.NoError(t, exp.Shutdown(context.Background()))
		}
	}()

	_, err = os.Stat(cfg.Store.SQLite.Path)
	require.NoError(t, err, "the store's directory was created and the database opened")

	require.NoError(t, exp.ConsumeTraces(context.Background(), canonicalTraces(1, "alice")))
	require.NoError(t, exp.ConsumeTraces(context.Background(), canonicalTraces(2, "bob")))
	// A retry or replay changes nothing.
	require.NoError(t, exp.ConsumeTraces(context.Background(), canonicalTraces(1, "alice")))

	assert.Equal(t, int64(6), env.sum(t, metricSpansApplied))
	assert.Equal(t, int64(3), env.sum(t, metricSpansDuplicate))

	base := "http://" + cfg.API.Get().NetAddr.Endpoint + "/api/v1/observability/users/"
	var user struct {
		UserID     string `json:"user_id"`
		Aggregates struct {
			RunCount    int64       `json:"run_count"`
			TotalTokens int64       `json:"total_tokens"`
			TotalCost   json.Number `json:"total_cost"`
			Agents      []string    `json:"agents"`
		} `json:"aggregates"`
		CostByModel []struct {
			Model    string `json:"model"`
			Unpriced bool   `json:"unpriced"`
		} `json:"cost_by_model"`
		Runs []map[string]any `json:"runs"`
	}
	require.Equal(t, http.StatusOK, getJSON(t, base+"alice/", &user))
	assert.Equal(t, "alice", user.UserID)
	assert.Equal(t, int64(1), user.Aggregates.RunCount)
	assert.Equal(t, int64(1215), user.Aggregates.TotalTokens)
	assert.Equal(t, "0.0045", user.Aggregates.TotalCost.String())
	assert.Equal(t, []string{"support-bot"}, user.Aggregates.Agents)
	assert.Len(t, user.CostByModel, 2)
	assert.Len(t, user.Runs, 1)

	var list struct {
		Count   int64 `json:"count"`
		Results []struct {
			UserID string `json:"user_id"`
		} `json:"results"`
	}
	require.Equal(t, http.StatusOK, getJSON(t, base, &list))
	assert.Equal(t, int64(2), list.Count)

	assert.Equal(t, http.StatusNotFound, getJSON(t, base+"nobody/", nil))
	resp, err := http.Get("http://" + cfg.API.Get().NetAddr.Endpoint + "/")
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the UI is served at /")
	assert.Contains(t, string(page), "alice", "the users list page shows the stored users")

	require.NoError(t, exp.Shutdown(context.Background()))
	started = false
	_, err = net.DialTimeout("tcp", cfg.API.Get().NetAddr.Endpoint, time.Second)
	require.Error(t, err, "the port is released on shutdown")

	// Data survives a restart on the same file.
	exp2, err := NewFactory().CreateTraces(context.Background(), env.set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp2.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, exp2.Shutdown(context.Background())) }()
	require.Equal(t, http.StatusOK, getJSON(t, base+"alice/", &user))
	assert.Equal(t, int64(1), user.Aggregates.RunCount)
}

func TestStartFailsWhenPortIsBusy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()

	cfg := sqliteConfig(t)
	cfg.API.Get().NetAddr.Endpoint = ln.Addr().String()
	exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	err = exp.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, "api: cannot listen on "+ln.Addr().String())
	require.NoError(t, exp.Shutdown(context.Background()))
}

func TestStartFailsWhenStoreCannotOpen(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o600))

	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{
			name:    "sqlite parent is a file",
			mutate:  func(c *Config) { c.Store.SQLite.Path = filepath.Join(blocker, "waxell.db") },
			wantErr: "waxell exporter: cannot open the sqlite store: cannot create the directory of store.sqlite.path",
		},
		{
			name: "postgres bad dsn",
			mutate: func(c *Config) {
				c.Store.Driver = DriverPostgres
				c.Store.Postgres.DSN = "postgres://localhost:notaport/waxell"
			},
			wantErr: "waxell exporter: cannot open the postgres store",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := sqliteConfig(t)
			tt.mutate(cfg)
			exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
			require.NoError(t, err)
			require.ErrorContains(t, exp.Start(context.Background(), componenttest.NewNopHost()), tt.wantErr)
			require.NoError(t, exp.Shutdown(context.Background()))
		})
	}
}

func TestAPIDisabledServesNothing(t *testing.T) {
	env := newTestEnv(t)
	cfg := sqliteConfig(t)
	endpoint := cfg.API.Get().NetAddr.Endpoint
	cfg.API = configoptional.None[APIConfig]()

	e, err := newWaxellExporter(env.set, cfg)
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	assert.Nil(t, e.server)
	assert.Empty(t, e.apiAddr)
	require.NoError(t, e.pushTraces(context.Background(), canonicalTraces(1, "alice")))
	assert.Equal(t, int64(3), env.sum(t, metricSpansApplied))
	_, err = net.DialTimeout("tcp", endpoint, time.Second)
	assert.Error(t, err)
	require.NoError(t, e.shutdown(context.Background()))
	require.NoError(t, e.shutdown(context.Background()), "shutdown is idempotent")
}

func TestShutdownWithoutStart(t *testing.T) {
	exp, err := NewFactory().CreateTraces(context.Background(), exportertest.NewNopSettings(metadata.Type), sqliteConfig(t))
	require.NoError(t, err)
	require.NoError(t, exp.Shutdown(context.Background()))
}

// fakeStore records batches and fails with err when set.
type fakeStore struct {
	readgate.Store // the reads the tests here do not make: calling one panics
	batches        [][]genai.Span
	err            error
}

func (f *fakeStore) ListUsers(context.Context, store.UserQuery) (store.UserPage, error) {
	return store.UserPage{}, nil
}

func (f *fakeStore) GetUser(context.Context, string) (store.UserDetail, error) {
	return store.UserDetail{}, store.ErrNotFound
}

func (f *fakeStore) ApplySpans(_ context.Context, spans []genai.Span) (ledger.Stats, error) {
	if f.err != nil {
		return ledger.Stats{}, f.err
	}
	f.batches = append(f.batches, spans)
	return ledger.Stats{Spans: len(spans), NewSpans: len(spans)}, nil
}

func (f *fakeStore) UserTimeseries(context.Context, store.TimeseriesQuery) ([]store.Point, error) {
	return nil, store.ErrNotFound
}

func (f *fakeStore) ListAgents(context.Context) ([]string, error) { return nil, nil }

func (f *fakeStore) Verify(context.Context) ([]string, error) { return nil, nil }

func (f *fakeStore) Close() error { return nil }

func (f *fakeStore) Retain(context.Context, time.Time) (int64, error) { return 0, nil }

var errPermanentForTest = errors.New("constraint violated")

func newFakeExporter(t *testing.T, env *testEnv, st *fakeStore) *waxellExporter {
	t.Helper()
	e, err := newWaxellExporter(env.set, createDefaultConfig().(*Config))
	require.NoError(t, err)
	e.store = st
	e.isPermanent = func(err error) bool { return errors.Is(err, errPermanentForTest) }
	return e
}

func TestPushErrorClassification(t *testing.T) {
	env := newTestEnv(t)
	st := &fakeStore{}
	e := newFakeExporter(t, env, st)

	st.err = errors.New("database is locked")
	err := e.pushTraces(context.Background(), canonicalTraces(1, "alice"))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err), "transient errors are retried")

	st.err = errPermanentForTest
	err = e.pushTraces(context.Background(), canonicalTraces(1, "alice"))
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
	assert.ErrorIs(t, err, errPermanentForTest)

	assert.Equal(t, int64(1), env.sum(t, metricBatchesFailed, attribute.Bool("permanent", false)))
	assert.Equal(t, int64(1), env.sum(t, metricBatchesFailed, attribute.Bool("permanent", true)))

	st.err = nil
	require.NoError(t, e.pushTraces(context.Background(), canonicalTraces(1, "alice")))
	require.Len(t, st.batches, 1, "one ApplySpans call per batch")
	assert.Len(t, st.batches[0], 3)
}

func TestPushSpansWithoutCanonicalAttributes(t *testing.T) {
	env := newTestEnv(t)
	st := &fakeStore{}
	e := newFakeExporter(t, env, st)

	raw := ptrace.NewTraces()
	spans := raw.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for i := range 4 {
		s := spans.AppendEmpty()
		s.SetTraceID(traceID(9))
		s.SetSpanID(spanID(byte(i + 1)))
		s.Attributes().PutStr("gen_ai.operation.name", "chat")
	}
	require.NoError(t, e.pushTraces(context.Background(), raw))
	require.NoError(t, e.pushTraces(context.Background(), raw))
	assert.Empty(t, st.batches, "nothing to apply")
	assert.Equal(t, int64(8), env.sum(t, metricWithoutCanonical))
	logs := env.logs.FilterMessageSnippet("useragg processor").All()
	require.Len(t, logs, 1, "rate-limited")
	assert.Equal(t, int64(4), logs[0].ContextMap()["count"])

	// Mixed batches apply the canonical spans only.
	mixed := canonicalTraces(1, "alice")
	raw.ResourceSpans().At(0).CopyTo(mixed.ResourceSpans().AppendEmpty())
	require.NoError(t, e.pushTraces(context.Background(), mixed))
	require.Len(t, st.batches, 1)
	assert.Len(t, st.batches[0], 3)
	for _, s := range st.batches[0] {
		assert.Equal(t, "support-api", s.Service)
	}
}

func TestPushAfterShutdown(t *testing.T) {
	env := newTestEnv(t)
	e := newFakeExporter(t, env, &fakeStore{})
	require.NoError(t, e.shutdown(context.Background()))
	require.ErrorIs(t, e.pushTraces(context.Background(), canonicalTraces(1, "alice")), errNotStarted)
}
