package api

import (
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// Query parameters of the users list.
const (
	paramSearch = "search"
	paramAgent  = "agent"
	paramStart  = "start"
	paramEnd    = "end"
	paramSort   = "sort"
	paramLimit  = "limit"
	paramOffset = "offset"
	// paramUserID names the path parameter of the user detail.
	paramUserID = "user_id"
)

const (
	defaultLimit = 25
	maxLimit     = 100
)

// Bounds of times the store can represent (Unix nanoseconds in an int64).
var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// listParams is a validated users-list request.
type listParams struct {
	query store.UserQuery
	// echo holds the given parameters that shape the result, other than
	// offset and limit, in link order (sort, search, agent, start, end), so
	// that next and previous keep the same view.
	echo []queryParam
}

type queryParam struct {
	name  string
	value string
}

// parseListParams validates the users-list query string. Unknown parameters
// are ignored; an empty value is the same as an absent parameter. It returns
// a *paramError or a *queryError.
func parseListParams(rawQuery string) (listParams, error) {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return listParams{}, &queryError{err: err}
	}
	var p listParams
	get := func(name string) (string, error) {
		vs := vals[name]
		if len(vs) > 1 {
			return "", &paramError{param: name, msg: "must be given at most once"}
		}
		if len(vs) == 0 {
			return "", nil
		}
		return vs[0], nil
	}

	// Validated in the order of the contract's table, so the first bad
	// parameter reported is predictable.
	search, err := get(paramSearch)
	if err != nil {
		return listParams{}, err
	}
	agent, err := get(paramAgent)
	if err != nil {
		return listParams{}, err
	}
	start, err := parseTimeParam(get, paramStart)
	if err != nil {
		return listParams{}, err
	}
	end, err := parseTimeParam(get, paramEnd)
	if err != nil {
		return listParams{}, err
	}
	if !start.IsZero() && !end.IsZero() && start.After(end) {
		return listParams{}, &paramError{param: paramStart, msg: "must not be after end"}
	}
	sortRaw, err := get(paramSort)
	if err != nil {
		return listParams{}, err
	}
	field, desc, err := parseSort(sortRaw)
	if err != nil {
		return listParams{}, err
	}
	limit, err := parseIntParam(get, paramLimit, defaultLimit)
	if err != nil {
		return listParams{}, err
	}
	if limit < 1 || limit > maxLimit {
		return listParams{}, &paramError{param: paramLimit, msg: "must be between 1 and " + strconv.Itoa(maxLimit)}
	}
	offset, err := parseIntParam(get, paramOffset, 0)
	if err != nil {
		return listParams{}, err
	}
	if offset < 0 {
		return listParams{}, &paramError{param: paramOffset, msg: "must not be negative"}
	}

	p.query = store.UserQuery{
		Search: search,
		Agent:  agent,
		Start:  clampTime(start),
		End:    clampTime(end),
		Sort:   field,
		Desc:   desc,
		Limit:  limit,
		Offset: offset,
	}
	p.addEcho(paramSort, sortRaw)
	p.addEcho(paramSearch, search)
	p.addEcho(paramAgent, agent)
	p.addEcho(paramStart, formatEchoTime(start))
	p.addEcho(paramEnd, formatEchoTime(end))
	return p, nil
}

func (p *listParams) addEcho(name, value string) {
	if value != "" {
		p.echo = append(p.echo, queryParam{name: name, value: value})
	}
}

// link formats the query string of a page, by offset or after a cursor,
// with the request's limit and result-shaping parameters:
// "?offset=10&limit=10&sort=...".
func (p *listParams) link(offset int, cursor string) string {
	return pageLink(offset, cursor, p.query.Limit, p.echo)
}

// pageLinks returns the offset pages' next and previous links, nil at
// either end.
func (p *listParams) pageLinks(count int64) (next, previous *string) {
	return pageLinks(false, p.query.Offset, p.query.Limit, count, nil, p.link)
}

// parseSort parses "field" or "-field"; empty means the default -last_seen.
func parseSort(s string) (field string, desc bool, err error) {
	if s == "" {
		return store.SortLastSeen, true, nil
	}
	field, desc = strings.CutPrefix(s, "-")
	if !slices.Contains(store.UserSortFields, field) {
		return "", false, &paramError{
			param: paramSort,
			msg:   "must be one of " + strings.Join(store.UserSortFields, ", ") + ", each optionally prefixed with '-' for descending order",
		}
	}
	return field, desc, nil
}

func parseIntParam(get func(string) (string, error), name string, def int) (int, error) {
	s, err := get(name)
	if err != nil || s == "" {
		return def, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, &paramError{param: name, msg: "must be an integer"}
	}
	return n, nil
}

func parseTimeParam(get func(string) (string, error), name string) (time.Time, error) {
	s, err := get(name)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	t, ok := parseTime(s)
	if !ok {
		return time.Time{}, &paramError{
			param: name,
			msg:   "must be an RFC 3339 time such as 2026-01-15T08:30:00Z or 2026-01-15T10:30:00.5+02:00, or a date such as 2026-01-15",
		}
	}
	return t, nil
}

// parseTime accepts RFC 3339 times (Z or a numeric offset, optional
// fractional seconds) and dates, which mean midnight UTC.
func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	// An unencoded "+02:00" in a query string decodes to " 02:00".
	if n := len(s); n > 6 && s[n-6] == ' ' {
		if t, err := time.Parse(time.RFC3339Nano, s[:n-6]+"+"+s[n-5:]); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// clampTime keeps t within what the store represents; the zero time (no
// bound) stays zero.
func clampTime(t time.Time) time.Time {
	switch {
	case t.IsZero():
		return t
	case t.Before(minTime):
		return minTime
	case t.After(maxTime):
		return maxTime
	default:
		return t
	}
}

// formatEchoTime is the canonical form of a time parameter in page links.
func formatEchoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
