package waxellexporter // import "github.com/waxell/otelcol-waxell/exporter/waxellexporter"

import (
	"net/http"
)

// apiContentSecurityPolicy is the policy of every response that does not
// set its own (the JSON API; the UI sets a policy that allows its own
// stylesheet and script). JSON needs no resources at all.
const apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// maxURLBytes bounds the path plus query string of a request. The longest
// legitimate URL is a user detail with a 1024-byte id escaped byte by byte
// (about 3 KiB) plus its query; Go's server already bounds the request line
// and headers to 1 MiB.
const maxURLBytes = 16 << 10

// secure sets the security headers every response carries and refuses
// over-long URLs before they reach a handler.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", apiContentSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if len(r.URL.EscapedPath())+len(r.URL.RawQuery) > maxURLBytes {
			h.Set("Content-Type", "application/json")
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusRequestURITooLong)
			_, _ = w.Write([]byte(`{"error":{"code":"uri_too_long","message":"the request URL is longer than 16384 bytes"}}` + "\n"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
