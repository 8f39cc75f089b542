package deploy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int
	cmd  string // upper case
	args string
}

// dockerfile is what the tests need to know about deploy/docker/Dockerfile.
type dockerfile struct {
	instructions []instruction
	goVersion    string        // default of ARG GO_VERSION
	final        []instruction // instructions of the last stage
	finalFrom    string
	user         string
	workdir      string
	entrypoint   []string
	cmd          []string
	volumes      []string
	expose       []string
}

func parseDockerfile(t *testing.T, src []byte) dockerfile {
	t.Helper()
	var d dockerfile
	sc := bufio.NewScanner(bytes.NewReader(src))
	var cur strings.Builder
	start := 0
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() > 0 && strings.HasPrefix(trimmed, "#") {
			continue // comment inside a continued instruction
		}
		if cur.Len() == 0 {
			start = n
		}
		if s, ok := strings.CutSuffix(trimmed, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		d.instructions = append(d.instructions, instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	for _, in := range d.instructions {
		switch in.cmd {
		case "ARG":
			if v, ok := strings.CutPrefix(in.args, "GO_VERSION="); ok && d.goVersion == "" {
				d.goVersion = v
			}
		case "FROM":
			d.final = nil
			for _, f := range strings.Fields(in.args) {
				if !strings.HasPrefix(f, "--") {
					d.finalFrom = f
					break
				}
			}
		default:
			d.final = append(d.final, in)
		}
	}
	for _, in := range d.final {
		switch in.cmd {
		case "USER":
			d.user = in.args
		case "WORKDIR":
			d.workdir = in.args
		case "ENTRYPOINT":
			d.entrypoint = execForm(t, in)
		case "CMD":
			d.cmd = execForm(t, in)
		case "VOLUME":
			d.volumes = append(d.volumes, execForm(t, in)...)
		case "EXPOSE":
			d.expose = append(d.expose, strings.Fields(in.args)...)
		}
	}
	return d
}

func execForm(t *testing.T, in instruction) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(in.args), &out); err != nil {
		t.Errorf("Dockerfile:%d: %s %s: use the exec (JSON) form: %v", in.line, in.cmd, in.args, err)
	}
	return out
}

func dockerfileFacts(t *testing.T) dockerfile {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "docker", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	return parseDockerfile(t, src)
}

// TestDockerfile checks the image definition without a Docker engine: a
// static (CGO off) build, an empty non-root runtime image, the binary as
// ENTRYPOINT and the baked-in configuration as CMD, a data volume holding
// the SQLite store, and the Go version of go.mod.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	d := dockerfileFacts(t)

	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goDirective := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if goDirective == nil || d.goVersion != string(goDirective[1]) {
		t.Errorf("ARG GO_VERSION=%s, go.mod says go %s", d.goVersion, goDirective[1])
	}

	if d.finalFrom != "scratch" {
		t.Errorf("the runtime stage is FROM %s, want scratch (a static binary needs nothing else)", d.finalFrom)
	}
	if d.user != "10001:10001" {
		t.Errorf("USER %q, want 10001:10001 (numeric, non-root; the manifests use runAsUser %d)", d.user, runtimeUser)
	}
	if !slices.Equal(d.entrypoint, []string{"/otelcol-waxell"}) {
		t.Errorf("ENTRYPOINT %v, want [\"/otelcol-waxell\"] (Kubernetes args then replace only CMD)", d.entrypoint)
	}
	if len(d.cmd) != 2 || d.cmd[0] != "--config" {
		t.Fatalf("CMD %v, want [\"--config\", \"<path>\"]", d.cmd)
	}

	var build string
	copies := map[string]string{} // destination -> context source
	fromBuild := map[string]bool{}
	for _, in := range d.instructions {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			build = in.args
		}
	}
	for _, in := range d.final {
		if in.cmd != "COPY" {
			continue
		}
		fields := strings.Fields(in.args)
		var flags, rest []string
		for _, f := range fields {
			if strings.HasPrefix(f, "--") {
				flags = append(flags, f)
			} else {
				rest = append(rest, f)
			}
		}
		dst := rest[len(rest)-1]
		stage := slices.ContainsFunc(flags, func(f string) bool { return strings.HasPrefix(f, "--from=") })
		for _, src := range rest[:len(rest)-1] {
			if stage {
				fromBuild[dst] = true
			} else {
				copies[dst] = src
			}
		}
	}
	if !strings.Contains(build, "CGO_ENABLED=0") || !strings.Contains(build, "cmd/otelcol-waxell") {
		t.Errorf("the go build step %q must build cmd/otelcol-waxell with CGO_ENABLED=0", build)
	}
	if !fromBuild[d.entrypoint[0]] {
		t.Errorf("the runtime stage does not copy the built binary to %s", d.entrypoint[0])
	}

	// CMD's configuration is the baked-in deploy/docker/config.yaml, whose
	// store is on the data volume and whose ports are exposed.
	src, ok := copies[d.cmd[1]]
	if !ok || src != "deploy/docker/config.yaml" {
		t.Fatalf("CMD uses %s, which the runtime stage does not COPY from deploy/docker/config.yaml (copies: %v)", d.cmd[1], copies)
	}
	b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(src)))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(d.volumes, "/var/lib/waxell") || d.workdir != "/var/lib/waxell" {
		t.Errorf("VOLUME %v and WORKDIR %q, want /var/lib/waxell (writable by the runtime user)", d.volumes, d.workdir)
	}
	if p := str(cfg, "exporters", "waxell", "store", "sqlite", "path"); !under(p, "/var/lib/waxell") {
		t.Errorf("%s: store.sqlite.path %q is not on the volume /var/lib/waxell", src, p)
	}
	for _, endpoint := range []string{
		str(cfg, "receivers", "otlp", "protocols", "grpc", "endpoint"),
		str(cfg, "receivers", "otlp", "protocols", "http", "endpoint"),
		str(cfg, "exporters", "waxell", "api", "endpoint"),
		str(cfg, "extensions", "health_check", "endpoint"),
	} {
		if !strings.HasPrefix(endpoint, "0.0.0.0:") {
			t.Errorf("%s: endpoint %q must listen on 0.0.0.0 inside a container", src, endpoint)
		}
		if !slices.Contains(d.expose, portOf(endpoint)) {
			t.Errorf("EXPOSE %v lacks port %s of %s", d.expose, portOf(endpoint), endpoint)
		}
	}
}

