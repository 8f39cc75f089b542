package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// minRetryElapsed is the shortest retry_on_failure.max_elapsed_time a
// PostgreSQL configuration may ship: a database restart (crash recovery
// included) or a managed failover must pass before a batch is given up
// (docs/reliability.md, "Exporter settings"). It is the exporterhelper
// default.
const minRetryElapsed = 5 * time.Minute

// defaultNumConsumers is exporterhelper's sending_queue.num_consumers.
const defaultNumConsumers = 10

// exporterSettingProblems lists what in the waxell exporters of one
// collector configuration (a decoded YAML document) can lose or stall data
// through a database restart: retries or the queue switched off, retries
// that give up before a restart is over, more queue consumers than
// PostgreSQL connections. It also returns how many PostgreSQL exporters it
// checked.
func exporterSettingProblems(cfg map[string]any) (problems []string, checked int) {
	exporters, _ := cfg["exporters"].(map[string]any)
	names := make([]string, 0, len(exporters))
	for name := range exporters {
		if name == "waxell" || strings.HasPrefix(name, "waxell/") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		exp, _ := exporters[name].(map[string]any)
		if str(exp, "store", "driver") != "postgres" {
			continue
		}
		checked++
		bad := func(format string, args ...any) {
			problems = append(problems, name+": "+fmt.Sprintf(format, args...))
		}
		if get(exp, "retry_on_failure", "enabled") == false {
			bad("retry_on_failure is disabled: a database restart drops every batch written meanwhile")
		}
		if get(exp, "sending_queue", "enabled") == false {
			bad("sending_queue is disabled: a database restart fails every OTLP request meanwhile")
		}
		if v := get(exp, "retry_on_failure", "max_elapsed_time"); v != nil {
			d, err := time.ParseDuration(fmt.Sprint(v))
			switch {
			case err != nil:
				bad("retry_on_failure.max_elapsed_time %q: %v", v, err)
			case d != 0 && d < minRetryElapsed:
				bad("retry_on_failure.max_elapsed_time %s gives up before a database restart is surely over (want 0 or at least %s)", d, minRetryElapsed)
			}
		}
		consumers := defaultNumConsumers
		if v, ok := get(exp, "sending_queue", "num_consumers").(int); ok {
			consumers = v
		}
		if conns, ok := get(exp, "store", "postgres", "max_conns").(int); ok && conns > 0 && consumers > conns {
			bad("sending_queue.num_consumers %d > store.postgres.max_conns %d: consumers wait for connections", consumers, conns)
		}
	}
	return problems, checked
}

// TestExporterSettingProblems makes sure the check below catches each
// problem, and passes the shipped settings.
func TestExporterSettingProblems(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		yaml string
		want []string // substrings, one per expected problem
	}{
		{"shipped", `
exporters:
  waxell:
    store: {driver: postgres, postgres: {max_conns: 8}}
    sending_queue: {num_consumers: 8, sizer: items, queue_size: 100000}
    retry_on_failure: {initial_interval: 1s, max_interval: 5s, max_elapsed_time: 10m}`, nil},
		{"defaults", `
exporters:
  waxell/sidecar:
    store: {driver: postgres}`, nil},
		{"persistent queue, retry forever", `
exporters:
  waxell:
    store: {driver: postgres}
    sending_queue: {storage: file_storage/queue}
    retry_on_failure: {max_elapsed_time: 0s}`, nil},
		{"sqlite is not checked", `
exporters:
  waxell:
    store: {driver: sqlite}
    retry_on_failure: {enabled: false}`, nil},
		{"retry off", `
exporters:
  waxell:
    store: {driver: postgres}
    retry_on_failure: {enabled: false}`, []string{"retry_on_failure is disabled"}},
		{"queue off", `
exporters:
  waxell:
    store: {driver: postgres}
    sending_queue: {enabled: false}`, []string{"sending_queue is disabled"}},
		{"gives up too soon", `
exporters:
  waxell/b:
    store: {driver: postgres}
    retry_on_failure: {max_elapsed_time: 30s}`, []string{"waxell/b: retry_on_failure.max_elapsed_time 30s"}},
		{"not a duration", `
exporters:
  waxell:
    store: {driver: postgres}
    retry_on_failure: {max_elapsed_time: soon}`, []string{`max_elapsed_time "soon"`}},
		{"default consumers over a small pool", `
exporters:
  waxell:
    store: {driver: postgres, postgres: {max_conns: 4}}`, []string{"num_consumers 10 > store.postgres.max_conns 4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			docs, err := decodeAll(tc.yaml)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := exporterSettingProblems(docs[0].(map[string]any))
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q, want %d matching %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %q does not mention %q", got[i], w)
				}
			}
		})
	}
}

// TestShippedExporterSettings: every PostgreSQL exporter in the docs, the
// component READMEs, deploy/ and testdata/ rides out a database restart
// (see exporterSettingProblems). test/faults TestPostgresRestartsDuringIngest
// runs testdata/postgres.yaml's settings through two PostgreSQL crashes.
func TestShippedExporterSettings(t *testing.T) {
	t.Parallel()
	x := extractAll(t)
	checked := 0
	for _, c := range x.configs {
		docs, err := decodeAll(c.yaml)
		if err != nil {
			t.Fatalf("%s: %v", c.where, err)
		}
		for _, d := range docs {
			m, ok := d.(map[string]any)
			if !ok {
				continue
			}
			problems, n := exporterSettingProblems(m)
			checked += n
			for _, p := range problems {
				t.Errorf("%s: %s", c.where, p)
			}
		}
	}
	// testdata/postgres.yaml, the two Kubernetes PostgreSQL manifests, the
	// Helm values, the exporter README's two examples at least.
	if checked < 6 {
		t.Errorf("only %d PostgreSQL exporters found", checked)
	}
	t.Logf("%d PostgreSQL exporters checked", checked)
}
