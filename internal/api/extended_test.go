package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/api"
	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/ledger"
	"github.com/waxell/otelcol-waxell/internal/store/postgres"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.RunMain(m)) }

// fullStore is a store as the exporter serves it.
type fullStore interface {
	api.Reader
	api.ExtendedReader
	ApplySpans(ctx context.Context, spans []genai.Span) (ledger.Stats, error)
	Close() error
}

var (
	_ fullStore = (*sqlite.Store)(nil)
	_ fullStore = (*postgres.Store)(nil)
)

// storeServer is the API served from one store.
type storeServer struct {
	*httptest.Server
	st fullStore
}

// apply writes traces, each in its own batch.
func (s *storeServer) apply(t *testing.T, traces ...*traceBuilder) {
	t.Helper()
	for _, tr := range traces {
		_, err := s.st.ApplySpans(context.Background(), tr.spans)
		require.NoError(t, err)
	}
}

// bothStores runs fn against a server on SQLite and one on PostgreSQL,
// each holding traces.
func bothStores(t *testing.T, traces []*traceBuilder, fn func(t *testing.T, s *storeServer), opts ...api.Option) {
	opens := []struct {
		name string
		open func(t *testing.T) fullStore
	}{
		{"sqlite", func(t *testing.T) fullStore {
			st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "waxell.db")})
			require.NoError(t, err)
			return st
		}},
		{"postgres", func(t *testing.T) fullStore {
			st, err := postgres.Open(context.Background(), postgres.Config{DSN: pgtest.NewDatabase(t)})
			require.NoError(t, err)
			return st
		}},
	}
	for _, o := range opens {
		t.Run(o.name, func(t *testing.T) {
			st := o.open(t)
			t.Cleanup(func() { assert.NoError(t, st.Close()) })
			mux := http.NewServeMux()
			mux.Handle("/api/", api.NewHandler(st, opts...))
			srv := &storeServer{Server: httptest.NewServer(mux), st: st}
			t.Cleanup(srv.Close)
			srv.apply(t, traces...)
			fn(t, srv)
		})
	}
}

// getJSON GETs target, requires status, and decodes the body into v (a
// pointer) unless v is nil. It returns the raw body.
func getJSON(t *testing.T, srv *storeServer, target string, status int, v any) string {
	t.Helper()
	res, err := http.Get(srv.URL + target)
	require.NoError(t, err)
	defer res.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(res.Body)
	require.NoError(t, err)
	require.Equal(t, status, res.StatusCode, "%s: %s", target, b.String())
	if v != nil {
		require.NoError(t, json.Unmarshal(b.Bytes(), v), b.String())
	}
	return b.String()
}

// errParam requests target, requires a 400 and returns the parameter blamed.
func errParam(t *testing.T, srv *storeServer, target string) string {
	t.Helper()
	var e struct {
		Error struct {
			Code      string `json:"code"`
			Parameter string `json:"parameter"`
		} `json:"error"`
	}
	getJSON(t, srv, target, http.StatusBadRequest, &e)
	assert.Equal(t, "invalid_parameter", e.Error.Code, target)
	return e.Error.Parameter
}

type userRow struct {
	UserID        string   `json:"user_id"`
	RunCount      int64    `json:"run_count"`
	FirstSeen     string   `json:"first_seen"`
	LastSeen      string   `json:"last_seen"`
	TotalDuration float64  `json:"total_duration"`
	TotalCost     float64  `json:"total_cost"`
	TotalTokens   int64    `json:"total_tokens"`
	Agents        []string `json:"agents"`
	Flags         []string `json:"flags"`
}

// listPage is the envelope of every list endpoint.
type listPage[T any] struct {
	Results    []T     `json:"results"`
	Count      int64   `json:"count"`
	Next       *string `json:"next"`
	Previous   *string `json:"previous"`
	NextCursor *string `json:"next_cursor"`
}

type userList = listPage[userRow]

func (r userRow) id() string { return r.UserID }

// ids are the ids of rows, in order (never nil, so it compares with a literal).
func ids[T interface{ id() string }](rows []T) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.id())
	}
	return out
}

const usersURL = "/api/v1/observability/users/"

