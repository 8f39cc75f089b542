package pricing

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Table is a set of model prices with name resolution. It is immutable after
// construction and safe for concurrent use; With returns a modified copy.
// Use it through a pointer only.
type Table struct {
	version  string
	modified bool              // built by With from another table
	prices   map[string]Price  // canonical name -> price
	fold     map[string]string // lower(canonical name) -> canonical name
	alias    map[string]string // lower(alias) -> canonical name

	// cache memoises resolveSlow for names that are not exact keys. Names come
	// from telemetry, so it is bounded (approximately, under concurrency) to
	// keep a stream of distinct unknown names from growing it without limit.
	cache  sync.Map // string -> resolution
	cached atomic.Int64
}

type resolution struct {
	canonical string
	ok        bool
}

const (
	maxCacheEntries = 4096
	maxCachedName   = 256
)

// Override replaces or adds the price of one model; see WithOverrides. An
// override always carries a complete Price (no per-field merging), so what
// is configured is exactly what is billed.
type Override struct {
	Model string
	Price Price
}

// New returns a table holding exactly prices, with no aliases. Names that
// differ only in case are one model: the lexically first spelling becomes
// the canonical name and the last one's price (in sorted order) wins.
func New(version string, prices map[string]Price) *Table {
	t := newTable(version, len(prices))
	t.apply(sortedOverrides(prices))
	return t
}

func newTable(version string, n int) *Table {
	return &Table{
		version: version,
		prices:  make(map[string]Price, n),
		fold:    make(map[string]string, n),
		alias:   map[string]string{},
	}
}

// Version identifies the price data: the "as_of" date of the built-in table,
// with "+overrides" appended once With or WithOverrides has changed it.
func (t *Table) Version() string {
	if t.modified {
		return t.version + "+overrides"
	}
	return t.version
}

// Lookup resolves model to a table entry and returns its price and canonical
// name. It tries the exact name, then case-insensitively: the name, the part
// after the last "/", the part before ":", without Bedrock region/vendor
// prefixes ("us.anthropic."), then with recognised date/version suffixes
// removed one at a time ("-2024-08-06", "-20241022", "@…", "-preview[-MM-DD]",
// "-latest", "-v2", "-001", "-0125"). The first form naming a model, or
// failing that an alias, wins. Fine-tuned ("ft:") and OpenRouter ":free"
// names are not priced unless listed exactly. Results are cached.
func (t *Table) Lookup(model string) (Price, string, bool) {
	c, ok := t.resolve(model)
	if !ok {
		return Price{}, "", false
	}
	return t.prices[c], c, true
}

// BaseName is the name under which calls of model are grouped: the table
// entry model resolves to, as Lookup resolves it ("gpt-4o" for
// "gpt-4o-2024-08-06" or "openai/gpt-4o"), or model unchanged when the table
// has no price for it, so an unknown model stays as reported.
func (t *Table) BaseName(model string) string {
	if c, ok := t.resolve(model); ok {
		return c
	}
	return model
}

// Cost prices u for model. ok is false, with nanos 0, when the model is not
// in the table: unknown is reported as such rather than as free.
func (t *Table) Cost(model string, u Usage) (nanos int64, canonical string, ok bool) {
	p, c, ok := t.Lookup(model)
	if !ok {
		return 0, "", false
	}
	return p.Cost(u), c, true
}

func (t *Table) resolve(model string) (string, bool) {
	if _, ok := t.prices[model]; ok {
		return model, true
	}
	if v, ok := t.cache.Load(model); ok {
		r := v.(resolution)
		return r.canonical, r.ok
	}
	c, ok := t.resolveSlow(model)
	if len(model) <= maxCachedName && t.cached.Load() < maxCacheEntries {
		if _, loaded := t.cache.LoadOrStore(model, resolution{c, ok}); !loaded {
			t.cached.Add(1)
		}
	}
	return c, ok
}

// With returns a new table in which overrides replace or add models; t is
// unchanged. A key matching an existing model name case-insensitively
// replaces that model's price (keeping its canonical name and aliases); any
// other key adds a model, which then also takes precedence over an alias of
// the same spelling. Keys are applied in sorted order so the result is
// deterministic; empty keys are ignored.
func (t *Table) With(overrides map[string]Price) *Table {
	return t.WithOverrides(sortedOverrides(overrides))
}

// WithOverrides is With for an ordered list: later entries win.
func (t *Table) WithOverrides(overrides []Override) *Table {
	if len(overrides) == 0 {
		return t
	}
	n := &Table{
		version:  t.version,
		modified: true,
		prices:   maps.Clone(t.prices),
		fold:     maps.Clone(t.fold),
		alias:    t.alias, // never written after construction, so shared
	}
	n.apply(overrides)
	return n
}

func (t *Table) apply(overrides []Override) {
	for _, o := range overrides {
		name := strings.TrimSpace(o.Model)
		if name == "" {
			continue
		}
		lower := strings.ToLower(name)
		if c, ok := t.fold[lower]; ok {
			t.prices[c] = o.Price
			continue
		}
		t.prices[name] = o.Price
		t.fold[lower] = name
	}
}

func sortedOverrides(m map[string]Price) []Override {
	out := make([]Override, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, Override{Model: k, Price: m[k]})
	}
	return out
}
