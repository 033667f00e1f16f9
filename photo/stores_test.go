package photo_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"roster/clocktest"
	"roster/photo"
	"roster/photo/phototest"
)

// blobStore is a store under test, with a way to set when a blob was
// written, so that tests decide its age.
type blobStore struct {
	photo.Blobs
	clock *clocktest.Clock // the S3 server stamps objects with its time
	root  string           // the Dir's, whose files get their times set
}

// putAt stores data under key as written at when.
func (b blobStore) putAt(t *testing.T, key string, data []byte, when time.Time) {
	t.Helper()
	if b.clock != nil {
		b.clock.Advance(when.Sub(b.clock.Now()))
	}
	if err := b.Put(context.Background(), key, data); err != nil {
		t.Fatal(err)
	}
	if b.root != "" {
		if err := os.Chtimes(filepath.Join(b.root, filepath.FromSlash(key)), when, when); err != nil {
			t.Fatal(err)
		}
	}
}

// eachStore runs fn on local disk and on an S3 bucket under a prefix.
func eachStore(t *testing.T, fn func(t *testing.T, b blobStore)) {
	t.Run("dir", func(t *testing.T) {
		root := filepath.Join(t.TempDir(), "photos")
		d, err := photo.NewDir(root)
		if err != nil {
			t.Fatal(err)
		}
		fn(t, blobStore{Blobs: d, root: root})
	})
	t.Run("s3", func(t *testing.T) {
		clock := clocktest.NewClock()
		srv := phototest.NewS3Server(t, clock.Now)
		fn(t, blobStore{Blobs: srv.Open(t, "roster/photos"), clock: clock})
	})
}

