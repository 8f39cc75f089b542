// Package waxellexporter turns spans annotated by the useragg processor into
// run and call facts, applies them to the store (SQLite or PostgreSQL) in one
// idempotent transaction per batch, and serves the REST API from the same
// process. The counting logic lives in internal/store/ledger and the API in
// internal/api; this package only adapts them to the collector.
package waxellexporter // import "github.com/waxell/otelcol-waxell/exporter/waxellexporter"
