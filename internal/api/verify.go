package api

import (
	"context"
	"net/http"

	"go.uber.org/zap"
)

// Verifier recomputes every rollup from the stored runs and calls and lists
// each difference from the incrementally maintained rollups. An exact store
// returns none. Both stores implement it.
type Verifier interface {
	Verify(ctx context.Context) ([]string, error)
}

// WithVerifier serves GET /api/v1/admin/verify from v:
//
//	{"ok": true, "differences": []}
//
// always with status 200 (ok tells the outcome) and 500 when the store fails.
// The route sits behind the same handler, so the server's authentication
// protects it like every other endpoint. Without this option it is a 404.
func WithVerifier(v Verifier) Option {
	return func(h *handler) { h.verifier = v }
}

// verifyPath is the verification endpoint, as path segments.
var verifyPath = []string{"api", "v1", "admin", "verify"}

type verifyJSON struct {
	OK          bool     `json:"ok"`
	Differences []string `json:"differences"`
}

func (h *handler) verify(w http.ResponseWriter, r *http.Request) {
	diffs, err := h.verifier.Verify(r.Context())
	if err != nil {
		h.storeError(w, r, "verify", err)
		return
	}
	if len(diffs) > 0 {
		h.logger.Warn("The store's rollups differ from its runs and calls",
			zap.Int("differences", len(diffs)), zap.String("first", diffs[0]))
	}
	h.writeJSON(w, http.StatusOK, verifyJSON{OK: len(diffs) == 0, Differences: nonNil(diffs)})
}
