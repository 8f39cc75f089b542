package ui

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// Query parameters. The users list mirrors the REST API's parameters
// (search, agent, start, end, sort, limit, offset, cursor, flag) and adds
// range, before and page.
const (
	paramSearch = "search"
	paramAgent  = "agent"
	paramStart  = "start"
	paramEnd    = "end"
	paramSort   = "sort"
	paramLimit  = "limit"
	paramOffset = "offset"
	paramRange  = "range"
	paramCursor = "cursor"
	paramBefore = "before"
	paramPage   = "page"
	paramFlag   = "flag"
)

// pageLast is the page parameter of the last page.
const pageLast = "last"

// maxPage bounds page numbers, so that positions (page × limit) cannot overflow.
const maxPage = 1_000_000_000

const (
	defaultLimit = 25
	maxLimit     = 100
	defaultSort  = "-" + store.SortLastSeen
)

// Time ranges.
const (
	range24h    = "24h"
	range7d     = "7d"
	range30d    = "30d"
	rangeAll    = "all"
	rangeCustom = "custom"
)

var rangeLabels = []struct{ value, label string }{
	{range24h, "Last 24 hours"},
	{range7d, "Last 7 days"},
	{range30d, "Last 30 days"},
	{rangeAll, "All time"},
	{rangeCustom, "Custom…"},
}

var limitChoices = []int{25, 50, 100}

// paramError is an invalid query parameter, shown to the person on a 400 page.
type paramError struct {
	param string
	msg   string
}

func (e *paramError) Error() string { return "parameter " + e.param + ": " + e.msg }

// timeRange is a validated time range. Start and End are the resolved
// bounds (zero = unbounded, End exclusive); StartRaw and EndRaw are the
// custom bounds as given, so links reproduce them.
type timeRange struct {
	Kind     string
	Explicit bool // the range (or a custom bound) was given in the URL
	Start    time.Time
	End      time.Time
	StartRaw string
	EndRaw   string
}

// queryValues adds the range's parameters to v, unless it is the default def.
func (tr timeRange) addTo(v *[]kv, def string) {
	if tr.Kind == rangeCustom {
		*v = append(*v, kv{paramRange, rangeCustom})
		if tr.StartRaw != "" {
			*v = append(*v, kv{paramStart, tr.StartRaw})
		}
		if tr.EndRaw != "" {
			*v = append(*v, kv{paramEnd, tr.EndRaw})
		}
		return
	}
	if tr.Kind != def {
		*v = append(*v, kv{paramRange, tr.Kind})
	}
}

// apiBounds are the range's resolved bounds as the REST API's start and end
// (RFC 3339 in UTC; an unbounded side is left out): a preset range is
// resolved to its start now, so that an export selects what the page shows.
func (tr timeRange) apiBounds() []kv {
	var v []kv
	if !tr.Start.IsZero() {
		v = append(v, kv{paramStart, tr.Start.UTC().Format(time.RFC3339Nano)})
	}
	if !tr.End.IsZero() {
		v = append(v, kv{paramEnd, tr.End.UTC().Format(time.RFC3339Nano)})
	}
	return v
}

