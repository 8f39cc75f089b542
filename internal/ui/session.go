package ui

import (
	"errors"
	"net/http"
	"time"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// sessionView is the data of a session's page.
type sessionView struct {
	pageData
	Now     int64
	Session store.SessionSummary
	Runs    runsTable // oldest first, at most store.SessionRuns
	// AllRunsURL is the runs list, when Runs are not all the session's runs.
	AllRunsURL string
}

// sessionPath is the path of a session's page (idPath).
func sessionPath(id string) string { return idPath("/sessions/", id, escapeSession) }

func (h *handler) serveSession(w http.ResponseWriter, r *http.Request, id string) {
	tm := &timing{start: time.Now()}
	d, err := h.reader.GetSession(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		h.renderErrorView(w, r, errorView{Status: http.StatusNotFound, Heading: "No such session",
			Message: "No runs have been recorded in the session “" + id + "”.", pageData: pageData{ResetURL: "/"}})
		return
	}
	if err != nil {
		h.storeError(w, r, "get session", err)
		return
	}
	tm.store = time.Since(tm.start)
	now := h.now().UnixNano()
	v := sessionView{
		pageData: pageData{Title: "Session " + truncateID(id, 48), ResetURL: sessionPath(id), Nav: navUsers},
		Now:      now,
		Session:  d.Summary,
		Runs:     runsTable{Runs: h.runRows(d.Runs, false), Now: now},
	}
	if int64(len(d.Runs)) < d.Summary.RunCount {
		v.AllRunsURL = runsURL("", id)
	}
	h.render(w, r, http.StatusOK, sessionTmpl, v, tm)
}
