package api_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const runsURL = "/api/v1/observability/runs/"

// hostileUser is a user id that CSV and spreadsheets must survive.
const hostileUser = "=evil,\"q\"\nline"

// runsWorld: erin's four runs (three in conv-1, one without a session),
// frank's run in conv-1, and two runs of hostileUser in session "s,2" that
// start at the same instant, one failed.
func runsWorld() []*traceBuilder {
	var out []*traceBuilder
	day := ts("2026-02-01T00:00:00Z")
	add := func(at, agent, user, session string, opts ...spanOpt) {
		b := newTrace()
		s := dur(day, at)
		root := b.agent(noParent, agent, s, dur(s, "2s"), append([]spanOpt{withUser(user), withSession(session)}, opts...)...)
		b.llm(root, "gpt-4o", s, dur(s, "1s"), 100, 50, 1_500_000, false)
		out = append(out, b)
	}
	add("8h", "chat-agent", "erin", "conv-1")
	add("9h", "chat-agent", "erin", "conv-1")
	add("9h30m", "chat-agent", "frank", "conv-1")
	add("10h", "chat-agent", "erin", "conv-1")
	add("11h", "tool-agent", "erin", "")
	add("12h", "chat-agent", hostileUser, "s,2")
	add("12h", "chat-agent", hostileUser, "s,2", failed())
	return out
}

type runRow struct {
	ID           int64   `json:"id"`
	AgentName    string  `json:"agent_name"`
	WorkflowName string  `json:"workflow_name"`
	StartedAt    string  `json:"started_at"`
	CompletedAt  string  `json:"completed_at"`
	Duration     float64 `json:"duration"`
	Status       string  `json:"status"`
	Cost         float64 `json:"cost"`
	Tokens       int64   `json:"tokens"`
	SessionID    *string `json:"session_id"`
	UserID       *string `json:"user_id"`
}

func (r runRow) id() string { return fmt.Sprintf("%s %s", *r.UserID, r.StartedAt[11:16]) }

type runList = listPage[runRow]

