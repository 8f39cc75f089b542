package api_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"go.uber.org/zap"

	"github.com/waxell/otelcol-waxell/internal/api"
	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
)

// The fuzz targets of the API (issue 8): arbitrary query strings and path
// ids on every route, and tampered cursors, against a real (in-memory
// SQLite) store holding users with hostile ids. Whatever the input, the
// answer is 200, 400 or 404 with a well-formed body: never a 500 (which
// would mean a parameter reached the store unvalidated) and never a panic.

// fuzzUsers are the store's users: plain ids and ids that look like SQL,
// LIKE wildcards, markup or path tricks.
var fuzzUsers = []string{"alice", "bob", "carol", `' OR '1'='1`, `%_\`, `<script>x</script>`, "a/b?c#d", "dave"}

var (
	fuzzOnce    sync.Once
	fuzzHandler http.Handler
	fuzzErr     error
)

// fuzzAPI returns a handler over a store with two runs per user (agents
// "support" and `x'--`, sessions), built once per process.
func fuzzAPI(tb testing.TB) http.Handler {
	tb.Helper()
	fuzzOnce.Do(func() {
		ctx := context.Background()
		s, err := sqlite.Open(ctx, sqlite.Config{Path: ":memory:"})
		if err != nil {
			fuzzErr = err
			return
		}
		base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		var spans []genai.Span
		for i, u := range fuzzUsers {
			for r := range 2 {
				var tid pcommon.TraceID
				tid[0] = 0xf2
				binary.BigEndian.PutUint64(tid[8:], uint64(i*2+r+1))
				start := base.Add(time.Duration(i*2+r) * 37 * time.Minute).UnixNano()
				agent := []string{"support", `x'--`}[r]
				spans = append(spans,
					genai.Span{TraceID: tid, SpanID: pcommon.SpanID{7: 1}, Start: start, End: start + 3e9,
						Role: genai.RoleAgent, Convention: "fuzz", Service: "svc", AgentName: agent, UserID: u,
						SessionID: "s-" + u},
					genai.Span{TraceID: tid, SpanID: pcommon.SpanID{7: 2}, ParentSpanID: pcommon.SpanID{7: 1},
						Start: start + 1e6, End: start + 2e9, Role: genai.RoleLLM, Convention: "fuzz", Service: "svc",
						Model: []string{"gpt-4o", "m<2>"}[r], HasUsage: true, Usage: genai.Usage{Input: int64(10 * (i + 1)), Output: 5},
						CostNanos: int64(1000 * (i + 1)), CostSource: genai.CostComputed})
			}
		}
		if _, err := s.ApplySpans(ctx, spans); err != nil {
			fuzzErr = err
			return
		}
		// The store lives as long as the test process.
		fuzzHandler = api.NewHandler(s, api.WithVerifier(s), api.WithLogger(zap.NewExample()))
	})
	if fuzzErr != nil {
		tb.Fatal(fuzzErr)
	}
	return fuzzHandler
}

// fuzzRoutes are the path templates; {id} is replaced by the escaped id.
var fuzzRoutes = []string{
	"/api/v1/observability/users/",
	"/api/v1/observability/users/{id}/",
	"/api/v1/observability/users/{id}/timeseries/",
	"/api/v1/observability/sessions/",
	"/api/v1/observability/sessions/{id}/",
	"/api/v1/observability/runs/{id}/",
	"/api/v1/observability/overview/",
	"/api/v1/openapi.json",
	"/api/v1/admin/verify",
	"/api/{id}",
}

// do serves one GET request with a raw (possibly malformed) query string.
func do(h http.Handler, rawPath, rawQuery string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	p, err := url.PathUnescape(rawPath)
	if err != nil {
		p = rawPath
	}
	req.URL = &url.URL{Path: p, RawPath: rawPath, RawQuery: rawQuery}
	req.RequestURI = rawPath + "?" + rawQuery
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// checkAnswer holds for every answer of the API.
func checkAnswer(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	switch rec.Code {
	case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
	default:
		t.Fatalf("%s: status %d: %.500s", what, rec.Code, rec.Body.String())
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("%s: no nosniff header", what)
	}
	ct := rec.Header().Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "application/json"):
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s: invalid JSON: %.500q", what, rec.Body.String())
		}
		// Data (user ids like <script>) never appears as raw markup; the
		// static OpenAPI document is not data.
		if !strings.Contains(what, "openapi.json") && strings.ContainsAny(rec.Body.String(), "<>") {
			t.Fatalf("%s: unescaped markup in JSON: %.500q", what, rec.Body.String())
		}
	case strings.HasPrefix(ct, "text/csv"):
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: CSV error %d", what, rec.Code)
		}
	default:
		t.Fatalf("%s: Content-Type %q", what, ct)
	}
}

