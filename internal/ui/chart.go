package ui

import (
	"math"
	"strconv"
	"time"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// maxChartDays bounds the days of the cost chart; longer ranges show their
// last maxChartDays days.
const maxChartDays = 366

// chartWindow is what the chart of a user's page covers.
type chartWindow struct {
	Start, End time.Time
	Bucket     string
	Clipped    bool // the range was longer than the chart shows
}

// chartWindowFor resolves a range into the chart's buckets: hours for the
// last 24 hours, else UTC days. Unbounded starts begin at the user's first
// run; unbounded ends at now (or the last run, if that is later).
func chartWindowFor(tr timeRange, now time.Time, firstSeen, lastSeen int64) chartWindow {
	now = now.UTC()
	if tr.Kind == range24h {
		end := now.Truncate(time.Hour).Add(time.Hour)
		return chartWindow{Start: end.Add(-24 * time.Hour), End: end, Bucket: store.BucketHour}
	}
	day := 24 * time.Hour
	today := now.Truncate(day)
	w := chartWindow{Bucket: store.BucketDay, End: today.Add(day)}
	switch tr.Kind {
	case range7d:
		w.Start = today.Add(-6 * day)
	case range30d:
		w.Start = today.Add(-29 * day)
	default: // all, custom
		if !tr.End.IsZero() {
			w.End = tr.End.UTC()
		} else if last := time.Unix(0, lastSeen).UTC(); lastSeen > 0 && !last.Before(w.End) {
			w.End = last.Truncate(day).Add(day)
		}
		if !tr.Start.IsZero() {
			w.Start = tr.Start.UTC().Truncate(day)
		} else {
			w.Start = time.Unix(0, firstSeen).UTC().Truncate(day)
		}
		if !w.Start.Before(w.End) {
			w.Start = w.End.Add(-1).Truncate(day)
		}
		if w.End.Sub(w.Start) > maxChartDays*day {
			w.Start, w.Clipped = w.End.Add(-maxChartDays*day).Truncate(day), true
		}
	}
	return w
}

// Chart geometry, in the SVG's user units (it scales to its container).
const (
	chartW      = 720
	chartH      = 260
	chartLeft   = 76
	chartRight  = 12
	chartTop    = 14
	chartBottom = 38
)

type chartBar struct {
	X, Y, W, H float64
	Title      string // tooltip: "Tue, Feb 7: $1.23 · 4 runs"
}

type chartTick struct {
	Pos   float64
	Label string
}

type chartRow struct {
	Label string
	Cost  string
	Runs  string
}

// chartView is everything the template needs to draw the cost chart.
type chartView struct {
	Title      string // "Cost per day"
	Summary    string // aria description
	W, H       int
	PlotLeft   float64
	PlotRight  float64
	PlotTop    float64
	PlotBottom float64
	CenterX    float64
	CenterY    float64
	Bars       []chartBar
	YTicks     []chartTick
	XTicks     []chartTick
	Rows       []chartRow
	Empty      bool
	Clipped    bool
}

// buildChart lays out cost bars for the points of a window.
func buildChart(points []store.Point, w chartWindow) chartView {
	hourly := w.Bucket == store.BucketHour
	c := chartView{
		Title: "Cost per day", W: chartW, H: chartH,
		PlotLeft: chartLeft, PlotRight: chartW - chartRight, PlotTop: chartTop, PlotBottom: chartH - chartBottom,
		Clipped: w.Clipped,
		CenterX: (chartLeft + chartW - chartRight) / 2, CenterY: (chartTop + chartH - chartBottom) / 2,
	}
	if hourly {
		c.Title = "Cost per hour"
	}
	var total, peak int64
	peakAt := -1
	for i, p := range points {
		total += p.TotalCost
		if p.TotalCost > peak {
			peak, peakAt = p.TotalCost, i
		}
	}
	label := func(t int64) string {
		tt := time.Unix(0, t).UTC()
		if hourly {
			return tt.Format("Jan 2 15:04")
		}
		return tt.Format("Mon, Jan 2")
	}
	c.Empty = peak <= 0
	if len(points) > 0 {
		what := strconv.Itoa(len(points)) + " days"
		if hourly {
			what = strconv.Itoa(len(points)) + " hours"
		}
		c.Summary = "Bar chart of the user's cost: " + formatUSD(total) + " in total over " + what
		if peakAt >= 0 {
			c.Summary += "; highest " + formatUSD(peak) + " on " + label(points[peakAt].T)
		}
		c.Summary += "."
	}

	top := niceCeil(peak, 4)
	plotW := c.PlotRight - c.PlotLeft
	plotH := c.PlotBottom - c.PlotTop
	for i := 0; i <= 4; i++ {
		v := top / 4 * int64(i)
		c.YTicks = append(c.YTicks, chartTick{Pos: round1(c.PlotBottom - plotH*float64(i)/4), Label: axisUSD(v, top/4)})
	}
	n := len(points)
	if n == 0 {
		return c
	}
	slot := plotW / float64(n)
	barW := math.Max(1, slot*0.72)
	if slot-barW > 6 {
		barW = slot - 6
	}
	every := max(1, (n+6)/7) // at most about 7 labels
	for i, p := range points {
		x := c.PlotLeft + slot*float64(i)
		if i%every == every/2 { // labels start half a step in, clear of the y axis
			xl := time.Unix(0, p.T).UTC()
			text := xl.Format("Jan 2")
			if hourly {
				text = xl.Format("15:04")
			}
			c.XTicks = append(c.XTicks, chartTick{Pos: round1(x + slot/2), Label: text})
		}
		c.Rows = append(c.Rows, chartRow{Label: label(p.T), Cost: formatUSD(p.TotalCost), Runs: formatInt(p.RunCount)})
		if p.TotalCost <= 0 || top <= 0 {
			continue
		}
		h := math.Max(1.5, plotH*float64(p.TotalCost)/float64(top))
		runs := formatInt(p.RunCount) + " runs"
		if p.RunCount == 1 {
			runs = "1 run"
		}
		c.Bars = append(c.Bars, chartBar{
			X: round1(x + (slot-barW)/2), Y: round1(c.PlotBottom - h), W: round1(barW), H: round1(h),
			Title: label(p.T) + ": " + formatUSD(p.TotalCost) + " · " + runs,
		})
	}
	return c
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// niceCeil is the smallest "nice" number (1, 2, 2.5 or 5 times a power of
// ten, in nano-USD) at least v that divides into ticks steps; one cent for
// empty charts.
func niceCeil(v int64, ticks int64) int64 {
	if v <= 0 {
		return nanosPerCent * ticks
	}
	raw := float64(v) / float64(ticks)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step := m * mag; step >= raw {
			s := int64(math.Ceil(step))
			if s*ticks < v {
				s++
			}
			return s * ticks
		}
	}
	return v
}

// axisUSD is a money label of the axis whose ticks are step apart, with
// the same number of decimals on every tick: "$0", "$1", "$0.50",
// "$0.015", "$1.5k".
func axisUSD(nanos, step int64) string {
	if nanos == 0 {
		return "$0"
	}
	if step >= 1000*1e9 {
		return "$" + strconv.FormatFloat(float64(nanos)/1e12, 'f', -1, 64) + "k"
	}
	if step%1e9 == 0 {
		return "$" + formatInt(nanos/1e9)
	}
	decimals := 9
	for s := step; s%10 == 0 && decimals > 2; s /= 10 {
		decimals--
	}
	f := fixed9(absUint(nanos))
	return "$" + f[:len(f)-(9-decimals)]
}
