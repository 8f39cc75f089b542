package readgate

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// fakeStore answers every read with a value made from its argument, or,
// when block is set, waits for the read's context to end.
type fakeStore struct {
	block bool
	got   any
}

func answer[A, T any](f *fakeStore, ctx context.Context, arg A, out T) (T, error) {
	f.got = arg
	if f.block {
		<-ctx.Done()
		var zero T
		return zero, ctx.Err()
	}
	return out, nil
}

func (f *fakeStore) ListUsers(ctx context.Context, q store.UserQuery) (store.UserPage, error) {
	return answer(f, ctx, q, store.UserPage{Count: 1})
}

func (f *fakeStore) EachUser(ctx context.Context, q store.UserQuery, fn func(store.UserSummary) error) error {
	u, err := answer(f, ctx, q, store.UserSummary{UserID: "each"})
	if err != nil {
		return err
	}
	return fn(u)
}

func (f *fakeStore) GetUser(ctx context.Context, id string) (store.UserDetail, error) {
	return answer(f, ctx, id, store.UserDetail{Summary: store.UserSummary{UserID: id}})
}

func (f *fakeStore) GetUserWindow(ctx context.Context, q store.WindowDetailQuery) (store.UserDetail, error) {
	return answer(f, ctx, q, store.UserDetail{Summary: store.UserSummary{UserID: q.UserID}})
}

func (f *fakeStore) UserTimeseries(ctx context.Context, q store.TimeseriesQuery) ([]store.Point, error) {
	return answer(f, ctx, q, []store.Point{{T: 1}})
}

func (f *fakeStore) ListSessions(ctx context.Context, q store.SessionQuery) (store.SessionPage, error) {
	return answer(f, ctx, q, store.SessionPage{Count: 2})
}

func (f *fakeStore) EachSession(ctx context.Context, q store.SessionQuery, fn func(store.SessionSummary) error) error {
	x, err := answer(f, ctx, q, store.SessionSummary{SessionID: "each"})
	if err != nil {
		return err
	}
	return fn(x)
}

func (f *fakeStore) GetSession(ctx context.Context, id string) (store.SessionDetail, error) {
	return answer(f, ctx, id, store.SessionDetail{Summary: store.SessionSummary{SessionID: id}})
}

func (f *fakeStore) GetRun(ctx context.Context, id int64) (store.RunDetail, error) {
	return answer(f, ctx, id, store.RunDetail{ID: id})
}

func (f *fakeStore) ListRuns(ctx context.Context, q store.RunQuery) (store.RunPage, error) {
	return answer(f, ctx, q, store.RunPage{Count: 5})
}

func (f *fakeStore) EachRun(ctx context.Context, q store.RunQuery, fn func(store.RunSummary) error) error {
	x, err := answer(f, ctx, q, store.RunSummary{ID: 9})
	if err != nil {
		return err
	}
	return fn(x)
}

func (f *fakeStore) Overview(ctx context.Context, q store.OverviewQuery) (store.Overview, error) {
	return answer(f, ctx, q, store.Overview{UniqueUsers: 3})
}

func (f *fakeStore) UsageStats(ctx context.Context, q store.StatsQuery) (store.UsageStats, error) {
	return answer(f, ctx, q, store.UsageStats{Users: 4})
}

func (f *fakeStore) ListAgents(ctx context.Context) ([]string, error) {
	return answer(f, ctx, "", []string{"agent"})
}

