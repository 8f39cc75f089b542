package api

import (
	"math"
	"net/http"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// Overview sizes.
const (
	topUsers     = 10
	maxAnomalies = 20
)

type overviewJSON struct {
	Window         windowJSON      `json:"window"`
	Totals         totalsJSON      `json:"totals"`
	UniqueUsers    int64           `json:"unique_users"`
	NewUsers       int64           `json:"new_users"`
	RunsWithUserID int64           `json:"runs_with_user_id"`
	UserIDShare    *float64        `json:"user_id_share"`
	TopUsers       []userRowJSON   `json:"top_users"`
	CostByModel    []modelCostJSON `json:"cost_by_model"`
	Anomalies      []anomalyJSON   `json:"anomalies"`
	HighUsage      highUsageJSON   `json:"high_usage"`
}

type totalsJSON struct {
	RunCount      int64   `json:"run_count"`
	TotalCost     usd     `json:"total_cost"`
	TotalTokens   int64   `json:"total_tokens"`
	TotalDuration seconds `json:"total_duration"`
}

type anomalyJSON struct {
	UserID    string  `json:"user_id"`
	Flag      string  `json:"flag"`
	Metric    string  `json:"metric"`
	Value     int64   `json:"value"`
	Median    float64 `json:"median"`
	Threshold float64 `json:"threshold"`
	Score     float64 `json:"score"`
}

// highUsageJSON documents the rule's numbers for the overview's population.
type highUsageJSON struct {
	K           float64    `json:"k"`
	Users       int64      `json:"users"`
	RunCount    metricJSON `json:"run_count"`
	TotalTokens metricJSON `json:"total_tokens"`
}

type metricJSON struct {
	Median    float64  `json:"median"`
	MAD       float64  `json:"mad"`
	MeanAD    float64  `json:"mean_ad"`
	Threshold *float64 `json:"threshold"` // null: nobody can be flagged
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func metricOf(d store.Dist, thr float64) metricJSON {
	m := metricJSON{Median: round6(d.Median), MAD: round6(d.MAD), MeanAD: round6(d.MeanAD)}
	if !math.IsInf(thr, 0) {
		t := round6(thr)
		m.Threshold = &t
	}
	return m
}

func (h *handler) overview(w http.ResponseWriter, r *http.Request) {
	q, err := newQuery(r.URL.RawQuery, routeOverview)
	if err != nil {
		h.writeError(w, clientError(err))
		return
	}
	start, end, err := q.window()
	k := 0.0
	if err == nil {
		k, err = q.flagK(h.x.flagK)
	}
	if err != nil {
		h.writeError(w, clientError(err))
		return
	}
	ctx := r.Context()
	bounded := !start.IsZero() || !end.IsZero()
	thr, err := h.thresholdsFor(ctx, store.StatsQuery{Window: bounded, Start: start, End: end}, k)
	if err != nil {
		h.storeError(w, r, "compute usage statistics", err)
		return
	}
	oq := store.OverviewQuery{Start: start, End: end, TopUsers: topUsers, Outliers: maxAnomalies}
	thr.SetOutliers(&oq)
	o, err := h.ext.Overview(ctx, oq)
	if err != nil {
		h.storeError(w, r, "read overview", err)
		return
	}
	out := overviewJSON{
		Window: newWindowJSON(start, end),
		Totals: totalsJSON{RunCount: o.RunCount, TotalCost: usd(o.TotalCost), TotalTokens: o.TotalTokens,
			TotalDuration: seconds(o.TotalDuration)},
		UniqueUsers:    o.UniqueUsers,
		NewUsers:       o.NewUsers,
		RunsWithUserID: o.UserRuns,
		TopUsers:       make([]userRowJSON, 0, len(o.TopUsers)),
		CostByModel:    renderUserDetail(store.UserDetail{CostByModel: o.CostByModel}).CostByModel,
		Anomalies:      []anomalyJSON{},
		HighUsage: highUsageJSON{K: k, Users: thr.Stats.Users, RunCount: metricOf(thr.Stats.RunCount, thr.RunCount),
			TotalTokens: metricOf(thr.Stats.TotalTokens, thr.Tokens)},
	}
	if o.RunCount > 0 {
		s := round6(float64(o.UserRuns) / float64(o.RunCount))
		out.UserIDShare = &s
	}
	for _, u := range renderUserList(store.UserPage{Users: o.TopUsers}, &listParams{}).Results {
		out.TopUsers = append(out.TopUsers, userRowJSON{userJSON: u, Flags: thr.Flags(u.RunCount, u.TotalTokens)})
	}

	for _, a := range thr.Anomalies(o, maxAnomalies) {
		out.Anomalies = append(out.Anomalies, anomalyJSON{UserID: a.UserID, Flag: flags.HighUsage, Metric: a.Metric,
			Value: a.Value, Median: round6(a.Median), Threshold: round6(a.Threshold), Score: round6(a.Score)})
	}
	h.writeJSON(w, http.StatusOK, out)
}
