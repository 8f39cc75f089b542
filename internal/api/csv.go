package api

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// CSV export.
//
// format=csv streams every row matching the list's filters, in its sort
// order, with a header row: limit, offset and cursor do not apply. Rows are
// read page by page with keyset pagination, so memory stays bounded and no
// read transaction stays open while the client reads. Fields are quoted as
// RFC 4180 says (commas, quotes and line breaks in ids survive); lines end
// with "\n". A text cell that a spreadsheet could take for a formula (it
// starts with =, +, -, @, a tab or a carriage return), or that starts with a
// single quote, is prefixed with a single quote: strip one leading quote from
// such cells to recover the value. Lists (agents, users, flags) are joined
// with ";".

// csvPage is how many rows one store read returns while exporting. A
// windowed users list (scope=window) reads csvWindowPage rows at a time:
// each of its reads aggregates the whole window again (at a million users
// about 150 ms for a day, a second for a week), so its export takes fewer,
// larger reads: a week's 433,000 users in 29 s instead of 446.
var csvPage, csvWindowPage = 1000, 25000

// csvText makes a text cell safe to open in a spreadsheet.
func csvText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\'':
		return "'" + s
	}
	return s
}

func csvList(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = csvText(s)
	}
	return strings.Join(out, ";")
}

// csvStream writes a CSV response row by row.
type csvStream struct {
	h  *handler
	w  http.ResponseWriter
	r  *http.Request
	cw *csv.Writer
}

func setCSVHeaders(hdr http.Header, filename string) {
	hdr.Set("Content-Type", "text/csv; charset=utf-8")
	hdr.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "no-store")
}

func (s *csvStream) write(row []string) {
	if err := s.cw.Write(row); err != nil {
		s.fail("write csv", err)
	}
}

// flush sends what is buffered, so that a long export streams.
func (s *csvStream) flush() {
	s.cw.Flush()
	if err := s.cw.Error(); err != nil {
		s.fail("write csv", err)
	}
	_ = http.NewResponseController(s.w).Flush()
}

// fail ends a response that has begun: the status is sent, so the
// connection is aborted, and the client sees a truncated download rather
// than a short file that looks complete.
func (s *csvStream) fail(op string, err error) {
	if s.r.Context().Err() != nil {
		s.h.logger.Debug("request canceled", zap.String("operation", op), zap.Error(err))
	} else {
		s.h.logger.Error("cannot export csv", zap.String("operation", op), zap.Error(err))
	}
	panic(http.ErrAbortHandler)
}

func (h *handler) usersCSV(w http.ResponseWriter, r *http.Request, q store.UserQuery, thr thresholds) {
	page := csvPage
	if q.Window {
		page = csvWindowPage
	}
	q.Limit, q.Offset, q.After, q.NoCount = page, 0, nil, true
	streamCSV(h, w, r, page, "users.csv", []string{"user_id", "run_count", "first_seen", "last_seen",
		"total_duration", "total_cost", "total_tokens", "agents", "flags"}, "list users",
		func(after *store.Cursor) ([]store.UserSummary, error) {
			q.After = after
			page, err := h.reader.ListUsers(r.Context(), q)
			return page.Users, err
		},
		func(u store.UserSummary) []string {
			return []string{csvText(u.UserID), strconv.FormatInt(u.RunCount, 10), formatTime(u.FirstSeen),
				formatTime(u.LastSeen), formatSeconds(u.TotalDuration), formatUSD(u.TotalCost),
				strconv.FormatInt(u.TotalTokens, 10), csvList(u.Agents), csvList(thr.flags(u.RunCount, u.TotalTokens))}
		},
		func(u store.UserSummary) store.Cursor {
			return store.Cursor{Value: u.SortValue(q.Sort), ID: u.UserID}
		})
}

func (h *handler) sessionsCSV(w http.ResponseWriter, r *http.Request, q store.SessionQuery) {
	q.Limit, q.Offset, q.After, q.NoCount = csvPage, 0, nil, true
	streamCSV(h, w, r, csvPage, "sessions.csv", []string{"session_id", "run_count", "first_seen", "last_seen",
		"total_duration", "total_cost", "total_tokens", "users", "agents"}, "list sessions",
		func(after *store.Cursor) ([]store.SessionSummary, error) {
			q.After = after
			page, err := h.ext.ListSessions(r.Context(), q)
			return page.Sessions, err
		},
		func(x store.SessionSummary) []string {
			return []string{csvText(x.SessionID), strconv.FormatInt(x.RunCount, 10), formatTime(x.FirstSeen),
				formatTime(x.LastSeen), formatSeconds(x.TotalDuration), formatUSD(x.TotalCost),
				strconv.FormatInt(x.TotalTokens, 10), csvList(x.Users), csvList(x.Agents)}
		},
		func(x store.SessionSummary) store.Cursor {
			return store.Cursor{Value: sessionSortValue(x, q.Sort), ID: x.SessionID}
		})
}

// streamCSV writes the header and every row of the pages fetch returns,
// page after page (page rows each) until a short page. A failure to read
// the first page is an ordinary error response; a later one aborts the
// response.
func streamCSV[T any](h *handler, w http.ResponseWriter, r *http.Request, page int, filename string, header []string, op string,
	fetch func(after *store.Cursor) ([]T, error), row func(T) []string, cursor func(T) store.Cursor) {
	hdr := w.Header()
	if r.Method == http.MethodHead {
		setCSVHeaders(hdr, filename)
		w.WriteHeader(http.StatusOK)
		return
	}
	rows, err := fetch(nil)
	if err != nil {
		h.storeError(w, r, op, err)
		return
	}
	setCSVHeaders(hdr, filename)
	w.WriteHeader(http.StatusOK)
	s := &csvStream{h: h, w: w, r: r, cw: csv.NewWriter(w)}
	s.write(header)
	for {
		for _, x := range rows {
			s.write(row(x))
		}
		s.flush()
		if len(rows) < page {
			return
		}
		c := cursor(rows[len(rows)-1])
		if rows, err = fetch(&c); err != nil {
			s.fail(op, err)
		}
	}
}
