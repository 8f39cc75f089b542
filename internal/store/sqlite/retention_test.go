package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/waxell/otelcol-waxell/internal/store/storetest"
)

func TestRetention(t *testing.T) {
	storetest.RunRetention(t, storetest.Opener{
		New: func(t *testing.T) (storetest.Store, func(*testing.T) storetest.Store) {
			path := filepath.Join(t.TempDir(), "waxell.db")
			return openFile(t, path), func(t *testing.T) storetest.Store { return openFile(t, path) }
		},
	})
}
