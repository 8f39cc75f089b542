package collectortest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// BuildTimeout bounds one `go build` of the collector (a cold module and
// build cache takes minutes).
const BuildTimeout = 20 * time.Minute

// Binary returns the collector binary under test: the file named by the
// first of envVars that is set, else cmd/otelcol-waxell of repoRoot built
// into a temporary directory. cleanup removes what was built; call it after
// the tests ran.
func Binary(repoRoot string, envVars ...string) (bin string, cleanup func(), err error) {
	for _, env := range envVars {
		if b := os.Getenv(env); b != "" {
			abs, err := filepath.Abs(b)
			if err != nil {
				return "", nil, fmt.Errorf("%s: %w", env, err)
			}
			return abs, func() {}, nil
		}
	}
	dir, err := os.MkdirTemp("", "waxell-collector-bin-")
	if err != nil {
		return "", nil, fmt.Errorf("collectortest: %w", err)
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	bin = filepath.Join(dir, ExeName("otelcol-waxell"))
	ctx, cancel := context.WithTimeout(context.Background(), BuildTimeout)
	defer cancel()
	if err := Build(ctx, filepath.Join(repoRoot, "cmd", "otelcol-waxell"), bin); err != nil {
		cleanup()
		return "", nil, err
	}
	return bin, cleanup, nil
}

// Main is the body of a TestMain: it resolves the repository root from the
// relative path root, finds or builds the binary (see [Binary]), calls run
// with both, removes what it built and returns the exit code for os.Exit.
// name prefixes the errors it prints.
func Main(name, root string, envVars []string, run func(repoRoot, binary string) int) int {
	abs, err := filepath.Abs(root)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	bin, cleanup, err := Binary(abs, envVars...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	defer cleanup()
	return run(abs, bin)
}

// Build runs `go build -trimpath -o out .` in dir with CGO off, the way
// `make build`, ocb and the Dockerfile build the collector.
func Build(ctx context.Context, dir, out string) error {
	return GoCommand(ctx, dir, "build", "-trimpath", "-o", out, ".")
}

// GoCommand runs the go command in dir with CGO off.
func GoCommand(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %v (in %s): %w\n%s", args, dir, err, b)
	}
	return nil
}

// ExeName adds the platform's executable suffix to name.
func ExeName(name string) string {
	if runtime.GOOS == "windows" {
		return name + ".exe"
	}
	return name
}

// FreePorts returns n distinct TCP ports of 127.0.0.1 that were free a
// moment ago. Another process may take one before the collector binds it:
// [Launch] retries with new ports when that happens.
func FreePorts(n int) ([]int, error) {
	lns := make([]net.Listener, 0, n)
	defer func() {
		for _, ln := range lns {
			_ = ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("collectortest: free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
