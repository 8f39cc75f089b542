package fixturetest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestLoadExpected(t *testing.T) {
	tests := []struct {
		name    string
		file    string // expected.json; empty: none
		want    map[string][]Run
		wantErr string
	}{
		{
			name: "every field",
			file: `{"a/run.json": [{"user": "u1", "session": "s1", "agent": "ag", "implicit": true, "error": true, "calls": [
				{"model": "m", "input": 10, "output": 2, "cache_read": 3, "cache_write": 4, "reasoning": 5, "reported_cost_nanos": 6},
				{"model": "n", "input": 1, "output": 1}]}],
				"b/empty.json": []}`,
			want: map[string][]Run{
				"a/run.json": {{User: "u1", Session: "s1", Agent: "ag", Implicit: true, Error: true, Calls: []Call{
					{Model: "m", Input: 10, Output: 2, CacheRead: 3, CacheWrite: 4, Reasoning: 5, ReportedCostNanos: 6},
					{Model: "n", Input: 1, Output: 1},
				}}},
				"b/empty.json": {},
			},
		},
		{name: "not JSON", file: `{"a/run.json": [`, wantErr: "expected.json: unexpected end of JSON input"},
		{name: "wrong type", file: `{"a/run.json": [{"calls": [{"input": "ten"}]}]}`, wantErr: "cannot unmarshal string"},
		{name: "missing", wantErr: "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.file != "" {
				if err := os.WriteFile(filepath.Join(dir, "expected.json"), []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := LoadExpected(dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("LoadExpected: %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestLoadExpectedFixtures: the repository's expected.json decodes, and
// names only fixture files that exist.
func TestLoadExpectedFixtures(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "testdata", "fixtures")
	runs, err := LoadExpected(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) == 0 {
		t.Fatal("expected.json names no fixture")
	}
	for rel := range runs {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			t.Errorf("expected.json names %s: %v", rel, err)
		}
	}
}
