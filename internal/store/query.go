package store

import (
	"math"
	"slices"
	"time"
)

// Cursor is a position in a sorted list: the sort value and the id (user
// or session id) of the last row seen. Rows sort by value in the list's
// direction, ties by id in the same direction (one index (value, id) serves
// both), so (Value, ID) is a total order.
type Cursor struct {
	Value int64
	ID    string
}

// Bounds returns [Start, End) of a window in Unix nanoseconds; a zero time
// means unbounded (math.MinInt64 / math.MaxInt64).
func Bounds(start, end time.Time) (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	if !start.IsZero() {
		lo = start.UnixNano()
	}
	if !end.IsZero() {
		hi = end.UnixNano()
	}
	return lo, hi
}

// Split divides the window [lo, hi) into whole hours [HoursLo, HoursHi),
// served from hourly rollups, and at most two edges [lo, HoursLo) and
// [HoursHi, hi) shorter than an hour, served from the runs themselves.
// When no whole hour fits, Hours is false and the whole window is an edge
// ([lo, hi) = [EdgeLo, EdgeHi)). Unbounded ends (math.MinInt64,
// math.MaxInt64) count as hour boundaries.
type Split struct {
	Lo, Hi           int64
	Hours            bool
	HoursLo, HoursHi int64
}

// hourNanos mirrors ledger.HourNanos (store does not import ledger).
const hourNanos = int64(3600) * 1e9

// SplitWindow splits [lo, hi) as described at Split.
func SplitWindow(lo, hi int64) Split {
	s := Split{Lo: lo, Hi: hi}
	hl := lo
	if lo != math.MinInt64 {
		hl = floorHour(lo)
		if hl != lo {
			if hl > math.MaxInt64-hourNanos {
				return s
			}
			hl += hourNanos
		}
	}
	hh := hi
	if hi != math.MaxInt64 {
		hh = floorHour(hi)
	}
	if hl < hh {
		s.Hours, s.HoursLo, s.HoursHi = true, hl, hh
	}
	return s
}

func floorHour(t int64) int64 {
	r := t % hourNanos
	if r < 0 {
		r += hourNanos
	}
	return t - r
}

// WindowDetailQuery asks for one user's aggregates, agents, cost by model
// and most recent runs counting only runs that started in [Start, End)
// (zero: unbounded).
type WindowDetailQuery struct {
	UserID string
	Start  time.Time
	End    time.Time
}

// Session sort fields (the same names as the users list).
var SessionSortFields = UserSortFields

// SessionQuery selects and orders sessions (runs sharing a session id).
type SessionQuery struct {
	UserID  string // sessions with at least one run of this user
	Agent   string // sessions with at least one run of this agent
	Start   time.Time
	End     time.Time // sessions with at least one run that started in [Start, End)
	Sort    string    // one of SessionSortFields
	Desc    bool
	Limit   int
	Offset  int
	After   *Cursor
	NoCount bool
}

// Unpaged is q without its page: every matching session, in q's order, not
// counted (what a store's EachSession reads).
func (q SessionQuery) Unpaged() SessionQuery {
	q.Limit, q.Offset, q.After, q.NoCount = 0, 0, nil, true
	return q
}

// SessionSummary is a session's aggregates over all its runs. Users and
// Agents are the distinct non-empty user ids and agent names of its runs,
// sorted.
type SessionSummary struct {
	SessionID     string
	RunCount      int64
	FirstSeen     int64
	LastSeen      int64
	TotalDuration int64
	TotalCost     int64
	TotalTokens   int64
	Users         []string
	Agents        []string
}

// SessionPage is one page of sessions and how many match.
type SessionPage struct {
	Sessions []SessionSummary
	Count    int64
}

// SessionRuns is how many runs a session's detail lists (oldest first).
const SessionRuns = 1000

// SessionDetail is a session's aggregates and its first SessionRuns runs,
// oldest first (ties by id).
type SessionDetail struct {
	Summary SessionSummary
	Runs    []RunSummary
}

// Tokens is a usage broken down by type. Input includes cached input and
// cache writes; Output includes reasoning.
type Tokens struct {
	Input       int64
	CachedInput int64
	CacheWrite  int64
	Output      int64
	Reasoning   int64
}

// RunDetail is one run and its counted LLM calls (oldest first).
type RunDetail struct {
	ID            int64
	Key           string
	TraceID       string // hex
	RootSpanID    string // hex
	Implicit      bool
	UserID        string
	SessionID     string
	AgentName     string
	WorkflowName  string
	Start         int64
	End           int64
	Error         bool
	Tokens        Tokens
	CostNanos     int64
	CallCount     int64
	UserConflicts int64
	Calls         []CallDetail
}

