package pricing

import (
	"math"
	"math/bits"
)

// Unit conversions for the money representation described in the package
// documentation.
const (
	NanosPerUSD  = 1_000_000_000 // cost unit
	MicrosPerUSD = 1_000_000     // price unit is micro-USD per 1M tokens
)

// Price is the list price of one model, per million tokens, in micro-USD
// (exact integers: $2.50/M is 2_500_000).
//
// CachedInput, CacheWrite and Reasoning only apply when the matching Has*
// flag is set; otherwise those tokens are billed at Input (cache reads and
// writes) or Output (reasoning). The flags keep "free" (flag set, price 0)
// distinct from "no specific price", and make the zero value of the optional
// fields mean "same as the base price".
//
// Negative prices are treated as 0 by Cost, so a cost is never negative.
type Price struct {
	Input       int64 // per 1M non-cached input tokens
	CachedInput int64 // per 1M cache-read input tokens, if HasCachedInput
	CacheWrite  int64 // per 1M cache-write (cache creation) input tokens, if HasCacheWrite
	Output      int64 // per 1M output tokens
	Reasoning   int64 // per 1M reasoning tokens, if HasReasoning

	HasCachedInput bool
	HasCacheWrite  bool
	HasReasoning   bool
}

// Usage is token usage in the normalised meaning: Input INCLUDES CacheRead
// and CacheWrite, and Output INCLUDES Reasoning. Negative counts are treated
// as 0.
type Usage struct {
	Input, Output, CacheRead, CacheWrite, Reasoning int64
}

// Cost returns the cost of u at price p in nano-USD, rounded half-up.
//
// Non-cached input is Input-CacheRead-CacheWrite and non-reasoning output is
// Output-Reasoning, each clamped at 0: when a producer reports more cached
// (or reasoning) tokens than the total, the cached (reasoning) tokens are
// still billed in full rather than guessing which number is wrong. The result
// saturates at math.MaxInt64 instead of overflowing.
func (p Price) Cost(u Usage) int64 {
	in, out := nonNeg(u.Input), nonNeg(u.Output)
	read, write, reason := nonNeg(u.CacheRead), nonNeg(u.CacheWrite), nonNeg(u.Reasoning)

	var a acc
	a.add(minus(in, read, write), p.Input)
	a.add(read, pick(p.HasCachedInput, p.CachedInput, p.Input))
	a.add(write, pick(p.HasCacheWrite, p.CacheWrite, p.Input))
	a.add(minus(out, reason, 0), p.Output)
	a.add(reason, pick(p.HasReasoning, p.Reasoning, p.Output))
	return a.nanos()
}

func pick(has bool, specific, base int64) int64 {
	if has {
		return specific
	}
	return base
}

func nonNeg(v int64) uint64 {
	if v < 0 {
		return 0
	}
	return uint64(v)
}

// minus returns x-a-b clamped at 0. Each operand is < 2^63, so a+b cannot
// overflow uint64.
func minus(x, a, b uint64) uint64 {
	if s := a + b; s < x {
		return x - s
	}
	return 0
}

// acc is an exact 128-bit accumulator of tokens × micro-USD-per-million
// products (each < 2^126), so that rounding happens once, at the end.
type acc struct {
	hi, lo   uint64
	overflow bool
}

func (a *acc) add(tokens uint64, price int64) {
	if tokens == 0 || price <= 0 {
		return
	}
	h, l := bits.Mul64(tokens, uint64(price))
	var c uint64
	a.lo, c = bits.Add64(a.lo, l, 0)
	a.hi, c = bits.Add64(a.hi, h, c)
	if c != 0 {
		a.overflow = true
	}
}

// nanos divides the accumulated micro-USD-per-million × tokens by 1000
// (giving nano-USD), rounding half-up and saturating at math.MaxInt64.
func (a acc) nanos() int64 {
	if a.overflow || a.hi >= 1000 { // quotient would need more than 64 bits
		return math.MaxInt64
	}
	q, r := bits.Div64(a.hi, a.lo, 1000)
	if q >= math.MaxInt64 {
		return math.MaxInt64
	}
	if r >= 500 {
		q++
	}
	return int64(q)
}
