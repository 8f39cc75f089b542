package waxellexporter

import (
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/confignet"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/waxell/otelcol-waxell/exporter/waxellexporter/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	pg := createDefaultConfig().(*Config)
	pg.Store.Driver = DriverPostgres
	pg.Store.Postgres.DSN = "postgres://waxell:secret@db.internal:5432/waxell?sslmode=require"
	pg.Store.Postgres.MaxConns = 16
	pg.API.Get().NetAddr.Endpoint = "0.0.0.0:9480"
	pg.API.Get().Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{
		AuthenticatorID: component.MustNewID("bearertokenauth")}})
	pg.API.Get().QueryTimeout = time.Minute
	pg.API.Get().ExportTimeout = 20 * time.Minute
	pg.API.Get().MaxConcurrentQueries = 6
	pg.API.Get().HighUsageK = 5
	pg.API.Get().HighUsageStatsTTL = 5 * time.Minute
	pg.API.Get().TraceURL = "https://jaeger.example/trace/{trace_id}"
	pg.Retention = 2160 * time.Hour
	pg.RetentionInterval = 30 * time.Minute
	pg.Timeout = 10 * time.Second
	q := exporterhelper.NewDefaultQueueConfig()
	q.NumConsumers = 4
	q.QueueSize = 500
	pg.QueueConfig = configoptional.Some(q)
	pg.RetryConfig.MaxElapsedTime = 0

	sidecar := createDefaultConfig().(*Config)
	sidecar.Store.SQLite.Path = "/var/lib/waxell/waxell.db"
	sidecar.API = configoptional.None[APIConfig]()
	sidecar.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()

	open := createDefaultConfig().(*Config)
	open.API.Get().NetAddr.Endpoint = "0.0.0.0:8480"
	open.API.Get().AllowUnauthenticated = true

	tests := []struct {
		id       component.ID
		expected *Config
	}{
		{id: component.NewID(metadata.Type), expected: createDefaultConfig().(*Config)},
		{id: component.NewIDWithName(metadata.Type, "open"), expected: open},
		{id: component.NewIDWithName(metadata.Type, "postgres"), expected: pg},
		{id: component.NewIDWithName(metadata.Type, "sidecar"), expected: sidecar},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			require.NoError(t, confmap.Validate(cfg))
			assert.Equal(t, tt.expected, cfg)
		})
	}
}

func TestCreateDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, DriverSQLite, cfg.Store.Driver)
	assert.Equal(t, "./data/waxell.db", cfg.Store.SQLite.Path)
	require.True(t, cfg.API.HasValue())
	assert.Equal(t, "localhost:8480", cfg.API.Get().NetAddr.Endpoint)
	assert.Equal(t, confignet.TransportTypeTCP, cfg.API.Get().NetAddr.Transport)
	assert.True(t, cfg.QueueConfig.HasValue())
	assert.True(t, cfg.RetryConfig.Enabled)
	assert.Equal(t, 30*time.Second, cfg.Timeout)
	assert.Equal(t, 30*time.Second, cfg.API.Get().QueryTimeout)
	assert.Equal(t, 2, cfg.API.Get().MaxConcurrentQueries)
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{
			name:    "unknown driver",
			mutate:  func(c *Config) { c.Store.Driver = "x" },
			wantErr: `store.driver: unknown driver "x" (want sqlite or postgres)`,
		},
		{
			name:    "empty driver",
			mutate:  func(c *Config) { c.Store.Driver = "" },
			wantErr: `store.driver: unknown driver "" (want sqlite or postgres)`,
		},
		{
			name:    "empty sqlite path",
			mutate:  func(c *Config) { c.Store.SQLite.Path = "" },
			wantErr: "store.sqlite.path: must not be empty",
		},
		{
			name:    "empty postgres dsn",
			mutate:  func(c *Config) { c.Store.Driver = DriverPostgres },
			wantErr: "store.postgres.dsn: must not be empty when store.driver is postgres",
		},
		{
			name: "negative max conns",
			mutate: func(c *Config) {
				c.Store.Driver = DriverPostgres
				c.Store.Postgres.DSN = "postgres://localhost/waxell"
				c.Store.Postgres.MaxConns = -1
			},
			wantErr: "store.postgres.max_conns: must not be negative",
		},
		{
			name:    "endpoint without port",
			mutate:  func(c *Config) { c.API.Get().NetAddr.Endpoint = "localhost" },
			wantErr: `api.endpoint: "localhost" is not host:port`,
		},
		{
			name:    "endpoint with named port",
			mutate:  func(c *Config) { c.API.Get().NetAddr.Endpoint = "localhost:http" },
			wantErr: `api.endpoint: "localhost:http": port "http" is not a number in 0-65535`,
		},
		{
			name:    "endpoint port out of range",
			mutate:  func(c *Config) { c.API.Get().NetAddr.Endpoint = "localhost:65536" },
			wantErr: `port "65536" is not a number in 0-65535`,
		},
		{
			name:    "empty endpoint",
			mutate:  func(c *Config) { c.API.Get().NetAddr.Endpoint = "" },
			wantErr: `api.endpoint: "" is not host:port`,
		},
	}
	for _, endpoint := range []string{"0.0.0.0:8480", ":8480", "[::]:8480", "10.1.2.3:8480", "waxell.internal:8480", "[fe80::1]:8480"} {
		tests = append(tests, struct {
			name    string
			mutate  func(*Config)
			wantErr string
		}{
			name:    "unauthenticated on " + endpoint,
			mutate:  func(c *Config) { c.API.Get().NetAddr.Endpoint = endpoint },
			wantErr: fmt.Sprintf(`api: refusing to serve every user's usage on %q, which is not a loopback address, without authentication`, endpoint),
		})
	}
	tests = append(tests, []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"TLS without client certificates is no authentication", func(c *Config) {
			c.API.Get().NetAddr.Endpoint = "0.0.0.0:8480"
			c.API.Get().TLS = configoptional.Some(configtls.ServerConfig{
				Config: configtls.Config{CertFile: "/etc/waxell/tls.crt", KeyFile: "/etc/waxell/tls.key"}})
		}, "api: refusing to serve"},
		{"negative retention", func(c *Config) { c.Retention = -time.Hour }, "retention: must not be negative"},
		{"negative query timeout", func(c *Config) { c.API.Get().QueryTimeout = -time.Second },
			"api.query_timeout: must not be negative, got -1s"},
		{"negative export timeout", func(c *Config) { c.API.Get().ExportTimeout = -time.Minute },
			"api.export_timeout: must not be negative, got -1m0s"},
		{"no query slot", func(c *Config) { c.API.Get().MaxConcurrentQueries = 0 },
			"api.max_concurrent_queries: must be at least 1, got 0"},
		{"k of zero", func(c *Config) { c.API.Get().HighUsageK = 0 },
			"api.high_usage_k: must be a positive number up to 1e+06, such as 3.5; got 0"},
		{"k too large", func(c *Config) { c.API.Get().HighUsageK = 2e6 }, "api.high_usage_k: must be a positive number"},
		{"k not a number", func(c *Config) { c.API.Get().HighUsageK = math.NaN() }, "api.high_usage_k: must be a positive number"},
		{"statistics never reused", func(c *Config) { c.API.Get().HighUsageStatsTTL = 0 },
			"api.high_usage_stats_ttl: must be positive, such as 1m; got 0s"},
		{"trace link without the id", func(c *Config) { c.API.Get().TraceURL = "https://jaeger.example/trace/" },
			`api.trace_url: must be an http(s) URL with {trace_id} in it, such as https://jaeger.example/trace/{trace_id}; got "https://jaeger.example/trace/"`},
		{"trace link not http", func(c *Config) { c.API.Get().TraceURL = "javascript:alert('{trace_id}')" },
			"api.trace_url: must be an http(s) URL"},
		{"reads could take the whole postgres pool", func(c *Config) {
			c.Store.Driver = DriverPostgres
			c.Store.Postgres.DSN = "postgres://localhost/waxell"
			c.Store.Postgres.MaxConns = 4
			c.API.Get().MaxConcurrentQueries = 4
		}, "api.max_concurrent_queries: must be below the PostgreSQL connection pool's size (4: store.postgres.max_conns, " +
			"else the DSN's pool_max_conns, else pgx's default), so that reads always leave a connection to ingest; got 4"},
		{"reads could take the DSN's pool", func(c *Config) {
			c.Store.Driver = DriverPostgres
			c.Store.Postgres.DSN = "postgres://localhost/waxell?pool_max_conns=3"
			c.API.Get().MaxConcurrentQueries = 3
		}, "api.max_concurrent_queries: must be below the PostgreSQL connection pool's size (3: "},
		{"reads could take pgx's default pool", func(c *Config) {
			c.Store.Driver = DriverPostgres
			c.Store.Postgres.DSN = "postgres://localhost/waxell"
			c.API.Get().MaxConcurrentQueries = max(4, runtime.NumCPU())
		}, "api.max_concurrent_queries: must be below the PostgreSQL connection pool's size"},
		{"retention without interval", func(c *Config) {
			c.Retention = time.Hour
			c.RetentionInterval = 0
		}, "retention_interval: must be positive when retention is set"},
	}...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.mutate(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{"any port", func(c *Config) { c.API.Get().NetAddr.Endpoint = "localhost:0" }},
		{"loopback address", func(c *Config) { c.API.Get().NetAddr.Endpoint = "127.0.0.2:8480" }},
		{"all interfaces with an authenticator", func(c *Config) {
			c.API.Get().NetAddr.Endpoint = ":8480"
			c.API.Get().Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{
				AuthenticatorID: component.MustNewID("bearertokenauth")}})
		}},
		{"all interfaces with TLS client certificates", func(c *Config) {
			c.API.Get().NetAddr.Endpoint = "0.0.0.0:8480"
			c.API.Get().TLS = configoptional.Some(configtls.ServerConfig{ClientCAFile: "/etc/waxell/clients.pem",
				Config: configtls.Config{CertFile: "/etc/waxell/tls.crt", KeyFile: "/etc/waxell/tls.key"}})
		}},
		{"all interfaces explicitly unauthenticated", func(c *Config) {
			c.API.Get().NetAddr.Endpoint = "0.0.0.0:8480"
			c.API.Get().AllowUnauthenticated = true
		}},
		{"retention", func(c *Config) { c.Retention = 720 * time.Hour }},
		{"ipv6", func(c *Config) { c.API.Get().NetAddr.Endpoint = "[::1]:8480" }},
		{"api disabled ignores endpoint", func(c *Config) {
			c.API = configoptional.None[APIConfig]()
		}},
		{"unix socket", func(c *Config) {
			c.API.Get().NetAddr.Transport = confignet.TransportTypeUnix
			c.API.Get().NetAddr.Endpoint = "/run/waxell.sock"
		}},
		{"no query timeout", func(c *Config) { c.API.Get().QueryTimeout = 0 }},
		{"no export timeout", func(c *Config) { c.API.Get().ExportTimeout = 0 }},
		{"sqlite has no pool to share", func(c *Config) { c.API.Get().MaxConcurrentQueries = 64 }},
		{"a pool of one connection is shared", func(c *Config) {
			c.Store.Driver = DriverPostgres
			c.Store.Postgres.DSN = "postgres://localhost/waxell"
			c.Store.Postgres.MaxConns = 1
		}},
		{"reads below the DSN's pool", func(c *Config) {
			c.Store.Driver = DriverPostgres
			c.Store.Postgres.DSN = "postgres://localhost/waxell?pool_max_conns=12"
			c.API.Get().MaxConcurrentQueries = 11
		}},
		{"reads below the postgres pool", func(c *Config) {
			c.Store.Driver = DriverPostgres
			c.Store.Postgres.DSN = "postgres://localhost/waxell"
			c.Store.Postgres.MaxConns = 8
			c.API.Get().MaxConcurrentQueries = 7
		}},
		{"postgres ignores sqlite path", func(c *Config) {
			c.Store.Driver = DriverPostgres
			c.Store.Postgres.DSN = "host=/tmp dbname=waxell"
			c.Store.SQLite.Path = ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.mutate(cfg)
			assert.NoError(t, confmap.Validate(cfg))
		})
	}
}
