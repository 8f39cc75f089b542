package sqlite

import (
	"strconv"
	"strings"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// listSpec is one sorted list query over a rollup table (users, sessions)
// or a CTE: filters, a sort column with the row key as ascending tie-break,
// offset or keyset pagination (after a cursor, or before one). Only fixed
// identifiers and integers are spliced into the SQL; every value is a
// numbered parameter (?N), so a value may be referenced more than once.
type listSpec struct {
	from    string // "users u"
	alias   string // "u"
	key     string // "user_id"
	cols    string // select list of alias's columns, unqualified, including key and sortCol
	conds   []string
	sortCol string
	desc    bool
	after   *store.Cursor
	before  *store.Cursor // wins over after
	limit   int           // 0: no limit
	offset  int
}

// order is the ORDER BY clause of the list over output column names.
func (l *listSpec) order() string { return l.orderBy(false) }

// orderBy is the ORDER BY clause of the list, or of the list read from its
// end (every direction reversed, the key's too).
func (l *listSpec) orderBy(reverse bool) string {
	dir, keyDir := "ASC", "ASC"
	if l.desc != reverse {
		dir = "DESC"
	}
	if reverse {
		keyDir = "DESC"
	}
	return "ORDER BY " + l.sortCol + " " + dir + ", " + l.key + " " + keyDir
}

// sql returns the page query; with a cursor, the union of the rest of the
// cursor's tie group and the rows beyond its value (see the postgres store).
// Before a cursor, that union is read from the list's end, in the reversed
// order, and put back in list order.
func (l *listSpec) sql(arg func(any) string) string {
	where := func(extra ...string) string {
		c := append(append([]string(nil), l.conds...), extra...)
		if len(c) == 0 {
			return ""
		}
		return " WHERE " + strings.Join(c, " AND ")
	}
	a := l.alias + "."
	limit := ""
	if l.limit > 0 {
		limit = " LIMIT " + strconv.Itoa(l.limit)
	}
	cur, reverse := l.after, false
	if l.before != nil {
		cur, reverse = l.before, true
	}
	if cur == nil {
		q := "SELECT " + l.cols + " FROM " + l.from + where() + " " + l.order()
		switch {
		case l.offset > 0 && limit == "":
			q += " LIMIT -1 OFFSET " + strconv.Itoa(l.offset)
		case l.offset > 0:
			q += limit + " OFFSET " + strconv.Itoa(l.offset)
		default:
			q += limit
		}
		return q
	}
	v, id := arg(cur.Value), arg(cur.ID)
	beyond, next, keyDir := a+l.sortCol+" > "+v, a+l.key+" > "+id, " ASC"
	if l.desc != reverse {
		beyond = a + l.sortCol + " < " + v
	}
	if reverse {
		next, keyDir = a+l.key+" < "+id, " DESC"
	}
	tie := "SELECT * FROM (SELECT " + l.cols + " FROM " + l.from + where(a+l.sortCol+" = "+v, next) +
		" ORDER BY " + a + l.key + keyDir + limit + ")"
	rest := "SELECT * FROM (SELECT " + l.cols + " FROM " + l.from + where(beyond) + " " + l.orderBy(reverse) + limit + ")"
	q := "SELECT * FROM (" + tie + " UNION ALL " + rest + ") " + l.orderBy(reverse) + limit
	if reverse {
		q = "SELECT * FROM (" + q + ") " + l.order()
	}
	return q
}

// argList returns a numbered-placeholder allocator appending to *args.
func argList(args *[]any) func(any) string {
	return func(v any) string {
		*args = append(*args, v)
		return "?" + strconv.Itoa(len(*args))
	}
}