// dateValue is the date (UTC) of a custom bound for a date input.
func dateValue(raw string, t time.Time) string {
	if raw == "" || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// StartDate and EndDate are the values of the custom range's date inputs.
// The end date is inclusive, as people read it.
func (tr timeRange) StartDate() string { return dateValue(tr.StartRaw, tr.Start) }
func (tr timeRange) EndDate() string {
	if tr.EndRaw == "" || tr.End.IsZero() {
		return ""
	}
	if _, err := time.Parse(time.DateOnly, tr.EndRaw); err == nil {
		return tr.EndRaw
	}
	return tr.End.UTC().Format(time.DateOnly)
}

// Label describes the range for headings: "last 7 days".
func (tr timeRange) Label() string {
	switch tr.Kind {
	case range24h:
		return "last 24 hours"
	case range7d:
		return "last 7 days"
	case range30d:
		return "last 30 days"
	case rangeAll:
		return "all time"
	}
	start, end := boundLabel(tr.StartRaw, tr.Start, tr.StartDate()), boundLabel(tr.EndRaw, tr.End, tr.EndDate())
	switch {
	case !tr.Start.IsZero() && !tr.End.IsZero():
		return start + " to " + end
	case !tr.Start.IsZero():
		return "since " + start
	case !tr.End.IsZero():
		return "until " + end
	}
	return "all time"
}

// boundLabel is how a heading names a custom bound: its date (inclusive, for
// an end) when it was given as a date, else its exact time, which a date
// would misstate ("since 2026-11-28" for 09:00 that day).
func boundLabel(raw string, t time.Time, date string) string {
	if _, err := time.Parse(time.DateOnly, raw); err == nil {
		return date
	}
	layout := "2006-01-02 15:04 UTC"
	if t.Second() != 0 || t.Nanosecond() != 0 {
		layout = "2006-01-02 15:04:05.999999999 UTC"
	}
	return t.UTC().Format(layout)
}

type kv struct{ k, v string }

func encode(path string, v []kv) string {
	if len(v) == 0 {
		return path
	}
	var b strings.Builder
	b.WriteString(path)
	for i, p := range v {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.v))
	}
	return b.String()
}

// getter returns single query values; a parameter given twice is an error.
type getter url.Values

// get returns the value of name without surrounding spaces.
func (g getter) get(name string) (string, error) {
	v, err := g.raw(name)
	return strings.TrimSpace(v), err
}

// raw returns the value of name as given (ids, in which spaces count).
func (g getter) raw(name string) (string, error) {
	vs := g[name]
	if len(vs) == 0 {
		return "", nil
	}
	// Identical repeats (a form and a bookmark both adding one) are harmless.
	for _, v := range vs[1:] {
		if v != vs[0] {
			return "", &paramError{param: name, msg: "is given more than once with different values"}
		}
	}
	return vs[0], nil
}

// parseRange reads range, start and end. Without range, start or end make
// the range custom, else it is def. A preset range ignores start and end
// (a form without JavaScript submits the date inputs too).
func parseRange(g getter, now time.Time, def string) (timeRange, error) {
	kind, err := g.get(paramRange)
	if err != nil {
		return timeRange{}, err
	}
	startRaw, err := g.get(paramStart)
	if err != nil {
		return timeRange{}, err
	}
	endRaw, err := g.get(paramEnd)
	if err != nil {
		return timeRange{}, err
	}
	tr := timeRange{Kind: kind, Explicit: kind != ""}
	if kind == "" {
		tr.Kind = def
		if startRaw != "" || endRaw != "" {
			tr.Kind, tr.Explicit = rangeCustom, true
		}
	}
	now = now.UTC()
	switch tr.Kind {
	case range24h:
		tr.Start = now.Add(-24 * time.Hour)
	case range7d:
		tr.Start = now.Add(-7 * 24 * time.Hour)
	case range30d:
		tr.Start = now.Add(-30 * 24 * time.Hour)
	case rangeAll:
	case rangeCustom:
		tr.StartRaw, tr.EndRaw = startRaw, endRaw
		if startRaw != "" {
			t, ok := parseTime(startRaw, false)
			if !ok {
				return timeRange{}, &paramError{param: paramStart, msg: timeFormatHelp}
			}
			tr.Start = t
		}
		if endRaw != "" {
			t, ok := parseTime(endRaw, true)
			if !ok {
				return timeRange{}, &paramError{param: paramEnd, msg: timeFormatHelp}
			}
			tr.End = t
		}
		if !tr.Start.IsZero() && !tr.End.IsZero() && !tr.Start.Before(tr.End) {
			return timeRange{}, &paramError{param: paramStart, msg: "must be before the end of the range"}
		}
	default:
		return timeRange{}, &paramError{param: paramRange, msg: "must be one of 24h, 7d, 30d, all or custom"}
	}
	return tr, nil
}

const timeFormatHelp = "must be a date such as 2026-01-15 or an RFC 3339 time such as 2026-01-15T08:30:00Z"

