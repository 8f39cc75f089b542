package sqlite

import (
	"strconv"

	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
)

// listSpec is a sorted list query; every literal sets Dialect: dialect().
type listSpec = sqllist.Spec

// dialect is how this store spells an offset without a limit.
func dialect() sqllist.Dialect { return sqllist.Dialect{NoLimit: "-1", Greatest: "max"} }

// argList returns a numbered-placeholder allocator appending to *args.
func argList(args *[]any) func(any) string {
	return func(v any) string {
		*args = append(*args, v)
		return "?" + strconv.Itoa(len(*args))
	}
}
