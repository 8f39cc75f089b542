package postgres

import (
	"strconv"

	"github.com/waxell/otelcol-waxell/internal/store/sqllist"
)

// listSpec is a sorted list query; every literal sets Dialect: dialect().
type listSpec = sqllist.Spec

// dialect is how this store spells what the stores' shared SQL leaves open.
func dialect() sqllist.Dialect {
	return sqllist.Dialect{NoLimit: "ALL", Int8: "::int8", Greatest: "greatest", SplitSums: true,
		AgentsAgg: "array_agg(DISTINCT agent_name ORDER BY agent_name)"}
}

// argList returns a placeholder allocator appending to *args.
func argList(args *[]any) func(any) string {
	return func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
}
