// Package ui serves the per-user usage web UI: server-rendered pages
// (html/template, assets embedded with go:embed, no front-end build step)
// that read the same store as the REST API.
//
//	GET /                 users list (search, agent, time range, sort, pagination; state in the URL)
//	GET /users/{user_id}  one user: summary cards, cost per day chart, cost by model, top sessions, recent runs
//	GET /sessions/{id}    one session: its users and agents, summary cards, its first 1,000 runs
//	GET /runs/{id}        one run: its LLM calls, tokens by type, cost sources
//	GET /runs/?user_id=&session_id=
//	                      every run of a user, a session or both, 25 a page by keyset (sort, after, before, page)
//	GET /overview         totals of a time range, cost by model, top users, high-usage anomalies
//	GET /static/...       embedded CSS, icon and a small optional script
//
// Every page works without JavaScript. Pages are rendered into a buffer
// first, so errors become proper error pages, and carry a strict
// Content-Security-Policy.
package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/readgate"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// Reader is what the UI needs from a store.
type Reader interface {
	ListUsers(ctx context.Context, q store.UserQuery) (store.UserPage, error)
	// GetUser returns store.ErrNotFound for an unknown user.
	GetUser(ctx context.Context, userID string) (store.UserDetail, error)
	// UserTimeseries returns store.ErrNotFound for an unknown user.
	UserTimeseries(ctx context.Context, q store.TimeseriesQuery) ([]store.Point, error)
	ListAgents(ctx context.Context) ([]string, error)
	Overview(ctx context.Context, q store.OverviewQuery) (store.Overview, error)
	// GetSession returns store.ErrNotFound for an unknown session.
	GetSession(ctx context.Context, sessionID string) (store.SessionDetail, error)
	ListSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error)
	// GetRun returns store.ErrNotFound for an unknown run.
	GetRun(ctx context.Context, id int64) (store.RunDetail, error)
	// ListRuns lists a user's or a session's runs (an unknown one has none).
	ListRuns(ctx context.Context, q store.RunQuery) (store.RunPage, error)
}

// Option configures the handler.
type Option func(*handler)

// WithLogger logs store and rendering failures (shown as a generic error
// page) to l.
func WithLogger(l *zap.Logger) Option {
	return func(h *handler) {
		if l != nil {
			h.logger = l
		}
	}
}

// WithOTLPEndpoint sets the OTLP endpoint named in the empty state, for
// example "http://collector.example:4318".
func WithOTLPEndpoint(endpoint string) Option {
	return func(h *handler) {
		if endpoint != "" {
			h.endpoint = endpoint
		}
	}
}

// WithSessionURL links runs to their session elsewhere. pattern is an
// http(s) or root-relative URL in which "{session_id}" is replaced by the
// escaped session id, for example "https://jaeger.example/search?tags=%7B%22session.id%22%3A%22{session_id}%22%7D".
// Without it, runs link to the UI's own session page (/sessions/{session_id}).
func WithSessionURL(pattern string) Option {
	return func(h *handler) {
		if strings.HasPrefix(pattern, "/") || strings.HasPrefix(pattern, "https://") || strings.HasPrefix(pattern, "http://") {
			h.sessionURL = pattern
		}
	}
}

// WithClock sets the clock used for relative times and time ranges (tests
// and screenshots).
func WithClock(now func() time.Time) Option {
	return func(h *handler) {
		if now != nil {
			h.now = now
		}
	}
}

// WithFlags marks users flagged high_usage (package flags) on the list, on
// their page and among the overview's top users, lets the list show them
// alone and the overview list its anomalies, from the statistics in c,
// which the REST API may share. Without it no user is marked.
func WithFlags(c *flags.Cache) Option {
	return func(h *handler) { h.flags = c }
}

// WithHighUsageK sets k of the high_usage rule for WithFlags (3.5), as
// api.WithHighUsageK does for the REST API's default.
func WithHighUsageK(k float64) Option {
	return func(h *handler) {
		if flags.ValidK(k) {
			h.flagK = k
		}
	}
}

