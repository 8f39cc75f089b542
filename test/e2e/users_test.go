package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

const usersPath = "/api/v1/observability/users/"

// dataTimeout bounds the wait for sent spans to show in the API.
const dataTimeout = 60 * time.Second

// Expected users-list entries (lifetime aggregates; see dataset_test.go for
// the arithmetic). Rows are the seed contract's fields plus the abuse flags
// (docs/api.md): with the default flag_k of 3.5 nobody is flagged.
const (
	wantAlice = `{"user_id": "user-alice", "run_count": 2,
		"first_seen": "2026-02-03T09:00:00Z", "last_seen": "2026-02-05T14:30:00Z",
		"total_duration": 6.7, "total_cost": 0.014912, "total_tokens": 4970,
		"agents": ["support-agent"], "flags": []}`
	// 1_826_400 + 6_750_000 = 8_576_400 nano-USD → 0.008576
	wantBob = `{"user_id": "user-bob", "run_count": 2,
		"first_seen": "2026-02-04T10:15:00Z", "last_seen": "2026-02-06T16:45:00Z",
		"total_duration": 8, "total_cost": 0.008576, "total_tokens": 11100,
		"agents": ["research-agent", "support-agent"], "flags": []}`
	wantCarol = `{"user_id": "user-carol", "run_count": 1,
		"first_seen": "2026-02-05T20:00:00Z", "last_seen": "2026-02-05T20:00:00Z",
		"total_duration": 0.9, "total_cost": 0.000108, "total_tokens": 780,
		"agents": ["triage-agent"], "flags": []}`
	// 27_000 + 54_000 + 73_500 = 154_500 nano-USD → 0.000155 (half-up)
	wantDave = `{"user_id": "user-dave", "run_count": 3,
		"first_seen": "2026-02-02T12:00:00Z", "last_seen": "2026-02-07T18:20:00Z",
		"total_duration": 7.25, "total_cost": 0.000155, "total_tokens": 720,
		"agents": ["code-agent"], "flags": []}`
)

