package deploy

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const (
	imageRepository = "ghcr.io/waxell/otelcol-waxell"
	// runtimeUser is the image's USER (deploy/docker/Dockerfile); the
	// manifests run the pods as this user.
	runtimeUser = 10001
	// gatewayOTLP is the gateway Service of gateway.yaml, as the forwarding
	// sidecar addresses it (namespace waxell).
	gatewayOTLP = "waxell-gateway.waxell.svc.cluster.local:4317"
)

// expectedImage is the image every manifest runs: the repository, tagged
// with the distribution version of builder-config.yaml.
func expectedImage(t *testing.T) string {
	t.Helper()
	dist, _ := readManifest(t, "builder-config.yaml")["dist"].(map[string]any)
	version, _ := dist["version"].(string)
	if version == "" {
		t.Fatal("builder-config.yaml: dist.version is empty")
	}
	return imageRepository + ":" + version
}

func loadManifest(t *testing.T, rel string) *manifest {
	t.Helper()
	m, err := readManifestFile(rel)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestKubernetesManifestsParse decodes every manifest of deploy/kubernetes
// strictly and checks what holds for all of them: Services select a
// workload of the same file and target its ports; secret references
// resolve; images are ours.
func TestKubernetesManifestsParse(t *testing.T) {
	t.Parallel()
	files := globRel(t, "deploy/kubernetes/*.yaml")
	if len(files) != 3 {
		t.Errorf("deploy/kubernetes: want sidecar-operator.yaml, gateway.yaml and gateway-statefulset.yaml, found %v", files)
	}
	image := expectedImage(t)
	for _, f := range files {
		t.Run(path.Base(f), func(t *testing.T) {
			m := loadManifest(t, f)
			for _, s := range m.services {
				w := selectedWorkload(t, m, s.Spec.Selector)
				if w == nil {
					t.Errorf("%s: Service %s selects no workload of the file (selector %v)", f, s.Metadata.Name, s.Spec.Selector)
					continue
				}
				ports := w.Spec.Template.Spec.Containers[0].Ports
				for _, p := range s.Spec.Ports {
					if !targetsPort(p.TargetPort, ports) {
						t.Errorf("%s: Service %s port %s: targetPort %v is not a port of %s", f, s.Metadata.Name, p.Name, p.TargetPort, w.Metadata.Name)
					}
				}
			}
			for _, p := range m.pdbs {
				if selectedWorkload(t, m, p.Spec.Selector.MatchLabels) == nil {
					t.Errorf("%s: PodDisruptionBudget %s selects no workload", f, p.Metadata.Name)
				}
			}
			for _, w := range m.workloads {
				if !mapContains(w.Spec.Template.Metadata.Labels, w.Spec.Selector.MatchLabels) || len(w.Spec.Selector.MatchLabels) == 0 {
					t.Errorf("%s: %s %s: selector %v does not match the pod template labels %v", f, w.Kind, w.Metadata.Name,
						w.Spec.Selector.MatchLabels, w.Spec.Template.Metadata.Labels)
				}
				for _, c := range w.Spec.Template.Spec.Containers {
					checkSecretRefs(t, m, fmt.Sprintf("%s %s container %s", w.Kind, w.Metadata.Name, c.Name), c.Env)
					if strings.HasPrefix(c.Image, imageRepository) && c.Image != image {
						t.Errorf("%s: %s %s: image %s, want %s", f, w.Kind, w.Metadata.Name, c.Image, image)
					}
				}
			}
			for _, c := range m.collectors {
				checkSecretRefs(t, m, "OpenTelemetryCollector "+c.Metadata.Name, c.Spec.Env)
				if c.Spec.Image != image {
					t.Errorf("%s: OpenTelemetryCollector %s: image %q, want %q", f, c.Metadata.Name, c.Spec.Image, image)
				}
			}
		})
	}
}

// TestGatewayDeployment checks gateway.yaml: several replicas of a
// Deployment writing to PostgreSQL, with the API, probes on the health_check
// extension, GOMEMLIMIT, resources, the DSN from a Secret and the Services.
func TestGatewayDeployment(t *testing.T) {
	t.Parallel()
	m := loadManifest(t, "deploy/kubernetes/gateway.yaml")
	w := onlyWorkload(t, m, "Deployment")
	if w.Spec.Replicas == nil || *w.Spec.Replicas < 2 {
		t.Errorf("Deployment %s: replicas %s, want at least 2 (the example shows several writers)", w.Metadata.Name, intp(w.Spec.Replicas))
	}
	cfg, c := checkCollectorPod(t, m, w, expectedImage(t))
	if got := str(cfg, "exporters", "waxell", "store", "driver"); got != "postgres" {
		t.Errorf("store.driver %q, want postgres (several replicas share one database)", got)
	}
	checkPostgresDSN(t, cfg, c.Env, "Deployment "+w.Metadata.Name)
	if enabled, ok := get(cfg, "exporters", "waxell", "api", "enabled").(bool); ok && !enabled {
		t.Error("the gateway must serve the API")
	}

	// The Service exposes OTLP and the API; the headless Service (one DNS
	// record per pod) serves the loadbalancing exporter.
	svc := serviceNamed(t, m, "waxell-gateway")
	if got, want := servicePorts(svc), []int{4317, 4318, 8480}; !slices.Equal(got, want) {
		t.Errorf("Service waxell-gateway ports %v, want %v", got, want)
	}
	if svc.Spec.ClusterIP == "None" {
		t.Error("Service waxell-gateway must not be headless")
	}
	headless := serviceNamed(t, m, "waxell-gateway-headless")
	if headless.Spec.ClusterIP != "None" || !slices.Contains(servicePorts(headless), 4317) {
		t.Errorf("Service waxell-gateway-headless: clusterIP %q ports %v, want None with 4317", headless.Spec.ClusterIP, servicePorts(headless))
	}
	if host, port, _ := strings.Cut(gatewayOTLP, ":"); !strings.HasPrefix(host, svc.Metadata.Name+".") || port != "4317" {
		t.Errorf("gatewayOTLP %s does not address Service %s", gatewayOTLP, svc.Metadata.Name)
	}
}

// TestGatewayStatefulSet checks gateway-statefulset.yaml: one replica with
// SQLite and a persistent queue on a volume claim, writable by the image's
// user.
func TestGatewayStatefulSet(t *testing.T) {
	t.Parallel()
	m := loadManifest(t, "deploy/kubernetes/gateway-statefulset.yaml")
	w := onlyWorkload(t, m, "StatefulSet")
	if w.Spec.Replicas == nil || *w.Spec.Replicas != 1 {
		t.Errorf("StatefulSet %s: replicas %s, want exactly 1 (SQLite has one writer)", w.Metadata.Name, intp(w.Spec.Replicas))
	}
	if s := serviceNamed(t, m, w.Spec.ServiceName); s.Spec.ClusterIP != "None" {
		t.Errorf("serviceName %s must be a headless Service", w.Spec.ServiceName)
	}
	if w.Spec.PersistentVolumeClaimRetentionPolicy["whenDeleted"] != "Retain" {
		t.Error("persistentVolumeClaimRetentionPolicy.whenDeleted must be Retain: deleting the StatefulSet must not delete the data")
	}
	cfg, c := checkCollectorPod(t, m, w, expectedImage(t))
	if got := str(cfg, "exporters", "waxell", "store", "driver"); got != "sqlite" {
		t.Errorf("store.driver %q, want sqlite", got)
	}
	if ps := w.Spec.Template.Spec.SecurityContext; ps == nil || ps.FSGroup == nil || *ps.FSGroup != runtimeUser {
		t.Errorf("pod securityContext.fsGroup must be %d so that the volume is writable", runtimeUser)
	}

	// The claim template is mounted where the store and the queue live.
	if len(w.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("want one volumeClaimTemplate, got %d", len(w.Spec.VolumeClaimTemplates))
	}
	claim := w.Spec.VolumeClaimTemplates[0]
	if claim.Spec.Resources.Requests["storage"] == "" || !slices.Contains(claim.Spec.AccessModes, "ReadWriteOnce") {
		t.Errorf("volumeClaimTemplate %s: want ReadWriteOnce and a storage request", claim.Metadata.Name)
	}
	dataDir := mountPathOf(c, claim.Metadata.Name)
	if dataDir == "" {
		t.Fatalf("volumeClaimTemplate %s is not mounted", claim.Metadata.Name)
	}
	if p := str(cfg, "exporters", "waxell", "store", "sqlite", "path"); !under(p, dataDir) {
		t.Errorf("store.sqlite.path %q is not on the volume %s", p, dataDir)
	}
	storage := str(cfg, "exporters", "waxell", "sending_queue", "storage")
	if storage == "" {
		t.Error("the exporter's sending_queue has no storage: the queue is lost on restart")
	} else if dir := str(cfg, "extensions", storage, "directory"); !under(dir, dataDir) {
		t.Errorf("extension %s directory %q is not on the volume %s", storage, dir, dataDir)
	}
	if !slices.Contains(anyStrings(get(cfg, "service", "extensions")), storage) {
		t.Errorf("service.extensions does not enable %s", storage)
	}
}

// TestSidecarOperator checks sidecar-operator.yaml: OpenTelemetryCollector
// resources in sidecar mode with the fields the operator needs, and an
// application whose pod template asks for the sidecar.
func TestSidecarOperator(t *testing.T) {
	t.Parallel()
	m := loadManifest(t, "deploy/kubernetes/sidecar-operator.yaml")
	gateway := loadManifest(t, "deploy/kubernetes/gateway.yaml")
	if len(m.collectors) != 2 {
		t.Fatalf("want two OpenTelemetryCollector resources (PostgreSQL writer and forwarder), got %d", len(m.collectors))
	}
	names := map[string]bool{}
	var writer, forwarder *otelCollector
	for i := range m.collectors {
		oc := &m.collectors[i]
		names[oc.Metadata.Name] = true
		where := "OpenTelemetryCollector " + oc.Metadata.Name
		if oc.Spec.Mode != "sidecar" {
			t.Errorf("%s: mode %q, want sidecar", where, oc.Spec.Mode)
		}
		cfg := oc.Spec.Config
		for _, k := range []string{"receivers", "processors", "exporters", "service"} {
			if _, ok := cfg[k].(map[string]any); !ok {
				t.Errorf("%s: spec.config has no %s", where, k)
			}
		}
		// The app reaches the sidecar on localhost.
		for _, proto := range []string{"grpc", "http"} {
			if ep := str(cfg, "receivers", "otlp", "protocols", proto, "endpoint"); !strings.HasPrefix(ep, "localhost:") {
				t.Errorf("%s: otlp %s endpoint %q, want localhost:<port> (same pod)", where, proto, ep)
			}
		}
		checkPipeline(t, where, cfg)
		checkGOMEMLIMIT(t, where, oc.Spec.Env, oc.Spec.Resources)
		if _, ok := get(cfg, "exporters", "waxell").(map[string]any); ok {
			writer = oc
		} else {
			forwarder = oc
		}
	}
	if writer == nil || forwarder == nil {
		t.Fatal("want one sidecar with the waxell exporter and one forwarding to the gateway")
	}

	// The writer: PostgreSQL from a Secret, no API, a small pool.
	cfg := writer.Spec.Config
	where := "OpenTelemetryCollector " + writer.Metadata.Name
	if got := str(cfg, "exporters", "waxell", "store", "driver"); got != "postgres" {
		t.Errorf("%s: store.driver %q, want postgres (a sidecar's emptyDir does not outlive the pod)", where, got)
	}
	if enabled, ok := get(cfg, "exporters", "waxell", "api", "enabled").(bool); !ok || enabled {
		t.Errorf("%s: the sidecar must disable the API (api: {enabled: false})", where)
	}
	if mc, _ := get(cfg, "exporters", "waxell", "store", "postgres", "max_conns").(int); mc == 0 || mc > 4 {
		t.Errorf("%s: store.postgres.max_conns %d: set a small pool (1-4), every pod opens one", where, mc)
	}
	checkPostgresDSN(t, cfg, writer.Spec.Env, where)

	// The forwarder: OTLP to the gateway Service.
	where = "OpenTelemetryCollector " + forwarder.Metadata.Name
	var endpoints []string
	exporters, _ := forwarder.Spec.Config["exporters"].(map[string]any)
	for id := range exporters {
		if typ, _, _ := strings.Cut(id, "/"); typ == "otlp_grpc" || typ == "otlp" {
			endpoints = append(endpoints, str(forwarder.Spec.Config, "exporters", id, "endpoint"))
		}
	}
	if !slices.Contains(endpoints, gatewayOTLP) {
		t.Errorf("%s: exporters to %v, want an otlp_grpc exporter to %s", where, endpoints, gatewayOTLP)
	}
	if svc := serviceNamed(t, gateway, "waxell-gateway"); !slices.Contains(servicePorts(svc), 4317) {
		t.Errorf("gateway.yaml: Service waxell-gateway has no port 4317 for the forwarding sidecar")
	}

	// The application: the annotation is on the pod template (the operator
	// reads pods) and names a sidecar resource; OTLP goes to localhost.
	app := onlyWorkload(t, m, "Deployment")
	if _, ok := app.Metadata.Annotations["sidecar.opentelemetry.io/inject"]; ok {
		t.Errorf("Deployment %s: the inject annotation belongs on spec.template.metadata, not on the Deployment", app.Metadata.Name)
	}
	inject := app.Spec.Template.Metadata.Annotations["sidecar.opentelemetry.io/inject"]
	if inject != "true" && !names[inject] {
		t.Errorf("Deployment %s: sidecar.opentelemetry.io/inject %q names no OpenTelemetryCollector of the file (%v)", app.Metadata.Name, inject, slices.Sorted(maps.Keys(names)))
	}
	env := envMap(app.Spec.Template.Spec.Containers[0].Env)
	endpoint, protocol := env["OTEL_EXPORTER_OTLP_ENDPOINT"], env["OTEL_EXPORTER_OTLP_PROTOCOL"]
	wantEndpoint := "http://localhost:" + portOf(str(writer.Spec.Config, "receivers", "otlp", "protocols", "http", "endpoint"))
	if protocol == "grpc" {
		wantEndpoint = "http://localhost:" + portOf(str(writer.Spec.Config, "receivers", "otlp", "protocols", "grpc", "endpoint"))
	}
	if endpoint != wantEndpoint {
		t.Errorf("Deployment %s: OTEL_EXPORTER_OTLP_ENDPOINT %q (protocol %q), want %q", app.Metadata.Name, endpoint, protocol, wantEndpoint)
	}
}

// checkCollectorPod checks a gateway workload's pod against the collector
// configuration it mounts, and returns the configuration and the container.
func checkCollectorPod(t *testing.T, m *manifest, w *workload, image string) (map[string]any, container) {
	t.Helper()
	where := w.Kind + " " + w.Metadata.Name
	spec := w.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: want one container, got %d", where, len(spec.Containers))
	}
	c := spec.Containers[0]
	if c.Image != image {
		t.Errorf("%s: image %q, want %q", where, c.Image, image)
	}
	if len(c.Command) != 0 {
		t.Errorf("%s: command %v replaces the image's ENTRYPOINT; pass only args", where, c.Command)
	}
	if ps := spec.SecurityContext; ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser != runtimeUser {
		t.Errorf("%s: pod securityContext must set runAsNonRoot: true and runAsUser: %d (the image's user)", where, runtimeUser)
	}

	// SQLite's temporary files and the API's CSV exports are written to
	// /tmp; the root filesystem is read-only.
	if sc := c.SecurityContext; sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem &&
		(mountPathOf(c, "tmp") != "/tmp" || !slices.ContainsFunc(spec.Volumes, func(v volume) bool {
			return v.Name == "tmp" && v.EmptyDir != nil
		})) {
		t.Errorf("%s: readOnlyRootFilesystem needs a writable /tmp (volume tmp, an emptyDir) for SQLite and CSV exports", where)
	}

	// --config points into a mounted ConfigMap that holds a collector
	// configuration.
	if len(c.Args) != 1 || !strings.HasPrefix(c.Args[0], "--config=") {
		t.Fatalf("%s: args %v, want [--config=<file>]", where, c.Args)
	}
	cfgPath := strings.TrimPrefix(c.Args[0], "--config=")
	cfg := mountedConfig(t, m, spec, c, cfgPath)

	// Container ports match the configuration.
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	wantPorts := map[string]string{
		"otlp-grpc": str(cfg, "receivers", "otlp", "protocols", "grpc", "endpoint"),
		"otlp-http": str(cfg, "receivers", "otlp", "protocols", "http", "endpoint"),
		"api":       str(cfg, "exporters", "waxell", "api", "endpoint"),
		"health":    str(cfg, "extensions", "health_check", "endpoint"),
	}
	for name, endpoint := range wantPorts {
		if endpoint == "" {
			t.Errorf("%s: the configuration sets no endpoint for %s", where, name)
			continue
		}
		if !strings.HasPrefix(endpoint, "0.0.0.0:") {
			t.Errorf("%s: %s endpoint %q: listen on 0.0.0.0 (the pod IP) so that Services and probes reach it", where, name, endpoint)
		}
		if strconv.Itoa(ports[name]) != portOf(endpoint) {
			t.Errorf("%s: container port %s = %d, the configuration listens on %s", where, name, ports[name], endpoint)
		}
	}

	// Probes call the health_check extension.
	healthPath := "/"
	if p := str(cfg, "extensions", "health_check", "path"); p != "" {
		healthPath = p
	}
	for kind, p := range map[string]*probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: no %s.httpGet", where, kind)
			continue
		}
		if p.HTTPGet.Path != healthPath || !targetsPort(p.HTTPGet.Port, []containerPort{{Name: "health", ContainerPort: ports["health"]}}) {
			t.Errorf("%s: %s GET %v%s, want the health_check extension (port %d path %s)", where, kind, p.HTTPGet.Port, p.HTTPGet.Path, ports["health"], healthPath)
		}
	}
	if ports["health"] != 13133 {
		t.Errorf("%s: health_check on port %d; keep 13133 (what the operator and the chart probe)", where, ports["health"])
	}

	checkGOMEMLIMIT(t, where, c.Env, c.Resources)
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" {
		t.Errorf("%s: set resources.requests cpu and memory", where)
	}
	checkPipeline(t, where, cfg)
	if sc := c.SecurityContext; sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: set securityContext.allowPrivilegeEscalation: false", where)
	}
	return cfg, c
}

