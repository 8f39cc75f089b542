package main

import (
	"context"
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
}

// startReaders makes n readers request the read targets from the API at
// base in turn, each as soon as its previous read is answered, for d; wait
// returns what they got.
func startReaders(base string, n int, d time.Duration) (wait func() readStats) {
	now := time.Now().UTC()
	targets := readTargets(now.Add(-6*time.Hour), now.Add(6*time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), d)
	client := &http.Client{Timeout: 2 * time.Minute}
	st := readStats{readers: n, codes: map[int]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for j := i; ctx.Err() == nil; j++ {
				t0 := time.Now()
				code := get(client, base+targets[j%len(targets)])
				if ctx.Err() != nil && code == 0 {
					return
				}
				mu.Lock()
				st.codes[code]++
				st.latency = append(st.latency, time.Since(t0))
				mu.Unlock()
			}
		})
	}
	return func() readStats {
		wg.Wait()
		cancel()
		return st
	}
}

// get reads url to the end and returns the status (0 when it failed).
func get(client *http.Client, url string) int {
	resp, err := client.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0
	}
	return resp.StatusCode
}

// String describes the reads: how many, their answers and latencies.
func (s readStats) String() string {
	if len(s.latency) == 0 {
		return fmt.Sprintf("%d readers, no read answered", s.readers)
	}
	lat := slices.Clone(s.latency)
	slices.Sort(lat)
	pct := func(p float64) string {
		return fmt.Sprintf("%.2f", lat[int(p*float64(len(lat)-1))].Seconds())
	}
	var codes []string
	for _, c := range slices.Sorted(maps.Keys(s.codes)) {
		codes = append(codes, fmt.Sprintf("%d: %d", c, s.codes[c]))
	}
	return fmt.Sprintf("%d readers made %d reads (HTTP status: %s), latency p50 %s s, p95 %s s, max %s s",
		s.readers, len(lat), strings.Join(codes, ", "), pct(0.5), pct(0.95), pct(1))
}
