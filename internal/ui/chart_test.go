package ui

import (
	"testing"
	"time"

	"github.com/waxell/otelcol-waxell/internal/store"
)

func TestChartWindow(t *testing.T) {
	now := time.Date(2026, 2, 7, 15, 4, 0, 0, time.UTC)
	day := 24 * time.Hour
	first := time.Date(2025, 12, 1, 8, 0, 0, 0, time.UTC).UnixNano()
	last := now.Add(-time.Hour).UnixNano()
	today := time.Date(2026, 2, 7, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		tr    timeRange
		first int64
		want  chartWindow
	}{
		{"24h", timeRange{Kind: range24h}, first, chartWindow{Start: time.Date(2026, 2, 6, 16, 0, 0, 0, time.UTC),
			End: time.Date(2026, 2, 7, 16, 0, 0, 0, time.UTC), Bucket: store.BucketHour}},
		{"7d", timeRange{Kind: range7d}, first, chartWindow{Start: today.Add(-6 * day), End: today.Add(day), Bucket: store.BucketDay}},
		{"30d", timeRange{Kind: range30d}, first, chartWindow{Start: today.Add(-29 * day), End: today.Add(day), Bucket: store.BucketDay}},
		{"all", timeRange{Kind: rangeAll}, first, chartWindow{Start: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), End: today.Add(day), Bucket: store.BucketDay}},
		{"all, years", timeRange{Kind: rangeAll}, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano(),
			chartWindow{Start: today.Add(day - maxChartDays*day), End: today.Add(day), Bucket: store.BucketDay, Clipped: true}},
		{"custom", timeRange{Kind: rangeCustom, Start: time.Date(2026, 1, 3, 12, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)},
			first, chartWindow{Start: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), Bucket: store.BucketDay}},
	} {
		if got := chartWindowFor(tc.tr, now, tc.first, last); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestBuildChart(t *testing.T) {
	day := int64(24 * time.Hour)
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	points := make([]store.Point, 7)
	for i := range points {
		points[i].T = t0 + int64(i)*day
	}
	points[1].TotalCost, points[1].RunCount = 1_500_000_000, 3 // $1.50
	points[4].TotalCost, points[4].RunCount = 10_000_000, 1    // $0.01: tiny but visible
	c := buildChart(points, chartWindow{Bucket: store.BucketDay})
	if c.Empty || len(c.Bars) != 2 || len(c.Rows) != 7 {
		t.Fatalf("bars %d rows %d empty %v", len(c.Bars), len(c.Rows), c.Empty)
	}
	if c.Bars[1].H < 1.5 || c.Bars[0].H <= c.Bars[1].H {
		t.Errorf("heights %v %v", c.Bars[0].H, c.Bars[1].H)
	}
	if c.Bars[0].Title != "Mon, Feb 2: $1.50 · 3 runs" || c.Bars[1].Title != "Thu, Feb 5: $0.01 · 1 run" {
		t.Errorf("titles %q %q", c.Bars[0].Title, c.Bars[1].Title)
	}
	var labels []string
	for _, tk := range c.YTicks {
		labels = append(labels, tk.Label)
	}
	if want := []string{"$0", "$0.50", "$1.00", "$1.50", "$2.00"}; !equalStrings(labels, want) {
		t.Errorf("y labels %v, want %v", labels, want)
	}
	if c.Summary != "Bar chart of the user's cost: $1.51 in total over 7 days; highest $1.50 on Mon, Feb 2." {
		t.Errorf("summary %q", c.Summary)
	}
	for _, b := range c.Bars {
		if b.X < c.PlotLeft || b.X+b.W > c.PlotRight || b.Y < c.PlotTop || b.Y+b.H > c.PlotBottom+0.1 {
			t.Errorf("bar outside the plot: %+v", b)
		}
	}

	if c := buildChart([]store.Point{{T: t0}, {T: t0 + day}}, chartWindow{Bucket: store.BucketDay}); !c.Empty || len(c.Bars) != 0 {
		t.Errorf("zero chart: empty %v bars %d", c.Empty, len(c.Bars))
	}
	if c := buildChart([]store.Point{{T: t0}}, chartWindow{Bucket: store.BucketHour}); c.Title != "Cost per hour" {
		t.Errorf("hourly title %q", c.Title)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAxisLabelsAreDistinct(t *testing.T) {
	for _, peak := range []int64{1, 999, 12_345, 8_912_345, 18_000_000, 230_000_000, 1_000_000_000, 7_777_777_777, 123_456_000_000, 9_000_000_000_000} {
		top := niceCeil(peak, 4)
		if top < peak {
			t.Errorf("niceCeil(%d) = %d", peak, top)
		}
		seen := map[string]bool{}
		for i := int64(0); i <= 4; i++ {
			l := axisUSD(top/4*i, top/4)
			if seen[l] {
				t.Errorf("peak %d: duplicate label %q", peak, l)
			}
			seen[l] = true
		}
	}
}
