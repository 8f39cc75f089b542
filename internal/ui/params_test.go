package ui

import (
	"testing"
	"time"
)

func TestListStateURLRoundTrip(t *testing.T) {
	now := time.Date(2026, 2, 7, 15, 4, 0, 0, time.UTC)
	for _, q := range []string{
		"",
		"search=a+b%26c",
		"agent=chat-agent&range=7d&sort=-total_cost&limit=50&offset=100",
		"range=custom&start=2026-01-01&end=2026-01-31",
		"range=custom&start=2026-01-01T10%3A00%3A00Z",
		"sort=run_count",
		"sort=-total_cost&cursor=eyJzIjoiLXRvdGFsX2Nvc3QiLCJ2IjoxMjMsImkiOiJhL2IgYyJ9&page=3",
		"before=eyJzIjoiLWxhc3Rfc2VlbiIsInYiOi01LCJpIjoi4pyTIn0&page=2",
		"agent=x&page=last",
		"page=4",
	} {
		st, err := parseListState(q, now)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		want := "/"
		if q != "" {
			want = "/?" + q
		}
		if got := st.URL(); got != want {
			t.Errorf("URL of %q = %q, want %q", q, got, want)
		}
	}
	// Defaults are left out; a preset range drops the dates a form sends.
	st, err := parseListState("sort=-last_seen&limit=25&offset=0&page=1&range=all&start=2026-01-01&search=", now)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.URL(); got != "/" {
		t.Errorf("canonical URL %q", got)
	}
	// Start and end without range make a custom range.
	st, err = parseListState("end=2026-01-31", now)
	if err != nil {
		t.Fatal(err)
	}
	if st.Range.Kind != rangeCustom || !st.Range.End.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)) || !st.Range.Start.IsZero() {
		t.Errorf("range %+v", st.Range)
	}
	if st.Range.EndDate() != "2026-01-31" || st.Range.Label() != "until 2026-01-31" {
		t.Errorf("end date %q label %q", st.Range.EndDate(), st.Range.Label())
	}
}

// TestRangeLabel: a custom bound given as a date is named by its date (an
// end inclusive), one given with a time by that exact time, in UTC.
func TestRangeLabel(t *testing.T) {
	now := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ query, want string }{
		{"start=2026-01-05", "since 2026-01-05"},
		{"start=2026-01-05&end=2026-01-31", "2026-01-05 to 2026-01-31"},
		{"start=2026-01-05T09:00:00Z", "since 2026-01-05 09:00 UTC"},
		{"start=2026-01-05T09:00:00%2B02:00", "since 2026-01-05 07:00 UTC"},
		{"start=2026-01-05T09:00:30.5Z", "since 2026-01-05 09:00:30.5 UTC"},
		{"end=2026-02-01T00:00:00Z", "until 2026-02-01 00:00 UTC"},
		{"start=2026-01-05&end=2026-01-06T15:30:00Z", "2026-01-05 to 2026-01-06 15:30 UTC"},
	} {
		st, err := parseListState(tc.query, now)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		if got := st.Range.Label(); got != tc.want {
			t.Errorf("label of %s = %q, want %q", tc.query, got, tc.want)
		}
	}
}

func TestUserURL(t *testing.T) {
	for _, tc := range []struct {
		id   string
		tr   timeRange
		want string
	}{
		{"alice", timeRange{Kind: rangeAll}, "/users/alice"},
		{"a/b c", timeRange{Kind: range7d, Explicit: true}, "/users/a%2Fb%20c?range=7d"},
		{"..", timeRange{Kind: range24h, Explicit: true}, "/users/?id=..&range=24h"},
		{"x", timeRange{Kind: rangeCustom, Explicit: true, StartRaw: "2026-01-01"}, "/users/x?range=custom&start=2026-01-01"},
	} {
		if got := userURL(tc.id, tc.tr); got != tc.want {
			t.Errorf("userURL(%q) = %q, want %q", tc.id, got, tc.want)
		}
	}
}