func TestWindowScope(t *testing.T) {
	bothStores(t, mainWorld(), func(t *testing.T, srv *storeServer) {
		// Dave's two batch runs start at 10:00:00 and 10:00:01 on 01-12, his
		// third at 09:00:00 on 01-13: a run starting exactly at start counts,
		// one starting exactly at end does not. start is given at +02:00.
		var l userList
		getJSON(t, srv, usersURL+"?scope=window&start=2026-01-12T12:00:00%2B02:00&end=2026-01-13T09:00:00Z", 200, &l)
		require.Equal(t, int64(1), l.Count)
		assert.Equal(t, userRow{UserID: "dave", RunCount: 2, FirstSeen: "2026-01-12T10:00:00Z", LastSeen: "2026-01-12T10:00:01Z",
			TotalDuration: 1, TotalCost: 10, TotalTokens: 200, Agents: []string{"batch-agent"}, Flags: []string{}}, l.Results[0])
		// One nanosecond later, the first run is out.
		getJSON(t, srv, usersURL+"?scope=window&start=2026-01-12T10:00:00.000000001Z&end=2026-01-13T09:00:00.000000001Z", 200, &l)
		require.Len(t, l.Results, 1)
		assert.Equal(t, int64(2), l.Results[0].RunCount)
		assert.Equal(t, "2026-01-12T10:00:01Z", l.Results[0].FirstSeen)
		assert.Equal(t, "2026-01-13T09:00:00Z", l.Results[0].LastSeen)
		// Without scope, start/end select users and aggregates stay lifetime.
		getJSON(t, srv, usersURL+"?start=2026-01-12T12:00:00%2B02:00&end=2026-01-13T09:00:00Z", 200, &l)
		require.Len(t, l.Results, 1)
		assert.Equal(t, int64(3), l.Results[0].RunCount)
		getJSON(t, srv, usersURL+"?scope=lifetime&start=2026-01-12T12:00:00%2B02:00&end=2026-01-13T09:00:00Z", 200, &l)
		assert.Equal(t, int64(3), l.Results[0].RunCount)

		// Sorting by a window aggregate: in February only carol (1 run, 2
		// tokens) and user-456 (1 run, 600 tokens) ran.
		getJSON(t, srv, usersURL+"?scope=window&start=2026-02-01&sort=-total_tokens", 200, &l)
		assert.Equal(t, []string{"user-456", "carol"}, ids(l.Results))
		assert.Equal(t, int64(600), l.Results[0].TotalTokens)
		assert.Equal(t, []string{"search-agent"}, l.Results[0].Agents)
		assert.Equal(t, "?offset=0&limit=25&sort=-total_tokens&start=2026-02-01T00%3A00%3A00Z&scope=window",
			strings.Replace(*mustLink(t, srv, usersURL+"?scope=window&start=2026-02-01&sort=-total_tokens&offset=1").Previous, "", "", 1))
		// Agent filter inside the window: user-456 ran chat-agent only in January.
		getJSON(t, srv, usersURL+"?scope=window&start=2026-02-01&agent=chat-agent", 200, &l)
		assert.Equal(t, []string{"carol"}, ids(l.Results))
		getJSON(t, srv, usersURL+"?scope=window&end=2026-01-11&search=CAR", 200, &l)
		assert.Equal(t, []string{"carol"}, ids(l.Results))
		assert.Equal(t, int64(1), l.Results[0].RunCount)

		assert.Equal(t, "scope", errParam(t, srv, usersURL+"?scope=window"))
		assert.Equal(t, "scope", errParam(t, srv, usersURL+"?scope=forever&start=2026-01-01"))
		assert.Equal(t, "scope", errParam(t, srv, usersURL+"?scope=window&scope=window&start=2026-01-01"))
		assert.Equal(t, "start", errParam(t, srv, usersURL+"?scope=window&start=2026-02-01&end=2026-01-01"))
	})
}

func mustLink(t *testing.T, srv *storeServer, target string) userList {
	t.Helper()
	var l userList
	getJSON(t, srv, target, 200, &l)
	require.NotNil(t, l.Previous)
	return l
}

