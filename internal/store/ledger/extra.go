package ledger

import (
	"sort"
	"strconv"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

// This file holds the rollups added for the windowed, session and overview
// reads (issue 6): per session, and per hour over all runs and calls (with or
// without a user). They are maintained by the same (new - old) deltas as the
// per-user rollups and checked by Expected and Compare.

// SessionDelta changes a session's row, the way UserDelta changes a user's.
// Runs without a session id have no session rollup.
type SessionDelta struct {
	SessionID string
	Delta     Totals
	HasAdded  bool
	MinStart  int64
	MaxStart  int64
}

// HourDelta changes the totals of all runs that started in one hour. UserRuns
// counts the runs among them that carry a user id.
//
// The store may add the delta to any of several rows of the hour (shards),
// so that concurrent writers rarely wait for one another; readers and Verify
// sum the rows of an hour. A shard row is deleted when all its fields are zero.
type HourDelta struct {
	Hour     int64
	Delta    Totals
	UserRuns int64
}

// ModelHourDelta changes the usage of one model, by calls of runs that
// started in one hour, with or without a user. Sharded like HourDelta.
type ModelHourDelta struct {
	Model string
	Hour  int64
	Delta Totals
}

// HourRow is the sum of the rows of one hour of the run_hours rollup.
type HourRow struct {
	Totals   Totals
	UserRuns int64
}

type extraRollups struct {
	sessions     map[string]*SessionDelta
	sessExt      map[string]bool
	hours        map[int64]*HourRow
	modelHours   map[modelHour]*Totals
	userSessions userSessions
}

type modelHour struct {
	model string
	hour  int64
}

func newExtraRollups() extraRollups {
	return extraRollups{
		sessions:     map[string]*SessionDelta{},
		sessExt:      map[string]bool{},
		hours:        map[int64]*HourRow{},
		modelHours:   map[modelHour]*Totals{},
		userSessions: userSessions{},
	}
}

// run adds (sign=+1) or removes (sign=-1) a run's contribution to the
// session and hour rollups.
func (r *extraRollups) run(run *genai.Run, sign int64) {
	t := runTotals(run)
	h, ok := r.hours[HourOf(run.Start)]
	if !ok {
		h = &HourRow{}
		r.hours[HourOf(run.Start)] = h
	}
	h.Totals.add(t, sign)
	if run.UserID != "" {
		h.UserRuns += sign
	}
	r.userSessions.run(run, sign)
	if run.SessionID == "" {
		return
	}
	s, ok := r.sessions[run.SessionID]
	if !ok {
		s = &SessionDelta{SessionID: run.SessionID}
		r.sessions[run.SessionID] = s
	}
	s.Delta.add(t, sign)
	if sign > 0 {
		if !s.HasAdded || run.Start < s.MinStart {
			s.MinStart = run.Start
		}
		if !s.HasAdded || run.Start > s.MaxStart {
			s.MaxStart = run.Start
		}
		s.HasAdded = true
	}
}

// replaced records that old was replaced by (or, with nw nil, deleted in
// favour of) another run: the session may have lost its first or last run.
func (r *extraRollups) replaced(old, nw *genai.Run) {
	if old.SessionID == "" {
		return
	}
	if nw == nil || old.SessionID != nw.SessionID || old.Start != nw.Start {
		r.sessExt[old.SessionID] = true
	}
}

func (r *extraRollups) call(c *genai.Call, sign int64) {
	bump(r.modelHours, modelHour{c.Model, HourOf(c.RunStart)}, callTotals(c), sign)
}

func (r *extraRollups) into(ch *Changes) {
	for _, s := range r.sessions {
		if s.Delta.IsZero() && !s.HasAdded && !r.sessExt[s.SessionID] {
			continue
		}
		ch.Sessions = append(ch.Sessions, *s)
	}
	for id := range r.sessExt {
		ch.RecomputeSessionExtremes = append(ch.RecomputeSessionExtremes, id)
	}
	for hour, h := range r.hours {
		if !h.Totals.IsZero() || h.UserRuns != 0 {
			ch.Hours = append(ch.Hours, HourDelta{Hour: hour, Delta: h.Totals, UserRuns: h.UserRuns})
		}
	}
	for k, t := range r.modelHours {
		if !t.IsZero() {
			ch.ModelHours = append(ch.ModelHours, ModelHourDelta{Model: k.model, Hour: k.hour, Delta: *t})
		}
	}
	ch.UserSessions = r.userSessions.deltas()
	sort.Slice(ch.Sessions, func(i, j int) bool { return ch.Sessions[i].SessionID < ch.Sessions[j].SessionID })
	sort.Strings(ch.RecomputeSessionExtremes)
	sort.Slice(ch.Hours, func(i, j int) bool { return ch.Hours[i].Hour < ch.Hours[j].Hour })
	sort.Slice(ch.ModelHours, func(i, j int) bool {
		a, b := ch.ModelHours[i], ch.ModelHours[j]
		return a.Hour < b.Hour || (a.Hour == b.Hour && a.Model < b.Model)
	})
}

// expectedExtra fills the session and hour rollups of s from runs and calls.
func expectedExtra(s *Snapshot, runs []genai.Run, calls []genai.Call) {
	for i := range runs {
		r := &runs[i]
		hk := strconv.FormatInt(HourOf(r.Start), 10)
		h := s.Hours[hk]
		h.Totals.add(runTotals(r), 1)
		if r.UserID != "" {
			h.UserRuns++
		}
		s.Hours[hk] = h
		if r.SessionID == "" {
			continue
		}
		u, ok := s.Sessions[r.SessionID]
		if !ok || r.Start < u.FirstSeen {
			u.FirstSeen = r.Start
		}
		if !ok || r.Start > u.LastSeen {
			u.LastSeen = r.Start
		}
		u.Totals.add(runTotals(r), 1)
		s.Sessions[r.SessionID] = u
	}
	for i := range calls {
		c := &calls[i]
		addTo(s.ModelHours, [2]string{c.Model, strconv.FormatInt(HourOf(c.RunStart), 10)}, callTotals(c))
	}
}

// AddHourRow adds one stored (shard) row of run_hours to the snapshot.
func (s *Snapshot) AddHourRow(hour int64, t Totals, userRuns int64) {
	k := strconv.FormatInt(hour, 10)
	h := s.Hours[k]
	h.Totals.add(t, 1)
	h.UserRuns += userRuns
	s.Hours[k] = h
}

// AddModelHourRow adds one stored (shard) row of model_hours to the snapshot.
func (s *Snapshot) AddModelHourRow(model string, hour int64, t Totals) {
	addTo(s.ModelHours, [2]string{model, strconv.FormatInt(hour, 10)}, t)
}

// dropZeroShardSums removes hours whose shard rows sum to zero: such rows
// are consistent (a run added in one shard and removed in another), and
// Expected has no entry for them.
func (s *Snapshot) dropZeroShardSums() {
	for k, h := range s.Hours {
		if h.Totals.IsZero() && h.UserRuns == 0 {
			delete(s.Hours, k)
		}
	}
	for k, t := range s.ModelHours {
		if t.IsZero() {
			delete(s.ModelHours, k)
		}
	}
}