// Expected user details: aggregates, cost by model (most expensive first,
// then by name) and runs (newest first).
var wantDetails = map[string]string{
	"user-alice": `{
		"user_id": "user-alice",
		"aggregates": {"run_count": 2, "total_duration": 6.7, "total_cost": 0.014912, "total_tokens": 4970,
			"agents": ["support-agent"], "first_seen": "2026-02-03T09:00:00Z", "last_seen": "2026-02-05T14:30:00Z"},
		"cost_by_model": [
			{"model": "gpt-4o", "total_cost": 0.01472, "total_tokens": 4050, "call_count": 2, "unpriced": false},
			{"model": "gpt-4o-mini", "total_cost": 0.000192, "total_tokens": 920, "call_count": 1, "unpriced": false}
		],
		"runs": [
			{"id": "<run id>", "agent_name": "support-agent", "workflow_name": "default",
				"started_at": "2026-02-05T14:30:00Z", "completed_at": "2026-02-05T14:30:02.5Z", "duration": 2.5,
				"status": "success", "cost": 0.00872, "tokens": 2500, "session_id": "conv-a2"},
			{"id": "<run id>", "agent_name": "support-agent", "workflow_name": "default",
				"started_at": "2026-02-03T09:00:00Z", "completed_at": "2026-02-03T09:00:04.2Z", "duration": 4.2,
				"status": "success", "cost": 0.006192, "tokens": 2470, "session_id": "conv-a1"}
		],
		"flags": []
	}`,
	"user-bob": `{
		"user_id": "user-bob",
		"aggregates": {"run_count": 2, "total_duration": 8, "total_cost": 0.008576, "total_tokens": 11100,
			"agents": ["research-agent", "support-agent"], "first_seen": "2026-02-04T10:15:00Z", "last_seen": "2026-02-06T16:45:00Z"},
		"cost_by_model": [
			{"model": "gpt-4o", "total_cost": 0.00675, "total_tokens": 1800, "call_count": 2, "unpriced": false},
			{"model": "gpt-4o-mini", "total_cost": 0.001826, "total_tokens": 9300, "call_count": 2, "unpriced": false}
		],
		"runs": [
			{"id": "<run id>", "agent_name": "research-agent", "workflow_name": "default",
				"started_at": "2026-02-06T16:45:00Z", "completed_at": "2026-02-06T16:45:01.25Z", "duration": 1.25,
				"status": "error", "cost": 0.00675, "tokens": 1800, "session_id": "conv-b2"},
			{"id": "<run id>", "agent_name": "support-agent", "workflow_name": "default",
				"started_at": "2026-02-04T10:15:00Z", "completed_at": "2026-02-04T10:15:06.75Z", "duration": 6.75,
				"status": "success", "cost": 0.001826, "tokens": 9300, "session_id": "conv-b1"}
		],
		"flags": []
	}`,
	"user-carol": `{
		"user_id": "user-carol",
		"aggregates": {"run_count": 1, "total_duration": 0.9, "total_cost": 0.000108, "total_tokens": 780,
			"agents": ["triage-agent"], "first_seen": "2026-02-05T20:00:00Z", "last_seen": "2026-02-05T20:00:00Z"},
		"cost_by_model": [
			{"model": "gpt-4o-mini", "total_cost": 0.000108, "total_tokens": 480, "call_count": 1, "unpriced": false},
			{"model": "acme-finetune-7b", "total_cost": 0, "total_tokens": 300, "call_count": 1, "unpriced": true}
		],
		"runs": [
			{"id": "<run id>", "agent_name": "triage-agent", "workflow_name": "default",
				"started_at": "2026-02-05T20:00:00Z", "completed_at": "2026-02-05T20:00:00.9Z", "duration": 0.9,
				"status": "success", "cost": 0.000108, "tokens": 780, "session_id": null}
		],
		"flags": []
	}`,
	"user-dave": `{
		"user_id": "user-dave",
		"aggregates": {"run_count": 3, "total_duration": 7.25, "total_cost": 0.000155, "total_tokens": 720,
			"agents": ["code-agent"], "first_seen": "2026-02-02T12:00:00Z", "last_seen": "2026-02-07T18:20:00Z"},
		"cost_by_model": [
			{"model": "gpt-4o-mini", "total_cost": 0.000155, "total_tokens": 720, "call_count": 3, "unpriced": false}
		],
		"runs": [
			{"id": "<run id>", "agent_name": "code-agent", "workflow_name": "default",
				"started_at": "2026-02-07T18:20:00Z", "completed_at": "2026-02-07T18:20:02.25Z", "duration": 2.25,
				"status": "success", "cost": 0.000074, "tokens": 360, "session_id": "conv-d3"},
			{"id": "<run id>", "agent_name": "code-agent", "workflow_name": "default",
				"started_at": "2026-02-07T08:00:00.25Z", "completed_at": "2026-02-07T08:00:02.25Z", "duration": 2,
				"status": "success", "cost": 0.000054, "tokens": 240, "session_id": "conv-d2"},
			{"id": "<run id>", "agent_name": "code-agent", "workflow_name": "default",
				"started_at": "2026-02-02T12:00:00Z", "completed_at": "2026-02-02T12:00:03Z", "duration": 3,
				"status": "success", "cost": 0.000027, "tokens": 120, "session_id": "conv-d1"}
		],
		"flags": []
	}`,
}

var userEntries = map[string]string{
	"alice": wantAlice, "bob": wantBob, "carol": wantCarol, "dave": wantDave,
	// bob with flag_k=2: his total_tokens' modified z-score against all four
	// users is 0.6745·(11100−2875)/2125 ≈ 2.61 (median 2875, MAD 2125).
	"bob!": strings.Replace(wantBob, `"flags": []`, `"flags": ["high_usage"]`, 1),
}

// page is an expected users-list answer: count, next and previous ("" for
// null) and the users by short name. next_cursor is a cursor exactly when
// there is a next page.
func page(count int, next, previous string, users ...string) string {
	entries := make([]string, len(users))
	for i, u := range users {
		e, ok := userEntries[u]
		if !ok {
			panic("unknown user " + u)
		}
		entries[i] = e
	}
	link := func(s string) string {
		if s == "" {
			return "null"
		}
		b, _ := json.Marshal(s)
		return string(b)
	}
	cursor := "null"
	if next != "" {
		cursor = link(cursorPlaceholder)
	}
	return fmt.Sprintf(`{"results": [%s], "count": %d, "next": %s, "previous": %s, "next_cursor": %s}`,
		strings.Join(entries, ", "), count, link(next), link(previous), cursor)
}