// TestReaderGatesEveryRead checks that each read reaches the store with its
// argument and result intact, and runs under the gate's deadline.
func TestReaderGatesEveryRead(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		op   string
		w    Weight
		arg  any
		want any
		read func(context.Context, *Reader) (any, error)
	}{
		{"list users", Light, store.UserQuery{Limit: 7}, store.UserPage{Count: 1}, func(ctx context.Context, r *Reader) (any, error) {
			return r.ListUsers(ctx, store.UserQuery{Limit: 7})
		}},
		{"export users", Export, store.UserQuery{Search: "x"}, []store.UserSummary{{UserID: "each"}}, func(ctx context.Context, r *Reader) (any, error) {
			var got []store.UserSummary
			err := r.EachUser(ctx, store.UserQuery{Search: "x"}, func(u store.UserSummary) error {
				got = append(got, u)
				return nil
			})
			return got, err
		}},
		{"get user", Light, "u1", store.UserDetail{Summary: store.UserSummary{UserID: "u1"}}, func(ctx context.Context, r *Reader) (any, error) {
			return r.GetUser(ctx, "u1")
		}},
		{"get user window", Light, store.WindowDetailQuery{UserID: "u2", Start: start}, store.UserDetail{Summary: store.UserSummary{UserID: "u2"}},
			func(ctx context.Context, r *Reader) (any, error) {
				return r.GetUserWindow(ctx, store.WindowDetailQuery{UserID: "u2", Start: start})
			}},
		{"user timeseries", Light, store.TimeseriesQuery{UserID: "u3"}, []store.Point{{T: 1}}, func(ctx context.Context, r *Reader) (any, error) {
			return r.UserTimeseries(ctx, store.TimeseriesQuery{UserID: "u3"})
		}},
		{"list sessions", Light, store.SessionQuery{UserID: "u4"}, store.SessionPage{Count: 2}, func(ctx context.Context, r *Reader) (any, error) {
			return r.ListSessions(ctx, store.SessionQuery{UserID: "u4"})
		}},
		{"export sessions", Export, store.SessionQuery{Agent: "a"}, []store.SessionSummary{{SessionID: "each"}},
			func(ctx context.Context, r *Reader) (any, error) {
				var got []store.SessionSummary
				err := r.EachSession(ctx, store.SessionQuery{Agent: "a"}, func(x store.SessionSummary) error {
					got = append(got, x)
					return nil
				})
				return got, err
			}},
		{"get session", Light, "s1", store.SessionDetail{Summary: store.SessionSummary{SessionID: "s1"}}, func(ctx context.Context, r *Reader) (any, error) {
			return r.GetSession(ctx, "s1")
		}},
		{"get run", Light, int64(42), store.RunDetail{ID: 42}, func(ctx context.Context, r *Reader) (any, error) {
			return r.GetRun(ctx, 42)
		}},
		{"list runs", Light, store.RunQuery{SessionID: "s2"}, store.RunPage{Count: 5}, func(ctx context.Context, r *Reader) (any, error) {
			return r.ListRuns(ctx, store.RunQuery{SessionID: "s2"})
		}},
		{"export runs", Export, store.RunQuery{UserID: "u5"}, []store.RunSummary{{ID: 9}},
			func(ctx context.Context, r *Reader) (any, error) {
				var got []store.RunSummary
				err := r.EachRun(ctx, store.RunQuery{UserID: "u5"}, func(x store.RunSummary) error {
					got = append(got, x)
					return nil
				})
				return got, err
			}},
		{"overview", Heavy, store.OverviewQuery{Start: start}, store.Overview{UniqueUsers: 3}, func(ctx context.Context, r *Reader) (any, error) {
			return r.Overview(ctx, store.OverviewQuery{Start: start})
		}},
		{"abuse-flag statistics", Heavy, store.StatsQuery{Start: start}, store.UsageStats{Users: 4}, func(ctx context.Context, r *Reader) (any, error) {
			return r.UsageStats(ctx, store.StatsQuery{Start: start})
		}},
		{"list agents", Light, "", []string{"agent"}, func(ctx context.Context, r *Reader) (any, error) {
			return r.ListAgents(ctx)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			f := &fakeStore{}
			got, err := tc.read(context.Background(), NewReader(New(Config{MaxConcurrent: 1, Timeout: time.Hour}, Observer{}), f))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.arg, f.got)

			// Exports have their own bound.
			f = &fakeStore{block: true}
			cfg := Config{MaxConcurrent: 1, Timeout: 10 * time.Millisecond, ExportTimeout: 20 * time.Millisecond}
			_, err = tc.read(context.Background(), NewReader(New(cfg, Observer{}), f))
			var te *TimeoutError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tc.op, te.Op)
			assert.False(t, te.Queued)
			assert.Equal(t, tc.w.Heavy(), te.Heavy, "the read's weight")
			want := cfg.Timeout
			if tc.w == Export {
				want = cfg.ExportTimeout
			}
			assert.Equal(t, want, te.Timeout, "the read's bound")
		})
	}
}

