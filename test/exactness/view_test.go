package exactness

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/waxell/otelcol-waxell/internal/api"
	"github.com/waxell/otelcol-waxell/internal/store"
)

// apiClient reads a store through the REST API, over HTTP, from a handler
// mounted the way the exporter mounts it.
type apiClient struct {
	srv    *httptest.Server
	client *http.Client
	cur    *switchable
}

func newAPIClient(t testing.TB) *apiClient {
	t.Helper()
	cur := &switchable{}
	mux := http.NewServeMux()
	mux.Handle("/api/", api.NewHandler(cur, api.WithVerifier(cur)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &apiClient{srv: srv, client: srv.Client(), cur: cur}
}

func (c *apiClient) get(t testing.TB, target string) []byte {
	t.Helper()
	res, err := c.client.Get(c.srv.URL + target)
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, "GET %s: %s", target, body)
	return body
}

// listSorts is every sort order of the users list: 6 fields, both directions.
var listSorts = func() []string {
	var out []string
	for _, f := range store.UserSortFields {
		out = append(out, f, "-"+f)
	}
	return out
}()

// view is every answer of the read API: the users list in all 12 orders and
// every listed user's detail, as raw JSON. Run ids are zeroed in details:
// they are assigned in arrival order and legitimately differ.
type view struct {
	lists   map[string][]byte
	details map[string][]byte
}

const listLimit = 100

func (c *apiClient) view(t testing.TB) view {
	t.Helper()
	v := view{lists: map[string][]byte{}, details: map[string][]byte{}}
	var users []string
	for _, s := range listSorts {
		body := c.get(t, fmt.Sprintf("/api/v1/observability/users/?sort=%s&limit=%d", s, listLimit))
		v.lists[s] = body
		var l struct {
			Results []struct {
				UserID string `json:"user_id"`
			} `json:"results"`
			Count int `json:"count"`
		}
		require.NoError(t, json.Unmarshal(body, &l))
		require.Less(t, l.Count, listLimit, "the set must fit one page")
		require.Len(t, l.Results, l.Count)
		ids := make([]string, 0, len(l.Results))
		for _, r := range l.Results {
			ids = append(ids, r.UserID)
		}
		if users == nil {
			users = ids
		}
		require.ElementsMatch(t, users, ids, "sort %s lists other users", s)
	}
	for _, u := range users {
		v.details[u] = zeroRunIDs(t, c.get(t, "/api/v1/observability/users/"+url.PathEscape(u)+"/"))
	}
	return v
}

// verify asks the verification endpoint and fails on any difference.
func (c *apiClient) verify(t testing.TB, context string) {
	t.Helper()
	var res struct {
		OK          *bool     `json:"ok"`
		Differences *[]string `json:"differences"`
	}
	body := c.get(t, "/api/v1/admin/verify")
	require.NoError(t, json.Unmarshal(body, &res), string(body))
	require.NotNil(t, res.OK, string(body))
	require.NotNil(t, res.Differences, string(body))
	require.True(t, *res.OK && len(*res.Differences) == 0, "%s: verify found differences:\n%s", context, strings.Join(*res.Differences, "\n"))
}

var runIDField = regexp.MustCompile(`"id":[0-9]+`)

// zeroRunIDs checks that the run ids of a user detail are positive and
// distinct, then replaces them by 0. "id" is the only such key in a detail,
// and a key can never be confused with string content (quotes are escaped).
func zeroRunIDs(t testing.TB, body []byte) []byte {
	t.Helper()
	var d struct {
		Runs []struct {
			ID int64 `json:"id"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(body, &d), string(body))
	seen := map[int64]bool{}
	for _, r := range d.Runs {
		require.Positive(t, r.ID, string(body))
		require.False(t, seen[r.ID], "run id %d twice: %s", r.ID, body)
		seen[r.ID] = true
	}
	out := runIDField.ReplaceAll(body, []byte(`"id":0`))
	require.Equal(t, len(d.Runs), bytes.Count(out, []byte(`"id":0`)), string(body))
	return out
}

// diff lists every difference between two views, field by field, or
// nothing when they are byte-equal.
func (v view) diff(want view) []string {
	var out []string
	keys := func(m map[string][]byte) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	for _, k := range keys(want.lists) {
		if !bytes.Equal(v.lists[k], want.lists[k]) {
			out = append(out, jsonDiff("list?sort="+k, v.lists[k], want.lists[k])...)
		}
	}
	for _, k := range keys(want.details) {
		got, ok := v.details[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("user %q: missing", k))
		case !bytes.Equal(got, want.details[k]):
			out = append(out, jsonDiff("user "+k, got, want.details[k])...)
		}
	}
	for _, k := range keys(v.details) {
		if _, ok := want.details[k]; !ok {
			out = append(out, fmt.Sprintf("user %q: unexpected", k))
		}
	}
	return out
}

// jsonDiff describes how got differs from want, one line per leaf.
func jsonDiff(path string, got, want []byte) []string {
	var g, w any
	dg := json.NewDecoder(bytes.NewReader(got))
	dg.UseNumber()
	dw := json.NewDecoder(bytes.NewReader(want))
	dw.UseNumber()
	if dg.Decode(&g) != nil || dw.Decode(&w) != nil {
		return []string{fmt.Sprintf("%s: got %s, want %s", path, got, want)}
	}
	var out []string
	walkDiff(path, g, w, &out)
	if len(out) == 0 {
		// Same values, different bytes (key order, number form).
		out = append(out, fmt.Sprintf("%s: got %s, want %s", path, got, want))
	}
	return out
}

func walkDiff(path string, g, w any, out *[]string) {
	switch wv := w.(type) {
	case map[string]any:
		gv, ok := g.(map[string]any)
		if !ok {
			break
		}
		ks := make([]string, 0, len(wv)+len(gv))
		for k := range wv {
			ks = append(ks, k)
		}
		for k := range gv {
			if _, dup := wv[k]; !dup {
				ks = append(ks, k)
			}
		}
		slices.Sort(ks)
		for _, k := range ks {
			walkDiff(path+"."+k, gv[k], wv[k], out)
		}
		return
	case []any:
		gv, ok := g.([]any)
		if !ok {
			break
		}
		for i := range max(len(gv), len(wv)) {
			var gi, wi any = "<absent>", "<absent>"
			if i < len(gv) {
				gi = gv[i]
			}
			if i < len(wv) {
				wi = wv[i]
			}
			walkDiff(fmt.Sprintf("%s[%d]", path, i), gi, wi, out)
		}
		return
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		*out = append(*out, fmt.Sprintf("%s: got %s, want %s", path, gb, wb))
	}
}

// users decodes the users of a view's list: user id -> runs and tokens.
func (v view) users(t testing.TB) map[string]userWant {
	t.Helper()
	var l struct {
		Results []struct {
			UserID      string `json:"user_id"`
			RunCount    int64  `json:"run_count"`
			TotalTokens int64  `json:"total_tokens"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal(v.lists[listSorts[0]], &l))
	out := map[string]userWant{}
	for _, r := range l.Results {
		out[r.UserID] = userWant{Runs: r.RunCount, Tokens: r.TotalTokens}
	}
	return out
}
