package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// configKind says how an extracted collector configuration is validated.
type configKind int

const (
	// standalone is a complete configuration, validated on its own.
	standalone configKind = iota
	// fragment is part of a configuration (a component's settings, a
	// pipeline using components defined elsewhere); it is validated merged
	// over baseConfig, so every component it defines is checked.
	fragment
)

func (k configKind) String() string {
	if k == fragment {
		return "fragment"
	}
	return "standalone"
}

// collectorConfig is one collector configuration found in a source file.
type collectorConfig struct {
	where string // file:line or file (document/field) for messages
	kind  configKind
	yaml  string
	// operator marks spec.config of an OpenTelemetryCollector, which the
	// operator passes through --config=env:OTEL_CONFIG.
	operator bool
}

// skippedBlock is a YAML block in a Markdown file excluded from validation
// with a `<!-- novalidate: reason -->` marker.
type skippedBlock struct {
	where, reason, yaml string
}

// builderSnippet is a YAML block in a Markdown file that is (part of) an
// ocb manifest.
type builderSnippet struct {
	where string
	doc   map[string]any
}

// extraction is everything found in a set of source files.
type extraction struct {
	configs  []collectorConfig
	skipped  []skippedBlock
	builders []builderSnippet
}

// collectorKeys are the top-level keys of a collector configuration.
var collectorKeys = []string{"receivers", "processors", "exporters", "extensions", "connectors", "service"}

// markerRE matches the HTML comment that may precede a fenced block:
// <!-- validate -->, <!-- validate: fragment --> or <!-- novalidate: reason -->.
var markerRE = regexp.MustCompile(`^<!--\s*(validate|novalidate)\s*(?::\s*(.*?))?\s*-->$`)

var fenceRE = regexp.MustCompile("^(\\s*)(`{3,}|~{3,})\\s*([A-Za-z0-9_+-]*)")

// mdBlock is a fenced code block of a Markdown file.
type mdBlock struct {
	line   int    // line of the opening fence (1-based)
	lang   string // info string, lower case
	marker string // "validate", "validate: fragment", "novalidate: ..." or ""
	text   string // content, with the fence's indentation removed
}

// markdownBlocks returns the fenced code blocks of a Markdown document.
func markdownBlocks(src []byte) ([]mdBlock, error) {
	var (
		blocks   []mdBlock
		cur      *mdBlock
		fence    string
		indent   int
		body     []string
		lastText string // last non-blank line outside a block
	)
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if cur == nil {
			if m := fenceRE.FindStringSubmatch(line); m != nil {
				cur = &mdBlock{line: n, lang: strings.ToLower(m[3])}
				if mm := markerRE.FindStringSubmatch(strings.TrimSpace(lastText)); mm != nil {
					cur.marker = mm[1]
					if mm[2] != "" {
						cur.marker += ": " + mm[2]
					}
				}
				fence, indent, body = m[2], len(m[1]), nil
				continue
			}
			if strings.TrimSpace(line) != "" {
				lastText = line
			}
			continue
		}
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, fence[:1]) && strings.Trim(trimmed, fence[:1]) == "" && len(trimmed) >= len(fence) {
			cur.text = strings.Join(body, "\n") + "\n"
			blocks = append(blocks, *cur)
			cur, lastText = nil, ""
			continue
		}
		// Remove the fence's indentation (blocks inside list items).
		strip := indent
		for strip > 0 && len(line) > 0 && line[0] == ' ' {
			line, strip = line[1:], strip-1
		}
		body = append(body, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: unterminated code block", cur.line)
	}
	return blocks, nil
}

// decodeAll decodes every document of a YAML stream.
func decodeAll(text string) ([]any, error) {
	dec := yaml.NewDecoder(strings.NewReader(text))
	var docs []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if v != nil {
			docs = append(docs, v)
		}
	}
}

func hasAnyKey(m map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// isBuilderManifest reports whether a document is (part of) an ocb
// manifest: a dist section, or component lists of gomod entries.
func isBuilderManifest(m map[string]any) bool {
	if _, ok := m["dist"]; ok {
		return true
	}
	for _, k := range []string{"receivers", "processors", "exporters", "extensions", "connectors", "providers"} {
		if l, ok := m[k].([]any); ok && len(l) > 0 {
			if e, ok := l[0].(map[string]any); ok && e["gomod"] != nil {
				return true
			}
		}
	}
	return false
}

// isCollectorConfig reports whether a document is (part of) a collector
// configuration: a collector top-level key holding a mapping.
func isCollectorConfig(m map[string]any) bool {
	for _, k := range collectorKeys {
		if v, ok := m[k]; ok {
			if _, isMap := v.(map[string]any); isMap || v == nil {
				return true
			}
		}
	}
	return false
}

// classify tells a standalone configuration (it defines receivers and a
// service) from a fragment.
func classify(m map[string]any) configKind {
	if hasAnyKey(m, "receivers") && hasAnyKey(m, "service") {
		return standalone
	}
	return fragment
}

func toYAML(v any) (string, error) {
	b, err := yaml.Marshal(v)
	return string(b), err
}

// extractMarkdown finds the collector configurations, builder snippets and
// Kubernetes objects in the YAML blocks of a Markdown file.
func (x *extraction) extractMarkdown(rel string) error {
	src, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		return err
	}
	blocks, err := markdownBlocks(src)
	if err != nil {
		return fmt.Errorf("%s: %v", rel, err)
	}
	for _, b := range blocks {
		where := fmt.Sprintf("%s:%d", rel, b.line)
		if b.lang != "yaml" && b.lang != "yml" {
			if b.marker != "" {
				return fmt.Errorf("%s: a %q marker precedes a %q block; markers apply to yaml blocks", where, b.marker, b.lang)
			}
			continue
		}
		if reason, ok := strings.CutPrefix(b.marker, "novalidate"); ok {
			reason = strings.TrimSpace(strings.TrimPrefix(reason, ":"))
			x.skipped = append(x.skipped, skippedBlock{where: where, reason: reason, yaml: b.text})
			continue
		}
		docs, err := decodeAll(b.text)
		if err != nil {
			return fmt.Errorf("%s: the yaml block does not parse: %v", where, err)
		}
		found := 0
		for _, d := range docs {
			m, ok := d.(map[string]any)
			if !ok {
				continue
			}
			raw := "" // a single document is validated exactly as written
			if len(docs) == 1 {
				raw = b.text
			}
			n, err := x.extractDocument(where, m, raw, b.marker)
			if err != nil {
				return err
			}
			found += n
		}
		if strings.HasPrefix(b.marker, "validate") && found == 0 {
			return fmt.Errorf("%s: marked %q but holds no collector configuration", where, b.marker)
		}
	}
	return nil
}

