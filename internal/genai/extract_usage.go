package genai

import (
	"encoding/json"
	"sort"
	"strings"
)

// usage resolves the token fields (§10.2), each from exactly one key, then
// fixes their meaning (§10.3 step 5) so that Input includes cache reads and
// writes and Output includes reasoning:
//
//   - Langfuse usage_details is the last source of every field; its own
//     meaning is converted in langfuseUsage.
//   - ai.usage.inputTokenDetails.noCacheTokens (AI SDK v6), when present,
//     gives input = noCache + cacheRead + cacheWrite.
//   - A span reporting only a total (AI SDK ai.embed: ai.usage.tokens) uses
//     it as input. Reported totals are otherwise ignored: total = in + out.
//   - If input < cacheRead + cacheWrite, input was exclusive of the cache
//     (AI SDK v5 Anthropic, raw Anthropic usage) and the cache is added. The
//     reference states this for Anthropic; it is applied whatever the
//     provider, because an inclusive input can never be smaller than its own
//     cache parts. This makes Input >= CacheRead + CacheWrite an invariant.
//     An exclusive input that happens to be larger than the cache cannot be
//     told apart and stays as reported.
//   - If reasoning > output, output was exclusive of reasoning and reasoning
//     is added (Output >= Reasoning is an invariant).
//
// has is true when any token field had a valid value (zero included).
func (st *state) usage() (u Usage, has bool) {
	var lf jsonUsage
	if st.c[sLFUsage].set {
		lf = st.langfuseUsage()
	}
	var inOK, outOK, crOK, cwOK, rsOK bool
	u.Input, inOK = st.tokens(fInput, lf.in, lf.has&hasIn != 0)
	u.Output, outOK = st.tokens(fOutput, lf.out, lf.has&hasOut != 0)
	u.CacheRead, crOK = st.tokens(fCacheRead, lf.cr, lf.has&hasCR != 0)
	u.CacheWrite, cwOK = st.tokens(fCacheWrite, lf.cw, lf.has&hasCW != 0)
	u.Reasoning, rsOK = st.tokens(fReasoning, lf.rs, lf.has&hasRS != 0)
	total, totalOK := st.tokens(fTotal, lf.total, lf.has&hasTotal != 0)
	noCache := &st.c[sNoCache]

	has = inOK || outOK || crOK || cwOK || rsOK || totalOK || noCache.set
	if noCache.set {
		u.Input, inOK = noCache.num+u.CacheRead+u.CacheWrite, true
	}
	if !inOK && !outOK && totalOK {
		u.Input = total
	}
	return normalizeUsage(u), has
}

// normalizeUsage applies the inclusive meaning (see usage).
func normalizeUsage(u Usage) Usage {
	if c := u.CacheRead + u.CacheWrite; u.Input < c {
		u.Input += c
	}
	if u.Output < u.Reasoning {
		u.Output += u.Reasoning
	}
	return u
}

func (st *state) tokens(f fieldID, fallback int64, fallbackOK bool) (int64, bool) {
	if c := &st.c[f]; c.set {
		return c.num, true
	}
	return fallback, fallbackOK
}

const (
	hasIn uint8 = 1 << iota
	hasOut
	hasCR
	hasCW
	hasRS
	hasTotal
)

// jsonUsage is usage read from a JSON object, already in canonical meaning.
type jsonUsage struct {
	in, out, cr, cw, rs, total int64
	has                        uint8
}

