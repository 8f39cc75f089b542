package ledger

import (
	"context"
	"sort"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

// Retention (docs/reliability.md) deletes the spans, runs and calls of old
// traces but keeps the rollups, which are lifetime aggregates. Two things
// keep the store exact afterwards:
//
//   - The trace's row in traces stays (a tombstone) and the store records it
//     as retired. A span of a retired trace that arrives later (a replay, a
//     very late export) is ignored and counted in Stats.RetiredSpans: the
//     spans it would join are gone, so counting it would count its run a
//     second time.
//   - What the deleted runs and calls contributed to every rollup is kept as
//     retired rows (RetiredRows). Verify adds them to the rollups it
//     recomputes from the remaining runs and calls (Snapshot.AddRetired),
//     and the stores' first/last-seen recomputations include their extremes.

// RetiredTx is implemented by the Tx of stores with retention. Apply asks it
// only about known traces that have no stored span left, which is how a
// retired trace looks; in a store that never ran retention there are none.
type RetiredTx interface {
	// RetiredTraces reports, for each of the given (sorted, locked) traces,
	// whether retention deleted it.
	RetiredTraces(ctx context.Context, traces []pcommon.TraceID) ([]bool, error)
}

// retiredTraces returns the traces of the batch that retention deleted.
func retiredTraces(ctx context.Context, tx Tx, traces []pcommon.TraceID, known []bool,
	prior map[pcommon.TraceID][]genai.Span) (map[pcommon.TraceID]bool, error) {
	rt, ok := tx.(RetiredTx)
	if !ok {
		return nil, nil
	}
	var empty []pcommon.TraceID
	for i, t := range traces {
		if known[i] && len(prior[t]) == 0 {
			empty = append(empty, t)
		}
	}
	if len(empty) == 0 {
		return nil, nil
	}
	retired, err := rt.RetiredTraces(ctx, empty)
	if err != nil {
		return nil, err
	}
	out := map[pcommon.TraceID]bool{}
	for i, t := range empty {
		if retired[i] {
			out[t] = true
		}
	}
	return out, nil
}

// Names of the rollups in RetiredRow.Rollup (the rollup tables' names).
const (
	RollupUsers          = "users"
	RollupUserModels     = "user_models"
	RollupUserAgents     = "user_agents"
	RollupUserHours      = "user_hours"
	RollupUserModelHours = "user_model_hours"
	RollupSessions       = "sessions"
	RollupRunHours       = "run_hours"
	RollupModelHours     = "model_hours"
)

// RetiredRow is what retired runs and calls contributed to one rollup row.
// Key holds the row's key columns in the order of Snapshot's map keys (hours
// as decimal strings), unused ones empty. FirstSeen and LastSeen are set for
// users and sessions only.
type RetiredRow struct {
	Rollup    string
	Key       [3]string
	Totals    Totals
	UserRuns  int64
	FirstSeen int64
	LastSeen  int64
}

// RetiredRows lists the rows of a snapshot (the Expected of the runs and
// calls being retired), sorted by rollup and key. Stores add them to their
// retired rows: totals add up, first seen is the minimum, last seen the
// maximum.
func RetiredRows(s *Snapshot) []RetiredRow {
	var out []RetiredRow
	for k, u := range s.Users {
		out = append(out, RetiredRow{Rollup: RollupUsers, Key: [3]string{k}, Totals: u.Totals, FirstSeen: u.FirstSeen, LastSeen: u.LastSeen})
	}
	for k, t := range s.UserModels {
		out = append(out, RetiredRow{Rollup: RollupUserModels, Key: [3]string{k[0], k[1]}, Totals: t})
	}
	for k, t := range s.UserAgents {
		out = append(out, RetiredRow{Rollup: RollupUserAgents, Key: [3]string{k[0], k[1]}, Totals: t})
	}
	for k, t := range s.UserHours {
		out = append(out, RetiredRow{Rollup: RollupUserHours, Key: [3]string{k[0], k[1]}, Totals: t})
	}
	for k, t := range s.UserModelHours {
		out = append(out, RetiredRow{Rollup: RollupUserModelHours, Key: k, Totals: t})
	}
	for k, u := range s.Sessions {
		out = append(out, RetiredRow{Rollup: RollupSessions, Key: [3]string{k}, Totals: u.Totals, FirstSeen: u.FirstSeen, LastSeen: u.LastSeen})
	}
	for k, h := range s.Hours {
		out = append(out, RetiredRow{Rollup: RollupRunHours, Key: [3]string{k}, Totals: h.Totals, UserRuns: h.UserRuns})
	}
	for k, t := range s.ModelHours {
		out = append(out, RetiredRow{Rollup: RollupModelHours, Key: [3]string{k[0], k[1]}, Totals: t})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Rollup != b.Rollup {
			return a.Rollup < b.Rollup
		}
		for n := range a.Key {
			if a.Key[n] != b.Key[n] {
				return a.Key[n] < b.Key[n]
			}
		}
		return false
	})
	return out
}

// AddRetired adds one stored retired row to s, an Expected snapshot of the
// remaining runs and calls, so that s becomes the expected content of the
// rollup tables. Unknown rollup names are ignored.
func (s *Snapshot) AddRetired(r RetiredRow) {
	switch r.Rollup {
	case RollupUsers:
		s.Users[r.Key[0]] = mergeRow(s.Users, r.Key[0], r)
	case RollupSessions:
		s.Sessions[r.Key[0]] = mergeRow(s.Sessions, r.Key[0], r)
	case RollupUserModels:
		addTo(s.UserModels, [2]string{r.Key[0], r.Key[1]}, r.Totals)
	case RollupUserAgents:
		addTo(s.UserAgents, [2]string{r.Key[0], r.Key[1]}, r.Totals)
	case RollupUserHours:
		addTo(s.UserHours, [2]string{r.Key[0], r.Key[1]}, r.Totals)
	case RollupUserModelHours:
		addTo(s.UserModelHours, r.Key, r.Totals)
	case RollupRunHours:
		h := s.Hours[r.Key[0]]
		h.Totals.add(r.Totals, 1)
		h.UserRuns += r.UserRuns
		s.Hours[r.Key[0]] = h
	case RollupModelHours:
		addTo(s.ModelHours, [2]string{r.Key[0], r.Key[1]}, r.Totals)
	}
}

func mergeRow(m map[string]UserRow, k string, r RetiredRow) UserRow {
	u, ok := m[k]
	if !ok || r.FirstSeen < u.FirstSeen {
		u.FirstSeen = r.FirstSeen
	}
	if !ok || r.LastSeen > u.LastSeen {
		u.LastSeen = r.LastSeen
	}
	u.Totals.add(r.Totals, 1)
	return u
}
