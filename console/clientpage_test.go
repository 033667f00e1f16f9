package console_test

import (
	"bytes"
	"encoding/json"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/api"
	"roster/photo"
	"roster/store/storetest"
)

// The client screen's photo and analysis sessions, over HTTP as a browser
// without scripts sends its forms.

// eachWithBlobs runs fn on a fresh server for every engine, with the
// photos in a directory that fn may list.
func eachWithBlobs(t *testing.T, fn func(t *testing.T, e *env, blobs *photo.Dir)) {
	var blobs *photo.Dir
	each(t, func(t *testing.T, e *env) { fn(t, e, blobs) }, func(c *api.Config) {
		dir, err := photo.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		blobs, c.Blobs = dir, dir
	})
}

// blobKeys are the keys of every stored blob, sorted.
func blobKeys(t *testing.T, blobs *photo.Dir) []string {
	t.Helper()
	infos, err := blobs.List(t.Context(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, i := range infos {
		out = append(out, i.Key)
	}
	slices.Sort(out)
	return out
}

// photoKeys are the keys a client's photo is stored under: the photo and
// its thumbnail, sorted.
func photoKeys(key string) []string {
	out := []string{key, photo.ThumbnailKey(key)}
	slices.Sort(out)
	return out
}

// testImage is an image of w×h pixels: a gradient, to be told apart in
// a screenshot.
func testImage(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(40 + 180*x/w), uint8(90 + 120*y/h), 210, 0xff})
		}
	}
	return img
}

