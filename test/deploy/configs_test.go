package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// markdownSources are the Markdown files whose YAML blocks are extracted.
func markdownSources(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pattern := range []string{
		"README.md",
		"docs/*.md",
		"processor/*/README.md",
		"exporter/*/README.md",
		"extension/*/README.md",
		"connector/*/README.md",
	} {
		out = append(out, globRel(t, pattern)...)
	}
	return out
}

// yamlSources are the YAML files of deploy/ and testdata/ whose
// configurations are extracted; each must hold at least one.
func yamlSources(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pattern := range []string{"deploy/docker/*.yaml", "deploy/kubernetes/*.yaml", "deploy/helm/*.yaml", "testdata/postgres.yaml"} {
		out = append(out, globRel(t, pattern)...)
	}
	return out
}

func globRel(t *testing.T, pattern string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(repoRoot, filepath.FromSlash(pattern)))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(matches))
	for _, m := range matches {
		rel, err := filepath.Rel(repoRoot, m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, filepath.ToSlash(rel))
	}
	slices.Sort(out)
	return out
}

// extractAll extracts from every source and checks that the files that
// must hold configurations do.
func extractAll(t *testing.T) *extraction {
	t.Helper()
	x := &extraction{}
	for _, f := range markdownSources(t) {
		if err := x.extractMarkdown(f); err != nil {
			t.Fatal(err)
		}
	}
	mustHave := []string{"docs/deploy.md", "docs/instrumentations.md"}
	for _, f := range mustHave {
		n := 0
		for _, c := range x.configs {
			if strings.HasPrefix(c.where, f+":") {
				n++
			}
		}
		if n == 0 {
			t.Errorf("%s: no collector configuration found (yaml blocks with receivers/service, or marked <!-- validate -->)", f)
		}
	}
	yamlFiles := yamlSources(t)
	if len(yamlFiles) < 5 {
		t.Fatalf("deploy/: found only %v", yamlFiles)
	}
	for _, f := range yamlFiles {
		n, err := x.extractYAMLFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("%s: no collector configuration found", f)
		}
	}
	return x
}

