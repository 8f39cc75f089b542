package pricing

import "testing"

func BenchmarkCost(b *testing.B) {
	tab := mustDefault(b)
	u := Usage{Input: 12_000, CacheRead: 8_000, Output: 900, Reasoning: 300}
	for _, name := range []string{
		"gpt-4o",                 // exact key
		"gpt-4o-mini-2024-07-18", // dated: resolved once, then cached
		"anthropic.claude-3-5-sonnet-20241022-v2:0", // Bedrock id: cached
		"some-unknown-model",                        // negative result: cached
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, _, ok := tab.Cost(name, u); !ok && name != "some-unknown-model" {
					b.Fatal("unpriced")
				}
			}
		})
	}
	b.Run("uncached/gpt-4o-mini-2024-07-18", func(b *testing.B) {
		for b.Loop() {
			tab.resolveSlow("gpt-4o-mini-2024-07-18")
		}
	})
}