// extractDocument extracts from one YAML document of a Markdown block and
// returns how many collector configurations it found.
func (x *extraction) extractDocument(where string, m map[string]any, raw, marker string) (int, error) {
	switch {
	case hasAnyKey(m, "apiVersion") && hasAnyKey(m, "kind"):
		return x.extractObject(where, m)
	case isBuilderManifest(m):
		x.builders = append(x.builders, builderSnippet{where: where, doc: m})
		return 0, nil
	case hasAnyKey(m, "alternateConfig"):
		return x.extractHelm(where, m)
	case isCollectorConfig(m):
		text := raw
		if text == "" {
			var err error
			if text, err = toYAML(m); err != nil {
				return 0, err
			}
		}
		kind := classify(m)
		switch marker {
		case "validate":
			kind = standalone
		case "validate: fragment":
			kind = fragment
		}
		x.configs = append(x.configs, collectorConfig{where: where, kind: kind, yaml: text})
		return 1, nil
	}
	return 0, nil
}

// extractObject extracts the collector configurations of a Kubernetes
// object: the YAML values of a ConfigMap that are collector configurations,
// and spec.config of an OpenTelemetryCollector.
func (x *extraction) extractObject(where string, m map[string]any) (int, error) {
	kind, _ := m["kind"].(string)
	name := ""
	if md, ok := m["metadata"].(map[string]any); ok {
		name, _ = md["name"].(string)
	}
	where = fmt.Sprintf("%s (%s %s)", where, kind, name)
	switch kind {
	case "ConfigMap":
		data, _ := m["data"].(map[string]any)
		n := 0
		for key, v := range data {
			s, ok := v.(string)
			if !ok {
				continue
			}
			var cfg map[string]any
			if err := yaml.Unmarshal([]byte(s), &cfg); err != nil || !isCollectorConfig(cfg) {
				continue
			}
			x.configs = append(x.configs, collectorConfig{where: where + " data." + key, kind: standalone, yaml: s})
			n++
		}
		return n, nil
	case "OpenTelemetryCollector":
		spec, _ := m["spec"].(map[string]any)
		var text string
		switch c := spec["config"].(type) {
		case string: // v1alpha1
			text = c
		case map[string]any: // v1beta1
			var err error
			if text, err = toYAML(c); err != nil {
				return 0, err
			}
		default:
			return 0, fmt.Errorf("%s: spec.config is missing", where)
		}
		x.configs = append(x.configs, collectorConfig{where: where + " spec.config", kind: standalone, yaml: text, operator: true})
		return 1, nil
	}
	return 0, nil
}

// extractHelm extracts alternateConfig from values of the
// opentelemetry-collector chart.
func (x *extraction) extractHelm(where string, m map[string]any) (int, error) {
	cfg, ok := m["alternateConfig"].(map[string]any)
	if !ok {
		return 0, fmt.Errorf("%s: alternateConfig is not a mapping", where)
	}
	text, err := toYAML(cfg)
	if err != nil {
		return 0, err
	}
	x.configs = append(x.configs, collectorConfig{where: where + " alternateConfig", kind: standalone, yaml: text})
	return 1, nil
}

// extractYAMLFile extracts from a YAML file of deploy/: Kubernetes objects,
// Helm values or a plain collector configuration.
func (x *extraction) extractYAMLFile(rel string) (int, error) {
	src, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		return 0, err
	}
	docs, err := decodeAll(string(src))
	if err != nil {
		return 0, fmt.Errorf("%s: %v", rel, err)
	}
	total := 0
	for i, d := range docs {
		m, ok := d.(map[string]any)
		if !ok {
			return 0, fmt.Errorf("%s: document %d is not a mapping", rel, i+1)
		}
		where := rel
		if len(docs) > 1 {
			where = fmt.Sprintf("%s#%d", rel, i+1)
		}
		var n int
		switch {
		case hasAnyKey(m, "apiVersion") && hasAnyKey(m, "kind"):
			n, err = x.extractObject(where, m)
		case hasAnyKey(m, "alternateConfig"):
			n, err = x.extractHelm(where, m)
		case isCollectorConfig(m):
			x.configs = append(x.configs, collectorConfig{where: where, kind: classify(m), yaml: string(src)})
			n = 1
		}
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// envRefRE matches ${NAME}, ${env:NAME} and ${env:NAME:-default}.
var envRefRE = regexp.MustCompile(`\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// unknownEnvRefs returns the environment variables a configuration
// references without a default that configEnv does not define.
func unknownEnvRefs(text string) []string {
	var out []string
	for _, m := range envRefRE.FindAllStringSubmatch(text, -1) {
		if m[2] != "" {
			continue
		}
		if _, ok := configEnv[m[1]]; !ok {
			out = append(out, m[1])
		}
	}
	return out
}
