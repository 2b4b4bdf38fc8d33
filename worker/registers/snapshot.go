package registers

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"unsafe"
)

// A snapshot is a register version prepared for fast loading (see
// docs/registers.md, "Snapshots"):
//
//	offset 0   magic "LWKEYS1\n" (8 bytes)
//	offset 8   header length H, uint32 little-endian
//	offset 12  header: H bytes of JSON (snapshotHeader)
//	           zero padding to a multiple of 8
//	           Count keys, uint64 little-endian, ascending, distinct
//
// It is written to <register>/_snapshot/<register>-<version>.bin and is
// up to date when its header names exactly the register's newest files
// (with their sizes, where the store can tell them).
const snapshotMagic = "LWKEYS1\n"

type snapshotHeader struct {
	Register string           `json:"register"`
	Version  string           `json:"version"`
	Sources  []snapshotSource `json:"sources"`
	Count    int              `json:"count"`
	Skipped  int              `json:"skipped"`
	CRC32C   uint32           `json:"crc32c"` // of the key bytes
}

type snapshotSource struct {
	Key  string `json:"key"`
	Size int64  `json:"size"` // -1: unknown
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapshotKey is where the snapshot of a register version lives.
func snapshotKey(name string, version day) string {
	return name + "/" + SnapshotDir + "/" + name + "-" + version.String() + ".bin"
}

func writeSnapshot(w io.Writer, h snapshotHeader, keys []uint64) error {
	payload := make([]byte, 8*len(keys))
	for i, k := range keys {
		binary.LittleEndian.PutUint64(payload[8*i:], k)
	}
	h.Count = len(keys)
	h.CRC32C = crc32.Checksum(payload, castagnoli)
	hj, err := json.Marshal(h)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(snapshotMagic)
	binary.Write(bw, binary.LittleEndian, uint32(len(hj)))
	bw.Write(hj)
	if pad := (12 + len(hj)) % 8; pad != 0 {
		bw.Write(make([]byte, 8-pad))
	}
	bw.Write(payload)
	return bw.Flush()
}

// readSnapshotHeader reads the magic and header; r is then at the keys.
func readSnapshotHeader(r io.Reader) (snapshotHeader, error) {
	var h snapshotHeader
	var pre [12]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return h, fmt.Errorf("snapshot header: %w", errors.Join(ErrFormat, err))
	}
	if string(pre[:8]) != snapshotMagic {
		return h, fmt.Errorf("not a snapshot: %w", ErrFormat)
	}
	n := binary.LittleEndian.Uint32(pre[8:])
	if n > 1<<20 {
		return h, fmt.Errorf("snapshot header too long: %w", ErrFormat)
	}
	padded := (12 + int(n) + 7) &^ 7
	buf := make([]byte, padded-12)
	if _, err := io.ReadFull(r, buf); err != nil {
		return h, fmt.Errorf("snapshot header: %w", errors.Join(ErrFormat, err))
	}
	if err := json.Unmarshal(buf[:n], &h); err != nil {
		return h, fmt.Errorf("snapshot header: %w", errors.Join(ErrFormat, err))
	}
	if h.Count < 0 {
		return h, fmt.Errorf("snapshot header: negative count: %w", ErrFormat)
	}
	return h, nil
}

// readSnapshotKeys reads the Count keys in one read, straight into the
// key array, and builds the set.
func readSnapshotKeys(r io.Reader, h snapshotHeader) (*KeySet, error) {
	keys := make([]uint64, h.Count)
	var payload []byte
	if len(keys) > 0 {
		payload = unsafe.Slice((*byte)(unsafe.Pointer(&keys[0])), 8*len(keys))
	}
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, fmt.Errorf("snapshot keys: %w", errors.Join(ErrFormat, err))
	}
	if crc32.Checksum(payload, castagnoli) != h.CRC32C {
		return nil, fmt.Errorf("snapshot keys: checksum mismatch: %w", ErrFormat)
	}
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 { // big-endian: the file is little-endian
		for i := range keys {
			keys[i] = binary.LittleEndian.Uint64(payload[8*i:])
		}
	}
	s := &KeySet{}
	s.slots = allocSlots(s, tableSize(h.Count))
	s.insertAll(keys)
	s.buildFilter()
	return s, nil
}

// sources describes files for a snapshot header.
func sources(ctx context.Context, src Source, files []file) ([]snapshotSource, error) {
	sz, _ := src.(sizer)
	out := make([]snapshotSource, len(files))
	for i, f := range files {
		out[i] = snapshotSource{Key: f.Key, Size: -1}
		if sz != nil {
			n, err := sz.Size(ctx, f.Key)
			if err != nil {
				return nil, err
			}
			out[i].Size = n
		}
	}
	return out, nil
}

