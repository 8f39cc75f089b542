// Package readgate bounds the store reads of the REST API and the web UI.
//
// Reads and ingest share the database: in PostgreSQL one connection pool,
// and in both stores the same CPU. A read can be expensive (a windowed list
// over a month at a million users takes seconds), and nothing else stops a
// few of them from holding every pooled connection while ingest waits, or
// from running long after the client has given up. A Gate lets at most a
// fixed number of reads run at once, and gives each a deadline that covers
// its wait for a slot; the store cancels a read whose deadline passes (in
// PostgreSQL with a cancel request, so the server stops working on it).
// Reads are weighed by what their cost grows with (Reader): heavy ones may
// hold all slots but one, so a light read (a key, a page of a sort index)
// never waits behind heavy ones alone.
package readgate
