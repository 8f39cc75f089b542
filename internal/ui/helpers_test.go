package ui

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
	"github.com/waxell/otelcol-waxell/internal/ui/internal/demo"
)

// testNow is the clock of the tests.
var testNow = time.Date(2026, 2, 7, 15, 4, 0, 0, time.UTC)

func clock() time.Time { return testNow }

// openStore opens a SQLite store in t.TempDir() holding spans.
func openStore(t testing.TB, spans ...[]genai.Span) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "ui.db")})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	for _, batch := range spans {
		if _, err := s.ApplySpans(context.Background(), batch); err != nil {
			t.Fatalf("apply spans: %v", err)
		}
	}
	return s
}

// runSpans builds one run of user with agent and one LLM call per model.
func runSpans(b *demo.Builder, user, agent, session string, start time.Time, dur time.Duration, failed bool, models ...string) []genai.Span {
	var calls []demo.Call
	for i, m := range models {
		calls = append(calls, demo.Call{Model: m, Input: 1000 * int64(i+1), Output: 100, CostNanos: 2_500_000 * int64(i+1), OffsetMillis: int64(i) * 10})
	}
	return b.Spans(demo.Run{UserID: user, SessionID: session, Agent: agent, Start: start, Duration: dur, Error: failed, Calls: calls})
}

type response struct {
	status int
	header http.Header
	body   string
}

// get serves one GET request through h.
func get(t testing.TB, h http.Handler, target string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return response{status: rec.Code, header: rec.Result().Header, body: string(body)}
}

func mustContain(t testing.TB, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("body does not contain %q", p)
		}
	}
}

func mustNotContain(t testing.TB, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(body, p) {
			t.Errorf("body contains %q", p)
		}
	}
}
