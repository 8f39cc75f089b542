package waxellexporter // import "github.com/waxell/otelcol-waxell/exporter/waxellexporter"

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/confignet"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/store/postgres"
	"github.com/waxell/otelcol-waxell/internal/ui"
)

// Store drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Config is the configuration of the waxell exporter.
type Config struct {
	// TimeoutConfig is the timeout of one attempt to apply a batch
	// (`timeout`). Default: 30s.
	exporterhelper.TimeoutConfig `mapstructure:",squash"`

	// QueueConfig is the exporterhelper sending queue (`sending_queue`).
	// Default: enabled, 10 consumers, 1000 requests, no batching.
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`

	// RetryConfig retries batches that fail with a transient store error
	// (`retry_on_failure`). Default: enabled, 5s initial, 30s max, 5m elapsed.
	RetryConfig configretry.BackOffConfig `mapstructure:"retry_on_failure"`

	// Store selects and configures the store.
	Store StoreConfig `mapstructure:"store"`

	// API serves the REST API and the web UI with the standard confighttp
	// server options (TLS, CORS, auth, ...). `api: {enabled: false}`
	// disables it, for write-only sidecars.
	// Default: enabled on localhost:8480.
	API configoptional.Optional[APIConfig] `mapstructure:"api"`

	// Retention deletes the spans, runs and calls of traces whose spans all
	// started longer ago than this; lifetime aggregates (per user, model,
	// agent, session and hour) stay exact. 0 keeps everything.
	// Default: 0.
	Retention time.Duration `mapstructure:"retention"`

	// RetentionInterval is how often retention runs (the first time right
	// after start). Default: 1h.
	RetentionInterval time.Duration `mapstructure:"retention_interval"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// APIConfig is the HTTP server of the REST API and the UI: every confighttp
// server field (`endpoint`, `tls`, `cors`, `auth`, ...) plus
// `allow_unauthenticated`.
type APIConfig struct {
	confighttp.ServerConfig `mapstructure:",squash"`

	// AllowUnauthenticated lets the API listen on an address other than a
	// loopback one without `auth` (or TLS client certificates). Without it,
	// such a configuration is refused: the API would serve every user's
	// usage to anyone who can reach the port. Set it only when something
	// else (a network policy, an authenticating proxy) protects the port.
	// Default: false.
	AllowUnauthenticated bool `mapstructure:"allow_unauthenticated"`

	// QueryTimeout bounds each read the API and the UI make from the
	// store, including its wait for a free slot (max_concurrent_queries).
	// A read that takes longer is cancelled, in the database too, and
	// answered with 503 (`timeout`). 0 means no bound. Default: 30s.
	QueryTimeout time.Duration `mapstructure:"query_timeout"`

	// ExportTimeout bounds a CSV export's read from the store, including
	// its wait for a slot, instead of query_timeout; and then, again, its
	// download, instead of write_timeout (a whole list at a million users
	// is a minute of reading and a hundred megabytes). A read that takes
	// longer is cancelled and answered with 503 (`timeout`). 0 means no
	// bound. Default: 10m.
	ExportTimeout time.Duration `mapstructure:"export_timeout"`

	// MaxConcurrentQueries is how many reads of the API and the UI may run
	// at once; the others wait for a slot within query_timeout. It keeps
	// expensive reads (a windowed list over a month at a million users)
	// from taking every database connection away from ingest: with
	// PostgreSQL it must be below the connection pool's size (unless the
	// pool has one connection). Default: 2.
	MaxConcurrentQueries int `mapstructure:"max_concurrent_queries"`

	// HighUsageK is k of the high_usage abuse flag (docs/api.md, "Abuse
	// flags"): a user is flagged when the modified z-score of its run count
	// or tokens exceeds it. The API's default (a request may set flag_k)
	// and the UI's marks, filter and anomalies. Default: 3.5.
	HighUsageK float64 `mapstructure:"high_usage_k"`

	// HighUsageStatsTTL is how long the population statistics behind the
	// high_usage flag are served before they are recomputed, in the
	// background while the old ones are still served. Computing them reads
	// every user of the population (about a second at a million users in
	// PostgreSQL): a longer TTL spares the database, a shorter one flags
	// new heavy users sooner. Default: 1m.
	HighUsageStatsTTL time.Duration `mapstructure:"high_usage_stats_ttl"`

	// TraceURL links the trace id on a run's page in the web UI to a
	// tracing backend that the same pipeline feeds: an http(s) URL in which
	// "{trace_id}" is replaced by the trace id, such as
	// "https://jaeger.example/trace/{trace_id}". Default: "" (no link).
	TraceURL string `mapstructure:"trace_url"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// StoreConfig selects the store driver and configures it.
type StoreConfig struct {
	// Driver is sqlite or postgres. Default: sqlite.
	Driver string `mapstructure:"driver"`
	// SQLite configures the embedded SQLite store (driver sqlite).
	SQLite SQLiteConfig `mapstructure:"sqlite"`
	// Postgres configures the PostgreSQL store (driver postgres).
	Postgres PostgresConfig `mapstructure:"postgres"`
}

// SQLiteConfig configures the embedded SQLite store.
type SQLiteConfig struct {
	// Path is the database file. Its parent directory is created at start.
	// Default: ./data/waxell.db.
	Path string `mapstructure:"path"`
}

// PostgresConfig configures the PostgreSQL store.
type PostgresConfig struct {
	// DSN is a libpq connection string (URL or keyword/value form).
	// Required with driver postgres. Default: "".
	DSN configopaque.String `mapstructure:"dsn"`
	// MaxConns bounds the connection pool; 0 keeps the pgx default
	// (the greater of 4 and the number of CPUs). Default: 0.
	MaxConns int32 `mapstructure:"max_conns"`
}

var _ confmap.Validator = (*Config)(nil)

// Validate checks the configuration. Errors name the offending field.
func (cfg *Config) Validate() error {
	var errs []error
	switch cfg.Store.Driver {
	case DriverSQLite:
		if strings.TrimSpace(cfg.Store.SQLite.Path) == "" {
			errs = append(errs, errors.New("store.sqlite.path: must not be empty"))
		}
	case DriverPostgres:
		if strings.TrimSpace(string(cfg.Store.Postgres.DSN)) == "" {
			errs = append(errs, errors.New("store.postgres.dsn: must not be empty when store.driver is postgres"))
		}
	default:
		errs = append(errs, fmt.Errorf("store.driver: unknown driver %q (want %s or %s)", cfg.Store.Driver, DriverSQLite, DriverPostgres))
	}
	if cfg.Store.Postgres.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("store.postgres.max_conns: must not be negative, got %d", cfg.Store.Postgres.MaxConns))
	}
	if api := cfg.API.Get(); api != nil {
		if err := validateEndpoint(api.NetAddr); err != nil {
			errs = append(errs, fmt.Errorf("api.endpoint: %w", err))
		} else if !api.AllowUnauthenticated && !api.authenticates() && !isLoopback(api.NetAddr) {
			errs = append(errs, fmt.Errorf("api: refusing to serve every user's usage on %q, which is not a loopback address, "+
				"without authentication: set api.auth (for example `auth: {authenticator: bearertokenauth}`) "+
				"or, if something else protects the port, api.allow_unauthenticated: true", api.NetAddr.Endpoint))
		}
		errs = append(errs, api.validateQueryBounds(cfg.Store)...)
		if !flags.ValidK(api.HighUsageK) {
			errs = append(errs, fmt.Errorf("api.high_usage_k: must be a positive number up to %g, such as 3.5; got %g",
				flags.MaxK, api.HighUsageK))
		}
		if api.TraceURL != "" && !ui.ValidTraceURL(api.TraceURL) {
			errs = append(errs, fmt.Errorf("api.trace_url: must be an http(s) URL with {trace_id} in it, "+
				"such as https://jaeger.example/trace/{trace_id}; got %q", api.TraceURL))
		}
		if api.HighUsageStatsTTL <= 0 {
			errs = append(errs, fmt.Errorf("api.high_usage_stats_ttl: must be positive, such as 1m; got %s", api.HighUsageStatsTTL))
		}
	}
	if cfg.Retention < 0 {
		errs = append(errs, fmt.Errorf("retention: must not be negative, got %s", cfg.Retention))
	}
	if cfg.Retention > 0 && cfg.RetentionInterval <= 0 {
		errs = append(errs, fmt.Errorf("retention_interval: must be positive when retention is set, got %s", cfg.RetentionInterval))
	}
	return errors.Join(errs...)
}

// validateQueryBounds checks the ranges of query_timeout, export_timeout
// and max_concurrent_queries, and that reads leave PostgreSQL connections to
// ingest (a pool of one connection has none to leave: reads and ingest
// take turns).
func (a *APIConfig) validateQueryBounds(st StoreConfig) []error {
	var errs []error
	if a.QueryTimeout < 0 {
		errs = append(errs, fmt.Errorf("api.query_timeout: must not be negative, got %s", a.QueryTimeout))
	}
	if a.ExportTimeout < 0 {
		errs = append(errs, fmt.Errorf("api.export_timeout: must not be negative, got %s", a.ExportTimeout))
	}
	if a.MaxConcurrentQueries < 1 {
		errs = append(errs, fmt.Errorf("api.max_concurrent_queries: must be at least 1, got %d", a.MaxConcurrentQueries))
	} else if st.Driver == DriverPostgres {
		// A DSN that does not parse is the store's error, reported at start.
		pool, err := postgres.PoolSize(postgres.Config{DSN: string(st.Postgres.DSN), MaxConns: st.Postgres.MaxConns})
		if err == nil && pool > 1 && a.MaxConcurrentQueries >= int(pool) {
			errs = append(errs, fmt.Errorf("api.max_concurrent_queries: must be below the PostgreSQL connection "+
				"pool's size (%d: store.postgres.max_conns, else the DSN's pool_max_conns, else pgx's default), "+
				"so that reads always leave a connection to ingest; got %d", pool, a.MaxConcurrentQueries))
		}
	}
	return errs
}

// authenticates reports whether the server authenticates its clients: an
// authenticator, or TLS that requires client certificates.
func (a *APIConfig) authenticates() bool {
	if a.Auth.HasValue() {
		return true
	}
	tls := a.TLS.Get()
	return tls != nil && tls.ClientCAFile != ""
}

// isLoopback reports whether the server listens on a loopback address only
// ("localhost", 127.0.0.0/8, ::1) or on a unix socket. Everything else,
// including all interfaces ("", 0.0.0.0, ::) and host names, is not.
func isLoopback(na confignet.AddrConfig) bool {
	switch na.Transport {
	case confignet.TransportTypeTCP, confignet.TransportTypeTCP4, confignet.TransportTypeTCP6, "":
	default:
		return na.Transport == confignet.TransportTypeUnix
	}
	host, _, err := net.SplitHostPort(na.Endpoint)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validateEndpoint accepts host:port with a numeric port 0-65535 for TCP
// transports; other transports (unix sockets) take a path.
func validateEndpoint(na confignet.AddrConfig) error {
	switch na.Transport {
	case confignet.TransportTypeTCP, confignet.TransportTypeTCP4, confignet.TransportTypeTCP6, "":
	default:
		if na.Endpoint == "" {
			return fmt.Errorf("must not be empty with transport %s", na.Transport)
		}
		return nil
	}
	_, port, err := net.SplitHostPort(na.Endpoint)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %w", na.Endpoint, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("%q: port %q is not a number in 0-65535", na.Endpoint, port)
	}
	return nil
}
