package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/url"
	"slices"
	"strings"
	"testing"

	"roster/api"
	"roster/photo"
	"roster/photo/phototest"
)

var prefixes = []string{"/client-management/clients", "/user-management/users"}

// client is the client object of the API, as a test reads it.
type client struct {
	UserUID              string          `json:"user_uid"`
	Email                string          `json:"email"`
	DisplayName          string          `json:"display_name"`
	Phone                *string         `json:"phone"`
	Age                  *string         `json:"age"`
	Gender               *string         `json:"gender"`
	Height               *float64        `json:"height"`
	ShoeSize             *string         `json:"shoeSize"`
	Brand                *string         `json:"brand"`
	PreferableActivities []string        `json:"preferable_activities"`
	ProfilePhoto         *string         `json:"profile_photo"`
	PhotoThumbnail       *string         `json:"profile_photo_thumbnail"`
	Notes                json.RawMessage `json:"notes"`
	AdminUID             string          `json:"admin_uid"`
}

func (e *env) create(prefix string, fields map[string]any) client {
	e.t.Helper()
	return e.createAs(e.org.APIKey, prefix, fields)
}

// createAs creates a client with the given organization's key.
func (e *env) createAs(key, prefix string, fields map[string]any) client {
	e.t.Helper()
	b, _ := json.Marshal(fields)
	r := e.do(req{Method: "POST", Path: prefix + "/", Key: key, ContentType: "application/json", Body: b})
	expect(e.t, r, 201)
	var out struct{ UserData client }
	r.decode(e.t, &out)
	return out.UserData
}

func (e *env) details(prefix, uid string) client {
	e.t.Helper()
	r := e.get(prefix + "/" + uid)
	expect(e.t, r, 200)
	var c client
	r.decode(e.t, &c)
	return c
}

func TestCreateReadUpdateDeleteJSON(t *testing.T) {
	for _, prefix := range prefixes {
		t.Run(prefix, func(t *testing.T) {
			each(t, func(t *testing.T, e *env) {
				c := e.create(prefix, map[string]any{
					"email": "runner@example.com", "display_name": "Runner", "phone": "932323232",
					"age": 23, "gender": "FEMALE", "height": 175, "shoeSize": "7.5",
					"preferable_activities": []string{"Running", "Vertical Jump"},
				})
				if c.UserUID == "" || c.Email != "runner@example.com" || *c.Age != "23" || *c.Gender != "female" ||
					*c.Height != 175 || *c.ShoeSize != "7.5" || c.AdminUID != e.org.OwnerUID ||
					strings.Join(c.PreferableActivities, ",") != "Running,Vertical Jump" || string(c.Notes) != "null" {
					t.Fatalf("created: %+v", c)
				}
				if got := e.details(prefix, c.UserUID); got.Phone == nil || *got.Phone != "932323232" {
					t.Errorf("details: %+v", got)
				}

				// v1 style: everything in a JSON body, numbers as strings too.
				r := e.json("PUT", prefix+"/", map[string]any{"user_uid": c.UserUID, "age": "24", "brand": "Adidas", "phone": nil})
				expect(t, r, 200)
				if string(r.Body) != "{\"message\":\"User information updated successfully.\"}\n" {
					t.Errorf("update body: %s", r.Body)
				}
				got := e.details(prefix, c.UserUID)
				if *got.Age != "24" || *got.Brand != "Adidas" || got.Phone != nil || got.DisplayName != "Runner" {
					t.Errorf("after update: %+v", got)
				}

				// v2 style: fields in the query string.
				q := url.Values{"user_uid": {c.UserUID}, "display_name": {"Runner Two"}, "preferable_activities": {`["Weightlifting"]`}}
				r = e.do(req{Method: "PUT", Path: prefix + "/?" + q.Encode(), Key: e.org.APIKey})
				expect(t, r, 200)
				got = e.details(prefix, c.UserUID)
				if got.DisplayName != "Runner Two" || strings.Join(got.PreferableActivities, ",") != "Weightlifting" {
					t.Errorf("after query update: %+v", got)
				}

				r = e.json("DELETE", prefix+"/", map[string]string{"user_uid": c.UserUID})
				expect(t, r, 200)
				if want := fmt.Sprintf("{\"message\":\"User with UID %s deleted from admin.\"}\n", c.UserUID); string(r.Body) != want {
					t.Errorf("delete body %s, want %s", r.Body, want)
				}
				expect(t, e.get(prefix+"/"+c.UserUID), 404)
				expect(t, e.json("DELETE", prefix+"/", map[string]string{"user_uid": c.UserUID}), 404)
			})
		})
	}
}