func TestListWeights(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	users := []struct {
		name string
		q    store.UserQuery
		want Weight
	}{
		{"lifetime page", store.UserQuery{Sort: store.SortTotalCost, Desc: true, Limit: 25}, Light},
		{"lifetime deep cursor", store.UserQuery{After: &store.Cursor{ID: "u"}, Limit: 25}, Light},
		{"window", store.UserQuery{Window: true, Start: at, End: at.Add(time.Hour)}, Heavy},
		{"lifetime from a time", store.UserQuery{Start: at}, Heavy},
		{"lifetime until a time", store.UserQuery{End: at}, Heavy},
		{"agent", store.UserQuery{Agent: "a"}, Heavy},
		{"search", store.UserQuery{Search: "u"}, Heavy},
	}
	for _, tc := range users {
		assert.Equal(t, tc.want, userListWeight(tc.q), "users: %s", tc.name)
	}
	sessions := []struct {
		name string
		q    store.SessionQuery
		want Weight
	}{
		{"page", store.SessionQuery{Sort: store.SortTotalCost, Desc: true}, Light},
		{"one user's", store.SessionQuery{UserID: "u", Sort: store.SortTotalCost}, Light},
		{"from a time", store.SessionQuery{Start: at}, Heavy},
		{"until a time", store.SessionQuery{End: at}, Heavy},
		{"agent", store.SessionQuery{Agent: "a"}, Heavy},
	}
	for _, tc := range sessions {
		assert.Equal(t, tc.want, sessionListWeight(tc.q), "sessions: %s", tc.name)
	}
}

// TestEveryFilterIsWeighed fails when a field is added to a list query
// without deciding here whether it makes the list heavy: each field, set
// alone, must give the weight listed for it.
func TestEveryFilterIsWeighed(t *testing.T) {
	users := map[string]Weight{
		"Search": Heavy, "Agent": Heavy, "Start": Heavy, "End": Heavy, "Window": Heavy,
		"Sort": Light, "Desc": Light, "Limit": Light, "Offset": Light, "After": Light, "Before": Light,
		"Above": Light, "NoCount": Light, "HighUsage": Heavy,
	}
	sessions := map[string]Weight{
		"Agent": Heavy, "Start": Heavy, "End": Heavy,
		"UserID": Light, "Sort": Light, "Desc": Light, "Limit": Light, "Offset": Light, "After": Light,
		"NoCount": Light,
	}
	// Runs are light when a user or a session bounds them: alone, every
	// other filter leaves them unbounded.
	runs := map[string]Weight{
		"UserID": Light, "SessionID": Light,
		"Agent": Heavy, "Start": Heavy, "End": Heavy, "Desc": Heavy, "Limit": Heavy, "Offset": Heavy, "After": Heavy,
		"NoCount": Heavy,
	}
	checkWeights(t, users, userListWeight)
	checkWeights(t, sessions, sessionListWeight)
	checkWeights(t, runs, runListWeight)
}

func checkWeights[Q any](t *testing.T, want map[string]Weight, weigh func(Q) Weight) {
	typ := reflect.TypeFor[Q]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		w, ok := want[f.Name]
		if !assert.True(t, ok, "%s.%s is not weighed: add it to its list's weight function and here", typ, f.Name) {
			continue
		}
		var q Q
		reflect.ValueOf(&q).Elem().Field(i).Set(nonZero(t, f.Type))
		assert.Equal(t, w, weigh(q), "%s.%s set alone", typ, f.Name)
	}
	assert.Len(t, want, typ.NumField(), "fields listed here that %s no longer has", typ)
}

// nonZero is a value of type typ other than its zero value.
func nonZero(t *testing.T, typ reflect.Type) reflect.Value {
	switch {
	case typ == reflect.TypeFor[time.Time]():
		return reflect.ValueOf(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	case typ.Kind() == reflect.Pointer:
		return reflect.New(typ.Elem())
	}
	v := reflect.New(typ).Elem()
	switch typ.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	default:
		t.Fatalf("no non-zero value of %s for the test", typ)
	}
	return v
}
