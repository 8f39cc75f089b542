package pricing

import (
	"math"
	"testing"
)

func TestPriceCost(t *testing.T) {
	// Prices in micro-USD per 1M tokens; expected costs in nano-USD,
	// worked out by hand as tokens × USD/M (see comments).
	gpt4o := Price{Input: 2_500_000, CachedInput: 1_250_000, HasCachedInput: true, Output: 10_000_000}
	sonnet := Price{Input: 3_000_000, CacheWrite: 3_750_000, HasCacheWrite: true,
		CachedInput: 300_000, HasCachedInput: true, Output: 15_000_000}
	o3mini := Price{Input: 1_100_000, Output: 4_400_000}
	withReasoning := o3mini
	withReasoning.Reasoning, withReasoning.HasReasoning = 2_000_000, true
	freeReasoning := o3mini
	freeReasoning.HasReasoning = true
	noCache := Price{Input: 1_000_000, Output: 2_000_000}
	freeCache := Price{Input: 1_000_000, Output: 2_000_000, HasCachedInput: true, HasCacheWrite: true}

	tests := []struct {
		name  string
		price Price
		usage Usage
		want  int64
	}{
		{"zero usage", gpt4o, Usage{}, 0},
		{"zero price", Price{}, Usage{Input: 1e6, Output: 1e6}, 0},
		// 1M in × $2.50 + 1M out × $10 = $12.50
		{"gpt-4o 1M/1M", gpt4o, Usage{Input: 1_000_000, Output: 1_000_000}, 12_500_000_000},
		// 600 × 2.50/M + 400 × 1.25/M + 500 × 10/M = $0.007
		{"gpt-4o cached", gpt4o, Usage{Input: 1000, CacheRead: 400, Output: 500}, 7_000_000},
		// 2000 × 3/M + 6000 × 0.30/M + 2000 × 3.75/M + 1000 × 15/M = $0.0303
		{"sonnet read+write", sonnet, Usage{Input: 10_000, CacheRead: 6_000, CacheWrite: 2_000, Output: 1_000}, 30_300_000},
		// no specific cache prices: cache tokens billed at input
		{"unset cache prices bill at input", noCache, Usage{Input: 1000, CacheRead: 300, CacheWrite: 200}, 1_000_000},
		// explicit zero cache prices: cache tokens free
		{"free cache prices", freeCache, Usage{Input: 1000, CacheRead: 300, CacheWrite: 200}, 500_000},
		// reasoning billed as output unless priced
		{"reasoning as output", o3mini, Usage{Output: 1000, Reasoning: 800}, 4_400_000},
		// 200 × 4.40/M + 800 × 2.00/M
		{"reasoning priced", withReasoning, Usage{Output: 1000, Reasoning: 800}, 2_480_000},
		{"reasoning free", freeReasoning, Usage{Output: 1000, Reasoning: 800}, 880_000},
		// inconsistent counts: the larger part is still billed in full
		{"reasoning exceeds output", o3mini, Usage{Output: 100, Reasoning: 300}, 1_320_000},
		{"cache exceeds input", gpt4o, Usage{Input: 100, CacheRead: 300}, 375_000},
		// negative counts are 0
		{"all negative", gpt4o, Usage{Input: -5, Output: -1, CacheRead: -3, CacheWrite: -2, Reasoning: -9}, 0},
		{"negative cache read", gpt4o, Usage{Input: 1000, CacheRead: -500}, 2_500_000},
		{"negative price", Price{Input: -5_000_000, Output: 1_000_000}, Usage{Input: 1000, Output: 1000}, 1_000_000},
		// rounding: half-up, once on the total
		{"round 0.499", Price{Input: 1}, Usage{Input: 499}, 0},
		{"round 0.5", Price{Input: 1}, Usage{Input: 500}, 1},
		{"round 1.5", Price{Input: 1}, Usage{Input: 1500}, 2},
		{"round 2.499", Price{Input: 1}, Usage{Input: 2499}, 2},
		{"round once on sum", Price{Input: 500, Output: 500}, Usage{Input: 1, Output: 1}, 1},
		// gemini-1.5-flash cached $0.01875/M: 18.75 nano per token
		{"fractional nanos", Price{Input: 75_000, CachedInput: 18_750, HasCachedInput: true}, Usage{Input: 1, CacheRead: 1}, 19},
		// 1e15 × 2.5e6 = 2.5e21 overflows int64 mid-way but the result fits
		{"128-bit intermediate", gpt4o, Usage{Input: 1e15}, 2_500_000_000_000_000_000},
		// 4e15 tokens × $2.50/M = $1e10 = 1e19 nano > MaxInt64
		{"saturates", gpt4o, Usage{Input: 4e15}, math.MaxInt64},
		{"max counts", gpt4o, Usage{Input: math.MaxInt64, Output: math.MaxInt64, Reasoning: math.MaxInt64}, math.MaxInt64},
		{"max counts and prices", Price{Input: math.MaxInt64, Output: math.MaxInt64, CachedInput: math.MaxInt64, HasCachedInput: true,
			CacheWrite: math.MaxInt64, HasCacheWrite: true, Reasoning: math.MaxInt64, HasReasoning: true},
			Usage{Input: math.MaxInt64, Output: math.MaxInt64, CacheRead: math.MaxInt64 / 3, CacheWrite: math.MaxInt64 / 3, Reasoning: math.MaxInt64 / 2},
			math.MaxInt64},
		// largest exact value below saturation: MaxInt64 nano = 9223372036854775807
		{"just below saturation", Price{Input: 1000}, Usage{Input: math.MaxInt64}, math.MaxInt64},
		{"just below saturation -1", Price{Input: 1000}, Usage{Input: math.MaxInt64 - 1}, math.MaxInt64 - 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.price.Cost(tc.usage); got != tc.want {
				t.Errorf("Cost(%+v) = %d, want %d", tc.usage, got, tc.want)
			}
		})
	}
}

func TestTableCost(t *testing.T) {
	tab := mustDefault(t)
	tests := []struct {
		model, canonical string
		usage            Usage
		want             int64
	}{
		// 1M × $0.15 + 1M × $0.60
		{"gpt-4o-mini-2024-07-18", "gpt-4o-mini", Usage{Input: 1_000_000, Output: 1_000_000}, 750_000_000},
		// 1000 × 3.75/M (write) + 1000 × 0.30/M (read) + 1000 × 3/M + 1000 × 15/M
		{"anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet",
			Usage{Input: 3000, CacheWrite: 1000, CacheRead: 1000, Output: 1000}, 22_050_000},
		// embeddings have no output price
		{"text-embedding-3-small", "text-embedding-3-small", Usage{Input: 1_000_000}, 20_000_000},
		// 1M × $0.028 cached + 1M × $0.42 out
		{"deepseek-reasoner", "deepseek-reasoner", Usage{Input: 1_000_000, CacheRead: 1_000_000, Output: 1_000_000, Reasoning: 900_000}, 448_000_000},
	}
	for _, tc := range tests {
		got, c, ok := tab.Cost(tc.model, tc.usage)
		if !ok || c != tc.canonical || got != tc.want {
			t.Errorf("Cost(%q) = %d, %q, %v; want %d, %q, true", tc.model, got, c, ok, tc.want, tc.canonical)
		}
	}
}
