package pricing

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// usd converts a USD-per-1M price to the internal unit for readable tests.
func usd(s string) int64 {
	v, err := ParseUSDPerMillion(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestDefaultTable(t *testing.T) {
	tab := mustDefault(t)
	if again, _ := Default(); again != tab {
		t.Error("Default returned a different table on the second call")
	}
	if v := tab.Version(); v != "2025-10-15" {
		t.Errorf("Version() = %q", v)
	}
	required := []string{
		"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o1", "o1-mini", "o3",
		"o3-mini", "o4-mini", "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4-turbo", "gpt-3.5-turbo",
		"text-embedding-3-small", "text-embedding-3-large",
		"claude-3-5-sonnet", "claude-3-5-haiku", "claude-3-7-sonnet", "claude-3-opus", "claude-3-haiku",
		"claude-sonnet-4", "claude-opus-4", "claude-opus-4-1", "claude-sonnet-4-5", "claude-haiku-4-5",
		"gemini-1.5-pro", "gemini-1.5-flash", "gemini-2.0-flash", "gemini-2.0-flash-lite",
		"gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite",
		"mistral-large", "mistral-medium", "mistral-small", "codestral", "ministral-8b",
		"deepseek-chat", "deepseek-reasoner", "grok-2", "grok-3", "grok-3-mini", "grok-4",
	}
	for _, m := range required {
		p, ok := tab.prices[m]
		if !ok {
			t.Errorf("built-in table lacks %q", m)
			continue
		}
		if p.Input <= 0 {
			t.Errorf("%s: input price %d", m, p.Input)
		}
		if p.Output <= 0 && !strings.HasPrefix(m, "text-embedding") {
			t.Errorf("%s: output price %d", m, p.Output)
		}
		if p.HasCachedInput && p.CachedInput >= p.Input {
			t.Errorf("%s: cached input %d not below input %d", m, p.CachedInput, p.Input)
		}
		if strings.HasPrefix(m, "claude-") && m != "claude-3-haiku" {
			// Anthropic: reads 0.1x, writes 1.25x. Haiku 3 is published
			// rounded ($0.03 / $0.30) and spot-checked below instead.
			if !p.HasCachedInput || p.CachedInput*10 != p.Input {
				t.Errorf("%s: cache read %d, want 0.1 × %d", m, p.CachedInput, p.Input)
			}
			if !p.HasCacheWrite || p.CacheWrite*4 != p.Input*5 {
				t.Errorf("%s: cache write %d, want 1.25 × %d", m, p.CacheWrite, p.Input)
			}
		}
	}
	// Spot-check exact values quoted in the spec.
	spot := map[string]Price{
		"gpt-4o":      {Input: usd("2.50"), CachedInput: usd("1.25"), HasCachedInput: true, Output: usd("10")},
		"gpt-4o-mini": {Input: usd("0.15"), CachedInput: usd("0.075"), HasCachedInput: true, Output: usd("0.60")},
		"claude-3-5-sonnet": {Input: usd("3"), CachedInput: usd("0.30"), HasCachedInput: true,
			CacheWrite: usd("3.75"), HasCacheWrite: true, Output: usd("15")},
		"gpt-4-turbo": {Input: usd("10"), Output: usd("30")},
		"claude-3-haiku": {Input: usd("0.25"), CachedInput: usd("0.03"), HasCachedInput: true,
			CacheWrite: usd("0.30"), HasCacheWrite: true, Output: usd("1.25")},
	}
	for m, want := range spot {
		if got := tab.prices[m]; got != want {
			t.Errorf("%s = %+v, want %+v", m, got, want)
		}
	}
}

func TestWith(t *testing.T) {
	base := mustDefault(t)
	before, _, _ := base.Lookup("gpt-4o")
	custom := Price{Input: 1_000_000, Output: 2_000_000}
	cheap := Price{Input: 1, Output: 1}

	n := base.With(map[string]Price{
		"GPT-4o":            custom, // replaces gpt-4o (case-insensitive), keeps its name
		"my-finetune":       cheap,  // adds
		"claude-3.5-sonnet": cheap,  // shadows a built-in alias with its own entry
		"":                  cheap,  // ignored
	})

	tests := []struct {
		model, canonical string
		want             Price
	}{
		{"gpt-4o", "gpt-4o", custom},
		{"openai/gpt-4o-2024-08-06", "gpt-4o", custom}, // dated names follow the override
		{"gpt-4o-mini", "gpt-4o-mini", base.prices["gpt-4o-mini"]},
		{"my-finetune", "my-finetune", cheap},
		{"MY-FINETUNE", "my-finetune", cheap},
		{"my-finetune-2025-01-01", "my-finetune", cheap},
		{"claude-3.5-sonnet", "claude-3.5-sonnet", cheap},
		{"claude-3-5-sonnet", "claude-3-5-sonnet", base.prices["claude-3-5-sonnet"]},
	}
	for _, tc := range tests {
		p, c, ok := n.Lookup(tc.model)
		if !ok || c != tc.canonical || p != tc.want {
			t.Errorf("With: Lookup(%q) = %+v, %q, %v; want %+v, %q", tc.model, p, c, ok, tc.want, tc.canonical)
		}
	}
	if _, ok := n.prices["GPT-4o"]; ok {
		t.Error("case-variant override added a second gpt-4o entry")
	}
	if _, ok := n.prices[""]; ok {
		t.Error("empty override key was added")
	}
	if got := n.Version(); got != base.Version()+"+overrides" {
		t.Errorf("Version() after With = %q", got)
	}
	if got := n.With(map[string]Price{"x": cheap}).Version(); got != base.Version()+"+overrides" {
		t.Errorf("Version() after two Withs = %q", got)
	}

	// The original is untouched, including its resolution cache.
	if p, _, _ := base.Lookup("gpt-4o"); p != before {
		t.Errorf("base gpt-4o changed to %+v", p)
	}
	if _, _, ok := base.Lookup("my-finetune"); ok {
		t.Error("override leaked into the base table")
	}
	if base.With(nil) != base {
		t.Error("With(nil) should return the table itself")
	}
}

func TestWithOverridesOrder(t *testing.T) {
	a, b := Price{Input: 1}, Price{Input: 2}
	n := New("v1", nil).WithOverrides([]Override{{"m", a}, {"M", b}})
	if p, c, ok := n.Lookup("m"); !ok || c != "m" || p != b {
		t.Errorf("Lookup(m) = %+v, %q, %v; want later override %+v", p, c, ok, b)
	}
}

func TestNew(t *testing.T) {
	p := Price{Input: 5, Output: 7}
	tab := New("custom", map[string]Price{"Acme-Large": p})
	if tab.Version() != "custom" {
		t.Errorf("Version() = %q", tab.Version())
	}
	for _, name := range []string{"Acme-Large", "acme-large", "acme/acme-large-latest"} {
		if got, c, ok := tab.Lookup(name); !ok || c != "Acme-Large" || got != p {
			t.Errorf("Lookup(%q) = %+v, %q, %v", name, got, c, ok)
		}
	}
}

func TestParseBuiltinRejects(t *testing.T) {
	tests := []struct{ name, json, wantErr string }{
		{"unknown field", `{"as_of":"x","unit":"USD per 1M tokens","models":{"m":{"input":1,"output":1,"inptu":2}}}`, "inptu"},
		{"missing as_of", `{"unit":"USD per 1M tokens","models":{}}`, "as_of"},
		{"wrong unit", `{"as_of":"x","unit":"USD per token","models":{}}`, "unit"},
		{"missing output", `{"as_of":"x","unit":"USD per 1M tokens","models":{"m":{"input":1}}}`, "required"},
		{"inexact", `{"as_of":"x","unit":"USD per 1M tokens","models":{"m":{"input":0.0000001,"output":1}}}`, `"m"`},
		{"negative", `{"as_of":"x","unit":"USD per 1M tokens","models":{"m":{"input":1,"output":-1}}}`, "negative"},
		{"upper-case name", `{"as_of":"x","unit":"USD per 1M tokens","models":{"M":{"input":1,"output":1}}}`, "lower-case"},
		{"alias is a model", `{"as_of":"x","unit":"USD per 1M tokens","models":{"a":{"input":1,"output":1,"aliases":["b"]},"b":{"input":1,"output":1}}}`, "also a model"},
		{"alias twice", `{"as_of":"x","unit":"USD per 1M tokens","models":{"a":{"input":1,"output":1,"aliases":["c"]},"b":{"input":1,"output":1,"aliases":["c"]}}}`, "both"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseBuiltin([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("parseBuiltin error = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

// Run with -race: concurrent lookups share the resolution cache.
func TestConcurrentLookup(t *testing.T) {
	tab := mustDefault(t).With(map[string]Price{"extra": {Input: 1}})
	names := []string{"gpt-4o-2024-08-06", "GPT-4O", "nope", "models/gemini-2.0-flash-001", "extra-latest"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				name := names[(g+i)%len(names)]
				if i%7 == 0 {
					name = fmt.Sprintf("unknown-%d-%d", g, i)
				}
				tab.Cost(name, Usage{Input: 10, Output: 10})
			}
		})
	}
	wg.Wait()
	if n := tab.cached.Load(); n > maxCacheEntries {
		t.Errorf("cache grew to %d entries", n)
	}
}

func TestCacheBounded(t *testing.T) {
	tab := New("v", map[string]Price{"m": {Input: 1}})
	for i := range maxCacheEntries + 100 {
		tab.Lookup(fmt.Sprintf("unknown-%d", i))
	}
	if n := tab.cached.Load(); n != maxCacheEntries {
		t.Errorf("cache holds %d entries, want cap %d", n, maxCacheEntries)
	}
	// Still resolves correctly once the cache is full.
	if _, c, ok := tab.Lookup("m-latest"); !ok || c != "m" {
		t.Errorf("Lookup after cache full = %q, %v", c, ok)
	}
}
