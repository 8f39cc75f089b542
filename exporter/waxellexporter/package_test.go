package waxellexporter

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// pgtestMain stops the PostgreSQL server the tests may have started before
// goleak looks for leaked goroutines.
type pgtestMain struct{ m *testing.M }

func (p pgtestMain) Run() int { return pgtest.RunMain(p.m) }

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(pgtestMain{m})
}
