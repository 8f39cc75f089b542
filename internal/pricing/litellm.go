package pricing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
)

// liteLLMScale converts LiteLLM's USD per token to micro-USD per 1M tokens:
// ×1e6 tokens ×1e6 micro-USD.
const liteLLMScale = 12

// liteLLMFields maps the per-token cost fields we use onto Price. Tiered
// fields (…_above_200k_tokens) and non-token costs are ignored: the table
// prices the base tier.
var liteLLMFields = [...]struct {
	name string
	set  func(*Price, int64)
}{
	{"input_cost_per_token", func(p *Price, v int64) { p.Input = v }},
	{"output_cost_per_token", func(p *Price, v int64) { p.Output = v }},
	{"cache_read_input_token_cost", func(p *Price, v int64) { p.CachedInput, p.HasCachedInput = v, true }},
	{"cache_creation_input_token_cost", func(p *Price, v int64) { p.CacheWrite, p.HasCacheWrite = v, true }},
	{"output_cost_per_reasoning_token", func(p *Price, v int64) { p.Reasoning, p.HasReasoning = v, true }},
}

// ParseLiteLLM reads LiteLLM's model_prices_and_context_window.json: an
// object of model name -> entry with per-token USD costs. The result is
// suitable for (*Table).With.
//
// The "sample_spec" key and entries with neither input_cost_per_token nor
// output_cost_per_token (image, audio, per-second models) are skipped; when
// only one of the two is given the other is 0 (embedding models). Numbers are
// converted exactly from their decimal text; a value finer than 1e-12 USD
// per token is rounded half-up to that unit. A null field counts as absent.
// Unknown fields are ignored. A malformed entry (not an object, a cost that
// is not a non-negative number in range) fails the whole parse with an error
// naming the model key and the field, since a half-loaded price list would
// silently misprice.
func ParseLiteLLM(r io.Reader) (map[string]Price, error) {
	out, err := parseLiteLLM(r)
	if err != nil {
		return nil, fmt.Errorf("pricing: litellm: %w", err)
	}
	return out, nil
}

// LoadLiteLLMFile is ParseLiteLLM on the named file.
func LoadLiteLLMFile(path string) (map[string]Price, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pricing: litellm: %w", err)
	}
	defer f.Close()
	out, err := parseLiteLLM(f)
	if err != nil {
		return nil, fmt.Errorf("pricing: litellm %s: %w", path, err)
	}
	return out, nil
}

func parseLiteLLM(r io.Reader) (map[string]Price, error) {
	dec := json.NewDecoder(r)
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, errors.New("top-level value is null, want an object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the top-level object")
	}
	out := make(map[string]Price, len(raw))
	// Sorted so that, with several bad entries, the error is always the same.
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		if key == "sample_spec" {
			continue
		}
		if key == "" {
			return nil, errors.New("empty model key")
		}
		p, ok, err := parseLiteLLMEntry(raw[key])
		if err != nil {
			return nil, fmt.Errorf("model %q: %w", key, err)
		}
		if ok {
			out[key] = p
		}
	}
	return out, nil
}

func parseLiteLLMEntry(raw json.RawMessage) (Price, bool, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return Price{}, false, fmt.Errorf("entry is %s, want an object", jsonKind(raw))
	}
	var p Price
	priced := false
	for i, f := range liteLLMFields {
		v, ok, err := liteLLMCost(fields[f.name])
		if err != nil {
			return Price{}, false, fmt.Errorf("field %q: %w", f.name, err)
		}
		if ok {
			f.set(&p, v)
			priced = priced || i < 2 // input or output cost present
		}
	}
	return p, priced, nil
}

// liteLLMCost converts one per-token cost. It decodes into any (with
// UseNumber, keeping the literal digits) rather than into json.Number,
// because json.Number would also accept a quoted "1e-6", and a string cost
// is malformed.
func liteLLMCost(raw json.RawMessage) (int64, bool, error) {
	if raw == nil {
		return 0, false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return 0, false, err
	}
	switch n := v.(type) {
	case nil:
		return 0, false, nil
	case json.Number:
		c, err := scaleDecimal(n.String(), liteLLMScale, true)
		if err != nil {
			return 0, false, fmt.Errorf("%s: %w", n, err)
		}
		return c, true, nil
	default:
		return 0, false, fmt.Errorf("%s, want a number", jsonKind(raw))
	}
}

func jsonKind(raw json.RawMessage) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "empty"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
