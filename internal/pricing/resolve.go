package pricing

import "strings"

// Resolution limits. Model names come from untrusted telemetry; no real
// identifier (Bedrock inference-profile ARNs included) comes close to these.
const (
	maxNameLen    = 512
	maxStripSteps = 16
)

// bedrockPrefixes are the dot-separated leading segments of Bedrock model
// IDs: cross-region inference profile regions, then the vendor
// ("us.anthropic.claude-…"). Only these are stripped, because model names
// themselves contain dots ("gpt-4.1", "claude-3.5-sonnet").
var bedrockPrefixes = map[string]bool{
	"us": true, "eu": true, "apac": true, "global": true, "us-gov": true,
	"jp": true, "au": true, "ca": true,
	"anthropic": true, "amazon": true, "meta": true, "mistral": true,
	"cohere": true, "ai21": true, "deepseek": true, "openai": true,
	"google": true, "qwen": true, "writer": true, "xai": true,
}

// resolveSlow maps a reported model name to a table key. It tries, in order,
// each form below and returns the first that is a model name or alias
// (case-insensitively):
//
//  1. the name as given, trimmed
//  2. after the last "/" (openai/, models/, vertex_ai/, openrouter/x/, ARNs)
//  3. before ":" (Bedrock "-v2:0", OpenRouter ":thinking")
//  4. without Bedrock region/vendor prefixes ("us.anthropic.")
//  5. then, one at a time, recognised version suffixes (see stripSuffix)
//
// Stripping only ever removes a recognised date/version suffix, so the
// search can stop short (unpriced) but never reach another family:
// "gpt-4o-realtime-preview" stops at "gpt-4o-realtime" and is not priced as
// gpt-4o. The order is fixed, so resolution is deterministic.
func (t *Table) resolveSlow(name string) (string, bool) {
	if len(name) > maxNameLen {
		return "", false
	}
	s := strings.ToLower(strings.TrimSpace(name))
	if c, ok := t.find(s); ok {
		return c, true
	}
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
		if c, ok := t.find(s); ok {
			return c, true
		}
	}
	// Fine-tuned models ("ft:gpt-4o-mini-2024-07-18:org::id") are billed
	// above the base model; leave them unpriced unless listed exactly.
	if strings.HasPrefix(s, "ft:") {
		return "", false
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		// OpenRouter ":free" variants cost nothing; pricing them as the
		// paid model would invent spend.
		if s[i+1:] == "free" {
			return "", false
		}
		s = s[:i]
		if c, ok := t.find(s); ok {
			return c, true
		}
	}
	if p := stripBedrockPrefixes(s); p != s {
		s = p
		if c, ok := t.find(s); ok {
			return c, true
		}
	}
	for range maxStripSteps {
		next, ok := stripSuffix(s)
		if !ok {
			break
		}
		s = next
		if c, ok := t.find(s); ok {
			return c, true
		}
	}
	return "", false
}

// find looks s (already lower-cased) up among model names, then aliases;
// a model name always wins over an alias of another model.
func (t *Table) find(s string) (string, bool) {
	if c, ok := t.fold[s]; ok {
		return c, true
	}
	c, ok := t.alias[s]
	return c, ok
}

func stripBedrockPrefixes(s string) string {
	for range 3 {
		i := strings.IndexByte(s, '.')
		if i < 0 || !bedrockPrefixes[s[:i]] {
			break
		}
		s = s[i+1:]
	}
	return s
}

// stripSuffix removes one recognised version suffix from s. Rules are tried
// in a fixed order; the "-preview-MM-YYYY" rule precedes the bare numeric one
// so that "-09-2025" is removed as a unit.
func stripSuffix(s string) (string, bool) {
	// Vertex "claude-3-5-sonnet-v2@20241022", "gemini-1.5-pro@001".
	if i := strings.LastIndexByte(s, '@'); i > 0 {
		return s[:i], true
	}
	// OpenAI "-2024-08-06".
	if n := len(s); n > 11 && s[n-11] == '-' && isDigits(s[n-10:n-6]) && s[n-6] == '-' &&
		isDigits(s[n-5:n-3]) && s[n-3] == '-' && isDigits(s[n-2:]) {
		return s[:n-11], true
	}
	// Anthropic "-20241022".
	if n := len(s); n > 9 && s[n-9] == '-' && isDigits(s[n-8:]) {
		return s[:n-9], true
	}
	// Gemini "-preview-05-06", "-preview-09-2025", OpenAI "-preview".
	if i := strings.LastIndex(s, "-preview"); i > 0 && isPreviewTail(s[i+len("-preview"):]) {
		return s[:i], true
	}
	if b, ok := strings.CutSuffix(s, "-latest"); ok && b != "" {
		return b, true
	}
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return s, false
	}
	tail := s[i+1:]
	// Bedrock/Vertex revision "-v1", "-v2".
	if len(tail) >= 2 && len(tail) <= 3 && tail[0] == 'v' && isDigits(tail[1:]) {
		return s[:i], true
	}
	// Gemini "-001", snapshot "-0125", "-1212", Mistral "-2411".
	if (len(tail) == 3 || len(tail) == 4) && isDigits(tail) {
		return s[:i], true
	}
	return s, false
}

// isPreviewTail reports whether t (what follows "-preview") is empty,
// "-MM-DD" or "-MM-YYYY".
func isPreviewTail(t string) bool {
	switch len(t) {
	case 0:
		return true
	case 6, 8:
		return t[0] == '-' && isDigits(t[1:3]) && t[3] == '-' && isDigits(t[4:])
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
