package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// readTargets are the reads of a busy dashboard whose cost grows with the
// data: every user and every session of the last hours sorted by cost, and
// the overview. lo and hi bound the window.
func readTargets(lo, hi time.Time) []string {
	w := "start=" + url.QueryEscape(lo.Format(time.RFC3339)) + "&end=" + url.QueryEscape(hi.Format(time.RFC3339))
	return []string{
		"/api/v1/observability/users/?scope=window&sort=-total_cost&" + w,
		"/api/v1/observability/sessions/?sort=-total_cost&" + w,
		"/api/v1/observability/overview/?" + w,
	}
}

// readStats are the answers the readers got.
type readStats struct {
	readers int
	codes   map[int]int // HTTP status (0: no answer) -> reads
	latency []time.Duration
	light   *readStats // the one light reader's, beside the heavy readers
}

// record adds one read's answer.
func (s *readStats) record(code int, d time.Duration) {
	s.codes[code]++
	s.latency = append(s.latency, d)
}

// startReaders makes n readers request the read targets from the API at
// base in turn, each as soon as its previous read is answered, for d, and
// one more reader request light reads (the lifetime users list, then the
// detail of its first user) the same way; wait returns what they got.
func startReaders(base string, n int, d time.Duration) (wait func() readStats) {
	now := time.Now().UTC()
	targets := readTargets(now.Add(-6*time.Hour), now.Add(6*time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), d)
	client := &http.Client{Timeout: 2 * time.Minute}
	st := readStats{readers: n, codes: map[int]int{}, light: &readStats{readers: 1, codes: map[int]int{}}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	// read requests url and records its answer in into; it reports whether
	// the run is still on, and returns the body.
	read := func(into *readStats, url string) (string, bool) {
		t0 := time.Now()
		code, body := get(client, url)
		if ctx.Err() != nil && code == 0 {
			return "", false
		}
		mu.Lock()
		into.record(code, time.Since(t0))
		mu.Unlock()
		return body, true
	}
	for i := range n {
		wg.Go(func() {
			for j := i; ctx.Err() == nil; j++ {
				if _, ok := read(&st, base+targets[j%len(targets)]); !ok {
					return
				}
			}
		})
	}
	wg.Go(func() {
		for ctx.Err() == nil {
			body, ok := read(st.light, base+"/api/v1/observability/users/?sort=-total_cost")
			if !ok {
				return
			}
			if id, found := firstUserID(body); found {
				if _, ok := read(st.light, base+"/api/v1/observability/users/"+url.PathEscape(id)+"/"); !ok {
					return
				}
			}
		}
	})
	return func() readStats {
		wg.Wait()
		cancel()
		return st
	}
}

// firstUserID is the user id of a users list's first row.
func firstUserID(body string) (string, bool) {
	var page struct {
		Results []struct {
			UserID string `json:"user_id"`
		} `json:"results"`
	}
	if json.Unmarshal([]byte(body), &page) != nil || len(page.Results) == 0 {
		return "", false
	}
	return page.Results[0].UserID, true
}

// get reads url to the end and returns the status (0 when it failed) and
// the body.
func get(client *http.Client, url string) (int, string) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, ""
	}
	return resp.StatusCode, string(b)
}

// String describes the reads: how many, their answers and latencies.
func (s readStats) String() string {
	if len(s.latency) == 0 {
		return fmt.Sprintf("%d readers, no read answered", s.readers)
	}
	lat := slices.Clone(s.latency)
	slices.Sort(lat)
	pct := func(p float64) string {
		return fmt.Sprintf("%.3f", lat[int(p*float64(len(lat)-1))].Seconds())
	}
	var codes []string
	for _, c := range slices.Sorted(maps.Keys(s.codes)) {
		codes = append(codes, fmt.Sprintf("%d: %d", c, s.codes[c]))
	}
	out := fmt.Sprintf("%d readers made %d reads (HTTP status: %s), latency p50 %s s, p95 %s s, max %s s",
		s.readers, len(lat), strings.Join(codes, ", "), pct(0.5), pct(0.95), pct(1))
	if s.light != nil {
		out += "; light reads beside them (lifetime list, then a user's detail): " + s.light.String()
	}
	return out
}
