// Package storetest is the acceptance suite of the infra.Store contract.
// Every provider runs it: the local folder store, the S3 store against a
// real server, and decorators.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/listwash/listwash/infra"
)

// LargeSize is the size of the large-object round trip: above 20 MiB, and
// not a multiple of any part size.
const LargeSize = 20<<20 + 12345

// ManyKeys is the default number of objects of the pagination test: more
// than one S3 ListObjectsV2 page (1000).
const ManyKeys = 1100

// Options tunes the suite for a provider.
type Options struct {
	// ManyKeys is the number of objects ListManyKeys writes. 0: ManyKeys.
	// A server test may lower it when the store lists in small pages and
	// a cheaper test covers more than 1000 keys.
	ManyKeys int
}

// Run runs the suite with default options. newStore must return an empty
// store for each call; it is called once per sub-test.
func Run(t *testing.T, newStore func(t *testing.T) infra.Store) {
	RunOptions(t, Options{}, newStore)
}

// RunOptions runs the suite with opts.
func RunOptions(t *testing.T, opts Options, newStore func(t *testing.T) infra.Store) {
	if opts.ManyKeys <= 0 {
		opts.ManyKeys = ManyKeys
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s infra.Store)
	}{
		{"CreateVisibleOnlyAfterClose", testCreateVisibleAfterClose},
		{"CreateOverwrites", testCreateOverwrites},
		{"CreateEmptyObject", testCreateEmpty},
		{"WriterClosedTwice", testWriterClosedTwice},
		{"AbortLeavesNothing", testAbort},
		{"AbortLargeLeavesNothing", testAbortLarge},
		{"AbortAfterCloseIsNoop", testAbortAfterClose},
		{"PutIfAbsent", testPutIfAbsent},
		{"PutIfAbsentRace", testPutIfAbsentRace},
		{"OpenRange", testOpenRange},
		{"StatAndSize", testStat},
		{"NotFound", testNotFound},
		{"Delete", testDelete},
		{"ListPrefixes", testList},
		{"ListStopsEarly", testListStopsEarly},
		{"ListManyKeys", func(t *testing.T, s infra.Store) { testListMany(t, s, opts.ManyKeys) }},
		{"LargeRoundTrip", testLarge},
		{"InvalidKeys", testInvalidKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func ctx(t *testing.T) context.Context { return t.Context() }

func put(t *testing.T, s infra.Store, key string, data []byte) {
	t.Helper()
	w, err := s.Create(ctx(t), key)
	if err != nil {
		t.Fatalf("Create(%q): %v", key, err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write(%q): %v", key, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close(%q): %v", key, err)
	}
}

func read(t *testing.T, s infra.BucketReader, key string) []byte {
	t.Helper()
	r, err := s.Open(ctx(t), key)
	if err != nil {
		t.Fatalf("Open(%q): %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b
}

func keys(t *testing.T, s infra.BucketReader, prefix string) []string {
	t.Helper()
	k, err := s.ListKeys(ctx(t), prefix)
	if err != nil {
		t.Fatalf("ListKeys(%q): %v", prefix, err)
	}
	return k
}

func assertMissing(t *testing.T, s infra.BucketReader, key string) {
	t.Helper()
	if _, err := s.Stat(ctx(t), key); !errors.Is(err, infra.ErrNotFound) {
		t.Fatalf("Stat(%q) = %v, want ErrNotFound", key, err)
	}
}

func testCreateVisibleAfterClose(t *testing.T, s infra.Store) {
	w, err := s.Create(ctx(t), "dir/obj.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("hello ")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("world")); err != nil {
		t.Fatal(err)
	}
	assertMissing(t, s, "dir/obj.txt")
	if k := keys(t, s, ""); len(k) != 0 {
		t.Fatalf("before Close, List = %q, want nothing", k)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := read(t, s, "dir/obj.txt"); string(got) != "hello world" {
		t.Fatalf("content = %q", got)
	}
	if k := keys(t, s, ""); !slices.Equal(k, []string{"dir/obj.txt"}) {
		t.Fatalf("List = %q", k)
	}
}

func testCreateOverwrites(t *testing.T, s infra.Store) {
	put(t, s, "k", []byte("first version"))
	put(t, s, "k", []byte("second"))
	if got := read(t, s, "k"); string(got) != "second" {
		t.Fatalf("content = %q, want the second write", got)
	}
}

func testCreateEmpty(t *testing.T, s infra.Store) {
	put(t, s, "empty", nil)
	if n, err := s.Size(ctx(t), "empty"); err != nil || n != 0 {
		t.Fatalf("Size = %d, %v; want 0, nil", n, err)
	}
	if got := read(t, s, "empty"); len(got) != 0 {
		t.Fatalf("content = %q, want empty", got)
	}
}

func testWriterClosedTwice(t *testing.T, s infra.Store) {
	w, err := s.Create(ctx(t), "k")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("second Close returned nil")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("Write after Close returned nil")
	}
}

func aborter(t *testing.T, w io.WriteCloser) infra.Aborter {
	t.Helper()
	a, ok := w.(infra.Aborter)
	if !ok {
		t.Fatalf("writer %T does not implement infra.Aborter", w)
	}
	return a
}

func testAbort(t *testing.T, s infra.Store) {
	w, err := s.Create(ctx(t), "a/aborted")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("discard me")); err != nil {
		t.Fatal(err)
	}
	if err := aborter(t, w).Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	assertMissing(t, s, "a/aborted")
	if k := keys(t, s, ""); len(k) != 0 {
		t.Fatalf("after Abort, List = %q", k)
	}
}

// testAbortLarge aborts after more than one part was written, so a
// multipart upload is in flight.
func testAbortLarge(t *testing.T, s infra.Store) {
	w, err := s.Create(ctx(t), "big/aborted")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(randomBytes(LargeSize, 2)); err != nil {
		t.Fatal(err)
	}
	if err := aborter(t, w).Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	assertMissing(t, s, "big/aborted")
	if k := keys(t, s, ""); len(k) != 0 {
		t.Fatalf("after Abort, List = %q", k)
	}
}

func testAbortAfterClose(t *testing.T, s infra.Store) {
	w, err := s.Create(ctx(t), "kept")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("keep"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := aborter(t, w).Abort(); err != nil {
		t.Fatalf("Abort after Close: %v", err)
	}
	if got := read(t, s, "kept"); string(got) != "keep" {
		t.Fatalf("content = %q after Abort following Close", got)
	}
}

func testPutIfAbsent(t *testing.T, s infra.Store) {
	if err := s.PutIfAbsent(ctx(t), "commit/_DONE", []byte("one")); err != nil {
		t.Fatalf("first PutIfAbsent: %v", err)
	}
	err := s.PutIfAbsent(ctx(t), "commit/_DONE", []byte("two"))
	if !errors.Is(err, infra.ErrExists) || !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second PutIfAbsent = %v, want ErrExists", err)
	}
	if got := read(t, s, "commit/_DONE"); string(got) != "one" {
		t.Fatalf("content = %q, want the first write", got)
	}
	// Over an object written with Create, too.
	put(t, s, "created", []byte("x"))
	if err := s.PutIfAbsent(ctx(t), "created", []byte("y")); !errors.Is(err, infra.ErrExists) {
		t.Fatalf("PutIfAbsent over Create = %v, want ErrExists", err)
	}
}

func testPutIfAbsentRace(t *testing.T, s infra.Store) {
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.PutIfAbsent(ctx(t), "race/_LOCK", []byte(fmt.Sprintf("writer %d", i)))
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, infra.ErrExists):
			t.Fatalf("writer %d: %v, want nil or ErrExists", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer won")
	}
	if got, want := string(read(t, s, "race/_LOCK")), fmt.Sprintf("writer %d", winner); got != want {
		t.Fatalf("content = %q, want %q", got, want)
	}
}

func testOpenRange(t *testing.T, s infra.Store) {
	data := randomBytes(1000, 1)
	put(t, s, "r", data)
	tests := []struct {
		name           string
		offset, length int64
		want           []byte
	}{
		{"whole", 0, -1, data},
		{"middle", 10, 20, data[10:30]},
		{"tail", 990, -1, data[990:]},
		{"clipped at end", 990, 100, data[990:]},
		{"first byte", 0, 1, data[:1]},
		{"last byte", 999, 1, data[999:]},
		{"exact length", 0, 1000, data},
		{"zero length", 5, 0, nil},
		{"at end", 1000, -1, nil},
		{"past end", 2000, 10, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := s.OpenRange(ctx(t), "r", tc.offset, tc.length)
			if err != nil {
				t.Fatalf("OpenRange(%d, %d): %v", tc.offset, tc.length, err)
			}
			defer r.Close()
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("OpenRange(%d, %d) = %d bytes, want %d", tc.offset, tc.length, len(got), len(tc.want))
			}
		})
	}
}