func pngOf(t testing.TB, w, h int) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegOf(t testing.TB, w, h int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(w, h), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// postMultipart posts a form as a browser sends one with a file input:
// multipart, with the file as profile_photo, an empty part with no name
// when none was chosen.
func (b *browser) postMultipart(path string, form url.Values, name string, file []byte) answer {
	b.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range form {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile("profile_photo", name)
	if err != nil {
		b.e.t.Fatal(err)
	}
	fw.Write(file)
	if err := mw.Close(); err != nil {
		b.e.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, &body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

var thumbImg = regexp.MustCompile(`<img src="([^"]+)" alt="Photo of [^"]*" class="thumb">`)

// shownPhoto fetches the thumbnail the client page shows, and the photo it
// links to, as the browser would, through the API's signed links.
func (b *browser) shownPhoto(t *testing.T, page answer) (thumb, full image.Image, format string) {
	t.Helper()
	m := thumbImg.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no photo on the page: %s", page.body)
	}
	thumbURL := html.UnescapeString(m[1])
	link := regexp.MustCompile(`<a href="([^"]+)"><img src="` + regexp.QuoteMeta(m[1]) + `"`).FindStringSubmatch(page.body)
	if link == nil || !strings.HasPrefix(thumbURL, "/photos/") {
		t.Fatalf("the thumbnail %s is not a signed link of the API's, or links to no photo", thumbURL)
	}
	get := func(u string) (image.Image, string) {
		a := b.get(u)
		if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "image/") {
			t.Fatalf("GET %s: %d %s", u, a.status, a.header.Get("Content-Type"))
		}
		img, format, err := image.Decode(strings.NewReader(a.body))
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		return img, format
	}
	thumb, _ = get(thumbURL)
	full, format = get(html.UnescapeString(link[1]))
	return thumb, full, format
}

func shownError(name, msg string) string {
	return `<p class="field-error" id="` + name + `-error">` + html.EscapeString(msg) + `</p>`
}

// TestClientPhoto: a photo sent with the new client's form, or replaced
// from the client's page or its edit form, is stored as the API stores
// one, with its thumbnail, and the page shows both through the API's
// signed links; the replaced photo's blobs are gone. A file that is no
// image, one too large, a save the store refuses and a form without its
// CSRF token store nothing, and another organization's client is the API's
// 404.
func TestClientPhoto(t *testing.T) {
	eachWithBlobs(t, func(t *testing.T, e *env, blobs *photo.Dir) {
		b := e.browser()
		token := b.signIn(e.org)

		a := b.postMultipart("/console/clients", withCSRF(newClientForm("ada@example.com", "Ada"), token), "ada.png", pngOf(t, 600, 300))
		if a.status != http.StatusSeeOther {
			t.Fatalf("create with a photo: %d %s", a.status, a.body)
		}
		ada := e.onlyClientNamed(t, "Ada")
		if !strings.HasSuffix(ada.ProfilePhoto, ".png") || !slices.Equal(blobKeys(t, blobs), photoKeys(ada.ProfilePhoto)) {
			t.Fatalf("stored photo %q, blobs %v", ada.ProfilePhoto, blobKeys(t, blobs))
		}
		page := b.get(a.header.Get("Location"))
		thumb, full, format := b.shownPhoto(t, page)
		if format != "png" || full.Bounds().Dx() != 600 || thumb.Bounds().Dx() != photo.ThumbSide || thumb.Bounds().Dy() != photo.ThumbSide/2 {
			t.Fatalf("shown %s photo %v, thumbnail %v", format, full.Bounds(), thumb.Bounds())
		}
		if !strings.Contains(page.body, "Replace photo") {
			t.Error("the page of a client with a photo offers no replacing it")
		}

		// Replaced from the client's page: the old photo and its thumbnail go.
		pagePath := "/console/clients/" + ada.UID
		a = b.postMultipart(pagePath+"/photo", withCSRF(url.Values{}, token), "new.jpg", jpegOf(t, 40, 80))
		if a.status != http.StatusSeeOther || a.header.Get("Location") != pagePath+"?done=photo-saved" {
			t.Fatalf("replace: %d %s", a.status, a.body)
		}
		replaced := e.storedClient(t, ada.UID)
		if !strings.HasSuffix(replaced.ProfilePhoto, ".jpg") || !slices.Equal(blobKeys(t, blobs), photoKeys(replaced.ProfilePhoto)) {
			t.Fatalf("after replacing: photo %q, blobs %v", replaced.ProfilePhoto, blobKeys(t, blobs))
		}
		page = b.get(a.header.Get("Location"))
		if _, full, format := b.shownPhoto(t, page); format != "jpeg" || full.Bounds().Dy() != 80 || !strings.Contains(page.body, "Photo saved.") {
			t.Fatalf("after replacing, the page shows a %s photo %v", format, full.Bounds())
		}

		// Refusals store nothing, and say why next to the input.
		stored := blobKeys(t, blobs)
		_, notImage := photo.Normalize(strings.NewReader("GIF89a not really"))
		_, tooLarge := photo.Normalize(bytes.NewReader(make([]byte, photo.MaxBytes+1)))
		for _, c := range []struct {
			what, name string
			file       []byte
			status     int
			msg        string
		}{
			{"a text file", "notes.txt", []byte("these are not pixels"), http.StatusBadRequest, notImage.Error()},
			{"a file over the limit", "huge.png", append(pngOf(t, 2, 2), make([]byte, photo.MaxBytes)...), http.StatusRequestEntityTooLarge, tooLarge.Error()},
			{"no file", "", nil, http.StatusBadRequest, "profile_photo: choose a JPEG or PNG image to upload"},
		} {
			a := b.postMultipart(pagePath+"/photo", withCSRF(url.Values{}, token), c.name, c.file)
			if a.status != c.status || !strings.Contains(a.body, shownError("profile_photo", c.msg)) {
				t.Errorf("%s: %d; want %d and %q next to the input in %s", c.what, a.status, c.status, c.msg, a.body)
			}
			if got := blobKeys(t, blobs); !slices.Equal(got, stored) || e.storedClient(t, ada.UID).ProfilePhoto != replaced.ProfilePhoto {
				t.Errorf("%s changed the stored photos: %v", c.what, got)
			}
		}
		// A body over the limit of a form with a photo is not read at all.
		a = b.postMultipart(pagePath+"/photo", withCSRF(url.Values{}, token), "huge.png", make([]byte, photo.MaxBytes+2<<20))
		if a.status != http.StatusRequestEntityTooLarge || !strings.Contains(a.body, "request body is larger than") {
			t.Errorf("a body over the limit: %d %s", a.status, a.body)
		}
		if got := blobKeys(t, blobs); !slices.Equal(got, stored) {
			t.Errorf("a body over the limit changed the stored photos: %v", got)
		}
		a = b.postMultipart("/console/clients", withCSRF(newClientForm("bea@example.com", "Bea"), token), "notes.txt", []byte("text"))
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, shownError("profile_photo", notImage.Error())) ||
			!strings.Contains(a.body, `value="Bea"`) || e.clientCount(e.org) != 1 {
			t.Errorf("create with a text file: %d, %d clients, %s", a.status, e.clientCount(e.org), a.body)
		}

		// A good photo with a bad field, or with a save the store refuses (a
		// taken email): no client, no blob, and the form asks for the photo again.
		bad := withCSRF(newClientForm("cleo@example.com", "Cleo"), token)
		bad.Set("age", "abc")
		for what, form := range map[string]url.Values{"a bad age": bad,
			"a taken email": withCSRF(newClientForm("ADA@example.com", "Cleo"), token)} {
			a = b.postMultipart("/console/clients", form, "cleo.png", pngOf(t, 10, 10))
			if a.status != http.StatusBadRequest || !strings.Contains(a.body, "choose it again") {
				t.Errorf("%s with a photo: %d %s", what, a.status, a.body)
			}
			if got := blobKeys(t, blobs); !slices.Equal(got, stored) || e.clientCount(e.org) != 1 {
				t.Errorf("%s with a photo left blobs %v, %d clients", what, got, e.clientCount(e.org))
			}
		}

		// Replaced from the edit form, with the other fields.
		edit := withCSRF(newClientForm("ada@example.com", "Ada King"), token)
		if a := b.get(pagePath + "/edit"); !strings.Contains(a.body, `alt="Current photo"`) || !strings.Contains(a.body, `enctype="multipart/form-data"`) {
			t.Errorf("the edit form shows no current photo or takes no file: %s", a.body)
		}
		a = b.postMultipart(pagePath, edit, "edit.png", pngOf(t, 30, 30))
		edited := e.storedClient(t, ada.UID)
		if a.status != http.StatusSeeOther || edited.DisplayName != "Ada King" || !strings.HasSuffix(edited.ProfilePhoto, ".png") ||
			!slices.Equal(blobKeys(t, blobs), photoKeys(edited.ProfilePhoto)) {
			t.Fatalf("edit with a photo: %d, stored %q %q, blobs %v", a.status, edited.DisplayName, edited.ProfilePhoto, blobKeys(t, blobs))
		}
		// Without a file chosen the edit keeps the photo, as a browser sends
		// an empty file input.
		edit.Set("display_name", "Ada")
		a = b.postMultipart(pagePath, edit, "", nil)
		if a.status != http.StatusSeeOther || e.storedClient(t, ada.UID).ProfilePhoto != edited.ProfilePhoto {
			t.Fatalf("edit without a photo: %d, photo %q", a.status, e.storedClient(t, ada.UID).ProfilePhoto)
		}

		// Without the CSRF token, or for another organization's client:
		// refused, nothing stored.
		stored = blobKeys(t, blobs)
		theirs := e.addClient(e.other, "theirs@example.com", "Theirs")
		_, apiMsg := e.apiGet(t, "/client-management/clients/"+theirs.UID)
		a = b.postMultipart("/console/clients/"+theirs.UID+"/photo", withCSRF(url.Values{}, token), "x.png", pngOf(t, 5, 5))
		if a.status != http.StatusNotFound || !strings.Contains(a.body, html.EscapeString(apiMsg)) {
			t.Errorf("another organization's client: %d %s; want 404 and %q", a.status, a.body, apiMsg)
		}
		a = b.postMultipart("/console/clients/"+theirs.UID, withCSRF(newClientForm("theirs@example.com", "Mine"), token), "x.png", pngOf(t, 5, 5))
		if a.status != http.StatusNotFound || e.otherClient(t, theirs.UID).ProfilePhoto != "" {
			t.Errorf("another organization's client's edit: %d", a.status)
		}
		a = b.postMultipart(pagePath+"/photo", url.Values{}, "x.png", pngOf(t, 5, 5))
		if a.status != http.StatusForbidden || !strings.Contains(a.body, "this form has expired") {
			t.Errorf("no CSRF token: %d %s", a.status, a.body)
		}
		a = b.postMultipart("/console/clients", newClientForm("dan@example.com", "Dan"), "x.png", pngOf(t, 5, 5))
		if a.status != http.StatusForbidden || e.clientCount(e.org) != 1 {
			t.Errorf("create without the CSRF token: %d, %d clients", a.status, e.clientCount(e.org))
		}
		if got := blobKeys(t, blobs); !slices.Equal(got, stored) || e.storedClient(t, ada.UID).ProfilePhoto != edited.ProfilePhoto {
			t.Errorf("refused uploads changed the photos: %v", got)
		}

		// Deleting the client deletes its photo.
		if a := b.post(pagePath+"/delete", url.Values{"csrf": {token}}); a.status != http.StatusSeeOther || len(blobKeys(t, blobs)) != 0 {
			t.Errorf("delete: %d, blobs left %v", a.status, blobKeys(t, blobs))
		}
	})
}

// session is a session form as typed.
func session(token, activity, at, duration, metrics string) url.Values {
	return url.Values{"csrf": {token}, "activity": {activity}, "time": {at}, "duration": {duration}, "metrics": {metrics}}
}

// domainError is what the API's parsing says about a session's raw fields.
func domainError(t *testing.T, raw map[string]any, now time.Time) string {
	t.Helper()
	_, err := roster.NewAnalysisSession(raw, now)
	if err == nil {
		t.Fatalf("%v is a valid session", raw)
	}
	return err.Error()
}

// TestClientSessions: the client's page records an analysis session as
// POST .../sessions does, using the organization's quota, and lists the
// sessions newest first, a page at a time. Missing and wrong-typed fields
// are refused next to each field in the API's words, a spent quota above
// the form, and neither stores anything.
func TestClientSessions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		c := e.addClient(e.org, "ada@example.com", "Ada")
		page := "/console/clients/" + c.UID
		e.setQuota(t, 5)
		before := e.sessionsLeft(t)

		at := e.clock.Now().Add(-time.Hour).Truncate(time.Second)
		a := b.post(page+"/sessions", session(token, "Running", at.Format(time.RFC3339), "1800.5", `{"cadence": 172, "note": "<b>"}`))
		if a.status != http.StatusSeeOther || a.header.Get("Location") != page+"?done=session-recorded#sessions" {
			t.Fatalf("record: %d %s", a.status, a.body)
		}
		stored := e.sessionsOf(t, c.UID)
		if len(stored) != 1 || stored[0].Activity != "Running" || !stored[0].Time.Equal(at) || stored[0].Duration != 1800.5 ||
			string(stored[0].Metrics) != `{"cadence":172,"note":"<b>"}` || stored[0].CreatedBy != e.org.OwnerUID {
			t.Fatalf("stored %+v", stored)
		}
		if got := e.sessionsLeft(t); got != before-1 {
			t.Errorf("sessions left %d; want %d", got, before-1)
		}
		if got := e.storedClient(t, c.UID); got.LastSession == nil || !got.LastSession.Equal(at) || got.SessionsCount != 1 {
			t.Errorf("the client's last session %v, count %d", got.LastSession, got.SessionsCount)
		}
		shown := b.get(strings.TrimSuffix(a.header.Get("Location"), "#sessions"))
		for _, want := range []string{"Analysis session recorded.", roster.Count(before-1, "analysis session") + " left",
			`<td data-label="Activity">Running</td>`, `<td data-label="Duration">1800.5 s (30m1s)</td>`,
			`<code>{&#34;cadence&#34;:172,&#34;note&#34;:&#34;&lt;b&gt;&#34;}</code>`} {
			if !strings.Contains(shown.body, want) {
				t.Errorf("the page shows no %s: %s", want, shown.body)
			}
		}

		// Each bad field has its error next to it, all at once.
		now := e.clock.Now()
		a = b.post(page+"/sessions", session(token, "", "yesterday", "abc", "[1, 2]"))
		for field, raw := range map[string]any{"activity": "", "time": "yesterday", "duration": json.Number("abc"), "metrics": []any{}} {
			if want := shownError("session-"+field, domainError(t, map[string]any{field: raw}, now)); a.status != http.StatusBadRequest ||
				!strings.Contains(a.body, want) {
				t.Errorf("bad %s: %d; want %s in %s", field, a.status, want, a.body)
			}
		}
		if !strings.Contains(a.body, `value="yesterday"`) || !strings.Contains(a.body, `value="abc"`) || !strings.Contains(a.body, "[1, 2]</textarea>") {
			t.Error("the refused form lost what was typed")
		}
		a = b.post(page+"/sessions", session(token, "Running", "", "", "{not json"))
		for _, want := range []string{shownError("session-duration", "duration: required"),
			shownError("session-metrics", domainError(t, map[string]any{"metrics": "{not json"}, now))} {
			if a.status != http.StatusBadRequest || !strings.Contains(a.body, want) {
				t.Errorf("missing duration, bad metrics: %d; want %s in %s", a.status, want, a.body)
			}
		}
		if strings.Contains(a.body, `id="session-activity-error"`) || !strings.Contains(a.body, `<option value="Running" selected>`) {
			t.Error("the good activity was refused or not kept")
		}

		// An activity the organization has not enabled: the store's refusal,
		// next to the field.
		if _, err := e.st.UpdateOrganization(t.Context(), e.org.UID, roster.OrganizationUpdate{Activities: &[]string{"Running"}}); err != nil {
			t.Fatal(err)
		}
		a = b.post(page+"/sessions", session(token, "Weightlifting", "", "60", ""))
		want := shownError("session-activity", roster.CheckAnalysisSessionActivity("Weightlifting", []string{"Running"}).Error())
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, want) || strings.Contains(a.body, `<option value="Weightlifting"`) {
			t.Errorf("an activity not enabled: %d; want %s and only the enabled activities in %s", a.status, want, a.body)
		}

		// The quota spent: the API's message above the form.
		e.setQuota(t, 0)
		a = b.post(page+"/sessions", session(token, "Running", "", "60", ""))
		want = `<p class="alert" role="alert" id="session-error">` + html.EscapeString(roster.ErrNoAnalysisSessionsLeft.Error()) + `</p>`
		if a.status != http.StatusForbidden || !strings.Contains(a.body, want) || !strings.Contains(a.body, "0 analysis sessions left") {
			t.Errorf("quota spent: %d; want 403 and %s in %s", a.status, want, a.body)
		}
		if n := len(e.sessionsOf(t, c.UID)); n != 1 || e.storedClient(t, c.UID).SessionsCount != 1 {
			t.Errorf("refused sessions stored: %d sessions", n)
		}

		// Another organization's client, and a form without its token.
		theirs := e.addClient(e.other, "theirs@example.com", "Theirs")
		if a := b.post("/console/clients/"+theirs.UID+"/sessions", session(token, "Running", "", "60", "")); a.status != http.StatusNotFound {
			t.Errorf("another organization's client: %d", a.status)
		}
		if a := b.post(page+"/sessions", session("", "Running", "", "60", "")); a.status != http.StatusForbidden {
			t.Errorf("no CSRF token: %d", a.status)
		}
	})
}

