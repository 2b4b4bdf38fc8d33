package infra

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

var errWriterClosed = errors.New("writer already closed")

// s3Writer streams an object to S3: it fills one part buffer at a time and
// uploads full parts in the background, at most conc at once. It is not
// safe for concurrent use, like any io.Writer.
type s3Writer struct {
	s      *S3Store
	ctx    context.Context
	cancel context.CancelFunc
	key    string // as the caller named it, for messages
	full   string // bucket key

	buf      []byte
	sem      chan struct{} // part uploads in flight
	uploadID string
	next     int32 // last part number handed out
	wg       sync.WaitGroup
	done     bool

	mu    sync.Mutex
	parts []types.CompletedPart
	err   error // first failed part
}

func newS3Writer(ctx context.Context, s *S3Store, key, full string) *s3Writer {
	ctx, cancel := context.WithCancel(ctx)
	return &s3Writer{s: s, ctx: ctx, cancel: cancel, key: key, full: full,
		sem: make(chan struct{}, s.conc)}
}

func (w *s3Writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *s3Writer) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	w.cancel()
}

// Write buffers p, uploading each part as it fills. A small object's
// buffer grows with it by doubling; full-size part buffers come from and
// return to the store's pool.
func (w *s3Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errWriterClosed
	}
	ps := int(w.s.partSize)
	n := 0
	for len(p) > 0 {
		if err := w.failed(); err != nil {
			return n, err
		}
		if w.buf == nil {
			w.buf = w.s.getPart()
		}
		if len(w.buf) == cap(w.buf) {
			nb := make([]byte, len(w.buf), min(max(2*cap(w.buf), 64<<10), ps))
			copy(nb, w.buf)
			w.buf = nb
		}
		c := min(cap(w.buf)-len(w.buf), len(p))
		w.buf = append(w.buf, p[:c]...)
		n += c
		p = p[c:]
		if len(w.buf) == ps {
			if err := w.flush(); err != nil {
				w.fail(err) // sticky: Close must not commit a partial object
				return n, err
			}
		}
	}
	return n, nil
}

// flush starts the upload of the buffered part.
func (w *s3Writer) flush() error {
	if w.uploadID == "" {
		out, err := w.s.client.CreateMultipartUpload(w.ctx, &s3.CreateMultipartUploadInput{
			Bucket: &w.s.bucket, Key: &w.full})
		if err != nil {
			return fmt.Errorf("create %s: %w", w.key, mapS3Error(err))
		}
		w.uploadID = aws.ToString(out.UploadId)
	}
	if w.next == maxParts {
		return fmt.Errorf("create %s: more than %d parts", w.key, maxParts)
	}
	w.next++
	num, data := w.next, w.buf
	w.buf = nil
	select {
	case w.sem <- struct{}{}:
	case <-w.ctx.Done():
		if err := w.failed(); err != nil {
			return err
		}
		return fmt.Errorf("create %s: %w", w.key, w.ctx.Err())
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer func() { <-w.sem }()
		out, err := w.s.client.UploadPart(w.ctx, &s3.UploadPartInput{Bucket: &w.s.bucket, Key: &w.full,
			UploadId: &w.uploadID, PartNumber: aws.Int32(num), Body: bytes.NewReader(data),
			ContentLength: aws.Int64(int64(len(data))), ContentMD5: contentMD5(data)})
		if err != nil {
			w.fail(fmt.Errorf("create %s: part %d: %w", w.key, num, mapS3Error(err)))
			return
		}
		w.mu.Lock()
		w.parts = append(w.parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
		w.mu.Unlock()
		w.s.putPart(data)
	}()
	return nil
}

// Close sends the object: one PutObject for a small object, else the last
// part and CompleteMultipartUpload. On any error the upload is aborted and
// nothing is left behind.
func (w *s3Writer) Close() error {
	if w.done {
		return errWriterClosed
	}
	w.done = true
	defer w.cancel()
	if err := w.failed(); err != nil {
		w.s.putPart(w.buf)
		w.buf = nil
		if w.uploadID != "" {
			return errors.Join(err, w.abortUpload())
		}
		return err
	}
	if w.uploadID == "" {
		_, err := w.s.client.PutObject(w.ctx, &s3.PutObjectInput{Bucket: &w.s.bucket, Key: &w.full,
			Body: bytes.NewReader(w.buf), ContentLength: aws.Int64(int64(len(w.buf))),
			ContentMD5: contentMD5(w.buf)})
		w.s.putPart(w.buf)
		w.buf = nil
		if err != nil {
			return fmt.Errorf("create %s: %w", w.key, mapS3Error(err))
		}
		return nil
	}
	if len(w.buf) > 0 {
		if err := w.flush(); err != nil {
			return errors.Join(err, w.abortUpload())
		}
	}
	w.wg.Wait()
	if err := w.failed(); err != nil {
		return errors.Join(err, w.abortUpload())
	}
	slices.SortFunc(w.parts, func(a, b types.CompletedPart) int {
		return int(aws.ToInt32(a.PartNumber) - aws.ToInt32(b.PartNumber))
	})
	_, err := w.s.client.CompleteMultipartUpload(w.ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &w.s.bucket, Key: &w.full, UploadId: &w.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts}})
	if err != nil {
		return errors.Join(fmt.Errorf("create %s: complete: %w", w.key, mapS3Error(err)), w.abortUpload())
	}
	return nil
}

// Abort implements Aborter: it stops part uploads and aborts the multipart
// upload. A no-op after Close.
func (w *s3Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.cancel()
	w.s.putPart(w.buf)
	w.buf = nil
	if w.uploadID == "" {
		return nil
	}
	return w.abortUpload()
}

// abortUpload waits for parts in flight and aborts the upload. It uses a
// fresh deadline: the writer's context may be the reason for aborting.
func (w *s3Writer) abortUpload() error {
	w.cancel()
	w.wg.Wait()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 30*time.Second)
	defer cancel()
	_, err := w.s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket: &w.s.bucket, Key: &w.full, UploadId: &w.uploadID})
	if err != nil && !errors.Is(mapS3Error(err), ErrNotFound) {
		return fmt.Errorf("abort %s: %w", w.key, err)
	}
	return nil
}
