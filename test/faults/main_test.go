package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/waxell/otelcol-waxell/internal/testutil/pgtest"
)

// Environment variables naming an already built collector binary.
const (
	envBinary    = "WAXELL_FAULTS_BINARY"
	envE2EBinary = "WAXELL_E2E_BINARY"
)

var (
	repoRoot string // the root of the repository
	binary   string // the collector binary under test
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		fmt.Fprintf(os.Stderr, "faults: %v\n", err)
		return 1
	}
	repoRoot = root
	for _, env := range []string{envBinary, envE2EBinary} {
		if b := os.Getenv(env); b != "" {
			if binary, err = filepath.Abs(b); err != nil {
				fmt.Fprintf(os.Stderr, "faults: %s: %v\n", env, err)
				return 1
			}
			break
		}
	}
	if binary == "" {
		dir, err := os.MkdirTemp("", "waxell-faults-bin-")
		if err != nil {
			fmt.Fprintf(os.Stderr, "faults: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		if binary, err = buildCollector(dir); err != nil {
			fmt.Fprintf(os.Stderr, "faults: %v\n", err)
			return 1
		}
	}
	return pgtest.RunMain(m)
}

// buildCollector builds cmd/otelcol-waxell into dir, the way `make build`
// does (the same as test/e2e).
func buildCollector(dir string) (string, error) {
	name := "otelcol-waxell"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	out := filepath.Join(dir, name)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, ".")
	cmd.Dir = filepath.Join(repoRoot, "cmd", "otelcol-waxell")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("cannot build the collector (go build in %s): %v\n%s", cmd.Dir, err, b)
	}
	return out, nil
}