// TestClientSessionPages: the list is newest first, 20 to a page, with
// links to the older page and back to the newest.
func TestClientSessionPages(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		c := e.addClient(e.org, "ada@example.com", "Ada")
		page := "/console/clients/" + c.UID
		e.setQuota(t, 21)
		for i := range 21 {
			e.clock.Advance(time.Minute)
			if a := b.post(page+"/sessions", session(token, "Running", "", strconv.Itoa(i+1), "")); a.status != http.StatusSeeOther {
				t.Fatalf("record %d: %d %s", i, a.status, a.body)
			}
		}
		durations := regexp.MustCompile(`<td data-label="Duration">(\d+) s`)
		shown := func(body string) []string {
			var out []string
			for _, m := range durations.FindAllStringSubmatch(body, -1) {
				out = append(out, m[1])
			}
			return out
		}
		first := b.get(page)
		got := shown(first.body)
		if len(got) != 20 || got[0] != "21" || got[19] != "2" {
			t.Fatalf("the first page lists %v", got)
		}
		older := regexp.MustCompile(`<a href="([^"]+)">Older sessions</a>`).FindStringSubmatch(first.body)
		if older == nil {
			t.Fatal("no link to older sessions")
		}
		second := b.get(html.UnescapeString(older[1]))
		if got := shown(second.body); len(got) != 1 || got[0] != "1" || !strings.Contains(second.body, ">Newest sessions</a>") ||
			strings.Contains(second.body, "Older sessions") {
			t.Fatalf("the second page lists %v: %s", got, second.body)
		}
		if a := b.get(page + "?sessions_after=not+a+uid"); a.status != http.StatusBadRequest {
			t.Errorf("a bad page: %d", a.status)
		}
	})
}

