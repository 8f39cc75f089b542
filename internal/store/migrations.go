package store

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one schema migration embedded in a store.
type Migration struct {
	Version int64
	Name    string
	SQL     string
}

// Migrations reads the files migrations/*.sql of fsys, each named
// NNNN_description.sql, and returns them ordered by version. A name without
// a positive version, or two files with one version, is an error.
func Migrations(fsys fs.FS) ([]Migration, error) {
	paths, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, p := range paths {
		name := path.Base(p)
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version and '_'", name)
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	slices.SortStableFunc(out, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	return out, nil
}

// Latest returns the highest version of ms (sorted as Migrations returns
// them), 0 for none.
func Latest(ms []Migration) int64 {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// ErrSchemaNewer means the database has migrations this binary does not
// know: a newer collector migrated it. Writing would skip what those
// migrations maintain (a table the older code does not update), so the
// store refuses to open, and a running writer refuses each transaction.
// It is transient for a writer: the batch is retried, and goes through
// once this collector is upgraded (docs/deploy.md).
var ErrSchemaNewer = errors.New("the database schema is newer than this collector")

// SchemaVersionSQL reads a database's highest migration (0 for none), in
// both stores.
const SchemaVersionSQL = `SELECT coalesce(max(version), 0) FROM schema_migrations`

// CheckSchema returns ErrSchemaNewer, with both versions, when the
// database's highest migration (stored) is above the binary's (known).
func CheckSchema(stored, known int64) error {
	if stored > known {
		return fmt.Errorf("%w: the database is at migration %d, this collector knows up to %d; upgrade it",
			ErrSchemaNewer, stored, known)
	}
	return nil
}
