package postgres

import (
	"math"
	"strings"

	"github.com/waxell/otelcol-waxell/internal/store/ledger"
)

// rollup is how the deltas of one rollup table are written: one upsert of
// every delta (the key columns, then the value columns), then one delete of
// the rows a delta may have emptied (the key columns only). Both statements
// take one array per column, then the extra arguments given to queue.
type rollup[T any] struct {
	upsert, del string
	key         func(rowWriter, *T)
	values      func(rowWriter, *T)
	// emptied reports whether the delta may bring the row's count to zero:
	// only a count delta <= 0 can.
	emptied func(*T) bool
}

// queue queues the statements of ds; extra follow the arrays in both.
func (r *rollup[T]) queue(t *applyTx, ds []T, extra ...any) {
	if len(ds) == 0 {
		return
	}
	up, del := newColumnArrays(len(ds)), newColumnArrays(0)
	for i := range ds {
		d := &ds[i]
		up.row(0)
		r.key(up, d)
		r.values(up, d)
		if r.emptied(d) {
			del.row(0)
			r.key(del, d)
		}
	}
	t.queue(r.upsert, append(up.args(), extra...)...)
	if len(del.cols) > 0 {
		t.queue(r.del, append(del.args(), extra...)...)
	}
}

// writeRunTotals writes the run count, duration, cost and tokens of d.
func writeRunTotals(w rowWriter, d *ledger.Totals) {
	w.int8(d.Runs)
	w.int8(d.Duration)
	w.int8(d.Cost)
	w.int8(d.Tokens)
}

// writeCallTotals writes the call count, unpriced calls, cost and tokens of d.
func writeCallTotals(w rowWriter, d *ledger.Totals) {
	w.int8(d.Calls)
	w.int8(d.Unpriced)
	w.int8(d.Cost)
	w.int8(d.Tokens)
}

// writeSeenTotals writes the run count, first and last start, duration, cost
// and tokens of a user's or session's delta. Without added runs, first and
// last are the neutral elements of least and greatest.
func writeSeenTotals(w rowWriter, d *ledger.Totals, hasAdded bool, minStart, maxStart int64) {
	w.int8(d.Runs)
	if hasAdded {
		w.int8(minStart)
		w.int8(maxStart)
	} else {
		w.int8(math.MaxInt64)
		w.int8(math.MinInt64)
	}
	w.int8(d.Duration)
	w.int8(d.Cost)
	w.int8(d.Tokens)
}

func runsEmptied(d *ledger.Totals) bool  { return d.Runs <= 0 }
func callsEmptied(d *ledger.Totals) bool { return d.Calls <= 0 }

var (
	usersRollup = rollup[ledger.UserDelta]{upsert: upsertUsersSQL, del: deleteUsersSQL,
		key: func(w rowWriter, d *ledger.UserDelta) { w.text(d.UserID) },
		values: func(w rowWriter, d *ledger.UserDelta) {
			w.text(strings.ToLower(d.UserID))
			writeSeenTotals(w, &d.Delta, d.HasAdded, d.MinStart, d.MaxStart)
		},
		emptied: func(d *ledger.UserDelta) bool { return runsEmptied(&d.Delta) }}
	userModelsRollup = rollup[ledger.UserModelDelta]{upsert: upsertUserModelsSQL, del: deleteUserModelsSQL,
		key:     func(w rowWriter, d *ledger.UserModelDelta) { w.text(d.UserID); w.text(d.Model) },
		values:  func(w rowWriter, d *ledger.UserModelDelta) { writeCallTotals(w, &d.Delta) },
		emptied: func(d *ledger.UserModelDelta) bool { return callsEmptied(&d.Delta) }}
	userAgentsRollup = rollup[ledger.UserAgentDelta]{upsert: upsertUserAgentsSQL, del: deleteUserAgentsSQL,
		key:     func(w rowWriter, d *ledger.UserAgentDelta) { w.text(d.UserID); w.text(d.Agent) },
		values:  func(w rowWriter, d *ledger.UserAgentDelta) { w.int8(d.Delta.Runs) },
		emptied: func(d *ledger.UserAgentDelta) bool { return runsEmptied(&d.Delta) }}
	userHoursRollup = rollup[ledger.UserHourDelta]{upsert: upsertUserHoursSQL, del: deleteUserHoursSQL,
		key:     func(w rowWriter, d *ledger.UserHourDelta) { w.text(d.UserID); w.int8(d.Hour) },
		values:  func(w rowWriter, d *ledger.UserHourDelta) { writeRunTotals(w, &d.Delta) },
		emptied: func(d *ledger.UserHourDelta) bool { return runsEmptied(&d.Delta) }}
	userModelHoursRollup = rollup[ledger.UserModelHourDelta]{upsert: upsertUserModelHoursSQL,
		del: deleteUserModelHoursSQL,
		key: func(w rowWriter, d *ledger.UserModelHourDelta) {
			w.text(d.UserID)
			w.text(d.Model)
			w.int8(d.Hour)
		},
		values:  func(w rowWriter, d *ledger.UserModelHourDelta) { writeCallTotals(w, &d.Delta) },
		emptied: func(d *ledger.UserModelHourDelta) bool { return callsEmptied(&d.Delta) }}
	sessionsRollup = rollup[ledger.SessionDelta]{upsert: upsertSessionsSQL, del: deleteSessionsSQL,
		key: func(w rowWriter, d *ledger.SessionDelta) { w.text(d.SessionID) },
		values: func(w rowWriter, d *ledger.SessionDelta) {
			writeSeenTotals(w, &d.Delta, d.HasAdded, d.MinStart, d.MaxStart)
		},
		emptied: func(d *ledger.SessionDelta) bool { return runsEmptied(&d.Delta) }}
	userSessionsRollup = rollup[ledger.UserSessionDelta]{upsert: upsertUserSessionsSQL, del: deleteUserSessionsSQL,
		key:     func(w rowWriter, d *ledger.UserSessionDelta) { w.text(d.SessionID); w.text(d.UserID) },
		values:  func(w rowWriter, d *ledger.UserSessionDelta) { w.int8(d.Runs) },
		emptied: func(d *ledger.UserSessionDelta) bool { return d.Runs <= 0 }}
	runHoursRollup = rollup[ledger.HourDelta]{upsert: upsertRunHoursSQL, del: deleteRunHoursSQL,
		key: func(w rowWriter, d *ledger.HourDelta) { w.int8(d.Hour) },
		values: func(w rowWriter, d *ledger.HourDelta) {
			w.int8(d.Delta.Runs)
			w.int8(d.UserRuns)
			w.int8(d.Delta.Duration)
			w.int8(d.Delta.Cost)
			w.int8(d.Delta.Tokens)
		},
		emptied: func(d *ledger.HourDelta) bool { return runsEmptied(&d.Delta) }}
	modelHoursRollup = rollup[ledger.ModelHourDelta]{upsert: upsertModelHoursSQL, del: deleteModelHoursSQL,
		key:     func(w rowWriter, d *ledger.ModelHourDelta) { w.int8(d.Hour); w.text(d.Model) },
		values:  func(w rowWriter, d *ledger.ModelHourDelta) { writeCallTotals(w, &d.Delta) },
		emptied: func(d *ledger.ModelHourDelta) bool { return callsEmptied(&d.Delta) }}
)
