package ledger

import (
	"bytes"
	"sort"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

// HourNanos is the width of a rollup time bucket.
const HourNanos = int64(3600) * 1e9

// HourOf returns the start (Unix nanoseconds) of the hour bucket of t.
func HourOf(t int64) int64 {
	h := t - t%HourNanos
	if t < 0 && t%HourNanos != 0 {
		h -= HourNanos
	}
	return h
}

// CallKey identifies a call.
type CallKey struct {
	TraceID pcommon.TraceID
	SpanID  pcommon.SpanID
}

// Totals is the additive part of every rollup row.
type Totals struct {
	Runs     int64
	Calls    int64
	Unpriced int64 // unpriced calls
	Duration int64 // nanoseconds
	Cost     int64 // nano-USD
	Tokens   int64
}

func (t *Totals) add(o Totals, sign int64) {
	t.Runs += sign * o.Runs
	t.Calls += sign * o.Calls
	t.Unpriced += sign * o.Unpriced
	t.Duration += sign * o.Duration
	t.Cost += sign * o.Cost
	t.Tokens += sign * o.Tokens
}

// IsZero reports whether applying the delta would change nothing.
func (t Totals) IsZero() bool { return t == Totals{} }

// UserDelta changes a user's lifetime row. MinStart/MaxStart are the
// extremes of the runs added (valid when HasAdded) and feed least/greatest.
type UserDelta struct {
	UserID   string
	Delta    Totals
	HasAdded bool
	MinStart int64
	MaxStart int64
}

// UserModelDelta changes a user's usage of one model.
type UserModelDelta struct {
	UserID string
	Model  string
	Delta  Totals
}

// UserAgentDelta changes how many runs a user has with one agent.
type UserAgentDelta struct {
	UserID string
	Agent  string
	Delta  Totals
}

// UserHourDelta changes a user's totals in one hour bucket (by run start).
type UserHourDelta struct {
	UserID string
	Hour   int64
	Delta  Totals
}

// UserModelHourDelta changes a user's usage of one model in one hour bucket.
type UserModelHourDelta struct {
	UserID string
	Model  string
	Hour   int64
	Delta  Totals
}

// Changes is everything one batch changes, each list sorted by key so that
// concurrent writers take row locks in one order. Rollup rows whose Runs (or
// Calls, for model rows) reach zero must be deleted by the store.
type Changes struct {
	RunsDeleted []string
	// RunsInserted were not stored before, RunsUpdated were and changed. A
	// store may write the first with plain inserts: every writer of a trace's
	// runs and calls holds its lock, so no one else can add the same keys.
	RunsInserted   []genai.Run
	RunsUpdated    []genai.Run
	CallsDeleted   []CallKey
	CallsInserted  []genai.Call
	CallsUpdated   []genai.Call
	Users          []UserDelta
	UserModels     []UserModelDelta
	UserAgents     []UserAgentDelta
	UserHours      []UserHourDelta
	UserModelHours []UserModelHourDelta
	// RecomputeExtremes lists users that lost a run that may have been their
	// first or last; their first_seen/last_seen come from their runs again.
	RecomputeExtremes []string

	// Sessions, Hours and ModelHours are the rollups of extra.go; rows of
	// Sessions reach zero like users, RecomputeSessionExtremes like
	// RecomputeExtremes.
	Sessions                 []SessionDelta
	RecomputeSessionExtremes []string
	Hours                    []HourDelta
	ModelHours               []ModelHourDelta
	// UserSessions follow the runs stored (UserSessionDelta).
	UserSessions []UserSessionDelta
}

// Empty reports whether there is nothing to write.
func (c *Changes) Empty() bool {
	return len(c.RunsDeleted) == 0 && len(c.RunsInserted) == 0 && len(c.RunsUpdated) == 0 &&
		len(c.CallsDeleted) == 0 && len(c.CallsInserted) == 0 && len(c.CallsUpdated) == 0
}

func runTotals(r *genai.Run) Totals {
	return Totals{Runs: 1, Duration: r.Duration(), Cost: r.CostNanos, Tokens: r.Usage.Total()}
}

func callTotals(c *genai.Call) Totals {
	t := Totals{Calls: 1, Cost: c.CostNanos, Tokens: c.Usage.Total()}
	if c.CostSource == genai.CostUnpriced {
		t.Unpriced = 1
	}
	return t
}

type rollups struct {
	users      map[string]*UserDelta
	models     map[[2]string]*Totals
	agents     map[[2]string]*Totals
	hours      map[userHour]*Totals
	modelHours map[userModelHour]*Totals
	extremes   map[string]bool
	extra      extraRollups
}

type userHour struct {
	user string
	hour int64
}

type userModelHour struct {
	user, model string
	hour        int64
}

func newRollups() *rollups {
	return &rollups{
		users:      map[string]*UserDelta{},
		models:     map[[2]string]*Totals{},
		agents:     map[[2]string]*Totals{},
		hours:      map[userHour]*Totals{},
		modelHours: map[userModelHour]*Totals{},
		extremes:   map[string]bool{},
		extra:      newExtraRollups(),
	}
}

func bump[K comparable](m map[K]*Totals, k K, t Totals, sign int64) {
	cur, ok := m[k]
	if !ok {
		cur = &Totals{}
		m[k] = cur
	}
	cur.add(t, sign)
}

// run adds (sign=+1) or removes (sign=-1) a run's contribution. Runs without
// a user are kept as runs but have no per-user rollups.
func (r *rollups) run(run *genai.Run, sign int64) {
	r.extra.run(run, sign)
	if run.UserID == "" {
		return
	}
	t := runTotals(run)
	u, ok := r.users[run.UserID]
	if !ok {
		u = &UserDelta{UserID: run.UserID}
		r.users[run.UserID] = u
	}
	u.Delta.add(t, sign)
	if sign > 0 {
		if !u.HasAdded || run.Start < u.MinStart {
			u.MinStart = run.Start
		}
		if !u.HasAdded || run.Start > u.MaxStart {
			u.MaxStart = run.Start
		}
		u.HasAdded = true
	}
	bump(r.agents, [2]string{run.UserID, run.AgentName}, Totals{Runs: 1}, sign)
	bump(r.hours, userHour{run.UserID, HourOf(run.Start)}, t, sign)
}

func (r *rollups) call(c *genai.Call, sign int64) {
	r.extra.call(c, sign)
	if c.UserID == "" {
		return
	}
	t := callTotals(c)
	bump(r.models, [2]string{c.UserID, c.Model}, t, sign)
	bump(r.modelHours, userModelHour{c.UserID, c.Model, HourOf(c.RunStart)}, t, sign)
}

// Diff computes the changes that turn the old runs and calls of the touched
// traces into the new ones.
func Diff(oldRuns []StoredRun, oldCalls []genai.Call, newRuns []genai.Run, newCalls []genai.Call) *Changes {
	ch := &Changes{}
	ru := newRollups()

	oldByKey := make(map[string]*genai.Run, len(oldRuns))
	for i := range oldRuns {
		oldByKey[oldRuns[i].Key] = &oldRuns[i].Run
	}
	newByKey := make(map[string]*genai.Run, len(newRuns))
	for i := range newRuns {
		n := &newRuns[i]
		newByKey[n.Key] = n
		o, had := oldByKey[n.Key]
		if had && *o == *n {
			continue
		}
		ru.run(n, +1)
		if !had {
			ch.RunsInserted = append(ch.RunsInserted, *n)
			continue
		}
		ch.RunsUpdated = append(ch.RunsUpdated, *n)
		ru.run(o, -1)
		if o.UserID != "" && (o.UserID != n.UserID || o.Start != n.Start) {
			ru.extremes[o.UserID] = true
		}
		ru.extra.replaced(o, n)
	}
	for k, o := range oldByKey {
		if _, still := newByKey[k]; !still {
			ch.RunsDeleted = append(ch.RunsDeleted, k)
			ru.run(o, -1)
			if o.UserID != "" {
				ru.extremes[o.UserID] = true
			}
			ru.extra.replaced(o, nil)
		}
	}

	oldCallByKey := make(map[CallKey]*genai.Call, len(oldCalls))
	for i := range oldCalls {
		oldCallByKey[CallKey{oldCalls[i].TraceID, oldCalls[i].SpanID}] = &oldCalls[i]
	}
	newCallKeys := make(map[CallKey]struct{}, len(newCalls))
	for i := range newCalls {
		n := &newCalls[i]
		k := CallKey{n.TraceID, n.SpanID}
		newCallKeys[k] = struct{}{}
		o, had := oldCallByKey[k]
		if had && *o == *n {
			continue
		}
		ru.call(n, +1)
		if had {
			ch.CallsUpdated = append(ch.CallsUpdated, *n)
			ru.call(o, -1)
		} else {
			ch.CallsInserted = append(ch.CallsInserted, *n)
		}
	}
	for k, o := range oldCallByKey {
		if _, still := newCallKeys[k]; !still {
			ch.CallsDeleted = append(ch.CallsDeleted, k)
			ru.call(o, -1)
		}
	}
	ru.into(ch)
	sortChanges(ch)
	return ch
}

func (r *rollups) into(ch *Changes) {
	for _, u := range r.users {
		if u.Delta.IsZero() && !u.HasAdded && !r.extremes[u.UserID] {
			continue
		}
		ch.Users = append(ch.Users, *u)
	}
	for k, t := range r.models {
		if !t.IsZero() {
			ch.UserModels = append(ch.UserModels, UserModelDelta{UserID: k[0], Model: k[1], Delta: *t})
		}
	}
	for k, t := range r.agents {
		if !t.IsZero() {
			ch.UserAgents = append(ch.UserAgents, UserAgentDelta{UserID: k[0], Agent: k[1], Delta: *t})
		}
	}
	for k, t := range r.hours {
		if !t.IsZero() {
			ch.UserHours = append(ch.UserHours, UserHourDelta{UserID: k.user, Hour: k.hour, Delta: *t})
		}
	}
	for k, t := range r.modelHours {
		if !t.IsZero() {
			ch.UserModelHours = append(ch.UserModelHours, UserModelHourDelta{UserID: k.user, Model: k.model, Hour: k.hour, Delta: *t})
		}
	}
	for u := range r.extremes {
		ch.RecomputeExtremes = append(ch.RecomputeExtremes, u)
	}
	r.extra.into(ch)
}

func sortChanges(ch *Changes) {
	sort.Strings(ch.RunsDeleted)
	for _, runs := range [][]genai.Run{ch.RunsInserted, ch.RunsUpdated} {
		sort.Slice(runs, func(i, j int) bool { return runs[i].Key < runs[j].Key })
	}
	lessCall := func(a, b CallKey) bool {
		if c := bytes.Compare(a.TraceID[:], b.TraceID[:]); c != 0 {
			return c < 0
		}
		return bytes.Compare(a.SpanID[:], b.SpanID[:]) < 0
	}
	sort.Slice(ch.CallsDeleted, func(i, j int) bool { return lessCall(ch.CallsDeleted[i], ch.CallsDeleted[j]) })
	for _, calls := range [][]genai.Call{ch.CallsInserted, ch.CallsUpdated} {
		sort.Slice(calls, func(i, j int) bool {
			a, b := calls[i], calls[j]
			return lessCall(CallKey{a.TraceID, a.SpanID}, CallKey{b.TraceID, b.SpanID})
		})
	}
	sort.Slice(ch.Users, func(i, j int) bool { return ch.Users[i].UserID < ch.Users[j].UserID })
	sort.Slice(ch.UserModels, func(i, j int) bool {
		a, b := ch.UserModels[i], ch.UserModels[j]
		return a.UserID < b.UserID || (a.UserID == b.UserID && a.Model < b.Model)
	})
	sort.Slice(ch.UserAgents, func(i, j int) bool {
		a, b := ch.UserAgents[i], ch.UserAgents[j]
		return a.UserID < b.UserID || (a.UserID == b.UserID && a.Agent < b.Agent)
	})
	sort.Slice(ch.UserHours, func(i, j int) bool {
		a, b := ch.UserHours[i], ch.UserHours[j]
		return a.UserID < b.UserID || (a.UserID == b.UserID && a.Hour < b.Hour)
	})
	sort.Slice(ch.UserModelHours, func(i, j int) bool {
		a, b := ch.UserModelHours[i], ch.UserModelHours[j]
		if a.UserID != b.UserID {
			return a.UserID < b.UserID
		}
		if a.Model != b.Model {
			return a.Model < b.Model
		}
		return a.Hour < b.Hour
	})
	sort.Strings(ch.RecomputeExtremes)
}
