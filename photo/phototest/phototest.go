// Package phototest serves photo tests an S3 server of their own: gofakes3
// with its in-memory backend, over a real HTTP listener, so that the S3
// store is tested through minio-go's real requests.
package phototest

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"roster/photo"
)

// Bucket is the bucket every S3Server has.
const Bucket = "roster-test"

// Credentials a test sets as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY;
// gofakes3 takes any.
const (
	AccessKey = "test-access-key"
	SecretKey = "test-secret-key"
)

// S3Server is an S3 server for one test, closed when it ends.
type S3Server struct {
	Endpoint string // http://127.0.0.1:port
	srv      *httptest.Server
}

// NewS3Server starts a server whose objects are stamped with now's time
// (nil: the system's), so that a test decides how old a blob is.
func NewS3Server(t testing.TB, now func() time.Time) *S3Server {
	t.Helper()
	var opts []s3mem.Option
	if now != nil {
		opts = append(opts, s3mem.WithTimeSource(clock(now)))
	}
	backend := s3mem.New(opts...)
	if err := backend.CreateBucket(Bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return &S3Server{Endpoint: srv.URL, srv: srv}
}

// Close stops the server before the test ends.
func (s *S3Server) Close() { s.srv.Close() }

// BlobURL returns the --blob-url of the bucket under prefix.
func (s *S3Server) BlobURL(prefix string) string {
	return "s3://" + Bucket + "/" + prefix + "?endpoint=" + s.Endpoint + "&region=us-east-1"
}

// Open returns a store of the bucket under prefix.
func (s *S3Server) Open(t testing.TB, prefix string) *photo.S3 {
	t.Helper()
	loc, err := photo.ParseURL(s.BlobURL(prefix))
	if err != nil {
		t.Fatal(err)
	}
	loc.S3.AccessKey, loc.S3.SecretKey = AccessKey, SecretKey
	blobs, err := photo.NewS3(context.Background(), *loc.S3)
	if err != nil {
		t.Fatal(err)
	}
	return blobs
}

// clock is a gofakes3 time source reading now.
type clock func() time.Time

func (c clock) Now() time.Time                  { return c() }
func (c clock) Since(t time.Time) time.Duration { return c().Sub(t) }

// Keys returns every key b holds (at most 1000), sorted.
func Keys(t testing.TB, b photo.Blobs) []string {
	t.Helper()
	infos, err := b.List(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(infos))
	for _, in := range infos {
		keys = append(keys, in.Key)
	}
	slices.Sort(keys)
	return keys
}