func TestWindowDetail(t *testing.T) {
	bothStores(t, mainWorld(), func(t *testing.T, srv *storeServer) {
		body := getJSON(t, srv, usersURL+"user-456/?scope=window&start=2026-02-01T02:00:00%2B02:00&end=2026-03-01", 200, nil)
		var runs struct {
			Runs []struct {
				ID int64 `json:"id"`
			} `json:"runs"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &runs))
		require.Len(t, runs.Runs, 1)
		want := `{"user_id":"user-456","aggregates":{"run_count":1,"total_duration":3.5,"total_cost":0.0089,"total_tokens":600,` +
			`"agents":["search-agent"],"first_seen":"2026-02-07T14:22:00Z","last_seen":"2026-02-07T14:22:00Z"},` +
			`"cost_by_model":[{"model":"gpt-4o-mini","total_cost":0.0089,"total_tokens":500,"call_count":1,"unpriced":false},` +
			`{"model":"local-llm","total_cost":0,"total_tokens":100,"call_count":1,"unpriced":true}],` +
			fmt.Sprintf(`"runs":[{"id":%d,"agent_name":"search-agent","workflow_name":"default","started_at":"2026-02-07T14:22:00Z",`, runs.Runs[0].ID) +
			`"completed_at":"2026-02-07T14:22:03.5Z","duration":3.5,"status":"error","cost":0.0089,"tokens":600,"session_id":null}],` +
			`"flags":[],"scope":"window","window":{"start":"2026-02-01T00:00:00Z","end":"2026-03-01T00:00:00Z"}}` + "\n"
		assert.Equal(t, want, body)

		// A known user without runs in the window: zeros and nulls.
		body = getJSON(t, srv, usersURL+"bob/?scope=window&end=2026-01-01", 200, nil)
		assert.Equal(t, `{"user_id":"bob","aggregates":{"run_count":0,"total_duration":0,"total_cost":0,"total_tokens":0,`+
			`"agents":[],"first_seen":null,"last_seen":null},"cost_by_model":[],"runs":[],"flags":[],"scope":"window",`+
			`"window":{"start":null,"end":"2026-01-01T00:00:00Z"}}`+"\n", body)

		getJSON(t, srv, usersURL+"nobody/?scope=window&start=2026-01-01", 404, nil)
		assert.Equal(t, "scope", errParam(t, srv, usersURL+"bob/?start=2026-01-01"))
		assert.Equal(t, "scope", errParam(t, srv, usersURL+"bob/?scope=window"))
		assert.Equal(t, "flag_k", errParam(t, srv, usersURL+"bob/?flag_k=-1"))
	})
}

type point struct {
	T             string  `json:"t"`
	RunCount      int64   `json:"run_count"`
	TotalCost     float64 `json:"total_cost"`
	TotalTokens   int64   `json:"total_tokens"`
	TotalDuration float64 `json:"total_duration"`
	CostByModel   []struct {
		Model       string  `json:"model"`
		TotalCost   float64 `json:"total_cost"`
		TotalTokens int64   `json:"total_tokens"`
		CallCount   int64   `json:"call_count"`
	} `json:"cost_by_model"`
}

func TestTimeseriesEndpoint(t *testing.T) {
	bothStores(t, mainWorld(), func(t *testing.T, srv *storeServer) {
		target := usersURL + "user-456/timeseries/?start=2026-01-15T10:30:00%2B02:00&end=2026-01-15T12:59:59%2B02:00"
		body := getJSON(t, srv, target, 200, nil)
		assert.Equal(t, `{"user_id":"user-456","bucket":"hour","start":"2026-01-15T08:00:00Z","end":"2026-01-15T11:00:00Z","points":[`+
			`{"t":"2026-01-15T08:00:00Z","run_count":1,"total_cost":1.234568,"total_tokens":1620,"total_duration":2.8,"cost_by_model":[`+
			`{"model":"gpt-4o","total_cost":0.987654,"total_tokens":1200,"call_count":1},`+
			`{"model":"gpt-4o-mini","total_cost":0.246914,"total_tokens":420,"call_count":1}]},`+
			`{"t":"2026-01-15T09:00:00Z","run_count":0,"total_cost":0,"total_tokens":0,"total_duration":0,"cost_by_model":[]},`+
			`{"t":"2026-01-15T10:00:00Z","run_count":0,"total_cost":0,"total_tokens":0,"total_duration":0,"cost_by_model":[]}]}`+"\n", body)

		var ts struct {
			Bucket string  `json:"bucket"`
			Points []point `json:"points"`
		}
		getJSON(t, srv, usersURL+"user-456/timeseries/?start=2026-01-15&end=2026-02-08&bucket=day", 200, &ts)
		require.Len(t, ts.Points, 24)
		assert.Equal(t, "day", ts.Bucket)
		assert.Equal(t, "2026-01-15T00:00:00Z", ts.Points[0].T)
		assert.Equal(t, int64(1), ts.Points[0].RunCount)
		assert.Equal(t, "2026-02-07T00:00:00Z", ts.Points[23].T)
		assert.Equal(t, int64(600), ts.Points[23].TotalTokens)
		assert.Len(t, ts.Points[23].CostByModel, 2)
		for _, p := range ts.Points[1:23] {
			assert.Zero(t, p.RunCount)
			assert.Empty(t, p.CostByModel)
		}

		assert.Equal(t, "start", errParam(t, srv, usersURL+"user-456/timeseries/?end=2026-01-02"))
		assert.Equal(t, "end", errParam(t, srv, usersURL+"user-456/timeseries/?start=2026-01-02"))
		assert.Equal(t, "bucket", errParam(t, srv, usersURL+"user-456/timeseries/?start=2026-01-01&end=2026-01-02&bucket=week"))
		assert.Equal(t, "end", errParam(t, srv, usersURL+"user-456/timeseries/?start=2000-01-01&end=2026-01-02"))
		getJSON(t, srv, usersURL+"nobody/timeseries/?start=2026-01-01&end=2026-01-02", 404, nil)
	})
}

// sessionWorld adds a second user to conv-1 and a three-run session.
func sessionWorld() []*traceBuilder {
	out := mainWorld()
	a := newTrace()
	s := ts("2026-01-16T00:00:00Z")
	root := a.agent(noParent, "chat-agent", s, dur(s, "1s"), withUser("erin"), withSession("conv-1"))
	a.llm(root, "gpt-4o", s, dur(s, "1s"), 10, 10, 1000, false)
	out = append(out, a)
	for i, u := range []string{"frank", "frank", ""} {
		b := newTrace()
		s := ts("2026-01-17T00:00:00Z").Add(time.Duration(i) * time.Minute)
		root := b.agent(noParent, []string{"planner", "tool-agent", "planner"}[i], s, dur(s, "2s"), withUser(u), withSession("big"))
		b.llm(root, "gpt-4o", s, dur(s, "1s"), 100, 100, 2_000_000, false)
		out = append(out, b)
	}
	return out
}

type sessionRow struct {
	SessionID     string   `json:"session_id"`
	RunCount      int64    `json:"run_count"`
	FirstSeen     string   `json:"first_seen"`
	LastSeen      string   `json:"last_seen"`
	TotalDuration float64  `json:"total_duration"`
	TotalCost     float64  `json:"total_cost"`
	TotalTokens   int64    `json:"total_tokens"`
	Users         []string `json:"users"`
	Agents        []string `json:"agents"`
}

type sessionList = listPage[sessionRow]

func (r sessionRow) id() string { return r.SessionID }

const sessionsURL = "/api/v1/observability/sessions/"

func TestSessionsEndpoints(t *testing.T) {
	bothStores(t, sessionWorld(), func(t *testing.T, srv *storeServer) {
		body := getJSON(t, srv, sessionsURL, 200, nil)
		assert.Equal(t, `{"results":[`+
			`{"session_id":"s-bob","run_count":1,"first_seen":"2026-01-20T12:00:00.25Z","last_seen":"2026-01-20T12:00:00.25Z",`+
			`"total_duration":60,"total_cost":0.000002,"total_tokens":20,"users":["bob"],"agents":["code-agent"]},`+
			`{"session_id":"big","run_count":3,"first_seen":"2026-01-17T00:00:00Z","last_seen":"2026-01-17T00:02:00Z",`+
			`"total_duration":6,"total_cost":0.006,"total_tokens":600,"users":["frank"],"agents":["planner","tool-agent"]},`+
			`{"session_id":"conv-1","run_count":2,"first_seen":"2026-01-15T08:30:00Z","last_seen":"2026-01-16T00:00:00Z",`+
			`"total_duration":3.8,"total_cost":1.234569,"total_tokens":1640,"users":["erin","user-456"],"agents":["chat-agent"]}],`+
			`"count":3,"next":null,"previous":null,"next_cursor":null}`+"\n", body)

		var l sessionList
		for q, want := range map[string][]string{
			"?sort=run_count":                                      {"s-bob", "conv-1", "big"},
			"?sort=-total_cost":                                    {"conv-1", "big", "s-bob"},
			"?sort=first_seen":                                     {"conv-1", "big", "s-bob"},
			"?user_id=erin":                                        {"conv-1"},
			"?user_id=frank&agent=tool-agent":                      {"big"},
			"?agent=planner":                                       {"big"},
			"?start=2026-01-15T12:00:00%2B02:00":                   {"s-bob", "big", "conv-1"},
			"?start=2026-01-16T00:00:00.000000001Z":                {"s-bob", "big"},
			"?end=2026-01-16":                                      {"conv-1"},
			"?start=2026-01-17T00:01:00Z&end=2026-01-17T00:02:00Z": {"big"},
			"?start=2026-01-17T00:02:00.000000001Z&end=2026-01-20": {},
		} {
			getJSON(t, srv, sessionsURL+q, 200, &l)
			assert.Equal(t, want, ids(l.Results), q)
			assert.Equal(t, int64(len(want)), l.Count, q)
		}
		getJSON(t, srv, sessionsURL+"?sort=run_count&limit=1&offset=1", 200, &l)
		assert.Equal(t, []string{"conv-1"}, ids(l.Results))
		assert.Equal(t, "?offset=2&limit=1&sort=run_count", *l.Next)
		assert.Equal(t, "?offset=0&limit=1&sort=run_count", *l.Previous)
		require.NotNil(t, l.NextCursor)

		var d struct {
			SessionID  string `json:"session_id"`
			Aggregates struct {
				RunCount int64    `json:"run_count"`
				Users    []string `json:"users"`
			} `json:"aggregates"`
			Runs []struct {
				ID        int64   `json:"id"`
				AgentName string  `json:"agent_name"`
				StartedAt string  `json:"started_at"`
				UserID    *string `json:"user_id"`
				SessionID string  `json:"session_id"`
			} `json:"runs"`
			RunsTruncated bool `json:"runs_truncated"`
		}
		getJSON(t, srv, sessionsURL+"big/", 200, &d)
		assert.Equal(t, "big", d.SessionID)
		assert.Equal(t, int64(3), d.Aggregates.RunCount)
		require.Len(t, d.Runs, 3)
		assert.Equal(t, []string{"2026-01-17T00:00:00Z", "2026-01-17T00:01:00Z", "2026-01-17T00:02:00Z"},
			[]string{d.Runs[0].StartedAt, d.Runs[1].StartedAt, d.Runs[2].StartedAt}) // oldest first
		assert.Equal(t, "frank", *d.Runs[0].UserID)
		assert.Nil(t, d.Runs[2].UserID)
		assert.Equal(t, "tool-agent", d.Runs[1].AgentName)
		assert.False(t, d.RunsTruncated)
		getJSON(t, srv, sessionsURL+"no-such/", 404, nil)

		assert.Equal(t, "sort", errParam(t, srv, sessionsURL+"?sort=user_id"))
		assert.Equal(t, "limit", errParam(t, srv, sessionsURL+"?limit=101"))
		assert.Equal(t, "user_id", errParam(t, srv, sessionsURL+"?user_id=a&user_id=b"))
		assert.Equal(t, "format", errParam(t, srv, sessionsURL+"?format=xml"))
	})
}

// richTrace is one run of rita with every token type, a reported cost and
// an unpriced call.
func richTrace() *traceBuilder {
	b := newTrace()
	s := ts("2026-03-02T10:00:00Z")
	root := b.agent(noParent, "rich-agent", s, dur(s, "4s"), withUser("rita"), withSession("rs"))
	b.add(root, genai.RoleLLM, dur(s, "1s"), dur(s, "2s"), func(sp *genai.Span) {
		sp.Model, sp.Provider, sp.HasUsage = "claude-x", "anthropic", true
		sp.Usage = genai.Usage{Input: 1000, CacheRead: 400, CacheWrite: 100, Output: 300, Reasoning: 120}
		sp.CostNanos, sp.CostSource = 5_000_000, genai.CostReported
	})
	b.llm(root, "local-llm", dur(s, "2s"), dur(s, "3s"), 10, 5, 0, true)
	b.llm(root, "gpt-4o", dur(s, "3s"), dur(s, "3500ms"), 7, 3, 700, false)
	return b
}

func TestRunEndpoint(t *testing.T) {
	bothStores(t, append(mainWorld(), richTrace()), func(t *testing.T, srv *storeServer) {
		var u struct {
			Runs []struct {
				ID int64 `json:"id"`
			} `json:"runs"`
		}
		getJSON(t, srv, usersURL+"rita/", 200, &u)
		require.Len(t, u.Runs, 1)
		id := u.Runs[0].ID
		body := getJSON(t, srv, fmt.Sprintf("/api/v1/observability/runs/%d/", id), 200, nil)
		var d struct {
			RunKey     string `json:"run_key"`
			TraceID    string `json:"trace_id"`
			RootSpanID string `json:"root_span_id"`
			Calls      []struct {
				SpanID string `json:"span_id"`
			} `json:"calls"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &d))
		require.Len(t, d.Calls, 3)
		want := fmt.Sprintf(`{"id":%d,"run_key":"%s","trace_id":"%s","root_span_id":"%s","implicit":false,`, id, d.RunKey, d.TraceID, d.RootSpanID) +
			`"user_id":"rita","session_id":"rs","agent_name":"rich-agent","workflow_name":"default",` +
			`"started_at":"2026-03-02T10:00:00Z","completed_at":"2026-03-02T10:00:04Z","duration":4,"status":"success","cost":0.005001,` +
			`"tokens":{"input":1017,"cached_input":400,"cache_write":100,"output":308,"reasoning":120,"total":1325},` +
			`"call_count":3,"user_conflicts":0,"calls":[` +
			fmt.Sprintf(`{"span_id":"%s","started_at":"2026-03-02T10:00:01Z","model":"claude-x","provider":"anthropic",`, d.Calls[0].SpanID) +
			`"tokens":{"input":1000,"cached_input":400,"cache_write":100,"output":300,"reasoning":120,"total":1300},` +
			`"cost":0.005,"cost_source":"reported","aggregate":false},` +
			fmt.Sprintf(`{"span_id":"%s","started_at":"2026-03-02T10:00:02Z","model":"local-llm","provider":"openai",`, d.Calls[1].SpanID) +
			`"tokens":{"input":10,"cached_input":0,"cache_write":0,"output":5,"reasoning":0,"total":15},` +
			`"cost":0,"cost_source":"unpriced","aggregate":false},` +
			fmt.Sprintf(`{"span_id":"%s","started_at":"2026-03-02T10:00:03Z","model":"gpt-4o","provider":"openai",`, d.Calls[2].SpanID) +
			`"tokens":{"input":7,"cached_input":0,"cache_write":0,"output":3,"reasoning":0,"total":10},` +
			`"cost":0.000001,"cost_source":"computed","aggregate":false}]}` + "\n"
		assert.Equal(t, want, body)
		assert.Equal(t, d.RunKey, d.TraceID+":"+d.RootSpanID)

		getJSON(t, srv, "/api/v1/observability/runs/999999999/", 404, nil)
		assert.Equal(t, "id", errParam(t, srv, "/api/v1/observability/runs/abc/"))
		assert.Equal(t, "id", errParam(t, srv, "/api/v1/observability/runs/0/"))
		assert.Equal(t, "user_id", errParam(t, srv, "/api/v1/observability/runs/"), "the runs list needs a user or a session")
	})
}