// WithTraceURL links a run's trace id to a tracing backend. pattern is an
// http(s) URL in which "{trace_id}" is replaced by the run's trace id (32
// hex digits), for example "https://jaeger.example/trace/{trace_id}".
// Without it, or with another pattern, the trace id is shown as text.
func WithTraceURL(pattern string) Option {
	return func(h *handler) {
		if ValidTraceURL(pattern) {
			h.traceURL = pattern
		}
	}
}

// ValidTraceURL reports whether pattern can be given to WithTraceURL.
func ValidTraceURL(pattern string) bool {
	return (strings.HasPrefix(pattern, "https://") || strings.HasPrefix(pattern, "http://")) &&
		strings.Contains(pattern, "{trace_id}")
}

// DefaultOTLPEndpoint is the endpoint hint of the empty state: the
// collector's default OTLP/HTTP receiver.
const DefaultOTLPEndpoint = "http://localhost:4318"

// NewHandler serves the UI from r, which must not be nil. Mount it at "/".
func NewHandler(r Reader, opts ...Option) http.Handler {
	h := &handler{reader: r, logger: zap.NewNop(), endpoint: DefaultOTLPEndpoint, now: time.Now, flagK: flags.DefaultK}
	for _, o := range opts {
		o(h)
	}
	return h
}

type handler struct {
	reader     Reader
	flags      *flags.Cache // nil: nobody is marked
	flagK      float64
	logger     *zap.Logger
	endpoint   string
	sessionURL string
	traceURL   string
	now        func() time.Time
}

// contentSecurityPolicy allows nothing but this origin's styles, scripts
// and images (plus data: images) and forbids framing.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w.Header())
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.renderError(w, r, http.StatusMethodNotAllowed, "Method not allowed", "This page can only be read (GET).")
		return
	}
	path := r.URL.EscapedPath()
	switch {
	case path == "/":
		h.serveList(w, r)
	case strings.HasPrefix(path, "/static/"):
		serveStatic(w, r, strings.TrimPrefix(path, "/static/"))
	case path == "/overview":
		h.serveOverview(w, r)
	case path == "/favicon.ico":
		serveStatic(w, r, "favicon.svg")
	case (path == "/users" || path == "/users/") && r.URL.Query().Get("id") == "":
		http.Redirect(w, r, "/", http.StatusFound)
	case path == "/users" || strings.HasPrefix(path, "/users/"):
		h.serveByID(w, r, strings.TrimPrefix(strings.TrimPrefix(path, "/users"), "/"), "User", h.serveDetail)
	case strings.HasPrefix(path, "/sessions/"):
		h.serveByID(w, r, strings.TrimPrefix(path, "/sessions/"), "Session", h.serveSession)
	case path == "/runs" || path == "/runs/":
		h.serveRuns(w, r)
	case strings.HasPrefix(path, "/runs/"):
		h.serveRun(w, r, strings.TrimSuffix(strings.TrimPrefix(path, "/runs/"), "/"))
	default:
		h.renderError(w, r, http.StatusNotFound, "Page not found", "There is no page at this address.")
	}
}

// serveByID serves the page of the id in seg, one escaped path segment
// (a trailing "/" allowed), or in the query ("?id=") when seg is empty
// (idPath); anything else is a 404 page that says how ids are written.
func (h *handler) serveByID(w http.ResponseWriter, r *http.Request, seg, kind string,
	serve func(http.ResponseWriter, *http.Request, string)) {
	if id := r.URL.Query().Get("id"); seg == "" && id != "" {
		serve(w, r, id)
		return
	}
	seg = strings.TrimSuffix(seg, "/")
	id, err := url.PathUnescape(seg)
	if err != nil || strings.Contains(seg, "/") || id == "" {
		h.renderError(w, r, http.StatusNotFound, "Page not found",
			kind+" ids in links are one path segment; a \"/\" in an id is written %2F.")
		return
	}
	serve(w, r, id)
}