func TestCreateAndUpdateWithForms(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		form := url.Values{"email": {"form@example.com"}, "display_name": {"Form"}, "age": {"30"},
			"weight": {"79.8"}, "preferable_activities": {`["Running","Weightlifting"]`}}
		r := e.do(req{Method: "POST", Path: "/client-management/clients/", Key: e.org.APIKey,
			ContentType: "application/x-www-form-urlencoded", Body: []byte(form.Encode())})
		expect(t, r, 201)
		var out struct{ UserData client }
		r.decode(t, &out)
		uid := out.UserData.UserUID

		form = url.Values{"user_uid": {uid}, "age": {""}, "brand": {"Nike"}}
		r = e.do(req{Method: "PUT", Path: "/client-management/clients/", Key: e.org.APIKey,
			ContentType: "application/x-www-form-urlencoded", Body: []byte(form.Encode())})
		expect(t, r, 200)
		got := e.details("/user-management/users", uid)
		if got.Age != nil || *got.Brand != "Nike" || len(got.PreferableActivities) != 2 {
			t.Errorf("after form update: %+v", got)
		}
	})
}

// testPNG returns a small PNG with a visible pattern.
func testPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// multipartBody builds a multipart body with fields and an optional photo.
func multipartBody(t *testing.T, fields map[string]string, photo []byte) (string, []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if photo != nil {
		f, err := w.CreateFormFile("profile_photo", "me.png")
		if err != nil {
			t.Fatal(err)
		}
		f.Write(photo)
	}
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

// A photo and its thumbnail are stored, served through their signed
// links, and both deleted when replaced or when their client is: on local
// disk and in an S3 bucket.
func TestPhotoUploadServeReplaceDelete(t *testing.T) {
	for _, store := range []string{"dir", "s3"} {
		t.Run(store, func(t *testing.T) {
			var options []func(*api.Config)
			if store == "s3" { // a bucket of each engine's own
				options = append(options, func(c *api.Config) { c.Blobs = phototest.NewS3Server(t, nil).Open(t, "photos") })
			}
			each(t, func(t *testing.T, e *env) { checkPhotoLifecycle(t, e) }, options...)
		})
	}
}

func checkPhotoLifecycle(t *testing.T, e *env) {
	pic := phototest.EncodePNG(t, phototest.Quadrants(600, 300))
	ct, body := multipartBody(t, map[string]string{"email": "pic@example.com", "display_name": "Pic"}, pic)
	r := e.do(req{Method: "POST", Path: "/client-management/clients/", Key: e.org.APIKey, ContentType: ct, Body: body})
	expect(t, r, 201)
	var out struct{ UserData client }
	r.decode(t, &out)
	c := out.UserData
	if c.ProfilePhoto == nil || !strings.HasPrefix(*c.ProfilePhoto, "/photos/"+e.org.UID+"/") {
		t.Fatalf("profile_photo %v", c.ProfilePhoto)
	}
	if c.PhotoThumbnail == nil || !strings.HasPrefix(*c.PhotoThumbnail, "/photos/"+e.org.UID+"/") ||
		*c.PhotoThumbnail == *c.ProfilePhoto {
		t.Fatalf("profile_photo_thumbnail %v", c.PhotoThumbnail)
	}
	for _, tc := range []struct {
		link string
		w, h int
	}{{*c.ProfilePhoto, 600, 300}, {*c.PhotoThumbnail, 256, 128}} {
		img, err := png.Decode(bytes.NewReader(fetchPhoto(t, e, tc.link, 200)))
		if err != nil {
			t.Fatalf("served photo is not a PNG: %v", err)
		}
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%s: %v, want %dx%d", tc.link, b, tc.w, tc.h)
		}
	}
	stored := phototest.Keys(t, e.blobs)
	if len(stored) != 2 {
		t.Fatalf("stored %q, want the photo and its thumbnail", stored)
	}

	// Without its signature, or with a forged one, the photo is not found.
	u, _ := url.Parse(*c.ProfilePhoto)
	fetchPhoto(t, e, e.srv.URL+u.Path, 404)
	q := u.Query()
	q.Set("sig", "AAAA"+q.Get("sig")[4:])
	fetchPhoto(t, e, e.srv.URL+u.Path+"?"+q.Encode(), 404)

	// A new photo replaces the old one, whose links then stop working.
	ct, body = multipartBody(t, map[string]string{"user_uid": c.UserUID}, testPNG(t))
	expect(t, e.do(req{Method: "PUT", Path: "/client-management/clients/", Key: e.org.APIKey, ContentType: ct, Body: body}), 200)
	now := e.details("/client-management/clients", c.UserUID)
	if *now.ProfilePhoto == *c.ProfilePhoto || *now.PhotoThumbnail == *c.PhotoThumbnail {
		t.Fatal("photo links unchanged after a new upload")
	}
	fetchPhoto(t, e, *now.ProfilePhoto, 200)
	fetchPhoto(t, e, *now.PhotoThumbnail, 200)
	fetchPhoto(t, e, *c.ProfilePhoto, 404)
	fetchPhoto(t, e, *c.PhotoThumbnail, 404)
	if got := phototest.Keys(t, e.blobs); len(got) != 2 || slices.Contains(got, stored[0]) || slices.Contains(got, stored[1]) {
		t.Fatalf("after the replace: stored %q, want only the new photo and thumbnail", got)
	}

	expect(t, e.json("DELETE", "/client-management/clients/", map[string]string{"user_uid": c.UserUID}), 200)
	fetchPhoto(t, e, *now.ProfilePhoto, 404)
	fetchPhoto(t, e, *now.PhotoThumbnail, 404)
	if got := phototest.Keys(t, e.blobs); len(got) != 0 {
		t.Fatalf("after the delete: stored %q", got)
	}
}