type overview struct {
	Window struct {
		Start *string `json:"start"`
		End   *string `json:"end"`
	} `json:"window"`
	Totals struct {
		RunCount      int64   `json:"run_count"`
		TotalCost     float64 `json:"total_cost"`
		TotalTokens   int64   `json:"total_tokens"`
		TotalDuration float64 `json:"total_duration"`
	} `json:"totals"`
	UniqueUsers    int64     `json:"unique_users"`
	NewUsers       int64     `json:"new_users"`
	RunsWithUserID int64     `json:"runs_with_user_id"`
	UserIDShare    *float64  `json:"user_id_share"`
	TopUsers       []userRow `json:"top_users"`
	CostByModel    []struct {
		Model       string  `json:"model"`
		TotalCost   float64 `json:"total_cost"`
		TotalTokens int64   `json:"total_tokens"`
		CallCount   int64   `json:"call_count"`
		Unpriced    bool    `json:"unpriced"`
	} `json:"cost_by_model"`
	Anomalies []struct {
		UserID    string  `json:"user_id"`
		Flag      string  `json:"flag"`
		Metric    string  `json:"metric"`
		Value     int64   `json:"value"`
		Median    float64 `json:"median"`
		Threshold float64 `json:"threshold"`
		Score     float64 `json:"score"`
	} `json:"anomalies"`
	HighUsage struct {
		K     float64 `json:"k"`
		Users int64   `json:"users"`
	} `json:"high_usage"`
}

