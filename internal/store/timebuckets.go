package store

import (
	"errors"
	"fmt"
	"sort"
)

// MaxTimeseriesBuckets bounds the number of buckets one query may ask for
// (about eleven years of hours), so a careless range cannot allocate
// without bound.
const MaxTimeseriesBuckets = 100_000

const dayNanos = 24 * hourNanos

// TimeBuckets is the zero-filled series, shared by the stores, of one TimeseriesQuery.
type TimeBuckets struct {
	start, width, end int64
	points            []Point
}

// NewTimeBuckets lays out the buckets of q.
func NewTimeBuckets(q TimeseriesQuery) (*TimeBuckets, error) {
	var width int64
	switch q.Bucket {
	case BucketHour:
		width = hourNanos
	case BucketDay:
		width = dayNanos
	default:
		return nil, fmt.Errorf("unknown bucket %q (want %q or %q)", q.Bucket, BucketHour, BucketDay)
	}
	if q.Start.IsZero() || q.End.IsZero() {
		return nil, errors.New("start and end are required")
	}
	start := floorTo(q.Start.UnixNano(), width)
	if start > q.Start.UnixNano() {
		return nil, errors.New("start is out of range")
	}
	end := q.End.UnixNano()
	b := &TimeBuckets{start: start, width: width, end: end}
	if end <= start {
		return b, nil
	}
	span := end - start // negative when it overflows
	n := span / width
	if span%width != 0 {
		n++
	}
	if span < 0 || n > MaxTimeseriesBuckets {
		return nil, fmt.Errorf("too many buckets: at most %d", MaxTimeseriesBuckets)
	}
	b.points = make([]Point, n)
	for i := range b.points {
		b.points[i].T = start + int64(i)*width
	}
	return b, nil
}

// HourRange is the [lo, hi) range of hour rows that fall into the buckets.
func (b *TimeBuckets) HourRange() (lo, hi int64) { return b.start, b.end }

// At returns the bucket holding the hour starting at hour, or nil.
func (b *TimeBuckets) At(hour int64) *Point {
	if hour < b.start || hour >= b.end {
		return nil
	}
	i := (hour - b.start) / b.width
	if i >= int64(len(b.points)) {
		return nil
	}
	return &b.points[i]
}

// AddModel adds one hour of one model's usage to its bucket.
func (b *TimeBuckets) AddModel(hour int64, m ModelPoint) {
	p := b.At(hour)
	if p == nil {
		return
	}
	for i := range p.Models {
		if p.Models[i].Model == m.Model {
			p.Models[i].CallCount += m.CallCount
			p.Models[i].TotalCost += m.TotalCost
			p.Models[i].TotalTokens += m.TotalTokens
			return
		}
	}
	p.Models = append(p.Models, m)
}

// Finish sorts each bucket's models by name and returns the points
// (never nil).
func (b *TimeBuckets) Finish() []Point {
	for i := range b.points {
		ms := b.points[i].Models
		sort.Slice(ms, func(x, y int) bool { return ms[x].Model < ms[y].Model })
	}
	if b.points == nil {
		return []Point{}
	}
	return b.points
}

// floorTo rounds t down to a multiple of width (also for negative t).
func floorTo(t, width int64) int64 {
	r := t % width
	if r < 0 {
		r += width
	}
	return t - r
}

// Empty reports whether the range holds no bucket at all.
func (b *TimeBuckets) Empty() bool { return len(b.points) == 0 }
