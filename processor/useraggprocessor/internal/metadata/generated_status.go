// Hand-written equivalent of mdatagen's generated_status.go (mdatagen is not
// resolvable through this module proxy). Keep in sync with ../../metadata.yaml.

// Package metadata contains the build information for the useragg processor.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	Type      = component.MustNewType("useragg")
	ScopeName = "github.com/waxell/otelcol-waxell/processor/useraggprocessor"
)

const (
	TracesStability = component.StabilityLevelDevelopment
)