// langfuseUsage reads langfuse.observation.usage_details. Three shapes occur:
//
//   - Langfuse's own keys: "input" and "output" are non-cached / non-reasoning
//     and every "input_*" / "output_*" key is a disjoint detail (for example
//     input_cached_tokens, input_cache_creation, output_reasoning_tokens), so
//     input = input + Σ input_*, output = output + Σ output_*;
//   - a raw OpenAI Chat Completions usage object (what apps pass to the SDK,
//     see testdata/fixtures/README.md): prompt_tokens and completion_tokens
//     are already inclusive; cached and reasoning tokens are nested details;
//   - a raw OpenAI Responses or Anthropic usage object: input_tokens is
//     inclusive for OpenAI (input_tokens_details.cached_tokens) and exclusive
//     for Anthropic (cache_read_input_tokens, cache_creation_input_tokens).
func (st *state) langfuseUsage() (u jsonUsage) {
	c := &st.c[sLFUsage]
	var m map[string]any
	if err := json.Unmarshal([]byte(c.str), &m); err != nil || m == nil {
		st.issue(c.key, ReasonBadJSON)
		return u
	}
	r := jsonReader{st}
	set := func(bit uint8, dst *int64, v int64, ok bool) {
		if ok {
			*dst = min(*dst+v, maxTokens) // saturate: many keys cannot overflow
			u.has |= bit
		}
	}
	switch {
	case has(m, "input") || has(m, "output"):
		v, ok := r.count(m, "input")
		set(hasIn, &u.in, v, ok)
		v, ok = r.count(m, "output")
		set(hasOut, &u.out, v, ok)
		v, ok = r.count(m, "total")
		set(hasTotal, &u.total, v, ok)
		for _, k := range sortedKeys(m) {
			if _, obj := m[k].(map[string]any); obj {
				continue
			}
			switch {
			case k == "input_tokens" || k == "output_tokens":
			case strings.HasPrefix(k, "input_"):
				v, ok := r.count(m, k)
				set(hasIn, &u.in, v, ok)
				switch {
				case strings.Contains(k, "cache_read") || strings.Contains(k, "cached"):
					set(hasCR, &u.cr, v, ok)
				case strings.Contains(k, "cache_creation") || strings.Contains(k, "cache_write"):
					set(hasCW, &u.cw, v, ok)
				}
			case strings.HasPrefix(k, "output_"):
				v, ok := r.count(m, k)
				set(hasOut, &u.out, v, ok)
				if strings.Contains(k, "reasoning") {
					set(hasRS, &u.rs, v, ok)
				}
			}
		}
	case has(m, "prompt_tokens") || has(m, "completion_tokens"):
		v, ok := r.count(m, "prompt_tokens")
		set(hasIn, &u.in, v, ok)
		v, ok = r.count(m, "completion_tokens")
		set(hasOut, &u.out, v, ok)
		v, ok = r.count(m, "total_tokens")
		set(hasTotal, &u.total, v, ok)
		if d, _ := m["prompt_tokens_details"].(map[string]any); d != nil {
			v, ok = r.count(d, "cached_tokens")
			set(hasCR, &u.cr, v, ok)
		}
		if d, _ := m["completion_tokens_details"].(map[string]any); d != nil {
			v, ok = r.count(d, "reasoning_tokens")
			set(hasRS, &u.rs, v, ok)
		}
	case has(m, "input_tokens") || has(m, "output_tokens"):
		v, ok := r.count(m, "input_tokens")
		set(hasIn, &u.in, v, ok)
		v, ok = r.count(m, "output_tokens")
		set(hasOut, &u.out, v, ok)
		v, ok = r.count(m, "total_tokens")
		set(hasTotal, &u.total, v, ok)
		if d, _ := m["input_tokens_details"].(map[string]any); d != nil {
			v, ok = r.count(d, "cached_tokens")
			set(hasCR, &u.cr, v, ok)
		}
		if d, _ := m["output_tokens_details"].(map[string]any); d != nil {
			v, ok = r.count(d, "reasoning_tokens")
			set(hasRS, &u.rs, v, ok)
		}
		// Anthropic: input_tokens excludes these; add them.
		v, ok = r.count(m, "cache_read_input_tokens")
		set(hasCR, &u.cr, v, ok)
		set(hasIn, &u.in, v, ok)
		v, ok = r.count(m, "cache_creation_input_tokens")
		set(hasCW, &u.cw, v, ok)
		set(hasIn, &u.in, v, ok)
	}
	return u
}

// langfuseCost reads langfuse.observation.cost_details: "total", else the
// sum of its parts.
func (st *state) langfuseCost() (float64, bool) {
	c := &st.c[sLFCost]
	var m map[string]any
	if err := json.Unmarshal([]byte(c.str), &m); err != nil || m == nil {
		st.issue(c.key, ReasonBadJSON)
		return 0, false
	}
	r := jsonReader{st}
	if v, ok := r.usd(m["total"]); ok {
		return v, true
	}
	var sum float64
	found := false
	for _, k := range sortedKeys(m) {
		if k == "total" {
			continue
		}
		if v, ok := r.usd(m[k]); ok {
			sum += v
			found = true
		}
	}
	if !found {
		return 0, false
	}
	sum, reason := checkUSD(sum)
	if reason != "" {
		st.issue(c.key, reason)
		return 0, false
	}
	return sum, true
}

func has(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jsonReader validates numbers inside the Langfuse JSON attributes,
// reporting problems against the attribute. (It holds no key string of its
// own: a value holding both the state pointer and a string that reaches the
// issue list would make the whole per-span state escape to the heap.)
type jsonReader struct {
	st *state
}

func (r jsonReader) count(m map[string]any, k string) (int64, bool) {
	n, reason := jsonCount(m[k])
	if reason != "" {
		r.st.issue(r.st.c[sLFUsage].key, reason)
		return 0, false
	}
	return n, reason == "" && m[k] != nil
}

func (r jsonReader) usd(v any) (float64, bool) {
	f, reason := jsonUSD(v)
	if reason != "" {
		r.st.issue(r.st.c[sLFCost].key, reason)
		return 0, false
	}
	return f, v != nil
}

// jsonCount validates a token count decoded by encoding/json; nil is absent.
func jsonCount(v any) (int64, string) {
	switch x := v.(type) {
	case nil:
		return 0, ""
	case float64:
		return countFromFloat(x)
	case string:
		return countFromString(x)
	}
	return 0, ReasonNotNumber
}

// jsonUSD validates a USD amount decoded by encoding/json; nil is absent.
func jsonUSD(v any) (float64, string) {
	switch x := v.(type) {
	case nil:
		return 0, ""
	case float64:
		return checkUSD(x)
	case string:
		return parseUSDString(x)
	}
	return 0, ReasonNotNumber
}