// TestClientEveryField: the client's page shows every field the API's
// details of the client give, labelled in plain words.
func TestClientEveryField(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		form := withCSRF(url.Values{"email": {"ada@example.com"}, "display_name": {"Ada"}, "phone": {"+44 1"}, "age": {"36"},
			"gender": {"female"}, "height": {"170.5"}, "weight": {"60.25"}, "ycom": {"95.5"}, "leg_length": {"88"}, "shoeSize": {"38.5"},
			"brand": {"Brandname"}, "shoeModel": {"Model Z"}, "preferable_activities": {"Running", "Mobility Assessment"},
			"external_id": {"ext-77"}, "sessions_limit": {"3"}}, token)
		if len(form)-1 != len(roster.Fields) {
			t.Fatalf("the test sets %d fields; the registry has %d", len(form)-1, len(roster.Fields))
		}
		a := b.postMultipart("/console/clients", form, "ada.png", pngOf(t, 20, 20))
		if a.status != http.StatusSeeOther {
			t.Fatalf("create: %d %s", a.status, a.body)
		}
		c := e.onlyClientNamed(t, "Ada")
		e.setQuota(t, 1)
		if a := b.post("/console/clients/"+c.UID+"/note", url.Values{"csrf": {token}, "note": {"Left knee"}}); a.status != http.StatusSeeOther {
			t.Fatalf("note: %d", a.status)
		}
		if a := b.post("/console/clients/"+c.UID+"/sessions", session(token, "Running", "", "60", "")); a.status != http.StatusSeeOther {
			t.Fatalf("session: %d", a.status)
		}
		page := b.get("/console/clients/" + c.UID).body
		fields := e.apiDetails(t, c.UID)
		// Each of the API's fields, by what the page calls it.
		labels := map[string]string{"user_uid": "User uid", "email": "Email", "display_name": "Display name", "phone": "Phone",
			"age": "Age", "gender": "Gender", "height": "Height", "weight": "Weight", "ycom": "Ycom", "leg_length": "Leg length",
			"shoeSize": "Shoe size", "brand": "Brand", "shoeModel": "Shoe model", "preferable_activities": "Preferable activities",
			"external_id": "External id", "sessions_limit": "Sessions limit", "last_session": "Last session",
			"sessions_count": "Sessions", "status": "Status", "deactivated_at": "Status", "admin_uid": "Admin uid",
			"created_at": "Created", "updated_at": "Updated"}
		for key, v := range fields {
			switch key {
			case "profile_photo", "profile_photo_thumbnail":
				if !strings.Contains(page, `class="thumb"`) || !strings.Contains(page, ">Full-size photo</a>") {
					t.Errorf("%s: the page shows no photo", key)
				}
				continue
			case "notes":
				if !strings.Contains(page, ">Left knee</textarea>") {
					t.Errorf("notes: not on the page")
				}
				continue
			}
			label, ok := labels[key]
			if !ok {
				t.Errorf("the API's %s (%v) has no place on the client's page", key, v)
				continue
			}
			if !strings.Contains(page, "<dt>"+label+"</dt>") {
				t.Errorf("%s: no %q on the page", key, label)
			}
			if s, ok := v.(string); ok && key != "status" && !strings.HasSuffix(key, "_at") && key != "last_session" &&
				!strings.Contains(html.UnescapeString(page), s) {
				t.Errorf("%s: the value %q is not on the page", key, s)
			}
		}
	})
}

