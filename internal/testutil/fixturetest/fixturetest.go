// Package fixturetest reads testdata/fixtures/expected.json, the
// machine-readable form of the README's "Expected per-user results", which
// the genai unit tests and the end-to-end tests check the fixtures against.
package fixturetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Run is one expected run of a fixture file.
type Run struct {
	User     string `json:"user"`
	Session  string `json:"session"`
	Agent    string `json:"agent"`
	Implicit bool   `json:"implicit"`
	Error    bool   `json:"error"`
	Calls    []Call `json:"calls"`
}

// Call is one expected LLM call of a run, in tokens.
type Call struct {
	Model             string `json:"model"`
	Input             int64  `json:"input"`
	Output            int64  `json:"output"`
	CacheRead         int64  `json:"cache_read"`
	CacheWrite        int64  `json:"cache_write"`
	Reasoning         int64  `json:"reasoning"`
	ReportedCostNanos int64  `json:"reported_cost_nanos"` // absent: the instrumentation reports no cost
}

// LoadExpected reads expected.json of the fixtures directory dir, keyed by
// the fixture's slash-separated path under dir ("convention/file.json").
func LoadExpected(dir string) (map[string][]Run, error) {
	path := filepath.Join(dir, "expected.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("fixturetest: %w", err)
	}
	var runs map[string][]Run
	if err := json.Unmarshal(b, &runs); err != nil {
		return nil, fmt.Errorf("fixturetest: %s: %w", path, err)
	}
	return runs, nil
}
