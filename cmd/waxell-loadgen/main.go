// Command waxell-loadgen sends realistic GenAI traces to an OTLP endpoint
// (or, with -target pgcopy, writes the same run and call rows to PostgreSQL
// with COPY), reports accepted spans/s and acknowledgement latency, and at
// the end checks that the waxell API's totals equal exactly what was sent.
//
//	waxell-loadgen -protocol grpc -endpoint 127.0.0.1:4317 -duration 30s -api http://127.0.0.1:8480
//	waxell-loadgen -rate 10000 -duration 30m -mix genai=2,openinference=1,vercel=1
//	waxell-loadgen -target pgcopy -pg-dsn postgres://... -duration 30s
//
// Runs are generated deterministically from -seed: worker w produces the same
// sequence of runs on every invocation. Expected totals (per user: runs,
// tokens, cost in nano-USD priced with internal/pricing exactly as the useragg
// processor prices them) are accumulated for acknowledged requests only; a
// failed request is retried unchanged until acknowledged (the store is
// idempotent by trace and span id), so the expectation is exact.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/waxell/otelcol-waxell/internal/pricing"
)

type options struct {
	target, protocol, endpoint string
	rate                       float64
	duration                   time.Duration
	requests                   int64
	concurrency                int
	runsPerRequest             int
	users                      uint64
	zipfS                      float64
	seed                       uint64
	mix                        string
	api                        string
	verifyTimeout              time.Duration
	pgDSN                      string
	report                     string
	reqTimeout                 time.Duration
	quiet                      bool
}

// Report is the JSON the bench driver reads.
type Report struct {
	Target         string             `json:"target"`
	Protocol       string             `json:"protocol,omitempty"`
	Mix            string             `json:"mix"`
	Rate           float64            `json:"rate"`
	Concurrency    int                `json:"concurrency"`
	RunsPerRequest int                `json:"runs_per_request"`
	Users          uint64             `json:"users"`
	Seed           uint64             `json:"seed"`
	Seconds        float64            `json:"seconds"`
	Requests       int64              `json:"requests"`
	Retries        int64              `json:"retries"`
	Unacked        int64              `json:"unacknowledged_requests"`
	Spans          int64              `json:"spans"`
	Runs           int64              `json:"runs"`
	Calls          int64              `json:"calls"`
	SpansPerSec    float64            `json:"spans_per_s"`
	RowsPerSec     float64            `json:"rows_per_s"`
	LatencyMs      map[string]float64 `json:"ack_latency_ms"`
	Timeline       []int64            `json:"timeline_spans_per_s"`
	DistinctUsers  int                `json:"distinct_users"`
	Tokens         int64              `json:"tokens"`
	CostUSD        string             `json:"cost_usd"`
	ByConvention   map[string]int64   `json:"runs_by_convention"`
	LoadgenCPU     float64            `json:"loadgen_cpu_s"`
	Verify         *VerifyResult      `json:"verify,omitempty"`
}

func main() {
	var o options
	flag.StringVar(&o.target, "target", "otlp", "otlp (send to a collector) or pgcopy (COPY the same run and call rows into unindexed PostgreSQL tables)")
	flag.StringVar(&o.protocol, "protocol", "grpc", "OTLP protocol: grpc or http (protobuf)")
	flag.StringVar(&o.endpoint, "endpoint", "", "OTLP endpoint (default 127.0.0.1:4317 for grpc, http://127.0.0.1:4318/v1/traces for http)")
	flag.Float64Var(&o.rate, "rate", 0, "spans/s to send; 0 sends as fast as accepted")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "how long to send (ignored when -requests is set)")
	flag.Int64Var(&o.requests, "requests", 0, "send exactly this many requests (fully deterministic run), then stop")
	flag.IntVar(&o.concurrency, "concurrency", 4, "concurrent requests in flight")
	flag.IntVar(&o.runsPerRequest, "runs-per-request", 120, "agent runs per request (about 5 spans each)")
	flag.Uint64Var(&o.users, "users", 1_000_000, "user population (Zipf-distributed)")
	flag.Float64Var(&o.zipfS, "zipf-s", 1.1, "Zipf exponent s (> 1)")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed")
	flag.StringVar(&o.mix, "mix", "genai=2,openinference=1,vercel=1", "convention mix: genai, openinference, vercel with integer weights")
	flag.StringVar(&o.api, "api", "", "waxell API base URL (e.g. http://127.0.0.1:8480); when set, check the totals at the end")
	flag.DurationVar(&o.verifyTimeout, "verify-timeout", 5*time.Minute, "how long to wait for the store to catch up before comparing")
	flag.StringVar(&o.pgDSN, "pg-dsn", "", "PostgreSQL DSN for -target pgcopy")
	flag.StringVar(&o.report, "report", "", "write the JSON report to this file")
	flag.DurationVar(&o.reqTimeout, "request-timeout", 30*time.Second, "timeout of one request attempt")
	flag.BoolVar(&o.quiet, "quiet", false, "no per-second progress lines")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := runLoad(ctx, o)
	if rep != nil {
		if o.report != "" {
			b, _ := json.MarshalIndent(rep, "", "  ")
			if werr := os.WriteFile(o.report, b, 0o644); werr != nil {
				fmt.Fprintln(os.Stderr, "waxell-loadgen:", werr)
			}
		}
		printSummary(rep)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "waxell-loadgen:", err)
		os.Exit(1)
	}
}

