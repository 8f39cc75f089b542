package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed static templates
var assetsFS embed.FS

// staticFile is one embedded asset, served with a strong ETag.
type staticFile struct {
	body        []byte
	contentType string
	etag        string
	version     string // short content hash, for cache-busting URLs
}

var staticFiles = loadStatic()

func loadStatic() map[string]*staticFile {
	files := map[string]*staticFile{}
	err := fs.WalkDir(assetsFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assetsFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		v := hex.EncodeToString(sum[:6])
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		files[strings.TrimPrefix(p, "static/")] = &staticFile{body: b, contentType: ct, etag: `"` + v + `"`, version: v}
		return nil
	})
	if err != nil {
		panic("ui: cannot load embedded assets: " + err.Error())
	}
	return files
}

// assetURL is the cache-busting URL of an embedded asset.
func assetURL(name string) string {
	f, ok := staticFiles[name]
	if !ok {
		panic("ui: no embedded asset " + name)
	}
	return "/static/" + name + "?v=" + f.version
}

func serveStatic(w http.ResponseWriter, r *http.Request, name string) {
	f, ok := staticFiles[name]
	if !ok {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("404 page not found\n"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", f.etag)
	if r.URL.Query().Get("v") == f.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(f.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(f.body)
	}
}

// Templates: one set per page, each with the shared layout.
var (
	listTmpl     = parsePage("list.html")
	detailTmpl   = parsePage("detail.html")
	errorTmpl    = parsePage("error.html")
	overviewTmpl = parsePage("overview.html")
	sessionTmpl  = parsePage("session.html")
	runTmpl      = parsePage("run.html")
	runsTmpl     = parsePage("runs.html")
)

func parsePage(name string) *template.Template {
	return template.Must(template.New(name).Funcs(templateFuncs).ParseFS(assetsFS, "templates/layout.html",
		"templates/parts.html", "templates/"+name))
}

var templateFuncs = template.FuncMap{
	"usd":      formatUSD,
	"usdExact": formatUSDExact,
	"num":      formatInt,
	"dur":      formatDuration,
	"rel":      formatRelative,
	"utc":      formatUTC,
	"iso":      formatISO,
	"pct":      formatPercent,
	"asset":    assetURL,
	"userURL":  userURL,
	"userPath": userPath,
	"runPath":  runPath,
	"totals": func(of any, now int64, first, last string) totalsView {
		return totalsView{Of: of, Now: now, First: first, Last: last}
	},
	"runStart": func(id, start, now int64) runStart { return runStart{ID: id, Time: timeOf(start, now)} },
	"timeOf":   timeOf,
	"more":     func(list []string, n int) int { return len(list) - n },
}

// totalsView is what the "totals" cards show: Of has the aggregates of a
// user or a session (RunCount, TotalCost, TotalTokens, TotalDuration,
// FirstSeen, LastSeen), First and Last name its first and last times.
type totalsView struct {
	Of          any
	Now         int64
	First, Last string
}

// runStart is a run's start time, linked to the run's page.
type runStart struct {
	ID   int64
	Time relTime
}

// relTime is a time shown relative to now, with the absolute UTC time.
type relTime struct{ ISO, UTC, Rel string }

func timeOf(t, now int64) relTime {
	return relTime{ISO: formatISO(t), UTC: formatUTC(t), Rel: formatRelative(t, now)}
}
