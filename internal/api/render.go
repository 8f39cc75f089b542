package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// The JSON shapes of the REST contract. Field order is key order.

type userListJSON struct {
	Results  []userJSON `json:"results"`
	Count    int64      `json:"count"`
	Next     *string    `json:"next"`
	Previous *string    `json:"previous"`
}

type userJSON struct {
	UserID        string    `json:"user_id"`
	RunCount      int64     `json:"run_count"`
	FirstSeen     timestamp `json:"first_seen"`
	LastSeen      timestamp `json:"last_seen"`
	TotalDuration seconds   `json:"total_duration"`
	TotalCost     usd       `json:"total_cost"`
	TotalTokens   int64     `json:"total_tokens"`
	Agents        []string  `json:"agents"`
}

type userDetailJSON struct {
	UserID      string          `json:"user_id"`
	Aggregates  aggregatesJSON  `json:"aggregates"`
	CostByModel []modelCostJSON `json:"cost_by_model"`
	Runs        []runJSON       `json:"runs"`
}

type aggregatesJSON struct {
	RunCount      int64     `json:"run_count"`
	TotalDuration seconds   `json:"total_duration"`
	TotalCost     usd       `json:"total_cost"`
	TotalTokens   int64     `json:"total_tokens"`
	Agents        []string  `json:"agents"`
	FirstSeen     timestamp `json:"first_seen"`
	LastSeen      timestamp `json:"last_seen"`
}

type modelCostJSON struct {
	Model       string `json:"model"`
	TotalCost   usd    `json:"total_cost"`
	TotalTokens int64  `json:"total_tokens"`
	CallCount   int64  `json:"call_count"`
	Unpriced    bool   `json:"unpriced"`
}

type runJSON struct {
	ID           int64     `json:"id"`
	AgentName    string    `json:"agent_name"`
	WorkflowName string    `json:"workflow_name"`
	StartedAt    timestamp `json:"started_at"`
	CompletedAt  timestamp `json:"completed_at"`
	Duration     seconds   `json:"duration"`
	Status       string    `json:"status"`
	Cost         usd       `json:"cost"`
	Tokens       int64     `json:"tokens"`
	SessionID    *string   `json:"session_id"`
}

// Run statuses.
const (
	statusSuccess = "success"
	statusError   = "error"
)

func renderUserList(page store.UserPage, p *listParams) userListJSON {
	out := userListJSON{
		Results: make([]userJSON, 0, len(page.Users)),
		Count:   page.Count,
	}
	for _, u := range page.Users {
		out.Results = append(out.Results, userJSON{
			UserID:        u.UserID,
			RunCount:      u.RunCount,
			FirstSeen:     timestamp(u.FirstSeen),
			LastSeen:      timestamp(u.LastSeen),
			TotalDuration: seconds(u.TotalDuration),
			TotalCost:     usd(u.TotalCost),
			TotalTokens:   u.TotalTokens,
			Agents:        nonNil(u.Agents),
		})
	}
	out.Next, out.Previous = p.pageLinks(page.Count)
	return out
}

func renderUserDetail(d store.UserDetail) userDetailJSON {
	s := d.Summary
	out := userDetailJSON{
		UserID: s.UserID,
		Aggregates: aggregatesJSON{
			RunCount:      s.RunCount,
			TotalDuration: seconds(s.TotalDuration),
			TotalCost:     usd(s.TotalCost),
			TotalTokens:   s.TotalTokens,
			Agents:        nonNil(s.Agents),
			FirstSeen:     timestamp(s.FirstSeen),
			LastSeen:      timestamp(s.LastSeen),
		},
		CostByModel: make([]modelCostJSON, 0, len(d.CostByModel)),
		Runs:        make([]runJSON, 0, len(d.Runs)),
	}
	for _, m := range d.CostByModel {
		out.CostByModel = append(out.CostByModel, modelCostJSON{
			Model:       m.Model,
			TotalCost:   usd(m.TotalCost),
			TotalTokens: m.TotalTokens,
			CallCount:   m.CallCount,
			Unpriced:    m.UnpricedCalls > 0,
		})
	}
	for _, r := range d.Runs {
		status := statusSuccess
		if r.Error {
			status = statusError
		}
		var session *string
		if r.SessionID != "" {
			session = &r.SessionID
		}
		out.Runs = append(out.Runs, runJSON{
			ID:           r.ID,
			AgentName:    r.AgentName,
			WorkflowName: r.WorkflowName,
			StartedAt:    timestamp(r.Start),
			CompletedAt:  timestamp(r.End),
			Duration:     seconds(max(0, r.End-r.Start)),
			Status:       status,
			Cost:         usd(r.CostNanos),
			Tokens:       r.Tokens,
			SessionID:    session,
		})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// timestamp is Unix nanoseconds, served as an RFC 3339 UTC string with "Z"
// and only as many fractional digits as needed.
type timestamp int64

func (t timestamp) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, formatTime(int64(t))), nil
}

func formatTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

// seconds is a duration in nanoseconds, served as a JSON number of seconds.
type seconds int64

func (s seconds) MarshalJSON() ([]byte, error) {
	return []byte(formatSeconds(int64(s))), nil
}

// formatSeconds prints nanoseconds as exact decimal seconds: 245.8, 2, 0.000000001.
func formatSeconds(ns int64) string {
	return formatDecimal(ns, 9)
}

// usd is an amount in nano-USD, served as a JSON number of US dollars with at
// most six decimals (micro-USD precision).
type usd int64

func (u usd) MarshalJSON() ([]byte, error) {
	return []byte(formatUSD(int64(u))), nil
}

// formatUSD rounds nano-USD half away from zero to micro-USD and prints
// dollars: 1.234567, 0.0089, 0. Integer arithmetic only.
func formatUSD(nanos int64) string {
	neg := nanos < 0
	mag := absUint(nanos)
	micro := mag / 1000
	if mag%1000 >= 500 {
		micro++
	}
	return formatUnsignedDecimal(neg, micro, 6)
}

// formatDecimal prints n / 10^scale exactly, trailing fractional zeros trimmed.
func formatDecimal(n int64, scale int) string {
	return formatUnsignedDecimal(n < 0, absUint(n), scale)
}

func formatUnsignedDecimal(neg bool, mag uint64, scale int) string {
	pow := uint64(1)
	for range scale {
		pow *= 10
	}
	whole, frac := mag/pow, mag%pow
	var b []byte
	if neg && mag != 0 {
		b = append(b, '-')
	}
	b = strconv.AppendUint(b, whole, 10)
	if frac != 0 {
		digits := strconv.FormatUint(frac, 10)
		b = append(b, '.')
		b = append(b, strings.Repeat("0", scale-len(digits))...)
		b = append(b, strings.TrimRight(digits, "0")...)
	}
	return string(b)
}

// absUint is |n|, exact also for math.MinInt64.
func absUint(n int64) uint64 {
	if n < 0 {
		return uint64(-(n + 1)) + 1
	}
	return uint64(n)
}