func testStat(t *testing.T, s infra.Store) {
	before := time.Now().Add(-time.Hour)
	put(t, s, "s/obj", []byte("12345"))
	o, err := s.Stat(ctx(t), "s/obj")
	if err != nil {
		t.Fatal(err)
	}
	if o.Key != "s/obj" || o.Size != 5 || o.ETag == "" || o.Modified.Before(before) {
		t.Fatalf("Stat = %+v, want key s/obj, size 5, an ETag and a recent time", o)
	}
	if n, err := s.Size(ctx(t), "s/obj"); err != nil || n != 5 {
		t.Fatalf("Size = %d, %v", n, err)
	}
	put(t, s, "s/obj", []byte("123456789"))
	o2, err := s.Stat(ctx(t), "s/obj")
	if err != nil {
		t.Fatal(err)
	}
	if o2.Size != 9 || o2.ETag == o.ETag {
		t.Fatalf("after overwrite Stat = %+v, want size 9 and a new ETag (was %q)", o2, o.ETag)
	}
}

func testNotFound(t *testing.T, s infra.Store) {
	put(t, s, "present/x", []byte("x"))
	for _, key := range []string{"missing", "present", "present/y"} {
		t.Run(key, func(t *testing.T) {
			ops := map[string]error{}
			_, ops["Open"] = s.Open(ctx(t), key)
			_, ops["OpenRange"] = s.OpenRange(ctx(t), key, 1, 2)
			_, ops["OpenRangeZero"] = s.OpenRange(ctx(t), key, 0, 0)
			_, ops["Stat"] = s.Stat(ctx(t), key)
			_, ops["Size"] = s.Size(ctx(t), key)
			for op, err := range ops {
				if !errors.Is(err, infra.ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s(%q) = %v, want ErrNotFound", op, key, err)
				}
			}
		})
	}
}

