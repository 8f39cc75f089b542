package postgres

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
)

// Search: the users list's search keeps the users whose id contains the
// search string, ignoring case. The condition itself is strpos on
// users.search_key (the lower-cased id); the trigram index of migration 0004
// finds the candidates. A trigram index scan costs the size of the posting
// lists of the pattern's trigrams, and ids often share a prefix ("user-",
// "org_") whose trigrams are in nearly every row: scanning the index for
// the search's longest word alone ("00012" of "user-00012") reads a few
// pages where the whole pattern reads thousands. When that word is common
// too, its candidates exceed searchCandidates and the whole pattern is used.

// searchCandidates bounds the candidates read for the search's longest word
// before the search falls back to the index scan of the whole pattern.
const searchCandidates = 10_000

// searchKey is the search string as it is compared with search_key.
func searchKey(q string) string { return strings.ToLower(cleanText(q)) }

// likeContains is a LIKE pattern matching the strings that contain s.
func likeContains(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// searchCond is the exact condition "the user id contains q, ignoring case"
// on key (a search_key column). It uses no index: searchMatchesSQL adds the
// index path.
func searchCond(key, q string, arg func(any) string) string {
	return "strpos(" + key + ", " + arg(searchKey(q)) + ") > 0"
}

// searchWord returns the longest run of letters and digits of key (the last
// of equal runs: ids tend to end with their distinctive part) when it has at
// least three characters (a trigram) and is not key itself; else "".
func searchWord(key string) string {
	best, bestLen, start, n := "", 0, 0, 0
	runes := []rune(key)
	for i := 0; i <= len(runes); i++ {
		if i < len(runes) && (unicode.IsLetter(runes[i]) || unicode.IsDigit(runes[i])) {
			if n == 0 {
				start = i
			}
			n++
			continue
		}
		if n >= 3 && n >= bestLen {
			best, bestLen = string(runes[start:start+n]), n
		}
		n = 0
	}
	if best == key {
		return ""
	}
	return best
}

// searchMatchesSQL is "m AS MATERIALIZED (...)", preceded by the CTE it
// needs: the users (sqllist.UserColumns) matching conds, which hold the exact
// searchCond of search. limit bounds the candidates of the longest word
// (searchCandidates; tests lower it).
func searchMatchesSQL(search string, conds []string, arg func(any) string, limit int) string {
	where := strings.Join(conds, " AND ")
	key := searchKey(search)
	whole := "SELECT " + sqllist.UserColumns + " FROM users u WHERE u.search_key LIKE " + arg(likeContains(key)) + " AND " + where
	word := searchWord(key)
	if word == "" {
		return "m AS MATERIALIZED (" + whole + ")"
	}
	n := strconv.Itoa(limit)
	// Each branch runs only when its one-time filter on the candidate count
	// holds; the candidates' rows are read by primary key.
	return "cand AS MATERIALIZED (SELECT user_id FROM users WHERE search_key LIKE " + arg(likeContains(word)) +
		" LIMIT " + strconv.Itoa(limit+1) + "),\n" +
		"m AS MATERIALIZED (SELECT " + sqllist.UserColumns + " FROM users u WHERE (SELECT count(*) FROM cand) <= " + n +
		" AND u.user_id IN (SELECT user_id FROM cand) AND " + where +
		"\nUNION ALL " + whole + " AND (SELECT count(*) FROM cand) > " + n + ")"
}
