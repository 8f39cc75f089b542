// Package deploy tests the deployment artefacts: deploy/ (container image,
// Kubernetes manifests, Helm values, the minimal ocb manifest) and the
// collector configurations embedded in the documentation.
//
//   - Every collector configuration in docs/*.md, README.md, the component
//     READMEs, deploy/docker, deploy/kubernetes (ConfigMaps and
//     OpenTelemetryCollector resources), deploy/helm (alternateConfig) and
//     testdata/postgres.yaml passes `otelcol-waxell validate`, and every
//     PostgreSQL exporter among them keeps retrying through a database
//     restart (docs/reliability.md, "Exporter settings").
//   - Every Kubernetes manifest parses (strictly, against the fields it may
//     use) and has what the OpenTelemetry Operator and the Helm chart need.
//   - The Dockerfile is consistent with the manifests and its build context
//     holds every source file the binary is built from.
//   - deploy/minimal/builder-config.yaml, a distribution with only the otlp
//     receiver and our two components, builds with ocb and works end to end.
//
// Run them with
//
//	go test -count=1 ./test/deploy/
//
// Set WAXELL_DEPLOY_BINARY to test an already built otelcol-waxell binary
// instead of building cmd/otelcol-waxell.
package deploy
