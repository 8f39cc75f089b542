package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// routeSpec is one route of the API and the query parameters its handler
// reads: the one list the OpenAPI document is checked against (openapi_test.go),
// and that handlers are held to (query.get panics on an undeclared name).
type routeSpec struct {
	rt     route
	path   string // OpenAPI path template
	params []string
}

// Query parameters beyond the seed API.
const (
	paramScope     = "scope"
	paramCursor    = "cursor"
	paramFormat    = "format"
	paramFlagK     = "flag_k"
	paramFlag      = "flag"
	paramBucket    = "bucket"
	paramSessionID = "session_id"
	paramRunID     = "id"
)

var routeSpecs = []routeSpec{
	{routeListUsers, "/api/v1/observability/users/", []string{paramSearch, paramAgent, paramStart, paramEnd, paramSort,
		paramLimit, paramOffset, paramScope, paramCursor, paramFormat, paramFlagK, paramFlag}},
	{routeGetUser, "/api/v1/observability/users/{user_id}/", []string{paramScope, paramStart, paramEnd, paramFlagK}},
	{routeUserTimeseries, "/api/v1/observability/users/{user_id}/timeseries/", []string{paramStart, paramEnd, paramBucket}},
	{routeListSessions, "/api/v1/observability/sessions/", []string{paramUserID, paramAgent, paramStart, paramEnd,
		paramSort, paramLimit, paramOffset, paramCursor, paramFormat}},
	{routeGetSession, "/api/v1/observability/sessions/{session_id}/", nil},
	{routeListRuns, "/api/v1/observability/runs/", []string{paramUserID, paramSessionID, paramAgent, paramStart,
		paramEnd, paramSort, paramLimit, paramOffset, paramCursor, paramFormat}},
	{routeGetRun, "/api/v1/observability/runs/{id}/", nil},
	{routeOverview, "/api/v1/observability/overview/", []string{paramStart, paramEnd, paramFlagK}},
	{routeOpenAPI, "/api/v1/openapi.json", nil},
	{routeVerify, "/api/v1/admin/verify", nil},
}

func specOf(rt route) *routeSpec {
	for i := range routeSpecs {
		if routeSpecs[i].rt == rt {
			return &routeSpecs[i]
		}
	}
	return nil
}

// query reads the query parameters of one route: each at most once, an
// empty value the same as an absent one, unknown names ignored (as the seed
// API does).
type query struct {
	vals url.Values
	spec *routeSpec
}

func newQuery(rawQuery string, rt route) (*query, error) {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, &queryError{err: err}
	}
	return &query{vals: vals, spec: specOf(rt)}, nil
}

func (q *query) get(name string) (string, error) {
	if q.spec == nil || !slices.Contains(q.spec.params, name) {
		panic(fmt.Sprintf("api: route %v reads the undeclared parameter %q (add it to routeSpecs and openapi.json)", q.spec, name))
	}
	vs := q.vals[name]
	if len(vs) > 1 {
		return "", &paramError{param: name, msg: "must be given at most once"}
	}
	if len(vs) == 0 {
		return "", nil
	}
	return vs[0], nil
}

func (q *query) time(name string) (time.Time, error) {
	t, err := parseTimeParam(q.get, name)
	return clampTime(t), err
}

func (q *query) int(name string, def int) (int, error) { return parseIntParam(q.get, name, def) }

// window parses start and end (start must not be after end).
func (q *query) window() (start, end time.Time, err error) {
	if start, err = q.time(paramStart); err != nil {
		return start, end, err
	}
	if end, err = q.time(paramEnd); err != nil {
		return start, end, err
	}
	if !start.IsZero() && !end.IsZero() && start.After(end) {
		return start, end, &paramError{param: paramStart, msg: "must not be after end"}
	}
	return start, end, nil
}

// pageParams parses limit and offset as the seed's users list does.
func (q *query) pageParams() (limit, offset int, err error) {
	if limit, err = q.int(paramLimit, defaultLimit); err != nil {
		return 0, 0, err
	}
	if limit < 1 || limit > maxLimit {
		return 0, 0, &paramError{param: paramLimit, msg: "must be between 1 and " + strconv.Itoa(maxLimit)}
	}
	if offset, err = q.int(paramOffset, 0); err != nil {
		return 0, 0, err
	}
	if offset < 0 {
		return 0, 0, &paramError{param: paramOffset, msg: "must not be negative"}
	}
	return limit, offset, nil
}