// bufPool holds render buffers.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// timing measures the store and render phases for the Server-Timing header.
type timing struct {
	start time.Time
	store time.Duration
}

func (t *timing) header() string {
	total := time.Since(t.start)
	return fmt.Sprintf("store;dur=%.1f, total;dur=%.1f", ms(t.store), ms(total))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// render executes a page template into a buffer and writes it.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, data any, tm *timing) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", data); err != nil {
		h.logger.Error("Cannot render UI page", zap.String("path", r.URL.Path), zap.Error(err))
		h.renderError(w, r, http.StatusInternalServerError, "Something went wrong", "The page could not be rendered.")
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Length", strconv.Itoa(buf.Len()))
	if tm != nil {
		hd.Set("Server-Timing", tm.header())
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorView is the data of an error page.
type errorView struct {
	pageData
	Status  int
	Heading string
	Message string
	Param   string
}

func (h *handler) renderError(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	h.renderErrorView(w, r, errorView{Status: status, Heading: heading, Message: msg})
}

func (h *handler) renderErrorView(w http.ResponseWriter, r *http.Request, v errorView) {
	v.pageData.Title = v.Heading
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	hd := w.Header()
	if err := errorTmpl.ExecuteTemplate(buf, "layout", v); err != nil {
		h.logger.Error("Cannot render UI error page", zap.Error(err))
		hd.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(v.Status)
		_, _ = w.Write([]byte(http.StatusText(v.Status) + "\n"))
		return
	}
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(v.Status)
	_, _ = w.Write(buf.Bytes())
}

// storeError renders a store failure: 503 when the query bounds stopped the
// read (readgate) or the request was cancelled, else 500. Details go to
// the log only.
func (h *handler) storeError(w http.ResponseWriter, r *http.Request, what string, err error) {
	var te *readgate.TimeoutError
	switch {
	case errors.As(err, &te) && te.Queued:
		h.renderError(w, r, http.StatusServiceUnavailable, "The store is busy",
			"Other views are being computed. Please try again in a moment.")
		return
	case te != nil:
		h.renderError(w, r, http.StatusServiceUnavailable, "This view took too long",
			fmt.Sprintf("It did not finish within %s. Choose a shorter time range or add a filter.", te.Timeout))
		return
	case r.Context().Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		h.renderError(w, r, http.StatusServiceUnavailable, "The store did not answer in time", "Please try again.")
		return
	}
	h.logger.Error("UI cannot read the store", zap.String("what", what), zap.String("path", r.URL.Path), zap.Error(err))
	h.renderError(w, r, http.StatusInternalServerError, "Something went wrong",
		"The usage store could not be read. The collector's log has the details.")
}

func (h *handler) badRequest(w http.ResponseWriter, r *http.Request, err error, reset string) {
	var pe *paramError
	msg := "The address of this page is not valid."
	param := ""
	if errors.As(err, &pe) {
		param = pe.param
		msg = "The “" + pe.param + "” parameter " + pe.msg + "."
	}
	h.renderErrorView(w, r, errorView{Status: http.StatusBadRequest, Heading: "That view cannot be shown",
		Message: msg, Param: param, pageData: pageData{ResetURL: reset}})
}

// thresholds are the high_usage thresholds of a population (the lifetime
// one for the users list and pages, which show lifetime aggregates), with
// the handler's k.
func (h *handler) thresholds(ctx context.Context, pop store.StatsQuery) (flags.Thresholds, error) {
	if h.flags == nil {
		return flags.None, nil
	}
	st, err := h.flags.Get(ctx, pop)
	if err != nil {
		return flags.Thresholds{}, err
	}
	return flags.NewThresholds(st, h.flagK), nil
}

// pageData is the data every page's layout uses.
type pageData struct {
	Title    string
	ResetURL string
	Nav      string // the main navigation's current entry: navUsers or navOverview
}

// Main navigation entries.
const (
	navUsers    = "users"
	navOverview = "overview"
)

// truncateID shortens long ids for display (the full id goes in a title).
func truncateID(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