// mountedConfig returns the collector configuration at cfgPath, which must
// be a key of a ConfigMap volume of the pod.
func mountedConfig(t *testing.T, m *manifest, spec podSpec, c container, cfgPath string) map[string]any {
	t.Helper()
	for _, vm := range c.VolumeMounts {
		if path.Dir(cfgPath) != vm.MountPath {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name != vm.Name || v.ConfigMap == nil {
				continue
			}
			key := path.Base(cfgPath)
			for _, it := range v.ConfigMap.Items {
				if it.Path == key {
					key = it.Key
				}
			}
			for _, cm := range m.configMaps {
				if cm.Metadata.Name != v.ConfigMap.Name {
					continue
				}
				text, ok := cm.Data[key]
				if !ok {
					t.Fatalf("ConfigMap %s has no key %s (mounted as %s)", cm.Metadata.Name, key, cfgPath)
				}
				var cfg map[string]any
				if err := yaml.Unmarshal([]byte(text), &cfg); err != nil {
					t.Fatalf("ConfigMap %s key %s: %v", cm.Metadata.Name, key, err)
				}
				return cfg
			}
			t.Fatalf("volume %s: ConfigMap %s is not in %s", v.Name, v.ConfigMap.Name, m.file)
		}
	}
	t.Fatalf("--config=%s is not in a mounted ConfigMap volume", cfgPath)
	return nil
}

