package ui

import (
	"errors"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// detailView is the data of a user's page.
type detailView struct {
	pageData
	State       detailState
	Now         int64
	User        store.UserSummary
	Models      []modelRow
	Runs        []runRow
	Chart       chartView
	RangeFields rangeFields
	BackURL     string
	Window      string       // what the chart covers, for people
	Flags       []flagNote   // the metrics that flag the user high_usage
	Sessions    []sessionRow // the user's most expensive sessions
	SessionsAll int64        // how many sessions the user has
	AllRunsURL  string       // the runs list, when Runs are not all the user's runs
}

type sessionRow struct {
	store.SessionSummary
	URL string
}

// topSessions is how many of a user's sessions its page lists.
const topSessions = 10

// flagNote says why a user is flagged high_usage: one metric above its
// threshold, against the population's median.
type flagNote struct {
	Label   string
	Value   int64
	Typical int64 // the median, rounded
	Limit   int64 // more than this is flagged
}

// flagNotes are the notes of the metrics of u above t's thresholds.
func flagNotes(t flags.Thresholds, u store.UserSummary) []flagNote {
	var out []flagNote
	for _, m := range []struct {
		label string
		value int64
		thr   float64
		dist  store.Dist
	}{{"Runs", u.RunCount, t.RunCount, t.Stats.RunCount}, {"Tokens", u.TotalTokens, t.Tokens, t.Stats.TotalTokens}} {
		limit, ok := flags.Above(m.thr)
		if ok && m.value > limit {
			out = append(out, flagNote{Label: m.label, Value: m.value, Typical: int64(math.Round(m.dist.Median)), Limit: limit})
		}
	}
	return out
}

type modelRow struct {
	store.ModelCost
	Share      string
	ShareWidth float64 // 0..100, the share bar's width
}

// modelRows are the rows of a cost-by-model table whose costs add up to
// total.
func modelRows(costs []store.ModelCost, total int64) []modelRow {
	var out []modelRow
	for _, m := range costs {
		row := modelRow{ModelCost: m, Share: formatPercent(m.TotalCost, total)}
		if total > 0 && m.TotalCost > 0 {
			row.ShareWidth = round1(100 * float64(m.TotalCost) / float64(total))
		}
		out = append(out, row)
	}
	return out
}

type runRow struct {
	store.RunSummary
	SessionURL string
}

// Duration is the run's wall time in nanoseconds, never negative.
func (r runRow) Duration() int64 { return max(0, r.End-r.Start) }

func (h *handler) serveDetail(w http.ResponseWriter, r *http.Request, id string) {
	tm := &timing{start: time.Now()}
	now := h.now()
	st, err := parseDetailState(id, r.URL.RawQuery, now)
	if err != nil {
		h.badRequest(w, r, err, userPath(id))
		return
	}
	d, err := h.reader.GetUser(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		h.renderErrorView(w, r, errorView{Status: http.StatusNotFound, Heading: "No such user",
			Message: "No runs have been recorded for the user id “" + id + "”.", pageData: pageData{ResetURL: "/"}})
		return
	}
	if err != nil {
		h.storeError(w, r, "get user", err)
		return
	}
	thr, err := h.thresholds(r.Context(), store.StatsQuery{})
	if err != nil {
		h.storeError(w, r, "abuse-flag statistics", err)
		return
	}
	// One range of the user's sessions index, sorted by cost there.
	sessions, err := h.reader.ListSessions(r.Context(), store.SessionQuery{UserID: id, Sort: store.SortTotalCost,
		Desc: true, Limit: topSessions})
	if err != nil {
		h.storeError(w, r, "list sessions", err)
		return
	}
	win := chartWindowFor(st.Range, now, d.Summary.FirstSeen, d.Summary.LastSeen)
	points, err := h.reader.UserTimeseries(r.Context(), store.TimeseriesQuery{
		UserID: id, Start: win.Start, End: win.End, Bucket: win.Bucket,
	})
	if errors.Is(err, store.ErrNotFound) {
		points, err = nil, nil // deleted between the two reads: an empty chart
	}
	if err != nil {
		h.storeError(w, r, "user timeseries", err)
		return
	}
	tm.store = time.Since(tm.start)

	v := detailView{
		pageData:    pageData{Title: "User " + truncateID(id, 48), ResetURL: userPath(id), Nav: navUsers},
		State:       st,
		Now:         now.UnixNano(),
		User:        d.Summary,
		Chart:       buildChart(points, win),
		Flags:       flagNotes(thr, d.Summary),
		SessionsAll: sessions.Count,
	}
	v.RangeFields = newRangeFields("d", "Range", range30d, st.Range)
	back := listState{Range: st.Range, Sort: "last_seen", Desc: true, Limit: defaultLimit}
	if !st.Range.Explicit {
		back.Range = timeRange{Kind: rangeAll}
	}
	v.BackURL = back.URL()
	v.Window = st.Range.Label()
	if win.Clipped {
		v.Window += " (the last 366 days shown)"
	}
	v.Models = modelRows(d.CostByModel, d.Summary.TotalCost)
	v.Runs = h.runRows(d.Runs, true)
	if int64(len(d.Runs)) < d.Summary.RunCount {
		v.AllRunsURL = runsURL(id, "")
	}
	for _, s := range sessions.Sessions {
		v.Sessions = append(v.Sessions, sessionRow{SessionSummary: s, URL: h.sessionLink(s.SessionID)})
	}
	h.render(w, r, http.StatusOK, detailTmpl, v, tm)
}

// sessionLink is where a session id links: the WithSessionURL pattern, else
// the UI's own session page.
func (h *handler) sessionLink(id string) string {
	if h.sessionURL != "" {
		return strings.ReplaceAll(h.sessionURL, "{session_id}", escapeSession(id))
	}
	return sessionPath(id)
}

// escapeSession percent-encodes everything but unreserved characters, so a
// session id is safe in any part of a URL pattern.
func escapeSession(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
