// Package useraggprocessor recognises GenAI spans of every supported
// instrumentation convention, works out runs, users, sessions, agents,
// models, tokens and cost, and writes the result onto the spans as canonical
// waxell.* attributes. The domain logic lives in internal/genai and
// internal/pricing; this package only adapts it to the collector.
package useraggprocessor // import "github.com/waxell/otelcol-waxell/processor/useraggprocessor"
