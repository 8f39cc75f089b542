package sqllist

import "fmt"

// userSessionsValues is the values of the user_sessions row x as text, or
// "no row" (portable: || converts integers in both stores).
func userSessionsValues(x string) string {
	v := func(col string) string { return x + "." + col }
	return `CASE WHEN ` + v("user_id") + ` IS NULL THEN 'no row' ELSE '(' || ` + v("runs") + ` || ',' || ` +
		v("run_count") + ` || ',' || ` + v("first_seen") + ` || ',' || ` + v("last_seen") + ` || ',' || ` +
		v("total_duration") + ` || ',' || ` + v("total_cost") + ` || ',' || ` + v("total_tokens") + ` || ')' END`
}

// UserSessionsDiffsSQL selects each row in which user_sessions differs from
// what runs and sessions make of it (the view user_sessions_recomputed of
// both stores' migration 0008): session, user, then the stored and the
// recomputed values as text.
func UserSessionsDiffsSQL() string {
	got, want := userSessionsValues("g"), userSessionsValues("w")
	return `SELECT coalesce(w.session_id, g.session_id), coalesce(w.user_id, g.user_id), ` + got + `, ` + want + `
		FROM user_sessions_recomputed w
		FULL JOIN user_sessions g ON g.session_id = w.session_id AND g.user_id = w.user_id
		WHERE ` + got + ` <> ` + want + ` ORDER BY 1, 2`
}

// UserSessionsDiff is Verify's line for one row of UserSessionsDiffsSQL.
func UserSessionsDiff(session, user, got, want string) string {
	return fmt.Sprintf("user_sessions %q %q: got %s, want %s", session, user, got, want)
}