// CallDetail is one counted LLM call. CostSource is "reported",
// "computed" or "unpriced".
type CallDetail struct {
	SpanID     string // hex
	Start      int64
	Model      string
	Provider   string
	Tokens     Tokens
	CostNanos  int64
	CostSource string
	Aggregate  bool
}

// OverviewQuery asks for the totals of runs that started in [Start, End)
// (zero: unbounded).
type OverviewQuery struct {
	Start    time.Time
	End      time.Time
	TopUsers int // how many users by cost (default 10)
	// RunCountAbove and TokensAbove, when set, ask for the users of the
	// window whose run count (token total) is greater, the Outliers (default
	// 20) highest of each, in HighRunCount and HighTokens.
	RunCountAbove *int64
	TokensAbove   *int64
	Outliers      int
}

// Overview is the totals of a window.
type Overview struct {
	RunCount      int64 // every run, with or without a user
	UserRuns      int64 // runs that carry a user id
	TotalCost     int64
	TotalTokens   int64
	TotalDuration int64
	UniqueUsers   int64         // users with a run in the window
	NewUsers      int64         // users whose first run (ever) started in the window
	TopUsers      []UserSummary // by window cost, descending, ties by id descending
	CostByModel   []ModelCost   // every call of the window's runs, by cost descending, ties by model
	// HighRunCount and HighTokens hold each user's id and window sums only
	// (no first or last seen, no agents: the overview's anomalies need none,
	// and each would cost index probes of the window's heaviest users).
	HighRunCount []UserSummary // by window run count, descending (see OverviewQuery)
	HighTokens   []UserSummary // by window tokens, descending
}

// OverviewLists returns the list sizes of q with their defaults.
func (q OverviewQuery) OverviewLists() (top, outliers int) {
	top, outliers = q.TopUsers, q.Outliers
	if top <= 0 {
		top = 10
	}
	if outliers <= 0 {
		outliers = 20
	}
	return top, outliers
}

// StatsQuery names a population of users: every user with its lifetime
// aggregates, or (Window) every user with a run in [Start, End) with its
// window aggregates.
type StatsQuery struct {
	Window bool
	Start  time.Time
	End    time.Time
}

// Dist summarises one metric over a population: its median, its median
// absolute deviation from the median (MAD) and its mean absolute deviation
// from the median (MeanAD).
type Dist struct {
	Median float64
	MAD    float64
	MeanAD float64
}

// UsageStats describes a population of users.
type UsageStats struct {
	Users       int64
	RunCount    Dist
	TotalTokens Dist
}

// DistOf computes the Dist of values (sorted in place): the median is the
// middle value, or the mean of the two middle values; MAD and MeanAD are
// the median and the mean of |x - median|. An empty input gives zeros.
func DistOf(values []int64) Dist {
	n := len(values)
	if n == 0 {
		return Dist{}
	}
	slices.Sort(values)
	med := medianSorted(func(i int) float64 { return float64(values[i]) }, n)
	dev := make([]float64, n)
	sum := 0.0
	for i, v := range values {
		dev[i] = math.Abs(float64(v) - med)
		sum += dev[i]
	}
	slices.Sort(dev)
	return Dist{Median: med, MAD: medianSorted(func(i int) float64 { return dev[i] }, n), MeanAD: sum / float64(n)}
}

func medianSorted(at func(int) float64, n int) float64 {
	if n%2 == 1 {
		return at(n / 2)
	}
	return (at(n/2-1) + at(n/2)) / 2
}

// RunQuery selects runs, newest first (Desc) or oldest first, ties by id in
// the same direction. The API asks for a user's or a session's runs; the
// stores serve those from the runs' (user, start, id) and (session, start,
// id) indexes.
type RunQuery struct {
	UserID    string // exact user id
	SessionID string // exact session id
	Agent     string // runs of this agent
	Start     time.Time
	End       time.Time // runs that started in [Start, End)
	Desc      bool
	Limit     int
	Offset    int
	After     *RunCursor
	NoCount   bool
}

// RunCursor is a position in a list of runs: the start and id of the last
// run seen ((Start, ID) is a total order of runs).
type RunCursor struct {
	Start int64
	ID    int64
}

// Unpaged is q without its page: every matching run, in q's order, not
// counted (what a store's EachRun reads).
func (q RunQuery) Unpaged() RunQuery {
	q.Limit, q.Offset, q.After, q.NoCount = 0, 0, nil, true
	return q
}

// RunPage is one page of runs and how many match.
type RunPage struct {
	Runs  []RunSummary
	Count int64
}
