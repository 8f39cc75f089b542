package ui

import (
	"math"
	"testing"
	"time"
)

func TestFormatUSD(t *testing.T) {
	for _, tc := range []struct {
		nanos int64
		want  string
	}{
		{0, "$0.00"},
		{1_230_000_000, "$1.23"},
		{1_234_567_000, "$1.23"},
		{1_235_000_000, "$1.24"}, // half up
		{10_000_000, "$0.01"},
		{9_960_000, "$0.01"}, // rounds up into cents
		{8_912_345, "$0.0089"},
		{5_000_000, "$0.005"},
		{123, "$0.00000012"},
		{1, "$0.000000001"},
		{1_234_567_890_123, "$1,234.57"},
		{1_000_000_000_000_000, "$1,000,000.00"},
		{-1_230_000_000, "-$1.23"},
		{math.MaxInt64, "$9,223,372,036.85"},
		{math.MinInt64, "-$9,223,372,036.85"},
	} {
		if got := formatUSD(tc.nanos); got != tc.want {
			t.Errorf("formatUSD(%d) = %q, want %q", tc.nanos, got, tc.want)
		}
	}
}

func TestFormatUSDExact(t *testing.T) {
	for _, tc := range []struct {
		nanos int64
		want  string
	}{
		{0, "$0.00"},
		{8_912_345, "$0.008912345"},
		{1_230_000_000, "$1.23"},
		{1_234_567_890_123, "$1,234.567890123"},
		{-5, "-$0.000000005"},
	} {
		if got := formatUSDExact(tc.nanos); got != tc.want {
			t.Errorf("formatUSDExact(%d) = %q, want %q", tc.nanos, got, tc.want)
		}
	}
}

func TestFormatInt(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0"},
		{7, "7"},
		{999, "999"},
		{1000, "1,000"},
		{189420, "189,420"},
		{1234567, "1,234,567"},
		{-1234567, "-1,234,567"},
		{math.MaxInt64, "9,223,372,036,854,775,807"},
		{math.MinInt64, "-9,223,372,036,854,775,808"},
	} {
		if got := formatInt(tc.n); got != tc.want {
			t.Errorf("formatInt(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{-time.Second, "0s"},
		{400 * time.Microsecond, "<1ms"},
		{850 * time.Millisecond, "850ms"},
		{999*time.Millisecond + 600*time.Microsecond, "1.0s"},
		{2800 * time.Millisecond, "2.8s"},
		{9960 * time.Millisecond, "10s"},
		{45 * time.Second, "45s"},
		{59*time.Second + 600*time.Millisecond, "1m"},
		{4*time.Minute + 5*time.Second, "4m 5s"},
		{4 * time.Minute, "4m"},
		{3*time.Hour + 12*time.Minute + 10*time.Second, "3h 12m"},
		{2 * time.Hour, "2h"},
		{52 * time.Hour, "2d 4h"},
		{400 * 24 * time.Hour, "400d"},
	} {
		if got := formatDuration(int64(tc.d)); got != tc.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestFormatRelative(t *testing.T) {
	now := time.Date(2026, 2, 7, 14, 22, 0, 0, time.UTC).UnixNano()
	for _, tc := range []struct {
		ago  time.Duration
		want string
	}{
		{0, "just now"},
		{30 * time.Second, "just now"},
		{50 * time.Second, "1 minute ago"},
		{5 * time.Minute, "5 minutes ago"},
		{89 * time.Minute, "89 minutes ago"},
		{3 * time.Hour, "3 hours ago"},
		{35 * time.Hour, "35 hours ago"},
		{48 * time.Hour, "2 days ago"},
		{24 * time.Hour * 40, "40 days ago"},
		{24 * time.Hour * 90, "3 months ago"},
		{24 * time.Hour * 365, "1 year ago"},
		{24 * time.Hour * 800, "2 years ago"},
		{-4 * time.Hour, "in 4 hours"},
	} {
		if got := formatRelative(now-int64(tc.ago), now); got != tc.want {
			t.Errorf("formatRelative(-%v) = %q, want %q", tc.ago, got, tc.want)
		}
	}
	// Extreme values do not overflow into nonsense.
	if got := formatRelative(math.MinInt64, math.MaxInt64); got == "" || got == "just now" {
		t.Errorf("formatRelative(min, max) = %q", got)
	}
}

func TestFormatTimes(t *testing.T) {
	ts := time.Date(2026, 2, 7, 14, 22, 5, 123, time.UTC).UnixNano()
	if got, want := formatUTC(ts), "2026-02-07 14:22:05 UTC"; got != want {
		t.Errorf("formatUTC = %q, want %q", got, want)
	}
	if got, want := formatISO(ts), "2026-02-07T14:22:05Z"; got != want {
		t.Errorf("formatISO = %q, want %q", got, want)
	}
}

func TestFormatPercent(t *testing.T) {
	for _, tc := range []struct {
		part, whole int64
		want        string
	}{
		{0, 0, "–"},
		{5, 0, "–"},
		{0, 10, "0.0%"},
		{1, 100_000, "<0.1%"},
		{425, 1000, "42.5%"},
		{2, 3, "66.7%"},
		{10, 10, "100%"},
		{999_999, 1_000_000, "100%"},
	} {
		if got := formatPercent(tc.part, tc.whole); got != tc.want {
			t.Errorf("formatPercent(%d, %d) = %q, want %q", tc.part, tc.whole, got, tc.want)
		}
	}
}
