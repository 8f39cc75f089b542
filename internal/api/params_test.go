package api

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/store"
)

func TestParseListParamsErrors(t *testing.T) {
	tests := []struct {
		query string
		param string
	}{
		{"sort=name", paramSort},
		{"sort=--last_seen", paramSort},
		{"sort=LAST_SEEN", paramSort},
		{"sort=+run_count", paramSort}, // '+' decodes to a space
		{"sort=%2Brun_count", paramSort},
		{"sort=last_seen&sort=-run_count", paramSort},
		{"limit=0", paramLimit},
		{"limit=101", paramLimit},
		{"limit=-1", paramLimit},
		{"limit=ten", paramLimit},
		{"limit=1.5", paramLimit},
		{"limit=%2010", paramLimit},
		{"limit=99999999999999999999", paramLimit},
		{"limit=10&limit=10", paramLimit},
		{"offset=-1", paramOffset},
		{"offset=x", paramOffset},
		{"offset=1e3", paramOffset},
		{"offset=99999999999999999999", paramOffset},
		{"start=yesterday", paramStart},
		{"start=2026-01-15T08:30:00", paramStart},       // no zone
		{"start=2026-01-15T25:00:00Z", paramStart},      // hour
		{"start=2026-13-01", paramStart},                // month
		{"start=2026-01-15T08:30Z", paramStart},         // no seconds
		{"start=1768465800", paramStart},                // Unix seconds
		{"start=2026-01-15+08:30:00Z", paramStart},      // space for T
		{"end=2026-02-30", paramEnd},                    // no such day
		{"end=2026-01-15T08:30:00+0200", paramEnd},      // basic offset
		{"end=2026-01-15T08:30:00.Z", paramEnd},         // empty fraction
		{"start=2026-01-02&end=2026-01-01", paramStart}, // start after end
		{"start=2026-01-15T10:00:00Z&end=2026-01-15T11:00:00%2B02:00", paramStart},
		{"search=a&search=b", paramSearch},
		{"agent=a&agent=b", paramAgent},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			_, err := parseListParams(tt.query)
			var pe *paramError
			require.True(t, errors.As(err, &pe), "want a *paramError, got %v", err)
			assert.Equal(t, tt.param, pe.param)
			ae := pe.apiError()
			assert.Equal(t, 400, ae.status)
			assert.Equal(t, codeInvalidParameter, ae.body.Code)
			assert.Equal(t, tt.param, ae.body.Parameter)
			assert.Contains(t, ae.body.Message, tt.param)
		})
	}
}

func TestParseListParamsMalformedQuery(t *testing.T) {
	for _, q := range []string{"search=%zz", "limit=10;offset=5", "a=%"} {
		_, err := parseListParams(q)
		var qe *queryError
		require.True(t, errors.As(err, &qe), "%q: got %v", q, err)
		assert.Equal(t, codeInvalidQuery, qe.apiError().body.Code)
		assert.Equal(t, 400, qe.apiError().status)
	}
}