func testDelete(t *testing.T, s infra.Store) {
	put(t, s, "d/1", []byte("1"))
	put(t, s, "d/2", []byte("2"))
	if err := s.Delete(ctx(t), "d/1"); err != nil {
		t.Fatal(err)
	}
	assertMissing(t, s, "d/1")
	if k := keys(t, s, "d/"); !slices.Equal(k, []string{"d/2"}) {
		t.Fatalf("after Delete, List = %q", k)
	}
	if err := s.Delete(ctx(t), "d/1"); err != nil {
		t.Fatalf("Delete of a deleted key: %v", err)
	}
	if err := s.Delete(ctx(t), "never/there"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
}

func testList(t *testing.T, s infra.Store) {
	objs := map[string]string{"a/1": "x", "a/2": "yy", "a/sub/3": "zzz", "ab": "", "b/1": "1234", "a.txt": "t"}
	for k, v := range objs {
		put(t, s, k, []byte(v))
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a.txt", "a/1", "a/2", "a/sub/3", "ab", "b/1"}},
		{"a/", []string{"a/1", "a/2", "a/sub/3"}},
		{"a", []string{"a.txt", "a/1", "a/2", "a/sub/3", "ab"}},
		{"a/sub/", []string{"a/sub/3"}},
		{"a/s", []string{"a/sub/3"}},
		{"b/1", []string{"b/1"}},
		{"zzz", nil},
		{"c/", nil},
	}
	for _, tc := range tests {
		t.Run("prefix="+tc.prefix, func(t *testing.T) {
			var got []string
			for o, err := range s.List(ctx(t), tc.prefix) {
				if err != nil {
					t.Fatal(err)
				}
				if want := int64(len(objs[o.Key])); o.Size != want {
					t.Errorf("%s: size %d, want %d", o.Key, o.Size, want)
				}
				if o.Modified.IsZero() {
					t.Errorf("%s: zero Modified", o.Key)
				}
				got = append(got, o.Key)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
			}
			if k := keys(t, s, tc.prefix); !slices.Equal(k, tc.want) {
				t.Fatalf("ListKeys(%q) = %q, want %q", tc.prefix, k, tc.want)
			}
		})
	}
}

func testListStopsEarly(t *testing.T, s infra.Store) {
	for _, k := range []string{"e/1", "e/2", "e/3"} {
		put(t, s, k, []byte(k))
	}
	var got []string
	for o, err := range s.List(ctx(t), "e/") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o.Key)
		if len(got) == 2 {
			break
		}
	}
	if !slices.Equal(got, []string{"e/1", "e/2"}) {
		t.Fatalf("got %q", got)
	}
}

