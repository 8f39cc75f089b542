package api_test

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/waxell/otelcol-waxell/internal/api"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
)

const verifyTarget = "/api/v1/admin/verify"

// fakeVerifier answers Verify from its fields and counts the calls.
type fakeVerifier struct {
	diffs []string
	err   error
	calls int
}

func (f *fakeVerifier) Verify(context.Context) ([]string, error) {
	f.calls++
	return f.diffs, f.err
}

// emptyReader is a store without users.
type emptyReader struct{}

func (emptyReader) ListUsers(context.Context, store.UserQuery) (store.UserPage, error) {
	return store.UserPage{}, nil
}

func (emptyReader) GetUser(context.Context, string) (store.UserDetail, error) {
	return store.UserDetail{}, store.ErrNotFound
}

func serveVerify(t *testing.T, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func assertJSON(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
}

func TestVerifyNotConfiguredIs404(t *testing.T) {
	h := api.NewHandler(emptyReader{})
	for _, target := range []string{verifyTarget, verifyTarget + "/"} {
		rec := serveVerify(t, h, http.MethodGet, target)
		assert.Equal(t, http.StatusNotFound, rec.Code, target)
		assertJSON(t, rec)
		assert.JSONEq(t, `{"error":{"code":"not_found","message":"no such endpoint"}}`, rec.Body.String())
	}
	// Not even a 405 that would reveal the route.
	rec := serveVerify(t, h, http.MethodPost, verifyTarget)
	assert.Equal(t, http.StatusNotFound, rec.Code)
	// WithVerifier(nil) is the same as no option.
	rec = serveVerify(t, api.NewHandler(emptyReader{}, api.WithVerifier(nil)), http.MethodGet, verifyTarget)
	assert.Equal(t, http.StatusNotFound, rec.Code)
}

func TestVerifyRouting(t *testing.T) {
	f := &fakeVerifier{}
	h := api.NewHandler(emptyReader{}, api.WithVerifier(f))
	for _, tt := range []struct {
		target string
		status int
	}{
		{"/api/v1/admin/verify", 200},
		{"/api/v1/admin/verify/", 200},
		{"/api/v1/admin/verify?ok=false", 200}, // parameters are ignored
		{"/api/v1/%61dmin/verify", 200},        // segments are compared unescaped
		{"/api/v1/admin/verify//", 404},
		{"/api/v1/admin/verify/x", 404},
		{"/api/v1/admin/", 404},
		{"/api/v1/admin", 404},
		{"/api/v1/admin/VERIFY", 404},
		{"/api/v2/admin/verify", 404},
		{"/api/v1/observability/users/", 200}, // the other routes are unchanged
	} {
		rec := serveVerify(t, h, http.MethodGet, tt.target)
		assert.Equal(t, tt.status, rec.Code, "%s: %s", tt.target, rec.Body.String())
		assertJSON(t, rec)
	}
	assert.Equal(t, 4, f.calls)
}

func TestVerifyBody(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	f := &fakeVerifier{}
	h := api.NewHandler(emptyReader{}, api.WithVerifier(f), api.WithLogger(zap.New(core)))

	rec := serveVerify(t, h, http.MethodGet, verifyTarget)
	require.Equal(t, http.StatusOK, rec.Code)
	assertJSON(t, rec)
	assert.Equal(t, `{"ok":true,"differences":[]}`+"\n", rec.Body.String())
	assert.Zero(t, logs.Len())

	f.diffs = []string{}
	rec = serveVerify(t, h, http.MethodGet, verifyTarget)
	assert.Equal(t, `{"ok":true,"differences":[]}`+"\n", rec.Body.String())

	// Differences are still a 200: the request worked, ok tells the outcome.
	f.diffs = []string{"users [u1]: got {Runs:2}, want {Runs:1}", "user_agents [<b> a]: unexpected {Runs:1}"}
	rec = serveVerify(t, h, http.MethodGet, verifyTarget)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, `{"ok":false,"differences":["users [u1]: got {Runs:2}, want {Runs:1}",`+
		`"user_agents [\u003cb\u003e a]: unexpected {Runs:1}"]}`+"\n", rec.Body.String())
	warn := logs.FilterLevelExact(zapcore.WarnLevel).All()
	require.Len(t, warn, 1)
	assert.EqualValues(t, 2, warn[0].ContextMap()["differences"])

	rec = serveVerify(t, h, http.MethodHead, verifyTarget)
	assert.Equal(t, http.StatusOK, rec.Code)
}

func TestVerifyMethodNotAllowed(t *testing.T) {
	f := &fakeVerifier{}
	h := api.NewHandler(emptyReader{}, api.WithVerifier(f))
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		rec := serveVerify(t, h, m, verifyTarget)
		assert.Equal(t, http.StatusMethodNotAllowed, rec.Code, m)
		assert.Equal(t, "GET, HEAD", rec.Header().Get("Allow"))
		assertJSON(t, rec)
	}
	assert.Zero(t, f.calls, "verification is not run for a refused method")
}

func TestVerifyStoreErrorIsGeneric500(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	f := &fakeVerifier{err: errors.New("cannot verify: disk on fire: /var/lib/secret.db")}
	h := api.NewHandler(emptyReader{}, api.WithVerifier(f), api.WithLogger(zap.New(core)))
	rec := serveVerify(t, h, http.MethodGet, verifyTarget)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assertJSON(t, rec)
	assert.Equal(t, `{"error":{"code":"internal","message":"internal error"}}`+"\n", rec.Body.String())
	errs := logs.FilterLevelExact(zapcore.ErrorLevel).All()
	require.Len(t, errs, 1)
	assert.Equal(t, "verify", errs[0].ContextMap()["operation"])

	// A client that went away is no store failure.
	f.err = context.Canceled
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, verifyTarget, nil).WithContext(ctx))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Len(t, logs.FilterLevelExact(zapcore.ErrorLevel).All(), 1)
}

// TestVerifySQLite runs the endpoint over a real store: exact after
// ordinary writes, and every difference reported once a rollup row is
// changed behind the store's back.
func TestVerifySQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "waxell.db")
	st, err := sqlite.Open(ctx, sqlite.Config{Path: path})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, st.Close()) })
	for _, tr := range mainWorld() {
		_, err := st.ApplySpans(ctx, tr.spans)
		require.NoError(t, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", api.NewHandler(st, api.WithVerifier(st)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	code, _, body := get(t, srv, verifyTarget)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, `{"ok":true,"differences":[]}`+"\n", string(body))

	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ExecContext(ctx, `UPDATE users SET total_cost = total_cost + 1 WHERE user_id = 'bob'`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `DELETE FROM user_agents WHERE user_id = 'carol'`)
	require.NoError(t, err)

	code, _, body = get(t, srv, verifyTarget)
	require.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"ok":false,"differences":[
		"user_agents [carol chat-agent]: missing, want {Runs:2 Calls:0 Unpriced:0 Duration:0 Cost:0 Tokens:0}",
		"users bob: got {Totals:{Runs:1 Calls:0 Unpriced:0 Duration:60000000000 Cost:1501 Tokens:20} FirstSeen:1768910400250000000 LastSeen:1768910400250000000}, want {Totals:{Runs:1 Calls:0 Unpriced:0 Duration:60000000000 Cost:1500 Tokens:20} FirstSeen:1768910400250000000 LastSeen:1768910400250000000}"
	]}`, string(body))
}
