package faults

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestMalformedOTLPEndToEnd sends ONE OTLP request (over HTTP and over
// gRPC) mixing valid traces with malformed but decodable spans, through the
// real binary into both stores: the request is accepted, every malformed
// case gets its defined outcome (the processor's tests check each one in
// detail), the valid traces are counted exactly, and the problems are
// counted in the collector's metrics.
func TestMalformedOTLPEndToEnd(t *testing.T) {
	long := strings.Repeat("L", 1<<20)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := startCollector(t, options{store: b.store(t)})
			send := func(td ptrace.Traces, n int) {
				t.Helper()
				if n%2 == 0 {
					if code, err := c.sendHTTP(td); err != nil || code != http.StatusOK {
						t.Fatalf("HTTP: status %d, error %v", code, err)
					}
				} else if code := c.sendGRPC(td); code != 0 {
					t.Fatalf("gRPC: %s", code)
				}
			}
			for round := range 2 {
				td := ptrace.NewTraces()
				add := func(n int, mutate func(ptrace.Span)) {
					one := traceOf(n)
					spans := one.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
					if mutate != nil {
						mutate(spans.At(1)) // the LLM call
					}
					one.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
				}
				base := 1000 * (round + 1)
				// Valid traces around the bad ones.
				for n := base; n < base+5; n++ {
					add(n, nil)
				}
				setAttr := func(k string, v any) func(ptrace.Span) {
					return func(s ptrace.Span) { _ = s.Attributes().PutEmpty(k).FromRaw(v) }
				}
				// Field ignored: the span counts with the other fields.
				add(base+10, setAttr("gen_ai.usage.input_tokens", "many"))
				add(base+11, setAttr("gen_ai.usage.input_tokens", int64(-5)))
				add(base+12, setAttr("gen_ai.usage.input_tokens", math.NaN()))
				add(base+13, setAttr("gen_ai.usage.input_tokens", int64(1e15)))
				add(base+14, setAttr("gen_ai.usage.cost", math.Inf(1)))
				// Value clamped: end before start.
				add(base+15, func(s ptrace.Span) { s.SetEndTimestamp(s.StartTimestamp() - 1) })
				// Span skipped: no span id, no trace id, no times.
				add(base+16, func(s ptrace.Span) { s.SetSpanID(pcommon.SpanID{}) })
				add(base+17, func(s ptrace.Span) { s.SetTraceID(pcommon.TraceID{}) })
				add(base+18, func(s ptrace.Span) { s.SetStartTimestamp(0); s.SetEndTimestamp(0) })
				// User ids: hashed (1 MB, NUL), ignored (empty).
				add(base+19, nil)
				setUser(td, long+string(rune('a'+round)))
				add(base+20, nil)
				setUser(td, "nul\x00user")
				send(td, round)
			}

			// Every counted trace, with its defined outcome.
			type acc struct{ runs, tokens, nanos int64 }
			sums := map[string]acc{}
			count := func(user string, in, out, nanos int64) {
				a := sums[user]
				a.runs++
				a.tokens += in + out
				a.nanos += nanos
				sums[user] = a
			}
			for round := range 2 {
				base := 1000 * (round + 1)
				for n := base; n < base+5; n++ {
					in, out := tokensOf(n)
					count(userOf(n), in, out, costMicrosOf(n)*1000)
				}
				for n := base + 10; n <= base+13; n++ { // input tokens ignored
					_, out := tokensOf(n)
					count(userOf(n), 0, out, costMicrosOf(n)*1000)
				}
				in, out := tokensOf(base + 14) // reported cost ignored: priced (gpt-4o $2.50 / $10 per M)
				count(userOf(base+14), in, out, in*2500+out*10000)
				in, out = tokensOf(base + 15) // end clamped: counted
				count(userOf(base+15), in, out, costMicrosOf(base+15)*1000)
				for n := base + 16; n <= base+18; n++ { // LLM span skipped: its agent run stays, without the call
					count(userOf(n), 0, 0, 0)
				}
				in, out = tokensOf(base + 19)
				count(hashID(long+string(rune('a'+round))), in, out, costMicrosOf(base+19)*1000)
				in, out = tokensOf(base + 20)
				count(hashID("nul\x00user"), in, out, costMicrosOf(base+20)*1000)
			}
			want := map[string]totals{}
			for u, a := range sums {
				want[u] = totals{Runs: a.runs, Tokens: a.tokens, CostMicros: (a.nanos + 500) / 1000}
			}
			c.waitTotals(t, want, dataTimeout)
			for u := range want {
				if code, _ := c.api("/api/v1/observability/users/" + url.PathEscape(u) + "/"); code != http.StatusOK {
					t.Errorf("user %.80s: status %d", u, code)
				}
			}
			c.verify(t)
			for _, m := range [][]string{{"useragg_spans_skipped"}, {"useragg_values_rejected"}, {"waxell_spans_skipped"}} {
				c.waitMetric(t, m[0], 10*time.Second, func(v float64) bool { return v > 0 }, m[0])
			}
			if v, _ := c.metric("otelcol_receiver_refused_spans"); v != 0 {
				t.Errorf("the receiver refused %v spans", v)
			}
		})
	}
}

// setUser sets the user of the last trace added to td.
func setUser(td ptrace.Traces, user string) {
	rs := td.ResourceSpans().At(td.ResourceSpans().Len() - 1)
	rs.ScopeSpans().At(0).Spans().At(0).Attributes().PutStr("user.id", user)
}

func hashID(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}