// A photo stored before thumbnails were made is served whole under its
// thumbnail link.
func TestThumbnailOfOlderPhoto(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ct, body := multipartBody(t, map[string]string{"email": "old@example.com", "display_name": "Old"}, testPNG(t))
		r := e.do(req{Method: "POST", Path: "/client-management/clients/", Key: e.org.APIKey, ContentType: ct, Body: body})
		expect(t, r, 201)
		var out struct{ UserData client }
		r.decode(t, &out)
		keys := phototest.Keys(t, e.blobs)
		for _, k := range keys {
			if _, ok := photo.PhotoOfThumbnail(k); ok {
				if err := e.blobs.Delete(context.Background(), k); err != nil {
					t.Fatal(err)
				}
			}
		}
		whole := fetchPhoto(t, e, *out.UserData.ProfilePhoto, 200)
		if got := fetchPhoto(t, e, *out.UserData.PhotoThumbnail, 200); !bytes.Equal(got, whole) {
			t.Errorf("thumbnail link of a photo without one served %d bytes, want the photo's %d", len(got), len(whole))
		}
	})
}

func fetchPhoto(t *testing.T, e *env, u string, status int) []byte {
	t.Helper()
	r := e.do(req{Method: "GET", Path: strings.TrimPrefix(u, e.srv.URL)})
	expect(t, r, status)
	if status == 200 {
		if r.Header.Get("Content-Type") != "image/png" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("photo headers: %v", r.Header)
		}
	}
	return r.Body
}

