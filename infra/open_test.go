package infra_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/infra/testenv"
)

func TestSplitObjectURL(t *testing.T) {
	tests := []struct {
		name, url, store, key string
	}{
		{"absolute path", "/data/x.csv", "/data", "x.csv"},
		{"file in root folder", "/x.csv", "/", "x.csv"},
		{"relative path", "in/sup/x.csv", "in/sup", "x.csv"},
		{"bare file name", "x.csv", ".", "x.csv"},
		{"file url", "file:///data/in/x.csv", "file:///data/in", "x.csv"},
		{"s3 deep", "s3://b/inbox/sup/x.csv", "s3://b/inbox/sup", "x.csv"},
		{"s3 bucket root", "s3://b/x.csv", "s3://b", "x.csv"},
		{"s3 no key", "s3://b", "s3://b", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store, key := infra.SplitObjectURL(tc.url)
			if store != tc.store || key != tc.key {
				t.Fatalf("SplitObjectURL(%q) = %q, %q; want %q, %q", tc.url, store, key, tc.store, tc.key)
			}
		})
	}
}

func TestOpenStoreLocal(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.csv"), []byte("a;b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, url string
	}{
		{"path", dir},
		{"file url", "file://" + dir},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := infra.OpenStore(t.Context(), tc.url, infra.S3Config{})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := s.Size(t.Context(), "x.csv"); err != nil || n != 4 {
				t.Fatalf("Size = %d, %v", n, err)
			}
			if s.URL() != "file://"+dir {
				t.Fatalf("URL = %q", s.URL())
			}
		})
	}
}

func TestOpenStoreErrors(t *testing.T) {
	tests := []struct {
		name, url string
		want      error
	}{
		{"empty", "", infra.ErrUnsupportedURL},
		{"unknown scheme", "gs://bucket/x", infra.ErrUnsupportedURL},
		{"s3 without bucket", "s3:///x", infra.ErrUnsupportedURL},
		{"file without path", "file://", infra.ErrUnsupportedURL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := infra.OpenStore(t.Context(), tc.url, infra.S3Config{})
			if !errors.Is(err, tc.want) || s != nil {
				t.Fatalf("OpenStore(%q) = %v, %v; want nil, %v", tc.url, s, err, tc.want)
			}
		})
	}
}

func TestOpenReaderMissingFolder(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	r, err := infra.OpenReader(t.Context(), missing, infra.S3Config{})
	if !errors.Is(err, infra.ErrNotFound) || r != nil {
		t.Fatalf("OpenReader(missing) = %v, %v; want nil, ErrNotFound", r, err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("OpenReader created the folder")
	}
}

func TestOpenStoreS3(t *testing.T) {
	_, cfg, bucket := testenv.S3(t)
	s, err := infra.OpenStore(t.Context(), "s3://"+bucket+"/inbox/sup", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.URL(), "s3://"+bucket+"/inbox/sup"; got != want {
		t.Fatalf("URL = %q, want %q", got, want)
	}
	if err := s.PutIfAbsent(t.Context(), "x.csv", []byte("a;b\n")); err != nil {
		t.Fatal(err)
	}
	storeURL, key := infra.SplitObjectURL("s3://" + bucket + "/inbox/sup/x.csv")
	r, err := infra.OpenReader(t.Context(), storeURL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.Size(t.Context(), key); err != nil || n != 4 {
		t.Fatalf("Size(%q) via %q = %d, %v", key, storeURL, n, err)
	}
	root, err := infra.OpenReader(t.Context(), "s3://"+bucket, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := root.ListKeys(t.Context(), ""); err != nil || len(keys) != 1 || keys[0] != "inbox/sup/x.csv" {
		t.Fatalf("bucket root ListKeys = %q, %v", keys, err)
	}
}