func FuzzAPIQuery(f *testing.F) {
	for _, q := range []string{
		"", "limit=1", "limit=0", "limit=-1", "limit=100000000000000000000", "offset=9223372036854775807",
		"sort=-total_cost", "sort=total_cost;DROP TABLE users", "sort=--last_seen", "search=%27%20OR%201%3D1--",
		"search=%25", "search=_", "search=%00", "agent=x%27--", "agent=support&agent=support",
		"start=2026-03-01&end=2026-02-01", "start=1970-01-01T00:00:00Z&end=9999-12-31T23:59:59Z",
		"start=-292277022657-01-27T08:29:52Z", "start=2026-03-01T00:00:00%2B99:99", "scope=window&start=2026-03-01",
		"format=csv", "format=csv&limit=1", "cursor=e30", "cursor=%ZZ", "flag_k=NaN", "flag_k=1e308", "flag_k=-0",
		"bucket=day&start=2026-03-01&end=2027-03-01", "bucket=hour&start=1900-01-01&end=2262-01-01", "user_id=alice",
		"session_id=s-alice", "a=%", "&&&==&", "search=" + strings.Repeat("x", 300),
	} {
		f.Add(uint8(0), "alice", q)
		f.Add(uint8(3), "", q)
	}
	for i := range fuzzRoutes {
		for _, id := range []string{"alice", "%27%20OR%20%271%27%3D%271", "%25_%5C", "a%2Fb%3Fc%23d", "1", "-1",
			"99999999999999999999", "s-alice", "%", "..", ""} {
			f.Add(uint8(i), id, "")
		}
	}
	h := fuzzAPI(f)
	f.Fuzz(func(t *testing.T, route uint8, id, rawQuery string) {
		path := strings.ReplaceAll(fuzzRoutes[int(route)%len(fuzzRoutes)], "{id}", id)
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#") {
			return // not a request path
		}
		rec := do(h, path, rawQuery)
		checkAnswer(t, path+"?"+rawQuery, rec)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			return
		}
		// Links of a page lead to pages.
		var links struct {
			Next     *string `json:"next"`
			Previous *string `json:"previous"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &links)
		for _, l := range []*string{links.Next, links.Previous} {
			if l == nil {
				continue
			}
			q, ok := strings.CutPrefix(*l, "?")
			if !ok {
				t.Fatalf("%s?%s: link %q is not a query string", path, rawQuery, *l)
			}
			if next := do(h, path, q); next.Code != http.StatusOK {
				t.Fatalf("%s?%s: link %q: status %d: %s", path, rawQuery, *l, next.Code, next.Body.String())
			}
		}
	})
}

// FuzzAPICursor tampers with real cursors (their sort value and id) and
// also sends arbitrary ones: a cursor is either refused (400) or pages the
// list; the keyset query never fails.
func FuzzAPICursor(f *testing.F) {
	for _, seed := range []struct {
		list  uint8
		sort  string
		value int64
		id    string
		raw   string
	}{
		{0, "-total_cost", 0, "alice", ""},
		{0, "last_seen", -1 << 63, `' OR '1'='1`, ""},
		{0, "-run_count", 1<<63 - 1, `%_\`, ""},
		{1, "-last_seen", 42, "s-alice", ""},
		{1, "run_count", 0, "", "eyJrIjoidXNlcnMifQ"},
		{0, "first_seen", 7, "\x00\xff", "!!!"},
	} {
		f.Add(seed.list, seed.sort, seed.value, seed.id, seed.raw)
	}
	h := fuzzAPI(f)
	lists := []string{"/api/v1/observability/users/", "/api/v1/observability/sessions/"}
	f.Fuzz(func(t *testing.T, list uint8, sort string, value int64, id, raw string) {
		path := lists[int(list)%len(lists)]
		base := "limit=2&sort=" + url.QueryEscape(sort)
		if raw != "" {
			checkAnswer(t, "raw cursor", do(h, path, base+"&cursor="+url.QueryEscape(raw)))
		}
		first := do(h, path, base)
		checkAnswer(t, "first page", first)
		var page struct {
			NextCursor *string `json:"next_cursor"`
		}
		if first.Code != http.StatusOK || json.Unmarshal(first.Body.Bytes(), &page) != nil || page.NextCursor == nil {
			return
		}
		b, err := base64.RawURLEncoding.DecodeString(*page.NextCursor)
		if err != nil {
			t.Fatalf("next_cursor %q is not base64url: %v", *page.NextCursor, err)
		}
		var c map[string]any
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("next_cursor %q: %v", b, err)
		}
		rec := do(h, path, base+"&cursor="+url.QueryEscape(*page.NextCursor))
		if rec.Code != http.StatusOK {
			t.Fatalf("the list's own next_cursor: status %d: %s", rec.Code, rec.Body.String())
		}
		c["v"], c["i"] = value, id
		tampered, _ := json.Marshal(c)
		checkAnswer(t, "tampered cursor", do(h, path, base+"&cursor="+base64.RawURLEncoding.EncodeToString(tampered)))
	})
}