func TestParseListParams(t *testing.T) {
	date := func(y int, m time.Month, d, h, min, s, ns int) time.Time {
		return time.Date(y, m, d, h, min, s, ns, time.UTC)
	}
	tests := []struct {
		name  string
		query string
		want  store.UserQuery
		link  string // pageLink(offset 50)
	}{
		{
			name:  "defaults",
			query: "",
			want:  store.UserQuery{Sort: store.SortLastSeen, Desc: true, Limit: 25},
			link:  "?offset=50&limit=25",
		},
		{
			name:  "empty values are absent, unknown parameters ignored",
			query: "search=&agent=&start=&end=&sort=&limit=&offset=&page=3&format=csv",
			want:  store.UserQuery{Sort: store.SortLastSeen, Desc: true, Limit: 25},
			link:  "?offset=50&limit=25",
		},
		{
			name:  "seed example",
			query: "sort=-run_count&limit=10",
			want:  store.UserQuery{Sort: store.SortRunCount, Desc: true, Limit: 10},
			link:  "?offset=50&limit=10&sort=-run_count",
		},
		{
			name:  "ascending sort, bounds",
			query: "sort=total_duration&limit=100&offset=0",
			want:  store.UserQuery{Sort: store.SortTotalDuration, Limit: 100},
			link:  "?offset=50&limit=100&sort=total_duration",
		},
		{
			name:  "limit 1, leading zeros",
			query: "limit=01&offset=007",
			want:  store.UserQuery{Sort: store.SortLastSeen, Desc: true, Limit: 1, Offset: 7},
			link:  "?offset=50&limit=1",
		},
		{
			name:  "all filters, fixed link order, URL-encoded",
			query: "end=2026-02-01T00:00:00%2B02:00&offset=5&agent=chat+agent&search=a%26b%3Dc&start=2026-01-15&sort=-total_cost&limit=5",
			want: store.UserQuery{
				Search: "a&b=c", Agent: "chat agent",
				Start: date(2026, 1, 15, 0, 0, 0, 0), End: date(2026, 1, 31, 22, 0, 0, 0),
				Sort: store.SortTotalCost, Desc: true, Limit: 5, Offset: 5,
			},
			link: "?offset=50&limit=5&sort=-total_cost&search=a%26b%3Dc&agent=chat+agent" +
				"&start=2026-01-15T00%3A00%3A00Z&end=2026-01-31T22%3A00%3A00Z",
		},
		{
			name:  "fractional seconds and Z",
			query: "start=2026-01-15T08:30:00.123456789Z&end=2026-01-15T08:30:00.5Z",
			want: store.UserQuery{
				Start: date(2026, 1, 15, 8, 30, 0, 123456789), End: date(2026, 1, 15, 8, 30, 0, 500000000),
				Sort: store.SortLastSeen, Desc: true, Limit: 25,
			},
			link: "?offset=50&limit=25&start=2026-01-15T08%3A30%3A00.123456789Z&end=2026-01-15T08%3A30%3A00.5Z",
		},
		{
			name:  "unencoded + of an offset decodes to a space and is still accepted",
			query: "start=2026-01-15T10:30:00+02:00&end=2026-01-15T10:30:00-05:30",
			want: store.UserQuery{
				Start: date(2026, 1, 15, 8, 30, 0, 0), End: date(2026, 1, 15, 16, 0, 0, 0),
				Sort: store.SortLastSeen, Desc: true, Limit: 25,
			},
			link: "?offset=50&limit=25&start=2026-01-15T08%3A30%3A00Z&end=2026-01-15T16%3A00%3A00Z",
		},
		{
			name:  "start equal to end is an empty range, not an error",
			query: "start=2026-01-15&end=2026-01-15T00:00:00Z",
			want: store.UserQuery{
				Start: date(2026, 1, 15, 0, 0, 0, 0), End: date(2026, 1, 15, 0, 0, 0, 0),
				Sort: store.SortLastSeen, Desc: true, Limit: 25,
			},
			link: "?offset=50&limit=25&start=2026-01-15T00%3A00%3A00Z&end=2026-01-15T00%3A00%3A00Z",
		},
		{
			name:  "times beyond int64 nanoseconds are clamped for the store",
			query: "start=1000-01-01&end=9999-12-31",
			want: store.UserQuery{
				Start: time.Unix(0, math.MinInt64).UTC(), End: time.Unix(0, math.MaxInt64).UTC(),
				Sort: store.SortLastSeen, Desc: true, Limit: 25,
			},
			link: "?offset=50&limit=25&start=1000-01-01T00%3A00%3A00Z&end=9999-12-31T00%3A00%3A00Z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseListParams(tt.query)
			require.NoError(t, err)
			assert.Equal(t, tt.want.Search, p.query.Search)
			assert.Equal(t, tt.want.Agent, p.query.Agent)
			assert.True(t, tt.want.Start.Equal(p.query.Start), "start %v, want %v", p.query.Start, tt.want.Start)
			assert.True(t, tt.want.End.Equal(p.query.End), "end %v, want %v", p.query.End, tt.want.End)
			assert.Equal(t, tt.want.Sort, p.query.Sort)
			assert.Equal(t, tt.want.Desc, p.query.Desc)
			assert.Equal(t, tt.want.Limit, p.query.Limit)
			assert.Equal(t, tt.want.Offset, p.query.Offset)
			assert.Equal(t, tt.link, p.link(50, ""))
		})
	}
}

func TestParseSortEveryField(t *testing.T) {
	for _, f := range store.UserSortFields {
		field, desc, err := parseSort(f)
		require.NoError(t, err)
		assert.Equal(t, f, field)
		assert.False(t, desc)
		field, desc, err = parseSort("-" + f)
		require.NoError(t, err)
		assert.Equal(t, f, field)
		assert.True(t, desc)
	}
}

func TestPageLinks(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		query    string
		count    int64
		next     *string
		previous *string
	}{
		{"limit=10", 156, str("?offset=10&limit=10"), nil},
		{"limit=10&offset=10", 156, str("?offset=20&limit=10"), str("?offset=0&limit=10")},
		{"limit=10&offset=150", 156, nil, str("?offset=140&limit=10")},
		{"limit=10&offset=146", 156, nil, str("?offset=136&limit=10")},
		{"limit=10&offset=145", 156, str("?offset=155&limit=10"), str("?offset=135&limit=10")},
		{"limit=10&offset=5", 156, str("?offset=15&limit=10"), str("?offset=0&limit=10")},
		{"limit=10&offset=500", 156, nil, str("?offset=490&limit=10")},
		{"", 25, nil, nil},
		{"", 26, str("?offset=25&limit=25"), nil},
		{"", 0, nil, nil},
		{"offset=9223372036854775800", 10, nil, str("?offset=9223372036854775775&limit=25")},
		{"sort=run_count&search=x&limit=1", 2, str("?offset=1&limit=1&sort=run_count&search=x"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			p, err := parseListParams(tt.query)
			require.NoError(t, err)
			next, prev := p.pageLinks(tt.count)
			assert.Equal(t, tt.next, next)
			assert.Equal(t, tt.previous, prev)
		})
	}
}
