package genai

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/pricing"
)

// tablePricer is the processor's adapter in miniature: the price table as a
// Pricer that also groups models (BaseName).
type tablePricer struct{ t *pricing.Table }

func (p tablePricer) Cost(model string, u Usage) (int64, bool) {
	n, _, ok := p.t.Cost(model, pricing.Usage{Input: u.Input, Output: u.Output, CacheRead: u.CacheRead, CacheWrite: u.CacheWrite, Reasoning: u.Reasoning})
	return n, ok
}

func (p tablePricer) BaseName(model string) string { return p.t.BaseName(model) }

func TestModelGrouping(t *testing.T) {
	def, err := pricing.Default()
	require.NoError(t, err)
	usage := []kv{a("gen_ai.usage.input_tokens", 1000), a("gen_ai.usage.output_tokens", 100)}
	// gpt-4o at list price: 1000 * $2.50/M + 100 * $10/M.
	const gpt4o = 2_500_000 + 1_000_000
	cases := []struct {
		name   string
		pricer Pricer
		sp     spec
		model  string
		nanos  int64
		source CostSource
	}{
		{
			name: "dated response model grouped under its base", pricer: tablePricer{def},
			sp:    chatSpec(append([]kv{a("gen_ai.response.model", "gpt-4o-2024-08-06")}, usage...)...),
			model: "gpt-4o", nanos: gpt4o, source: CostComputed,
		},
		{
			name: "provider-prefixed request model grouped", pricer: tablePricer{def},
			sp: spec{id: 3, name: "litellm_request", attrs: append([]kv{
				a("gen_ai.request.model", "openai/gpt-4o"), a("gen_ai.system", "openai")}, usage...)},
			model: "gpt-4o", nanos: gpt4o, source: CostComputed,
		},
		{
			name: "reported cost: grouped, cost kept", pricer: tablePricer{def},
			sp:    chatSpec(append([]kv{a("gen_ai.response.model", "gpt-4o-2024-08-06"), a("gen_ai.usage.cost", 0.001)}, usage...)...),
			model: "gpt-4o", nanos: 1_000_000, source: CostReported,
		},
		{
			name: "unknown model stays as reported", pricer: tablePricer{def},
			sp: spec{id: 3, name: "chat", attrs: append([]kv{
				a("gen_ai.operation.name", "chat"), a("gen_ai.request.model", "Acme-Finetune-7B")}, usage...)},
			model: "Acme-Finetune-7B", source: CostUnpriced,
		},
		{
			name: "configured snapshot price keeps its own name and price",
			pricer: tablePricer{def.With(map[string]pricing.Price{
				"gpt-4o-2024-08-06": {Input: 1_000_000, Output: 1_000_000}})},
			sp:    chatSpec(append([]kv{a("gen_ai.response.model", "gpt-4o-2024-08-06")}, usage...)...),
			model: "gpt-4o-2024-08-06", nanos: 1_000_000 + 100_000, source: CostComputed,
		},
		{
			name: "a pricer that cannot group leaves names as reported", pricer: prices,
			sp:    chatSpec(append([]kv{a("gen_ai.response.model", "gpt-4o-2024-08-06")}, usage...)...),
			model: "gpt-4o-2024-08-06", nanos: 1000*2500 + 100*10000, source: CostComputed,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, issues := extract(t, NewExtractor(ExtractConfig{}, c.pricer), c.sp)
			require.Empty(t, issues)
			require.Equal(t, c.model, got.Model)
			require.Equal(t, c.nanos, got.CostNanos)
			require.Equal(t, c.source, got.CostSource)
		})
	}
}
