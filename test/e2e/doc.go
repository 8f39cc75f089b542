// Package e2e holds the end-to-end tests of the otelcol-waxell distribution.
//
// The tests build the real collector binary from cmd/otelcol-waxell once per
// test process, start it with generated configurations (SQLite in a temporary
// directory, or PostgreSQL through internal/testutil/pgtest), send OTLP traces
// over gRPC, HTTP/protobuf and HTTP/JSON and check every field of the REST API
// answers. Run them with
//
//	go test -count=1 ./test/e2e/
//
// Set WAXELL_E2E_BINARY to test an already built binary instead.
package e2e
