package api_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/api"
	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
)

// traceBuilder builds the canonical spans of one trace.
type traceBuilder struct {
	id    pcommon.TraceID
	seq   uint64
	spans []genai.Span
}

var traceSeq uint64

func newTrace() *traceBuilder {
	traceSeq++
	var id pcommon.TraceID
	id[0] = 0xa1
	binary.BigEndian.PutUint64(id[8:], traceSeq)
	return &traceBuilder{id: id}
}

type spanOpt func(*genai.Span)

func withUser(u string) spanOpt    { return func(s *genai.Span) { s.UserID = u } }
func withSession(v string) spanOpt { return func(s *genai.Span) { s.SessionID = v } }
func withWorkflow(v string) spanOpt {
	return func(s *genai.Span) { s.WorkflowName = v }
}
func failed() spanOpt { return func(s *genai.Span) { s.Error = true } }

var noParent pcommon.SpanID

func (b *traceBuilder) add(parent pcommon.SpanID, role genai.Role, start, end time.Time, opts ...spanOpt) pcommon.SpanID {
	b.seq++
	var id pcommon.SpanID
	binary.BigEndian.PutUint64(id[:], b.seq)
	s := genai.Span{
		TraceID: b.id, SpanID: id, ParentSpanID: parent,
		Start: start.UnixNano(), End: end.UnixNano(),
		Role: role, Convention: "apitest", Service: "svc",
	}
	for _, o := range opts {
		o(&s)
	}
	b.spans = append(b.spans, s)
	return id
}

func (b *traceBuilder) agent(parent pcommon.SpanID, name string, start, end time.Time, opts ...spanOpt) pcommon.SpanID {
	return b.add(parent, genai.RoleAgent, start, end, append([]spanOpt{func(s *genai.Span) { s.AgentName = name }}, opts...)...)
}

// llm adds an LLM call; a zero cost with unpriced set marks an unpriced model.
func (b *traceBuilder) llm(parent pcommon.SpanID, model string, start, end time.Time, in, out, costNanos int64, unpriced bool) pcommon.SpanID {
	src := genai.CostComputed
	if unpriced {
		src = genai.CostUnpriced
	}
	return b.add(parent, genai.RoleLLM, start, end, func(s *genai.Span) {
		s.Model, s.Provider = model, "openai"
		s.HasUsage = true
		s.Usage = genai.Usage{Input: in, Output: out}
		s.CostNanos, s.CostSource = costNanos, src
	})
}

