package ledger

import (
	"fmt"
	"sort"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

// UserRow is a user's lifetime rollup as stored.
type UserRow struct {
	Totals    Totals
	FirstSeen int64
	LastSeen  int64
}

// Snapshot is the full content of the rollup tables. Rows whose totals are
// zero must not exist.
type Snapshot struct {
	Users          map[string]UserRow
	UserModels     map[[2]string]Totals // user, model
	UserAgents     map[[2]string]Totals // user, agent (Runs only)
	UserHours      map[[2]string]Totals // user, hour as decimal string
	UserModelHours map[[3]string]Totals // user, model, hour as decimal string
	Sessions       map[string]UserRow   // session id
	Hours          map[string]HourRow   // hour as decimal string, summed over shards
	ModelHours     map[[2]string]Totals // model, hour as decimal string, summed over shards
}

// NewSnapshot returns an empty snapshot ready to be filled.
func NewSnapshot() *Snapshot {
	return &Snapshot{
		Users:          map[string]UserRow{},
		UserModels:     map[[2]string]Totals{},
		UserAgents:     map[[2]string]Totals{},
		UserHours:      map[[2]string]Totals{},
		UserModelHours: map[[3]string]Totals{},
		Sessions:       map[string]UserRow{},
		Hours:          map[string]HourRow{},
		ModelHours:     map[[2]string]Totals{},
	}
}

// Expected recomputes every rollup from runs and calls, the way the
// incremental deltas must have maintained them.
func Expected(runs []genai.Run, calls []genai.Call) *Snapshot {
	s := NewSnapshot()
	for i := range runs {
		r := &runs[i]
		if r.UserID == "" {
			continue
		}
		u, ok := s.Users[r.UserID]
		if !ok || r.Start < u.FirstSeen {
			u.FirstSeen = r.Start
		}
		if !ok || r.Start > u.LastSeen {
			u.LastSeen = r.Start
		}
		u.Totals.add(runTotals(r), 1)
		s.Users[r.UserID] = u
		addTo(s.UserAgents, [2]string{r.UserID, r.AgentName}, Totals{Runs: 1})
		addTo(s.UserHours, [2]string{r.UserID, fmt.Sprint(HourOf(r.Start))}, runTotals(r))
	}
	for i := range calls {
		c := &calls[i]
		if c.UserID == "" {
			continue
		}
		addTo(s.UserModels, [2]string{c.UserID, c.Model}, callTotals(c))
		addTo(s.UserModelHours, [3]string{c.UserID, c.Model, fmt.Sprint(HourOf(c.RunStart))}, callTotals(c))
	}
	expectedExtra(s, runs, calls)
	return s
}

func addTo[K comparable](m map[K]Totals, k K, t Totals) {
	cur := m[k]
	cur.add(t, 1)
	m[k] = cur
}

// Compare lists every difference between the expected and the stored
// rollups, in a stable order. An empty result means the store is exact.
// Sharded hours of got whose rows sum to zero are ignored.
func Compare(want, got *Snapshot) []string {
	got.dropZeroShardSums()
	var diffs []string
	diffs = append(diffs, compareMaps("users", want.Users, got.Users)...)
	diffs = append(diffs, compareMaps("user_models", want.UserModels, got.UserModels)...)
	diffs = append(diffs, compareMaps("user_agents", want.UserAgents, got.UserAgents)...)
	diffs = append(diffs, compareMaps("user_hours", want.UserHours, got.UserHours)...)
	diffs = append(diffs, compareMaps("user_model_hours", want.UserModelHours, got.UserModelHours)...)
	diffs = append(diffs, compareMaps("sessions", want.Sessions, got.Sessions)...)
	diffs = append(diffs, compareMaps("run_hours", want.Hours, got.Hours)...)
	diffs = append(diffs, compareMaps("model_hours", want.ModelHours, got.ModelHours)...)
	sort.Strings(diffs)
	return diffs
}

func compareMaps[K comparable, V comparable](table string, want, got map[K]V) []string {
	var diffs []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s %v: missing, want %+v", table, k, w))
		case g != w:
			diffs = append(diffs, fmt.Sprintf("%s %v: got %+v, want %+v", table, k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s %v: unexpected %+v", table, k, g))
		}
	}
	return diffs
}
