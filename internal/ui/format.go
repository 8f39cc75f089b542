package ui

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Formatting for people. Inputs use the store's units: money in nano-USD,
// durations in nanoseconds, times in Unix nanoseconds.

const nanosPerCent = 10_000_000

// formatUSD formats nano-USD for reading: "$1,234.57" from one cent up,
// two significant digits below ("$0.0089"), "$0.00" for zero.
func formatUSD(nanos int64) string {
	neg := nanos < 0
	mag := absUint(nanos)
	var s string
	switch {
	case mag == 0:
		return "$0.00"
	case mag >= nanosPerCent:
		cents := (mag + nanosPerCent/2) / nanosPerCent
		s = groupDigits(strconv.FormatUint(cents/100, 10)) + "." + twoDigits(cents%100)
	default:
		// Two significant digits of a value below one cent.
		digits := len(strconv.FormatUint(mag, 10))
		if digits > 2 {
			unit := pow10(digits - 2)
			mag = (mag + unit/2) / unit * unit
		}
		s = trimDecimal(fixed9(mag))
	}
	if neg {
		return "-$" + s
	}
	return "$" + s
}

// formatUSDExact is the exact amount, for tooltips: "$0.008912345".
func formatUSDExact(nanos int64) string {
	s := trimDecimal(fixed9(absUint(nanos)))
	if nanos < 0 {
		return "-$" + s
	}
	return "$" + s
}

// fixed9 formats mag nano-units as a decimal with nine places.
func fixed9(mag uint64) string {
	frac := strconv.FormatUint(mag%1e9, 10)
	return groupDigits(strconv.FormatUint(mag/1e9, 10)) + "." + strings.Repeat("0", 9-len(frac)) + frac
}

// trimDecimal drops trailing zeros of a fraction, keeping at least two places.
func trimDecimal(s string) string {
	dot := strings.IndexByte(s, '.')
	end := len(s)
	for end > dot+3 && s[end-1] == '0' {
		end--
	}
	return s[:end]
}

func twoDigits(n uint64) string {
	if n < 10 {
		return "0" + strconv.FormatUint(n, 10)
	}
	return strconv.FormatUint(n, 10)
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

func absUint(n int64) uint64 {
	if n < 0 {
		return uint64(-(n + 1)) + 1 // safe for math.MinInt64
	}
	return uint64(n)
}

// formatInt formats an integer with thousands separators: "189,420".
func formatInt(n int64) string {
	s := groupDigits(strconv.FormatUint(absUint(n), 10))
	if n < 0 {
		return "-" + s
	}
	return s
}

// groupDigits inserts a comma every three digits from the right.
func groupDigits(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	b.Grow(len(digits) + len(digits)/3)
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// formatDuration formats nanoseconds with at most two units: "850ms",
// "2.8s", "45s", "4m 5s", "3h 12m", "2d 4h".
func formatDuration(ns int64) string {
	switch {
	case ns <= 0:
		return "0s"
	case ns < int64(time.Millisecond):
		return "<1ms"
	case ns < int64(time.Second)-int64(time.Millisecond)/2:
		return strconv.FormatInt((ns+int64(time.Millisecond)/2)/int64(time.Millisecond), 10) + "ms"
	}
	if tenths := (ns + int64(50*time.Millisecond)) / int64(100*time.Millisecond); tenths < 100 {
		return strconv.FormatInt(tenths/10, 10) + "." + strconv.FormatInt(tenths%10, 10) + "s"
	}
	secs := (ns + int64(time.Second)/2) / int64(time.Second)
	switch {
	case secs < 60:
		return strconv.FormatInt(secs, 10) + "s"
	case secs < 3600:
		return pair(secs/60, "m", secs%60, "s")
	}
	mins := (secs + 30) / 60
	if mins < 24*60 {
		return pair(mins/60, "h", mins%60, "m")
	}
	hours := (mins + 30) / 60
	return pair(hours/24, "d", hours%24, "h")
}

func pair(a int64, au string, b int64, bu string) string {
	s := strconv.FormatInt(a, 10) + au
	if b != 0 {
		s += " " + strconv.FormatInt(b, 10) + bu
	}
	return s
}

// formatRelative describes t relative to now: "just now", "5 minutes ago",
// "3 hours ago", "2 days ago", "in 4 hours".
func formatRelative(t, now int64) string {
	future := t > now
	var diff uint64 // exact even when now - t overflows int64
	if future {
		diff = uint64(t) - uint64(now)
	} else {
		diff = uint64(now) - uint64(t)
	}
	d := int64(min(diff, math.MaxInt64))
	dur := time.Duration(d)
	var n int64
	var unit string
	switch {
	case dur < 45*time.Second:
		return "just now"
	case dur < 90*time.Minute:
		n, unit = max(1, int64((dur+30*time.Second)/time.Minute)), "minute"
	case dur < 36*time.Hour:
		n, unit = int64((dur+30*time.Minute)/time.Hour), "hour"
	case dur < 45*24*time.Hour:
		n, unit = int64((dur+12*time.Hour)/(24*time.Hour)), "day"
	case dur < 365*24*time.Hour:
		n, unit = int64((dur+15*24*time.Hour)/(30*24*time.Hour)), "month"
	default:
		n, unit = int64((dur+(365*24*time.Hour)/2)/(365*24*time.Hour)), "year"
	}
	s := strconv.FormatInt(n, 10) + " " + unit
	if n != 1 {
		s += "s"
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// formatUTC is an absolute time for people: "2026-02-07 14:22:05 UTC".
func formatUTC(t int64) string {
	return time.Unix(0, t).UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// formatISO is the machine-readable time of a <time datetime>.
func formatISO(t int64) string {
	return time.Unix(0, t).UTC().Format(time.RFC3339)
}

// formatPercent is part's share of whole with one decimal: "42.5%",
// "<0.1%", "100%"; "–" when whole is not positive.
func formatPercent(part, whole int64) string {
	if whole <= 0 {
		return "–"
	}
	tenths := int64(math.Round(float64(part) / float64(whole) * 1000))
	switch {
	case part > 0 && tenths == 0:
		return "<0.1%"
	case tenths >= 1000:
		return "100%"
	}
	return strconv.FormatInt(tenths/10, 10) + "." + strconv.FormatInt(tenths%10, 10) + "%"
}

// formatOneDecimal formats x with one decimal: "24.9".
func formatOneDecimal(x float64) string { return strconv.FormatFloat(round1(x), 'f', 1, 64) }