// baseConfig is the configuration fragments are merged over: the shipped
// pipeline, on loopback addresses, with SQLite in dir.
func baseConfig(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "base.yaml")
	text := `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:4317
      http:
        endpoint: 127.0.0.1:4318
processors:
  memory_limiter:
    check_interval: 1s
    limit_percentage: 80
    spike_limit_percentage: 20
  useragg:
exporters:
  waxell:
    store:
      driver: sqlite
      sqlite:
        path: ` + filepath.ToSlash(filepath.Join(dir, "waxell.db")) + `
    api:
      endpoint: 127.0.0.1:8480
extensions:
  health_check:
    endpoint: 127.0.0.1:13133
service:
  extensions: [health_check]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, useragg]
      exporters: [waxell]
`
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConfigsValidate runs `otelcol-waxell validate` on every collector
// configuration of the docs, the component READMEs and deploy/.
// Standalone configurations are validated on their own; fragments merged
// over baseConfig; OpenTelemetryCollector configurations also the way the
// operator passes them, through --config=env:OTEL_CONFIG.
func TestConfigsValidate(t *testing.T) {
	t.Parallel()
	x := extractAll(t)
	bin := collectorBinary(t)
	base := baseConfig(t, t.TempDir())

	counts := map[configKind]int{}
	for _, c := range x.configs {
		counts[c.kind]++
	}
	t.Logf("validating %d standalone configurations and %d fragments", counts[standalone], counts[fragment])

	for i, c := range x.configs {
		t.Run(c.where, func(t *testing.T) {
			t.Parallel()
			if unknown := unknownEnvRefs(c.yaml); len(unknown) > 0 {
				t.Fatalf("%s references environment variables %v that the test does not define: add realistic values to configEnv", c.where, unknown)
			}
			path := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(path, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			configs := []string{path}
			if c.kind == fragment {
				configs = []string{base, path}
			}
			if err := validate(t, bin, nil, configs...); err != nil {
				t.Errorf("%s (%s, #%d) does not validate:\n%v\n--- configuration ---\n%s", c.where, c.kind, i, err, c.yaml)
			}
			if c.operator {
				if err := validate(t, bin, []string{"OTEL_CONFIG=" + c.yaml}, "env:OTEL_CONFIG"); err != nil {
					t.Errorf("%s does not validate through --config=env:OTEL_CONFIG (the operator's sidecar path):\n%v", c.where, err)
				}
			}
		})
	}
}

// TestValidateRejectsBrokenConfigs makes sure the validation above can fail:
// a typo in a field, an unknown component and a missing DSN are rejected.
func TestValidateRejectsBrokenConfigs(t *testing.T) {
	t.Parallel()
	bin := collectorBinary(t)
	dir := t.TempDir()
	base := baseConfig(t, dir)
	if err := validate(t, bin, nil, base); err != nil {
		t.Fatalf("the base configuration does not validate: %v", err)
	}
	for name, frag := range map[string]string{
		"typo":            "exporters:\n  waxell:\n    stor:\n      driver: sqlite\n",
		"unknown":         "exporters:\n  jaeger_thrift:\n    endpoint: x:1\n",
		"missing dsn":     "exporters:\n  waxell/pg:\n    store:\n      driver: postgres\n      postgres:\n        dsn: ${env:WAXELL_NOT_SET}\n",
		"undefined in pl": "service:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      exporters: [waxell/none]\n",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
		if err := os.WriteFile(path, []byte(frag), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := validate(t, bin, nil, base, path); err == nil {
			t.Errorf("%s: validate accepted\n%s", name, frag)
		}
	}
}

// buildComponents returns the component types of the otelcol-waxell build
// by kind (receivers, processors, exporters, extensions, connectors).
func buildComponents(t *testing.T, bin string) map[string][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "components").Output()
	if err != nil {
		t.Fatalf("%s components: %v", bin, err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("%s components: %v\n%s", bin, err, out)
	}
	comps := map[string][]string{}
	for _, kind := range []string{"receivers", "processors", "exporters", "extensions", "connectors"} {
		list, _ := doc[kind].([]any)
		for _, e := range list {
			if m, ok := e.(map[string]any); ok {
				if name, ok := m["name"].(string); ok {
					comps[kind] = append(comps[kind], name)
				}
			}
		}
	}
	return comps
}

// TestNovalidateBlocksAreJustified: a YAML block may be excluded from
// validation only with a reason, and only if it is a collector configuration
// for another distribution (it uses a component type this build does not
// have), so that an invalid configuration cannot hide behind the marker.
func TestNovalidateBlocksAreJustified(t *testing.T) {
	t.Parallel()
	x := &extraction{}
	for _, f := range markdownSources(t) {
		if err := x.extractMarkdown(f); err != nil {
			t.Fatal(err)
		}
	}
	if len(x.skipped) == 0 {
		return
	}
	comps := buildComponents(t, collectorBinary(t))
	for _, s := range x.skipped {
		if s.reason == "" {
			t.Errorf("%s: <!-- novalidate --> needs a reason: <!-- novalidate: why -->", s.where)
		}
		var doc map[string]any
		if err := yaml.Unmarshal([]byte(s.yaml), &doc); err != nil {
			t.Errorf("%s: does not parse: %v", s.where, err)
			continue
		}
		var foreign []string
		for kind, have := range comps {
			section, _ := doc[kind].(map[string]any)
			for id := range section {
				typ, _, _ := strings.Cut(id, "/")
				if !slices.Contains(have, typ) {
					foreign = append(foreign, kind+"::"+typ)
				}
			}
		}
		if len(foreign) == 0 {
			t.Errorf("%s: marked novalidate (%q) but uses only components of this build: validate it", s.where, s.reason)
		} else {
			t.Logf("%s: not validated (%s); components outside this build: %v", s.where, s.reason, foreign)
		}
	}
}

// TestBuilderSnippets: every ocb manifest snippet in the docs lists only
// components that a tested manifest (builder-config.yaml or
// deploy/minimal/builder-config.yaml) builds, at the same versions, so the
// documented snippet is one CI has built.
func TestBuilderSnippets(t *testing.T) {
	t.Parallel()
	x := &extraction{}
	for _, f := range markdownSources(t) {
		if err := x.extractMarkdown(f); err != nil {
			t.Fatal(err)
		}
	}
	tested := map[string]string{} // import path -> gomod
	for _, f := range []string{"builder-config.yaml", "deploy/minimal/builder-config.yaml"} {
		for imp, gomod := range manifestEntries(t, readManifest(t, f)) {
			tested[imp] = gomod
		}
	}
	found := false
	for _, b := range x.builders {
		if !strings.HasPrefix(b.where, "docs/deploy.md:") {
			continue
		}
		found = true
		for imp, gomod := range manifestEntries(t, b.doc) {
			want, ok := tested[imp]
			if !ok {
				t.Errorf("%s: %s is in no tested manifest", b.where, imp)
				continue
			}
			mod, version, _ := strings.Cut(gomod, " ")
			wantMod, wantVersion, _ := strings.Cut(want, " ")
			if mod != wantMod {
				t.Errorf("%s: %s: gomod %q, the tested manifests use %q", b.where, imp, gomod, want)
			}
			// Our own module may be shown at a release version; everything
			// else must be the version CI builds.
			if mod != ourModule && version != wantVersion {
				t.Errorf("%s: %s at %s, the tested manifests use %s", b.where, imp, version, wantVersion)
			}
		}
	}
	if !found {
		t.Error("docs/deploy.md: no ocb manifest snippet found (a yaml block with gomod entries)")
	}
}

const ourModule = "github.com/waxell/otelcol-waxell"

func readManifest(t *testing.T, rel string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return m
}

// manifestEntries maps the import path of every component and provider of
// an ocb manifest to its gomod ("module version").
func manifestEntries(t *testing.T, m map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, kind := range []string{"receivers", "processors", "exporters", "extensions", "connectors", "providers"} {
		list, _ := m[kind].([]any)
		for _, e := range list {
			entry, ok := e.(map[string]any)
			if !ok {
				t.Fatalf("manifest %s: entry %v is not a mapping", kind, e)
			}
			gomod, _ := entry["gomod"].(string)
			imp, _ := entry["import"].(string)
			if imp == "" {
				imp, _, _ = strings.Cut(gomod, " ")
			}
			out[imp] = gomod
		}
	}
	return out
}
