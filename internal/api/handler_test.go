package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/waxell/otelcol-waxell/internal/readgate"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// fakeReader records what the handler asks and answers from its fields.
type fakeReader struct {
	mu      sync.Mutex
	queries []store.UserQuery
	ids     []string

	page   store.UserPage
	detail map[string]store.UserDetail
	err    error
}

func (f *fakeReader) ListUsers(_ context.Context, q store.UserQuery) (store.UserPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	return f.page, f.err
}

func (f *fakeReader) GetUser(_ context.Context, id string) (store.UserDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ids = append(f.ids, id)
	if f.err != nil {
		return store.UserDetail{}, f.err
	}
	d, ok := f.detail[id]
	if !ok {
		return store.UserDetail{}, store.ErrNotFound
	}
	return d, nil
}

func (f *fakeReader) lastID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.ids) == 0 {
		return ""
	}
	return f.ids[len(f.ids)-1]
}

// serve runs one request built from a raw request target, as a server
// would parse it off the wire.
func serve(t *testing.T, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeError(t *testing.T, rec *httptest.ResponseRecorder) errorBody {
	t.Helper()
	var env map[string]map[string]string
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &env), rec.Body.String())
	require.Len(t, env, 1, rec.Body.String())
	var body errorBody
	b, _ := json.Marshal(env["error"])
	require.NoError(t, json.Unmarshal(b, &body))
	assert.NotEmpty(t, body.Code)
	assert.NotEmpty(t, body.Message)
	return body
}

func assertJSONHeaders(t *testing.T, h http.Header) {
	t.Helper()
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	assert.Equal(t, "no-store", h.Get("Cache-Control"))
}

func TestRouting(t *testing.T) {
	f := &fakeReader{detail: map[string]store.UserDetail{"u1": {Summary: store.UserSummary{UserID: "u1"}}}}
	h := NewHandler(f)
	tests := []struct {
		target string
		status int
	}{
		{"/api/v1/observability/users/", 200},
		{"/api/v1/observability/users", 200},
		{"/api/v1/observability/users/?limit=5", 200},
		{"/api/v1/observability/users?limit=5", 200},
		{"/api/v1/observability/users/u1/", 200},
		{"/api/v1/observability/users/u1", 200},
		{"/api/v1/observability/users/u1/?limit=0", 200}, // list parameters do not apply
		{"/api/v1/%6Fbservability/users/u1/", 200},       // segments are compared unescaped
		{"/api/v1/observability/users/nobody/", 404},
		{"/api/v1/observability/users//", 404},
		{"/api/v1/observability/users/u1/runs/", 404},
		{"/api/v1/observability/users/u1//", 404},
		{"/api/v1/observability/", 404},
		{"/api/v1/observability/user/", 404},
		{"/api/v1/", 404},
		{"/api/", 404},
		{"/api/v2/observability/users/", 404},
		{"/api/v1/observability/USERS/", 404},
		{"/", 404},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			rec := serve(t, h, http.MethodGet, tt.target)
			assert.Equal(t, tt.status, rec.Code, rec.Body.String())
			assertJSONHeaders(t, rec.Header())
			if tt.status == 404 {
				assert.Equal(t, codeNotFound, decodeError(t, rec).Code)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := NewHandler(&fakeReader{})
	for _, target := range []string{"/api/v1/observability/users/", "/api/v1/observability/users/u1/"} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
			rec := serve(t, h, m, target)
			assert.Equal(t, http.StatusMethodNotAllowed, rec.Code, "%s %s", m, target)
			assert.Equal(t, "GET, HEAD", rec.Header().Get("Allow"))
			assertJSONHeaders(t, rec.Header())
			e := decodeError(t, rec)
			assert.Equal(t, codeMethodNotAllowed, e.Code)
			assert.Empty(t, e.Parameter)
		}
	}
	// Unknown routes are 404 whatever the method.
	rec := serve(t, h, http.MethodPost, "/api/v1/nothing")
	assert.Equal(t, http.StatusNotFound, rec.Code)
	assert.Empty(t, rec.Header().Get("Allow"))

	rec = serve(t, h, http.MethodHead, "/api/v1/observability/users/")
	assert.Equal(t, http.StatusOK, rec.Code)
}