func TestOverviewEndpoint(t *testing.T) {
	bothStores(t, mainWorld(), func(t *testing.T, srv *storeServer) {
		var o overview
		getJSON(t, srv, "/api/v1/observability/overview/", 200, &o)
		assert.Nil(t, o.Window.Start)
		assert.Equal(t, int64(9), o.Totals.RunCount) // the run without a user included
		assert.Equal(t, 25.24347, o.Totals.TotalCost)
		assert.Equal(t, int64(2570), o.Totals.TotalTokens)
		assert.Equal(t, 71.8, o.Totals.TotalDuration)
		assert.Equal(t, int64(4), o.UniqueUsers)
		assert.Equal(t, int64(4), o.NewUsers)
		assert.Equal(t, int64(8), o.RunsWithUserID)
		assert.Equal(t, 0.888889, *o.UserIDShare)
		assert.Equal(t, []string{"dave", "user-456", "bob", "carol"}, ids(o.TopUsers))
		assert.Equal(t, []string{"high_usage"}, o.TopUsers[1].Flags)
		require.Len(t, o.CostByModel, 3)
		assert.Equal(t, "gpt-4o", o.CostByModel[0].Model)
		assert.Equal(t, 24.987656, o.CostByModel[0].TotalCost)
		assert.Equal(t, int64(8), o.CostByModel[0].CallCount)
		assert.Equal(t, 0.255814, o.CostByModel[1].TotalCost)
		assert.True(t, o.CostByModel[2].Unpriced)
		// user-456's 2220 tokens against a median of 160 (MAD 144).
		require.Len(t, o.Anomalies, 1)
		a := o.Anomalies[0]
		assert.Equal(t, "user-456", a.UserID)
		assert.Equal(t, "high_usage", a.Flag)
		assert.Equal(t, "total_tokens", a.Metric)
		assert.Equal(t, int64(2220), a.Value)
		assert.Equal(t, 160.0, a.Median)
		assert.InDelta(t, 160+3.5*144/0.6745, a.Threshold, 1e-5)
		assert.InDelta(t, 0.6745*(2220-160)/144.0, a.Score, 1e-5)
		assert.Equal(t, 3.5, o.HighUsage.K)
		assert.Equal(t, int64(4), o.HighUsage.Users)

		// A larger k flags nobody.
		getJSON(t, srv, "/api/v1/observability/overview/?flag_k=10", 200, &o)
		assert.Empty(t, o.Anomalies)
		assert.Equal(t, []string{}, o.TopUsers[1].Flags)

		// A window, given at +02:00, answered in UTC.
		getJSON(t, srv, "/api/v1/observability/overview/?start=2026-01-12T02:00:00%2B02:00&end=2026-01-19", 200, &o)
		assert.Equal(t, "2026-01-12T00:00:00Z", *o.Window.Start)
		assert.Equal(t, "2026-01-19T00:00:00Z", *o.Window.End)
		assert.Equal(t, int64(5), o.Totals.RunCount)
		assert.Equal(t, int64(4), o.RunsWithUserID)
		assert.Equal(t, 0.8, *o.UserIDShare)
		assert.Equal(t, int64(2), o.UniqueUsers)
		assert.Equal(t, int64(2), o.NewUsers)
		assert.Equal(t, []string{"dave", "user-456"}, ids(o.TopUsers))
		assert.Equal(t, int64(2), o.TopUsers[1].RunCount*2) // user-456 ran once in the window
		// An empty window.
		getJSON(t, srv, "/api/v1/observability/overview/?start=2030-01-01", 200, &o)
		assert.Zero(t, o.Totals.RunCount)
		assert.Nil(t, o.UserIDShare)
		assert.Empty(t, o.TopUsers)
		assert.Empty(t, o.Anomalies)

		assert.Equal(t, "start", errParam(t, srv, "/api/v1/observability/overview/?start=yesterday"))
		assert.Equal(t, "flag_k", errParam(t, srv, "/api/v1/observability/overview/?flag_k=0"))
	})
}

