package postgres

import (
	"testing"

	"github.com/waxell/otelcol-waxell/internal/store/storetest"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

func TestUserTimeseriesAndAgents(t *testing.T) {
	s := openStore(t, pgtest.NewDatabase(t))
	defer s.Close()
	storetest.RunTimeseries(t, s)
}