// TestDockerBuildContext checks deploy/docker/Dockerfile.dockerignore: the
// context holds every file `go build` of cmd/otelcol-waxell reads from this
// repository (as `go list -deps` reports them), and none of the heavy or
// private paths.
func TestDockerBuildContext(t *testing.T) {
	t.Parallel()
	ignore := readDockerignore(t, filepath.Join(repoRoot, "deploy", "docker", "Dockerfile.dockerignore"))

	needed := []string{"go.mod", "go.sum", "cmd/otelcol-waxell/go.mod", "cmd/otelcol-waxell/go.sum", "deploy/docker/config.yaml"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", "-f",
		`{{.Dir}}{{range .GoFiles}}|{{.}}{{end}}{{range .EmbedFiles}}|{{.}}{{end}}`, ".")
	cmd.Dir = filepath.Join(repoRoot, "cmd", "otelcol-waxell")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps in cmd/otelcol-waxell: %v\n%s", err, stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.Split(line, "|")
		rel, err := filepath.Rel(repoRoot, parts[0])
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // a module from the module cache
		}
		for _, f := range parts[1:] {
			needed = append(needed, path.Join(filepath.ToSlash(rel), f))
		}
	}
	if len(needed) < 20 {
		t.Fatalf("go list found only %v", needed)
	}
	for _, f := range needed {
		if _, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(f))); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if ignore.excluded(f) {
			t.Errorf("Dockerfile.dockerignore excludes %s, which the build needs", f)
		}
	}
	for _, f := range []string{
		".git/HEAD",
		"tools/fixturegen/node_modules/ai/package.json",
		"cmd/otelcol-waxell/otelcol-waxell",
		"deploy/minimal/_build/main.go",
		"bin/otelcol-waxell",
		"data/waxell.db",
		"processor/useraggprocessor/processor_test.go",
		"processor/useraggprocessor/testdata/config.yaml",
		"test/e2e/main_test.go",
	} {
		if !ignore.excluded(f) {
			t.Errorf("Dockerfile.dockerignore lets %s into the build context", f)
		}
	}
}

// dockerignore is a .dockerignore file, matched the way Docker's
// patternmatcher does: the last matching pattern wins, `!` re-includes, a
// pattern matching a directory matches everything below it, `*` and `?` stay
// within a path element and `**` spans any number of them.
type dockerignore []struct {
	re     *regexp.Regexp
	negate bool
}

func readDockerignore(t *testing.T, file string) dockerignore {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out dockerignore
	for _, line := range strings.Split(string(b), "\n") {
		p := strings.TrimSpace(line)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		negate := false
		if rest, ok := strings.CutPrefix(p, "!"); ok {
			negate, p = true, strings.TrimSpace(rest)
		}
		p = strings.TrimPrefix(path.Clean(p), "/")
		out = append(out, struct {
			re     *regexp.Regexp
			negate bool
		}{regexp.MustCompile("^" + globRegexp(p) + "$"), negate})
	}
	return out
}

func globRegexp(p string) string {
	var sb strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '*' && i+1 < len(p) && p[i+1] == '*':
			i++
			if i+1 < len(p) && p[i+1] == '/' {
				i++
				sb.WriteString("(.*/)?")
			} else {
				sb.WriteString(".*")
			}
		case c == '*':
			sb.WriteString("[^/]*")
		case c == '?':
			sb.WriteString("[^/]")
		default:
			sb.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return sb.String()
}

func (d dockerignore) excluded(file string) bool {
	// The path itself and each parent directory.
	var candidates []string
	for p := file; p != "." && p != "/" && p != ""; p = path.Dir(p) {
		candidates = append(candidates, p)
	}
	excluded := false
	for _, pat := range d {
		if slices.ContainsFunc(candidates, pat.re.MatchString) {
			excluded = !pat.negate
		}
	}
	return excluded
}
