package infra

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Limits of a presigned URL's lifetime. SigV4 accepts at most 7 days.
const (
	MinPresignExpiry = time.Minute
	MaxPresignExpiry = 7 * 24 * time.Hour
)

// PresignedRequest is a request anyone holding it can send without
// credentials until Expires: the signature is in URL's query.
type PresignedRequest struct {
	Method  string
	URL     string
	Expires time.Time // UTC, to the second
	// Header holds the headers the client must send as they are (signed),
	// e.g. Content-Type; never Host, which HTTP clients set themselves.
	Header http.Header
}

// PresignPutOptions are the signed conditions of a presigned PUT: the
// upload must send the headers they add (PresignedRequest.Header).
type PresignPutOptions struct {
	// ContentType, when set, must be sent exactly.
	ContentType string
	// NoOverwrite signs "If-None-Match: *": the PUT succeeds only while
	// nothing is at the key (the server answers 412 otherwise), so the URL
	// uploads one delivery once and never replaces one already there.
	NoOverwrite bool
}

// PresignPut returns a PUT of key (relative to the store's prefix, like
// every other method) valid for expires (1 minute to 7 days). The URL
// grants a PUT of that one key only; it carries the access key id (and a
// session token, if any) but never the secret. With temporary credentials
// the URL stops working when they expire.
func (s *S3Store) PresignPut(ctx context.Context, key string, expires time.Duration, opts PresignPutOptions) (PresignedRequest, error) {
	k, err := s.presignKey(key, expires)
	if err != nil {
		return PresignedRequest{}, err
	}
	in := &s3.PutObjectInput{Bucket: &s.bucket, Key: &k}
	if opts.ContentType != "" {
		in.ContentType = aws.String(opts.ContentType)
	}
	if opts.NoOverwrite {
		in.IfNoneMatch = aws.String("*")
	}
	now := s.now()
	req, err := s.presigner(now).PresignPutObject(ctx, in, s3.WithPresignExpires(expires))
	if err != nil {
		return PresignedRequest{}, fmt.Errorf("presign put %s: %w", key, err)
	}
	return presigned(req, now, expires), nil
}

// PresignGet returns a GET of key valid for expires (1 minute to 7 days),
// e.g. to hand a supplier the rejects of their delivery.
func (s *S3Store) PresignGet(ctx context.Context, key string, expires time.Duration) (PresignedRequest, error) {
	k, err := s.presignKey(key, expires)
	if err != nil {
		return PresignedRequest{}, err
	}
	now := s.now()
	req, err := s.presigner(now).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &k},
		s3.WithPresignExpires(expires))
	if err != nil {
		return PresignedRequest{}, fmt.Errorf("presign get %s: %w", key, err)
	}
	return presigned(req, now, expires), nil
}

func (s *S3Store) presignKey(key string, expires time.Duration) (string, error) {
	if expires < MinPresignExpiry || expires > MaxPresignExpiry {
		return "", fmt.Errorf("presign %s: expiry %v is outside %v..%v", key, expires, MinPresignExpiry, MaxPresignExpiry)
	}
	return s.full(key)
}

func (s *S3Store) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// presigner signs on the store's client (endpoint, path style, region,
// credentials) at the given signing time.
func (s *S3Store) presigner(now time.Time) *s3.PresignClient {
	return s3.NewPresignClient(s.client, func(o *s3.PresignOptions) {
		// As the SDK's default S3 presigner: S3 signs the path as sent,
		// escaped once (not twice, as other services do).
		o.Presigner = fixedTimeSigner{v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true }), now}
	})
}

// fixedTimeSigner signs at a given time, so the reported expiry is exactly
// the URL's (and tests can sign in the past).
type fixedTimeSigner struct {
	s   *v4.Signer
	now time.Time
}

func (f fixedTimeSigner) PresignHTTP(ctx context.Context, cr aws.Credentials, r *http.Request, payloadHash, service, region string,
	_ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return f.s.PresignHTTP(ctx, cr, r, payloadHash, service, region, f.now, optFns...)
}

func presigned(req *v4.PresignedHTTPRequest, signed time.Time, expires time.Duration) PresignedRequest {
	h := http.Header{}
	for name, vals := range req.SignedHeader {
		if http.CanonicalHeaderKey(name) == "Host" {
			continue
		}
		h[http.CanonicalHeaderKey(name)] = vals
	}
	return PresignedRequest{Method: req.Method, URL: req.URL, Header: h,
		Expires: signed.UTC().Truncate(time.Second).Add(expires)}
}
