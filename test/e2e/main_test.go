package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/waxell/otelcol-waxell/internal/testutil/collectortest"
	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// envBinary names an already built collector binary to test instead of
// building one.
const envBinary = "WAXELL_E2E_BINARY"

var (
	// repoRoot is the root of the repository (the root Go module).
	repoRoot string
	// binary is the collector binary under test.
	binary string
)

func TestMain(m *testing.M) {
	os.Exit(collectortest.Main("e2e", filepath.Join("..", ".."), []string{envBinary}, func(root, bin string) int {
		repoRoot, binary = root, bin
		return pgtest.RunMain(m)
	}))
}
