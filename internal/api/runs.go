package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/waxell/otelcol-waxell/internal/store"
)

type tokensJSON struct {
	Input       int64 `json:"input"`
	CachedInput int64 `json:"cached_input"`
	CacheWrite  int64 `json:"cache_write"`
	Output      int64 `json:"output"`
	Reasoning   int64 `json:"reasoning"`
	Total       int64 `json:"total"`
}

func renderTokens(t store.Tokens) tokensJSON {
	return tokensJSON{Input: t.Input, CachedInput: t.CachedInput, CacheWrite: t.CacheWrite, Output: t.Output,
		Reasoning: t.Reasoning, Total: t.Input + t.Output}
}

type runDetailJSON struct {
	ID            int64      `json:"id"`
	RunKey        string     `json:"run_key"`
	TraceID       string     `json:"trace_id"`
	RootSpanID    string     `json:"root_span_id"`
	Implicit      bool       `json:"implicit"`
	UserID        *string    `json:"user_id"`
	SessionID     *string    `json:"session_id"`
	AgentName     string     `json:"agent_name"`
	WorkflowName  string     `json:"workflow_name"`
	StartedAt     timestamp  `json:"started_at"`
	CompletedAt   timestamp  `json:"completed_at"`
	Duration      seconds    `json:"duration"`
	Status        string     `json:"status"`
	Cost          usd        `json:"cost"`
	Tokens        tokensJSON `json:"tokens"`
	CallCount     int64      `json:"call_count"`
	UserConflicts int64      `json:"user_conflicts"`
	Calls         []callJSON `json:"calls"`
}

type callJSON struct {
	SpanID     string     `json:"span_id"`
	StartedAt  timestamp  `json:"started_at"`
	Model      string     `json:"model"`
	Provider   string     `json:"provider"`
	Tokens     tokensJSON `json:"tokens"`
	Cost       usd        `json:"cost"`
	CostSource string     `json:"cost_source"`
	Aggregate  bool       `json:"aggregate"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (h *handler) getRun(w http.ResponseWriter, r *http.Request, raw string) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		h.writeError(w, (&paramError{param: paramRunID, msg: "must be a positive integer"}).apiError())
		return
	}
	d, err := h.ext.GetRun(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		h.writeError(w, errNotFound("run", raw))
		return
	}
	if err != nil {
		h.storeError(w, r, "get run", err)
		return
	}
	status := statusSuccess
	if d.Error {
		status = statusError
	}
	out := runDetailJSON{
		ID: d.ID, RunKey: d.Key, TraceID: d.TraceID, RootSpanID: d.RootSpanID, Implicit: d.Implicit,
		UserID: optString(d.UserID), SessionID: optString(d.SessionID), AgentName: d.AgentName,
		WorkflowName: d.WorkflowName, StartedAt: timestamp(d.Start), CompletedAt: timestamp(d.End),
		Duration: seconds(max(0, d.End-d.Start)), Status: status, Cost: usd(d.CostNanos),
		Tokens: renderTokens(d.Tokens), CallCount: d.CallCount, UserConflicts: d.UserConflicts,
		Calls: make([]callJSON, 0, len(d.Calls)),
	}
	for _, c := range d.Calls {
		out.Calls = append(out.Calls, callJSON{SpanID: c.SpanID, StartedAt: timestamp(c.Start), Model: c.Model,
			Provider: c.Provider, Tokens: renderTokens(c.Tokens), Cost: usd(c.CostNanos), CostSource: c.CostSource,
			Aggregate: c.Aggregate})
	}
	h.writeJSON(w, http.StatusOK, out)
}