// TestFlagsOnRows checks that the flags of rows and details follow the
// population of their scope and flag_k.
func TestFlagsOnRows(t *testing.T) {
	bothStores(t, mainWorld(), func(t *testing.T, srv *storeServer) {
		var l userList
		getJSON(t, srv, usersURL+"?sort=-total_tokens", 200, &l)
		assert.Equal(t, []string{"high_usage"}, l.Results[0].Flags)
		for _, r := range l.Results[1:] {
			assert.Equal(t, []string{}, r.Flags)
		}
		getJSON(t, srv, usersURL+"?sort=-total_tokens&flag_k=20", 200, &l)
		assert.Equal(t, []string{}, l.Results[0].Flags)
		assert.Contains(t, *mustLinkNext(t, srv, usersURL+"?sort=-total_tokens&flag_k=20&limit=1").Next, "flag_k=20")
		var d struct {
			Flags []string `json:"flags"`
		}
		getJSON(t, srv, usersURL+"user-456/", 200, &d)
		assert.Equal(t, []string{"high_usage"}, d.Flags)
		// In January's second week only dave and user-456 ran: two users
		// are never far apart by this rule.
		getJSON(t, srv, usersURL+"user-456/?scope=window&start=2026-01-12&end=2026-01-19", 200, &d)
		assert.Equal(t, []string{}, d.Flags)
	})
}

func mustLinkNext(t *testing.T, srv *storeServer, target string) userList {
	t.Helper()
	var l userList
	getJSON(t, srv, target, 200, &l)
	require.NotNil(t, l.Next)
	return l
}

// manyUsers is n users, user i with i%7+1 runs one minute apart.
func manyUsers(n int, base time.Time, idOf func(int) string) []*traceBuilder {
	var out []*traceBuilder
	for i := 0; i < n; i++ {
		for r := 0; r <= i%7; r++ {
			b := newTrace()
			s := base.Add(time.Duration(i*7+r) * time.Minute)
			root := b.agent(noParent, "bulk-agent", s, dur(s, "1s"), withUser(idOf(i)), withSession(fmt.Sprintf("sess-%03d", i%40)))
			b.llm(root, "gpt-4o", s, dur(s, "1s"), int64(10+i), 5, int64(1000*(i%13)), false)
			out = append(out, b)
		}
	}
	return out
}

func TestCursorPagination(t *testing.T) {
	base := ts("2026-04-01T00:00:00Z")
	world := manyUsers(60, base, func(i int) string { return fmt.Sprintf("u-%02d", i) })
	bothStores(t, world, func(t *testing.T, srv *storeServer) {
		for _, q := range []string{"?sort=-run_count", "?sort=total_cost", "?sort=-last_seen&search=u-1",
			"?scope=window&start=2026-04-01T01:00:00Z&end=2026-04-01T05:30:00Z&sort=-total_tokens"} {
			var all userList
			getJSON(t, srv, usersURL+q+"&limit=100", 200, &all)
			var got []string
			link := q + "&limit=7"
			pages := 0
			for link != "" {
				var l userList
				getJSON(t, srv, usersURL+link, 200, &l)
				assert.Equal(t, all.Count, l.Count, link)
				got = append(got, ids(l.Results)...)
				pages++
				link = ""
				if l.NextCursor != nil {
					require.NotNil(t, l.Next)
					if pages > 1 { // cursor pages link to the next cursor page
						assert.Contains(t, *l.Next, "cursor="+*l.NextCursor)
					}
					link = q + "&limit=7&cursor=" + *l.NextCursor
				} else if pages > 1 {
					assert.Nil(t, l.Next)
				}
				if pages > 1 {
					assert.Nil(t, l.Previous)
				}
			}
			assert.Equal(t, ids(all.Results), got, q)
		}

		var l userList
		getJSON(t, srv, usersURL+"?sort=-run_count&limit=5", 200, &l)
		c := *l.NextCursor
		// A cursor belongs to its list: another sort, filter or scope rejects it.
		assert.Equal(t, "cursor", errParam(t, srv, usersURL+"?sort=run_count&cursor="+c))
		assert.Equal(t, "cursor", errParam(t, srv, usersURL+"?sort=-run_count&search=u&cursor="+c))
		assert.Equal(t, "cursor", errParam(t, srv, sessionsURL+"?sort=-run_count&cursor="+c))
		assert.Equal(t, "cursor", errParam(t, srv, usersURL+"?sort=-run_count&cursor=not-a-cursor"))
		assert.Equal(t, "offset", errParam(t, srv, usersURL+"?sort=-run_count&offset=5&cursor="+c))
		// limit may change between pages.
		getJSON(t, srv, usersURL+"?sort=-run_count&limit=2&cursor="+c, 200, &l)
		assert.Len(t, l.Results, 2)

		// Sessions page by cursor too.
		var all sessionList
		getJSON(t, srv, sessionsURL+"?sort=-total_tokens&limit=100", 200, &all)
		assert.Equal(t, ids(all.Results), cursorWalk[sessionRow](t, srv, sessionsURL, "?sort=-total_tokens&limit=6", nil))
	})
}

// cursorWalk reads path+query, then each page its next_cursor points to,
// and returns the ids of every row; each, when not nil, sees every page
// before the next one is read.
func cursorWalk[T interface{ id() string }](t *testing.T, srv *storeServer, path, query string,
	each func(listPage[T])) []string {
	t.Helper()
	var got []string
	for link := query; link != ""; {
		var p listPage[T]
		getJSON(t, srv, path+link, 200, &p)
		got = append(got, ids(p.Results)...)
		if each != nil {
			each(p)
		}
		link = ""
		if p.NextCursor != nil {
			link = query + "&cursor=" + url.QueryEscape(*p.NextCursor)
		}
	}
	return got
}

