package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// fakeExt is a store with every read, answering with empty results.
type fakeExt struct{ fakeReader }

func (*fakeExt) EachUser(context.Context, store.UserQuery, func(store.UserSummary) error) error {
	return nil
}
func (*fakeExt) EachSession(context.Context, store.SessionQuery, func(store.SessionSummary) error) error {
	return nil
}
func (*fakeExt) GetUserWindow(context.Context, store.WindowDetailQuery) (store.UserDetail, error) {
	return store.UserDetail{}, nil
}
func (*fakeExt) UserTimeseries(context.Context, store.TimeseriesQuery) ([]store.Point, error) {
	return nil, nil
}
func (*fakeExt) ListSessions(context.Context, store.SessionQuery) (store.SessionPage, error) {
	return store.SessionPage{}, nil
}
func (*fakeExt) GetSession(context.Context, string) (store.SessionDetail, error) {
	return store.SessionDetail{}, nil
}
func (*fakeExt) GetRun(context.Context, int64) (store.RunDetail, error) {
	return store.RunDetail{}, nil
}
func (*fakeExt) ListRuns(context.Context, store.RunQuery) (store.RunPage, error) {
	return store.RunPage{}, nil
}
func (*fakeExt) EachRun(context.Context, store.RunQuery, func(store.RunSummary) error) error {
	return nil
}
func (*fakeExt) Overview(context.Context, store.OverviewQuery) (store.Overview, error) {
	return store.Overview{}, nil
}
func (*fakeExt) UsageStats(context.Context, store.StatsQuery) (store.UsageStats, error) {
	return store.UsageStats{}, nil
}

type openAPIParam struct {
	Name     string `json:"name"`
	In       string `json:"in"`
	Required bool   `json:"required"`
	Ref      string `json:"$ref"`
}

