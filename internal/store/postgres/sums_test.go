package postgres

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// TestSplitSums checks the windowed aggregates' sums (sqllist's Sum with
// SplitSums) against PostgreSQL's own numeric sum, at the edges of the two
// int4 halves, and that a value they cannot split fails the statement.
func TestSplitSums(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewDatabase(t))
	defer s.Close()
	sum := dialect().Sum("x")
	const lo31 = 1<<31 - 1
	for _, tc := range []struct {
		name   string
		values []int64
	}{
		{"zero rows", nil},
		{"small", []int64{0, 1, 2, 3}},
		{"the low half full", []int64{lo31, lo31, lo31}},
		{"carries into the high half", []int64{1 << 31, 1<<31 + 1, lo31}},
		{"costs of dollars in nanos", []int64{12_345_678_901, 98_765_432_109_876, 7}},
		{"the largest value that splits", []int64{1<<62 - 1, 1}},
		{"negative values", []int64{-1, -(1 << 31), -(1 << 40) - 3, 1 << 41}},
		{"many rows of the largest low half", repeat(lo31, 5000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got, want *int64
			q := "SELECT " + sum + ", sum(x)::int8 FROM " + valuesOf(tc.values)
			require.NoError(t, s.pool.QueryRow(ctx, q).Scan(&got, &want))
			require.Equal(t, want, got)
		})
	}
	_, err := s.pool.Exec(ctx, "SELECT "+sum+" FROM "+valuesOf([]int64{1 << 62, math.MaxInt64}))
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr, "a value of 2^62 or more is an error, not a wrong sum")
	require.Equal(t, "22003", pgErr.Code) // numeric_value_out_of_range
}

func repeat(v int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// valuesOf is a FROM item of one int8 column x holding vs.
func valuesOf(vs []int64) string {
	if len(vs) == 0 {
		return "(SELECT 0::int8 AS x WHERE false) v"
	}
	rows := make([]string, len(vs))
	for i, v := range vs {
		rows[i] = "(" + strconv.FormatInt(v, 10) + "::int8)"
	}
	return "(VALUES " + strings.Join(rows, ", ") + ") v(x)"
}