// TestUsersAPI sends the data set over all three OTLP transports and checks
// every field of the users API, for each store; then restarts the collector
// on the same store, and replays the data.
func TestUsersAPI(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			st := b.newStore(t)
			c := startCollector(t, st)
			sendDataset(t, c, false)

			// The list holds every user's lifetime totals, so once it is
			// complete every run has been applied. Flags are left out of the
			// wait: they come from population statistics the API caches for
			// a minute (docs/api.md), which the first polls may compute from
			// a partly written data set.
			c.waitForJSON(t, usersPath+"?limit=100", dataTimeout, page(4, "", "", "dave", "bob", "carol", "alice"), "flags")

			// A restarted collector (empty statistics cache) answers
			// everything, flags included, from the complete data set.
			if err := c.Stop(); err != nil {
				t.Fatalf("stopping the collector: %v", err)
			}
			c = startCollector(t, st)
			checkUsersList(t, c)
			checkUserDetails(t, c)
			checkAPIErrors(t, c)

			// Restart on the same store: every answer is byte for byte the same.
			before := snapshot(t, c)
			if err := c.Stop(); err != nil {
				t.Fatalf("stopping the collector: %v", err)
			}
			c = startCollector(t, st)
			compareSnapshot(t, "after a restart", before, snapshot(t, c))

			// Replaying all data (a client retry, a second replica) changes
			// nothing (S6). Each request carries a run of the marker user:
			// once it has all three, every replayed span was applied.
			sendDataset(t, c, true)
			c.waitFor(t, usersPath+"zz-marker/", dataTimeout, func(body []byte) bool {
				var d struct {
					Aggregates struct {
						RunCount int64 `json:"run_count"`
					}
				}
				return json.Unmarshal(body, &d) == nil && d.Aggregates.RunCount == int64(len(markers))
			})
			compareSnapshot(t, "after replaying the data", before, snapshot(t, c))
			checkUserDetails(t, c)
		})
	}
}