// loadSnapshot loads the snapshot of files if there is an up-to-date one;
// ok is false if there is none (or it is stale), and the caller parses.
func loadSnapshot(ctx context.Context, src Source, name string, files []file) (*KeySet, Info, bool, error) {
	key := snapshotKey(name, files[len(files)-1].Version)
	rc, err := src.Open(ctx, key)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Info{}, false, nil
		}
		return nil, Info{}, false, fmt.Errorf("open %s: %w", key, err)
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 1<<16)
	h, err := readSnapshotHeader(br)
	if err != nil {
		return nil, Info{}, false, fmt.Errorf("%s: %w", key, err)
	}
	want, err := sources(ctx, src, files)
	if err != nil {
		return nil, Info{}, false, err
	}
	if h.Register != name || !slices.Equal(h.Sources, want) {
		return nil, Info{}, false, nil
	}
	ks, err := readSnapshotKeys(br, h)
	if err != nil {
		return nil, Info{}, false, fmt.Errorf("%s: %w", key, err)
	}
	in := newInfo(name, files)
	in.Files = []string{key}
	in.Snapshot, in.Entries, in.Skipped, in.Bytes = true, ks.Len(), h.Skipped, ks.Bytes()
	return ks, in, true, nil
}

// Store is a Source that can also write: what building snapshots needs.
// infra.LocalStore satisfies it.
type Store interface {
	Source
	Create(ctx context.Context, key string) (io.WriteCloser, error)
	Delete(ctx context.Context, key string) error
}

type aborter interface{ Abort() error }

// snapshotted lists the registers that get snapshots: the large,
// number-only ones.
var snapshotted = []string{NIXName}

// BuildSnapshots parses the newest version of every snapshotted register
// (NIX) in st and writes its snapshot, removing older snapshots of that
// register. It returns the Info of each snapshot written.
func BuildSnapshots(ctx context.Context, st Store, opts LoadOptions) ([]Info, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	var out []Info
	for _, name := range snapshotted {
		files, err := listFiles(ctx, st, name)
		if err != nil {
			return nil, err
		}
		files = newest(files)
		if len(files) == 0 {
			continue
		}
		keys, skipped, err := parseNumbers(ctx, st, files, opts.PhoneKey)
		if err != nil {
			return nil, err
		}
		srcs, err := sources(ctx, st, files)
		if err != nil {
			return nil, err
		}
		key := snapshotKey(name, files[len(files)-1].Version)
		w, err := st.Create(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", key, err)
		}
		h := snapshotHeader{Register: name, Version: files[len(files)-1].Version.String(), Sources: srcs, Skipped: skipped}
		if err := writeSnapshot(w, h, keys); err != nil {
			if a, ok := w.(aborter); ok {
				a.Abort()
			}
			return nil, fmt.Errorf("write %s: %w", key, err)
		}
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("write %s: %w", key, err)
		}
		old, err := st.ListKeys(ctx, name+"/"+SnapshotDir+"/")
		if err != nil {
			return nil, err
		}
		for _, k := range old {
			if k != key && strings.HasSuffix(path.Base(k), ".bin") {
				if err := st.Delete(ctx, k); err != nil {
					return nil, fmt.Errorf("delete %s: %w", k, err)
				}
			}
		}
		in := newInfo(name, files)
		in.Files = []string{key}
		in.Snapshot, in.Entries, in.Skipped, in.Bytes = true, len(keys), skipped, int64(8*len(keys))
		out = append(out, in)
	}
	return out, nil
}

// parseNumbers reads one-number-per-line files into sorted distinct keys.
func parseNumbers(ctx context.Context, src Source, files []file, phoneKey func(string) (uint64, bool)) ([]uint64, int, error) {
	var keys []uint64
	skipped := 0
	for _, f := range files {
		err := eachLine(ctx, src, f.Key, func(line []byte, _ int) error {
			if k, ok := phoneKey(string(line)); ok {
				keys = append(keys, k)
			} else {
				skipped++
			}
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys), skipped, nil
}

// loadNIX loads the newest NIX version, from its snapshot if up to date.
func loadNIX(ctx context.Context, src Source, files []file, opts *LoadOptions) (*loaded, error) {
	if !opts.NoSnapshots {
		ks, in, ok, err := loadSnapshot(ctx, src, NIXName, files)
		if err != nil {
			return nil, err
		}
		if ok {
			return &loaded{in, ks}, nil
		}
	}
	keys, skipped, err := parseNumbers(ctx, src, files, opts.PhoneKey)
	if err != nil {
		return nil, err
	}
	ks := newKeySet(keys)
	in := newInfo(NIXName, files)
	in.Entries, in.Skipped, in.Bytes = ks.Len(), skipped, ks.Bytes()
	return &loaded{in, ks}, nil
}