// checkPipeline checks the traces pipeline: memory_limiter first, useragg
// before the waxell exporter, no batch processor.
func checkPipeline(t *testing.T, where string, cfg map[string]any) {
	t.Helper()
	procs := anyStrings(get(cfg, "service", "pipelines", "traces", "processors"))
	if len(procs) == 0 || procs[0] != "memory_limiter" {
		t.Errorf("%s: traces processors %v: memory_limiter must come first", where, procs)
	}
	for _, p := range procs {
		if typ, _, _ := strings.Cut(p, "/"); typ == "batch" {
			t.Errorf("%s: no batch processor (it can drop data silently); batch in the exporter's sending_queue", where)
		}
	}
	exporters := anyStrings(get(cfg, "service", "pipelines", "traces", "exporters"))
	if slices.Contains(exporters, "waxell") && !slices.Contains(procs, "useragg") {
		t.Errorf("%s: the waxell exporter needs the useragg processor in its pipeline", where)
	}
	if !slices.Contains(anyStrings(get(cfg, "service", "extensions")), "health_check") {
		t.Errorf("%s: enable the health_check extension (probes)", where)
	}
}

// checkGOMEMLIMIT: GOMEMLIMIT is set, below the memory limit, with headroom.
func checkGOMEMLIMIT(t *testing.T, where string, env []envVar, res resources) {
	t.Helper()
	limit, err := parseBytes(res.Limits["memory"])
	if err != nil {
		t.Errorf("%s: resources.limits.memory: %v", where, err)
		return
	}
	gomem, err := parseBytes(envMap(env)["GOMEMLIMIT"])
	if err != nil {
		t.Errorf("%s: GOMEMLIMIT: %v", where, err)
		return
	}
	if ratio := float64(gomem) / float64(limit); ratio < 0.6 || ratio > 0.9 {
		t.Errorf("%s: GOMEMLIMIT is %.0f%% of the memory limit, want 60-90%% (about 80%%)", where, ratio*100)
	}
}