// testListMany writes n small objects, concurrently to keep it cheap
// against a server, and lists them across pages.
func testListMany(t *testing.T, s infra.Store, n int) {
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("many/%05d", i)
	}
	g, gctx := errgroup.WithContext(ctx(t))
	g.SetLimit(16)
	for _, k := range want {
		g.Go(func() error { return s.PutIfAbsent(gctx, k, []byte(k)) })
	}
	put(t, s, "other", []byte("not under the prefix"))
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	got := keys(t, s, "many/")
	if !slices.Equal(got, want) {
		t.Fatalf("ListKeys returned %d keys, want %d in order", len(got), len(want))
	}
	if all := keys(t, s, ""); len(all) != n+1 {
		t.Fatalf("ListKeys(\"\") returned %d keys, want %d", len(all), n+1)
	}
}

// testLarge streams LargeSize bytes in odd-sized writes and reads them back
// whole and across part boundaries.
func testLarge(t *testing.T, s infra.Store) {
	data := randomBytes(LargeSize, 3)
	w, err := s.Create(ctx(t), "big/object.bin")
	if err != nil {
		t.Fatal(err)
	}
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 1<<20+7)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatalf("Write: %v", err)
		}
		rest = rest[n:]
	}
	assertMissing(t, s, "big/object.bin")
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n, err := s.Size(ctx(t), "big/object.bin"); err != nil || n != LargeSize {
		t.Fatalf("Size = %d, %v; want %d", n, err, LargeSize)
	}
	if got := read(t, s, "big/object.bin"); sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("read back %d bytes with another SHA-256", len(got))
	}
	for _, off := range []int64{8<<20 - 100, 16<<20 - 100, LargeSize - 100} {
		r, err := s.OpenRange(ctx(t), "big/object.bin", off, 200)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := data[off:min(off+200, LargeSize)]; !bytes.Equal(got, want) {
			t.Fatalf("OpenRange(%d, 200): wrong bytes", off)
		}
	}
}

func testInvalidKeys(t *testing.T, s infra.Store) {
	// A leading "/" is not pinned: the local store reads "/k" as "k".
	for _, key := range []string{"", "../escape", "a/../../b", "a//b", "a/./b"} {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			if w, err := s.Create(ctx(t), key); err == nil {
				w.(infra.Aborter).Abort()
				t.Fatal("Create accepted the key")
			}
			if err := s.PutIfAbsent(ctx(t), key, []byte("x")); err == nil {
				t.Fatal("PutIfAbsent accepted the key")
			}
			if _, err := s.Open(ctx(t), key); err == nil {
				t.Fatal("Open accepted the key")
			}
		})
	}
}

func randomBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}