func TestBadParameterResponse(t *testing.T) {
	f := &fakeReader{}
	h := NewHandler(f)
	for _, tt := range []struct{ query, param string }{
		{"sort=name", "sort"},
		{"limit=0", "limit"},
		{"limit=101", "limit"},
		{"limit=abc", "limit"},
		{"offset=abc", "offset"},
		{"offset=-1", "offset"},
		{"start=2026-01-15T08:30", "start"},
		{"end=not-a-time", "end"},
		{"start=2026-02-01&end=2026-01-01", "start"},
	} {
		rec := serve(t, h, http.MethodGet, "/api/v1/observability/users/?"+tt.query)
		require.Equal(t, http.StatusBadRequest, rec.Code, tt.query)
		assertJSONHeaders(t, rec.Header())
		e := decodeError(t, rec)
		assert.Equal(t, codeInvalidParameter, e.Code, tt.query)
		assert.Equal(t, tt.param, e.Parameter, tt.query)
	}
	assert.Empty(t, f.queries, "the store is not asked on bad parameters")

	rec := serve(t, h, http.MethodGet, "/api/v1/observability/users/?search=%zz")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, codeInvalidQuery, decodeError(t, rec).Code)

	// Raw key order of the envelope.
	rec = serve(t, h, http.MethodGet, "/api/v1/observability/users/?limit=0")
	assert.Equal(t, `{"error":{"code":"invalid_parameter","message":"limit: must be between 1 and 100","parameter":"limit"}}`+"\n",
		rec.Body.String())
}

func TestUserNotFoundBody(t *testing.T) {
	h := NewHandler(&fakeReader{})
	rec := serve(t, h, http.MethodGet, "/api/v1/observability/users/x/")
	assert.Equal(t, http.StatusNotFound, rec.Code)
	assert.Equal(t, `{"error":{"code":"not_found","message":"user \"x\" not found"}}`+"\n", rec.Body.String())

	// Ids the store can never hold are not looked up.
	f := &fakeReader{}
	h = NewHandler(f)
	rec = serve(t, h, http.MethodGet, "/api/v1/observability/users/"+strings.Repeat("a", store.MaxUserIDBytes+1)+"/")
	assert.Equal(t, http.StatusNotFound, rec.Code)
	rec = serve(t, h, http.MethodGet, "/api/v1/observability/users/%FF%FE/")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, paramUserID, decodeError(t, rec).Parameter)
	assert.Empty(t, f.ids)
}

func TestStoreErrorIsGeneric500AndLogged(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	f := &fakeReader{err: errors.New("disk on fire: /var/lib/secret.db")}
	h := NewHandler(f, WithLogger(zap.New(core)))
	for _, target := range []string{"/api/v1/observability/users/", "/api/v1/observability/users/u1/"} {
		rec := serve(t, h, http.MethodGet, target)
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assertJSONHeaders(t, rec.Header())
		assert.Equal(t, `{"error":{"code":"internal","message":"internal error"}}`+"\n", rec.Body.String())
	}
	entries := logs.FilterLevelExact(zapcore.ErrorLevel).All()
	require.Len(t, entries, 2)
	assert.Equal(t, "disk on fire: /var/lib/secret.db", entries[0].ContextMap()["error"])

	// A wrapped ErrNotFound is still a 404; WithLogger(nil) keeps the no-op logger.
	f.err = nil
	h = NewHandler(&wrappingReader{f}, WithLogger(nil))
	rec := serve(t, h, http.MethodGet, "/api/v1/observability/users/u1/")
	assert.Equal(t, http.StatusNotFound, rec.Code)
}

