package e2e

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/waxell/otelcol-waxell/internal/testutil/collectortest"
	"github.com/waxell/otelcol-waxell/internal/testutil/fixturetest"
)

// envMixSeed replays one shuffle of TestAllConventionsMixed.
const envMixSeed = "WAXELL_E2E_MIX_SEED"

// listPrice is a model's public list price in nano-USD per token, written
// down here from the providers' price pages (not read from the collector's
// table), so that a wrong table or a wrong cost formula shows.
type listPrice struct{ input, cacheRead, cacheWrite, output int64 }

// fixturePrices covers every model of the fixtures that reports no cost of
// its own. A model missing here is expected to be unpriced.
var fixturePrices = map[string]listPrice{
	"gpt-4o":            {2500, 1250, 2500, 10000},
	"gpt-4o-mini":       {150, 75, 150, 600},
	"gpt-4.1-mini":      {400, 100, 400, 1600},
	"claude-sonnet-4-5": {3000, 300, 3750, 15000},
	"claude-haiku-4-5":  {1000, 100, 1250, 5000},
	"gemini-2.5-flash":  {300, 30, 300, 2500},
	"gemini-2.5-pro":    {1250, 125, 1250, 10000},
	"gemini-2.0-flash":  {100, 25, 100, 400},
}

// baseModels are the fixtures' dated model names and their base models:
// the API groups calls under the base name.
var baseModels = map[string]string{"gpt-4o-2024-08-06": "gpt-4o"}

// mixModelWant is one expected cost_by_model row.
type mixModelWant struct {
	costNanos, tokens, calls int64
	unpriced                 bool
}

// mixUserWant is one user's expected numbers over every fixture.
type mixUserWant struct {
	runs, tokens, costNanos int64
	models                  map[string]mixModelWant
}

// TestAllConventionsMixed sends every fixture file (all conventions, recorded
// and hand-built) through the real binary as one stream: the spans of all
// files are shuffled together, cut into batches of random size and sent
// over gRPC, OTLP/HTTP protobuf and OTLP/HTTP JSON in turn, so that runs of
// different conventions share batches and a trace's spans arrive out of
// order in several requests. The API must then give every user exactly the
// numbers of testdata/fixtures/expected.json, priced with fixturePrices.
func TestAllConventionsMixed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "testdata", "fixtures", "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := mixExpectations(t, files)
	stream := newMixStream(t, files)

	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(envMixSeed); s != "" {
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s: %v", envMixSeed, err)
		}
	}
	t.Logf("%d files, %d spans, %d users; replay with %s=%d", len(files), len(stream.refs), len(want), envMixSeed, seed)

	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := startCollector(t, b.newStore(t))
			rnd := rand.New(rand.NewPCG(seed, seed))
			order := rnd.Perm(len(stream.refs))
			for n := 0; len(order) > 0; n++ {
				size := min(1+rnd.IntN(12), len(order))
				td := stream.batch(order[:size])
				order = order[size:]
				switch n % 3 {
				case 0:
					sendGRPC(t, c, td)
				case 1:
					sendHTTP(t, c, td, contentTypeProtobuf)
				default:
					sendHTTP(t, c, td, contentTypeJSON)
				}
			}
			checkMixedUsers(t, c, want)
		})
	}
}

// mixExpectations sums expected.json per user, pricing every call that
// reports no cost with fixturePrices.
func mixExpectations(t *testing.T, files []string) map[string]mixUserWant {
	t.Helper()
	expected, err := fixturetest.LoadExpected(filepath.Join(repoRoot, "testdata", "fixtures"))
	if err != nil {
		t.Fatal(err)
	}
	if len(expected) != len(files) {
		t.Fatalf("expected.json has %d fixtures, testdata/fixtures has %d files", len(expected), len(files))
	}
	users := map[string]mixUserWant{}
	for _, f := range files {
		rel := filepath.ToSlash(strings.TrimPrefix(f, filepath.Join(repoRoot, "testdata", "fixtures")+string(filepath.Separator)))
		runs, ok := expected[rel]
		if !ok {
			t.Fatalf("no expectations for %s in expected.json", rel)
		}
		for _, r := range runs {
			u := users[r.User]
			if u.models == nil {
				u.models = map[string]mixModelWant{}
			}
			u.runs++
			for _, c := range r.Calls {
				c.Model = cmp.Or(baseModels[c.Model], c.Model)
				m := u.models[c.Model]
				cost := c.ReportedCostNanos
				if cost == 0 {
					p, priced := fixturePrices[c.Model]
					m.unpriced = !priced
					cost = (c.Input-c.CacheRead-c.CacheWrite)*p.input + c.CacheRead*p.cacheRead + c.CacheWrite*p.cacheWrite + c.Output*p.output
				}
				m.costNanos += cost
				m.tokens += c.Input + c.Output
				m.calls++
				u.models[c.Model] = m
				u.costNanos += cost
				u.tokens += c.Input + c.Output
			}
			users[r.User] = u
		}
	}
	return users
}

// mixStream holds the spans of every fixture file, decoded once.
type mixStream struct {
	files []ptrace.Traces
	refs  []mixRef
}

// mixRef locates one span: file, resource, scope and span index.
type mixRef struct{ f, rs, ss, sp int }

