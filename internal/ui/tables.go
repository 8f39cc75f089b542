package ui

import "github.com/waxell/otelcol-waxell/internal/store"

// Parts of the pages that several pages share (templates/parts.html).

// runRows are the rows of a runs table, with their sessions' links when
// the table shows its runs' sessions (a session's own page does not).
func (h *handler) runRows(runs []store.RunSummary, sessionLinks bool) []runRow {
	rows := make([]runRow, 0, len(runs))
	for _, run := range runs {
		row := runRow{RunSummary: run}
		if sessionLinks && run.SessionID != "" {
			row.SessionURL = h.sessionLink(run.SessionID)
		}
		rows = append(rows, row)
	}
	return rows
}

// runsTable is what the "runs" table shows: runs (started, user, agent,
// workflow, duration, status, cost, tokens) and, with Sessions, their
// sessions.
type runsTable struct {
	Runs     []runRow
	Now      int64
	Sessions bool
}

// Len is how many runs the table shows.
func (t runsTable) Len() int64 { return int64(len(t.Runs)) }

// pager is what the "pager" part shows under a list: where the page sits,
// the CSV export (CSVURL, a file named Many.csv) and the page links.
type pager struct {
	From, To, Count, Page, Pages        int64
	One, Many                           string // the noun of a row and of rows
	CSVURL                              string
	FirstURL, PrevURL, NextURL, LastURL string
	Last                                bool // a Last link (disabled without LastURL)
	Links                               bool // page links at all
}
