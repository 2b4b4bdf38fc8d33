package infra_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
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
// (8 MiB), so the large objects span three parts; lists come in pages of
// 7, so every List paginates and ListManyKeys needs only 40 objects.
// TestS3ListOver1000 covers the server's default page size.
func TestS3Store(t *testing.T) {
	_, cfg, bucket := testenv.S3(t)
	cfg.PartSize = 8 << 20
	cfg.ListPageSize = 7
	var n atomic.Int64
	storetest.RunOptions(t, storetest.Options{ManyKeys: 40}, func(t *testing.T) infra.Store {
		s, err := infra.NewS3Store(t.Context(), cfg, bucket, fmt.Sprintf("suite/%d", n.Add(1)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestS3ListOver1000 lists more than one default page (1000 keys). The
// objects are seeded as files in the gateway's posix folder, which is
// much cheaper than 1100 PUTs.
func TestS3ListOver1000(t *testing.T) {
	e := testenv.S3Server(t)
	dir := filepath.Join(e.Dir, e.Bucket, "inbox", "many")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 1100 {
		name := fmt.Sprintf("%05d.csv", i)
		want = append(want, "many/"+name)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := infra.NewS3Store(t.Context(), e.Config, e.Bucket, "inbox")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ListKeys(t.Context(), "many/")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ListKeys returned %d keys, want %d in order", len(got), len(want))
	}
}

// TestS3OpenDetectsCorruption damages an object on the server's disk: a
// full read must fail the checksum the server stored at upload (CRC64NVME
// on versitygw and AWS), not return wrong bytes.
func TestS3OpenDetectsCorruption(t *testing.T) {
	e := testenv.S3Server(t)
	s, err := infra.NewS3Store(t.Context(), e.Config, e.Bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfAbsent(t.Context(), "obj", []byte("original content")); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, s, "obj"); got != "original content" {
		t.Fatalf("intact read = %q", got)
	}
	// Same length, same inode: the stored checksum attribute stays.
	f, err := os.OpenFile(filepath.Join(e.Dir, e.Bucket, "obj"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("X"), 3); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r, err := s.Open(t.Context(), "obj")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err == nil {
		t.Fatalf("read a damaged object without error: %q", b)
	}
	if !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("read error = %v, want a checksum mismatch", err)
	}
}

func readAll(t *testing.T, s infra.BucketReader, key string) string {
	t.Helper()
	r, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
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

// TestS3FailedWriteCommitsNothing makes the server refuse to start a
// multipart upload, so the first full part fails in Write: Close must then
// fail too and not send what is buffered as a (truncated) object.
func TestS3FailedWriteCommitsNothing(t *testing.T) {
	endpoint, cfg, bucket := testenv.S3(t)
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := r.URL.Query()["uploads"]; ok && r.Method == http.MethodPost {
			http.Error(w, "refused by test", http.StatusBadRequest)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	cfg.Endpoint = front.URL
	cfg.PartSize = 8 << 20
	s, err := infra.NewS3Store(t.Context(), cfg, bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Create(t.Context(), "truncated")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 8<<20)); err == nil {
		t.Fatal("Write of a full part succeeded although the upload was refused")
	}
	if _, err := w.Write([]byte("more")); err == nil {
		t.Fatal("Write after a failed part succeeded")
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after a failed Write returned nil")
	}
	if _, err := s.Stat(t.Context(), "truncated"); !errors.Is(err, infra.ErrNotFound) {
		t.Fatalf("Stat = %v, want ErrNotFound", err)
	}
}
