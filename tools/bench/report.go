package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

const mib = 1 << 20

// stored is spans/s end to end: until the store held everything.
func (r *result) stored() float64 {
	t := r.rep.Seconds + r.drainSeconds
	if t == 0 {
		return 0
	}
	return float64(r.rep.Spans) / t
}

func (r *result) rowsPerSec() float64 {
	t := r.rep.Seconds + r.drainSeconds
	if t == 0 {
		return 0
	}
	return float64(r.rep.Runs+r.rep.Calls) / t
}

func per10k(cpu float64, spans int64) string {
	if spans == 0 || cpu == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", cpu/float64(spans)*1e4)
}

func find(rs []*result, name string) *result {
	for _, r := range rs {
		if r.name == name && r.err == nil {
			return r
		}
	}
	return nil
}

func verdict(r *result) string {
	switch {
	case r.err != nil:
		return "ERROR: " + r.err.Error()
	case r.rep.Verify == nil:
		return "n/a"
	case r.rep.Verify.OK:
		return fmt.Sprintf("exact (%d users)", r.rep.Verify.UsersChecked)
	}
	return fmt.Sprintf("%d MISMATCHES", r.rep.Verify.Mismatches)
}

func printRow(w io.Writer, rs []*result, r *result) {
	fmt.Fprintf(w, "bench: %-12s accepted %8.0f spans/s, stored %8.0f spans/s, %8.0f rows/s, collector %s CPU-s/10k spans, db %s, peak RSS %d MiB, totals %s\n",
		r.name, r.rep.SpansPerSec, r.stored(), r.rowsPerSec(), per10k(r.colCPU, r.rep.Spans), per10k(r.dbCPU, r.rep.Spans), r.peakRSS/mib, verdict(r))
	if t := walText(r); t != "" {
		fmt.Fprintf(w, "bench: %-12s %s\n", r.name, t)
	}
	if r.reads != nil {
		fmt.Fprintf(w, "bench: %-12s %s\n", r.name, r.reads)
	}
}

// walText describes the PostgreSQL WAL a run wrote per span: its volume is
// the database's write work, and full-page images are what checkpoints add.
func walText(r *result) string {
	if r.wal.bytes <= 0 || r.rep.Spans <= 0 {
		return ""
	}
	n := float64(r.rep.Spans)
	return fmt.Sprintf("WAL %.0f bytes and %.1f records per span, %.1f full-page images per 1,000 spans (%.1f GiB in all)",
		float64(r.wal.bytes)/n, float64(r.wal.records)/n, float64(r.wal.fpi)*1000/n, float64(r.wal.bytes)/(1<<30))
}

func renderTable(rs []*result) string {
	floor, limit := find(rs, "floor"), find(rs, "limit")
	var b strings.Builder
	fmt.Fprintln(&b, "| pipeline | duration | spans/s (stored) | spans/s (accepted) | rows/s | x floor | x limit (rows/s) | collector CPU-s / 10k spans | PostgreSQL CPU-s / 10k spans | loadgen CPU-s / 10k spans | peak RSS | ack p50 / p99 | totals |")
	fmt.Fprintln(&b, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range rs {
		xf, xl := "-", "-"
		if floor != nil && r != floor && floor.stored() > 0 {
			xf = fmt.Sprintf("%.3f", r.stored()/floor.stored())
		}
		if limit != nil && r != limit && r != floor && limit.rowsPerSec() > 0 {
			xl = fmt.Sprintf("%.2f", r.rowsPerSec()/limit.rowsPerSec())
		}
		rss := "-"
		if r.peakRSS > 0 {
			rss = fmt.Sprintf("%d MiB", r.peakRSS/mib)
		}
		name := r.name
		if r.rate > 0 {
			name += fmt.Sprintf(" (rate %.0f)", r.rate)
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %.0f | %.0f | %s | %s | %s | %s | %s | %s | %.0f / %.0f ms | %s |\n",
			name, r.duration, r.stored(), r.rep.SpansPerSec, r.rowsPerSec(), xf, xl,
			per10k(r.colCPU, r.rep.Spans), per10k(r.dbCPU, r.rep.Spans), per10k(r.rep.LoadgenCPU, r.rep.Spans), rss,
			r.rep.LatencyMs["p50"], r.rep.LatencyMs["p99"], verdict(r))
	}
	return b.String()
}

func machine() string {
	model := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				model = strings.TrimSpace(line[strings.IndexByte(line, ':')+1:])
				break
			}
		}
	}
	mem := "unknown"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
		if len(f) >= 2 {
			var kb int64
			fmt.Sscan(f[1], &kb)
			mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	var pgv []byte
	if bin, err := pgtest.BinDir(); err == nil {
		pgv, _ = exec.Command(filepath.Join(bin, "postgres"), "--version").Output()
	}
	return fmt.Sprintf("%d CPUs (nproc), %s, %s RAM, %s %s/%s, %s", runtime.NumCPU(), model, mem, runtime.Version(), runtime.GOOS, runtime.GOARCH, strings.TrimSpace(string(pgv)))
}

