package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// VerifyResult is the outcome of comparing the API with what was sent.
type VerifyResult struct {
	OK           bool     `json:"ok"`
	WaitSeconds  float64  `json:"wait_s"`
	UsersChecked int      `json:"users_checked"`
	Mismatches   int      `json:"mismatches"`
	Examples     []string `json:"examples,omitempty"`
	APIRuns      int64    `json:"api_runs"`
	APITokens    int64    `json:"api_tokens"`
	APICostUSD   string   `json:"api_cost_usd"`
}

type overview struct {
	Totals struct {
		RunCount    int64           `json:"run_count"`
		TotalTokens int64           `json:"total_tokens"`
		TotalCost   json.RawMessage `json:"total_cost"`
	} `json:"totals"`
	UniqueUsers int64 `json:"unique_users"`
}

func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: HTTP %d: %.300s", url, resp.StatusCode, b)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// verify waits until the API's overall totals reach what was sent (the
// exporter's queue drains after the load stops), then compares every user.
func verify(ctx context.Context, api string, exp *expected, timeout time.Duration) (*VerifyResult, error) {
	api = strings.TrimRight(api, "/")
	v := &VerifyResult{}
	t0 := time.Now()
	var ov overview
	for {
		ov = overview{}
		err := getJSON(ctx, api+"/api/v1/observability/overview/", &ov)
		if err == nil && ov.Totals.RunCount == exp.runs && ov.Totals.TotalTokens == exp.tokens {
			break
		}
		if time.Since(t0) > timeout || ctx.Err() != nil {
			if err != nil {
				return v, fmt.Errorf("verify: %w", err)
			}
			break // compare anyway and report the difference
		}
		time.Sleep(500 * time.Millisecond)
	}
	v.WaitSeconds = time.Since(t0).Seconds()
	v.APIRuns, v.APITokens, v.APICostUSD = ov.Totals.RunCount, ov.Totals.TotalTokens, string(ov.Totals.TotalCost)
	bad := func(format string, a ...any) {
		v.Mismatches++
		if len(v.Examples) < 10 {
			v.Examples = append(v.Examples, fmt.Sprintf(format, a...))
		}
	}
	if ov.Totals.RunCount != exp.runs {
		bad("overview run_count %d, sent %d", ov.Totals.RunCount, exp.runs)
	}
	if ov.Totals.TotalTokens != exp.tokens {
		bad("overview total_tokens %d, sent %d", ov.Totals.TotalTokens, exp.tokens)
	}
	if got := string(ov.Totals.TotalCost); got != formatUSD(exp.costNanos) {
		bad("overview total_cost %s, sent %s", got, formatUSD(exp.costNanos))
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+"/api/v1/observability/users/?format=csv", nil)
	if err != nil {
		return v, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return v, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return v, fmt.Errorf("users csv: HTTP %d", resp.StatusCode)
	}
	r := csv.NewReader(resp.Body)
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return v, err
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	seen := make(map[string]bool, len(exp.users))
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return v, err
		}
		id := rec[col["user_id"]]
		id = strings.TrimPrefix(id, "'")
		v.UsersChecked++
		want, ok := exp.users[id]
		if !ok {
			bad("user %q in the API was never sent", id)
			continue
		}
		seen[id] = true
		runs, _ := strconv.ParseInt(rec[col["run_count"]], 10, 64)
		tokens, _ := strconv.ParseInt(rec[col["total_tokens"]], 10, 64)
		cost := rec[col["total_cost"]]
		if runs != want.runs || tokens != want.tokens || cost != formatUSD(want.costNanos) {
			bad("user %s: API runs=%d tokens=%d cost=%s, sent runs=%d tokens=%d cost=%s",
				id, runs, tokens, cost, want.runs, want.tokens, formatUSD(want.costNanos))
		}
	}
	for id := range exp.users {
		if !seen[id] {
			bad("user %s was sent but is not in the API", id)
		}
	}
	v.OK = v.Mismatches == 0
	if !v.OK {
		return v, fmt.Errorf("verify: %d mismatches between the API and what was sent", v.Mismatches)
	}
	return v, nil
}
