package pricing

import (
	"errors"
	"strconv"
	"strings"
)

// ParseUSDPerMillion converts a decimal price in USD per million tokens, such
// as "2.50" or "7.5e-2", to micro-USD per million tokens. It is exact: a price
// with more than six decimal places of a dollar is rejected rather than
// rounded, because it is almost certainly a unit mistake.
func ParseUSDPerMillion(s string) (int64, error) {
	return scaleDecimal(s, 6, false)
}

var (
	errSyntax   = errors.New("not a decimal number")
	errNegative = errors.New("negative price")
	errRange    = errors.New("price out of range")
	errInexact  = errors.New("more precision than 1 micro-USD per million tokens")
)

// maxExp bounds the exponent we track; anything beyond it already
// overflows int64 or rounds to zero, and bounding it keeps the arithmetic
// below free of integer overflow.
const maxExp = 1_000_000

// scaleDecimal returns the decimal number s (JSON number syntax) multiplied
// by 10^scale as an int64. It works on the digit string rather than on a
// float64, because values such as 2.5e-06 have no exact binary
// representation and float multiplication would land off by one unit. If
// the scaled value has a fractional part it is rounded half-up when round is
// set, and is an error otherwise.
func scaleDecimal(s string, scale int, round bool) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	intPart, s := leadingDigits(s)
	if intPart == "" {
		return 0, errSyntax
	}
	var frac string
	if strings.HasPrefix(s, ".") {
		if frac, s = leadingDigits(s[1:]); frac == "" {
			return 0, errSyntax
		}
	}
	exp := 0
	if s != "" && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		expNeg := false
		if s != "" && (s[0] == '+' || s[0] == '-') {
			expNeg, s = s[0] == '-', s[1:]
		}
		var ed string
		if ed, s = leadingDigits(s); ed == "" {
			return 0, errSyntax
		}
		for i := 0; i < len(ed) && exp <= maxExp; i++ {
			exp = exp*10 + int(ed[i]-'0')
		}
		if expNeg {
			exp = -exp
		}
	}
	if s != "" {
		return 0, errSyntax
	}

	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" {
		return 0, nil // any spelling of zero, including -0
	}
	if neg {
		return 0, errNegative
	}

	// value = digits × 10^shift
	shift := exp + scale - len(frac)
	if shift >= 0 {
		if len(digits)+shift > 19 {
			return 0, errRange
		}
		v, err := strconv.ParseInt(digits+strings.Repeat("0", shift), 10, 64)
		if err != nil {
			return 0, errRange
		}
		return v, nil
	}

	// Drop the last k digits (or all of them, plus implied leading zeros).
	k := -shift
	whole, dropped, up := "", digits, false
	if k <= len(digits) {
		whole, dropped = digits[:len(digits)-k], digits[len(digits)-k:]
		up = dropped[0] >= '5'
	}
	if !round && strings.TrimRight(dropped, "0") != "" {
		return 0, errInexact
	}
	var v int64
	if whole != "" {
		var err error
		if len(whole) > 19 {
			return 0, errRange
		}
		if v, err = strconv.ParseInt(whole, 10, 64); err != nil {
			return 0, errRange
		}
	}
	if up {
		if v == 1<<63-1 {
			return 0, errRange
		}
		v++
	}
	return v, nil
}

func leadingDigits(s string) (digits, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}