// sender delivers one batch of runs; an error means "not acknowledged".
type sender interface {
	send(ctx context.Context, runs []run) error
	close()
}

// pacer hands out send times so that the spans sent follow rate.
type pacer struct {
	mu   sync.Mutex
	rate float64
	next time.Time
}

func (p *pacer) wait(ctx context.Context, spans int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now.Add(-time.Second)) {
		p.next = now // do not burst to catch up more than a second
	}
	at := p.next
	p.next = p.next.Add(time.Duration(float64(spans) / p.rate * float64(time.Second)))
	p.mu.Unlock()
	if d := time.Until(at); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
}

func runLoad(ctx context.Context, o options) (*Report, error) {
	mix, err := parseMix(o.mix)
	if err != nil {
		return nil, err
	}
	if o.zipfS <= 1 {
		return nil, errors.New("-zipf-s must be > 1")
	}
	prices, err := pricing.Default()
	if err != nil {
		return nil, err
	}
	var snd sender
	switch o.target {
	case "otlp":
		snd, err = newOTLPSender(o)
	case "pgcopy":
		snd, err = newCopySender(ctx, o)
	default:
		err = fmt.Errorf("-target: %q is not otlp or pgcopy", o.target)
	}
	if err != nil {
		return nil, err
	}
	defer snd.close()

	var pc *pacer
	if o.rate > 0 {
		pc = &pacer{rate: o.rate, next: time.Now()}
	}
	base := time.Now().Add(-time.Minute)
	horizon := o.duration + 10*time.Minute
	timeline := make([]atomic.Int64, int(horizon/time.Second)+1)
	var reqLeft atomic.Int64
	reqLeft.Store(o.requests)
	var retries, unacked, requests atomic.Int64

	sendCtx, cancelSend := context.WithCancel(ctx)
	defer cancelSend()
	if o.requests == 0 {
		go func() {
			select {
			case <-time.After(o.duration):
			case <-ctx.Done():
			}
			cancelSend()
		}()
	}

	start := time.Now()
	exps := make([]*expected, o.concurrency)
	lats := make([][]time.Duration, o.concurrency)
	var wg sync.WaitGroup
	for w := range o.concurrency {
		exps[w] = newExpected()
		wg.Go(func() {
			g := newGenerator(o.seed, uint32(w), o.users, o.zipfS, mix, prices, base)
			exp := exps[w]
			batch := make([]run, o.runsPerRequest)
			for sendCtx.Err() == nil {
				if o.requests > 0 && reqLeft.Add(-1) < 0 {
					return
				}
				spans := 0
				for i := range batch {
					batch[i] = g.next()
					spans += batch[i].spans()
				}
				pc.wait(sendCtx, spans)
				if sendCtx.Err() != nil {
					return // generated, never sent: not expected
				}
				// Retry the same request until acknowledged; the store is
				// idempotent, so a retry of a partly applied request is safe.
				// After the send window, keep retrying for a bounded time.
				deadline := time.Now().Add(2 * time.Minute)
				backoff := 50 * time.Millisecond
				for {
					t0 := time.Now()
					rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.reqTimeout)
					err := snd.send(rctx, batch)
					cancel()
					if err == nil {
						lats[w] = append(lats[w], time.Since(t0))
						break
					}
					if ctx.Err() != nil || time.Now().After(deadline) {
						unacked.Add(1)
						fmt.Fprintf(os.Stderr, "waxell-loadgen: request not acknowledged, giving up: %v\n", err)
						return
					}
					retries.Add(1)
					time.Sleep(backoff)
					backoff = min(2*backoff, time.Second)
				}
				requests.Add(1)
				for i := range batch {
					exp.add(&batch[i])
				}
				if sec := int(time.Since(start) / time.Second); sec < len(timeline) {
					timeline[sec].Add(int64(spans))
				}
			}
		})
	}
	progressDone := make(chan struct{})
	if !o.quiet {
		go func() {
			t := time.NewTicker(5 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-progressDone:
					return
				case <-t.C:
					sec := int(time.Since(start)/time.Second) - 1
					if sec >= 0 && sec < len(timeline) {
						fmt.Fprintf(os.Stderr, "t=%3ds  %8d spans/s\n", sec, timeline[sec].Load())
					}
				}
			}
		}()
	}
	wg.Wait()
	close(progressDone)
	elapsed := time.Since(start)

	exp := newExpected()
	var all []time.Duration
	for w := range o.concurrency {
		exp.merge(exps[w])
		all = append(all, lats[w]...)
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := int(p * float64(len(all)-1))
		return float64(all[i].Microseconds()) / 1000
	}
	n := int(elapsed/time.Second) + 1
	tl := make([]int64, 0, n)
	for i := 0; i < n && i < len(timeline); i++ {
		tl = append(tl, timeline[i].Load())
	}
	secs := elapsed.Seconds()
	rep := &Report{
		Target: o.target, Mix: o.mix, Rate: o.rate, Concurrency: o.concurrency, RunsPerRequest: o.runsPerRequest,
		Users: o.users, Seed: o.seed, Seconds: secs,
		Requests: requests.Load(), Retries: retries.Load(), Unacked: unacked.Load(),
		Spans: exp.spans, Runs: exp.runs, Calls: exp.calls,
		SpansPerSec: float64(exp.spans) / secs, RowsPerSec: float64(exp.runs+exp.calls) / secs,
		LatencyMs: map[string]float64{"p50": pct(0.50), "p90": pct(0.90), "p99": pct(0.99), "max": pct(1)},
		Timeline:  tl, DistinctUsers: len(exp.users), Tokens: exp.tokens, CostUSD: formatUSD(exp.costNanos),
		ByConvention: exp.byConv, LoadgenCPU: selfCPU(),
	}
	if o.target == "otlp" {
		rep.Protocol = o.protocol
	}
	if rep.Unacked > 0 {
		return rep, fmt.Errorf("%d requests were never acknowledged: totals cannot be exact", rep.Unacked)
	}
	if o.api != "" && o.target == "otlp" {
		v, err := verify(ctx, o.api, exp, o.verifyTimeout)
		rep.Verify = v
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func printSummary(r *Report) {
	fmt.Fprintf(os.Stderr, "%s: %d spans (%d runs, %d calls, %d users) in %.1fs: %.0f spans/s, %.0f rows/s; ack latency ms p50 %.1f p90 %.1f p99 %.1f max %.1f; retries %d; loadgen cpu %.1fs\n",
		r.Target, r.Spans, r.Runs, r.Calls, r.DistinctUsers, r.Seconds, r.SpansPerSec, r.RowsPerSec,
		r.LatencyMs["p50"], r.LatencyMs["p90"], r.LatencyMs["p99"], r.LatencyMs["max"], r.Retries, r.LoadgenCPU)
	if v := r.Verify; v != nil {
		fmt.Fprintf(os.Stderr, "verify: ok=%v users checked %d, mismatches %d, caught up after %.1fs\n", v.OK, v.UsersChecked, v.Mismatches, v.WaitSeconds)
		for _, m := range v.Examples {
			fmt.Fprintln(os.Stderr, "  ", m)
		}
	}
}

// formatUSD prints nano-USD as the API does: rounded half up to micro-USD,
// trailing zeros trimmed.
func formatUSD(nanos int64) string {
	micro := nanos / 1000
	if nanos%1000 >= 500 {
		micro++
	}
	whole, frac := micro/1_000_000, micro%1_000_000
	if frac == 0 {
		return fmt.Sprintf("%d", whole)
	}
	s := fmt.Sprintf("%d.%06d", whole, frac)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return s
}
