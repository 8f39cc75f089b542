package postgres

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// maxTextBytes bounds every text value stored. Longer values would risk
// exceeding PostgreSQL's btree entry limit (about 2.7 kB per index row, and
// rows like (user_id, model) hold two values), which would fail the batch.
// The processor already replaces user ids longer than store.MaxUserIDBytes
// by a hash, so ordinary traffic never reaches this bound.
const maxTextBytes = store.MaxUserIDBytes

// sanitizeSpans returns spans whose strings PostgreSQL accepts: valid UTF-8
// (invalid sequences become U+FFFD), no NUL bytes, at most maxTextBytes
// bytes. Clean input (the normal case, the processor cleans values first) is
// returned without copying. The result is a pure function of each span, so a
// span sent again is cleaned the same way and stays idempotent (S6).
func sanitizeSpans(spans []genai.Span) []genai.Span {
	out := spans
	copied := false
	for i := range spans {
		s := spans[i]
		if !sanitizeSpan(&s) {
			continue
		}
		if !copied {
			out = make([]genai.Span, len(spans))
			copy(out, spans)
			copied = true
		}
		out[i] = s
	}
	return out
}

// sanitizeSpan cleans the string fields of s in place and reports whether
// anything changed.
func sanitizeSpan(s *genai.Span) bool {
	changed := false
	fix := func(p *string) {
		if c := cleanText(*p); c != *p {
			*p = c
			changed = true
		}
	}
	role, source := string(s.Role), string(s.CostSource)
	fix(&role)
	fix(&source)
	s.Role, s.CostSource = genai.Role(role), genai.CostSource(source)
	fix(&s.Convention)
	fix(&s.Service)
	fix(&s.UserID)
	fix(&s.SessionID)
	fix(&s.AgentName)
	fix(&s.WorkflowName)
	fix(&s.Model)
	fix(&s.Provider)
	return changed
}

// cleanText makes s storable in a PostgreSQL text column.
func cleanText(s string) string {
	if len(s) <= maxTextBytes && utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	c := strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(c) <= maxTextBytes {
		return c
	}
	// Keep a readable prefix and keep distinct long values distinct.
	sum := sha256.Sum256([]byte(s))
	suffix := "~" + hex.EncodeToString(sum[:8])
	cut := maxTextBytes - len(suffix)
	for cut > 0 && !utf8.RuneStart(c[cut]) {
		cut--
	}
	return c[:cut] + suffix
}
