// Package store holds the data types shared by the store implementations
// (sqlite, postgres) and their readers (the REST API and the UI).
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a user, run or session does not exist.
var ErrNotFound = errors.New("not found")

// MaxUserIDBytes is the longest user id stored as given; longer ids are
// replaced by a hash of themselves by the processor.
const MaxUserIDBytes = 1024

// User sort fields of the list endpoint.
const (
	SortLastSeen      = "last_seen"
	SortFirstSeen     = "first_seen"
	SortRunCount      = "run_count"
	SortTotalCost     = "total_cost"
	SortTotalTokens   = "total_tokens"
	SortTotalDuration = "total_duration"
)

// UserSortFields lists every sort field of the users list, in documentation order.
var UserSortFields = []string{SortLastSeen, SortFirstSeen, SortRunCount, SortTotalCost, SortTotalTokens, SortTotalDuration}

// UserQuery selects and orders users. Zero Start/End mean unbounded.
// Start and End select users with at least one run that started in
// [Start, End); aggregates stay lifetime aggregates.
type UserQuery struct {
	Search string // case-insensitive substring of the user id
	Agent  string // users with at least one run of this agent
	Start  time.Time
	End    time.Time
	Sort   string // one of UserSortFields
	Desc   bool
	Limit  int
	Offset int

	// Window makes every aggregate (and first/last seen, agents, the
	// sort and the Agent filter) count only runs that started in
	// [Start, End); see query.go.
	Window bool
	// After, when set, lists only the users after this position of the
	// sort order (keyset pagination); Offset is then ignored.
	After *Cursor
	// Before, when set, lists only the Limit users just before this
	// position of the sort order, returned in list order (the previous
	// page); After and Offset are then ignored.
	Before *Cursor
	// Above, when set, lists only users whose sort value is greater.
	Above *int64
	// HighUsage, when set, lists only the users whose run count or token
	// total is above its bounds (those the high_usage rule flags).
	HighUsage *UsageBounds
	// NoCount skips counting the matching users (Count is then 0).
	NoCount bool
}

// UsageBounds are the largest run count and token total that are not
// above the population's (for UserQuery.HighUsage).
type UsageBounds struct {
	RunCount int64
	Tokens   int64
}

// Unpaged is q without its page: every matching user, in q's order, not
// counted (what a store's EachUser reads).
func (q UserQuery) Unpaged() UserQuery {
	q.Limit, q.Offset, q.After, q.Before, q.NoCount = 0, 0, nil, nil, true
	return q
}

// UserSummary is one user's lifetime aggregates. Times are Unix nanoseconds,
// durations nanoseconds and costs nano-USD.
type UserSummary struct {
	UserID        string
	RunCount      int64
	FirstSeen     int64
	LastSeen      int64
	TotalDuration int64
	TotalCost     int64
	TotalTokens   int64
	Agents        []string // sorted
}

// UserPage is one page of users and the number of users that match.
type UserPage struct {
	Users []UserSummary
	Count int64
}

// ModelCost is a user's usage of one model.
type ModelCost struct {
	Model         string
	TotalCost     int64
	TotalTokens   int64
	CallCount     int64
	UnpricedCalls int64
}

// RunSummary is one run as listed on a user's detail.
type RunSummary struct {
	ID           int64
	Key          string
	AgentName    string
	WorkflowName string
	SessionID    string
	Start        int64
	End          int64
	Error        bool
	CostNanos    int64
	Tokens       int64
	UserID       string
}

// UserDetail is a user's aggregates, cost by model (most expensive first)
// and most recent runs (newest first).
type UserDetail struct {
	Summary     UserSummary
	CostByModel []ModelCost
	Runs        []RunSummary
}

// RecentRuns is how many runs a user's detail lists.
const RecentRuns = 50

// Bucket widths of a time series.
const (
	BucketHour = "hour"
	BucketDay  = "day"
)

// TimeseriesQuery asks for a user's totals per bucket over [Start, End).
// Buckets are aligned to UTC hours or days; Start is rounded down to a
// bucket boundary and every bucket up to End is present, empty ones as zeros.
type TimeseriesQuery struct {
	UserID string
	Start  time.Time
	End    time.Time
	Bucket string // BucketHour or BucketDay
}

// ModelPoint is one model's usage in one bucket.
type ModelPoint struct {
	Model       string
	TotalCost   int64
	TotalTokens int64
	CallCount   int64
}

// Point is a user's totals in one bucket, by the start time of runs.
type Point struct {
	T             int64 // bucket start, Unix nanoseconds
	RunCount      int64
	TotalCost     int64
	TotalTokens   int64
	TotalDuration int64
	Models        []ModelPoint // sorted by model name; only models used in the bucket
}

// Collect reads a list's page through each, a store's reader that passes
// every row of the page to its callback and returns how many rows match the
// list, into a slice.
func Collect[Q, T any](ctx context.Context, q Q, each func(context.Context, Q, func(T) error) (int64, error)) ([]T, int64, error) {
	var rows []T
	n, err := each(ctx, q, func(x T) error {
		rows = append(rows, x)
		return nil
	})
	return rows, n, err
}
