package waxellexporter // import "github.com/waxell/otelcol-waxell/exporter/waxellexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/waxell/otelcol-waxell/exporter/waxellexporter/internal/metadata"
	"github.com/waxell/otelcol-waxell/internal/flags"
)

const (
	defaultSQLitePath  = "./data/waxell.db"
	defaultAPIEndpoint = "localhost:8480"
	// defaultAPIMaxBodyBytes bounds request bodies of the API, which
	// serves GET only (confighttp's default is 20 MiB).
	defaultAPIMaxBodyBytes = 64 << 10
	// defaultQueryTimeout bounds one read of the API or the UI: a windowed
	// list over a week at a million users takes about a second.
	defaultQueryTimeout = 30 * time.Second
	// defaultExportTimeout bounds a CSV export's read, and its download: a
	// whole list at a million users reads in about a minute.
	defaultExportTimeout = 10 * time.Minute
	// defaultMaxConcurrentQueries leaves two of PostgreSQL's default four
	// pooled connections to ingest.
	defaultMaxConcurrentQueries = 2
	// defaultRetentionInterval is how often retention runs.
	defaultRetentionInterval = time.Hour
	// defaultTimeout bounds one attempt to apply a batch. exporterhelper's
	// 5 s cut off large batches while PostgreSQL was checkpointing in the
	// load harness; a cut-off attempt is rolled back and redone in full,
	// which adds load exactly when the store is slow.
	defaultTimeout = 30 * time.Second
)

// NewFactory returns the factory of the waxell exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithTraces(createTracesExporter, metadata.TracesStability),
	)
}

func createDefaultConfig() component.Config {
	api := APIConfig{ServerConfig: confighttp.NewDefaultServerConfig()}
	api.NetAddr.Endpoint = defaultAPIEndpoint
	api.MaxRequestBodySize = defaultAPIMaxBodyBytes
	api.QueryTimeout = defaultQueryTimeout
	api.ExportTimeout = defaultExportTimeout
	api.MaxConcurrentQueries = defaultMaxConcurrentQueries
	api.HighUsageK = flags.DefaultK
	api.HighUsageStatsTTL = flags.DefaultTTL
	return &Config{
		TimeoutConfig: exporterhelper.TimeoutConfig{Timeout: defaultTimeout},
		QueueConfig:   configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig:   configretry.NewDefaultBackOffConfig(),
		Store: StoreConfig{
			Driver: DriverSQLite,
			SQLite: SQLiteConfig{Path: defaultSQLitePath},
		},
		API:               configoptional.Some(api),
		RetentionInterval: defaultRetentionInterval,
	}
}

func createTracesExporter(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	c := cfg.(*Config)
	e, err := newWaxellExporter(set, c)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewTraces(ctx, set, cfg, e.pushTraces,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithRetry(c.RetryConfig),
	)
}
