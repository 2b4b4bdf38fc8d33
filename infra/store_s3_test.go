package infra_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/infra/storetest"
	"github.com/listwash/listwash/infra/testenv"
)

// TestS3Store runs the acceptance suite against a real versitygw, each
// sub-test in its own prefix of one bucket. The part size is the minimum
// (8 MiB), so the large objects span three parts.
func TestS3Store(t *testing.T) {
	_, cfg, bucket := testenv.S3(t)
	cfg.PartSize = 8 << 20
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) infra.Store {
		s, err := infra.NewS3Store(t.Context(), cfg, bucket, fmt.Sprintf("suite/%d", n.Add(1)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestS3ListPages lists with a page size of 7, so a few objects already
// need several ListObjectsV2 pages.
func TestS3ListPages(t *testing.T) {
	_, cfg, bucket := testenv.S3(t)
	cfg.ListPageSize = 7
	s, err := infra.NewS3Store(t.Context(), cfg, bucket, "pages")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 30 {
		k := fmt.Sprintf("p/%02d", i)
		want = append(want, k)
		if err := s.PutIfAbsent(t.Context(), k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ListKeys(t.Context(), "p/")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ListKeys = %q, want %q", got, want)
	}
}

// TestS3ServerChecksContentMD5 pins what the store's upload integrity relies
// on: the server rejects a body whose Content-MD5 does not match.
func TestS3ServerChecksContentMD5(t *testing.T) {
	_, cfg, bucket := testenv.S3(t)
	client, err := infra.NewS3Client(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("bad"),
		Body: strings.NewReader("payload"), ContentMD5: aws.String("XrY7u+Ae7tCTyyK7j1rNww==")}) // md5("hello world")
	if err == nil {
		t.Fatal("server accepted a body with a wrong Content-MD5")
	}
	s := infra.NewS3StoreClient(client, cfg, bucket, "")
	if _, err := s.Stat(t.Context(), "bad"); !errors.Is(err, infra.ErrNotFound) {
		t.Fatalf("Stat after rejected put = %v, want ErrNotFound", err)
	}
}

// TestS3NoLeftoverUploads checks that an aborted multipart write leaves no
// incomplete upload (which would cost storage on AWS).
func TestS3NoLeftoverUploads(t *testing.T) {
	_, cfg, bucket := testenv.S3(t)
	cfg.PartSize = 8 << 20
	s, err := infra.NewS3Store(t.Context(), cfg, bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Create(t.Context(), "aborted")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 9<<20)); err != nil {
		t.Fatal(err)
	}
	if err := w.(infra.Aborter).Abort(); err != nil {
		t.Fatal(err)
	}
	// A cancelled context fails Close, which must abort, too.
	ctx, cancel := context.WithCancel(t.Context())
	w, err = s.Create(ctx, "cancelled")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 9<<20)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := w.Close(); err == nil {
		t.Fatal("Close with a cancelled context returned nil")
	}
	client, err := infra.NewS3Client(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, err := client.ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Uploads) != 0 {
		t.Fatalf("%d multipart uploads left behind", len(out.Uploads))
	}
	for _, k := range []string{"aborted", "cancelled"} {
		if _, err := s.Stat(t.Context(), k); !errors.Is(err, infra.ErrNotFound) {
			t.Fatalf("Stat(%s) = %v, want ErrNotFound", k, err)
		}
	}
}
