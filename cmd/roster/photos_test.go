package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"roster/clocktest"
	"roster/internal/nettest"
	"roster/photo/phototest"
)

// startProcess runs bin serve with args and env on a free port and waits
// until it is ready.
func startProcess(t *testing.T, bin string, env []string, args ...string) *process {
	t.Helper()
	addr := nettest.FreeAddr(t)
	p := startRoster(t, bin, env, append([]string{"serve", "--addr", addr}, args...)...)
	p.url = "http://" + addr
	p.waitReady(p.url)
	return p
}

// do sends a request with the API key and returns the status and body.
func (p *process) do(method, path, key, contentType string, body []byte) (int, []byte) {
	p.t.Helper()
	r, err := http.NewRequest(method, p.url+path, bytes.NewReader(body)) // photo links are relative
	if err != nil {
		p.t.Fatal(err)
	}
	if key != "" {
		r.Header.Set("API-KEY", key)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	return res.StatusCode, b
}

// photoLinks are a client's photo links as the API gives them.
type photoLinks struct {
	UID   string  `json:"user_uid"`
	Photo *string `json:"profile_photo"`
	Thumb *string `json:"profile_photo_thumbnail"`
}

// upload sends pic as a multipart create (POST) or update (PUT).
func (p *process) upload(key, method string, fields map[string]string, pic []byte) {
	p.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	f, _ := w.CreateFormFile("profile_photo", "portrait.jpg")
	f.Write(pic)
	w.Close()
	if status, body := p.do(method, "/client-management/clients/", key, w.FormDataContentType(), b.Bytes()); status/100 != 2 {
		p.t.Fatalf("%s with a photo: %d %s", method, status, body)
	}
}

func (p *process) links(key, uid string) photoLinks {
	p.t.Helper()
	status, body := p.do("GET", "/client-management/clients/"+uid, key, "", nil)
	var l photoLinks
	if status != 200 || json.Unmarshal(body, &l) != nil || l.Photo == nil || l.Thumb == nil {
		p.t.Fatalf("details: %d %s", status, body)
	}
	return l
}

// image follows a signed link and decodes the JPEG it serves.
func (p *process) image(link string) image.Image {
	p.t.Helper()
	status, body := p.do("GET", link, "", "", nil)
	if status != 200 {
		p.t.Fatalf("%s through %s: %d %s", link, p.url, status, body)
	}
	img, err := jpeg.Decode(bytes.NewReader(body))
	if err != nil {
		p.t.Fatalf("%s: %v", link, err)
	}
	return img
}

// Two roster serve processes on one PostgreSQL, each with a data directory
// of its own, share photos through one S3 bucket: what one stores the other
// serves, upright, and a replace or delete through one removes the blobs
// both would serve.
func TestTwoProcessesSharePhotos(t *testing.T) {
	_, dir, url := dbArgs(t, "postgres")
	bin := buildRoster(t)
	var secret bytes.Buffer
	if err := run(context.Background(), []string{"secret-key"}, &secret, io.Discard); err != nil {
		t.Fatal(err)
	}
	s3 := phototest.NewS3Server(t, nil)
	env := []string{"ROSTER_SECRET_KEY=" + strings.TrimSpace(secret.String()), "ROSTER_DATABASE_URL=" + url,
		"ROSTER_BLOB_URL=" + s3.BlobURL("shared/photos"),
		"AWS_ACCESS_KEY_ID=" + phototest.AccessKey, "AWS_SECRET_ACCESS_KEY=" + phototest.SecretKey}
	owner := runBootstrap(t, []string{"--data", dir, "--database-url", url},
		"--email", "owner@example.com", "--display-name", "Owner", "--company", "Acme", "--plan", "Pro")
	// At debug level, each logs when another's change drops a client from
	// its cache.
	a := startProcess(t, bin, env, "--data", t.TempDir(), "--log-level", "debug")
	b := startProcess(t, bin, env, "--data", t.TempDir(), "--log-level", "debug")

	// A portrait taken with the camera turned: stored 600×300, EXIF 6.
	a.upload(owner.APIKey, "POST", map[string]string{"email": "pic@example.com", "display_name": "Pic"},
		phototest.OrientedJPEG(t, phototest.Quadrants(600, 300), 6))
	status, body := a.do("GET", "/client-management/clients/", owner.APIKey, "", nil)
	var list struct{ Users []photoLinks }
	if status != 200 || json.Unmarshal(body, &list) != nil || len(list.Users) != 1 {
		t.Fatalf("list: %d %s", status, body)
	}
	fromA, fromB := a.links(owner.APIKey, list.Users[0].UID), b.links(owner.APIKey, list.Users[0].UID)
	upright := [4]color.RGBA{phototest.Blue, phototest.Red, phototest.White, phototest.Green} // turned right
	for _, tc := range []struct {
		link string
		w, h int
	}{{*fromA.Photo, 300, 600}, {*fromA.Thumb, 128, 256}, {*fromB.Photo, 300, 600}, {*fromB.Thumb, 128, 256}} {
		img := b.image(tc.link) // served by the process that did not store it
		if got := img.Bounds(); got.Dx() != tc.w || got.Dy() != tc.h || phototest.Corners(img) != upright {
			t.Errorf("%s: %v, corners %v; want %dx%d, %v", tc.link, got, phototest.Corners(img), tc.w, tc.h, upright)
		}
	}

	// A new photo through B: A's old links stop working, the new ones
	// work through A, and the bucket holds only the new pair. A has the
	// client cached, and hears of B's change by a notification that it may
	// still be reading when B answers (README, "PostgreSQL"): the test
	// waits until A has dropped the client, as TestTwoServeProcesses does.
	// A starts listening, and caching, some time after its first request:
	// until it logs so, it would hear nothing (and hold nothing to drop).
	aLog := &server{t: t, url: a.url, logs: a.out}
	aLog.awaitLog(cachesOn, 0)
	a.links(owner.APIKey, fromA.UID) // cached now
	seen := aLog.logged(invalidated)
	b.upload(owner.APIKey, "PUT", map[string]string{"user_uid": fromA.UID},
		phototest.OrientedJPEG(t, phototest.Quadrants(40, 20), 1))
	aLog.awaitLog(invalidated, seen)
	now := a.links(owner.APIKey, fromA.UID)
	for _, old := range []string{*fromA.Photo, *fromA.Thumb} {
		if status, _ := a.do("GET", old, "", "", nil); status != 404 {
			t.Errorf("replaced %s: %d, want 404", old, status)
		}
	}
	if img := a.image(*now.Photo); img.Bounds().Dx() != 40 {
		t.Errorf("new photo %v, want 40 wide", img.Bounds())
	}
	bucket := s3.Open(t, "shared/photos")
	if keys := phototest.Keys(t, bucket); len(keys) != 2 {
		t.Errorf("bucket after the replace: %q, want the new photo and thumbnail", keys)
	}

	// Deleting the client through A removes both blobs.
	if status, body := a.do("DELETE", "/client-management/clients/", owner.APIKey, "application/json",
		[]byte(`{"user_uid":"`+fromA.UID+`"}`)); status != 200 {
		t.Fatalf("delete: %d %s", status, body)
	}
	if status, _ := b.do("GET", *now.Thumb, "", "", nil); status != 404 {
		t.Errorf("thumbnail of a deleted client: %d, want 404", status)
	}
	if keys := phototest.Keys(t, bucket); len(keys) != 0 {
		t.Errorf("bucket after the delete: %q", keys)
	}
}

// serve refuses a --blob-url it cannot use, before it starts.
func TestServeRejectsBadBlobURL(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	s3 := phototest.NewS3Server(t, nil)
	for _, tc := range []struct {
		env  string // ROSTER_BLOB_URL, or --blob-url when args is set
		args []string
		want string
	}{
		{"gs://bucket/photos", nil, `--blob-url: blob URL "gs://bucket/photos": unknown scheme "gs"`},
		{"", []string{"--blob-url", "s3://?endpoint=http://127.0.0.1:9000"}, "missing bucket"},
		{"", []string{"--blob-url", "s3://photos?endpoint=127.0.0.1:9000"}, `bad endpoint "127.0.0.1:9000"`},
		{s3.BlobURL("p"), nil, "needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("ROSTER_BLOB_URL", tc.env)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Until(clocktest.Deadline(t)))
			defer cancel()
			args := append([]string{"serve", "--addr", nettest.FreeAddr(t), "--data", t.TempDir()}, tc.args...)
			if err := run(ctx, args, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one with %s", err, tc.want)
			}
		})
	}
}
