package infra

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Config configures the client of an S3-compatible server (AWS, MinIO,
// versitygw, Ceph RGW). It can hold secrets: never log it whole.
type S3Config struct {
	// Endpoint is the server's base URL, e.g. "http://127.0.0.1:7070".
	// Empty: AWS's regional endpoint (or AWS_ENDPOINT_URL_S3).
	Endpoint string
	// Region signs requests. Empty: AWS_REGION or the shared config, else
	// "us-east-1" (what S3-compatible servers expect by default).
	Region string
	// AccessKey, SecretKey and SessionToken are static credentials. Empty
	// AccessKey: the SDK's default chain (env, shared files, IMDS, SSO...).
	AccessKey    string
	SecretKey    string
	SessionToken string
	// PathStyle addresses buckets as endpoint/bucket/key instead of
	// bucket.endpoint/key. False: virtual-host style (AWS); most
	// self-hosted servers (MinIO, versitygw, Ceph) need true.
	PathStyle bool
	// PartSize is the size of one multipart-upload part in bytes; objects
	// smaller than one part are sent with a single PutObject. 0: 16 MiB.
	// Values below 8 MiB are raised to 8 MiB. S3 allows 10,000 parts, so
	// the default caps one object at about 160 GB.
	PartSize int64
	// Concurrency is the number of parts of one writer in flight at once;
	// a writer holds up to Concurrency+1 part buffers. 0: 2.
	Concurrency int
	// ListPageSize is the MaxKeys of each ListObjectsV2 call. 0: the
	// server's default (1000).
	ListPageSize int32
	// MaxAttempts is how often the SDK tries a request. 0: SDK default (3).
	MaxAttempts int
}

const (
	defaultPartSize = 16 << 20
	minPartSize     = 8 << 20
	maxParts        = 10000
)

// S3Store is a Store on a bucket prefix of an S3-compatible server.
//
// Integrity: every PutObject and UploadPart carries Content-MD5, so the
// server rejects a body damaged in transit (BadDigest); full reads (Open)
// ask for the stored checksum (ChecksumMode ENABLED) and the SDK verifies
// the body against it whenever the server returns a full-object checksum.
// Ranged reads are not verified (S3 has no checksum for a range).
type S3Store struct {
	client   *s3.Client
	bucket   string
	prefix   string // "" or ends with "/"
	partSize int64
	conc     int
	pageSize int32
	parts    sync.Pool        // *[]byte of cap partSize, shared by writers
	clock    func() time.Time // presigning time; nil: time.Now (tests sign in the past)
}

// getPart returns an empty full-size part buffer from the pool, or nil:
// the writer then grows its own, so a small object stays small.
func (s *S3Store) getPart() []byte {
	if b, ok := s.parts.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return nil
}

// putPart returns a buffer to the pool once no request reads it.
func (s *S3Store) putPart(b []byte) {
	if int64(cap(b)) == s.partSize {
		b = b[:0]
		s.parts.Put(&b)
	}
}

// NewS3Client builds an SDK client from cfg with options that work against
// S3-compatible servers: checksums only when an operation requires them.
func NewS3Client(ctx context.Context, cfg S3Config) (*s3.Client, error) {
	awsCfg, err := loadAWSConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("load s3 config: %w", err)
	}
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		o.DisableLogOutputChecksumValidationSkipped = true
	}), nil
}

// loadAWSConfig is the SDK configuration of every AWS client (S3, SQS):
// cfg's region, static credentials and attempts over the SDK's defaults.
// cfg.Endpoint and PathStyle are the caller's.
func loadAWSConfig(ctx context.Context, cfg S3Config) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)))
	}
	if cfg.MaxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(cfg.MaxAttempts))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, err
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	return awsCfg, nil
}

// NewS3Store returns a store on bucket, rooted at prefix ("" for the whole
// bucket). It does not contact the server.
func NewS3Store(ctx context.Context, cfg S3Config, bucket, prefix string) (*S3Store, error) {
	if bucket == "" {
		return nil, errors.New("s3 store: empty bucket name")
	}
	client, err := NewS3Client(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return NewS3StoreClient(client, cfg, bucket, prefix), nil
}

// NewS3StoreClient is NewS3Store on an existing client; cfg supplies only
// the part size, concurrency and page size.
func NewS3StoreClient(client *s3.Client, cfg S3Config, bucket, prefix string) *S3Store {
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	ps := cfg.PartSize
	switch {
	case ps == 0:
		ps = defaultPartSize
	case ps < minPartSize:
		ps = minPartSize
	}
	conc := cfg.Concurrency
	if conc <= 0 {
		conc = 2
	}
	return &S3Store{client: client, bucket: bucket, prefix: prefix, partSize: ps, conc: conc, pageSize: cfg.ListPageSize}
}

// Bucket is the bucket the store lives in.
func (s *S3Store) Bucket() string { return s.bucket }

// Prefix is the store's root inside the bucket: "" or ending in "/".
func (s *S3Store) Prefix() string { return s.prefix }

// URL implements Store.
func (s *S3Store) URL() string { return "s3://" + s.bucket + "/" + strings.TrimSuffix(s.prefix, "/") }

// validKey reports whether key is a clean relative slash path: no leading
// "/", no "." or ".." segments, no empty segments.
func validKey(key string) error {
	if key == "" || key != path.Clean("/" + key)[1:] {
		return fmt.Errorf("invalid key %q", key)
	}
	return nil
}

func (s *S3Store) full(key string) (string, error) {
	if err := validKey(key); err != nil {
		return "", err
	}
	return s.prefix + key, nil
}

// mapS3Error maps the server's answers to the sentinels callers branch on.
func mapS3Error(err error) error {
	if err == nil {
		return nil
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return fmt.Errorf("%w (%s)", ErrNotFound, api.ErrorCode())
		case "PreconditionFailed", "ConditionalRequestConflict":
			return fmt.Errorf("%w (%s)", ErrExists, api.ErrorCode())
		case "NoSuchBucket":
			return err // a configuration error, not a missing object
		}
	}
	if httpStatus(err) == http.StatusNotFound {
		return ErrNotFound
	}
	return err
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func etag(p *string) string { return strings.Trim(aws.ToString(p), `"`) }

// Open implements BucketReader. The SDK verifies the body against the
// object's stored full-object checksum when the server returns one.
func (s *S3Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	k, err := s.full(key)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &k,
		ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", key, mapS3Error(err))
	}
	return out.Body, nil
}

