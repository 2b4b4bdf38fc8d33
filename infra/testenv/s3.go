package testenv

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/listwash/listwash/infra"
)

// Credentials of the test gateway's root user.
const (
	s3AccessKey = "testenv-access"
	s3SecretKey = "testenv-secret-key"
	s3Bucket    = "listwash-test"
)

// S3Env is a running versitygw.
type S3Env struct {
	Endpoint string         // "http://127.0.0.1:port"
	Config   infra.S3Config // static root credentials, path style
	Bucket   string         // created empty
	// Dir is the posix backend's root: Dir/Bucket/a/b is object "a/b".
	// Tests may seed or damage objects there directly.
	Dir string
}

// S3 starts versitygw with a posix backend in a temporary folder on a free
// loopback port, creates a bucket and returns the endpoint, a client
// config for it (static root credentials, path style) and the bucket
// name. The server stops when t ends.
func S3(t testing.TB) (endpoint string, cfg infra.S3Config, bucket string) {
	t.Helper()
	e := S3Server(t)
	return e.Endpoint, e.Config, e.Bucket
}

// S3Server is S3 that also tells where the backend keeps the objects.
func S3Server(t testing.TB) *S3Env {
	t.Helper()
	bin := binary(t, "versitygw")
	root := t.TempDir()
	env := []string{"ROOT_ACCESS_KEY=" + s3AccessKey, "ROOT_SECRET_KEY=" + s3SecretKey}
	addr := start(t, bin, env, func(port int) []string {
		return []string{"--port", fmt.Sprintf("127.0.0.1:%d", port), "--quiet", "posix", root}
	}, pingHTTP)
	e := &S3Env{Endpoint: "http://" + addr, Bucket: s3Bucket, Dir: root}
	e.Config = infra.S3Config{Endpoint: e.Endpoint, Region: "us-east-1",
		AccessKey: s3AccessKey, SecretKey: s3SecretKey, PathStyle: true}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	client, err := infra.NewS3Client(ctx, e.Config)
	if err != nil {
		t.Fatalf("testenv: s3 client: %v", err)
	}
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s3Bucket)}); err != nil {
		t.Fatalf("testenv: create bucket: %v", err)
	}
	return e
}

// pingHTTP succeeds once the server answers HTTP at all (versitygw answers
// an anonymous GET / with 403).
func pingHTTP(addr string) error {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}