// Bounds of times the store can represent (Unix nanoseconds in an int64),
// with room for a day's arithmetic.
var (
	minTime = time.Date(1678, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2261, 1, 1, 0, 0, 0, 0, time.UTC)
)

// parseTime accepts RFC 3339 times and dates (midnight UTC). A date as the
// end of a range is inclusive: it means the midnight after it.
func parseTime(s string, end bool) (time.Time, bool) {
	var t time.Time
	if v, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t = v
	} else if v, err := time.Parse(time.DateOnly, s); err == nil {
		t = v
		if end {
			t = t.Add(24 * time.Hour)
		}
	} else if n := len(s); n > 6 && s[n-6] == ' ' {
		// An unencoded "+02:00" in a query string decodes to " 02:00".
		v, err := time.Parse(time.RFC3339Nano, s[:n-6]+"+"+s[n-5:])
		if err != nil {
			return time.Time{}, false
		}
		t = v
	} else {
		return time.Time{}, false
	}
	if t.Before(minTime) || t.After(maxTime) {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// listState is the validated state of the users list, all of it in the URL.
//
// Pages are addressed by keyset: After (the page starts after this row)
// or Before (the page ends before it), with the page number for display;
// Last is the last page. Offset, or a page number alone, are offset pages
// (old bookmarks), which the store must count through.
type listState struct {
	Search    string
	Agent     string
	HighUsage bool // only users flagged high_usage
	Range     timeRange
	Sort      string // a store sort field
	Desc      bool
	Limit     int
	Offset    int
	Page      int // 1-based; 0 when not given
	After     *store.Cursor
	Before    *store.Cursor
	Last      bool

	// bounds select the flagged users when HighUsage is set (set by the
	// handler from the population's statistics).
	bounds *store.UsageBounds
}

// cursorJSON is a page cursor in a URL: a row's sort value and user id,
// with the sort it belongs to, so that a cursor of another sort is refused.
type cursorJSON struct {
	Sort  string `json:"s"`
	Value int64  `json:"v"`
	ID    string `json:"i"`
}

func (s listState) encodeCursor(c store.Cursor) string {
	b, _ := json.Marshal(cursorJSON{Sort: s.sortParam(), Value: c.Value, ID: c.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s listState) decodeCursor(g getter, name string) (*store.Cursor, error) {
	raw, err := g.get(name)
	if err != nil || raw == "" {
		return nil, err
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(raw, "="))
	var c cursorJSON
	if err != nil || json.Unmarshal(b, &c) != nil || c.Sort != s.sortParam() || c.ID == "" {
		return nil, &paramError{param: name, msg: "is not a position in this list (follow the page links, or start from the first page)"}
	}
	return &store.Cursor{Value: c.Value, ID: c.ID}, nil
}

func parseListState(rawQuery string, now time.Time) (listState, error) {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return listState{}, &paramError{param: "query", msg: "is not a valid query string"}
	}
	g := getter(vals)
	var s listState
	if s.Search, err = g.get(paramSearch); err != nil {
		return listState{}, err
	}
	if len(s.Search) > store.MaxUserIDBytes {
		return listState{}, &paramError{param: paramSearch, msg: "is longer than any user id"}
	}
	if s.Agent, err = g.get(paramAgent); err != nil {
		return listState{}, err
	}
	switch f, err := g.get(paramFlag); {
	case err != nil:
		return listState{}, err
	case f == flags.HighUsage:
		s.HighUsage = true
	case f != "":
		return listState{}, &paramError{param: paramFlag, msg: "must be " + flags.HighUsage}
	}
	if s.Range, err = parseRange(g, now, rangeAll); err != nil {
		return listState{}, err
	}
	sortRaw, err := g.get(paramSort)
	if err != nil {
		return listState{}, err
	}
	if sortRaw == "" {
		sortRaw = defaultSort
	}
	field, desc := strings.CutPrefix(sortRaw, "-")
	if !slices.Contains(store.UserSortFields, field) {
		return listState{}, &paramError{param: paramSort, msg: "must be one of " +
			strings.Join(store.UserSortFields, ", ") + ", optionally prefixed with '-' for descending order"}
	}
	s.Sort, s.Desc = field, desc
	if s.Limit, err = intParam(g, paramLimit, defaultLimit); err != nil {
		return listState{}, err
	}
	if s.Limit < 1 || s.Limit > maxLimit {
		return listState{}, &paramError{param: paramLimit, msg: "must be between 1 and " + strconv.Itoa(maxLimit)}
	}
	if s.Offset, err = intParam(g, paramOffset, 0); err != nil {
		return listState{}, err
	}
	if s.Offset < 0 {
		return listState{}, &paramError{param: paramOffset, msg: "must not be negative"}
	}
	if err := s.parsePaging(g); err != nil {
		return listState{}, err
	}
	return s, nil
}

// parsePaging reads cursor, before and page, after the sort and offset.
func (s *listState) parsePaging(g getter) error {
	var err error
	if s.After, err = s.decodeCursor(g, paramCursor); err != nil {
		return err
	}
	if s.Before, err = s.decodeCursor(g, paramBefore); err != nil {
		return err
	}
	page, err := g.get(paramPage)
	if err != nil {
		return err
	}
	keyset := s.After != nil || s.Before != nil
	switch {
	case s.After != nil && s.Before != nil:
		return &paramError{param: paramBefore, msg: "must not be given with cursor"}
	case s.Offset > 0 && (keyset || page != ""):
		return &paramError{param: paramOffset, msg: "must not be given with cursor, before or page"}
	case page == pageLast && !keyset:
		s.Last = true
		return nil
	case page == "" && !keyset:
		return nil
	}
	n, err := strconv.Atoi(page)
	switch {
	case err != nil || n < 1 || n > maxPage:
		return &paramError{param: paramPage, msg: "must be a page number (1 to 1,000,000,000) or last"}
	case keyset && n < 2:
		return &paramError{param: paramPage, msg: "must be 2 or more with cursor or before"}
	}
	s.Page = n
	return nil
}

func intParam(g getter, name string, def int) (int, error) {
	s, err := g.get(name)
	if err != nil || s == "" {
		return def, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, &paramError{param: name, msg: "must be a whole number"}
	}
	return n, nil
}

// query is the store query of the list's filters and sort; fetchPage
// sets the paging.
func (s listState) query() store.UserQuery {
	return store.UserQuery{
		Search: s.Search, Agent: s.Agent, Start: s.Range.Start, End: s.Range.End,
		Sort: s.Sort, Desc: s.Desc, Limit: s.Limit, HighUsage: s.bounds,
	}
}

// sortParam is the sort as a parameter: "-total_cost".
func (s listState) sortParam() string {
	if s.Desc {
		return "-" + s.Sort
	}
	return s.Sort
}

// filtered reports whether any filter narrows the list.
func (s listState) Filtered() bool {
	return s.Search != "" || s.Agent != "" || s.HighUsage || s.Range.Kind != rangeAll
}

// filters are the parameters of the list's search, agent and usage
// filters, which the UI and the REST API spell alike.
func (s listState) filters() []kv {
	var v []kv
	if s.Search != "" {
		v = append(v, kv{paramSearch, s.Search})
	}
	if s.Agent != "" {
		v = append(v, kv{paramAgent, s.Agent})
	}
	if s.HighUsage {
		v = append(v, kv{paramFlag, flags.HighUsage})
	}
	return v
}

// URL is the canonical URL of the state; default values are left out.
func (s listState) URL() string {
	v := s.filters()
	s.Range.addTo(&v, rangeAll)
	if p := s.sortParam(); p != defaultSort {
		v = append(v, kv{paramSort, p})
	}
	if s.Limit != defaultLimit {
		v = append(v, kv{paramLimit, strconv.Itoa(s.Limit)})
	}
	if s.Offset != 0 {
		v = append(v, kv{paramOffset, strconv.Itoa(s.Offset)})
	}
	if s.After != nil {
		v = append(v, kv{paramCursor, s.encodeCursor(*s.After)})
	}
	if s.Before != nil {
		v = append(v, kv{paramBefore, s.encodeCursor(*s.Before)})
	}
	switch {
	case s.Last:
		v = append(v, kv{paramPage, pageLast})
	case s.Page > 1:
		v = append(v, kv{paramPage, strconv.Itoa(s.Page)})
	}
	return encode("/", v)
}

// csvURL is the REST API's CSV export of the list: every user matching its
// filters, in its sort, with lifetime aggregates (as the list shows them).
// A preset range is resolved to its start now, so the export selects the
// users the page counted.
func (s listState) csvURL() string {
	v := append([]kv{{"format", "csv"}}, s.filters()...)
	v = append(v, s.Range.apiBounds()...)
	v = append(v, kv{paramSort, s.sortParam()})
	return encode("/api/v1/observability/users/", v)
}

// firstPage is the state without paging: the first page of the same view.
func (s listState) firstPage() listState {
	s.Offset, s.Page, s.After, s.Before, s.Last = 0, 0, nil, nil, false
	return s
}

// detailState is the validated state of a user's page: the chart's range.
type detailState struct {
	UserID string
	Range  timeRange
}

func parseDetailState(userID, rawQuery string, now time.Time) (detailState, error) {
	tr, err := parseRangeQuery(rawQuery, now, range30d)
	if err != nil {
		return detailState{}, err
	}
	return detailState{UserID: userID, Range: tr}, nil
}

// rangeFields are a form's time range fields: the range select (label
// Label, default Default) and the custom dates, with ids prefixed by ID.
type rangeFields struct {
	ID, Label, Default string
	Ranges             []option
	Range              timeRange
}

func newRangeFields(id, label, def string, tr timeRange) rangeFields {
	f := rangeFields{ID: id, Label: label, Default: def, Range: tr}
	for _, rg := range rangeLabels {
		f.Ranges = append(f.Ranges, option{Value: rg.value, Label: rg.label, Selected: rg.value == tr.Kind})
	}
	return f
}

// agentField is a form's agent select (template "agentfield"): "All
// agents" and the store's agents, with the chosen one selected.
type agentField struct {
	ID     string   // the select's id
	Agent  string   // the chosen agent; "" for all
	Agents []string // the store's agents (ListAgents)
}

// Gone reports whether the chosen agent is not among the store's agents
// (a bookmark of an agent whose runs are gone): the select adds it, so
// that the form keeps it.
func (f agentField) Gone() bool {
	return f.Agent != "" && !slices.Contains(f.Agents, f.Agent)
}

// parseRangeQuery reads the time range of a page's query string; def is
// the range without one.
func parseRangeQuery(rawQuery string, now time.Time, def string) (timeRange, error) {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return timeRange{}, &paramError{param: "query", msg: "is not a valid query string"}
	}
	return parseRange(getter(vals), now, def)
}

// overviewState is the validated state of the overview: its time range.
type overviewState struct {
	Range timeRange
}

func parseOverviewState(rawQuery string, now time.Time) (overviewState, error) {
	tr, err := parseRangeQuery(rawQuery, now, range24h)
	if err != nil {
		return overviewState{}, err
	}
	return overviewState{Range: tr}, nil
}

// userPath is the path of a user's page (idPath).
func userPath(id string) string { return idPath("/users/", id, url.PathEscape) }

// idPath is the path of the page of id under base ("/users/"): id escaped
// as one path segment ("/" becomes %2F), except "." and "..", which a
// browser or a ServeMux would resolve away in a path, so they go in the
// query instead (serveByID reads both).
func idPath(base, id string, escape func(string) string) string {
	if id == "." || id == ".." {
		return base + "?id=" + url.QueryEscape(id)
	}
	return base + escape(id)
}

// userURL is the link to a user's page that keeps an explicit range.
func userURL(id string, tr timeRange) string {
	p := userPath(id)
	if !tr.Explicit {
		return p
	}
	var v []kv
	tr.addTo(&v, "")
	q := encode("", v)
	if strings.Contains(p, "?") {
		return p + "&" + q[1:]
	}
	return p + q
}