func checkUsersList(t *testing.T, c *collector) {
	all := page(4, "", "", "dave", "bob", "carol", "alice")
	cases := []struct {
		query string
		want  string
	}{
		// Defaults: sort -last_seen, limit 25.
		{"", all},
		// Every sort key in both directions; ties (alice and bob both have
		// two runs) are broken by user id ascending in either direction.
		{"?sort=last_seen", page(4, "", "", "alice", "carol", "bob", "dave")},
		{"?sort=-last_seen", all},
		{"?sort=first_seen", page(4, "", "", "dave", "alice", "bob", "carol")},
		{"?sort=-first_seen", page(4, "", "", "carol", "bob", "alice", "dave")},
		{"?sort=run_count", page(4, "", "", "carol", "alice", "bob", "dave")},
		{"?sort=-run_count", page(4, "", "", "dave", "bob", "alice", "carol")},
		{"?sort=total_cost", page(4, "", "", "carol", "dave", "bob", "alice")},
		{"?sort=-total_cost", page(4, "", "", "alice", "bob", "dave", "carol")},
		{"?sort=total_tokens", page(4, "", "", "dave", "carol", "alice", "bob")},
		{"?sort=-total_tokens", page(4, "", "", "bob", "alice", "carol", "dave")},
		{"?sort=total_duration", page(4, "", "", "carol", "alice", "dave", "bob")},
		{"?sort=-total_duration", page(4, "", "", "bob", "dave", "alice", "carol")},

		// Pagination.
		{"?limit=2", page(4, "?offset=2&limit=2", "", "dave", "bob")},
		{"?limit=2&offset=2", page(4, "", "?offset=0&limit=2", "carol", "alice")},
		{"?limit=1&offset=2&sort=run_count", page(4, "?offset=3&limit=1&sort=run_count", "?offset=1&limit=1&sort=run_count", "bob")},
		{"?sort=-total_cost&limit=3&offset=1", page(4, "", "?offset=0&limit=3&sort=-total_cost", "bob", "dave", "carol")},
		{"?offset=10", page(4, "", "?offset=0&limit=25")},

		// Search: case-insensitive substring of the user id.
		{"?search=AL", page(1, "", "", "alice")},
		{"?search=o", page(2, "", "", "bob", "carol")},
		{"?search=user-", all},
		{"?search=nobody", page(0, "", "")},

		// Agent: users with at least one run of the agent.
		{"?agent=support-agent", page(2, "", "", "bob", "alice")},
		{"?agent=research-agent", page(1, "", "", "bob")},
		{"?agent=code-agent&sort=first_seen", page(1, "", "", "dave")},
		{"?agent=no-such-agent", page(0, "", "")},
		{"?agent=support-agent&limit=1", page(2, "?offset=1&limit=1&agent=support-agent", "", "bob")},
		{"?agent=support-agent&search=ALI", page(1, "", "", "alice")},

		// start/end: users with a run that started in [start, end);
		// aggregates stay lifetime totals.
		{"?start=2026-02-06T00:00:00Z", page(2, "", "", "dave", "bob")},
		{"?end=2026-02-03T09:00:00Z", page(1, "", "", "dave")},
		{"?start=2026-02-03T09:00:00Z&end=2026-02-05T00:00:00Z", page(2, "", "", "bob", "alice")},
		{"?start=2026-02-05T20:00:00Z&end=2026-02-05T20:00:00.000000001Z", page(1, "", "", "carol")},
		{"?start=2026-02-09", page(0, "", "")},
		{"?start=2026-02-01T00:00:00Z&sort=first_seen&limit=1",
			page(4, "?offset=1&limit=1&sort=first_seen&start=2026-02-01T00%3A00%3A00Z", "", "dave")},
		{"?start=2026-02-06T00:00:00%2B01:00&agent=support-agent&sort=-total_tokens&search=b&limit=1",
			page(1, "", "", "bob")},
	}
	for _, tc := range cases {
		assertJSON(t, "GET "+usersPath+tc.query, c.api(t, usersPath+tc.query, http.StatusOK), tc.want)
	}

	// Following next and previous links walks the pages.
	p1 := c.api(t, usersPath+"?limit=3&sort=total_duration&agent=", http.StatusOK)
	assertJSON(t, "page 1", p1, page(4, "?offset=3&limit=3&sort=total_duration", "", "carol", "alice", "dave"))
	p2 := c.api(t, usersPath+"?offset=3&limit=3&sort=total_duration", http.StatusOK)
	assertJSON(t, "page 2", p2, page(4, "", "?offset=0&limit=3&sort=total_duration", "bob"))
	var links struct {
		Previous   string
		NextCursor string `json:"next_cursor"`
	}
	if err := json.Unmarshal(p2, &links); err != nil {
		t.Fatal(err)
	}
	if back := c.api(t, usersPath+links.Previous, http.StatusOK); !bytes.Equal(back, p1) {
		t.Errorf("following previous from page 2:\n%s\nwant page 1:\n%s", back, p1)
	}

	// Keyset pagination: next_cursor of page 1 gives the rest.
	if err := json.Unmarshal(p1, &links); err != nil {
		t.Fatal(err)
	}
	q := "?sort=total_duration&limit=3&cursor=" + url.QueryEscape(links.NextCursor)
	assertJSON(t, "GET "+usersPath+q, c.api(t, usersPath+q, http.StatusOK), page(4, "", "", "bob"))

	// Abuse flags with a lower threshold (docs/api.md, "Abuse flags").
	assertJSON(t, "flag_k=2", c.api(t, usersPath+"?flag_k=2&limit=100", http.StatusOK),
		page(4, "", "", "dave", "bob!", "carol", "alice"))
	assertJSON(t, "user-bob flag_k=2", c.api(t, usersPath+"user-bob/?flag_k=2", http.StatusOK),
		strings.Replace(wantDetails["user-bob"], `"flags": []`, `"flags": ["high_usage"]`, 1))
}

func checkUserDetails(t *testing.T, c *collector) {
	seen := map[int64]string{}
	for _, user := range []string{"user-alice", "user-bob", "user-carol", "user-dave"} {
		ids := assertJSON(t, "GET "+usersPath+user+"/", c.api(t, usersPath+url.PathEscape(user)+"/", http.StatusOK), wantDetails[user])
		for _, id := range ids {
			if other, dup := seen[id]; dup {
				t.Errorf("run id %d appears for %s and %s", id, other, user)
			}
			seen[id] = user
		}
		checkRunsList(t, c, user)
	}
}