// newMixStream decodes the files and fails if two files share a trace id,
// or two spans a span id: the stream would then merge unrelated traces.
func newMixStream(t *testing.T, files []string) *mixStream {
	t.Helper()
	s := &mixStream{}
	traces := map[pcommon.TraceID]string{}
	spans := map[pcommon.SpanID]string{}
	for fi, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
		fileTraces := map[pcommon.TraceID]bool{}
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			sss := td.ResourceSpans().At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				for k := 0; k < sss.At(j).Spans().Len(); k++ {
					sp := sss.At(j).Spans().At(k)
					if prev, dup := traces[sp.TraceID()]; dup && !fileTraces[sp.TraceID()] {
						t.Fatalf("trace id %s is in %s and %s", sp.TraceID(), prev, name)
					}
					if prev, dup := spans[sp.SpanID()]; dup {
						t.Fatalf("span id %s is in %s and %s", sp.SpanID(), prev, name)
					}
					traces[sp.TraceID()], fileTraces[sp.TraceID()], spans[sp.SpanID()] = name, true, name
					s.refs = append(s.refs, mixRef{fi, i, j, k})
				}
			}
		}
		s.files = append(s.files, td)
	}
	return s
}

// batch copies the spans idx into new Traces, each under a copy of its own
// resource and scope.
func (s *mixStream) batch(idx []int) ptrace.Traces {
	td := ptrace.NewTraces()
	for _, i := range idx {
		r := s.refs[i]
		srcRS := s.files[r.f].ResourceSpans().At(r.rs)
		srcSS := srcRS.ScopeSpans().At(r.ss)
		rs := td.ResourceSpans().AppendEmpty()
		srcRS.Resource().CopyTo(rs.Resource())
		ss := rs.ScopeSpans().AppendEmpty()
		srcSS.Scope().CopyTo(ss.Scope())
		srcSS.Spans().At(r.sp).CopyTo(ss.Spans().AppendEmpty())
	}
	return td
}

// checkMixedUsers waits until the users list shows exactly the expected
// users, then compares every user's detail, cost_by_model included.
func checkMixedUsers(t *testing.T, c *collector, want map[string]mixUserWant) {
	t.Helper()
	var why string
	t.Cleanup(func() {
		if t.Failed() && why != "" {
			t.Logf("last difference: %s", why)
		}
	})
	c.waitFor(t, usersPath+"?limit=100", dataTimeout, func(body []byte) bool {
		var p collectortest.UsersPage
		if err := json.Unmarshal(body, &p); err != nil {
			why = err.Error()
			return false
		}
		if p.Count != len(want) || len(p.Results) != len(want) {
			why = fmt.Sprintf("%d users, want %d", p.Count, len(want))
			return false
		}
		for _, u := range p.Results {
			w, ok := want[u.UserID]
			got := fmt.Sprintf("runs %d, tokens %d, cost %s", u.RunCount, u.TotalTokens, u.TotalCost)
			exp := fmt.Sprintf("runs %d, tokens %d, cost %s", w.runs, w.tokens, microUSD(w.costNanos))
			if !ok || u.RunCount != w.runs || u.TotalTokens != w.tokens || !sameUSD(u.TotalCost, w.costNanos) {
				why = fmt.Sprintf("user %q: %s, want %s", u.UserID, got, exp)
				return false
			}
		}
		return true
	})
	for _, id := range slices.Sorted(maps.Keys(want)) {
		w := want[id]
		c.waitFor(t, usersPath+id+"/", dataTimeout, func(body []byte) bool {
			var d struct {
				CostByModel []struct {
					Model       string      `json:"model"`
					TotalCost   json.Number `json:"total_cost"`
					TotalTokens int64       `json:"total_tokens"`
					CallCount   int64       `json:"call_count"`
					Unpriced    bool        `json:"unpriced"`
				} `json:"cost_by_model"`
			}
			if err := json.Unmarshal(body, &d); err != nil {
				why = err.Error()
				return false
			}
			if len(d.CostByModel) != len(w.models) {
				why = fmt.Sprintf("user %s: %d cost_by_model rows, want %d", id, len(d.CostByModel), len(w.models))
				return false
			}
			for _, row := range d.CostByModel {
				m, ok := w.models[row.Model]
				if !ok || row.TotalTokens != m.tokens || row.CallCount != m.calls || row.Unpriced != m.unpriced || !sameUSD(row.TotalCost, m.costNanos) {
					why = fmt.Sprintf("user %s model %q: cost %s tokens %d calls %d unpriced %t; want cost %s tokens %d calls %d unpriced %t (known: %t)",
						id, row.Model, row.TotalCost, row.TotalTokens, row.CallCount, row.Unpriced, microUSD(m.costNanos), m.tokens, m.calls, m.unpriced, ok)
					return false
				}
			}
			return true
		})
	}
}

// microUSD rounds nano-USD half up to micro-USD, the API's precision, and
// prints it in dollars.
func microUSD(nanos int64) string {
	return new(big.Rat).SetFrac64((nanos+500)/1000, 1_000_000).FloatString(6)
}

// sameUSD reports whether an API amount in dollars is nanos at micro-USD precision.
func sameUSD(got json.Number, nanos int64) bool {
	r, ok := new(big.Rat).SetString(got.String())
	return ok && r.Cmp(new(big.Rat).SetFrac64((nanos+500)/1000, 1_000_000)) == 0
}