// TestCursorStableWhileInserting pages through users while new users
// arrive between pages: the cursor pages list every user of the start once,
// in order, where offset pages repeat a user.
func TestCursorStableWhileInserting(t *testing.T) {
	base := ts("2026-04-01T00:00:00Z")
	world := manyUsers(30, base, func(i int) string { return fmt.Sprintf("u-%02d", i) })
	bothStores(t, world, func(t *testing.T, srv *storeServer) {
		var before userList
		getJSON(t, srv, usersURL+"?limit=100", 200, &before) // -last_seen
		i := 0
		got := cursorWalk(t, srv, usersURL, "?limit=4", func(userList) {
			// New users, newer than everyone: they sort first.
			srv.apply(t, manyUsers(2, base.Add(time.Duration(100+i)*24*time.Hour), func(k int) string { return fmt.Sprintf("new-%d-%d", i, k) })...)
			i++
		})
		assert.Equal(t, ids(before.Results), got)

		// The same walk by offset shows users twice.
		var first, second userList
		getJSON(t, srv, usersURL+"?limit=4", 200, &first)
		srv.apply(t, manyUsers(1, base.Add(1000*24*time.Hour), func(int) string { return "newest" })...)
		getJSON(t, srv, usersURL+"?limit=4&offset=4", 200, &second)
		assert.Equal(t, ids(first.Results)[3], ids(second.Results)[0])
	})
}

func readCSV(t *testing.T, srv *storeServer, target string) ([][]string, http.Header) {
	t.Helper()
	res, err := http.Get(srv.URL + target)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	rows, err := csv.NewReader(res.Body).ReadAll()
	require.NoError(t, err)
	return rows, res.Header
}

// countingStore counts the list reads a request makes of a real store.
type countingStore struct {
	fullStore
	lists, exports atomic.Int64
}

func (c *countingStore) ListSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error) {
	c.lists.Add(1)
	return c.fullStore.ListSessions(ctx, q)
}

func (c *countingStore) EachSession(ctx context.Context, q store.SessionQuery, fn func(store.SessionSummary) error) error {
	c.exports.Add(1)
	return c.fullStore.EachSession(ctx, q, fn)
}

func (c *countingStore) ListUsers(ctx context.Context, q store.UserQuery) (store.UserPage, error) {
	c.lists.Add(1)
	return c.fullStore.ListUsers(ctx, q)
}

func (c *countingStore) EachUser(ctx context.Context, q store.UserQuery, fn func(store.UserSummary) error) error {
	c.exports.Add(1)
	return c.fullStore.EachUser(ctx, q, fn)
}

// TestCSVExportSpool checks how an export is sent: written whole to a
// temporary file first (which never outlives the request), with its
// Content-Length, every export from one read of the store, and a failure
// before the download as an ordinary error response.
func TestCSVExportSpool(t *testing.T) {
	base := ts("2026-05-01T00:00:00Z")
	world := manyUsers(90, base, func(i int) string { return fmt.Sprintf("u-%03d", i) })
	bothStores(t, world, func(t *testing.T, srv *storeServer) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		st := &countingStore{fullStore: srv.st}
		h := api.NewHandler(st)
		for _, target := range []string{
			usersURL + "?format=csv&scope=window&start=2026-05-01T01:00:00Z&end=2026-05-01T06:30:00Z&sort=-total_cost",
			usersURL + "?format=csv&sort=first_seen",
			sessionsURL + "?format=csv",
		} {
			st.lists.Store(0)
			st.exports.Store(0)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
			require.Equal(t, http.StatusOK, rec.Code, target)
			assert.Equal(t, strconv.Itoa(rec.Body.Len()), rec.Header().Get("Content-Length"), target)
			rows, err := csv.NewReader(rec.Body).ReadAll()
			require.NoError(t, err)
			assert.Greater(t, len(rows), 20, target)
			assert.EqualValues(t, 1, st.exports.Load(), "%s: one read for every row", target)
			assert.Zero(t, st.lists.Load(), target)
			left, err := os.ReadDir(tmp)
			require.NoError(t, err)
			assert.Empty(t, left, "%s: the spool is removed", target)
		}

		// Nowhere to spool: an error response, not a truncated download.
		t.Setenv("TMPDIR", filepath.Join(tmp, "missing"))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, usersURL+"?format=csv", nil))
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	})
}

