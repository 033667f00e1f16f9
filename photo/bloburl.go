package photo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Location is where a blob URL (--blob-url) says photos are: a directory
// on local disk, or an S3 bucket.
type Location struct {
	Dir string    // a directory; "" with S3 nil: the default directory
	S3  *S3Config // without its credentials, which come from the environment
}

// ParseURL reads a blob URL:
//
//	"" or file:             the default directory (under the data directory)
//	file:///var/lib/photos  a directory of its own
//	s3://BUCKET/PREFIX?endpoint=http://127.0.0.1:9000&region=us-east-1
//
// endpoint defaults to AWS (https://s3.amazonaws.com), region to us-east-1
// and PREFIX to none.
func ParseURL(raw string) (Location, error) {
	if raw == "" {
		return Location{}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Location{}, fmt.Errorf("blob URL: %w", err)
	}
	switch u.Scheme {
	case "file":
		return parseFile(u)
	case "s3":
		cfg, err := parseS3(u)
		return Location{S3: cfg}, err
	}
	return Location{}, fmt.Errorf("blob URL %q: unknown scheme %q; want file: or s3://", raw, u.Scheme)
}

func parseFile(u *url.URL) (Location, error) {
	if u.Opaque != "" || u.Host != "" || u.RawQuery != "" || u.Path != "" && !filepath.IsAbs(u.Path) {
		return Location{}, fmt.Errorf("blob URL %q: want file: alone or file:///an/absolute/path", u)
	}
	return Location{Dir: u.Path}, nil
}

func parseS3(u *url.URL) (*S3Config, error) {
	if u.User != nil {
		return nil, fmt.Errorf("blob URL: credentials do not go in the URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	if u.Host == "" {
		return nil, fmt.Errorf("blob URL %q: missing bucket; want s3://BUCKET/PREFIX", u)
	}
	if err := s3utils.CheckValidBucketNameStrict(u.Host); err != nil {
		return nil, fmt.Errorf("blob URL %q: bucket %q: %w", u, u.Host, err)
	}
	cfg := &S3Config{Bucket: u.Host, Prefix: strings.Trim(u.Path, "/"), Region: "us-east-1",
		Endpoint: "s3.amazonaws.com", Secure: true}
	if cfg.Prefix != "" && !validKey(cfg.Prefix) {
		return nil, fmt.Errorf("blob URL %q: prefix %q: want segments of letters, digits, '.', '_' and '-' between slashes", u, cfg.Prefix)
	}
	q := u.Query()
	for name := range q {
		if name != "endpoint" && name != "region" {
			return nil, fmt.Errorf("blob URL %q: unknown parameter %q; want endpoint or region", u, name)
		}
	}
	if r := q.Get("region"); r != "" {
		cfg.Region = r
	}
	if e := q.Get("endpoint"); e != "" {
		ep, err := url.Parse(e)
		if err != nil || ep.Scheme != "http" && ep.Scheme != "https" || ep.Host == "" || ep.User != nil ||
			strings.Trim(ep.Path, "/") != "" || ep.RawQuery != "" || ep.Fragment != "" {
			return nil, fmt.Errorf("blob URL: bad endpoint %q; want http://host:port or https://host:port", e)
		}
		cfg.Endpoint, cfg.Secure = ep.Host, ep.Scheme == "https"
	}
	return cfg, nil
}

// Open returns the blob store of a blob URL: defaultDir for none or
// file:, and for s3:// a bucket whose credentials getenv gives.
func Open(ctx context.Context, raw, defaultDir string, getenv func(string) string) (Blobs, error) {
	loc, err := ParseURL(raw)
	if err != nil {
		return nil, err
	}
	if loc.S3 == nil {
		return NewDir(cmp.Or(loc.Dir, defaultDir))
	}
	loc.S3.AccessKey, loc.S3.SecretKey = getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if loc.S3.AccessKey == "" || loc.S3.SecretKey == "" {
		return nil, errors.New("blob URL: S3 storage needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	return NewS3(ctx, *loc.S3)
}