// checkRunsList compares a user's runs list with the runs of its detail:
// the same runs, newest first, plus each run's user id, and the user's run
// count.
func checkRunsList(t *testing.T, c *collector, user string) {
	t.Helper()
	var d struct {
		Aggregates struct {
			RunCount int64 `json:"run_count"`
		} `json:"aggregates"`
		Runs []map[string]any `json:"runs"`
	}
	if err := json.Unmarshal(c.api(t, usersPath+url.PathEscape(user)+"/", http.StatusOK), &d); err != nil {
		t.Fatalf("user %s: %v", user, err)
	}
	var l struct {
		Results []map[string]any `json:"results"`
		Count   int64            `json:"count"`
	}
	path := "/api/v1/observability/runs/?limit=100&user_id=" + url.QueryEscape(user)
	if err := json.Unmarshal(c.api(t, path, http.StatusOK), &l); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if l.Count != d.Aggregates.RunCount || len(l.Results) != len(d.Runs) {
		t.Errorf("GET %s: %d runs (count %d), the user's detail has %d (run_count %d)", path, len(l.Results), l.Count,
			len(d.Runs), d.Aggregates.RunCount)
		return
	}
	for i, r := range l.Results {
		if r["user_id"] != user {
			t.Errorf("GET %s: run %v has user %v", path, r["id"], r["user_id"])
		}
		delete(r, "user_id")
		if !reflect.DeepEqual(r, d.Runs[i]) {
			t.Errorf("GET %s: run %d is %v, the detail's is %v", path, i, r, d.Runs[i])
		}
	}
}

func checkAPIErrors(t *testing.T, c *collector) {
	cases := []struct {
		path   string
		status int
		code   string
		param  string
	}{
		{usersPath + "user-nobody/", http.StatusNotFound, "not_found", ""},
		{usersPath + "?sort=cost", http.StatusBadRequest, "invalid_parameter", "sort"},
		{usersPath + "?limit=101", http.StatusBadRequest, "invalid_parameter", "limit"},
		{usersPath + "?offset=-1", http.StatusBadRequest, "invalid_parameter", "offset"},
		{usersPath + "?start=yesterday", http.StatusBadRequest, "invalid_parameter", "start"},
	}
	for _, tc := range cases {
		body := c.api(t, tc.path, tc.status)
		var env struct {
			Error struct {
				Code      string `json:"code"`
				Message   string `json:"message"`
				Parameter string `json:"parameter"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Errorf("GET %s: the error is not JSON: %v: %s", tc.path, err, body)
			continue
		}
		if env.Error.Code != tc.code || env.Error.Parameter != tc.param || env.Error.Message == "" {
			t.Errorf("GET %s: error %+v, want code %q, parameter %q and a message", tc.path, env.Error, tc.code, tc.param)
		}
	}
}

// snapshotPaths are the answers compared across a restart and a replay.
// The lists are restricted to the data set's users (not the marker).
func snapshotPaths() []string {
	var paths []string
	for _, s := range []string{"", "last_seen", "first_seen", "run_count", "total_cost", "total_tokens", "total_duration"} {
		paths = append(paths, usersPath+"?search=user-&sort="+s)
		if s != "" {
			paths = append(paths, usersPath+"?search=user-&sort=-"+s)
		}
	}
	paths = append(paths,
		usersPath+"?search=user-&limit=2&offset=1",
		usersPath+"?search=user-&agent=support-agent",
		usersPath+"?search=user-&start=2026-02-04T00:00:00Z&end=2026-02-07T00:00:00Z",
	)
	for _, u := range []string{"user-alice", "user-bob", "user-carol", "user-dave"} {
		paths = append(paths, usersPath+u+"/")
	}
	return paths
}

func snapshot(t *testing.T, c *collector) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, p := range snapshotPaths() {
		out[p] = c.api(t, p, http.StatusOK)
	}
	return out
}

func compareSnapshot(t *testing.T, when string, before, after map[string][]byte) {
	t.Helper()
	for _, p := range snapshotPaths() {
		if !bytes.Equal(before[p], after[p]) {
			t.Errorf("GET %s changed %s:\nbefore:\n%s\nafter:\n%s", p, when, indentJSON(before[p]), indentJSON(after[p]))
		}
	}
}