func TestCSVExport(t *testing.T) {
	odd := []string{"a,b", `say "hi"`, "line\nbreak", "=cmd()", "-1", "'quoted", "plain"}
	base := ts("2026-05-01T00:00:00Z")
	world := manyUsers(240, base, func(i int) string {
		if i < len(odd) {
			return odd[i]
		}
		return fmt.Sprintf("bulk-%03d", i)
	})
	bothStores(t, world, func(t *testing.T, srv *storeServer) {
		rows, hdr := readCSV(t, srv, usersURL+"?format=csv&sort=first_seen&limit=5&offset=3")
		assert.Equal(t, "text/csv; charset=utf-8", hdr.Get("Content-Type"))
		assert.Equal(t, `attachment; filename="users.csv"`, hdr.Get("Content-Disposition"))
		require.Len(t, rows, 241) // header + every user, not capped at 100, limit and offset ignored
		assert.Equal(t, []string{"user_id", "run_count", "first_seen", "last_seen", "total_duration", "total_cost",
			"total_tokens", "agents", "flags"}, rows[0])
		// Ids with commas, quotes and line breaks survive; formula-like ids
		// (and ids starting with a quote) get a leading quote.
		want := []string{"a,b", `say "hi"`, "line\nbreak", "'=cmd()", "'-1", "''quoted", "plain"}
		for i, id := range want {
			assert.Equal(t, id, rows[1+i][0])
		}
		// The same numbers as the JSON list.
		var l userList
		getJSON(t, srv, usersURL+"?sort=first_seen&limit=3", 200, &l)
		for i, u := range l.Results {
			num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
			assert.Equal(t, []string{fmt.Sprint(u.RunCount), u.FirstSeen, u.LastSeen, num(u.TotalDuration),
				num(u.TotalCost), fmt.Sprint(u.TotalTokens), strings.Join(u.Agents, ";"), strings.Join(u.Flags, ";")},
				rows[1+i][1:])
		}
		// Filters and window apply.
		rows, _ = readCSV(t, srv, usersURL+"?format=csv&search=bulk-1&sort=-run_count")
		assert.Len(t, rows, 1+100)
		rows, _ = readCSV(t, srv, usersURL+"?format=csv&scope=window&start=2026-05-01T00:00:00Z&end=2026-05-01T00:14:00Z&sort=first_seen")
		require.Len(t, rows, 3)
		assert.Equal(t, []string{"a,b", "1"}, rows[1][:2])
		assert.Equal(t, []string{`say "hi"`, "2"}, rows[2][:2]) // two runs, both in the window
		// A window holding every run (read in one statement, not in pages): every
		// user once, in the order and with the numbers of the lifetime list.
		lifetime, _ := readCSV(t, srv, usersURL+"?format=csv&sort=-total_cost")
		rows, _ = readCSV(t, srv, usersURL+"?format=csv&scope=window&start=2026-01-01&end=2027-01-01&sort=-total_cost")
		assert.Equal(t, lifetime, rows)
		// Nothing matches: the header alone.
		rows, _ = readCSV(t, srv, usersURL+"?format=csv&search=zzz")
		assert.Len(t, rows, 1)

		rows, hdr = readCSV(t, srv, sessionsURL+"?format=csv&sort=session_id_is_no_sort"[:0]+"?format=csv")
		assert.Equal(t, `attachment; filename="sessions.csv"`, hdr.Get("Content-Disposition"))
		require.Len(t, rows, 41)
		assert.Equal(t, []string{"session_id", "run_count", "first_seen", "last_seen", "total_duration", "total_cost",
			"total_tokens", "users", "agents"}, rows[0])
		rows, _ = readCSV(t, srv, sessionsURL+"?format=csv&user_id="+url.QueryEscape("line\nbreak"))
		require.Len(t, rows, 2)
		assert.Equal(t, "bulk-042;bulk-082;bulk-122;bulk-162;bulk-202;line\nbreak", rows[1][7]) // users of sess-002

		req, err := http.NewRequest(http.MethodHead, srv.URL+usersURL+"?format=csv", nil)
		require.NoError(t, err)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, "text/csv; charset=utf-8", res.Header.Get("Content-Type"))

		assert.Equal(t, "format", errParam(t, srv, usersURL+"?format=xlsx"))
	})
}

// TestHighUsageFilter: flag=high_usage lists exactly the users whose rows
// say high_usage, lifetime and windowed, counted, paged by cursor (the
// links keep the filter) and exported; any other value is a 400.
func TestHighUsageFilter(t *testing.T) {
	base := ts("2026-06-01T00:00:00Z")
	// manyUsers gives user i 1 + i%7 runs: with 70 users the top of the
	// run counts is not far from the rest, so the heavy users come apart.
	world := manyUsers(70, base, func(i int) string { return fmt.Sprintf("u-%02d", i) })
	for i := range 3 {
		for r := range 40 + 10*i {
			b := newTrace()
			s := base.Add(time.Duration(r) * time.Minute)
			root := b.agent(noParent, "bulk-agent", s, dur(s, "1s"), withUser(fmt.Sprintf("heavy-%d", i)))
			b.llm(root, "gpt-4o", s, dur(s, "1s"), 10, 5, 1000, false)
			world = append(world, b)
		}
	}
	flagged := func(rows []userRow) []string {
		out := []string{}
		for _, u := range rows {
			if slices.Contains(u.Flags, "high_usage") {
				out = append(out, u.UserID)
			}
		}
		return out
	}
	bothStores(t, world, func(t *testing.T, srv *storeServer) {
		for _, scope := range []string{"", "&scope=window&start=2026-06-01T00:00:00Z&end=2026-06-01T05:00:00Z"} {
			var all userList
			getJSON(t, srv, usersURL+"?sort=-total_cost&limit=100"+scope, 200, &all)
			want := flagged(all.Results)
			require.NotEmpty(t, want, scope)
			require.Less(t, len(want), len(all.Results), scope)

			var l userList
			getJSON(t, srv, usersURL+"?sort=-total_cost&limit=100&flag=high_usage"+scope, 200, &l)
			assert.Equal(t, want, ids(l.Results), scope)
			assert.EqualValues(t, len(want), l.Count, scope)
			assert.Equal(t, want, flagged(l.Results), "%s: every row listed is flagged", scope)

			// Cursor pages, and links that keep the filter.
			got := cursorWalk(t, srv, usersURL, "?sort=-total_cost&limit=2&flag=high_usage"+scope, func(p userList) {
				if p.NextCursor != nil {
					require.NotNil(t, p.Next)
					assert.Contains(t, *p.Next, "flag=high_usage")
				}
			})
			assert.Equal(t, want, got, scope)

			rows, _ := readCSV(t, srv, usersURL+"?format=csv&sort=-total_cost&flag=high_usage"+scope)
			var csvIDs []string
			for _, r := range rows[1:] {
				csvIDs = append(csvIDs, r[0])
				assert.Equal(t, "high_usage", r[8])
			}
			assert.Equal(t, want, csvIDs, scope)
		}
		// A cursor of the unfiltered list does not continue the filtered one.
		var p userList
		getJSON(t, srv, usersURL+"?sort=-total_cost&limit=2", 200, &p)
		require.NotNil(t, p.NextCursor)
		assert.Equal(t, "cursor", errParam(t, srv, usersURL+"?sort=-total_cost&limit=2&flag=high_usage&cursor="+
			url.QueryEscape(*p.NextCursor)))
		assert.Equal(t, "flag", errParam(t, srv, usersURL+"?flag=abuse"))
	})
}
