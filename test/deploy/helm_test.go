package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// helmValues is the part of the opentelemetry-collector chart's values that
// deploy/helm/values.yaml uses; decoded strictly, so a misspelt key fails.
type helmValues struct {
	Mode         string `yaml:"mode"`
	ReplicaCount int    `yaml:"replicaCount"`
	Image        struct {
		Repository string `yaml:"repository"`
		Tag        string `yaml:"tag"`
		PullPolicy string `yaml:"pullPolicy"`
	} `yaml:"image"`
	Command struct {
		Name      string   `yaml:"name"`
		ExtraArgs []string `yaml:"extraArgs"`
	} `yaml:"command"`
	AlternateConfig    map[string]any           `yaml:"alternateConfig"`
	ExtraEnvs          []envVar                 `yaml:"extraEnvs"`
	UseGOMEMLIMIT      bool                     `yaml:"useGOMEMLIMIT"`
	Resources          resources                `yaml:"resources"`
	PodSecurityContext podSecurityContext       `yaml:"podSecurityContext"`
	SecurityContext    containerSecurityContext `yaml:"securityContext"`
	ExtraVolumes       []volume                 `yaml:"extraVolumes"`
	ExtraVolumeMounts  []volumeMount            `yaml:"extraVolumeMounts"`
	Ports              map[string]struct {
		Enabled       bool   `yaml:"enabled"`
		ContainerPort int    `yaml:"containerPort"`
		ServicePort   int    `yaml:"servicePort"`
		Protocol      string `yaml:"protocol"`
		AppProtocol   string `yaml:"appProtocol"`
	} `yaml:"ports"`
	LivenessProbe  probe `yaml:"livenessProbe"`
	ReadinessProbe probe `yaml:"readinessProbe"`
	Service        struct {
		Type string `yaml:"type"`
	} `yaml:"service"`
}

// TestHelmValues checks deploy/helm/values.yaml against what the chart's
// templates do with it: the pod runs `/<command.name> --config=/conf/relay.yaml`
// from our image, alternateConfig replaces the default configuration, the
// probes call port 13133, GOMEMLIMIT comes from useGOMEMLIMIT and the
// memory limit, and `ports` become container and Service ports.
func TestHelmValues(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "helm", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v helmValues
	if err := decodeStrict(src, &v); err != nil {
		t.Fatalf("deploy/helm/values.yaml: %v", err)
	}
	if v.Mode != "deployment" && v.Mode != "statefulset" {
		t.Errorf("mode %q, want deployment (or statefulset); the chart has no sidecar mode", v.Mode)
	}
	if v.Mode == "deployment" && v.ReplicaCount < 2 {
		t.Errorf("replicaCount %d: the PostgreSQL gateway example runs several replicas", v.ReplicaCount)
	}
	if got := v.Image.Repository + ":" + v.Image.Tag; got != expectedImage(t) {
		t.Errorf("image %s, want %s", got, expectedImage(t))
	}
	// The chart renders command: ["/<command.name>"]; the image's binary is
	// its ENTRYPOINT.
	if entry := dockerfileFacts(t).entrypoint; len(entry) != 1 || "/"+v.Command.Name != entry[0] {
		t.Errorf("command.name %q: the chart runs /%s, the image's binary is %v", v.Command.Name, v.Command.Name, entry)
	}

	cfg := v.AlternateConfig
	if cfg == nil {
		t.Fatal("alternateConfig is empty: the chart's default config needs components this distribution does not ship")
	}
	checkPipeline(t, "alternateConfig", cfg)
	if got := str(cfg, "exporters", "waxell", "store", "postgres", "dsn"); got != "${env:WAXELL_POSTGRES_DSN}" {
		t.Errorf("alternateConfig: dsn %q, want ${env:WAXELL_POSTGRES_DSN}", got)
	}
	var dsnFromSecret bool
	for _, e := range v.ExtraEnvs {
		if e.Name == "WAXELL_POSTGRES_DSN" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil &&
			e.ValueFrom.SecretKeyRef.Name == "waxell-postgres" && e.ValueFrom.SecretKeyRef.Key == "dsn" {
			dsnFromSecret = true
		}
	}
	if !dsnFromSecret {
		t.Error("extraEnvs: WAXELL_POSTGRES_DSN must come from secretKeyRef waxell-postgres/dsn (the Secret the docs create)")
	}

	// Probes: the chart's defaults call port 13133 path /; both must match
	// the health_check extension.
	health := portOf(str(cfg, "extensions", "health_check", "endpoint"))
	for kind, p := range map[string]probe{"livenessProbe": v.LivenessProbe, "readinessProbe": v.ReadinessProbe} {
		if p.HTTPGet == nil || p.HTTPGet.Path != "/" || strconv.Itoa(toInt(p.HTTPGet.Port)) != health {
			t.Errorf("%s %+v does not call the health_check extension on port %s path /", kind, p.HTTPGet, health)
		}
	}

	// Every enabled port is served by the configuration, and the
	// configuration serves nothing on a disabled or missing port.
	served := map[string]bool{
		portOf(str(cfg, "receivers", "otlp", "protocols", "grpc", "endpoint")): true,
		portOf(str(cfg, "receivers", "otlp", "protocols", "http", "endpoint")): true,
		portOf(str(cfg, "exporters", "waxell", "api", "endpoint")):             true,
	}
	var enabled []string
	for name, p := range v.Ports {
		if !p.Enabled {
			continue
		}
		enabled = append(enabled, name)
		if !served[strconv.Itoa(p.ContainerPort)] {
			t.Errorf("ports.%s: containerPort %d is not served by alternateConfig", name, p.ContainerPort)
		}
		delete(served, strconv.Itoa(p.ContainerPort))
	}
	if len(served) > 0 {
		t.Errorf("alternateConfig listens on ports %v that no enabled `ports` entry exposes", served)
	}
	// The chart's default ports for receivers we do not ship are switched off.
	for _, name := range []string{"jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin"} {
		if p, ok := v.Ports[name]; !ok || p.Enabled {
			t.Errorf("ports.%s: set enabled: false (the chart enables it by default; nothing listens on it)", name)
		}
	}
	slices.Sort(enabled)
	t.Logf("enabled ports: %v", enabled)

	if !v.UseGOMEMLIMIT || v.Resources.Limits["memory"] == "" {
		t.Error("set useGOMEMLIMIT: true and resources.limits.memory (the chart derives GOMEMLIMIT from it)")
	}
	if v.Resources.Requests["cpu"] == "" || v.Resources.Requests["memory"] == "" {
		t.Error("set resources.requests cpu and memory")
	}
	if ps := v.PodSecurityContext; ps.RunAsUser == nil || *ps.RunAsUser != runtimeUser {
		t.Errorf("podSecurityContext.runAsUser must be %d (the image's user)", runtimeUser)
	}
	// CSV exports are written to /tmp; the root filesystem is read-only.
	if ro := v.SecurityContext.ReadOnlyRootFilesystem; ro != nil && *ro &&
		(mountPathOf(container{VolumeMounts: v.ExtraVolumeMounts}, "tmp") != "/tmp" ||
			!slices.ContainsFunc(v.ExtraVolumes, func(x volume) bool { return x.Name == "tmp" && x.EmptyDir != nil })) {
		t.Error("readOnlyRootFilesystem needs a writable /tmp (extraVolumes tmp, an emptyDir, mounted by extraVolumeMounts) for CSV exports")
	}
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case string:
		i, _ := strconv.Atoi(n)
		return i
	}
	return 0
}
