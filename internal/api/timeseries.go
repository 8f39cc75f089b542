package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// maxPoints bounds the points of one time series response.
const maxPoints = 10_000

type timeseriesJSON struct {
	UserID string      `json:"user_id"`
	Bucket string      `json:"bucket"`
	Start  timestamp   `json:"start"`
	End    timestamp   `json:"end"`
	Points []pointJSON `json:"points"`
}

type pointJSON struct {
	T             timestamp        `json:"t"`
	RunCount      int64            `json:"run_count"`
	TotalCost     usd              `json:"total_cost"`
	TotalTokens   int64            `json:"total_tokens"`
	TotalDuration seconds          `json:"total_duration"`
	CostByModel   []modelPointJSON `json:"cost_by_model"`
}

type modelPointJSON struct {
	Model       string `json:"model"`
	TotalCost   usd    `json:"total_cost"`
	TotalTokens int64  `json:"total_tokens"`
	CallCount   int64  `json:"call_count"`
}

// userTimeseries serves a user's totals per UTC hour or day. Buckets are
// whole: the series starts at start rounded down to a bucket boundary and
// ends at end rounded up to one, every bucket present (empty ones as zeros),
// each counting the runs that started in it.
func (h *handler) userTimeseries(w http.ResponseWriter, r *http.Request, userID string) {
	q, ok := h.userQuery(w, r, userID, routeUserTimeseries)
	if !ok {
		return
	}
	start, end, err := q.window()
	if err == nil && start.IsZero() {
		err = &paramError{param: paramStart, msg: "is required"}
	}
	if err == nil && end.IsZero() {
		err = &paramError{param: paramEnd, msg: "is required"}
	}
	var bucket string
	if err == nil {
		bucket, err = q.get(paramBucket)
	}
	var width time.Duration
	if err == nil {
		switch bucket {
		case "", store.BucketHour:
			bucket, width = store.BucketHour, time.Hour
		case store.BucketDay:
			width = 24 * time.Hour
		default:
			err = &paramError{param: paramBucket, msg: "must be hour or day"}
		}
	}
	var lo, hi int64
	if err == nil {
		lo, hi = floorNanos(start.UnixNano(), int64(width)), ceilNanos(end.UnixNano(), int64(width))
		// hi-lo overflows (turns negative) for ranges of about 292 years and more.
		if span := hi - lo; lo > start.UnixNano() || hi < end.UnixNano() || hi < lo || span < 0 || span/int64(width) > maxPoints {
			err = &paramError{param: paramEnd, msg: "too many points: at most 10000 buckets from start to end"}
		}
	}
	if err != nil {
		h.writeError(w, clientError(err))
		return
	}
	if len(userID) > store.MaxUserIDBytes {
		h.writeError(w, errUserNotFound(userID))
		return
	}
	pts, err := h.ext.UserTimeseries(r.Context(), store.TimeseriesQuery{UserID: userID,
		Start: time.Unix(0, lo).UTC(), End: time.Unix(0, hi).UTC(), Bucket: bucket})
	if errors.Is(err, store.ErrNotFound) {
		h.writeError(w, errUserNotFound(userID))
		return
	}
	if err != nil {
		h.storeError(w, r, "read user timeseries", err)
		return
	}
	out := timeseriesJSON{UserID: userID, Bucket: bucket, Start: timestamp(lo), End: timestamp(hi),
		Points: make([]pointJSON, 0, len(pts))}
	for _, p := range pts {
		pj := pointJSON{T: timestamp(p.T), RunCount: p.RunCount, TotalCost: usd(p.TotalCost),
			TotalTokens: p.TotalTokens, TotalDuration: seconds(p.TotalDuration),
			CostByModel: make([]modelPointJSON, 0, len(p.Models))}
		for _, m := range p.Models {
			pj.CostByModel = append(pj.CostByModel, modelPointJSON{Model: m.Model, TotalCost: usd(m.TotalCost),
				TotalTokens: m.TotalTokens, CallCount: m.CallCount})
		}
		out.Points = append(out.Points, pj)
	}
	h.writeJSON(w, http.StatusOK, out)
}

// floorNanos and ceilNanos round t to a multiple of width (t may be
// negative); ceilNanos saturates instead of overflowing.
func floorNanos(t, width int64) int64 {
	r := t % width
	if r < 0 {
		r += width
	}
	return t - r
}

func ceilNanos(t, width int64) int64 {
	f := floorNanos(t, width)
	if f == t {
		return t
	}
	if f > (1<<63-1)-width {
		return f // cannot represent: the caller rejects hi < t
	}
	return f + width
}
