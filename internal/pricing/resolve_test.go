package pricing

import (
	"strings"
	"testing"
)

func mustDefault(tb testing.TB) *Table {
	tb.Helper()
	t, err := Default()
	if err != nil {
		tb.Fatalf("Default: %v", err)
	}
	return t
}

func TestLookupResolves(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		// exact and case-insensitive
		{"gpt-4o", "gpt-4o"},
		{"GPT-4O", "gpt-4o"},
		{"  gpt-4o-mini ", "gpt-4o-mini"},
		// dated snapshots stay within their family
		{"gpt-4o-2024-08-06", "gpt-4o"},
		{"gpt-4o-2024-11-20", "gpt-4o"},
		{"gpt-4o-mini-2024-07-18", "gpt-4o-mini"},
		{"gpt-4o-2024-05-13", "gpt-4o-2024-05-13"}, // own (launch) price wins over stripping
		{"gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"},
		{"o1-mini-2024-09-12", "o1-mini"},
		{"o1-2024-12-17", "o1"},
		{"o1-preview-2024-09-12", "o1"},
		{"o3-mini-2025-01-31", "o3-mini"},
		{"o4-mini-2025-04-16", "o4-mini"},
		{"gpt-5-nano-2025-08-07", "gpt-5-nano"},
		{"gpt-5-chat-latest", "gpt-5"},
		{"gpt-4-turbo-2024-04-09", "gpt-4-turbo"},
		{"gpt-4-turbo-preview", "gpt-4-turbo"},
		{"gpt-4-1106-preview", "gpt-4-turbo"},
		{"gpt-3.5-turbo-0125", "gpt-3.5-turbo"},
		// provider prefixes
		{"openai/gpt-4o", "gpt-4o"},
		{"azure/gpt-4.1-nano", "gpt-4.1-nano"},
		{"openrouter/openai/gpt-4o-mini", "gpt-4o-mini"},
		{"OpenAI/GPT-4o-Mini-2024-07-18", "gpt-4o-mini"},
		// Anthropic, Bedrock, Vertex, OpenRouter spellings
		{"claude-3-5-sonnet-20241022", "claude-3-5-sonnet"},
		{"claude-3-5-sonnet-latest", "claude-3-5-sonnet"},
		{"anthropic/claude-3-5-haiku-20241022", "claude-3-5-haiku"},
		{"anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"},
		{"us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet"},
		{"bedrock/anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku"},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"},
		{"vertex_ai/claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet"},
		{"claude-opus-4-1@20250805", "claude-opus-4-1"},
		{"claude-opus-4-1-20250805", "claude-opus-4-1"}, // not claude-opus-4
		{"claude-opus-4-20250514", "claude-opus-4"},
		{"claude-sonnet-4-5-20250929", "claude-sonnet-4-5"},
		{"claude-haiku-4-5-20251001", "claude-haiku-4-5"},
		{"anthropic/claude-3.7-sonnet:thinking", "claude-3-7-sonnet"},
		{"openrouter/anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"},
		// Gemini
		{"models/gemini-2.0-flash-001", "gemini-2.0-flash"},
		{"gemini-2.0-flash-lite-001", "gemini-2.0-flash-lite"}, // not gemini-2.0-flash
		{"gemini-2.0-flash-lite-preview-02-05", "gemini-2.0-flash-lite"},
		{"google/gemini-1.5-pro-002", "gemini-1.5-pro"},
		{"gemini-1.5-flash-latest", "gemini-1.5-flash"},
		{"vertex_ai/gemini-1.5-pro@001", "gemini-1.5-pro"},
		{"gemini-2.5-pro-preview-05-06", "gemini-2.5-pro"},
		{"gemini-2.5-flash-preview-09-2025", "gemini-2.5-flash"},
		{"gemini-2.5-flash-lite-preview-06-17", "gemini-2.5-flash-lite"}, // not gemini-2.5-flash
		// Mistral, DeepSeek, xAI
		{"mistral/mistral-large-latest", "mistral-large"},
		{"mistral-large-2411", "mistral-large"},
		{"mistral.mistral-large-2402-v1:0", "mistral-large"},
		{"codestral-2501", "codestral"},
		{"ministral-8b-latest", "ministral-8b"},
		{"deepseek/deepseek-reasoner", "deepseek-reasoner"},
		{"xai/grok-4-0709", "grok-4"},
		{"x-ai/grok-3-mini-beta", "grok-3-mini"}, // not grok-3
		{"grok-2-1212", "grok-2"},
	}
	tab := mustDefault(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, got, ok := tab.Lookup(tc.name)
			if !ok || got != tc.want {
				t.Fatalf("Lookup(%q) = %q, %v; want %q, true", tc.name, got, ok, tc.want)
			}
			if want := tab.prices[tc.want]; p != want {
				t.Errorf("Lookup(%q) price = %+v, want %+v", tc.name, p, want)
			}
			// Second call goes through the cache and must agree.
			if _, again, ok := tab.Lookup(tc.name); !ok || again != got {
				t.Errorf("second Lookup(%q) = %q, %v", tc.name, again, ok)
			}
		})
	}
}

