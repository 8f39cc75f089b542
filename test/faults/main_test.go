package faults

import (
	"fmt"
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
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		fmt.Fprintf(os.Stderr, "faults: %v\n", err)
		return 1
	}
	bin, cleanup, err := collectortest.Binary(root, envBinary, envE2EBinary)
	if err != nil {
		fmt.Fprintf(os.Stderr, "faults: %v\n", err)
		return 1
	}
	defer cleanup()
	binary = bin
	return pgtest.RunMain(m)
}
