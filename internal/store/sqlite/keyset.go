package sqlite

import (
	"strconv"
	"strings"

	"github.com/waxell/otelcol-waxell/internal/store"
)

// listSpec is one sorted list query over a rollup table (users, sessions)
// or a CTE: filters, a sort column with the row key as ascending tie-break,
// offset or keyset pagination. Only fixed identifiers and integers are
// spliced into the SQL; every value is a numbered parameter (?N), so a
// value may be referenced more than once.
type listSpec struct {
	from    string // "users u"
	alias   string // "u"
	key     string // "user_id"
	cols    string // select list of alias's columns, unqualified, including key and sortCol
	conds   []string
	sortCol string
	desc    bool
	after   *store.Cursor
	limit   int // 0: no limit
	offset  int
}

func (l *listSpec) order() string {
	dir := "ASC"
	if l.desc {
		dir = "DESC"
	}
	return "ORDER BY " + l.sortCol + " " + dir + ", " + l.key + " ASC"
}

// sql returns the page query; with a cursor, the union of the rest of the
// cursor's tie group and the rows beyond its value (see the postgres store).
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
	if l.after == nil {
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
	v, id := arg(l.after.Value), arg(l.after.ID)
	beyond := a + l.sortCol + " > " + v
	if l.desc {
		beyond = a + l.sortCol + " < " + v
	}
	tie := "SELECT * FROM (SELECT " + l.cols + " FROM " + l.from + where(a+l.sortCol+" = "+v, a+l.key+" > "+id) +
		" ORDER BY " + a + l.key + " ASC" + limit + ")"
	rest := "SELECT * FROM (SELECT " + l.cols + " FROM " + l.from + where(beyond) + " " + l.order() + limit + ")"
	return "SELECT * FROM (" + tie + " UNION ALL " + rest + ") " + l.order() + limit
}

// argList returns a numbered-placeholder allocator appending to *args.
func argList(args *[]any) func(any) string {
	return func(v any) string {
		*args = append(*args, v)
		return "?" + strconv.Itoa(len(*args))
	}
}
