package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store/storetest"
)

func TestNewerSchema(t *testing.T) {
	storetest.RunNewerSchema(t, storetest.SchemaOpener{
		New: func(t *testing.T) (storetest.Retainer, func() error, func(string)) {
			path := filepath.Join(t.TempDir(), "waxell.db")
			s := openFile(t, path)
			reopen := func() error { return storetest.OpenErr(Open(context.Background(), Config{Path: path})) }
			exec := func(q string) {
				_, err := s.write.Exec(q)
				require.NoError(t, err, q)
			}
			return s, reopen, exec
		},
		IsPermanent: IsPermanent,
	})
}