// checkPostgresDSN: the configuration takes the DSN from
// ${env:WAXELL_POSTGRES_DSN}, and the container sets that variable from a
// Secret of the file.
func checkPostgresDSN(t *testing.T, cfg map[string]any, env []envVar, where string) {
	t.Helper()
	if dsn := str(cfg, "exporters", "waxell", "store", "postgres", "dsn"); dsn != "${env:WAXELL_POSTGRES_DSN}" {
		t.Errorf("%s: store.postgres.dsn %q, want ${env:WAXELL_POSTGRES_DSN} (never a literal)", where, dsn)
	}
	for _, e := range env {
		if e.Name != "WAXELL_POSTGRES_DSN" {
			continue
		}
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Errorf("%s: WAXELL_POSTGRES_DSN must come from a secretKeyRef", where)
		}
		return
	}
	t.Errorf("%s: WAXELL_POSTGRES_DSN is not set", where)
}

// checkSecretRefs: every secretKeyRef names a Secret of the file and one of
// its keys.
func checkSecretRefs(t *testing.T, m *manifest, where string, env []envVar) {
	t.Helper()
	for _, e := range env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		found := false
		for _, s := range m.secrets {
			if s.Metadata.Name == ref.Name {
				_, inString := s.StringData[ref.Key]
				_, inData := s.Data[ref.Key]
				found = inString || inData
			}
		}
		if !found {
			t.Errorf("%s: env %s: secretKeyRef %s/%s is not a Secret key of the file", where, e.Name, ref.Name, ref.Key)
		}
	}
}

