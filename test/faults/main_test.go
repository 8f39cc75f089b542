package faults

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/waxell/otelcol-waxell/internal/testutil/collectortest"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// Environment variables naming an already built collector binary.
const (
	envBinary    = "WAXELL_FAULTS_BINARY"
	envE2EBinary = "WAXELL_E2E_BINARY"
)

// binary is the collector binary under test.
var binary string

func TestMain(m *testing.M) {
	os.Exit(collectortest.Main("faults", filepath.Join("..", ".."), []string{envBinary, envE2EBinary}, func(_, bin string) int {
		binary = bin
		return pgtest.RunMain(m)
	}))
}
