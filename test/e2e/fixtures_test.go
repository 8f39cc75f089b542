package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// TestFixtures posts every recorded OTLP/JSON fixture (testdata/fixtures,
// real instrumentation libraries of several conventions) to the collector
// and checks that all are accepted and that the users of the fixtures'
// README show up with their agents. The exact per-convention numbers are
// checked by the processor's own tests.
func TestFixtures(t *testing.T) {
	root := filepath.Join(repoRoot, "testdata", "fixtures")
	// One directory per convention; expected.json at the top is not a fixture.
	files, err := filepath.Glob(filepath.Join(root, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("found %d fixtures under %s, want at least 20", len(files), root)
	}

	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := startCollector(t, b.newStore(t))
			for _, f := range files {
				body, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				name, _ := filepath.Rel(root, f)
				status, _, resp := postTraces(t, c, body, contentTypeJSON)
				if status != http.StatusOK {
					t.Errorf("%s: status %d: %s", name, status, resp)
					continue
				}
				r := ptraceotlp.NewExportResponse()
				if err := r.UnmarshalJSON(resp); err != nil {
					t.Errorf("%s: cannot decode the answer %q: %v", name, resp, err)
				} else if ps := r.PartialSuccess(); ps.RejectedSpans() != 0 {
					t.Errorf("%s: %d spans rejected: %s", name, ps.RejectedSpans(), ps.ErrorMessage())
				}
			}

			// The users of the README, with (some of) their agents.
			want := map[string][]string{
				"user-123": {"support-agent"},
				"user-456": {"triage-agent"},
				"user-789": nil, // Vercel runs without a function id: no agent name to expect
				"user-a":   {"support-agent"},
				"user-b":   {"support-agent"},
				"user-c":   {"support-agent"},
			}
			var last []fixtureUser
			c.waitFor(t, usersPath+"?limit=100", dataTimeout, func(body []byte) bool {
				var p struct{ Results []fixtureUser }
				if json.Unmarshal(body, &p) != nil {
					return false
				}
				last = p.Results
				for id, agents := range want {
					i := slices.IndexFunc(p.Results, func(u fixtureUser) bool { return u.UserID == id })
					if i < 0 {
						return false
					}
					for _, a := range agents {
						if !slices.Contains(p.Results[i].Agents, a) {
							return false
						}
					}
				}
				return true
			})
			for _, u := range last {
				if u.RunCount < 1 {
					t.Errorf("user %s: run_count %d", u.UserID, u.RunCount)
				}
			}
			// user-123's runs all made successful calls: it has tokens and cost.
			var d struct {
				Aggregates struct {
					TotalTokens int64       `json:"total_tokens"`
					TotalCost   json.Number `json:"total_cost"`
				} `json:"aggregates"`
				CostByModel []struct{ Model string } `json:"cost_by_model"`
			}
			if err := json.Unmarshal(c.api(t, usersPath+"user-123/", http.StatusOK), &d); err != nil {
				t.Fatal(err)
			}
			if d.Aggregates.TotalTokens <= 0 || d.Aggregates.TotalCost == "0" || len(d.CostByModel) == 0 {
				t.Errorf("user-123: %+v, want tokens, cost and models", d)
			}
		})
	}
}

type fixtureUser struct {
	UserID   string   `json:"user_id"`
	RunCount int64    `json:"run_count"`
	Agents   []string `json:"agents"`
}