// Names that share a prefix with a priced model but are different (and
// differently priced) models must stay unpriced, not fall back to the
// family: reporting "unknown" is recoverable, a wrong price is not.
func TestLookupNotFound(t *testing.T) {
	tests := []string{
		"",
		"unknown-model",
		"llama-3.1-70b",
		"openai/",
		"gpt-4",      // not gpt-4-turbo, not gpt-4o
		"gpt-4-0613", // strips to gpt-4, which is unpriced
		"o1-pro",     // not o1
		"o3-pro",
		"chatgpt-4o-latest", // not gpt-4o
		"gpt-4o-realtime-preview-2024-12-17",
		"gpt-4o-mini-audio-preview",
		"gemini-1.5-flash-8b",
		"gemini-2.0-flash-exp",
		"gemini-exp-1206",
		"grok-3-fast",
		"grok-2-vision-1212",
		"ft:gpt-4o-mini-2024-07-18:acme::abc123",
		"openrouter/deepseek/deepseek-chat:free",
		"claude-3-5",
		strings.Repeat("a/", maxNameLen/2) + "gpt-4o", // over-long: resolvable, but capped
	}
	tab := mustDefault(t)
	for _, name := range tests {
		t.Run(name, func(t *testing.T) {
			if p, c, ok := tab.Lookup(name); ok {
				t.Fatalf("Lookup(%q) = %q (%+v), want not found", name, c, p)
			}
			if n, c, ok := tab.Cost(name, Usage{Input: 1000, Output: 1000}); ok || n != 0 || c != "" {
				t.Fatalf("Cost(%q) = %d, %q, %v; want 0, \"\", false", name, n, c, ok)
			}
		})
	}
}

// Every built-in name and alias must resolve to itself/its target, also when
// decorated the way providers decorate it. This catches a new table entry
// that is shadowed by, or over-strips into, another entry.
func TestBuiltinNamesResolveToThemselves(t *testing.T) {
	tab := mustDefault(t)
	check := func(name, want string) {
		t.Helper()
		if _, got, ok := tab.Lookup(name); !ok || got != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
	for name := range tab.prices {
		for _, form := range []string{
			name, "provider/" + name, name + "-2025-01-31", name + "-20250131",
			name + "-latest", name + "@20250131", name + "-001", name + "-v1:0",
		} {
			check(form, name)
		}
	}
	for a, target := range tab.alias {
		check(a, target)
		check("openrouter/x/"+a, target)
	}
}

func TestStripSuffix(t *testing.T) {
	tests := []struct{ in, want string }{
		{"gpt-4o-2024-08-06", "gpt-4o"},
		{"claude-3-haiku-20240307", "claude-3-haiku"},
		{"x@001", "x"},
		{"gemini-2.5-pro-preview-05-06", "gemini-2.5-pro"},
		{"gemini-2.5-flash-preview-09-2025", "gemini-2.5-flash"},
		{"gpt-4-turbo-preview", "gpt-4-turbo"},
		{"mistral-large-latest", "mistral-large"},
		{"claude-3-5-sonnet-v2", "claude-3-5-sonnet"},
		{"gemini-2.0-flash-001", "gemini-2.0-flash"},
		{"grok-4-0709", "grok-4"},
		// not recognised: these are model names, not versions
		{"gpt-4o-mini", ""},
		{"o1-mini", ""},
		{"ministral-8b", ""},
		{"gemini-2.5-flash-lite", ""},
		{"claude-opus-4-1", ""},
		{"gpt-4-32k", ""},
		{"-latest", ""},
		{"@x", ""},
		{"gpt-4o-preview-tts", ""},
		{"model-12", ""},
		{"model-12345", ""},
	}
	for _, tc := range tests {
		got, ok := stripSuffix(tc.in)
		if tc.want == "" {
			if ok {
				t.Errorf("stripSuffix(%q) = %q, want no change", tc.in, got)
			}
			continue
		}
		if !ok || got != tc.want {
			t.Errorf("stripSuffix(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}
