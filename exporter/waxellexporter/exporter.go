package waxellexporter // import "github.com/waxell/otelcol-waxell/exporter/waxellexporter"

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/waxell/otelcol-waxell/internal/api"
	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/ratelog"
	"github.com/waxell/otelcol-waxell/internal/readgate"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
	"github.com/waxell/otelcol-waxell/internal/store/postgres"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
	"github.com/waxell/otelcol-waxell/internal/ui"
)

// spanStore is what the exporter needs from a store: writes for the
// pipeline, reads for the API.
type spanStore interface {
	readgate.Store // every read of the API and the UI
	api.Verifier
	ApplySpans(ctx context.Context, spans []genai.Span) (ledger.Stats, error)
	// Retain deletes the traces whose spans all started before the
	// cutoff, keeping lifetime aggregates exact; it returns how many.
	Retain(ctx context.Context, before time.Time) (int64, error)
	Close() error
}

// logInterval is the minimum time between two log messages about spans
// without canonical attributes.
const logInterval = time.Minute

var errNotStarted = errors.New("waxell exporter: store is not open (exporter not started or already shut down)")

type waxellExporter struct {
	cfg        *Config
	telemetry  component.TelemetrySettings
	logger     *zap.Logger
	tel        *telemetry
	noCanonLog *ratelog.Limiter
	retiredLog *ratelog.Limiter
	health     storeHealth

	mu          sync.RWMutex // guards store against shutdown while pushing
	store       spanStore
	isPermanent func(error) bool

	server    *http.Server
	serveDone chan struct{}
	apiAddr   string       // the address the API listens on, once started
	flagStats *flags.Cache // the abuse-flag statistics the API and the UI share

	retention *retention // nil when retention is off
}

func newWaxellExporter(set exporter.Settings, cfg *Config) (*waxellExporter, error) {
	tel, err := newTelemetry(set.MeterProvider)
	if err != nil {
		return nil, fmt.Errorf("waxell exporter: cannot create metrics: %w", err)
	}
	return &waxellExporter{
		cfg:        cfg,
		telemetry:  set.TelemetrySettings,
		logger:     set.Logger,
		tel:        tel,
		noCanonLog: ratelog.New(logInterval),
		retiredLog: ratelog.New(logInterval),
		health:     storeHealth{logEvery: logInterval, store: storeFields(cfg.Store)},
	}, nil
}

func (e *waxellExporter) start(ctx context.Context, host component.Host) error {
	st, isPermanent, err := openStore(ctx, e.cfg.Store)
	if err != nil {
		return fmt.Errorf("waxell exporter: cannot open the %s store: %w", e.cfg.Store.Driver, err)
	}
	if srv := e.cfg.API.Get(); srv != nil {
		if err := e.startAPI(ctx, host, srv, st); err != nil {
			_ = st.Close()
			return err
		}
	}
	e.mu.Lock()
	e.store, e.isPermanent = st, isPermanent
	e.mu.Unlock()
	if e.cfg.Retention > 0 {
		e.retention = startRetention(st, e.cfg.Retention, e.cfg.RetentionInterval, e.logger, e.tel)
	}
	return nil
}

// openStore opens the configured store and returns its permanent-error test.
func openStore(ctx context.Context, cfg StoreConfig) (spanStore, func(error) bool, error) {
	switch cfg.Driver {
	case DriverPostgres:
		s, err := postgres.Open(ctx, postgres.Config{DSN: string(cfg.Postgres.DSN), MaxConns: cfg.Postgres.MaxConns})
		if err != nil {
			return nil, nil, err
		}
		return s, postgres.IsPermanent, nil
	case DriverSQLite:
		if err := createParentDir(cfg.SQLite.Path); err != nil {
			return nil, nil, err
		}
		s, err := sqlite.Open(ctx, sqlite.Config{Path: cfg.SQLite.Path})
		if err != nil {
			return nil, nil, err
		}
		return s, sqlite.IsPermanent, nil
	default:
		return nil, nil, fmt.Errorf("unknown driver %q", cfg.Driver)
	}
}

