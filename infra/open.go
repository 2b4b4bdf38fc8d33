package infra

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrUnsupportedURL is returned for a store URL whose scheme infra does not
// know.
var ErrUnsupportedURL = errors.New("unsupported store url")

// OpenStore opens the store named by url: a local folder path,
// "file://path", or "s3://bucket/prefix" (cfg configures the S3 client and
// is ignored otherwise). A local folder is created if missing.
func OpenStore(ctx context.Context, url string, cfg S3Config) (Store, error) {
	return openStore(ctx, url, cfg, NewLocalStore)
}

// OpenReader is OpenStore for reading: a local folder must exist, so a
// mistyped path is reported instead of created.
func OpenReader(ctx context.Context, url string, cfg S3Config) (BucketReader, error) {
	return openStore(ctx, url, cfg, NewLocalReader)
}

func openStore(ctx context.Context, url string, cfg S3Config, local func(string) (*LocalStore, error)) (Store, error) {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		if url == "" {
			return nil, fmt.Errorf("%w: empty", ErrUnsupportedURL)
		}
		return openLocal(url, local)
	}
	switch scheme {
	case "file":
		if rest == "" {
			return nil, fmt.Errorf("%w: %s: empty path", ErrUnsupportedURL, url)
		}
		return openLocal(rest, local)
	case "s3":
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return nil, fmt.Errorf("%w: %s: empty bucket", ErrUnsupportedURL, url)
		}
		s, err := NewS3Store(ctx, cfg, bucket, prefix)
		if err != nil {
			return nil, err
		}
		return s, nil
	default:
		return nil, fmt.Errorf("%w: %s", ErrUnsupportedURL, url)
	}
}

// openLocal avoids returning a nil *LocalStore inside a non-nil Store.
func openLocal(dir string, local func(string) (*LocalStore, error)) (Store, error) {
	s, err := local(dir)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// SplitObjectURL splits the URL of one object into the URL of the store
// that holds it and its key: "/data/x.csv" is ("/data", "x.csv"),
// "s3://b/inbox/sup/x.csv" is ("s3://b/inbox/sup", "x.csv"), "x.csv" is
// (".", "x.csv"). A URL naming no object ("s3://b") gives an empty key.
func SplitObjectURL(url string) (storeURL, key string) {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return splitPath(url)
	}
	if scheme == "file" {
		dir, key := splitPath(rest)
		return "file://" + dir, key
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return url, ""
	}
	return scheme + "://" + rest[:i], rest[i+1:]
}

func splitPath(p string) (dir, file string) {
	switch i := strings.LastIndexByte(p, '/'); i {
	case -1:
		return ".", p
	case 0:
		return "/", p[1:]
	default:
		return p[:i], p[i+1:]
	}
}

// WithPrefix returns s rooted at prefix: every key is prefix + "/" + key.
// Use it to give a run its own folder in a shared store.
func WithPrefix(s Store, prefix string) Store {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return s
	}
	return &prefixStore{s: s, prefix: prefix + "/"}
}