// minuteMeans averages a per-second timeline over each whole minute.
func minuteMeans(perSecond []int64) []int64 {
	var out []int64
	for i := 0; i+60 <= len(perSecond); i += 60 {
		var sum int64
		for _, v := range perSecond[i : i+60] {
			sum += v
		}
		out = append(out, sum/60)
	}
	return out
}

func joinInts(v []int64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatInt(x, 10)
	}
	return strings.Join(s, ", ")
}

func target(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**not met**"
}

// meanRSS is the mean of samples.
func meanRSS(s []int64) float64 {
	var t float64
	for _, v := range s {
		t += float64(v)
	}
	return t / float64(len(s))
}

// rssThirds are the mean RSS of the middle and the last third of the run;
// ok is false when there are too few samples to tell.
func rssThirds(r *result) (mid, last float64, ok bool) {
	n := len(r.rssSamples)
	if n < 10 {
		return 0, 0, false
	}
	return meanRSS(r.rssSamples[n/3 : 2*n/3]), meanRSS(r.rssSamples[2*n/3:]), true
}

// rssGrowth compares the mean RSS of the last third of the run with the
// middle third.
func rssGrowth(r *result) string {
	mid, last, ok := rssThirds(r)
	if !ok {
		return "too short to judge"
	}
	// The mean of each tenth shows the shape: a plateau, or a climb.
	n := len(r.rssSamples)
	var tenths []string
	for i := range 10 {
		tenths = append(tenths, fmt.Sprintf("%.0f", meanRSS(r.rssSamples[i*n/10:(i+1)*n/10])/mib))
	}
	return fmt.Sprintf("mean RSS %.0f MiB (middle third) -> %.0f MiB (last third), %+.1f%%; mean of each tenth of the run: %s MiB",
		mid/mib, last/mib, (last/mid-1)*100, strings.Join(tenths, ", "))
}

// queueText describes the stores' sending queues.
func queueText() string {
	pc, _, pq := exporterSettings("postgres")
	sc, _, sq := exporterSettings("sqlite")
	return fmt.Sprintf("PostgreSQL %d consumers and %d requests, SQLite %d and %d", pc, pq, sc, sq)
}

