package ui

import (
	"math"
	"net/http"
	"time"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// Overview sizes, as the REST API's overview has them.
const (
	overviewTopUsers  = 10
	overviewAnomalies = 20
)

// overviewView is the data of the overview page.
type overviewView struct {
	pageData
	State       overviewState
	Now         int64
	RangeFields rangeFields
	Window      string // the range, for people
	O           store.Overview
	UserShare   string // share of the runs that carry a user id; "" without runs
	Models      []modelRow
	TopUsers    []userRow
	Anomalies   []anomalyRow
	FlagsOn     bool
}

// anomalyRow is a flagged metric of a user, as people read it.
type anomalyRow struct {
	flags.Anomaly
	Label     string // "Runs" or "Tokens"
	Typical   int64  // the median, rounded
	Limit     int64  // more than this is flagged
	ScoreText string // the modified z-score, one decimal
}

func (h *handler) serveOverview(w http.ResponseWriter, r *http.Request) {
	tm := &timing{start: time.Now()}
	now := h.now()
	st, err := parseOverviewState(r.URL.RawQuery, now)
	if err != nil {
		h.badRequest(w, r, err, "/overview")
		return
	}
	bounded := !st.Range.Start.IsZero() || !st.Range.End.IsZero()
	// The overview's population is the range's users, as in the REST API.
	thr, err := h.thresholds(r.Context(), store.StatsQuery{Window: bounded, Start: st.Range.Start, End: st.Range.End})
	if err != nil {
		h.storeError(w, r, "abuse-flag statistics", err)
		return
	}
	q := store.OverviewQuery{Start: st.Range.Start, End: st.Range.End, TopUsers: overviewTopUsers,
		Outliers: overviewAnomalies}
	thr.SetOutliers(&q)
	o, err := h.reader.Overview(r.Context(), q)
	if err != nil {
		h.storeError(w, r, "overview", err)
		return
	}
	tm.store = time.Since(tm.start)

	v := overviewView{
		pageData: pageData{Title: "Overview", ResetURL: "/overview", Nav: navOverview},
		State:    st,
		Now:      now.UnixNano(),
		Window:   st.Range.Label(),
		O:        o,
		Models:   modelRows(o.CostByModel, o.TotalCost),
		FlagsOn:  h.flags != nil,
	}
	if o.RunCount > 0 {
		v.UserShare = formatPercent(o.UserRuns, o.RunCount)
	}
	v.RangeFields = newRangeFields("o", "Range", range24h, st.Range)
	for _, u := range o.TopUsers {
		v.TopUsers = append(v.TopUsers, userRow{UserSummary: u, HighUsage: thr.Flagged(u.RunCount, u.TotalTokens)})
	}
	for _, a := range thr.Anomalies(o, overviewAnomalies) {
		row := anomalyRow{Anomaly: a, Label: "Runs", Typical: int64(math.Round(a.Median)),
			ScoreText: formatOneDecimal(a.Score)}
		if a.Metric == flags.MetricTotalTokens {
			row.Label = "Tokens"
		}
		row.Limit, _ = flags.Above(a.Threshold)
		v.Anomalies = append(v.Anomalies, row)
	}
	h.render(w, r, http.StatusOK, overviewTmpl, v, tm)
}
