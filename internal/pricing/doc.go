// Package pricing holds list prices for LLM models and computes the USD cost
// of a call from its token usage.
//
// # Money representation
//
// Prices are int64 micro-USD per million tokens: $2.50 per 1M tokens is
// 2_500_000. Every published list price is quoted to at most six decimal
// places of a dollar per million tokens, and 1 micro-USD per million tokens
// equals 1e-12 USD per token, so both the built-in table (USD per 1M tokens)
// and LiteLLM's per-token figures convert into this unit exactly, using
// decimal string arithmetic rather than float64.
//
// Costs are int64 nano-USD (1 USD = 1_000_000_000). One token at p micro-USD
// per million costs p/1000 nano-USD, so
//
//	cost = round_half_up( Σ tokens_i × price_i / 1000 )
//
// The sum is accumulated exactly in 128 bits and rounded once, so a cost is
// never off by more than half a nano-USD, whatever the mix of token kinds.
// Results that do not fit in int64 (more than ~9.2 billion USD) saturate at
// math.MaxInt64 instead of wrapping.
//
// # Name resolution
//
// Telemetry reports model names in many spellings (provider prefixes, dated
// snapshots, Bedrock and Vertex identifiers). Lookup tries the exact name,
// then progressively more normalised forms, stripping only suffixes it
// recognises as versions or dates, so that it never falls through to a
// different model family (gpt-4o-mini-2024-07-18 resolves to gpt-4o-mini,
// never gpt-4o; o1-mini never resolves to o1).
package pricing