func writeDoc(path string, rs []*result, table string, dur, pgDur, rssDur time.Duration, conc string) error {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# Performance\n\n")
	w("This file is written by `make bench` (`go run ./tools/bench`); the figures below are from its last run.\n")
	w("Load generator: `cmd/waxell-loadgen`; driver: `tools/bench`. See the end of this file for what is measured and how.\n\n")
	w("## Commands\n\n```sh\nmake bench                                  # every pipeline, %s each\n", dur)
	w("BENCH_DURATION=30s BENCH_PG_DURATION=5m make bench   # the 5-minute PostgreSQL target\n")
	w("BENCH_PIPELINES=postgres-10k BENCH_RSS_DURATION=30m make bench   # memory over 30 minutes at 10k spans/s\n")
	w("BENCH_BATCH_SPANS=0 make bench               # one store transaction per OTLP request (no exporter batching)\n")
	w("BENCH_PG_STATEMENTS=1 BENCH_PIPELINES=postgres make bench   # + the top statements (pg_stat_statements)\n")
	w("BENCH_PG_DROP_SORT_INDEXES=1 BENCH_PIPELINES=postgres make bench   # what the users/sessions list indexes cost\n")
	w("BENCH_PIPELINES=postgres-reads make bench   # ingest at a fixed rate (BENCH_READS_RATE) while BENCH_READERS readers load the API (and one light reader)\n")
	w("go run ./cmd/waxell-loadgen -h                # the load generator on its own\n")
	w("go test -run '^$' -bench 'Extract|ProcessTraces' -benchmem ./internal/genai/ ./processor/useraggprocessor/\n```\n\n")
	w("## Machine\n\n%s. Collector, PostgreSQL and load generator share the machine; all traffic is on loopback.\n", machine())
	w("PostgreSQL settings besides the defaults (the harness's own server): `%s`.\n", strings.Join(pgConf(), "; "))
	var loads []string
	for _, r := range rs {
		loads = append(loads, r.name+" "+r.loadAvg)
	}
	w("1-minute load average at the end of each run (2 CPUs; above 2, other work competed for them): %s.\n", strings.Join(loads, ", "))
	w("Run finished %s. Durations: %s per pipeline, PostgreSQL pipeline %s, fixed-rate run %s; loadgen concurrency %s, 120 runs (about 720 spans) per request, OTLP gRPC; the exporter merges queued requests into batches of at least %s spans (`BENCH_BATCH_SPANS`, 0 = none) or what %s brings (`BENCH_FLUSH_TIMEOUT`); sending queue: %s (it must hold a batch per consumer plus the one being filled).\n\n",
		time.Now().UTC().Format(time.RFC3339), dur, pgDur, rssDur, conc, env("BENCH_BATCH_SPANS", "4000"), flushTimeout(), queueText())
	w("## Figures of the last run\n\n%s\n", table)
	w("- *stored* spans/s divides the spans sent by the time until the API reported all of them (load + drain of the exporter queue); *accepted* is the receiver's acknowledgement rate during the load.\n")
	w("- *rows/s* counts run and call rows (the facts the limit writes); *x limit* compares rows/s with the limit's.\n")
	w("- CPU columns: seconds of CPU per 10,000 spans, from `/proc/<pid>/stat` (collector) and the postmaster and its children (PostgreSQL).\n")
	for _, r := range rs {
		if t := walText(r); t != "" {
			w("- PostgreSQL WAL (`pg_stat_wal`), %s: %s.\n", r.name, t)
		}
	}
	for _, r := range rs {
		if r.reads != nil {
			w("- Reads of the API during %s (each heavy reader requests the users and the sessions of the last 6 hours sorted by cost, and the overview, in turn; the light reader the lifetime users list, then its first user's detail): %s.\n", r.name, r.reads)
		}
	}
	for _, r := range rs {
		if m := minuteMeans(r.rep.Timeline); (r.rate == 0 || r.reads != nil) && len(m) >= 2 {
			w("- Accepted spans/s in each whole minute, %s: %s.\n", r.name, joinInts(m))
		}
	}
	w("\n")
	w("![accepted spans/s per second](performance-throughput.png)\n\n")
	w("The pipelines into a store alone, on their own scale:\n\n![accepted spans/s per second, store pipelines](performance-throughput-stores.png)\n\n")

	w("## Targets\n\n| target | measured | |\n|---|---|---|\n")
	if r := find(rs, "postgres"); r != nil {
		w("| PostgreSQL pipeline >= 30,000 spans/s sustained for 5 min | %.0f spans/s over %s | %s%s |\n", r.stored(), r.duration,
			target(r.stored() >= 30000 && r.duration >= 5*time.Minute), map[bool]string{true: "", false: " (run shorter than 5 min)"}[r.duration >= 5*time.Minute])
		if l := find(rs, "limit"); l != nil {
			w("| PostgreSQL pipeline >= 25%% of the limit's rows/s | %.0f / %.0f rows/s = %.1f%% | %s |\n", r.rowsPerSec(), l.rowsPerSec(),
				100*r.rowsPerSec()/l.rowsPerSec(), target(r.rowsPerSec() >= 0.25*l.rowsPerSec()))
		}
	}
	if r := find(rs, "sqlite"); r != nil {
		w("| SQLite pipeline >= 15,000 spans/s | %.0f spans/s | %s |\n", r.stored(), target(r.stored() >= 15000))
	}
	if r := find(rs, "postgres-10k"); r != nil {
		w("| Collector peak RSS <= 256 MiB at 10,000 spans/s | %d MiB (accepted %.0f spans/s) | %s |\n", r.peakRSS/mib, r.rep.SpansPerSec, target(r.peakRSS <= 256*mib && r.rep.SpansPerSec >= 9500)+map[bool]string{true: "", false: " (10,000 spans/s not reached)"}[r.rep.SpansPerSec >= 9500])
		verdict := "**not shown** (run shorter than 30 min)"
		if r.duration >= 30*time.Minute {
			// Growth that is not a leak levels off: the last third of the run
			// stays within 10% of the middle third.
			mid, last, ok := rssThirds(r)
			verdict = target(!ok || last <= 1.10*mid)
		}
		w("| No unbounded growth over 30 minutes (last third within 10%% of the middle third) | %s over %s | %s |\n",
			rssGrowth(r), r.duration, verdict)
	}
	all := true
	for _, r := range rs {
		if r.rep.Verify != nil && !r.rep.Verify.OK || r.err != nil {
			all = false
		}
	}
	w("| Exact totals at the end of every run | every collector run into a store checked per user (runs, tokens, cost) and overall | %s |\n", target(all))
	if microTarget.ok {
		w("| Processor hot path <= 2 µs per GenAI span | %.0f ns (BenchmarkProcessTraces/default) | %s |\n", microTarget.ns, target(microTarget.ns <= 2000))
		w("| Processor hot path <= 10 allocations per GenAI span | %.1f | %s |\n", microTarget.allocs, target(microTarget.allocs <= 10))
	}
	w("\n")
	if microOut != "" {
		w("## Processor hot path\n\n`go test -run '^$' -bench 'Extract|ProcessTraces' -benchmem ./internal/genai/ ./processor/useraggprocessor/`, run by the bench before the load (%s):\n\n```\n%s```\n\n", strings.TrimSuffix(microSummary, "; "), microOut)
	}
	for _, p := range []struct{ name, title string }{{"postgres", "PostgreSQL"}, {"sqlite", "SQLite"}} {
		if r := find(rs, p.name); r != nil && r.profileTop != "" {
			w("## CPU profile of the collector, %s pipeline\n\n```\n%s```\n\n", p.title, r.profileTop)
		}
	}
	// The hand-written analysis (from "## Analysis" on) survives re-runs.
	if old, err := os.ReadFile(path); err == nil {
		if i := strings.Index("\n"+string(old), "\n## Analysis"); i >= 0 {
			b.WriteString(string(old[i:]))
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
