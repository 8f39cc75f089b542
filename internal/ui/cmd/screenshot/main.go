// Command screenshot renders the UI's pages in headless Chromium and writes
// PNG screenshots for the documentation:
//
//	go run ./internal/ui/cmd/screenshot -out docs/screenshots
//
// It fills private SQLite stores with the demo data sets (light and a
// realistic 50 users), serves the UI on a loopback port and captures the
// users list, a user's page, the overview, a session, a run and a user's
// runs list at desktop and phone widths. With -serve it
// only serves the realistic data set until interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/waxell/otelcol-waxell/internal/flags"
	"github.com/waxell/otelcol-waxell/internal/genai"
	"github.com/waxell/otelcol-waxell/internal/store"
	"github.com/waxell/otelcol-waxell/internal/store/sqlite"
	"github.com/waxell/otelcol-waxell/internal/ui"
	"github.com/waxell/otelcol-waxell/internal/ui/internal/browser"
	"github.com/waxell/otelcol-waxell/internal/ui/internal/demo"
)

func main() {
	out := flag.String("out", "docs/screenshots", "directory for the PNG files")
	chromium := flag.String("chromium", browser.Path(), "Chromium binary")
	serve := flag.String("serve", "", "only serve the realistic data set on this address (e.g. 127.0.0.1:8480)")
	flag.Parse()
	if err := run(*out, *chromium, *serve); err != nil {
		log.Fatal(err)
	}
}

// now is the fixed "now" of the screenshots, so relative times are stable.
var now = time.Date(2026, 2, 7, 15, 4, 0, 0, time.UTC)

func openStore(dir, name string, spans []genai.Span) (*sqlite.Store, error) {
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, name+".db")})
	if err != nil {
		return nil, err
	}
	if len(spans) > 0 {
		if _, err := s.ApplySpans(context.Background(), spans); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func handler(s *sqlite.Store) http.Handler {
	return ui.NewHandler(s, ui.WithClock(func() time.Time { return now }), ui.WithFlags(flags.NewCache(s, time.Minute)))
}

func run(out, chromium, serve string) error {
	dir, err := os.MkdirTemp("", "waxell-screenshots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	light, err := openStore(dir, "light", demo.Light(now))
	if err != nil {
		return err
	}
	defer light.Close()
	realistic, err := openStore(dir, "realistic", demo.Realistic(now))
	if err != nil {
		return err
	}
	defer realistic.Close()
	empty, err := openStore(dir, "empty", nil)
	if err != nil {
		return err
	}
	defer empty.Close()

	if serve != "" {
		ln, err := net.Listen("tcp", serve)
		if err != nil {
			return err
		}
		log.Printf("serving the realistic data set on http://%s/", ln.Addr())
		srv := &http.Server{Handler: handler(realistic), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		<-ctx.Done()
		return srv.Close()
	}

	top, err := realistic.ListUsers(context.Background(), store.UserQuery{Sort: store.SortTotalCost, Desc: true, Limit: 1})
	if err != nil || len(top.Users) == 0 {
		return fmt.Errorf("no users in the realistic data set: %v", err)
	}
	topUser := top.Users[0].UserID

	servers := map[string]*httptest.Server{
		"light":     httptest.NewServer(handler(light)),
		"realistic": httptest.NewServer(handler(realistic)),
		"empty":     httptest.NewServer(handler(empty)),
	}
	for _, s := range servers {
		defer s.Close()
	}
	shots := []struct {
		file, server, path string
		width              int64
		phone              bool   // one phone screen (390x844 at 2x), not the full page
		click              string // a link to follow first (pages addressed by cursor)
	}{
		{"users-list-light.png", "light", "/", 1280, false, ""},
		{"user-detail-light.png", "light", "/users/user-456", 1280, false, ""},
		{"users-list.png", "realistic", "/?sort=-total_cost", 1280, false, ""},
		{"users-list-page-2.png", "realistic", "/?sort=-total_cost", 1280, false, `a[rel="next"]`},
		{"user-detail.png", "realistic", "/users/" + url.PathEscape(topUser), 1280, false, ""},
		{"users-list-phone.png", "realistic", "/?sort=-total_cost", 390, true, ""},
		{"user-detail-phone.png", "realistic", "/users/" + url.PathEscape(topUser), 390, true, ""},
		{"users-list-filtered.png", "realistic", "/?agent=code-agent&range=7d&sort=-run_count&limit=10", 1280, false, ""},
		{"users-list-empty.png", "empty", "/", 1280, false, ""},
		{"overview.png", "realistic", "/overview?range=30d", 1280, false, ""},
		{"session.png", "realistic", "/users/" + url.PathEscape(topUser), 1280, false, `#runs a[href^="/sessions/"]`},
		{"run.png", "realistic", "/users/" + url.PathEscape(topUser), 1280, false, `#runs tbody tr:first-child td.when a`},
		{"runs.png", "realistic", "/users/" + url.PathEscape(topUser), 1280, false, `#all-runs`},
	}

	ctx, cancel := browser.New(context.Background(), chromium, filepath.Join(dir, "chromium"))
	defer cancel()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, sh := range shots {
		viewport := chromedp.EmulateViewport(sh.width, 900)
		shot := chromedp.FullScreenshot(100)
		if sh.phone {
			viewport = chromedp.EmulateViewport(sh.width, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)
			shot = chromedp.CaptureScreenshot()
		}
		err := chromedp.Do(ctx,
			viewport,
			chromedp.Navigate(servers[sh.server].URL+sh.path),
			chromedp.WaitReady(chromedp.CSS("footer")),
		)
		if err != nil {
			return fmt.Errorf("%s: %w", sh.file, err)
		}
		if sh.click != "" {
			if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sh.click))); err != nil {
				return fmt.Errorf("%s: follow %s: %w", sh.file, sh.click, err)
			}
			if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS("footer"))); err != nil {
				return fmt.Errorf("%s: %w", sh.file, err)
			}
		}
		png, err := chromedp.Run(ctx, shot)
		if err != nil {
			return fmt.Errorf("%s: %w", sh.file, err)
		}
		p := filepath.Join(out, sh.file)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			return err
		}
		log.Printf("wrote %s (%d bytes)", p, len(png))
	}
	return nil
}
