package ui

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/waxell/otelcol-waxell/internal/api"
	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
)

// TestExportLink: the list's "Export CSV" link is the REST API's export of
// the same users in the same order, for filtered, sorted and ranged views
// (a preset range resolved to its start).
func TestExportLink(t *testing.T) {
	st := highUsageStore(t)
	stats := flags.NewCache(st, time.Minute)
	h := newTestHandler(st, WithFlags(stats))
	apiHandler := api.NewHandler(st, api.WithFlagCache(stats))
	for _, view := range []string{
		"/?limit=100",
		"/?limit=100&sort=total_cost&search=u-1",
		"/?limit=100&range=24h&sort=-run_count",
		"/?limit=100&range=custom&start=2026-02-06&end=2026-02-07&sort=first_seen",
		"/?limit=100&flag=high_usage",
		"/?limit=100&agent=chat-agent&sort=-total_tokens",
	} {
		doc := parseHTML(t, get(t, h, view).body)
		var want []string
		for _, a := range findAll(doc, byTagClass("a", "uid")) {
			want = append(want, text(a))
		}
		if len(want) == 0 {
			t.Fatalf("%s lists nobody; the test data is wrong", view)
		}
		href, got := exportedIDs(t, apiHandler, doc, "users")
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: the export %s has %v, the page %v", view, href, got, want)
		}
	}
}

// TestRunsExportLink: the runs list's "Export CSV" link is the REST API's
// export of every run of the list, in the list's order, for filtered
// lists too (the agent, and the range resolved to RFC 3339 times in UTC).
func TestRunsExportLink(t *testing.T) {
	r, _ := runsFixture(t)
	h := newTestHandler(r)
	apiHandler := api.NewHandler(r.(*sqlite.Store))
	for _, view := range []string{
		runsURL("hana", ""),
		runsURL("hana", "") + "&sort=started_at",
		runsURL("", "s/a"),
		runsURL("hana", "s/a") + "&sort=started_at",
		runsURL("hana", "") + "&agent=chat-agent&range=custom&start=2026-02-07&end=2026-02-07&sort=started_at",
		runsURL("lena", "") + "&range=30d",
		runsURL("hana", "") + "&range=custom&start=2026-02-07T00%3A00%3A00%2B02%3A00&end=2026-02-07T12%3A30%3A00Z",
	} {
		doc := parseHTML(t, get(t, h, view).body)
		var want []string
		for target := view; target != ""; {
			doc := parseHTML(t, get(t, h, target).body)
			for _, row := range runRowsOf(t, doc) {
				want = append(want, strconv.FormatInt(row.id, 10))
			}
			target = pagerLinks(doc)["next"]
		}
		href, got := exportedIDs(t, apiHandler, doc, "runs")
		if len(want) <= runsPerPage || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: the export %s has %v, the pages %v", view, href, got, want)
		}
	}
}

// exportedIDs follows the "Export CSV" link of the page doc, a list of
// kind ("users", "runs"), through the REST API and returns the link and
// the first column of the CSV's rows.
func exportedIDs(t *testing.T, apiHandler http.Handler, doc *html.Node, kind string) (href string, ids []string) {
	t.Helper()
	href = attr(find(doc, byID("export-csv")), "href")
	if u, err := url.Parse(href); err != nil || u.Path != "/api/v1/observability/"+kind+"/" || u.Query().Get("format") != "csv" {
		t.Fatalf("export link %q", href)
	}
	res := get(t, apiHandler, href)
	if res.status != http.StatusOK {
		t.Fatalf("%s answered %d: %s", href, res.status, res.body)
	}
	rows, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		ids = append(ids, r[0])
	}
	return href, ids
}