func TestNotes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.create(prefixes[0], map[string]any{"email": "n@example.com", "display_name": "N"})
		for _, prefix := range prefixes {
			r := e.json("POST", prefix+"/save-notes/"+c.UserUID, map[string]string{"note": "Hamstring strain - reduce speed work"})
			expect(t, r, 200)
			var got struct {
				Notes struct {
					Text      *string `json:"text"`
					UpdatedAt string  `json:"updated_at"`
				}
			}
			e.get(prefix+"/"+c.UserUID).decode(t, &got)
			if got.Notes.Text == nil || *got.Notes.Text != "Hamstring strain - reduce speed work" || got.Notes.UpdatedAt == "" {
				t.Errorf("note: %+v", got.Notes)
			}
			// Like the v2 PUT, the note may come in the query string.
			expect(t, e.do(req{Method: "POST", Path: prefix + "/save-notes/" + c.UserUID + "?note=From+the+query", Key: e.org.APIKey}), 200)
			e.get(prefix+"/"+c.UserUID).decode(t, &got)
			if got.Notes.Text == nil || *got.Notes.Text != "From the query" {
				t.Errorf("note from the query string: %+v", got.Notes)
			}
			expect(t, e.json("POST", prefix+"/save-notes/"+c.UserUID, map[string]any{}), 200)
			e.get(prefix+"/"+c.UserUID).decode(t, &got)
			if got.Notes.Text != nil {
				t.Errorf("note not cleared: %q", *got.Notes.Text)
			}
		}
	})
}

func TestListAndFilterPages(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var uids []string
		for i := range 7 {
			gender := []string{"male", "female"}[i%2]
			c := e.create(prefixes[i%2], map[string]any{"email": fmt.Sprintf("c%d@example.com", i),
				"display_name": fmt.Sprintf("C%d", i), "gender": gender, "preferable_activities": []string{"Running"}})
			uids = append([]string{c.UserUID}, uids...) // newest first
		}
		e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "x@example.com", "display_name": "X"})
		for _, prefix := range prefixes {
			var list struct{ Users []client }
			e.get(prefix+"/").decode(t, &list)
			if len(list.Users) != 7 || list.Users[0].UserUID != uids[0] || list.Users[6].UserUID != uids[6] {
				t.Errorf("list: %d users", len(list.Users))
			}
			var page struct {
				QueryCount int `json:"query_count"`
				Users      []client
				FirstUID   string `json:"first_uid"`
				LastUID    string `json:"last_uid"`
			}
			e.get(prefix+"/filter/").decode(t, &page)
			if page.QueryCount != 7 || len(page.Users) != 5 || page.FirstUID != uids[0] || page.LastUID != uids[4] {
				t.Errorf("first page: count %d, %d users, %s..%s", page.QueryCount, len(page.Users), page.FirstUID, page.LastUID)
			}
			e.get(prefix+"/filter/?limit=5&start_after_id="+page.LastUID).decode(t, &page)
			if len(page.Users) != 2 || page.FirstUID != uids[5] || page.LastUID != uids[6] {
				t.Errorf("second page: %d users, %s..%s", len(page.Users), page.FirstUID, page.LastUID)
			}
			e.get(prefix+"/filter/?limit=2&end_before_id="+page.FirstUID).decode(t, &page)
			if len(page.Users) != 2 || page.FirstUID != uids[3] || page.LastUID != uids[4] {
				t.Errorf("page before: %d users, %s..%s", len(page.Users), page.FirstUID, page.LastUID)
			}
			e.get(prefix+"/filter/?gender=Female&activity=Running&limit=10").decode(t, &page)
			if page.QueryCount != 3 || len(page.Users) != 3 {
				t.Errorf("female runners: count %d, %d users", page.QueryCount, len(page.Users))
			}
			r := e.get(prefix + "/filter/?start_after_id=" + uids[6])
			expect(t, r, 404)
			r = e.get(prefix + "/filter/?admin_uid=" + e.other.OwnerUID)
			expect(t, r, 404)
		}
	})
}
