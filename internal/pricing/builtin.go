package pricing

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

//go:embed prices.json
var builtinJSON []byte

// builtinUnit guards against a price pasted in the wrong unit: the file
// must say which unit its numbers are in, and it must be this one.
const builtinUnit = "USD per 1M tokens"

var defaultTable = sync.OnceValues(func() (*Table, error) { return parseBuiltin(builtinJSON) })

// Default returns the built-in table embedded from prices.json. It is parsed
// once; every call returns the same immutable *Table.
func Default() (*Table, error) {
	return defaultTable()
}

// builtinFile is the schema of prices.json. Prices are JSON numbers in USD
// per 1M tokens; an absent optional price means "no specific price".
type builtinFile struct {
	AsOf   string                  `json:"as_of"`
	Unit   string                  `json:"unit"`
	Notes  []string                `json:"notes"`
	Models map[string]builtinEntry `json:"models"`
}

type builtinEntry struct {
	Provider    string       `json:"provider"`
	Input       *json.Number `json:"input"`
	CachedInput *json.Number `json:"cached_input"`
	CacheWrite  *json.Number `json:"cache_write"`
	Output      *json.Number `json:"output"`
	Reasoning   *json.Number `json:"reasoning"`
	Aliases     []string     `json:"aliases"`
	Note        string       `json:"note"`
}

// parseBuiltin is strict (unknown fields, inexact prices, non-canonical or
// clashing names are errors) because the file is ours and a typo in it
// would silently misprice every call.
func parseBuiltin(data []byte) (*Table, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f builtinFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("pricing: built-in table: %w", err)
	}
	if f.AsOf == "" {
		return nil, errors.New("pricing: built-in table: missing as_of")
	}
	if f.Unit != builtinUnit {
		return nil, fmt.Errorf("pricing: built-in table: unit %q, want %q", f.Unit, builtinUnit)
	}
	t := newTable(f.AsOf, len(f.Models))
	for _, name := range slices.Sorted(maps.Keys(f.Models)) {
		if name == "" || name != strings.ToLower(strings.TrimSpace(name)) {
			return nil, fmt.Errorf("pricing: built-in table: model name %q must be lower-case and trimmed", name)
		}
		p, err := f.Models[name].price()
		if err != nil {
			return nil, fmt.Errorf("pricing: built-in table: model %q: %w", name, err)
		}
		t.prices[name] = p
		t.fold[name] = name
	}
	for _, name := range slices.Sorted(maps.Keys(f.Models)) {
		for _, a := range f.Models[name].Aliases {
			if a == "" || a != strings.ToLower(strings.TrimSpace(a)) {
				return nil, fmt.Errorf("pricing: built-in table: model %q: alias %q must be lower-case and trimmed", name, a)
			}
			if _, ok := t.fold[a]; ok {
				return nil, fmt.Errorf("pricing: built-in table: model %q: alias %q is also a model name", name, a)
			}
			if prev, ok := t.alias[a]; ok {
				return nil, fmt.Errorf("pricing: built-in table: alias %q used by both %q and %q", a, prev, name)
			}
			t.alias[a] = name
		}
	}
	return t, nil
}

func (e builtinEntry) price() (Price, error) {
	var p Price
	var err error
	if e.Input == nil || e.Output == nil {
		return p, errors.New("input and output prices are required")
	}
	conv := func(field string, n *json.Number, dst *int64, has *bool) {
		if n == nil || err != nil {
			return
		}
		var v int64
		if v, err = ParseUSDPerMillion(n.String()); err != nil {
			err = fmt.Errorf("%s %q: %w", field, n.String(), err)
			return
		}
		*dst = v
		if has != nil {
			*has = true
		}
	}
	conv("input", e.Input, &p.Input, nil)
	conv("output", e.Output, &p.Output, nil)
	conv("cached_input", e.CachedInput, &p.CachedInput, &p.HasCachedInput)
	conv("cache_write", e.CacheWrite, &p.CacheWrite, &p.HasCacheWrite)
	conv("reasoning", e.Reasoning, &p.Reasoning, &p.HasReasoning)
	return p, err
}