// createParentDir creates the directory of a SQLite database file.
func createParentDir(path string) error {
	if path == ":memory:" {
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("cannot create the directory of store.sqlite.path: %w", err)
	}
	return nil
}

// startAPI listens first, so that a busy port fails the start, then serves
// in a goroutine that shutdown waits for.
func (e *waxellExporter) startAPI(ctx context.Context, host component.Host, api *APIConfig, s spanStore) error {
	cfg := &api.ServerConfig
	ln, err := cfg.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("waxell exporter: api: cannot listen on %s: %w", cfg.NetAddr.Endpoint, err)
	}
	mux := http.NewServeMux()
	gate := readgate.New(readgate.Config{MaxConcurrent: api.MaxConcurrentQueries, Timeout: api.QueryTimeout,
		ExportTimeout: api.ExportTimeout},
		readgate.Observer{TimedOut: e.queryTimedOut, Admitted: e.queryAdmitted})
	reads := readgate.NewReader(gate, s)
	e.flagStats = flags.NewCache(reads, api.HighUsageStatsTTL)
	routes(mux, reads, e.flagStats, api, s, e.logger)
	srv, err := cfg.ToServer(ctx, host.GetExtensions(), e.telemetry, secure(mux))
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("waxell exporter: api: %w", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(
				fmt.Errorf("waxell exporter: api: %w", err)))
		}
	}()
	e.server, e.serveDone, e.apiAddr = srv, done, ln.Addr().String()
	e.logger.Info("Serving the Waxell API", zap.String("endpoint", e.apiAddr),
		zap.Bool("authenticated", api.authenticates()), zap.Int("max_concurrent_queries", api.MaxConcurrentQueries),
		zap.Duration("query_timeout", api.QueryTimeout), zap.Duration("export_timeout", api.ExportTimeout))
	if !api.authenticates() && !isLoopback(cfg.NetAddr) {
		e.logger.Warn("The Waxell API serves every user's usage without authentication on a non-loopback address "+
			"(api.allow_unauthenticated: true); make sure something else protects it",
			zap.String("endpoint", e.apiAddr))
	}
	return nil
}

// routes mounts everything the exporter serves over HTTP: the REST API under
// /api/ (the handler expects the full path, so no prefix is stripped) and the
// web UI at /, both reading through reads and sharing the abuse-flag
// statistics in stats and their k. Verify, an opt-in admin check that reads
// everything, is not bounded by the query bounds.
func routes(mux *http.ServeMux, reads readgate.Store, stats *flags.Cache, cfg *APIConfig, v api.Verifier, logger *zap.Logger) {
	mux.Handle("/api/", api.NewHandler(reads, api.WithLogger(logger), api.WithVerifier(v), api.WithFlagCache(stats),
		api.WithHighUsageK(cfg.HighUsageK), api.WithExportTimeout(cfg.ExportTimeout)))
	mux.Handle("/", ui.NewHandler(reads, ui.WithLogger(logger), ui.WithFlags(stats), ui.WithHighUsageK(cfg.HighUsageK),
		ui.WithTraceURL(cfg.TraceURL)))
}

// queryTimedOut logs and counts a read of the API or the UI that the query
// bounds stopped.
func (e *waxellExporter) queryTimedOut(te *readgate.TimeoutError) {
	e.tel.queriesTimedOut.Add(context.Background(), 1, e.tel.queued.of(te.Queued))
	e.logger.Warn("A read of the API or the UI hit the query bounds "+
		"(api.query_timeout, or api.export_timeout for exports; api.max_concurrent_queries)",
		zap.String("operation", te.Op), zap.Bool("heavy", te.Heavy), zap.Duration("timeout", te.Timeout),
		zap.Bool("queued", te.Queued), zap.Int("max_concurrent_queries", te.Slots))
}

