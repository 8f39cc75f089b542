package api

import (
	_ "embed"
	"net/http"

	"go.uber.org/zap"
)

// openAPIDoc is the OpenAPI 3.1 document of the API. It is written by hand
// and checked against routeSpecs and the handlers by openapi_test.go: a
// route or parameter the handler serves but the document lacks (or the
// reverse) fails the tests.
//
//go:embed openapi.json
var openAPIDoc []byte

func (h *handler) openAPI(w http.ResponseWriter, _ *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(openAPIDoc); err != nil {
		h.logger.Debug("cannot write response", zap.Error(err))
	}
}