// OpenRange implements BucketReader with a ranged GetObject. An offset at
// or past the end yields an empty reader, as for the local store.
func (s *S3Store) OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, fmt.Errorf("open %s: negative offset", key)
	}
	if offset == 0 && length < 0 {
		return s.Open(ctx, key)
	}
	k, err := s.full(key)
	if err != nil {
		return nil, err
	}
	if length == 0 {
		if _, err := s.Stat(ctx, key); err != nil {
			return nil, err
		}
		return io.NopCloser(strings.NewReader("")), nil
	}
	rng := fmt.Sprintf("bytes=%d-", offset)
	if length > 0 {
		rng = fmt.Sprintf("bytes=%d-%d", offset, offset+length-1)
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &k, Range: &rng})
	if err != nil {
		if httpStatus(err) == http.StatusRequestedRangeNotSatisfiable {
			return io.NopCloser(strings.NewReader("")), nil
		}
		return nil, fmt.Errorf("open %s: %w", key, mapS3Error(err))
	}
	return out.Body, nil
}

// Stat implements BucketReader.
func (s *S3Store) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	k, err := s.full(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &k})
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("stat %s: %w", key, mapS3Error(err))
	}
	return ObjectInfo{Key: key, Size: aws.ToInt64(out.ContentLength), ETag: etag(out.ETag),
		Modified: aws.ToTime(out.LastModified)}, nil
}

// Size implements BucketReader.
func (s *S3Store) Size(ctx context.Context, key string) (int64, error) {
	o, err := s.Stat(ctx, key)
	return o.Size, err
}

// List implements BucketReader with paginated ListObjectsV2; S3 lists in
// UTF-8 binary order, which is Go's string order.
func (s *S3Store) List(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error] {
	return func(yield func(ObjectInfo, error) bool) {
		in := &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(s.prefix + prefix)}
		if s.pageSize > 0 {
			in.MaxKeys = aws.Int32(s.pageSize)
		}
		pages := s3.NewListObjectsV2Paginator(s.client, in)
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				yield(ObjectInfo{}, fmt.Errorf("list %s: %w", prefix, mapS3Error(err)))
				return
			}
			for _, o := range page.Contents {
				info := ObjectInfo{Key: strings.TrimPrefix(aws.ToString(o.Key), s.prefix),
					Size: aws.ToInt64(o.Size), ETag: etag(o.ETag), Modified: aws.ToTime(o.LastModified)}
				if !yield(info, nil) {
					return
				}
			}
		}
	}
}

// ListKeys implements BucketReader.
func (s *S3Store) ListKeys(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	for o, err := range s.List(ctx, prefix) {
		if err != nil {
			return keys, err
		}
		keys = append(keys, o.Key)
	}
	return keys, nil
}

func contentMD5(b []byte) *string {
	sum := md5.Sum(b)
	return aws.String(base64.StdEncoding.EncodeToString(sum[:]))
}

// PutIfAbsent implements Store with a conditional PutObject
// (If-None-Match: *). 412 PreconditionFailed means the key exists. 409
// ConditionalRequestConflict means a racing write is in flight: it is
// retried briefly, and reported as ErrExists if it persists.
func (s *S3Store) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	k, err := s.full(key)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		_, err = s.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: &k,
			Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
			ContentMD5: contentMD5(data), IfNoneMatch: aws.String("*")})
		if err == nil {
			return nil
		}
		if httpStatus(err) != http.StatusConflict || attempt == 3 {
			return fmt.Errorf("put %s: %w", key, mapS3Error(err))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("put %s: %w", key, ctx.Err())
		case <-time.After(time.Duration(50<<attempt) * time.Millisecond):
		}
	}
}

// Delete implements Store; S3 does not report a missing key.
func (s *S3Store) Delete(ctx context.Context, key string) error {
	k, err := s.full(key)
	if err != nil {
		return err
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &k}); err != nil {
		if errors.Is(mapS3Error(err), ErrNotFound) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", key, mapS3Error(err))
	}
	return nil
}

// Create implements Store. The writer buffers one part; an object smaller
// than a part is sent with one PutObject on Close, a larger one streams as
// a multipart upload that Close completes and Abort (or a failed Close)
// aborts. The object exists only once Close returned nil.
func (s *S3Store) Create(ctx context.Context, key string) (io.WriteCloser, error) {
	k, err := s.full(key)
	if err != nil {
		return nil, err
	}
	return newS3Writer(ctx, s, key, k), nil
}

var _ Store = (*S3Store)(nil)
