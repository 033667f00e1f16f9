// Package apidocs serves /docs: the server's own OpenAPI document,
// GET /openapi.json, rendered in a browser by Redoc. Redoc's standalone
// bundle is vendored from npm (vendor.sh pins its version and checksum)
// and embedded, so the page needs nothing from another site, at build time
// or run time.
package apidocs

//go:generate ./vendor.sh

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"html/template"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed redoc.standalone.js
var redoc []byte

// scriptName names the bundle by its checksum, so that a browser may keep
// it for ever: another bundle, in another build, has another name.
var scriptName = func() string {
	sum := sha256.Sum256(redoc)
	return "redoc." + hex.EncodeToString(sum[:6]) + ".js"
}()

// The page's URLs are relative, so that it works behind a proxy that
// serves Roster under a path prefix: from /docs, "docs/x" is /docs/x and
// "openapi.json" is /openapi.json, beside it. The <redoc> element is all
// the bundle needs: on load it renders the spec-url it names, so the page
// has no script of its own.
var page = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Roster API</title>
<style>body { margin: 0; }</style>
</head>
<body>
<redoc spec-url="openapi.json"></redoc>
<script src="docs/{{.}}"></script>
</body>
</html>
`))

// policy is the page's Content-Security-Policy: what Redoc needs from the
// page's own origin and nothing else (measured in Chromium: TestChromium
// fails on any other refusal). Scripts come only from the bundle; styles
// may be inline because Redoc (styled-components) writes <style> elements;
// its search index runs in a worker that it makes from a blob: URL; its
// icons are data: images. Its "API docs by Redocly" logo, from Redocly's
// CDN, is refused, and Redoc then leaves it out. No form, no frame, no
// <base>.
const policy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; worker-src blob:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves /docs: the page, its script, and 404 for anything else
// under /docs/. GET patterns answer HEAD too; other methods get a 405.
// Like /openapi.json, they need no credentials.
func Handler() http.Handler {
	var html bytes.Buffer
	if err := page.Execute(&html, scriptName); err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	// The page names the script of the binary that serves it: browsers
	// must ask again, cheaply, with its ETag.
	mux.Handle("GET /docs", newAsset(html.Bytes(), "text/html; charset=utf-8", "no-cache", http.Header{
		"Content-Security-Policy": {policy},
		"Referrer-Policy":         {"no-referrer"},
	}))
	mux.Handle("GET /docs/"+scriptName, newAsset(redoc, "text/javascript; charset=utf-8",
		"public, max-age=31536000, immutable", nil).compressed())
	mux.HandleFunc("GET /docs/{$}", func(w http.ResponseWriter, r *http.Request) {
		// Relative, as the page's own URLs are.
		w.Header().Set("Location", "../docs")
		w.WriteHeader(http.StatusMovedPermanently)
	})
	mux.HandleFunc("/docs", otherwise)
	mux.HandleFunc("/docs/", otherwise)
	return mux
}

// otherwise answers what the GET patterns do not match.
func otherwise(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	http.NotFound(w, r)
}

// asset is one response of /docs, its headers made once.
type asset struct {
	body   []byte
	header http.Header
	// gzipped, when not nil, is body gzip-compressed, for the browsers
	// that take it: the bundle is a third of its size so. It compresses
	// on first demand, so that serve starts no slower.
	gzipped     func() []byte
	gzippedETag string
}

func newAsset(body []byte, contentType, cacheControl string, more http.Header) *asset {
	sum := sha256.Sum256(body)
	etag := hex.EncodeToString(sum[:16])
	h := http.Header{
		"Content-Type":           {contentType},
		"Cache-Control":          {cacheControl},
		"X-Content-Type-Options": {"nosniff"},
		"Etag":                   {`"` + etag + `"`},
	}
	maps.Copy(h, more)
	return &asset{body: body, header: h}
}

// compressed makes a serve its body gzip-compressed to those who take it.
func (a *asset) compressed() *asset {
	a.header.Set("Vary", "Accept-Encoding")
	a.gzippedETag = strings.TrimSuffix(a.header.Get("Etag"), `"`) + `-gzip"`
	a.gzipped = sync.OnceValue(func() []byte {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression) // a valid level: no error
		zw.Write(a.body)                                       // a bytes.Buffer: no error
		zw.Close()
		return b.Bytes()
	})
	return a
}

// ServeHTTP answers HEAD, ranges and If-None-Match too.
func (a *asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	maps.Copy(h, a.header)
	body := a.body
	if a.gzipped != nil && acceptsGzip(r.Header) {
		body = a.gzipped()
		h.Set("Content-Encoding", "gzip")
		h.Set("Etag", a.gzippedETag)
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether a request's Accept-Encoding names gzip with a
// quality above zero.
func acceptsGzip(h http.Header) bool {
	for _, v := range h.Values("Accept-Encoding") {
		for coding := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(coding, ";")
			if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
				continue
			}
			q, ok := strings.CutPrefix(strings.TrimSpace(params), "q=")
			if !ok {
				return true
			}
			f, err := strconv.ParseFloat(q, 64)
			return err == nil && f > 0
		}
	}
	return false
}