// queryAdmitted records how long a read of the API or the UI waited for its
// query slot.
func (e *waxellExporter) queryAdmitted(w readgate.Weight, waited time.Duration) {
	e.tel.queriesWait.Record(context.Background(), waited.Seconds(), e.tel.heavy.of(w.Heavy()))
}

func (e *waxellExporter) shutdown(ctx context.Context) error {
	var errs []error
	if e.retention != nil {
		e.retention.stop()
		e.retention = nil
	}
	if e.server != nil {
		if err := e.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("waxell exporter: api: %w", err))
			_ = e.server.Close()
		}
		<-e.serveDone
		e.server = nil
	}
	if e.flagStats != nil {
		// A recomputation in the background reads the store closed below.
		e.flagStats.Close()
		e.flagStats = nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.store != nil {
		if err := e.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("waxell exporter: cannot close the store: %w", err))
		}
		e.store = nil
	}
	return errors.Join(errs...)
}

// pushTraces applies the canonical facts of one batch in one store
// transaction. Permanent store errors drop the batch; others are retried.
func (e *waxellExporter) pushTraces(ctx context.Context, td ptrace.Traces) error {
	spans := make([]genai.Span, 0, td.SpanCount())
	var without, skipped int64
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := rs.Resource()
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j).Spans()
			for k := 0; k < ss.Len(); k++ {
				span := ss.At(k)
				if _, ok := genai.SkippedReason(span); ok {
					skipped++ // counted and logged by the processor
					continue
				}
				s, ok := genai.FromCanonical(res, span)
				if !ok {
					without++
					continue
				}
				if genai.SkipReason(&s, 0, 0) != "" {
					// Canonical attributes on a span the processor would
					// have skipped (no ids or times): never stored.
					skipped++
					continue
				}
				spans = append(spans, s)
			}
		}
	}
	if without > 0 {
		e.tel.withoutCanonical.Add(ctx, without)
		if ok, n := e.noCanonLog.Add("", without); ok {
			e.logger.Warn("Dropped spans without canonical waxell.* attributes; "+
				"add the useragg processor before the waxell exporter in the traces pipeline "+
				"(logged at most once a minute)",
				zap.Int64("count", n))
		}
	}
	if skipped > 0 {
		e.tel.spansSkipped.Add(ctx, skipped)
	}
	if len(spans) == 0 {
		return nil
	}

	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.store == nil {
		return errNotStarted
	}
	st, err := e.store.ApplySpans(ctx, spans)
	if err != nil {
		permanent := e.isPermanent(err)
		e.tel.batchesFailed.Add(ctx, 1, e.tel.permanent.of(permanent))
		if permanent {
			e.logger.Error("Dropped a batch the store can never accept", zap.Int("spans", len(spans)), zap.Error(err))
			return consumererror.NewPermanent(err)
		}
		e.health.failed(e.logger, err)
		return err
	}
	e.health.succeeded(e.logger)
	if st.RetiredSpans > 0 {
		e.tel.spansRetired.Add(ctx, int64(st.RetiredSpans))
		if ok, n := e.retiredLog.Add("", int64(st.RetiredSpans)); ok {
			e.logger.Warn("Ignored spans of traces that retention already deleted; lifetime totals stay as they were "+
				"(logged at most once a minute)", zap.Int64("count", n))
		}
	}
	if st.NewSpans > 0 {
		e.tel.spansApplied.Add(ctx, int64(st.NewSpans))
	}
	if st.DuplicateSpans > 0 {
		e.tel.spansDuplicate.Add(ctx, int64(st.DuplicateSpans))
	}
	return nil
}

// storeFields name the store in log messages: the driver, and the file of
// SQLite (the PostgreSQL DSN may hold a password and is never logged).
func storeFields(cfg StoreConfig) []zap.Field {
	fields := []zap.Field{zap.String("store", cfg.Driver)}
	if cfg.Driver == DriverSQLite {
		fields = append(fields, zap.String("path", cfg.SQLite.Path))
	}
	return fields
}
