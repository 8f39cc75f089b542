package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/grpc/codes"

	"github.com/waxell/otelcol-waxell/internal/testutil/collectortest"
)

func sqliteStore(t *testing.T) storeConfig {
	return storeConfig{driver: "sqlite", path: filepath.Join(t.TempDir(), "data", "waxell.db")}
}

var backends = []struct {
	name  string
	store func(t *testing.T) storeConfig
}{
	{"sqlite", sqliteStore},
	{"postgres", postgresStore},
}

// TestAPIRefusesUnauthenticatedPublicAddress: an API on a non-loopback
// address without an authenticator is refused by `validate` and at start,
// unless the config says allow_unauthenticated: true.
func TestAPIRefusesUnauthenticatedPublicAddress(t *testing.T) {
	c := newCollector(t, options{store: sqliteStore(t), apiHost: "0.0.0.0"})
	out, err := exec.Command(binary, "validate", "--config", c.ConfigPath()).CombinedOutput()
	if err == nil {
		t.Fatalf("validate accepted an unauthenticated API on 0.0.0.0:\n%s", out)
	}
	const msg = "which is not a loopback address, without authentication"
	if !strings.Contains(string(out), msg) {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	if err := c.Spawn(); err != nil {
		t.Fatal(err)
	}
	if !c.WaitExit(readyTimeout) {
		t.Fatal("the collector started with an unauthenticated API on 0.0.0.0")
	}
	if c.ExitErr() == nil || !strings.Contains(c.Log(), msg) {
		t.Fatalf("exit %v; log:\n%s", c.ExitErr(), c.LogTail(10))
	}

	open := startCollector(t, options{store: sqliteStore(t), apiHost: "0.0.0.0", api: "allow_unauthenticated: true"})
	if code, _ := open.api("/api/v1/observability/users/"); code != http.StatusOK {
		t.Fatalf("explicitly unauthenticated API: status %d", code)
	}
	open.waitLog(t, "without authentication on a non-loopback address", 10*time.Second)
}

// TestBearerTokenAuth: with `auth: {authenticator: bearertokenauth}` every
// API, UI and admin route needs the token.
func TestBearerTokenAuth(t *testing.T) {
	const token = "s3cret-t0ken-for-tests"
	c := startCollectorAuth(t, token)
	if !c.send(1) {
		t.Fatal("trace refused")
	}
	for _, path := range []string{"/api/v1/observability/users/", "/api/v1/observability/users/fault-user-1/",
		"/api/v1/admin/verify", "/api/v1/openapi.json", "/", "/users/fault-user-1", "/static/app.css", "/nothing"} {
		for _, hdr := range []map[string]string{nil, {"Authorization": "Bearer wrong"}, {"Authorization": token},
			{"Authorization": "Basic " + token}} {
			code, _, err := c.request(http.MethodGet, c.apiURL+path, nil, hdr)
			if err != nil || code != http.StatusUnauthorized {
				t.Errorf("GET %s with %v: status %d, error %v; want 401", path, hdr, code, err)
			}
		}
	}
	ok := map[string]string{"Authorization": "Bearer " + token}
	var code int
	var body []byte
	var err error
	if !collectortest.Poll(dataTimeout, func() bool {
		code, body, err = c.request(http.MethodGet, c.apiURL+"/api/v1/observability/users/fault-user-1/", nil, ok)
		return err == nil && code == http.StatusOK
	}) {
		t.Fatalf("with the token: status %d, error %v: %s", code, err, body)
	}
	for _, path := range []string{"/api/v1/admin/verify", "/"} {
		if code, _, err := c.request(http.MethodGet, c.apiURL+path, nil, ok); err != nil || code != http.StatusOK {
			t.Errorf("GET %s with the token: status %d, error %v", path, code, err)
		}
	}
}

func startCollectorAuth(t *testing.T, token string) *collector {
	t.Helper()
	o := options{store: sqliteStore(t), apiHost: "0.0.0.0", api: "auth:\n  authenticator: bearertokenauth",
		extensions: "bearertokenauth:\n  token: " + token, extNames: []string{"bearertokenauth"}}
	// The API needs a token: the collector is ready when the health check is.
	o.healthOnly = true
	return startCollector(t, o)
}

// hostile strings: SQL injection attempts, LIKE wildcards, markup and
// attribute breakers, used as user ids and agent names.
var hostile = []string{
	`' OR '1'='1`,
	`x'; DROP TABLE users; --`,
	`"); DELETE FROM runs; --`,
	`Robert'); DROP TABLE spans;--`,
	`%_\`,
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`' UNION SELECT user_id, 1, 1, 1, 1, 1, 1 FROM users --`,
}

// TestHostileInput stores users and agents named like SQL injections and
// markup, then sends them back through every parameter of the API and the
// UI (search, agent, sort, cursor, ids in paths), on both stores: nothing
// fails (no 500), ids round-trip exactly, wildcards match literally, the
// UI escapes every one, and the data is intact afterwards.
func TestHostileInput(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := startCollector(t, options{store: b.store(t)})
			want := map[string]totals{}
			for i, h := range hostile {
				td := traceFor(i, h, h)
				if code, err := c.sendHTTP(td); err != nil || code != http.StatusOK {
					t.Fatalf("send %q: %d %v", h, code, err)
				}
				in, out := tokensOf(i)
				want[h] = totals{Runs: 1, Tokens: in + out, CostMicros: costMicrosOf(i)}
			}
			c.waitTotals(t, want, dataTimeout)

			status := func(path string) (int, []byte) {
				t.Helper()
				code, body := c.api(path)
				if code == http.StatusInternalServerError || code == 0 {
					t.Errorf("GET %s: status %d: %s", path, code, body)
				}
				return code, body
			}
			for _, h := range hostile {
				q := url.QueryEscape(h)
				p := url.PathEscape(h)
				for _, path := range []string{
					"/api/v1/observability/users/?search=" + q,
					"/api/v1/observability/users/?agent=" + q,
					"/api/v1/observability/users/?sort=" + q,
					"/api/v1/observability/users/?sort=-" + q,
					"/api/v1/observability/users/?cursor=" + q,
					"/api/v1/observability/users/?start=" + q,
					"/api/v1/observability/users/?limit=" + q,
					"/api/v1/observability/users/?format=" + q,
					"/api/v1/observability/users/" + p + "/timeseries/?bucket=" + q,
					"/api/v1/observability/sessions/?search=" + q + "&sort=" + q,
					"/api/v1/observability/sessions/" + p + "/",
					"/api/v1/observability/runs/" + p + "/",
					"/api/v1/observability/overview/?start=" + q,
				} {
					status(path)
				}

				// The id round-trips exactly through the path.
				code, body := status("/api/v1/observability/users/" + p + "/")
				var d struct {
					UserID string `json:"user_id"`
				}
				if code != http.StatusOK || json.Unmarshal(body, &d) != nil || d.UserID != h {
					t.Errorf("user %q: status %d, body %s", h, code, body)
				}
				// Search finds exactly the users containing the string.
				_, body = status("/api/v1/observability/users/?limit=100&search=" + q)
				assertUsers(t, "search "+h, body, func(u string) bool { return strings.Contains(strings.ToLower(u), strings.ToLower(h)) })
				_, body = status("/api/v1/observability/users/?limit=100&agent=" + q)
				assertUsers(t, "agent "+h, body, func(u string) bool { return u == h })

				// The UI escapes it everywhere.
				for _, path := range []string{"/?search=" + q, "/?agent=" + q, "/users/" + p, "/?sort=" + q} {
					code, page, err := c.Get(c.apiURL + path)
					if err != nil || code == http.StatusInternalServerError {
						t.Errorf("UI %s: %d %v", path, code, err)
					}
					if strings.ContainsAny(h, "<>\"") && bytes.Contains(page, []byte(h)) {
						t.Errorf("UI %s shows %q unescaped", path, h)
					}
				}
			}
			for _, wildcard := range []string{"%", "_", `\`} {
				_, body := status("/api/v1/observability/users/?limit=100&search=" + url.QueryEscape(wildcard))
				assertUsers(t, "wildcard "+wildcard, body, func(u string) bool { return strings.Contains(u, wildcard) })
			}
			// Nothing was dropped or changed.
			c.waitTotals(t, want, time.Second)
		})
	}
}

func assertUsers(t *testing.T, what string, body []byte, match func(string) bool) {
	t.Helper()
	var page struct {
		Results []struct {
			UserID string `json:"user_id"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Errorf("%s: %v: %s", what, err, body)
		return
	}
	got := map[string]bool{}
	for _, r := range page.Results {
		got[r.UserID] = true
	}
	for _, h := range hostile {
		if got[h] != match(h) {
			t.Errorf("%s: user %q listed %v, want %v", what, h, got[h], match(h))
		}
	}
}

// TestPseudonymisationLeavesNoRawID: with privacy.pseudonymize on, neither
// the database (every table, and for SQLite every byte of its files) nor
// the collector's log holds a raw user id.
func TestPseudonymisationLeavesNoRawID(t *testing.T) {
	raw := func(n int) string { return fmt.Sprintf("raw-user-%d@example.com", n%5) }
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			st := b.store(t)
			c := startCollector(t, options{store: st, processor: "privacy:\n  pseudonymize:\n    enabled: true\n    key: 0123456789abcdef0123456789abcdef"})
			for n := range 25 {
				if code, err := c.sendHTTP(traceFor(n, raw(n), "agent")); err != nil || code != http.StatusOK {
					t.Fatalf("send: %d %v", code, err)
				}
			}
			var got map[string]totals
			var err error
			if !collectortest.Poll(dataTimeout, func() bool {
				got, err = c.currentTotals()
				return err == nil && len(got) == 5
			}) {
				t.Fatalf("users did not show: %v %v", got, err)
			}
			for u := range got {
				if len(u) != 64 || strings.Contains(u, "raw-user") {
					t.Fatalf("stored user id %q is not a pseudonym", u)
				}
			}
			c.verify(t)
			if err := c.Stop(); err != nil {
				t.Fatal(err)
			}
			needles := []string{"raw-user-", "example.com"}
			var haystacks map[string][]byte
			if st.driver == "sqlite" {
				haystacks = sqliteFiles(t, filepath.Dir(st.path))
			} else {
				haystacks = postgresTables(t, st.dsn)
			}
			haystacks["collector log"] = []byte(c.Log())
			for where, data := range haystacks {
				for _, n := range needles {
					if bytes.Contains(data, []byte(n)) {
						t.Errorf("%s holds a raw user id (%q)", where, n)
					}
				}
			}
			t.Logf("scanned %d files/tables", len(haystacks))
		})
	}
}

func sqliteFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	if len(out) == 0 {
		t.Fatal("no database files")
	}
	return out
}

func postgresTables(t *testing.T, dsn string) map[string][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, name := range names {
		var dump string
		if err := conn.QueryRow(ctx, `SELECT coalesce(string_agg(t::text, E'\n'), '') FROM `+
			pgx.Identifier{name}.Sanitize()+` t`).Scan(&dump); err != nil {
			t.Fatal(err)
		}
		out["table "+name] = []byte(dump)
	}
	if len(out) < 8 {
		t.Fatalf("only %d tables", len(out))
	}
	return out
}

// TestRequestSizeLimits: the OTLP receiver refuses bodies over its
// defaults (HTTP 20 MiB, gRPC 4 MiB) and the API refuses URLs over 16 KiB,
// without affecting later requests.
func TestRequestSizeLimits(t *testing.T) {
	c := startCollector(t, options{store: sqliteStore(t)})
	big := traceFor(1, "big", "agent")
	big.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().PutStr("payload", strings.Repeat("x", 21<<20))
	code, err := c.sendHTTP(big)
	if err != nil || (code != http.StatusRequestEntityTooLarge && code != http.StatusBadRequest) {
		t.Errorf("OTLP/HTTP body of 21 MiB: status %d, error %v; want 413 or 400", code, err)
	}
	t.Logf("OTLP/HTTP over 20 MiB: status %d", code)
	mid := ptrace.NewTraces()
	traceFor(2, "mid", "agent").CopyTo(mid)
	mid.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().PutStr("payload", strings.Repeat("x", 5<<20))
	if got := c.sendGRPC(mid); got != codes.ResourceExhausted {
		t.Errorf("OTLP/gRPC message of 5 MiB: %s, want ResourceExhausted", got)
	}
	if code, _ := c.api("/api/v1/observability/users/?search=" + strings.Repeat("a", 17<<10)); code != http.StatusRequestURITooLong {
		t.Errorf("API URL of 17 KiB: status %d, want 414", code)
	}
	if code, _, err := c.request(http.MethodPost, c.apiURL+"/api/v1/observability/users/", bytes.Repeat([]byte("x"), 1<<20), nil); err != nil || code != http.StatusMethodNotAllowed {
		t.Errorf("API POST: status %d, error %v; want 405", code, err)
	}
	if !c.send(3) {
		t.Fatal("a normal request after the refused ones failed")
	}
	c.waitTotals(t, expected([]int{3}), dataTimeout)
}
