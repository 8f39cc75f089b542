package readgate

import (
	"context"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// Store is every read the API and the UI make.
type Store interface {
	ListUsers(ctx context.Context, q store.UserQuery) (store.UserPage, error)
	EachUser(ctx context.Context, q store.UserQuery, fn func(store.UserSummary) error) error
	GetUser(ctx context.Context, userID string) (store.UserDetail, error)
	GetUserWindow(ctx context.Context, q store.WindowDetailQuery) (store.UserDetail, error)
	UserTimeseries(ctx context.Context, q store.TimeseriesQuery) ([]store.Point, error)
	ListSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error)
	EachSession(ctx context.Context, q store.SessionQuery, fn func(store.SessionSummary) error) error
	GetSession(ctx context.Context, sessionID string) (store.SessionDetail, error)
	GetRun(ctx context.Context, id int64) (store.RunDetail, error)
	ListRuns(ctx context.Context, q store.RunQuery) (store.RunPage, error)
	EachRun(ctx context.Context, q store.RunQuery, fn func(store.RunSummary) error) error
	Overview(ctx context.Context, q store.OverviewQuery) (store.Overview, error)
	UsageStats(ctx context.Context, q store.StatsQuery) (store.UsageStats, error)
	ListAgents(ctx context.Context) ([]string, error)
}

// Reader is a Store whose every read goes through a Gate.
type Reader struct {
	gate  *Gate
	store Store
}

var _ Store = (*Reader)(nil)

// NewReader returns s with its reads admitted by g.
func NewReader(g *Gate, s Store) *Reader { return &Reader{gate: g, store: s} }

// ListUsers lists users through the gate.
func (r *Reader) ListUsers(ctx context.Context, q store.UserQuery) (store.UserPage, error) {
	return call(ctx, r.gate, "list users", userListWeight(q), q, r.store.ListUsers)
}

// EachUser reads every user of a list through the gate: an export, whose
// slot and timeout cover fn too.
func (r *Reader) EachUser(ctx context.Context, q store.UserQuery, fn func(store.UserSummary) error) error {
	return r.gate.Do(ctx, "export users", Export, func(ctx context.Context) error { return r.store.EachUser(ctx, q, fn) })
}

// EachSession reads every session of a list through the gate: an export,
// whose slot and timeout cover fn too.
func (r *Reader) EachSession(ctx context.Context, q store.SessionQuery, fn func(store.SessionSummary) error) error {
	return r.gate.Do(ctx, "export sessions", Export, func(ctx context.Context) error { return r.store.EachSession(ctx, q, fn) })
}

// GetUser reads a user through the gate.
func (r *Reader) GetUser(ctx context.Context, userID string) (store.UserDetail, error) {
	return call(ctx, r.gate, "get user", Light, userID, r.store.GetUser)
}

// GetUserWindow reads a user's window through the gate.
func (r *Reader) GetUserWindow(ctx context.Context, q store.WindowDetailQuery) (store.UserDetail, error) {
	return call(ctx, r.gate, "get user window", Light, q, r.store.GetUserWindow)
}

// UserTimeseries reads a user's time series through the gate.
func (r *Reader) UserTimeseries(ctx context.Context, q store.TimeseriesQuery) ([]store.Point, error) {
	return call(ctx, r.gate, "user timeseries", Light, q, r.store.UserTimeseries)
}

// ListSessions lists sessions through the gate.
func (r *Reader) ListSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error) {
	return call(ctx, r.gate, "list sessions", sessionListWeight(q), q, r.store.ListSessions)
}

// GetSession reads a session through the gate.
func (r *Reader) GetSession(ctx context.Context, sessionID string) (store.SessionDetail, error) {
	return call(ctx, r.gate, "get session", Light, sessionID, r.store.GetSession)
}

// GetRun reads a run through the gate.
func (r *Reader) GetRun(ctx context.Context, id int64) (store.RunDetail, error) {
	return call(ctx, r.gate, "get run", Light, id, r.store.GetRun)
}

// ListRuns lists runs through the gate: a light read when it is bounded by
// a user or a session (one range of an index), a heavy one otherwise.
func (r *Reader) ListRuns(ctx context.Context, q store.RunQuery) (store.RunPage, error) {
	return call(ctx, r.gate, "list runs", runListWeight(q), q, r.store.ListRuns)
}

// runListWeight is Light for the runs of a user or a session, which an
// index bounds, whatever else filters them.
func runListWeight(q store.RunQuery) Weight {
	if q.UserID != "" || q.SessionID != "" {
		return Light
	}
	return Heavy
}

// EachRun reads every run of a list through the gate: an export, whose
// slot and timeout cover fn too.
func (r *Reader) EachRun(ctx context.Context, q store.RunQuery, fn func(store.RunSummary) error) error {
	return r.gate.Do(ctx, "export runs", Export, func(ctx context.Context) error { return r.store.EachRun(ctx, q, fn) })
}

// Overview reads the overview through the gate.
func (r *Reader) Overview(ctx context.Context, q store.OverviewQuery) (store.Overview, error) {
	return call(ctx, r.gate, "overview", Heavy, q, r.store.Overview)
}

// UsageStats reads the usage statistics through the gate.
func (r *Reader) UsageStats(ctx context.Context, q store.StatsQuery) (store.UsageStats, error) {
	return call(ctx, r.gate, "abuse-flag statistics", Heavy, q, r.store.UsageStats)
}

// ListAgents lists the agents through the gate.
func (r *Reader) ListAgents(ctx context.Context) ([]string, error) {
	return call(ctx, r.gate, "list agents", Light, struct{}{},
		func(ctx context.Context, _ struct{}) ([]string, error) { return r.store.ListAgents(ctx) })
}

// userListWeight is Heavy for the lists whose cost grows with the users they
// select: a time window's aggregates, and the lifetime list filtered by
// time, agent, search or usage (counting the matches reads them all). An
// unfiltered lifetime page reads its page from a sort index.
func userListWeight(q store.UserQuery) Weight {
	if q.Window || q.Agent != "" || q.Search != "" || !q.Start.IsZero() || !q.End.IsZero() || q.HighUsage != nil {
		return Heavy
	}
	return Light
}

// sessionListWeight is Heavy for the session lists filtered by time or
// agent, which read the runs that match; the others read a sort index, or
// one user's sessions.
func sessionListWeight(q store.SessionQuery) Weight {
	if q.Agent != "" || !q.Start.IsZero() || !q.End.IsZero() {
		return Heavy
	}
	return Light
}
