package pricing

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParseLiteLLM(f *testing.F) {
	for _, name := range []string{"litellm_sample.json", "litellm_malformed.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"m": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05}}`))
	f.Add([]byte(`{"m": {"input_cost_per_token": 1e-400, "cache_read_input_token_cost": null}}`))
	f.Add([]byte(`{"sample_spec": 1, "m": []}`))
	f.Add([]byte(`null`))

	usages := []Usage{{Input: 1000, Output: 1000}, {Input: 1e9, CacheRead: 5e8, CacheWrite: 1e8, Output: 1e9, Reasoning: 9e8}}
	f.Fuzz(func(t *testing.T, data []byte) {
		prices, err := ParseLiteLLM(bytes.NewReader(data))
		if err != nil {
			if prices != nil {
				t.Fatal("non-nil result with an error")
			}
			return
		}
		if _, ok := prices["sample_spec"]; ok {
			t.Fatal("sample_spec was parsed as a model")
		}
		for k, p := range prices {
			if p.Input < 0 || p.Output < 0 || p.CachedInput < 0 || p.CacheWrite < 0 || p.Reasoning < 0 {
				t.Fatalf("%q: negative price %+v", k, p)
			}
			for _, u := range usages {
				if c := p.Cost(u); c < 0 {
					t.Fatalf("%q: negative cost %d", k, c)
				}
			}
		}
		// Parsing is deterministic.
		again, err := ParseLiteLLM(bytes.NewReader(data))
		if err != nil || len(again) != len(prices) {
			t.Fatalf("second parse differs: %v", err)
		}
		for k, p := range prices {
			if again[k] != p {
				t.Fatalf("%q: second parse %+v != %+v", k, again[k], p)
			}
		}
	})
}

func FuzzLookup(f *testing.F) {
	for _, s := range []string{
		"gpt-4o-2024-08-06", "GPT-4O", "anthropic.claude-3-5-sonnet-20241022-v2:0",
		"models/gemini-2.0-flash-001", "vertex_ai/claude-3-5-sonnet-v2@20241022",
		"openrouter/deepseek/deepseek-chat:free", "ft:gpt-4o:x", "@", "-latest", "us.us.us.x",
		"gemini-2.5-flash-preview-09-2025", "a-001-001-001-001-001-001-001-001-001-001-001-001-001-001-001-001-001-gpt-4o",
	} {
		f.Add(s, int64(1000), int64(500), int64(200), int64(100), int64(50))
	}
	f.Add("gpt-4o", int64(-1), int64(1<<62), int64(-1<<63), int64(1<<63-1), int64(0))
	tab := mustDefault(f)

	f.Fuzz(func(t *testing.T, name string, in, out, read, write, reason int64) {
		u := Usage{Input: in, Output: out, CacheRead: read, CacheWrite: write, Reasoning: reason}
		p, c, ok := tab.Lookup(name)
		n, c2, ok2 := tab.Cost(name, u)
		if ok != ok2 || c != c2 {
			t.Fatalf("Lookup/Cost disagree: %q,%v vs %q,%v", c, ok, c2, ok2)
		}
		if n < 0 {
			t.Fatalf("negative cost %d", n)
		}
		if !ok {
			if n != 0 || c != "" {
				t.Fatalf("unpriced model has cost %d, canonical %q", n, c)
			}
			return
		}
		if n != p.Cost(u) {
			t.Fatalf("Table.Cost %d != Price.Cost %d", n, p.Cost(u))
		}
		// The canonical name is a real entry that resolves to itself, and
		// the (cached) answer matches a fresh resolution.
		if _, self, ok := tab.Lookup(c); !ok || self != c {
			t.Fatalf("canonical %q resolves to %q, %v", c, self, ok)
		}
		if _, exact := tab.prices[name]; !exact {
			if slow, ok := tab.resolveSlow(name); !ok || slow != c {
				t.Fatalf("uncached resolution of %q = %q, %v; cached %q", name, slow, ok, c)
			}
		}
		// Adding tokens never lowers the cost.
		more := u
		more.Output = max(out, 0) + 1
		if n2 := p.Cost(more); n2 < n && out < 1<<62 {
			t.Fatalf("cost fell from %d to %d with one more output token", n, n2)
		}
	})
}
