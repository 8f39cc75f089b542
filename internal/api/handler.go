// Package api serves the per-user usage REST API:
//
//	GET /api/v1/observability/users/                       users list (filters, sort, pagination, windows, CSV)
//	GET /api/v1/observability/users/{user_id}/             one user's aggregates, cost by model, recent runs
//	GET /api/v1/observability/users/{user_id}/timeseries/  one user's totals per hour or day
//	GET /api/v1/observability/sessions/                    sessions list
//	GET /api/v1/observability/sessions/{session_id}/       one session and its runs
//	GET /api/v1/observability/runs/                        a user's or a session's runs (pagination, CSV)
//	GET /api/v1/observability/runs/{id}/                   one run and its LLM calls
//	GET /api/v1/observability/overview/                    totals of a window, top users, anomalies
//	GET /api/v1/openapi.json                               the OpenAPI 3.1 document of all of these
//	GET /api/v1/admin/verify                               rollups recomputed from runs and calls (WithVerifier only)
//
// docs/api.md documents every endpoint and parameter. The endpoints beyond
// the users list and detail need a Reader that is also an ExtendedReader.
//
// Mount the handler at "/api/" without stripping the prefix; it answers
// every other path under it with a JSON 404. Errors use one envelope,
// {"error": {"code": ..., "message": ..., "parameter": ...}}.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"go.uber.org/zap"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/readgate"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// Reader is what the API needs from a store.
type Reader interface {
	ListUsers(ctx context.Context, q store.UserQuery) (store.UserPage, error)
	// GetUser returns store.ErrNotFound for an unknown user.
	GetUser(ctx context.Context, userID string) (store.UserDetail, error)
}

// Option configures the handler.
type Option func(*handler)

// WithLogger logs store failures (served as a generic 500) to l.
func WithLogger(l *zap.Logger) Option {
	return func(h *handler) {
		if l != nil {
			h.logger = l
		}
	}
}

// NewHandler serves the users endpoints from r, which must not be nil.
func NewHandler(r Reader, opts ...Option) http.Handler {
	h := &handler{reader: r, logger: zap.NewNop(), x: newExtState()}
	h.ext, _ = r.(ExtendedReader)
	for _, o := range opts {
		o(h)
	}
	if h.x.stats == nil && h.ext != nil {
		h.x.stats = flags.NewCache(h.ext, flags.DefaultTTL)
	}
	return h
}

type handler struct {
	reader   Reader
	verifier Verifier // nil: the verify route does not exist
	logger   *zap.Logger
	ext      ExtendedReader // nil: only the seed endpoints exist
	x        *extState
}

// usersPath is the users collection, as path segments.
var usersPath = []string{"api", "v1", "observability", "users"}

const allowedMethods = "GET, HEAD"

type route int

const (
	routeNone route = iota
	routeListUsers
	routeGetUser
	routeVerify
)

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, userID := matchRoute(r.URL)
	if (rt == routeVerify && h.verifier == nil) || (needsExtended(rt) && h.ext == nil) {
		rt = routeNone
	}
	if rt == routeNone {
		h.writeError(w, errRouteNotFound())
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", allowedMethods)
		h.writeError(w, errMethodNotAllowed(r.Method))
		return
	}
	switch rt {
	case routeListUsers:
		h.listUsers(w, r)
	case routeGetUser:
		h.getUser(w, r, userID)
	case routeVerify:
		h.verify(w, r)
	default:
		h.serveExtra(w, r, rt, userID)
	}
}

// matchRoute works on the escaped path so that a user id may hold any
// character, "/" included (as %2F); each segment is unescaped on its own.
// Trailing slashes are optional.
func matchRoute(u *url.URL) (route, string) {
	rest, ok := strings.CutPrefix(u.EscapedPath(), "/")
	if !ok {
		return routeNone, ""
	}
	segs := strings.Split(rest, "/")
	if rt, id, ok := matchExtraRoute(segs); ok {
		return rt, id
	}
	if tail, ok := cutSegments(segs, verifyPath); ok && len(tail) == 0 {
		return routeVerify, ""
	}
	tail, ok := cutSegments(segs, usersPath)
	if !ok {
		return routeNone, ""
	}
	switch len(tail) {
	case 0:
		return routeListUsers, ""
	case 1:
		id, err := url.PathUnescape(tail[0])
		if err != nil || id == "" {
			return routeNone, ""
		}
		return routeGetUser, id
	default:
		return routeNone, ""
	}
}

// cutSegments returns the segments after prefix, without a trailing empty
// one (trailing slashes are optional), if segs starts with prefix.
func cutSegments(segs, prefix []string) ([]string, bool) {
	if len(segs) < len(prefix) {
		return nil, false
	}
	for i, want := range prefix {
		if s, err := url.PathUnescape(segs[i]); err != nil || s != want {
			return nil, false
		}
	}
	tail := segs[len(prefix):]
	if len(tail) > 0 && tail[len(tail)-1] == "" {
		tail = tail[:len(tail)-1]
	}
	return tail, true
}

// clientError maps a parsing error to its response.
func clientError(err error) *apiError {
	var pe *paramError
	if errors.As(err, &pe) {
		return pe.apiError()
	}
	var qe *queryError
	if errors.As(err, &qe) {
		return qe.apiError()
	}
	return errInternal()
}

// storeError answers a failed read: 503 when the query bounds stopped it
// (readgate reports those), else a generic 500 with the cause logged.
func (h *handler) storeError(w http.ResponseWriter, r *http.Request, op string, err error) {
	var te *readgate.TimeoutError
	if errors.As(err, &te) {
		h.writeError(w, errTimeout(te))
		return
	}
	if r.Context().Err() != nil {
		// The client went away; nothing is wrong with the store.
		h.logger.Debug("request canceled", zap.String("operation", op), zap.Error(err))
	} else {
		h.logger.Error("cannot read store", zap.String("operation", op), zap.Error(err))
	}
	h.writeError(w, errInternal())
}

func (h *handler) writeError(w http.ResponseWriter, e *apiError) {
	h.writeJSON(w, e.status, errorEnvelope{Error: e.body})
}

func (h *handler) writeJSON(w http.ResponseWriter, status int, v any) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if _, err := w.Write(encodeJSON(v)); err != nil {
		h.logger.Debug("cannot write response", zap.Error(err))
	}
}

var (
	jsonLT = []byte(`\u003c`)
	jsonGT = []byte(`\u003e`)
)

// encodeJSON keeps '&' readable, so next/previous read as the seed shows them
// ("?offset=10&limit=10"), while '<' and '>' stay escaped: a user id such as
// "</script>" can then never close a tag if the JSON is embedded in a page.
// Both bytes only ever occur inside JSON strings, so replacing them is safe.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(`{"error":{"code":"internal","message":"internal error"}}` + "\n")
	}
	b := bytes.ReplaceAll(buf.Bytes(), []byte("<"), jsonLT)
	return bytes.ReplaceAll(b, []byte(">"), jsonGT)
}
