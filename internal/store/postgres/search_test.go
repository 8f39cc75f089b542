package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/storetest"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// withParams adds connection parameters (run-time settings or user) to a
// DSN in URL or keyword/value form.
func withParams(dsn string, kv map[string]string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		for k, v := range kv {
			if k == "user" {
				u.User = url.User(v)
				continue
			}
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	for k, v := range kv {
		dsn += " " + k + "=" + v
	}
	return dsn
}

// searchPlan is the plan of the users list (count and page) for a search.
func searchPlan(t *testing.T, s *Store, search string) string {
	t.Helper()
	lq, err := buildListUsers(store.UserQuery{Search: search})
	require.NoError(t, err)
	require.True(t, lq.counted)
	rows, err := s.pool.Query(context.Background(), "EXPLAIN "+lq.pageSQL, append([]any{pgx.QueryExecModeExec},
		lq.pageArgs...)...)
	require.NoError(t, err)
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return strings.Join(lines, "\n")
}

// The search conformance test where the planner must use an index wherever
// it can: the trigram index answers every search (wildcards, quotes,
// backslashes, non-ASCII) exactly as the scan does.
func TestSearchTrigramIndex(t *testing.T) {
	var last *Store
	storetest.RunSearch(t, storetest.Opener{New: func(t *testing.T) (storetest.Store, func(*testing.T) storetest.Store) {
		dsn := withParams(pgtest.NewDatabase(t), map[string]string{"enable_seqscan": "off"})
		last = openStore(t, dsn)
		return last, func(t *testing.T) storetest.Store { return openStore(t, dsn) }
	}})
	require.Contains(t, searchPlan(t, last, "alice"), "users_search_trgm_idx")
}

// Without the right to create pg_trgm, the migration still succeeds, no
// trigram index exists and search gives the same answers by reading every
// user.
func TestSearchWithoutTrigram(t *testing.T) {
	ctx := context.Background()
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	role := "nocreate_" + hex.EncodeToString(b[:])
	admin := func(t *testing.T, dsn, sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, dsn)
		require.NoError(t, err)
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		require.NoError(t, err, sql)
	}
	adminDSN := pgtest.Server(t).AdminDSN()
	admin(t, adminDSN, "CREATE ROLE "+role+" LOGIN")
	// Registered first, so it runs after the databases are dropped.
	t.Cleanup(func() { admin(t, pgtest.Server(t).AdminDSN(), "DROP ROLE IF EXISTS "+role) })

	var last *Store
	storetest.RunSearch(t, storetest.Opener{New: func(t *testing.T) (storetest.Store, func(*testing.T) storetest.Store) {
		dbDSN := pgtest.NewDatabase(t)
		// The role owns a schema of its own but may not create extensions
		// (no CREATE on the database).
		admin(t, dbDSN, "CREATE SCHEMA waxell AUTHORIZATION "+role)
		dsn := withParams(dbDSN, map[string]string{"user": role, "search_path": "waxell"})
		last = openStore(t, dsn)
		return last, func(t *testing.T) storetest.Store { return openStore(t, dsn) }
	}})
	var n int
	require.NoError(t, last.pool.QueryRow(ctx, `SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'`).Scan(&n))
	require.Zero(t, n)
	require.NotContains(t, searchPlan(t, last, "alice"), "users_search_trgm_idx")
}

func TestSearchWord(t *testing.T) {
	cases := []struct{ key, want string }{
		{"user-00012", "00012"},
		{"alice", ""}, // the whole key: no shorter word to try
		{"a-b", ""},   // no trigram
		{"ab-cde-fgh", "fgh"},
		{"w\"q", ""},
		{"\u00fcn\u00efc\u00f6d\u00e9-x", "\u00fcn\u00efc\u00f6d\u00e9"},
		{"%off", "off"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, searchWord(c.key), c.key)
	}
}

// The search's longest word finds the candidates while they are few; with
// more than the bound, the whole pattern does. Both give the same users, and
// only one branch runs.
func TestSearchWordFallback(t *testing.T) {
	ctx := context.Background()
	// Indexes wherever possible, as on a large table.
	s := openStore(t, withParams(pgtest.NewDatabase(t), map[string]string{"enable_seqscan": "off"}))
	defer s.Close()
	for _, id := range []string{"acme-1", "acme-2", "acme-3", "ACME-12", "other-1", "acme_1"} {
		_, err := s.pool.Exec(ctx, `INSERT INTO users VALUES ($1, $2, 1, 0, 0, 0, 0, 0)`, id, strings.ToLower(id))
		require.NoError(t, err)
	}
	for _, c := range []struct {
		limit     int
		ranBranch string // the plan of the branch that ran mentions this
	}{{10, "users_pkey"}, {2, "users_search_trgm_idx"}} {
		var args []any
		arg := argList(&args)
		search := "Acme-1"
		sql := "WITH " + searchMatchesSQL(search, []string{searchCond("u.search_key", search, arg)}, arg, c.limit) +
			"\nSELECT user_id FROM m ORDER BY user_id"
		rows, err := s.pool.Query(ctx, sql, args...)
		require.NoError(t, err)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		require.Equal(t, []string{"ACME-12", "acme-1"}, ids, "limit %d", c.limit)

		rows, err = s.pool.Query(ctx, "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) "+sql, args...)
		require.NoError(t, err)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		plan := strings.Join(lines, "\n")
		// The branch not taken is never executed.
		require.Contains(t, plan, "never executed", "limit %d:\n%s", c.limit, plan)
		executed := false
		for _, l := range lines {
			if strings.Contains(l, c.ranBranch) && !strings.Contains(l, "never executed") {
				executed = true
			}
		}
		require.True(t, executed, "limit %d: %s did not run:\n%s", c.limit, c.ranBranch, plan)
	}
}
