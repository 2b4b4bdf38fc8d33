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
	"slices"
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
// not listed. Symbolic links are followed, as a shell would: a linked file
// is listed under the link's name with the target's size and time, a
// linked folder is walked (a register folder linked to this month's files
// is the usual case); a link that leads nowhere, or back into a folder
// being walked, is skipped.
func (s *LocalStore) List(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error] {
	return func(yield func(ObjectInfo, error) bool) {
		var keys []ObjectInfo
		err := s.walk(ctx, s.root, "", prefix, nil, func(o ObjectInfo) { keys = append(keys, o) })
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

// walk lists the files under dir, whose key prefix is rel ("" or ending in
// "/"), that start with prefix. parents are the real paths of the folders
// being walked, to stop at a link back into one of them.
func (s *LocalStore) walk(ctx context.Context, dir, rel, prefix string, parents []string, add func(ObjectInfo)) error {
	if !strings.HasPrefix(prefix, rel) && !strings.HasPrefix(rel, prefix) {
		return nil // nothing under rel can match
	}
	resolved, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	if slices.Contains(parents, resolved) {
		return nil
	}
	parents = append(parents, resolved)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, d := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := d.Name()
		if strings.HasPrefix(name, ".tmp-") {
			continue
		}
		p, key := filepath.Join(dir, name), rel+name
		var info fs.FileInfo
		if d.Type()&fs.ModeSymlink != 0 {
			if info, err = os.Stat(p); err != nil {
				continue // a dangling link: nothing to read
			}
		} else if info, err = d.Info(); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed since ReadDir
			}
			return err
		}
		if info.IsDir() {
			if err := s.walk(ctx, p, key+"/", prefix, parents, add); err != nil {
				return err
			}
			continue
		}
		if info.Mode().IsRegular() && strings.HasPrefix(key, prefix) {
			add(ObjectInfo{Key: key, Size: info.Size(), Modified: info.ModTime()})
		}
	}
	return nil
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
