package ui

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/ui/internal/demo"
)

var hostile = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`javascript:alert(1)`,
	`'onmouseover='alert(1)`,
	`</title><svg onload=alert(1)>`,
}

// hostileStore has users, agents, workflows, sessions and models named
// with markup.
func hostileStore(t testing.TB) Reader {
	t.Helper()
	b := demo.NewBuilder(20)
	var spans []genai.Span
	for i, s := range hostile {
		other := hostile[(i+1)%len(hostile)]
		run := demo.Run{UserID: s, SessionID: other, Agent: other, Workflow: s, Start: testNow.Add(-time.Duration(i+1) * time.Hour),
			Duration: time.Second, Calls: []demo.Call{{Model: s, Input: 10, Output: 5, CostNanos: 1_000_000}}}
		spans = append(spans, b.Spans(run)...)
	}
	return openStore(t, spans)
}

// assertInert checks that a page holds no script or event handler but
// the page's own, and no element that markup in data could have made.
func assertInert(t *testing.T, where, body string) {
	t.Helper()
	doc := parseHTML(t, body)
	for _, n := range findAll(doc, func(*html.Node) bool { return true }) {
		switch n.Data {
		case "script":
			if attr(n, "src") == "" || !strings.HasPrefix(attr(n, "src"), "/static/app.js?v=") {
				t.Errorf("%s: unexpected script %v", where, n.Attr)
			}
		case "img":
			if attr(n, "src") != assetURL("favicon.svg") {
				t.Errorf("%s: unexpected img %v", where, n.Attr)
			}
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("%s: event handler attribute %s=%q on <%s>", where, a.Key, a.Val, n.Data)
			}
			if (a.Key == "href" || a.Key == "src" || a.Key == "action") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
				t.Errorf("%s: %s=%q", where, a.Key, a.Val)
			}
		}
	}
	for _, raw := range []string{"<script>alert", "<img src=x", "<svg onload"} {
		if strings.Contains(body, raw) {
			t.Errorf("%s: raw %q in the page", where, raw)
		}
	}
}

func TestXSSIsEscaped(t *testing.T) {
	r := hostileStore(t)
	h := newTestHandler(r)
	pages := map[string]string{
		"list":   "/",
		"search": "/?search=" + url.QueryEscape(hostile[0]),
		"agent":  "/?agent=" + url.QueryEscape(hostile[1]),
		"nobody": "/?search=" + url.QueryEscape(`<b>x</b>`) + "&agent=" + url.QueryEscape(hostile[0]),
		"404":    "/users/" + url.PathEscape(`<script>alert(2)</script>`),
		"400":    "/?sort=" + url.QueryEscape(hostile[0]),
	}
	for _, id := range hostile {
		pages["detail "+id] = userPath(id)
		pages["session "+id] = sessionPath(id)
		pages["runs of user "+id] = runsURL(id, "")
		pages["runs of session "+id] = runsURL("", id)
		pages["runs of user and session "+id] = runsURL(id, id)
		pages["runs 400 "+id] = runsURL(id, "") + "&sort=" + url.QueryEscape(id)
		d, err := r.GetUser(context.Background(), id)
		if err != nil || len(d.Runs) == 0 {
			t.Fatalf("%q: %v", id, err)
		}
		pages["run of "+id] = runPath(d.Runs[0].ID)
	}
	for name, target := range pages {
		res := get(t, h, target)
		if res.status >= 500 {
			t.Errorf("%s: status %d", name, res.status)
		}
		assertInert(t, name, res.body)
	}

	// The ids show as literal text, in full on hover.
	list := get(t, h, "/").body
	doc := parseHTML(t, list)
	got := map[string]bool{}
	for _, a := range findAll(doc, byTagClass("a", "uid")) {
		if text(a) != attr(a, "title") {
			t.Errorf("link text %q != title %q", text(a), attr(a, "title"))
		}
		got[text(a)] = true
	}
	for _, id := range hostile {
		if !got[id] {
			t.Errorf("user %q not listed as text", id)
		}
	}
	mustContain(t, list, "&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;")

	detail := get(t, h, userPath(hostile[0])).body
	doc = parseHTML(t, detail)
	if h1 := text(find(doc, byTagClass("h1", "user-id"))); h1 != hostile[0] {
		t.Errorf("heading %q", h1)
	}
	if title := text(find(doc, byTag("title"))); !strings.Contains(title, hostile[0]) {
		t.Errorf("title %q", title)
	}
	// Agent, workflow, model and session names are text too.
	mustContain(t, text(doc), hostile[1])
	for _, a := range findAll(doc, byTag("a")) {
		if href := attr(a, "href"); strings.HasPrefix(href, "/sessions/") && strings.ContainsAny(href, `<>"' `) {
			t.Errorf("session link not escaped: %q", href)
		}
	}
	// The search box echoes the search as a value, not as markup.
	doc = parseHTML(t, get(t, h, pages["search"]).body)
	if v := attr(find(doc, byID("f-search")), "value"); v != hostile[0] {
		t.Errorf("search value %q", v)
	}
}
