package pricing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadLiteLLMFile(t *testing.T) {
	got, err := LoadLiteLLMFile(filepath.Join("testdata", "litellm_sample.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Price{
		"gpt-4o": {Input: 2_500_000, CachedInput: 1_250_000, HasCachedInput: true, Output: 10_000_000},
		"claude-3-5-sonnet-20241022": {Input: 3_000_000, CacheWrite: 3_750_000, HasCacheWrite: true,
			CachedInput: 300_000, HasCachedInput: true, Output: 15_000_000},
		"gemini/gemini-2.5-flash": {Input: 300_000, CachedInput: 30_000, HasCachedInput: true,
			Output: 2_500_000, Reasoning: 2_500_000, HasReasoning: true},
		// above_200k tiers ignored
		"gemini/gemini-2.5-pro":  {Input: 1_250_000, CachedInput: 125_000, HasCachedInput: true, Output: 10_000_000},
		"deepseek/deepseek-chat": {Input: 280_000, CachedInput: 28_000, HasCachedInput: true, Output: 420_000},
		"text-embedding-3-small": {Input: 20_000},
		"voyage/voyage-3-lite":   {Input: 20_000}, // output absent -> 0
		// 3.33…e-07 and 6.66…e-07 USD/token round half-up to the micro-USD/M unit; null is absent
		"bedrock/us-east-1/example-thirds": {Input: 333_333, Output: 666_667},
	}
	if len(got) != len(want) {
		t.Errorf("got %d models, want %d: %v", len(got), len(want), got)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s = %+v (present %v), want %+v", k, g, ok, w)
		}
	}
	for _, skipped := range []string{"sample_spec", "dall-e-3", "whisper-1"} {
		if _, ok := got[skipped]; ok {
			t.Errorf("%s should be skipped", skipped)
		}
	}

	// Loaded prices work as overrides: the LiteLLM "gpt-4o" replaces the
	// built-in one, and its prefixed keys are reachable exactly.
	tab := mustDefault(t).With(got)
	if n, c, ok := tab.Cost("gemini/gemini-2.5-flash", Usage{Output: 1000, Reasoning: 1000}); !ok || c != "gemini/gemini-2.5-flash" || n != 2_500_000 {
		t.Errorf("Cost via LiteLLM entry = %d, %q, %v", n, c, ok)
	}
	if _, c, ok := tab.Lookup("claude-3-5-sonnet-20241022"); !ok || c != "claude-3-5-sonnet-20241022" {
		t.Errorf("exact LiteLLM key should win over stripping, got %q, %v", c, ok)
	}
}

func TestParseLiteLLMMalformed(t *testing.T) {
	tests := []struct {
		name, json string
		wantErr    []string // substrings
	}{
		{"string cost", `{"m1": {"input_cost_per_token": "1e-6", "output_cost_per_token": 1e-6}}`,
			[]string{`"m1"`, `"input_cost_per_token"`, "string"}},
		{"bool cost", `{"m1": {"input_cost_per_token": 1e-6, "cache_read_input_token_cost": true}}`,
			[]string{`"m1"`, `"cache_read_input_token_cost"`, "boolean"}},
		{"negative cost", `{"m2": {"input_cost_per_token": -1e-6}}`,
			[]string{`"m2"`, `"input_cost_per_token"`, "negative"}},
		{"huge cost", `{"m3": {"output_cost_per_token": 1e300}}`,
			[]string{`"m3"`, `"output_cost_per_token"`, "range"}},
		{"entry not object", `{"m4": 3}`, []string{`"m4"`, "number", "want an object"}},
		{"entry null", `{"m5": null}`, []string{`"m5"`, "null"}},
		{"first bad key reported", `{"zz": 1, "aa": [], "mm": {"input_cost_per_token": 1e-6}}`, []string{`"aa"`, "array"}},
		{"top-level array", `[1, 2]`, []string{"cannot unmarshal"}},
		{"top-level null", `null`, []string{"null"}},
		{"empty", ``, []string{"EOF"}},
		{"truncated", `{"m": {"input_cost_per_token": 1e-6`, []string{"unexpected EOF"}},
		{"trailing data", `{} {}`, []string{"after the top-level"}},
		{"empty key", `{"": {"input_cost_per_token": 1e-6}}`, []string{"empty model key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLiteLLM(strings.NewReader(tc.json))
			if err == nil {
				t.Fatalf("ParseLiteLLM succeeded with %v", got)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %s", err, s)
				}
			}
		})
	}

	_, err := LoadLiteLLMFile(filepath.Join("testdata", "litellm_malformed.json"))
	if err == nil || !strings.Contains(err.Error(), `"broken-model"`) || !strings.Contains(err.Error(), "litellm_malformed.json") {
		t.Errorf("malformed fixture error = %v, want file, model and field named", err)
	}
	if _, err := LoadLiteLLMFile(filepath.Join(t.TempDir(), "missing.json")); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing file error = %v", err)
	}
}

func TestParseLiteLLMLenient(t *testing.T) {
	// Unknown fields, odd-but-valid numbers and an all-skipped file are fine.
	got, err := ParseLiteLLM(strings.NewReader(`{
		"sample_spec": {"input_cost_per_token": "not checked"},
		"a": {"input_cost_per_token": 0, "output_cost_per_token": 0.0, "new_field": {"x": [1]}},
		"b": {"input_cost_per_token": 1E-6, "output_cost_per_token": 2e+0},
		"c": {"mode": "image_generation", "output_cost_per_image": 0.04},
		"d": {"input_cost_per_token": 1e-400, "output_cost_per_token": 0.0000000000004999}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Price{
		"a": {}, // free, but priced
		"b": {Input: 1_000_000, Output: 2_000_000_000_000},
		"d": {}, // below the unit: rounds to 0
	}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("%s = %+v (present %v), want %+v", k, g, ok, w)
		}
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}