func read(t *testing.T, b photo.Blobs, key string) string {
	t.Helper()
	f, err := b.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestBlobsRoundTrip(t *testing.T) {
	eachStore(t, func(t *testing.T, b blobStore) {
		ctx := context.Background()
		const key = "org1/client1-abc.jpg"
		if err := b.Put(ctx, key, []byte("first")); err != nil {
			t.Fatal(err)
		}
		if err := b.Put(ctx, key, []byte("second photo")); err != nil {
			t.Fatal(err)
		}
		if got := read(t, b, key); got != "second photo" {
			t.Fatalf("read %q, want the second photo", got)
		}
		// http.ServeContent seeks to the end for the size, then back.
		f, err := b.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := f.Seek(0, io.SeekEnd); n != 12 || err != nil {
			t.Errorf("Seek(end) = %d, %v; want 12", n, err)
		}
		if _, err := f.Seek(7, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if rest, err := io.ReadAll(f); string(rest) != "photo" || err != nil {
			t.Errorf("read after Seek(7) = %q, %v", rest, err)
		}
		f.Close()

		for _, missing := range []string{"org1/other.jpg", "org2/client1-abc.jpg", "org1", "../x", ""} {
			if f, err := b.Open(ctx, missing); !errors.Is(err, fs.ErrNotExist) || f != nil {
				t.Errorf("Open(%q) = %v, want fs.ErrNotExist", missing, err)
			}
		}
		for _, bad := range []string{"../x", "a//b", "a b", "/abs", ""} {
			if err := b.Put(ctx, bad, []byte("x")); !errors.Is(err, photo.ErrInvalidKey) {
				t.Errorf("Put(%q) = %v, want ErrInvalidKey", bad, err)
			}
		}
		if err := b.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Open(ctx, key); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Open after Delete: %v, want fs.ErrNotExist", err)
		}
		if err := b.Delete(ctx, key); err != nil {
			t.Fatalf("Delete of a missing key: %v", err)
		}
	})
}

// Walking a store a batch at a time visits every blob once, whatever the
// batch size, and a short batch is the end.
func TestBlobsList(t *testing.T) {
	eachStore(t, func(t *testing.T, b blobStore) {
		ctx := context.Background()
		// "-" and "." sort before "/": segment order and byte order differ.
		keys := []string{"a/x.jpg", "a-b/y.jpg", "a/x.thumb.jpg", "a.c/z.png", "b/1.jpg", "b/2.jpg",
			"b/10.jpg", "a/.tmp-123", "c/d/e.png"}
		for _, k := range keys {
			b.putAt(t, k, []byte(k), time.Now())
		}
		for batch := 1; batch <= len(keys)+1; batch++ {
			var seen []string
			for after := ""; ; {
				got, err := b.List(ctx, after, batch)
				if err != nil {
					t.Fatal(err)
				}
				for _, in := range got {
					seen = append(seen, in.Key)
					if in.ModTime.IsZero() {
						t.Errorf("%s: no time", in.Key)
					}
				}
				if len(got) < batch {
					break
				}
				after = got[len(got)-1].Key
			}
			slices.Sort(seen)
			want := slices.Sorted(slices.Values(keys))
			if !slices.Equal(seen, want) {
				t.Fatalf("batches of %d: listed %q, want %q", batch, seen, want)
			}
		}
	})
}

// The S3 store keeps to its prefix, and lists only what could be a key.
func TestS3Prefix(t *testing.T) {
	srv := phototest.NewS3Server(t, nil)
	ctx := context.Background()
	a, b, whole := srv.Open(t, "roster/a"), srv.Open(t, "roster/b"), srv.Open(t, "")
	if err := a.Put(ctx, "org/p.jpg", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "org/p.jpg", []byte("b")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, a, "org/p.jpg"); got != "a" {
		t.Errorf("prefix a holds %q", got)
	}
	if got := read(t, whole, "roster/b/org/p.jpg"); got != "b" {
		t.Errorf("the bucket holds %q under roster/b", got)
	}
	listed, err := a.List(ctx, "", 10)
	if err != nil || len(listed) != 1 || listed[0].Key != "org/p.jpg" {
		t.Errorf("List under a = %v, %v", listed, err)
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want photo.Location
	}{
		{"", photo.Location{}},
		{"file:", photo.Location{}},
		{"file:///var/lib/roster/photos", photo.Location{Dir: "/var/lib/roster/photos"}},
		{"s3://photos", photo.Location{S3: &photo.S3Config{Endpoint: "s3.amazonaws.com", Secure: true,
			Region: "us-east-1", Bucket: "photos"}}},
		{"s3://my-bucket/roster/prod/?endpoint=http://127.0.0.1:9000&region=eu-west-1",
			photo.Location{S3: &photo.S3Config{Endpoint: "127.0.0.1:9000", Region: "eu-west-1",
				Bucket: "my-bucket", Prefix: "roster/prod"}}},
		{"s3://b.example/p?endpoint=https://minio.example:9443/", photo.Location{S3: &photo.S3Config{
			Endpoint: "minio.example:9443", Secure: true, Region: "us-east-1", Bucket: "b.example", Prefix: "p"}}},
	} {
		got, err := photo.ParseURL(tc.raw)
		if err != nil || got.Dir != tc.want.Dir || (got.S3 == nil) != (tc.want.S3 == nil) ||
			got.S3 != nil && *got.S3 != *tc.want.S3 {
			t.Errorf("ParseURL(%q) = %+v %+v, %v; want %+v %+v", tc.raw, got, got.S3, err, tc.want, tc.want.S3)
		}
	}
	for _, tc := range []struct{ raw, msg string }{
		{"gs://bucket/photos", `unknown scheme "gs"`},
		{"/var/lib/photos", `unknown scheme ""`},
		{"s3:///photos", "missing bucket"},
		{"s3://", "missing bucket"},
		{"s3://Bad_Bucket", `bucket "Bad_Bucket"`},
		{"s3://bkt/p?endpoint=127.0.0.1:9000", `bad endpoint "127.0.0.1:9000"`},
		{"s3://bkt/p?endpoint=ftp://host", `bad endpoint "ftp://host"`},
		{"s3://bkt/p?endpoint=http://", `bad endpoint "http://"`},
		{"s3://bkt/p?endpoint=http://host/path", `bad endpoint "http://host/path"`},
		{"s3://bkt/p?endpoint=http://[::1", `bad endpoint`},
		{"s3://bkt/p?endpont=http://host", `unknown parameter "endpont"`},
		{"s3://key:secret@b/p", "credentials do not go in the URL"},
		{"s3://bkt/a%20b", `prefix "a b"`},
		{"s3://bkt/a/../b", `prefix "a/../b"`},
		{"file:photos", "want file: alone or file:///an/absolute/path"},
		{"file://host/photos", "want file: alone or file:///an/absolute/path"},
		{"file:///photos?x=1", "want file: alone or file:///an/absolute/path"},
	} {
		_, err := photo.ParseURL(tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseURL(%q) = %v; want an error with %q", tc.raw, err, tc.msg)
		}
	}
}

// Open checks at once what would otherwise fail every upload: missing
// credentials, a missing bucket, an endpoint that does not answer.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	srv := phototest.NewS3Server(t, nil)
	env := func(name string) string {
		return map[string]string{"AWS_ACCESS_KEY_ID": phototest.AccessKey, "AWS_SECRET_ACCESS_KEY": phototest.SecretKey}[name]
	}
	blobs, err := photo.Open(ctx, srv.BlobURL("p"), "", env)
	if _, ok := blobs.(*photo.S3); !ok || err != nil {
		t.Fatalf("Open = %T, %v; want an S3 store", blobs, err)
	}
	dir := t.TempDir()
	if blobs, err := photo.Open(ctx, "", dir, env); err != nil {
		t.Errorf("Open of the default = %v", err)
	} else if _, ok := blobs.(*photo.Dir); !ok {
		t.Errorf("Open of the default = %T", blobs)
	}

	noSecret := func(name string) string {
		return map[string]string{"AWS_ACCESS_KEY_ID": phototest.AccessKey}[name]
	}
	closed := phototest.NewS3Server(t, nil)
	closedURL := closed.BlobURL("p")
	closedEndpoint := strings.TrimPrefix(closed.Endpoint, "http://")
	closed.Close() // an endpoint nothing answers at
	for _, tc := range []struct {
		raw string
		env func(string) string
		msg string
	}{
		{srv.BlobURL("p"), noSecret, "needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
		{strings.Replace(srv.BlobURL("p"), phototest.Bucket, "missing-bucket", 1), env, `bucket "missing-bucket" does not exist`},
		{closedURL, env, closedEndpoint},
		{"gs://x", env, "unknown scheme"},
	} {
		if _, err := photo.Open(ctx, tc.raw, dir, tc.env); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Open(%q) = %v; want an error with %q", tc.raw, err, tc.msg)
		}
	}
}
