package genai

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// MaxIDBytes is the longest user or session id kept as given. It equals
// store.MaxUserIDBytes (this package may not import the store). Longer ids,
// and ids with NUL bytes or invalid UTF-8, are replaced by
// "sha256:" + hex(sha256(id)): never truncated, since truncation could merge
// two users.
const MaxIDBytes = 1024

// MaxNameBytes caps agent, workflow, model and provider names. Longer names
// are cut at a rune boundary, with an Issue.
const MaxNameBytes = 256

// maxTokens is the largest token count accepted for one span; larger values
// are treated as malformed.
const maxTokens = 1e12

// maxCostUSD is the largest cost accepted for one span.
const maxCostUSD = 1e6

// Issue reasons.
const (
	ReasonNotNumber     = "not a number"
	ReasonNegative      = "negative"
	ReasonNotInteger    = "not an integer"
	ReasonNotFinite     = "not finite"
	ReasonTooLarge      = "too large"
	ReasonNotString     = "not a string"
	ReasonBadJSON       = "invalid JSON"
	ReasonIDTooLong     = "id longer than MaxIDBytes: replaced by its sha256"
	ReasonIDNUL         = "id contains NUL: replaced by its sha256"
	ReasonIDBadUTF8     = "id is not valid UTF-8: replaced by its sha256"
	ReasonNameBadUTF8   = "invalid UTF-8 replaced"
	ReasonNameNUL       = "NUL bytes removed"
	ReasonNameTruncated = "truncated to MaxNameBytes"
)

// parseCount reads a token count from an int, a double or a numeric string.
// reason is empty when the value is valid.
func parseCount(v pcommon.Value) (n int64, reason string) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return checkCount(v.Int())
	case pcommon.ValueTypeDouble:
		return countFromFloat(v.Double())
	case pcommon.ValueTypeStr:
		return countFromString(v.Str())
	}
	return 0, ReasonNotNumber
}

func checkCount(n int64) (int64, string) {
	switch {
	case n < 0:
		return 0, ReasonNegative
	case n > maxTokens:
		return 0, ReasonTooLarge
	}
	return n, ""
}

func countFromFloat(f float64) (int64, string) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return 0, ReasonNotFinite
	case f < 0:
		return 0, ReasonNegative
	case f > maxTokens:
		return 0, ReasonTooLarge
	case f != math.Trunc(f):
		return 0, ReasonNotInteger
	}
	return int64(f), ""
}

func countFromString(s string) (int64, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ReasonNotNumber
	}
	if isDigits(s) {
		if len(s) > 13 { // > maxTokens whatever the digits; avoids overflow
			return 0, ReasonTooLarge
		}
		n, _ := strconv.ParseInt(s, 10, 64)
		return checkCount(n)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, ReasonNotNumber
	}
	return countFromFloat(f)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseUSD reads a cost in USD from a double, an int or a numeric string.
func parseUSD(v pcommon.Value) (float64, string) {
	switch v.Type() {
	case pcommon.ValueTypeDouble:
		return checkUSD(v.Double())
	case pcommon.ValueTypeInt:
		return checkUSD(float64(v.Int()))
	case pcommon.ValueTypeStr:
		return parseUSDString(v.Str())
	}
	return 0, ReasonNotNumber
}

func parseUSDString(s string) (float64, string) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, ReasonNotNumber
	}
	return checkUSD(f)
}

func checkUSD(f float64) (float64, string) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return 0, ReasonNotFinite
	case f < 0:
		return 0, ReasonNegative
	case f > maxCostUSD:
		return 0, ReasonTooLarge
	}
	return f, ""
}

// usdToNanos converts a checked USD amount to nano-USD.
func usdToNanos(f float64) int64 { return int64(math.Round(f * 1e9)) }

// cleanID applies the id rules: ids longer than MaxIDBytes, or with NUL bytes
// or invalid UTF-8, become "sha256:<hex>". The caller has trimmed s and
// checked it is not empty.
func cleanID(s string) (string, string) {
	var reason string
	switch {
	case len(s) > MaxIDBytes:
		reason = ReasonIDTooLong
	case strings.IndexByte(s, 0) >= 0:
		reason = ReasonIDNUL
	case !utf8.ValidString(s):
		reason = ReasonIDBadUTF8
	default:
		return s, ""
	}
	return HashID(s), reason
}

// HashID is the replacement of an unusable id: "sha256:" + hex(sha256(id)).
func HashID(s string) string {
	sum := sha256.Sum256([]byte(s))
	var b [len("sha256:") + 2*sha256.Size]byte
	copy(b[:], "sha256:")
	hex.Encode(b[len("sha256:"):], sum[:])
	return string(b[:])
}

// cleanName makes a display name safe: invalid UTF-8 replaced, NUL bytes
// removed, at most MaxNameBytes. It reports the first change made, if any.
func cleanName(s string) (string, string) {
	var reason string
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
		reason = ReasonNameBadUTF8
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.TrimSpace(strings.ReplaceAll(s, "\x00", ""))
		if reason == "" {
			reason = ReasonNameNUL
		}
	}
	if len(s) > MaxNameBytes {
		cut := MaxNameBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
		if reason == "" {
			reason = ReasonNameTruncated
		}
	}
	return s, reason
}
