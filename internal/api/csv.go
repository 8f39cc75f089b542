package api

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// CSV export.
//
// format=csv exports every row matching the list's filters, in its sort
// order, with a header row: limit, offset and cursor do not apply. The rows
// are first written to a temporary file (a spool), then sent: the store's
// reads end before the download begins, so a slow client holds no database
// connection, query slot or transaction, a read that fails is an ordinary
// error response rather than a truncated file, and the response has a
// Content-Length. Each list is read by one statement (EachUser,
// EachSession, EachRun): one snapshot, so that a row updated during the export is
// neither missed nor written twice, and a windowed list's aggregate
// computed once, not once per page. Fields are quoted as RFC 4180 says (commas,
// quotes and line breaks in ids survive); lines end with "\n". A text cell
// that a spreadsheet could take for a formula (it starts with =, +, -, @, a
// tab or a carriage return), or that starts with a single quote, is
// prefixed with a single quote: strip one leading quote from such cells to
// recover the value. Lists (agents, users, flags) are joined with ";".

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

func setCSVHeaders(hdr http.Header, filename string) {
	hdr.Set("Content-Type", "text/csv; charset=utf-8")
	hdr.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cache-Control", "no-store")
}

// csvSpool is an export being written to a temporary file.
type csvSpool struct {
	f  *os.File
	cw *csv.Writer
}

// errSpool marks a failure to write the spool, not to read the store.
var errSpool = errors.New("cannot write the export's temporary file")

func newCSVSpool(header []string) (*csvSpool, error) {
	f, err := os.CreateTemp("", "waxell-export-*.csv")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSpool, err)
	}
	s := &csvSpool{f: f, cw: csv.NewWriter(f)}
	return s, s.write(header)
}

func (s *csvSpool) write(row []string) error {
	if err := s.cw.Write(row); err != nil {
		return fmt.Errorf("%w: %w", errSpool, err)
	}
	return nil
}

// remove deletes the spool; it is never kept past its request.
func (s *csvSpool) remove() {
	_ = s.f.Close()
	_ = os.Remove(s.f.Name())
}

// send writes the spool as the response.
func (s *csvSpool) send(h *handler, w http.ResponseWriter, r *http.Request, filename string) {
	s.cw.Flush()
	err := s.cw.Error()
	var size int64
	if err == nil {
		size, err = s.f.Seek(0, io.SeekCurrent)
	}
	if err == nil {
		_, err = s.f.Seek(0, io.SeekStart)
	}
	if err != nil {
		h.exportError(w, r, fmt.Errorf("%w: %w", errSpool, err))
		return
	}
	setCSVHeaders(w.Header(), filename)
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, s.f); err != nil {
		h.logger.Debug("cannot send csv", zap.Error(err))
	}
}

// exportError answers a failed export: a store failure as any read's, a
// failure to write the spool as an internal error logged as such.
func (h *handler) exportError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errSpool) {
		h.logger.Error("cannot export csv", zap.Error(err))
		h.writeError(w, errInternal())
		return
	}
	h.storeError(w, r, "export csv", err)
}

// WithExportTimeout sets how long a CSV export's answer may take to send
// once its rows are read: the response's write deadline is moved to d from
// then, past the server's write timeout (counted from the request, which a
// long read and a large file would outlast). 0 removes the deadline. The
// read itself is bounded by the reader given to NewHandler (see
// readgate.Config.ExportTimeout). Without this option, the server's write
// timeout holds.
func WithExportTimeout(d time.Duration) Option {
	return func(h *handler) {
		if d >= 0 {
			h.x.exportTimeout = &d
		}
	}
}

// extendWriteDeadline moves w's write deadline to the export timeout from
// now, when one is set. A writer that cannot (a test recorder) is left as
// it is.
func (h *handler) extendWriteDeadline(w http.ResponseWriter) {
	d := h.x.exportTimeout
	if d == nil {
		return
	}
	var at time.Time
	if *d > 0 {
		at = time.Now().Add(*d)
	}
	if err := http.NewResponseController(w).SetWriteDeadline(at); err != nil {
		h.logger.Debug("cannot extend the export's write deadline", zap.Error(err))
	}
}

// exportCSV spools the header and the rows fill writes, then sends them. A
// HEAD request gets the headers without a read.
func (h *handler) exportCSV(w http.ResponseWriter, r *http.Request, filename string, header []string,
	fill func(s *csvSpool) error) {
	if r.Method == http.MethodHead {
		setCSVHeaders(w.Header(), filename)
		w.WriteHeader(http.StatusOK)
		return
	}
	s, err := newCSVSpool(header)
	if s != nil {
		defer s.remove()
	}
	if err == nil {
		err = fill(s)
	}
	// Nothing was written yet: the server's write timeout, counted from the
	// request, does not cut an answer that comes after a long read.
	h.extendWriteDeadline(w)
	if err != nil {
		h.exportError(w, r, err)
		return
	}
	s.send(h, w, r, filename)
}

func (h *handler) usersCSV(w http.ResponseWriter, r *http.Request, q store.UserQuery, thr flags.Thresholds) {
	h.exportCSV(w, r, "users.csv", []string{"user_id", "run_count", "first_seen", "last_seen",
		"total_duration", "total_cost", "total_tokens", "agents", "flags"}, func(s *csvSpool) error {
		return h.ext.EachUser(r.Context(), q, func(u store.UserSummary) error {
			return s.write([]string{csvText(u.UserID), strconv.FormatInt(u.RunCount, 10), formatTime(u.FirstSeen),
				formatTime(u.LastSeen), formatSeconds(u.TotalDuration), formatUSD(u.TotalCost),
				strconv.FormatInt(u.TotalTokens, 10), csvList(u.Agents), csvList(thr.Flags(u.RunCount, u.TotalTokens))})
		})
	})
}

func (h *handler) sessionsCSV(w http.ResponseWriter, r *http.Request, q store.SessionQuery) {
	h.exportCSV(w, r, "sessions.csv", []string{"session_id", "run_count", "first_seen", "last_seen",
		"total_duration", "total_cost", "total_tokens", "users", "agents"}, func(s *csvSpool) error {
		return h.ext.EachSession(r.Context(), q, func(x store.SessionSummary) error {
			return s.write([]string{csvText(x.SessionID), strconv.FormatInt(x.RunCount, 10),
				formatTime(x.FirstSeen), formatTime(x.LastSeen), formatSeconds(x.TotalDuration),
				formatUSD(x.TotalCost), strconv.FormatInt(x.TotalTokens, 10), csvList(x.Users), csvList(x.Agents)})
		})
	})
}