// apiDetails are the API's details of the organization's client.
func (e *env) apiDetails(t *testing.T, uid string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/client-management/clients/"+uid, nil)
	req.Header.Set("API-KEY", e.org.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var fields map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&fields); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the API's details: %d %v", resp.StatusCode, err)
	}
	return fields
}

// sessionsOf are the client's stored analysis sessions, newest first.
func (e *env) sessionsOf(t *testing.T, uid string) []roster.AnalysisSession {
	t.Helper()
	list, err := e.st.ClientAnalysisSessions(t.Context(), e.org.ID, uid, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// setQuota sets the organization's quota of analysis sessions, as the
// operator does.
func (e *env) setQuota(t *testing.T, n int64) {
	t.Helper()
	if _, err := e.st.UpdateOrganization(t.Context(), e.org.UID, roster.OrganizationUpdate{SessionNumber: &n}); err != nil {
		t.Fatal(err)
	}
}

// sessionsLeft is the organization's stored quota.
func (e *env) sessionsLeft(t *testing.T) int64 {
	t.Helper()
	st, err := e.st.OrganizationStatus(t.Context(), e.org.ID, e.org.OwnerUID)
	if err != nil {
		t.Fatal(err)
	}
	return st.SessionNumber
}

// TestClientPhotoAndSessionsByRole: a sub-admin may upload a photo and
// record a session, as the API lets staff do; an account that is staff
// of no organization is refused both, in the API's words, and nothing is
// stored.
func TestClientPhotoAndSessionsByRole(t *testing.T) {
	eachWithBlobs(t, func(t *testing.T, e *env, blobs *photo.Dir) {
		e.setQuota(t, 5)
		c := e.addClient(e.org, "ada@example.com", "Ada")
		page := "/console/clients/" + c.UID

		e.addAccount(t, "athlete@example.com")
		b := e.browser()
		token := b.signIn(storetest.Org{OwnerEmail: "athlete@example.com"})
		want := html.EscapeString(roster.Principal{}.Forbidden(roster.PermClients).Error())
		if a := b.postMultipart(page+"/photo", withCSRF(url.Values{}, token), "a.png", pngOf(t, 8, 8)); a.status != http.StatusForbidden ||
			!strings.Contains(a.body, want) {
			t.Errorf("not staff, a photo: %d %s", a.status, a.body)
		}
		if a := b.post(page+"/sessions", session(token, "Running", "", "60", "")); a.status != http.StatusForbidden || !strings.Contains(a.body, want) {
			t.Errorf("not staff, a session: %d %s", a.status, a.body)
		}
		if len(blobKeys(t, blobs)) != 0 || len(e.sessionsOf(t, c.UID)) != 0 {
			t.Fatal("refused requests stored something")
		}

		admin := e.addAdmin(t, e.org, "coach@example.com")
		b = e.browser()
		token = b.signIn(admin)
		if a := b.postMultipart(page+"/photo", withCSRF(url.Values{}, token), "a.png", pngOf(t, 8, 8)); a.status != http.StatusSeeOther {
			t.Errorf("a sub-admin's photo: %d %s", a.status, a.body)
		}
		if a := b.post(page+"/sessions", session(token, "Running", "", "60", "")); a.status != http.StatusSeeOther {
			t.Errorf("a sub-admin's session: %d %s", a.status, a.body)
		}
		if got := e.storedClient(t, c.UID); len(blobKeys(t, blobs)) != 2 || got.SessionsCount != 1 {
			t.Errorf("a sub-admin's changes: blobs %v, %d sessions", blobKeys(t, blobs), got.SessionsCount)
		}
	})
}