func (b *traceBuilder) other(parent pcommon.SpanID, start, end time.Time, opts ...spanOpt) pcommon.SpanID {
	return b.add(parent, genai.RoleOther, start, end, opts...)
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func dur(t time.Time, d string) time.Time {
	x, err := time.ParseDuration(d)
	if err != nil {
		panic(err)
	}
	return t.Add(x)
}

// newServer opens a SQLite store in a temp dir, applies each trace in its
// own batch, and serves the API the way the exporter mounts it.
func newServer(t *testing.T, traces ...*traceBuilder) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "waxell.db")})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, st.Close()) })
	for _, tr := range traces {
		_, err := st.ApplySpans(ctx, tr.spans)
		require.NoError(t, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", api.NewHandler(st))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// mainWorld: four users whose every sort key gives a different order.
//
//	user      runs first        last         duration cost (nano-USD)  tokens agents
//	user-456  2    01-15 08:30  02-07 14:22  6.3      1_243_467_821    2220   chat-agent, search-agent
//	bob       1    01-20 12:00  01-20 12:00  60       1_500            20     code-agent
//	carol     2    01-10 00:00  02-01 00:00  3        500              12     chat-agent
//	dave      3    01-12 10:00  01-13 09:00  1.5      15_000_000_000   300    batch-agent
func mainWorld() []*traceBuilder {
	var out []*traceBuilder

	// user-456, run A: the user on the agent span, child LLM spans without
	// user, two models.
	a := newTrace()
	s := ts("2026-01-15T08:30:00Z")
	root := a.agent(noParent, "chat-agent", s, dur(s, "2.8s"), withUser("user-456"), withSession("conv-1"), withWorkflow("support"))
	a.llm(root, "gpt-4o", dur(s, "100ms"), dur(s, "1s"), 1000, 200, 987_654_321, false)
	a.llm(root, "gpt-4o-mini", dur(s, "1s"), dur(s, "2s"), 300, 120, 246_913_500, false)
	out = append(out, a)

	// user-456, run B: an error run; the user on the HTTP span above the
	// agent; an unpriced model.
	b := newTrace()
	s = ts("2026-02-07T14:22:00Z")
	server := b.other(noParent, dur(s, "-10ms"), dur(s, "4s"), withUser("user-456"))
	root = b.agent(server, "search-agent", s, dur(s, "3.5s"), failed())
	b.llm(root, "gpt-4o-mini", dur(s, "1s"), dur(s, "2s"), 400, 100, 8_900_000, false)
	b.llm(root, "local-llm", dur(s, "2s"), dur(s, "3s"), 50, 50, 0, true)
	out = append(out, b)

	// bob: one minute, fractional start.
	c := newTrace()
	s = ts("2026-01-20T12:00:00.25Z")
	root = c.agent(noParent, "code-agent", s, dur(s, "60s"), withUser("bob"), withSession("s-bob"))
	c.llm(root, "gpt-4o", dur(s, "1s"), dur(s, "2s"), 10, 10, 1500, false)
	out = append(out, c)

	// carol: two runs, costs that round to zero.
	d := newTrace()
	s = ts("2026-01-10T00:00:00Z")
	root = d.agent(noParent, "chat-agent", s, dur(s, "1s"), withUser("carol"))
	d.llm(root, "gpt-4o", s, dur(s, "1s"), 5, 5, 499, false)
	out = append(out, d)
	e := newTrace()
	s = ts("2026-02-01T00:00:00Z")
	root = e.agent(noParent, "chat-agent", s, dur(s, "2s"), withUser("carol"))
	e.llm(root, "gpt-4o", s, dur(s, "1s"), 1, 1, 1, false)
	out = append(out, e)

	// dave: a batch trace with two sibling runs, then a third run.
	f := newTrace()
	s = ts("2026-01-12T10:00:00Z")
	job := f.other(noParent, s, dur(s, "2s"))
	r1 := f.agent(job, "batch-agent", s, dur(s, "500ms"), withUser("dave"))
	f.llm(r1, "gpt-4o", s, dur(s, "400ms"), 100, 0, 5_000_000_000, false)
	r2 := f.agent(job, "batch-agent", dur(s, "1s"), dur(s, "1.5s"), withUser("dave"))
	f.llm(r2, "gpt-4o", dur(s, "1s"), dur(s, "1.4s"), 100, 0, 5_000_000_000, false)
	out = append(out, f)
	g := newTrace()
	s = ts("2026-01-13T09:00:00Z")
	root = g.agent(noParent, "batch-agent", s, dur(s, "500ms"), withUser("dave"))
	g.llm(root, "gpt-4o", s, dur(s, "400ms"), 100, 0, 5_000_000_000, false)
	out = append(out, g)

	// A run without a user: never listed.
	h := newTrace()
	s = ts("2026-01-18T00:00:00Z")
	root = h.agent(noParent, "chat-agent", s, dur(s, "1s"))
	h.llm(root, "gpt-4o", s, dur(s, "1s"), 9, 9, 9_000_000_000, false)
	out = append(out, h)
	return out
}

func get(t *testing.T, srv *httptest.Server, target string) (int, http.Header, []byte) {
	t.Helper()
	res, err := http.Get(srv.URL + target)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header, body
}

type listJSON struct {
	Results []struct {
		UserID string `json:"user_id"`
	} `json:"results"`
	Count    int64   `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
}

func listIDs(t *testing.T, srv *httptest.Server, query string) ([]string, listJSON) {
	t.Helper()
	code, _, body := get(t, srv, "/api/v1/observability/users/"+query)
	require.Equal(t, http.StatusOK, code, "%s: %s", query, body)
	var l listJSON
	require.NoError(t, json.Unmarshal(body, &l))
	ids := []string{}
	for _, r := range l.Results {
		ids = append(ids, r.UserID)
	}
	return ids, l
}

const (
	// flags: user-456's tokens are far above the others' (issue 6: high_usage).
	user456JSON = `{"user_id":"user-456","run_count":2,"first_seen":"2026-01-15T08:30:00Z","last_seen":"2026-02-07T14:22:00Z",` +
		`"total_duration":6.3,"total_cost":1.243468,"total_tokens":2220,"agents":["chat-agent","search-agent"],"flags":["high_usage"]}`
	bobJSON = `{"user_id":"bob","run_count":1,"first_seen":"2026-01-20T12:00:00.25Z","last_seen":"2026-01-20T12:00:00.25Z",` +
		`"total_duration":60,"total_cost":0.000002,"total_tokens":20,"agents":["code-agent"],"flags":[]}`
	carolJSON = `{"user_id":"carol","run_count":2,"first_seen":"2026-01-10T00:00:00Z","last_seen":"2026-02-01T00:00:00Z",` +
		`"total_duration":3,"total_cost":0.000001,"total_tokens":12,"agents":["chat-agent"],"flags":[]}`
	daveJSON = `{"user_id":"dave","run_count":3,"first_seen":"2026-01-12T10:00:00Z","last_seen":"2026-01-13T09:00:00Z",` +
		`"total_duration":1.5,"total_cost":15,"total_tokens":300,"agents":["batch-agent"],"flags":[]}`
)

func TestListUsersFullBody(t *testing.T) {
	srv := newServer(t, mainWorld()...)

	code, hdr, body := get(t, srv, "/api/v1/observability/users/")
	require.Equal(t, http.StatusOK, code, string(body))
	assert.Equal(t, "application/json", hdr.Get("Content-Type"))
	assert.Equal(t, "nosniff", hdr.Get("X-Content-Type-Options"))
	assert.Equal(t, "no-store", hdr.Get("Cache-Control"))
	// Default sort -last_seen; raw bytes, so key order is checked too.
	assert.Equal(t, `{"results":[`+user456JSON+`,`+carolJSON+`,`+bobJSON+`,`+daveJSON+`],"count":4,"next":null,"previous":null,"next_cursor":null}`+"\n",
		string(body))

	// The seed's example request, on page two.
	code, _, body = get(t, srv, "/api/v1/observability/users/?sort=-run_count&limit=2&offset=1")
	require.Equal(t, http.StatusOK, code, string(body))
	var nc struct {
		NextCursor string `json:"next_cursor"`
	}
	require.NoError(t, json.Unmarshal(body, &nc))
	require.NotEmpty(t, nc.NextCursor)
	// The encoder escapes HTML characters, "&" included: same JSON string.
	assert.Equal(t, `{"results":[`+user456JSON+`,`+carolJSON+`],"count":4,`+
		`"next":"?offset=3&limit=2&sort=-run_count","previous":"?offset=0&limit=2&sort=-run_count",`+
		`"next_cursor":"`+nc.NextCursor+`"}`+"\n",
		string(body))

	// Without the trailing slash, same answer.
	_, _, body2 := get(t, srv, "/api/v1/observability/users?sort=-run_count&limit=2&offset=1")
	assert.Equal(t, string(body), string(body2))

	// Beyond the end: empty results, never null.
	code, _, body = get(t, srv, "/api/v1/observability/users/?offset=10")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, `{"results":[],"count":4,"next":null,"previous":"?offset=0&limit=25","next_cursor":null}`+"\n", string(body))
}

func TestListUsersSort(t *testing.T) {
	srv := newServer(t, mainWorld()...)
	asc := map[string][]string{
		"last_seen":      {"dave", "bob", "carol", "user-456"},
		"first_seen":     {"carol", "dave", "user-456", "bob"},
		"run_count":      {"bob", "carol", "user-456", "dave"},
		"total_cost":     {"carol", "bob", "user-456", "dave"},
		"total_tokens":   {"carol", "bob", "dave", "user-456"},
		"total_duration": {"dave", "carol", "user-456", "bob"},
	}
	desc := map[string][]string{
		"last_seen":      {"user-456", "carol", "bob", "dave"},
		"first_seen":     {"bob", "user-456", "dave", "carol"},
		"run_count":      {"dave", "user-456", "carol", "bob"}, // ties by user id, descending too
		"total_cost":     {"dave", "user-456", "bob", "carol"},
		"total_tokens":   {"user-456", "dave", "bob", "carol"},
		"total_duration": {"bob", "user-456", "carol", "dave"},
	}
	for field, want := range asc {
		ids, _ := listIDs(t, srv, "?sort="+field)
		assert.Equal(t, want, ids, "sort=%s", field)
		ids, _ = listIDs(t, srv, "?sort=-"+field)
		assert.Equal(t, desc[field], ids, "sort=-%s", field)
	}
	ids, _ := listIDs(t, srv, "")
	assert.Equal(t, desc["last_seen"], ids, "default sort")
}

func TestListUsersFollowPages(t *testing.T) {
	srv := newServer(t, mainWorld()...)
	var seen []string
	var prevs []*string
	link := "?sort=-total_cost&limit=1"
	for link != "" {
		ids, l := listIDs(t, srv, link)
		require.Len(t, ids, 1)
		assert.EqualValues(t, 4, l.Count)
		seen = append(seen, ids...)
		prevs = append(prevs, l.Previous)
		link = ""
		if l.Next != nil {
			link = *l.Next
		}
	}
	assert.Equal(t, []string{"dave", "user-456", "bob", "carol"}, seen)
	require.Len(t, prevs, 4)
	assert.Nil(t, prevs[0])
	assert.Equal(t, "?offset=0&limit=1&sort=-total_cost", *prevs[1])
	assert.Equal(t, "?offset=2&limit=1&sort=-total_cost", *prevs[3])

	// Filters ride along, URL-encoded, in fixed order.
	first, l := listIDs(t, srv, "?end=2026-03-01T00:00:00%2B01:00&start=2026-01-01&agent=chat-agent&search=R&sort=first_seen&limit=1")
	require.NotNil(t, l.Next)
	assert.Equal(t, "?offset=1&limit=1&sort=first_seen&search=R&agent=chat-agent&start=2026-01-01T00%3A00%3A00Z&end=2026-02-28T23%3A00%3A00Z",
		*l.Next)
	assert.Equal(t, []string{"carol"}, first)
	ids, l := listIDs(t, srv, *l.Next)
	assert.Equal(t, []string{"user-456"}, ids)
	assert.Nil(t, l.Next)
	assert.Equal(t, "?offset=0&limit=1&sort=first_seen&search=R&agent=chat-agent&start=2026-01-01T00%3A00%3A00Z&end=2026-02-28T23%3A00%3A00Z",
		*l.Previous)
}

func TestListUsersFilters(t *testing.T) {
	srv := newServer(t, mainWorld()...)
	tests := []struct {
		query string
		want  []string
	}{
		{"?search=ser-4", []string{"user-456"}},
		{"?search=A&sort=first_seen", []string{"carol", "dave"}}, // case-insensitive
		{"?search=zzz", []string{}},
		{"?agent=chat-agent&sort=first_seen", []string{"carol", "user-456"}},
		{"?agent=batch-agent", []string{"dave"}},
		{"?agent=chat", []string{}},                                          // exact agent name
		{"?start=2026-02-01&sort=first_seen", []string{"carol", "user-456"}}, // inclusive start
		{"?end=2026-01-13&sort=first_seen", []string{"carol", "dave"}},       // exclusive end
		{"?start=2026-01-12T00:00:00%2B02:00&end=2026-01-15T08:30:00Z", []string{"dave"}},
		{"?start=2026-01-12T00:00:00+02:00&end=2026-01-15T08:30:00Z", []string{"dave"}}, // unencoded '+'
		{"?start=2026-01-12T00:00:00%2B02:00&end=2026-01-15T08:30:00.000000001Z&sort=first_seen", []string{"dave", "user-456"}},
		{"?start=2026-01-20T12:00:00.25Z&end=2026-01-20T12:00:00.250000001Z", []string{"bob"}},
		{"?start=2026-01-20T12:00:00.251Z&end=2026-01-21", []string{}},
		{"?agent=chat-agent&start=2026-01-11&end=2026-01-31", []string{"user-456"}},
		// Agent and time filters are independent: the run in range need not be the agent's.
		{"?agent=search-agent&start=2026-01-11&end=2026-01-31", []string{"user-456"}},
		{"?search=o&agent=code-agent", []string{"bob"}},
		{"?search=&agent=&start=&end=&unknown=1", []string{"user-456", "carol", "bob", "dave"}},
		{"?start=1000-01-01&end=9999-12-31", []string{"user-456", "carol", "bob", "dave"}}, // clamped for the store
		{"?start=2300-01-01", []string{}},
	}
	for _, tt := range tests {
		ids, l := listIDs(t, srv, tt.query)
		assert.Equal(t, tt.want, ids, tt.query)
		assert.EqualValues(t, len(tt.want), l.Count, tt.query)
	}
}

func TestGetUserFullBody(t *testing.T) {
	srv := newServer(t, mainWorld()...)
	code, hdr, body := get(t, srv, "/api/v1/observability/users/user-456/")
	require.Equal(t, http.StatusOK, code, string(body))
	assert.Equal(t, "application/json", hdr.Get("Content-Type"))

	var ids struct {
		Runs []struct {
			ID int64 `json:"id"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(body, &ids))
	require.Len(t, ids.Runs, 2)
	assert.Positive(t, ids.Runs[0].ID)
	assert.Positive(t, ids.Runs[1].ID)
	assert.NotEqual(t, ids.Runs[0].ID, ids.Runs[1].ID)

	want := `{"user_id":"user-456","aggregates":{"run_count":2,"total_duration":6.3,"total_cost":1.243468,"total_tokens":2220,` +
		`"agents":["chat-agent","search-agent"],"first_seen":"2026-01-15T08:30:00Z","last_seen":"2026-02-07T14:22:00Z"},` +
		`"cost_by_model":[` +
		`{"model":"gpt-4o","total_cost":0.987654,"total_tokens":1200,"call_count":1,"unpriced":false},` +
		`{"model":"gpt-4o-mini","total_cost":0.255814,"total_tokens":920,"call_count":2,"unpriced":false},` +
		`{"model":"local-llm","total_cost":0,"total_tokens":100,"call_count":1,"unpriced":true}],` +
		`"runs":[` +
		fmt.Sprintf(`{"id":%d,"agent_name":"search-agent","workflow_name":"default","started_at":"2026-02-07T14:22:00Z",`, ids.Runs[0].ID) +
		`"completed_at":"2026-02-07T14:22:03.5Z","duration":3.5,"status":"error","cost":0.0089,"tokens":600,"session_id":null},` +
		fmt.Sprintf(`{"id":%d,"agent_name":"chat-agent","workflow_name":"support","started_at":"2026-01-15T08:30:00Z",`, ids.Runs[1].ID) +
		`"completed_at":"2026-01-15T08:30:02.8Z","duration":2.8,"status":"success","cost":1.234568,"tokens":1620,"session_id":"conv-1"}],"flags":["high_usage"]}` + "\n"
	assert.Equal(t, want, string(body))

	// Without the trailing slash, same answer.
	_, _, body2 := get(t, srv, "/api/v1/observability/users/user-456")
	assert.Equal(t, string(body), string(body2))

	// dave: three runs newest first, sibling runs of one trace included.
	code, _, body = get(t, srv, "/api/v1/observability/users/dave/")
	require.Equal(t, http.StatusOK, code)
	var dave struct {
		Runs []struct {
			StartedAt string  `json:"started_at"`
			Duration  float64 `json:"duration"`
			Cost      float64 `json:"cost"`
			SessionID *string `json:"session_id"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(body, &dave))
	require.Len(t, dave.Runs, 3)
	assert.Equal(t, "2026-01-13T09:00:00Z", dave.Runs[0].StartedAt)
	assert.Equal(t, "2026-01-12T10:00:01Z", dave.Runs[1].StartedAt)
	assert.Equal(t, "2026-01-12T10:00:00Z", dave.Runs[2].StartedAt)
	assert.Equal(t, 0.5, dave.Runs[0].Duration)
	assert.Equal(t, 5.0, dave.Runs[0].Cost)
	assert.Nil(t, dave.Runs[0].SessionID)
}

func TestGetUserNotFound(t *testing.T) {
	srv := newServer(t, mainWorld()...)
	for _, id := range []string{"nobody", "user-45", "USER-456", "a/b c"} {
		code, hdr, body := get(t, srv, "/api/v1/observability/users/"+url.PathEscape(id)+"/")
		assert.Equal(t, http.StatusNotFound, code, id)
		assert.Equal(t, "application/json", hdr.Get("Content-Type"))
		var env struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal(body, &env), string(body))
		assert.Equal(t, "not_found", env.Error.Code)
		assert.Equal(t, fmt.Sprintf("user %q not found", id), env.Error.Message)
	}
}

func TestOddUserIDs(t *testing.T) {
	oddIDs := []string{
		"a/b c",
		"ünï",
		strings.Repeat("é", 150), // 300 bytes
		strings.Repeat("ab/", 100),
		"<script>alert(1)</script>",
		"a//b",
		"..",
		"100%&x=1?#",
	}
	var traces []*traceBuilder
	base := ts("2026-03-01T00:00:00Z")
	for i, id := range oddIDs {
		tr := newTrace()
		s := base.Add(time.Duration(i) * time.Hour)
		root := tr.agent(noParent, "odd-agent", s, dur(s, "1s"), withUser(id))
		tr.llm(root, "gpt-4o", s, dur(s, "1s"), 1, 2, 3000, false)
		traces = append(traces, tr)
	}
	srv := newServer(t, traces...)

	for _, id := range oddIDs {
		escaped := url.PathEscape(id)
		if id == ".." {
			escaped = "%2E%2E"
		}
		for _, suffix := range []string{"/", ""} {
			code, _, body := get(t, srv, "/api/v1/observability/users/"+escaped+suffix)
			require.Equal(t, http.StatusOK, code, "%q: %s", id, body)
			require.True(t, json.Valid(body))
			var d struct {
				UserID     string `json:"user_id"`
				Aggregates struct {
					RunCount int64 `json:"run_count"`
				} `json:"aggregates"`
			}
			require.NoError(t, json.Unmarshal(body, &d))
			assert.Equal(t, id, d.UserID)
			assert.EqualValues(t, 1, d.Aggregates.RunCount)
		}

		// Found by search too, with the id as given in the list.
		ids, l := listIDs(t, srv, "?search="+url.QueryEscape(id))
		assert.Contains(t, ids, id)
		if l.Next != nil {
			assert.Contains(t, *l.Next, "search="+url.QueryEscape(id))
		}
	}

	code, _, body := get(t, srv, "/api/v1/observability/users/?sort=first_seen")
	require.Equal(t, http.StatusOK, code)
	assert.NotContains(t, string(body), "<script>")
	ids, _ := listIDs(t, srv, "?sort=first_seen")
	assert.Equal(t, oddIDs, ids)

	// Unescaped slashes are path structure, not part of the id.
	code, _, _ = get(t, srv, "/api/v1/observability/users/a/b%20c/")
	assert.Equal(t, http.StatusNotFound, code)
}
