package deploy

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// deployDocs are the guides this package owns.
var deployDocs = []string{"docs/deploy.md", "docs/instrumentations.md"}

var (
	mdLinkRE    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	mdHeadingRE = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*$`)
	makeRE      = regexp.MustCompile("(?m)(?:^|`)make ([a-z][a-z0-9-]*)")
)

// TestDocLinks: the relative links of the guides point at files of the
// repository and at headings that exist.
func TestDocLinks(t *testing.T) {
	t.Parallel()
	for _, doc := range deployDocs {
		src, err := os.ReadFile(filepath.Join(repoRoot, doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLinkRE.FindAllStringSubmatch(stripCode(string(src)), -1) {
			link := m[1]
			if strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(link, "#")
			target := doc
			if file != "" {
				target = path.Join(path.Dir(doc), file)
			}
			b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(target)))
			if err != nil {
				t.Errorf("%s: link %s: %v", doc, link, err)
				continue
			}
			if anchor != "" && !slices.Contains(headingAnchors(string(b)), anchor) {
				t.Errorf("%s: link %s: %s has no heading with anchor #%s", doc, link, target, anchor)
			}
		}
	}
}

// TestDocMakeTargets: every `make <target>` the guides mention exists in the
// Makefile.
func TestDocMakeTargets(t *testing.T) {
	t.Parallel()
	mk, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range deployDocs {
		src, err := os.ReadFile(filepath.Join(repoRoot, doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range makeRE.FindAllStringSubmatch(string(src), -1) {
			target := m[1]
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(target) + `\s*:`).Match(mk) {
				t.Errorf("%s mentions `make %s`, which the Makefile does not define", doc, target)
			}
		}
	}
}

// stripCode removes fenced code blocks, whose brackets are not links.
func stripCode(md string) string {
	var out []string
	in := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			in = !in
			continue
		}
		if !in {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// headingAnchors returns the anchors GitHub generates for the headings of a
// Markdown document: lower case, punctuation removed, spaces to hyphens,
// duplicates numbered.
func headingAnchors(md string) []string {
	var out []string
	seen := map[string]int{}
	for _, line := range strings.Split(stripCode(md), "\n") {
		m := mdHeadingRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var sb strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case r == ' ':
				sb.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				sb.WriteRune(r)
			}
		}
		a := sb.String()
		if n := seen[a]; n > 0 {
			out = append(out, a+"-"+strconv.Itoa(n))
		} else {
			out = append(out, a)
		}
		seen[a]++
	}
	return out
}