func onlyWorkload(t *testing.T, m *manifest, kind string) *workload {
	t.Helper()
	var found *workload
	for i := range m.workloads {
		if m.workloads[i].Kind == kind {
			if found != nil {
				t.Fatalf("%s: more than one %s", m.file, kind)
			}
			found = &m.workloads[i]
		}
	}
	if found == nil {
		t.Fatalf("%s: no %s", m.file, kind)
	}
	return found
}

func selectedWorkload(t *testing.T, m *manifest, selector map[string]string) *workload {
	t.Helper()
	if len(selector) == 0 {
		return nil
	}
	for i := range m.workloads {
		if mapContains(m.workloads[i].Spec.Template.Metadata.Labels, selector) {
			return &m.workloads[i]
		}
	}
	return nil
}

func serviceNamed(t *testing.T, m *manifest, name string) *service {
	t.Helper()
	for i := range m.services {
		if m.services[i].Metadata.Name == name {
			return &m.services[i]
		}
	}
	t.Fatalf("%s: no Service %s", m.file, name)
	return nil
}

func servicePorts(s *service) []int {
	var out []int
	for _, p := range s.Spec.Ports {
		out = append(out, p.Port)
	}
	slices.Sort(out)
	return out
}

// targetsPort reports whether a Service targetPort or probe port (a number
// or a port name) designates one of ports.
func targetsPort(target any, ports []containerPort) bool {
	for _, p := range ports {
		switch v := target.(type) {
		case int:
			if v == p.ContainerPort {
				return true
			}
		case string:
			if v == p.Name || v == strconv.Itoa(p.ContainerPort) {
				return true
			}
		}
	}
	return false
}

