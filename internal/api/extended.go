package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// ExtendedReader is what the endpoints beyond the seed API need from a
// store: windowed aggregates, time series, sessions, runs, the overview and
// population statistics. Both stores implement it. A Reader without it
// serves only the seed endpoints; the others answer 404 and user rows carry
// no flags.
type ExtendedReader interface {
	// EachUser calls fn with every user matching q's filters, in q's order,
	// from one read; an error from fn ends it and is returned.
	EachUser(ctx context.Context, q store.UserQuery, fn func(store.UserSummary) error) error
	// GetUserWindow returns store.ErrNotFound for an unknown user.
	GetUserWindow(ctx context.Context, q store.WindowDetailQuery) (store.UserDetail, error)
	// UserTimeseries returns store.ErrNotFound for an unknown user.
	UserTimeseries(ctx context.Context, q store.TimeseriesQuery) ([]store.Point, error)
	ListSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error)
	// EachSession calls fn with every session matching q's filters, in q's
	// order, from one read; an error from fn ends it and is returned.
	EachSession(ctx context.Context, q store.SessionQuery, fn func(store.SessionSummary) error) error
	// GetSession returns store.ErrNotFound for an unknown session.
	GetSession(ctx context.Context, sessionID string) (store.SessionDetail, error)
	// GetRun returns store.ErrNotFound for an unknown run.
	GetRun(ctx context.Context, id int64) (store.RunDetail, error)
	ListRuns(ctx context.Context, q store.RunQuery) (store.RunPage, error)
	// EachRun calls fn with every run matching q's filters, in q's order,
	// from one read; an error from fn ends it and is returned.
	EachRun(ctx context.Context, q store.RunQuery, fn func(store.RunSummary) error) error
	Overview(ctx context.Context, q store.OverviewQuery) (store.Overview, error)
	UsageStats(ctx context.Context, q store.StatsQuery) (store.UsageStats, error)
}

// Routes beyond the seed API.
const (
	routeUserTimeseries route = iota + 100
	routeListSessions
	routeGetSession
	routeGetRun
	routeOverview
	routeOpenAPI
	routeListRuns
)

// Path prefixes of the routes beyond the seed API, as segments.
var (
	sessionsPath = []string{"api", "v1", "observability", "sessions"}
	runsPath     = []string{"api", "v1", "observability", "runs"}
	overviewPath = []string{"api", "v1", "observability", "overview"}
	openAPIPath  = []string{"api", "v1", "openapi.json"}
)

// matchExtraRoute matches the routes beyond the seed API. The string is
// the path parameter (user id, session id or run id), unescaped.
func matchExtraRoute(segs []string) (route, string, bool) {
	if tail, ok := cutSegments(segs, openAPIPath); ok && len(tail) == 0 && segs[len(segs)-1] != "" {
		return routeOpenAPI, "", true
	}
	if tail, ok := cutSegments(segs, overviewPath); ok && len(tail) == 0 {
		return routeOverview, "", true
	}
	if tail, ok := cutSegments(segs, usersPath); ok && len(tail) == 2 {
		if s, err := url.PathUnescape(tail[1]); err == nil && s == "timeseries" {
			if id, err := url.PathUnescape(tail[0]); err == nil && id != "" {
				return routeUserTimeseries, id, true
			}
		}
		return routeNone, "", true
	}
	for _, c := range []struct {
		prefix     []string
		list, item route
	}{{sessionsPath, routeListSessions, routeGetSession}, {runsPath, routeListRuns, routeGetRun}} {
		tail, ok := cutSegments(segs, c.prefix)
		if !ok {
			continue
		}
		switch len(tail) {
		case 0:
			return c.list, "", true
		case 1:
			id, err := url.PathUnescape(tail[0])
			if err != nil || id == "" {
				return routeNone, "", true
			}
			return c.item, id, true
		default:
			return routeNone, "", true
		}
	}
	return routeNone, "", false
}

// needsExtended reports whether rt is served from an ExtendedReader.
func needsExtended(rt route) bool {
	switch rt {
	case routeUserTimeseries, routeListSessions, routeGetSession, routeListRuns, routeGetRun, routeOverview:
		return true
	}
	return false
}

// serveExtra serves the routes beyond the seed API.
func (h *handler) serveExtra(w http.ResponseWriter, r *http.Request, rt route, id string) {
	switch rt {
	case routeUserTimeseries:
		h.userTimeseries(w, r, id)
	case routeListSessions:
		h.listSessions(w, r)
	case routeGetSession:
		h.getSession(w, r, id)
	case routeListRuns:
		h.listRuns(w, r)
	case routeGetRun:
		h.getRun(w, r, id)
	case routeOverview:
		h.overview(w, r)
	case routeOpenAPI:
		h.openAPI(w, r)
	default:
		h.writeError(w, errRouteNotFound())
	}
}

func errNotFound(what, id string) *apiError {
	return &apiError{
		status: http.StatusNotFound,
		body:   errorBody{Code: codeNotFound, Message: what + " " + strconv.Quote(id) + " not found"},
	}
}