func TestRunsList(t *testing.T) {
	bothStores(t, runsWorld(), func(t *testing.T, srv *storeServer) {
		var l runList
		body := getJSON(t, srv, runsURL+"?user_id=erin&limit=2", 200, &l)
		assert.Equal(t, []string{"erin 11:00", "erin 10:00"}, ids(l.Results))
		assert.EqualValues(t, 4, l.Count)
		require.NotNil(t, l.Next)
		assert.Equal(t, "?offset=2&limit=2&user_id=erin", *l.Next)
		assert.Nil(t, l.Previous)
		require.NotNil(t, l.NextCursor)
		first := l.Results[0]
		assert.Contains(t, body, fmt.Sprintf(`{"id":%d,"agent_name":"tool-agent","workflow_name":"default",`+
			`"started_at":"2026-02-01T11:00:00Z","completed_at":"2026-02-01T11:00:02Z","duration":2,"status":"success",`+
			`"cost":0.0015,"tokens":150,"session_id":null,"user_id":"erin"}`, first.ID))

		// The run's own page has the same run.
		var d struct {
			AgentName string `json:"agent_name"`
		}
		getJSON(t, srv, fmt.Sprintf("%s%d/", runsURL, first.ID), 200, &d)
		assert.Equal(t, "tool-agent", d.AgentName)

		for q, want := range map[string][]string{
			"?session_id=conv-1&sort=started_at":       {"erin 08:00", "erin 09:00", "frank 09:30", "erin 10:00"},
			"?session_id=conv-1":                       {"erin 10:00", "frank 09:30", "erin 09:00", "erin 08:00"},
			"?user_id=erin&session_id=conv-1":          {"erin 10:00", "erin 09:00", "erin 08:00"},
			"?user_id=erin&agent=tool-agent":           {"erin 11:00"},
			"?session_id=conv-1&agent=tool-agent":      {},
			"?user_id=nobody":                          {},
			"?user_id=erin&end=2026-02-01T09:00:00Z":   {"erin 08:00"},
			"?user_id=erin&start=2026-02-01T09:00:00Z": {"erin 11:00", "erin 10:00", "erin 09:00"},
			// A run starting at start counts, one starting at end does not;
			// an offset is converted.
			"?user_id=erin&start=" + url.QueryEscape("2026-02-01T11:00:00+02:00") + "&end=2026-02-01T10:00:00Z": {"erin 09:00"},
		} {
			getJSON(t, srv, runsURL+q, 200, &l)
			assert.Equal(t, want, ids(l.Results), q)
			assert.Equal(t, int64(len(want)), l.Count, q)
		}
		getJSON(t, srv, runsURL+"?user_id=erin&start="+url.QueryEscape("2026-02-01T11:00:00+02:00")+"&limit=1", 200, &l)
		require.NotNil(t, l.Next)
		assert.Equal(t, "?offset=1&limit=1&user_id=erin&start=2026-02-01T09%3A00%3A00Z", *l.Next, "times are echoed in UTC")

		getJSON(t, srv, runsURL+"?user_id=erin&offset=2&limit=2", 200, &l)
		assert.Equal(t, []string{"erin 09:00", "erin 08:00"}, ids(l.Results))
		assert.EqualValues(t, 4, l.Count)
		assert.Nil(t, l.Next)

		// Previous by offset.
		getJSON(t, srv, runsURL+"?session_id=conv-1&limit=3&offset=3&sort=started_at", 200, &l)
		assert.Equal(t, []string{"erin 10:00"}, ids(l.Results))
		assert.Nil(t, l.Next)
		require.NotNil(t, l.Previous)
		assert.Equal(t, "?offset=0&limit=3&sort=started_at&session_id=conv-1", *l.Previous)

		// Cursor pages, through two runs that start at the same instant.
		for _, sort := range []string{"started_at", "-started_at"} {
			var walked []int64
			target := runsURL + "?user_id=" + url.QueryEscape(hostileUser) + "&limit=1&sort=" + sort
			for range 5 {
				getJSON(t, srv, target, 200, &l)
				assert.EqualValues(t, 2, l.Count)
				for _, r := range l.Results {
					walked = append(walked, r.ID)
					assert.Equal(t, "s,2", *r.SessionID)
					assert.Equal(t, hostileUser, *r.UserID)
				}
				if l.NextCursor == nil {
					break
				}
				require.NotNil(t, l.Next)
				target = runsURL + *l.Next
			}
			require.Len(t, walked, 2, sort)
			assert.NotEqual(t, walked[0], walked[1])
			assert.Equal(t, sort == "started_at", walked[0] < walked[1], "ties by id in the list's direction (%s)", sort)
		}

		// Errors name their parameter.
		getJSON(t, srv, sessionsURL+"?limit=1", 200, &l)
		for q, param := range map[string]string{
			"":                               "user_id",
			"?agent=chat-agent":              "user_id",
			"?user_id=erin&sort=-total_cost": "sort",
			"?user_id=erin&limit=0":          "limit",
			"?user_id=erin&limit=101":        "limit",
			"?user_id=erin&offset=-1":        "offset",
			"?user_id=erin&start=2026-02-02&end=2026-02-01": "start",
			"?user_id=erin&start=yesterday":                 "start",
			"?user_id=erin&cursor=" + *l.NextCursor:         "cursor",
			"?user_id=erin&cursor=abc":                      "cursor",
			"?user_id=erin&format=xml":                      "format",
			"?user_id=erin&user_id=frank":                   "user_id",
		} {
			assert.Equal(t, param, errParam(t, srv, runsURL+q), q)
		}
		getJSON(t, srv, runsURL+"?user_id=erin&limit=1", 200, &l)
		assert.Equal(t, "offset", errParam(t, srv, runsURL+"?user_id=erin&offset=1&cursor="+*l.NextCursor))
		assert.Equal(t, "cursor", errParam(t, srv, runsURL+"?user_id=frank&cursor="+*l.NextCursor),
			"a cursor belongs to its filters")
	})
}

func TestRunsCSV(t *testing.T) {
	bothStores(t, runsWorld(), func(t *testing.T, srv *storeServer) {
		rows, hdr := readCSV(t, srv, runsURL+"?session_id="+url.QueryEscape("s,2")+"&format=csv&sort=started_at")
		assert.Equal(t, `attachment; filename="runs.csv"`, hdr.Get("Content-Disposition"))
		require.Len(t, rows, 3)
		assert.Equal(t, []string{"id", "user_id", "session_id", "agent_name", "workflow_name", "started_at",
			"completed_at", "duration", "status", "cost", "tokens"}, rows[0])
		statuses := map[string]bool{}
		for _, r := range rows[1:] {
			assert.Equal(t, "'"+hostileUser, r[1], "a formula-like id is quoted for spreadsheets")
			assert.Equal(t, []string{"s,2", "chat-agent", "default", "2026-02-01T12:00:00Z", "2026-02-01T12:00:02Z", "2",
				"0.0015", "150"}, append(r[2:8:8], r[9:]...))
			statuses[r[8]] = true
		}
		assert.Equal(t, map[string]bool{"success": true, "error": true}, statuses)

		// Every run, whatever the page parameters say.
		rows, _ = readCSV(t, srv, runsURL+"?user_id=erin&format=csv&limit=1&offset=2")
		require.Len(t, rows, 5)
		var starts []string
		for _, r := range rows[1:] {
			starts = append(starts, r[5])
		}
		assert.Equal(t, []string{"2026-02-01T11:00:00Z", "2026-02-01T10:00:00Z", "2026-02-01T09:00:00Z",
			"2026-02-01T08:00:00Z"}, starts)
		assert.Equal(t, "user_id", errParam(t, srv, runsURL+"?format=csv"))
	})
}
