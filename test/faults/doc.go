// Package faults holds the reliability and security tests that need the
// real collector binary, real PostgreSQL and real faults: PostgreSQL stopped
// during ingest (one long outage, and two crashes and restarts with the
// shipped exporter settings), two collector processes writing split traces
// into one PostgreSQL, kill -9 with the persistent sending queue, a full
// sending queue, a full or unwritable SQLite disk, and the API's
// authentication, hostile input and privacy guarantees.
// docs/reliability.md lists every case and the test that covers it.
//
// The tests build cmd/otelcol-waxell once per test process (or use
// WAXELL_FAULTS_BINARY, else WAXELL_E2E_BINARY) through
// internal/testutil/collectortest, and run sequentially: the PostgreSQL
// tests stop and start the test process's shared server.
//
//	go test -count=1 ./test/faults/
//
// WAXELL_FAULTS_OUTAGE sets how long PostgreSQL stays down in
// TestPostgresOutage (a Go duration; default 60s, the figure of issue 8).
// WAXELL_FAULTS_SEED replays the random split of TestTwoWritersPostgres
// (logged by every run). WAXELL_FAULTS_LOG shows every collector's log,
// also when its test passes.
package faults
