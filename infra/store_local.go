package infra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// LocalStore is a Store on a local folder: the embedded default. Writes go
// to a temporary file beside the target and are renamed into place on Close,
// so a reader never sees half an object.
type LocalStore struct {
	root string
}

// NewLocalStore returns a store rooted at dir, creating it if needed.
func NewLocalStore(dir string) (*LocalStore, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("create store folder: %w", err)
	}
	return &LocalStore{root: abs}, nil
}

// NewLocalReader returns a read-only store on an existing folder; it fails
// if dir does not exist, so a mistyped path is reported, not created.
func NewLocalReader(dir string) (*LocalStore, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, notFound(err))
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a folder", dir)
	}
	return &LocalStore{root: abs}, nil
}

func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	return err
}

// Root is the folder the store lives in.
func (s *LocalStore) Root() string { return s.root }

// URL implements Store.
func (s *LocalStore) URL() string { return "file://" + filepath.ToSlash(s.root) }

func (s *LocalStore) path(key string) (string, error) {
	clean := filepath.ToSlash(filepath.Clean("/" + key))[1:]
	if clean == "" || clean != strings.TrimPrefix(key, "/") {
		return "", fmt.Errorf("invalid key %q", key)
	}
	return filepath.Join(s.root, filepath.FromSlash(clean)), nil
}

// Open implements BucketReader.
func (s *LocalStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	return s.OpenRange(ctx, key, 0, -1)
}

// OpenRange implements BucketReader.
func (s *LocalStore) OpenRange(_ context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", key, notFound(err))
	}
	if st, err := f.Stat(); err != nil || st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("open %s: %w", key, ErrNotFound) // a folder is no object
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
	}
	if length < 0 {
		return f, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, length), f}, nil
}

// Stat implements BucketReader.
func (s *LocalStore) Stat(_ context.Context, key string) (ObjectInfo, error) {
	p, err := s.path(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("stat %s: %w", key, notFound(err))
	}
	if st.IsDir() {
		return ObjectInfo{}, fmt.Errorf("stat %s: %w", key, ErrNotFound)
	}
	return ObjectInfo{Key: key, Size: st.Size(), Modified: st.ModTime(),
		ETag: strconv.FormatInt(st.ModTime().UnixNano(), 36) + "-" + strconv.FormatInt(st.Size(), 36)}, nil
}

// List implements BucketReader. Temporary files of writes in progress are
// not listed.
func (s *LocalStore) List(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error] {
	return func(yield func(ObjectInfo, error) bool) {
		var keys []ObjectInfo
		err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.IsDir() || strings.HasPrefix(d.Name(), ".tmp-") {
				return nil
			}
			rel, _ := filepath.Rel(s.root, p)
			key := filepath.ToSlash(rel)
			if !strings.HasPrefix(key, prefix) {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			keys = append(keys, ObjectInfo{Key: key, Size: info.Size(), Modified: info.ModTime()})
			return nil
		})
		sort.Slice(keys, func(i, j int) bool { return keys[i].Key < keys[j].Key })
		for _, k := range keys {
			if !yield(k, nil) {
				return
			}
		}
		if err != nil {
			yield(ObjectInfo{}, err)
		}
	}
}

// ListKeys implements BucketReader.
func (s *LocalStore) ListKeys(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	for o, err := range s.List(ctx, prefix) {
		if err != nil {
			return keys, err
		}
		keys = append(keys, o.Key)
	}
	return keys, nil
}

// Size implements BucketReader.
func (s *LocalStore) Size(ctx context.Context, key string) (int64, error) {
	o, err := s.Stat(ctx, key)
	return o.Size, err
}

// Create implements Store.
func (s *LocalStore) Create(_ context.Context, key string) (io.WriteCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+filepath.Base(p)+"-*")
	if err != nil {
		return nil, err
	}
	return &localWriter{f: f, target: p}, nil
}

type localWriter struct {
	f      *os.File
	target string
	done   bool
	err    error // first Write error: Close must not commit a partial file
}

func (w *localWriter) Write(b []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.f.Write(b)
	if err != nil {
		w.err = err
	}
	return n, err
}

func (w *localWriter) Close() error {
	if w.done {
		return errors.New("writer already closed")
	}
	w.done = true
	if w.err != nil {
		w.f.Close()
		os.Remove(w.f.Name())
		return w.err
	}
	if err := w.f.Close(); err != nil {
		os.Remove(w.f.Name())
		return err
	}
	if err := os.Rename(w.f.Name(), w.target); err != nil {
		os.Remove(w.f.Name())
		return err
	}
	return nil
}

func (w *localWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close()
	return os.Remove(w.f.Name())
}

// PutIfAbsent implements Store with O_EXCL via a hard link, which is atomic
// on POSIX file systems: two racing writers cannot both succeed.
func (s *LocalStore) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+filepath.Base(p)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Link(f.Name(), p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("put %s: %w", key, ErrExists)
		}
		return err
	}
	return nil
}

// Delete implements Store.
func (s *LocalStore) Delete(_ context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

var _ Store = (*LocalStore)(nil)
