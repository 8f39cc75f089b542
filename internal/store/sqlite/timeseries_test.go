package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/waxell/otelcol-waxell/internal/store/storetest"
)

func TestUserTimeseriesAndAgents(t *testing.T) {
	s := openFile(t, filepath.Join(t.TempDir(), "ts.db"))
	defer s.Close()
	storetest.RunTimeseries(t, s)
}
