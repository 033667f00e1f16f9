package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"roster/api"
)

//go:embed templates/*.html templates/partials/*.html
var templateFiles embed.FS

//go:embed static
var staticFS embed.FS

// view is a page to render: which template, its title, its status and
// what it shows.
type view struct {
	Template string
	Title    string
	Status   int // 0: 200
	Data     any
}

// pages are the templates, each page's parsed with the layout and the
// partials that pages share.
type pages map[string]*template.Template

// layoutData is what the layout sees: the view and who asks.
type layoutData struct {
	view
	SignedIn bool
	CSRF     string
	Menu     []navLink
}

func parsePages() pages {
	funcs := template.FuncMap{"asset": assetURL, "field": newInputField}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		panic(err)
	}
	p := pages{}
	for _, name := range names {
		if name == "templates/layout.html" {
			continue
		}
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/partials/*.html", name))
		p[strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")] = t
	}
	return p
}

// render writes v as a whole page. It renders into memory first, so that a
// template's failure is a 500, never half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, v view) {
	var b bytes.Buffer
	t, ok := c.pages[v.Template]
	if !ok {
		panic("console: no template " + v.Template)
	}
	if err := t.ExecuteTemplate(&b, "layout", layoutData{view: v, SignedIn: s.signedIn, CSRF: s.csrf, Menu: menu(s, r.URL.Path)}); err != nil {
		status, msg := api.ErrorAnswer(r, err)
		http.Error(w, msg, status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	if v.Status != 0 {
		w.WriteHeader(v.Status)
	}
	w.Write(b.Bytes())
}

// errorPage shows err with the status and the message the API answers it
// with: another organization's client is the API's 404, word for word.
func errorPage(r *http.Request, err error) view {
	var se *statusError
	if errors.As(err, &se) {
		return view{Template: "error", Title: http.StatusText(se.status), Status: se.status, Data: se.msg}
	}
	status, msg := api.ErrorAnswer(r, err)
	return view{Template: "error", Title: http.StatusText(status), Status: status, Data: msg}
}

// assetHashes version the static files' URLs by their content, so that
// browsers may keep them for good and still get each new one.
var assetHashes = func() map[string]string {
	m := map[string]string{}
	fs.WalkDir(staticFS, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(path)
		sum := sha256.Sum256(b)
		m[strings.TrimPrefix(path, "static/")] = hex.EncodeToString(sum[:8])
		return err
	})
	return m
}()

// assetURL is the versioned URL of a static file.
func assetURL(name string) (string, error) {
	v, ok := assetHashes[name]
	if !ok {
		return "", fs.ErrNotExist
	}
	return Prefix + "static/" + name + "?v=" + v, nil
}

// staticFiles serves the embedded scripts and styles; those asked for at
// their current version may be kept for a year.
func staticFiles() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix(Prefix+"static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, Prefix+"static/")
		if v := r.URL.Query().Get("v"); v != "" && v == assetHashes[name] {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		files.ServeHTTP(w, r)
	})
}
