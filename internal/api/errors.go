package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/waxell/otelcol-waxell/internal/readgate"
)

// Error codes of the envelope. They are part of the REST contract.
const (
	codeInvalidParameter = "invalid_parameter"
	codeInvalidQuery     = "invalid_query"
	codeNotFound         = "not_found"
	codeMethodNotAllowed = "method_not_allowed"
	codeInternal         = "internal"
	codeTimeout          = "timeout"
)

// errorEnvelope is the one shape of every error response:
//
//	{"error": {"code": "invalid_parameter", "message": "...", "parameter": "limit"}}
//
// parameter is present only when one parameter is to blame.
type errorEnvelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Parameter string `json:"parameter,omitempty"`
}

// apiError is an error response: the HTTP status and the envelope body.
type apiError struct {
	status int
	body   errorBody
}

// paramError is a client error in one request parameter. Parsing returns it;
// the handler turns it into a 400 naming the parameter.
type paramError struct {
	param string
	msg   string
}

func (e *paramError) Error() string {
	return fmt.Sprintf("invalid parameter %q: %s", e.param, e.msg)
}

func (e *paramError) apiError() *apiError {
	return &apiError{
		status: http.StatusBadRequest,
		body: errorBody{
			Code:      codeInvalidParameter,
			Message:   e.param + ": " + e.msg,
			Parameter: e.param,
		},
	}
}

// queryError is a query string that cannot be decoded at all.
type queryError struct {
	err error
}

func (e *queryError) Error() string { return "malformed query string: " + e.err.Error() }

func (e *queryError) Unwrap() error { return e.err }

func (e *queryError) apiError() *apiError {
	return &apiError{
		status: http.StatusBadRequest,
		body:   errorBody{Code: codeInvalidQuery, Message: e.Error()},
	}
}

func errRouteNotFound() *apiError {
	return &apiError{
		status: http.StatusNotFound,
		body:   errorBody{Code: codeNotFound, Message: "no such endpoint"},
	}
}

func errUserNotFound(userID string) *apiError {
	return &apiError{
		status: http.StatusNotFound,
		body:   errorBody{Code: codeNotFound, Message: "user " + strconv.Quote(userID) + " not found"},
	}
}

func errMethodNotAllowed(method string) *apiError {
	return &apiError{
		status: http.StatusMethodNotAllowed,
		body:   errorBody{Code: codeMethodNotAllowed, Message: "method " + method + " not allowed"},
	}
}

// errInternal hides the cause from the client; the handler logs it.
func errInternal() *apiError {
	return &apiError{
		status: http.StatusInternalServerError,
		body:   errorBody{Code: codeInternal, Message: "internal error"},
	}
}

// errTimeout is a read the collector's query bounds (api.query_timeout,
// api.max_concurrent_queries) stopped: the database is not at fault, and
// the client can narrow the request or try again.
func errTimeout(e *readgate.TimeoutError) *apiError {
	hint := "narrow the time window or add filters"
	if e.Queued {
		hint = "try again shortly"
	}
	return &apiError{
		status: http.StatusServiceUnavailable,
		body:   errorBody{Code: codeTimeout, Message: e.Error() + "; " + hint},
	}
}