// Output formats of the lists.
const (
	formatJSON = "json"
	formatCSV  = "csv"
)

func (q *query) format() (string, error) {
	f, err := q.get(paramFormat)
	if err != nil {
		return "", err
	}
	switch f {
	case "", formatJSON:
		return formatJSON, nil
	case formatCSV:
		return formatCSV, nil
	}
	return "", &paramError{param: paramFormat, msg: "must be json or csv"}
}

// flag is the flag a list is filtered by: "" or flags.HighUsage.
func (q *query) flag() (string, error) {
	f, err := q.get(paramFlag)
	if err != nil || f == "" || f == flags.HighUsage {
		return f, err
	}
	return "", &paramError{param: paramFlag, msg: "must be " + flags.HighUsage}
}

func (q *query) flagK(def float64) (float64, error) {
	s, err := q.get(paramFlagK)
	if err != nil || s == "" {
		return def, err
	}
	k, err := strconv.ParseFloat(s, 64)
	if err != nil || !flags.ValidK(k) {
		return 0, &paramError{param: paramFlagK, msg: "must be a positive number such as 3.5"}
	}
	return k, nil
}

// Cursors.
//
// A cursor is the position after the last row of a page: the row's sort
// value and its id, with the kind of list and a fingerprint of the request's
// filters and sort, so that a cursor is only accepted by the list that made
// it. It is opaque to clients: base64url of a small JSON object.

type cursorJSON struct {
	Kind        string `json:"k"`
	Fingerprint string `json:"f"`
	Value       int64  `json:"v"`
	ID          string `json:"i"`
}

// fingerprint hashes the parameters that define a list's rows and order.
func fingerprint(parts ...string) string {
	h := fnv.New64a()
	for _, p := range parts {
		_, _ = h.Write([]byte(strconv.Itoa(len(p))))
		_, _ = h.Write([]byte{':'})
		_, _ = h.Write([]byte(p))
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

func encodeCursor(kind, fp string, c store.Cursor) string {
	b, _ := json.Marshal(cursorJSON{Kind: kind, Fingerprint: fp, Value: c.Value, ID: c.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, kind, fp string) (*store.Cursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := &paramError{param: paramCursor, msg: "is not a cursor of this list (use the next_cursor of a response with the same filters and sort)"}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, bad
	}
	var c cursorJSON
	if err := json.Unmarshal(b, &c); err != nil || c.Kind != kind || c.Fingerprint != fp {
		return nil, bad
	}
	return &store.Cursor{Value: c.Value, ID: c.ID}, nil
}

// timeKey is the canonical form of a time in fingerprints.
func timeKey(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

// Links of a list's pages (next and previous; the seed's by offset).

// pageLink formats the query string of a list's page: by offset, or after
// a cursor, with the list's other parameters (echo).
func pageLink(offset int, cursor string, limit int, echo []queryParam) string {
	var b strings.Builder
	if cursor != "" {
		b.WriteString("?cursor=" + cursor)
	} else {
		b.WriteString("?offset=" + strconv.Itoa(offset))
	}
	b.WriteString("&limit=" + strconv.Itoa(limit))
	for _, e := range echo {
		appendLinkParam(&b, e.name, e.value)
	}
	return b.String()
}

// pageLinks returns the next and previous links of a page: after a cursor
// only next (from the page's next cursor), else by offset.
func pageLinks(cursorPage bool, offset, limit int, count int64, nextCursor *string,
	link func(offset int, cursor string) string) (next, previous *string) {
	if cursorPage {
		if nextCursor != nil {
			s := link(0, *nextCursor)
			next = &s
		}
		return next, nil
	}
	// offset+limit < count, without overflow for huge offsets.
	if o := int64(offset); o < count && count-o > int64(limit) {
		s := link(offset+limit, "")
		next = &s
	}
	if offset > 0 {
		s := link(max(0, offset-limit), "")
		previous = &s
	}
	return next, previous
}

// appendLinkParam appends "&name=value" (value escaped) when value is set.
func appendLinkParam(b *strings.Builder, name, value string) {
	if value == "" {
		return
	}
	b.WriteByte('&')
	b.WriteString(name)
	b.WriteByte('=')
	b.WriteString(url.QueryEscape(value))
}
