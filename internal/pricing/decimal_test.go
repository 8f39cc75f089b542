package pricing

import (
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestScaleDecimal(t *testing.T) {
	tests := []struct {
		in    string
		scale int
		round bool
		want  int64
		err   error
	}{
		{"2.50", 6, false, 2_500_000, nil},
		{"0.075", 6, false, 75_000, nil},
		{"0.3125", 6, false, 312_500, nil},
		{"10", 6, false, 10_000_000, nil},
		{"0", 6, false, 0, nil},
		{"-0.0", 6, false, 0, nil},
		{"7.5e-2", 6, false, 75_000, nil},
		{"2.5e-06", 12, true, 2_500_000, nil},
		{"1e-05", 12, true, 10_000_000, nil},
		{"4.2E-7", 12, true, 420_000, nil},
		{"0.00000028", 12, true, 280_000, nil},
		{"1.875e-08", 12, true, 18_750, nil},
		{"3.3333333e-07", 12, true, 333_333, nil},
		{"6.6666667e-07", 12, true, 666_667, nil},
		{"5e-13", 12, true, 1, nil},    // half rounds up
		{"4.99e-13", 12, true, 0, nil}, // below half rounds down
		{"1e-400", 12, true, 0, nil},   // far below the unit
		{"0e999999999999", 12, true, 0, nil},
		{"9223372.036854775807", 12, true, math.MaxInt64, nil},
		{"9223372.036854775808", 12, true, 0, errRange},
		{"9223372.0368547758075", 12, true, 0, errRange}, // rounds past MaxInt64
		{"1e300", 12, true, 0, errRange},
		{"1e99999999999999999999", 0, true, 0, errRange},
		{"0.0000001", 6, false, 0, errInexact},
		{"-1", 6, false, 0, errNegative},
		{"", 6, false, 0, errSyntax},
		{".5", 6, false, 0, errSyntax},
		{"1.", 6, false, 0, errSyntax},
		{"1e", 6, false, 0, errSyntax},
		{"1e+", 6, false, 0, errSyntax},
		{"$2.50", 6, false, 0, errSyntax},
		{"2.50 ", 6, false, 0, errSyntax},
		{"0x10", 6, false, 0, errSyntax},
	}
	for _, tc := range tests {
		got, err := scaleDecimal(tc.in, tc.scale, tc.round)
		if err != tc.err || got != tc.want {
			t.Errorf("scaleDecimal(%q, %d, %v) = %d, %v; want %d, %v", tc.in, tc.scale, tc.round, got, err, tc.want, tc.err)
		}
	}
}

// FuzzScaleDecimal checks the digit-string arithmetic against math/big.
func FuzzScaleDecimal(f *testing.F) {
	for _, s := range []string{"2.5e-06", "0.075", "1e-400", "9223372.036854775807", "5e-13", "-0", "1E+3", "0.00000028"} {
		f.Add(s, uint8(12))
	}
	f.Fuzz(func(t *testing.T, s string, sc uint8) {
		scale := int(sc % 20)
		got, err := scaleDecimal(s, scale, true)
		if hugeExponent(s) {
			return // math/big would take forever materialising 10^exp
		}
		r, ok := new(big.Rat).SetString(s)
		// big.Rat accepts more syntax than JSON numbers; only compare where
		// we accepted, and require acceptance of what JSON would produce.
		if err == errSyntax {
			return
		}
		if !ok {
			t.Fatalf("scaleDecimal accepted %q, which is not a number", s)
		}
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
		if r.Sign() < 0 {
			if err != errNegative {
				t.Fatalf("scaleDecimal(%q) = %d, %v; want errNegative", s, got, err)
			}
			return
		}
		// round half-up: floor(r + 1/2)
		r.Add(r, big.NewRat(1, 2))
		want := new(big.Int).Quo(r.Num(), r.Denom())
		if !want.IsInt64() {
			if err != errRange {
				t.Fatalf("scaleDecimal(%q, %d) = %d, %v; want errRange (value %s)", s, scale, got, err, want)
			}
			return
		}
		if err != nil || got != want.Int64() {
			t.Fatalf("scaleDecimal(%q, %d) = %d, %v; want %s", s, scale, got, err, want)
		}
	})
}

func hugeExponent(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return false
	}
	exp := strings.TrimLeft(s[i+1:], "+-")
	return len(strings.TrimLeft(exp, "0")) > 4
}
