// Package browser starts headless Chromium for the UI's browser tests and
// screenshots, with the flags that keep it quiet, offline and reproducible.
package browser

import (
	"context"
	"os"

	"github.com/chromedp/chromedp"
)

// DefaultPath is Debian's chromium package.
const DefaultPath = "/usr/bin/chromium"

// Path is the Chromium binary: $CHROMIUM if set, else DefaultPath.
func Path() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return DefaultPath
}

// New starts a headless Chromium whose profile lives in userDataDir and
// returns a context for one tab. cancel closes the browser.
func New(parent context.Context, execPath, userDataDir string) (context.Context, context.CancelFunc) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(userDataDir),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(parent, opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	return ctx, func() { cancelCtx(); cancelAlloc() }
}
