package store

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

func TestMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  []Migration
		err   string
	}{
		{name: "ordered by version, not by name",
			files: fstest.MapFS{"migrations/10_b.sql": file("B"), "migrations/0002_a.sql": file("A"),
				"migrations/readme.txt": file("not a migration")},
			want: []Migration{{Version: 2, Name: "0002_a.sql", SQL: "A"}, {Version: 10, Name: "10_b.sql", SQL: "B"}}},
		{name: "no migrations", files: fstest.MapFS{}},
		{name: "no version", files: fstest.MapFS{"migrations/init.sql": file("")},
			err: "migration init.sql: name must start with a positive version and '_'"},
		{name: "version zero", files: fstest.MapFS{"migrations/0000_init.sql": file("")},
			err: "migration 0000_init.sql: name must start with a positive version and '_'"},
		{name: "one version twice", files: fstest.MapFS{"migrations/0001_a.sql": file(""), "migrations/1_b.sql": file("")},
			err: "migrations 0001_a.sql and 1_b.sql share version 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Migrations(tc.files)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestCheckSchema(t *testing.T) {
	tests := []struct {
		stored, known int64
		newer         bool
	}{
		{stored: 0, known: 8},
		{stored: 7, known: 8},
		{stored: 8, known: 8},
		{stored: 9, known: 8, newer: true},
	}
	for _, tc := range tests {
		err := CheckSchema(tc.stored, tc.known)
		if tc.newer {
			require.ErrorIs(t, err, ErrSchemaNewer)
			require.ErrorContains(t, err, "at migration 9, this collector knows up to 8")
		} else {
			require.NoError(t, err)
		}
	}
}
