package photo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 stores blobs as objects of an S3-compatible bucket, under a prefix, so
// that several Roster processes share them.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string // "" or ending in "/"
}

var _ Blobs = (*S3)(nil)

// S3Config says where an S3 store is.
type S3Config struct {
	Endpoint  string // host[:port]
	Secure    bool   // https
	Region    string
	Bucket    string
	Prefix    string // a key's prefix in the bucket; "/" is added if missing
	AccessKey string // empty for anonymous requests
	SecretKey string
}

// NewS3 returns the store cfg describes, after checking that its bucket
// exists, so that a wrong name or unreachable endpoint stops the server at
// start rather than failing every upload.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.Secure,
		Region: cfg.Region,
		// Path-style requests work with every S3-compatible server,
		// including those reached by IP address.
		BucketLookup: minio.BucketLookupPath,
		// Three tries rather than ten: an upload fails within seconds
		// when S3 is away, instead of holding its request.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("photo: S3 endpoint %s: %w", cfg.Endpoint, err)
	}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("photo: S3 bucket %q at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("photo: S3 bucket %q does not exist at %s", cfg.Bucket, cfg.Endpoint)
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &S3{client: client, bucket: cfg.Bucket, prefix: prefix}, nil
}

// Put uploads data under key. S3 makes an object visible only once it is
// whole, so readers never see a partial photo.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	if !validKey(key) {
		return fmt.Errorf("%w %q", ErrInvalidKey, key)
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.prefix+key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: ContentType(strings.TrimPrefix(path.Ext(key), "."))})
	if err != nil {
		return fmt.Errorf("photo: put %s: %w", key, err)
	}
	return nil
}

// Open returns the object under key. Its Seek asks for ranges as
// http.ServeContent needs them, so a photo is never held whole in memory.
func (s *S3) Open(ctx context.Context, key string) (io.ReadSeekCloser, error) {
	if !validKey(key) {
		return nil, fmt.Errorf("%w %q: %w", ErrInvalidKey, key, fs.ErrNotExist)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err == nil {
		// GetObject sends nothing until asked: Stat finds a missing key now.
		_, err = obj.Stat()
		if err != nil {
			obj.Close()
		}
	}
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("photo: open %s: %w", key, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("photo: open %s: %w", key, err)
	}
	return obj, nil
}

// Delete removes the object under key; S3 does not report a missing one.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !validKey(key) {
		return fmt.Errorf("%w %q", ErrInvalidKey, key)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return fmt.Errorf("photo: delete %s: %w", key, err)
	}
	return nil
}

// List returns up to limit blobs whose keys sort after after, in the
// bucket's (bytewise) order. Objects under the prefix whose names are not
// keys are skipped.
func (s *S3) List(ctx context.Context, after string, limit int) ([]Info, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing's goroutine once limit is reached
	opts := minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true, MaxKeys: limit}
	if after != "" {
		opts.StartAfter = s.prefix + after
	}
	var out []Info
	for obj := range s.client.ListObjects(ctx, s.bucket, opts) {
		if obj.Err != nil {
			return nil, fmt.Errorf("photo: list: %w", obj.Err)
		}
		if key := strings.TrimPrefix(obj.Key, s.prefix); validKey(key) {
			out = append(out, Info{Key: key, ModTime: obj.LastModified})
		}
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

func notFound(err error) bool {
	resp := minio.ToErrorResponse(err)
	return resp.StatusCode == http.StatusNotFound || resp.Code == "NoSuchKey"
}