type openAPI struct {
	OpenAPI string `json:"openapi"`
	Paths   map[string]map[string]struct {
		OperationID string                     `json:"operationId"`
		Parameters  []openAPIParam             `json:"parameters"`
		Responses   map[string]json.RawMessage `json:"responses"`
	} `json:"paths"`
	Components struct {
		Parameters map[string]openAPIParam    `json:"parameters"`
		Schemas    map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

func loadOpenAPI(t *testing.T) openAPI {
	t.Helper()
	var doc openAPI
	require.NoError(t, json.Unmarshal(openAPIDoc, &doc))
	require.Equal(t, "3.1.0", doc.OpenAPI)
	return doc
}

// params resolves the parameters of a documented operation.
func (d openAPI) params(t *testing.T, path string) (query, pathParams []string) {
	t.Helper()
	for _, p := range d.Paths[path]["get"].Parameters {
		if p.Ref != "" {
			name := strings.TrimPrefix(p.Ref, "#/components/parameters/")
			var ok bool
			p, ok = d.Components.Parameters[name]
			require.True(t, ok, "%s: unknown parameter %s", path, p.Ref)
		}
		switch p.In {
		case "query":
			query = append(query, p.Name)
		case "path":
			require.True(t, p.Required, "%s: path parameter %s must be required", path, p.Name)
			pathParams = append(pathParams, p.Name)
		default:
			t.Fatalf("%s: parameter %s in %q", path, p.Name, p.In)
		}
	}
	sort.Strings(query)
	sort.Strings(pathParams)
	return query, pathParams
}

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// TestOpenAPIDocumentsEveryRoute checks the document against routeSpecs in
// both directions: every route and query parameter is documented, and the
// document has nothing the API lacks.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	var specPaths []string
	for _, s := range routeSpecs {
		specPaths = append(specPaths, s.path)
		op, ok := doc.Paths[s.path]["get"]
		require.True(t, ok, "route %s is not documented", s.path)
		assert.NotEmpty(t, op.OperationID, s.path)
		assert.Contains(t, op.Responses, "200", s.path)
		query, pathParams := doc.params(t, s.path)
		want := slices.Clone(s.params)
		sort.Strings(want)
		assert.Equal(t, want, query, "query parameters of %s", s.path)
		var inPath []string
		for _, m := range pathParamRE.FindAllStringSubmatch(s.path, -1) {
			inPath = append(inPath, m[1])
		}
		sort.Strings(inPath)
		assert.Equal(t, inPath, pathParams, "path parameters of %s", s.path)
		assert.Len(t, doc.Paths[s.path], 1, "%s: only GET is served", s.path)
	}
	for p := range doc.Paths {
		assert.Contains(t, specPaths, p, "documented path %s is not a route", p)
	}
	// Every $ref resolves.
	for _, m := range regexp.MustCompile(`"\$ref": "#/components/(schemas|parameters)/([A-Za-z]+)"`).FindAllStringSubmatch(string(openAPIDoc), -1) {
		if m[1] == "schemas" {
			assert.Contains(t, doc.Components.Schemas, m[2])
		} else {
			assert.Contains(t, doc.Components.Parameters, m[2])
		}
	}
}

// validQuery is a query that each route accepts, so that a duplicated
// parameter is the only fault of a request.
var validQuery = map[route]url.Values{
	routeUserTimeseries: {"start": {"2026-01-01"}, "end": {"2026-01-02"}},
	routeListRuns:       {"session_id": {"s"}},
}

// TestHandlersReadDocumentedParams checks the routes against the handlers:
// every documented path routes to its handler, and the handler reads every
// documented query parameter (a parameter given twice is a 400 that names
// it). Handlers cannot read an undocumented one: query.get panics on a name
// missing from routeSpecs, and every handler runs here.
func TestHandlersReadDocumentedParams(t *testing.T) {
	h := NewHandler(&fakeExt{fakeReader{detail: map[string]store.UserDetail{"u": {}}}}, WithVerifier(&nopVerifier{}))
	paths := map[route]string{
		routeListUsers: "/api/v1/observability/users/", routeGetUser: "/api/v1/observability/users/u/",
		routeUserTimeseries: "/api/v1/observability/users/u/timeseries/", routeListSessions: "/api/v1/observability/sessions/",
		routeGetSession: "/api/v1/observability/sessions/s/", routeGetRun: "/api/v1/observability/runs/7/", routeListRuns: "/api/v1/observability/runs/",
		routeOverview: "/api/v1/observability/overview/", routeOpenAPI: "/api/v1/openapi.json", routeVerify: "/api/v1/admin/verify",
	}
	require.Len(t, paths, len(routeSpecs))
	for _, s := range routeSpecs {
		target := paths[s.rt]
		u, err := url.Parse(target)
		require.NoError(t, err)
		rt, _ := matchRoute(u)
		require.Equal(t, s.rt, rt, target)
		q := validQuery[s.rt]
		rec := serve(t, h, http.MethodGet, target+"?"+q.Encode())
		require.Equal(t, http.StatusOK, rec.Code, "%s: %s", target, rec.Body.String())
		for _, p := range s.params {
			v := url.Values{}
			for k, x := range q {
				v[k] = x
			}
			v[p] = []string{"x", "y"}
			rec := serve(t, h, http.MethodGet, target+"?"+v.Encode())
			require.Equal(t, http.StatusBadRequest, rec.Code, "%s %s twice: %s", target, p, rec.Body.String())
			assert.Equal(t, p, decodeError(t, rec).Parameter, "%s %s twice", target, p)
		}
	}
}

type nopVerifier struct{}

func (*nopVerifier) Verify(context.Context) ([]string, error) { return nil, nil }

func TestOpenAPIServed(t *testing.T) {
	h := NewHandler(&fakeReader{})
	rec := serve(t, h, http.MethodGet, "/api/v1/openapi.json")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.Equal(t, openAPIDoc, rec.Body.Bytes())
	// Without an ExtendedReader the routes beyond the seed are 404.
	for _, target := range []string{"/api/v1/observability/sessions/", "/api/v1/observability/runs/1/",
		"/api/v1/observability/overview/", "/api/v1/observability/users/u/timeseries/?start=2026-01-01&end=2026-01-02"} {
		assert.Equal(t, http.StatusNotFound, serve(t, h, http.MethodGet, target).Code, target)
	}
	// and the users list has no CSV export.
	rec = serve(t, h, http.MethodGet, "/api/v1/observability/users/?format=csv")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Contains(t, rec.Body.String(), `"parameter":"format"`)
}
