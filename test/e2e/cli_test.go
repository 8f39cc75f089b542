package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// runBinary runs the collector binary with args and returns its combined
// output and exit code.
func runBinary(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = t.TempDir() // validate must not need (or create) anything in the working directory
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	default:
		t.Fatalf("%s %v: %v", binary, args, err)
		return "", -1
	}
}

func TestValidate(t *testing.T) {
	dsn := []string{"WAXELL_POSTGRES_DSN=postgres://waxell:secret@db.example:5432/waxell?sslmode=require"}
	noDSN := []string{"WAXELL_POSTGRES_DSN="}
	cases := []struct {
		config string
		env    []string
		// wantErr lists substrings of the error; empty means valid.
		wantErr []string
	}{
		{"config.yaml", nil, nil},
		{"testdata/postgres.yaml", dsn, nil},
		{"testdata/postgres.yaml", noDSN, []string{"exporters::waxell", "store.postgres.dsn"}},
		{"testdata/invalid/unknown-driver.yaml", nil, []string{"exporters::waxell", "store.driver", `"mysql"`}},
		{"testdata/invalid/empty-dsn.yaml", nil, []string{"exporters::waxell", "store.postgres.dsn"}},
		{"testdata/invalid/bad-endpoint.yaml", nil, []string{"exporters::waxell", "api.endpoint"}},
	}
	for _, tc := range cases {
		name := tc.config
		switch {
		case tc.env == nil:
		case strings.HasSuffix(tc.env[0], "="):
			name += "/without_dsn"
		default:
			name += "/with_dsn"
		}
		t.Run(name, func(t *testing.T) {
			out, code := runBinary(t, tc.env, "validate", "--config", filepath.Join(repoRoot, tc.config))
			if len(tc.wantErr) == 0 {
				if code != 0 {
					t.Fatalf("validate exited with %d, want 0:\n%s", code, out)
				}
				return
			}
			if code == 0 {
				t.Fatalf("validate exited with 0, want an error naming %q:\n%s", tc.wantErr, out)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(out, s) {
					t.Errorf("validate output does not contain %q:\n%s", s, out)
				}
			}
		})
	}
}

func TestComponents(t *testing.T) {
	out, code := runBinary(t, nil, "components")
	if code != 0 {
		t.Fatalf("components exited with %d:\n%s", code, out)
	}
	type comp struct {
		Name   string `yaml:"name"`
		Module string `yaml:"module"`
	}
	var got struct {
		Receivers  []comp `yaml:"receivers"`
		Processors []comp `yaml:"processors"`
		Exporters  []comp `yaml:"exporters"`
		Extensions []comp `yaml:"extensions"`
		Providers  []struct {
			Scheme string `yaml:"scheme"`
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("cannot parse the output: %v\n%s", err, out)
	}
	const ours = "github.com/waxell/otelcol-waxell v0.0.0"
	want := []struct {
		kind  string
		list  []comp
		names map[string]string // name → module ("" = any)
	}{
		{"receivers", got.Receivers, map[string]string{"otlp": ""}},
		{"processors", got.Processors, map[string]string{"memory_limiter": "", "useragg": ours}},
		{"exporters", got.Exporters, map[string]string{"debug": "", "nop": "", "otlp_grpc": "", "otlp_http": "", "waxell": ours}},
		{"extensions", got.Extensions, map[string]string{"health_check": "", "file_storage": "", "bearertokenauth": "", "pprof": ""}},
	}
	for _, w := range want {
		have := map[string]string{}
		for _, c := range w.list {
			have[c.Name] = c.Module
		}
		for name, module := range w.names {
			m, ok := have[name]
			switch {
			case !ok:
				t.Errorf("%s: %s is missing (have %v)", w.kind, name, have)
			case module != "" && m != module:
				t.Errorf("%s: %s comes from %q, want %q", w.kind, name, m, module)
			}
		}
		if len(have) != len(w.names) {
			t.Errorf("%s: have %v, want exactly %v", w.kind, have, w.names)
		}
	}
	var schemes []string
	for _, p := range got.Providers {
		schemes = append(schemes, p.Scheme)
	}
	for _, s := range []string{"env", "file", "yaml"} {
		if !strings.Contains(" "+strings.Join(schemes, " ")+" ", " "+s+" ") {
			t.Errorf("providers: %s is missing (have %v)", s, schemes)
		}
	}
}
