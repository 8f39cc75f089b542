// Package exactness holds the in-process proof of rules S6 to S8 of the
// design (docs/DESIGN.md §3): every recorded fixture trace set and a set of
// hand-built double-counting hazards is split into random batches (random
// sizes and order, duplicated spans, re-delivered, retried and re-processed
// batches), pushed through the real useragg processor and applied to both
// stores one transaction per batch, as the waxell exporter does. Every REST
// API answer must then be byte-equal to the answer for the whole trace
// applied in one batch, and the store's verification must find no
// difference between its rollups and its runs and calls.
//
// Splits also vary how batches reach the store: one after another, with a
// restart of the store in the middle, with transactions cancelled at a random
// moment and then retried (as the exporter's queue retries), or from several
// concurrent writers. A seed replays the splits and modes exactly; the
// moment a cancellation hits and the interleaving of writers are timing.
//
// The package has only tests:
//
//	go test ./test/exactness/                 # 200 splits per set and store
//	go test -short ./test/exactness/          # 20
//	WAXELL_EXACTNESS_SEED=123 go test ...     # replay a logged seed
package exactness
