package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// runView is the data of a run's page.
type runView struct {
	pageData
	Now        int64
	Run        store.RunDetail
	SessionURL string
	TraceURL   string // empty: the trace id is text
}

// Duration is the run's wall time in nanoseconds, never negative.
func (v runView) Duration() int64 { return max(0, v.Run.End-v.Run.Start) }

// TotalTokens is the run's input plus output tokens, as the users' totals
// count them (cached input and cache writes are part of input, reasoning of
// output).
func (v runView) TotalTokens() int64 { return v.Run.Tokens.Input + v.Run.Tokens.Output }

// runPath is the UI's page of the run with this id.
func runPath(id int64) string { return "/runs/" + strconv.FormatInt(id, 10) }

func (h *handler) serveRun(w http.ResponseWriter, r *http.Request, raw string) {
	tm := &timing{start: time.Now()}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		h.renderError(w, r, http.StatusNotFound, "Page not found", "Runs are addressed by their number, as /runs/42.")
		return
	}
	d, err := h.reader.GetRun(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		h.renderErrorView(w, r, errorView{Status: http.StatusNotFound, Heading: "No such run",
			Message: "No run " + raw + " is stored (retention may have removed it).", pageData: pageData{ResetURL: "/"}})
		return
	}
	if err != nil {
		h.storeError(w, r, "get run", err)
		return
	}
	tm.store = time.Since(tm.start)
	v := runView{
		pageData: pageData{Title: "Run " + raw, ResetURL: runPath(id), Nav: navUsers},
		Now:      h.now().UnixNano(),
		Run:      d,
	}
	if d.SessionID != "" {
		v.SessionURL = h.sessionLink(d.SessionID)
	}
	if h.traceURL != "" {
		// A trace id is hex: nothing in it needs escaping.
		v.TraceURL = strings.ReplaceAll(h.traceURL, "{trace_id}", d.TraceID)
	}
	h.render(w, r, http.StatusOK, runTmpl, v, tm)
}