func intp(p *int) string {
	if p == nil {
		return "unset"
	}
	return strconv.Itoa(*p)
}

func mountPathOf(c container, volume string) string {
	for _, vm := range c.VolumeMounts {
		if vm.Name == volume {
			return vm.MountPath
		}
	}
	return ""
}

func mapContains(m, sub map[string]string) bool {
	for k, v := range sub {
		if m[k] != v {
			return false
		}
	}
	return true
}

func envMap(env []envVar) map[string]string {
	out := map[string]string{}
	for _, e := range env {
		out[e.Name] = e.Value
	}
	return out
}

// get walks nested mappings.
func get(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func str(m map[string]any, keys ...string) string {
	s, _ := get(m, keys...).(string)
	return s
}

func anyStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// portOf returns the port of a host:port endpoint (the host may be an
// ${env:...} reference).
func portOf(endpoint string) string {
	i := strings.LastIndex(endpoint, ":")
	if i < 0 {
		return ""
	}
	return endpoint[i+1:]
}

func under(p, dir string) bool {
	return p != "" && strings.HasPrefix(path.Clean(p), path.Clean(dir)+"/")
}

// parseBytes parses a Kubernetes memory quantity (512Mi, 1Gi, 1G) or a
// GOMEMLIMIT value (800MiB, 1GiB, a plain number of bytes).
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
		{"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"B", 1},
	}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil || v <= 0 {
				return 0, fmt.Errorf("cannot parse %q", s)
			}
			return v * u.mult, nil
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("cannot parse %q", s)
	}
	return v, nil
}
