package ledger

import (
	"sort"

	"github.com/waxell/otelcol-waxell/internal/genai"
)

// UserSessionDelta changes how many runs a user has in one session: the
// user_sessions rollup of both stores (migration 0008, docs/store-spec.md),
// for the sessions list filtered by user. Unlike the others it follows the
// runs stored: retention removes what it retires (RetiredUserSessions).
type UserSessionDelta struct {
	SessionID string
	UserID    string
	Runs      int64
}

type sessionUser struct{ session, user string }

// userSessions accumulates the deltas of a batch by (session, user).
type userSessions map[sessionUser]int64

// run adds (sign=+1) or removes (sign=-1) a run; runs without a session or
// a user have no row.
func (m userSessions) run(r *genai.Run, sign int64) {
	if r.SessionID != "" && r.UserID != "" {
		m[sessionUser{r.SessionID, r.UserID}] += sign
	}
}

// deltas returns the non-zero deltas sorted by (session, user), the order
// in which writers lock the rows.
func (m userSessions) deltas() []UserSessionDelta {
	var out []UserSessionDelta
	for k, n := range m {
		if n != 0 {
			out = append(out, UserSessionDelta{SessionID: k.session, UserID: k.user, Runs: n})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.SessionID < b.SessionID || (a.SessionID == b.SessionID && a.UserID < b.UserID)
	})
	return out
}

// RetiredUserSessions returns the deltas that take the runs retention
// deletes out of user_sessions.
func RetiredUserSessions(runs []genai.Run) []UserSessionDelta {
	m := userSessions{}
	for i := range runs {
		m.run(&runs[i], -1)
	}
	return m.deltas()
}