func TestCanceledRequestNotLoggedAsError(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	h := NewHandler(&fakeReader{err: context.Canceled}, WithLogger(zap.New(core)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/observability/users/", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Zero(t, logs.FilterLevelExact(zapcore.ErrorLevel).Len())
	assert.Equal(t, 1, logs.FilterLevelExact(zapcore.DebugLevel).Len())
}

// TestQueryBoundsAre503: a read the query bounds stopped is the client's
// to narrow or retry, not a store failure: 503 `timeout`, saying which
// bound, and not logged here (the gate logs and counts it).
func TestQueryBoundsAre503(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"ran too long", &readgate.TimeoutError{Op: "list users", Timeout: 30 * time.Second, Slots: 2},
			"list users: the query did not finish within 30s; narrow the time window or add filters"},
		{"waited for a slot", fmt.Errorf("wrapped: %w", &readgate.TimeoutError{Op: "list users", Timeout: time.Second,
			Queued: true, Slots: 2}),
			"list users: waited 1s for one of the 2 query slots, all taken by other reads; try again shortly"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.DebugLevel)
			h := NewHandler(&fakeReader{err: tc.err}, WithLogger(zap.New(core)))
			for _, target := range []string{"/api/v1/observability/users/", "/api/v1/observability/users/u1/"} {
				rec := serve(t, h, http.MethodGet, target)
				assert.Equal(t, http.StatusServiceUnavailable, rec.Code, target)
				assertJSONHeaders(t, rec.Header())
				assert.Equal(t, errorBody{Code: codeTimeout, Message: tc.want}, decodeError(t, rec), target)
			}
			assert.Zero(t, logs.Len())
		})
	}
}

type wrappingReader struct{ *fakeReader }

func (w *wrappingReader) GetUser(ctx context.Context, id string) (store.UserDetail, error) {
	_, err := w.fakeReader.GetUser(ctx, id)
	return store.UserDetail{}, errors.Join(errors.New("context"), err)
}

// escapeID escapes a user id as one path segment. Dot segments must be
// escaped too, or clients and muxes resolve them as "." and "..".
func escapeID(id string) string {
	if id == "." || id == ".." {
		return strings.Repeat("%2E", len(id))
	}
	return url.PathEscape(id)
}

// oddIDs are user ids that must survive the path, percent-encoded.
var oddIDs = []string{
	"a/b c",
	"ünï",
	strings.Repeat("x/ü", 100), // 300+ bytes with slashes
	strings.Repeat("é", 150),   // exactly 300 bytes
	"<script>alert(1)</script>",
	"a//b/",
	"/leading",
	"..",
	".",
	"%2F literally",
	"100% sure?#frag&x=1",
	"tab\there",
	`quote"back\slash`,
	"emoji 🙂",
}

func TestPercentEncodedUserIDsReachTheStore(t *testing.T) {
	f := &fakeReader{detail: map[string]store.UserDetail{}}
	for _, id := range oddIDs {
		f.detail[id] = store.UserDetail{Summary: store.UserSummary{UserID: id}}
	}
	// Through a real server and a ServeMux mount, as the exporter serves it.
	mux := http.NewServeMux()
	mux.Handle("/api/", NewHandler(f))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, id := range oddIDs {
		for _, suffix := range []string{"/", ""} {
			res, err := http.Get(srv.URL + "/api/v1/observability/users/" + escapeID(id) + suffix)
			require.NoError(t, err)
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode, "%q: %s", id, body)
			assert.Equal(t, id, f.lastID())
			var got struct {
				UserID string `json:"user_id"`
			}
			require.NoError(t, json.Unmarshal(body, &got), string(body))
			assert.Equal(t, id, got.UserID)
		}
	}
	// Lower-case escapes, as some clients send them.
	res, err := http.Get(srv.URL + "/api/v1/observability/users/a%2fb%20c/")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "a/b c", f.lastID())

	// HTML in an id stays inert and the JSON valid.
	res, err = http.Get(srv.URL + "/api/v1/observability/users/" + url.PathEscape("<script>alert(1)</script>") + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.NotContains(t, string(body), "<script>")
	assert.True(t, json.Valid(body))
}
