package registers

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"
)

// ErrFormat means a register file is not in the documented format. The
// message says file and line, never a value.
var ErrFormat = errors.New("register format")

// SnapshotDir is the sub-folder of a register folder that holds prepared
// snapshots; it is never read as register data.
const SnapshotDir = "_snapshot"

// file is one register file in the store.
type file struct {
	Key     string
	Version day
}

var dateInName = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)

// listFiles lists the data files of a register folder with their versions,
// oldest first. A file without a version date in its name gets it from a
// "# version: YYYY-MM-DD" first line; a file with neither is an error.
func listFiles(ctx context.Context, src Source, folder string) ([]file, error) {
	keys, err := src.ListKeys(ctx, folder+"/")
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", folder, err)
	}
	var files []file
	for _, k := range keys {
		rel := strings.TrimPrefix(k, folder+"/")
		base := path.Base(rel)
		if strings.HasPrefix(rel, SnapshotDir+"/") || strings.HasPrefix(base, ".") {
			continue
		}
		f := file{Key: k, Version: noDay}
		if m := dateInName.FindString(base); m != "" {
			if d, ok := parseDay(m); ok {
				f.Version = d
			}
		}
		if f.Version == noDay {
			d, err := headerVersion(ctx, src, k)
			if err != nil {
				return nil, err
			}
			f.Version = d
		}
		files = append(files, f)
	}
	slices.SortStableFunc(files, func(a, b file) int {
		if a.Version != b.Version {
			return int(a.Version - b.Version)
		}
		return strings.Compare(a.Key, b.Key)
	})
	return files, nil
}

// newest returns the files of the newest version (snapshot registers: a
// version may be split over several files with the same date).
func newest(files []file) []file {
	if len(files) == 0 {
		return nil
	}
	v := files[len(files)-1].Version
	i := len(files) - 1
	for i > 0 && files[i-1].Version == v {
		i--
	}
	return files[i:]
}

func headerVersion(ctx context.Context, src Source, key string) (day, error) {
	rc, br, err := openText(ctx, src, key)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	line, _ := br.ReadSlice('\n')
	line = bytes.TrimSpace(line)
	if v, ok := bytes.CutPrefix(line, []byte("#")); ok {
		v = bytes.TrimSpace(v)
		if v, ok := bytes.CutPrefix(v, []byte("version:")); ok {
			if d, ok := parseDay(string(bytes.TrimSpace(v))); ok {
				return d, nil
			}
		}
	}
	return 0, fmt.Errorf("%s: no version date in the file name or a first line \"# version: YYYY-MM-DD\": %w", key, ErrFormat)
}

// openText opens a register file for reading: gunzipped if it ends in
// .gz, with a UTF-8 BOM skipped.
func openText(ctx context.Context, src Source, key string) (io.Closer, *bufio.Reader, error) {
	rc, err := src.Open(ctx, key)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", key, err)
	}
	var r io.Reader = rc
	closer := io.Closer(rc)
	if strings.HasSuffix(key, ".gz") {
		zr, err := gzip.NewReader(rc)
		if err != nil {
			rc.Close()
			return nil, nil, fmt.Errorf("%s: gzip: %w", key, err)
		}
		r = zr
		closer = multiCloser{zr, rc}
	}
	br := bufio.NewReaderSize(r, 1<<16)
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		br.Discard(3)
	}
	return closer, br, nil
}

type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var errs []error
	for _, c := range m {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// eachLine calls fn with every line of a one-value-per-line file that is
// not blank or a comment, trimmed. line is only valid during the call.
func eachLine(ctx context.Context, src Source, key string, fn func(line []byte, lineNo int) error) error {
	c, br, err := openText(ctx, src, key)
	if err != nil {
		return err
	}
	defer c.Close()
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		if n&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if err := fn(line, n); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: read: %w", key, n+1, err)
	}
	return nil
}

// table is a CSV register file being read: its header maps column names
// (lower-cased) to indexes.
type table struct {
	key  string
	cols map[string]int
	r    *csv.Reader
	rec  []string
}

// openTable opens a CSV register file with a header line; the delimiter
// is ',' or ';', whichever the header uses. required names the columns the
// file must have.
func openTable(ctx context.Context, src Source, key string, required ...string) (*table, io.Closer, error) {
	c, br, err := openText(ctx, src, key)
	if err != nil {
		return nil, nil, err
	}
	head, _ := br.Peek(1 << 15)
	comma := ','
	for _, line := range bytes.Split(head, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")) {
			comma = ';'
		} else if bytes.IndexByte(line, ',') < 0 && bytes.IndexByte(line, '\t') >= 0 {
			comma = '\t'
		}
		break
	}
	r := csv.NewReader(br)
	r.Comma = comma
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	r.LazyQuotes = true
	r.TrimLeadingSpace = true
	t := &table{key: key, r: r, cols: map[string]int{}}
	header, err := r.Read()
	if err != nil {
		c.Close()
		if errors.Is(err, io.EOF) {
			return nil, nil, fmt.Errorf("%s: no header line: %w", key, ErrFormat)
		}
		return nil, nil, fmt.Errorf("%s: header: %w", key, errors.Join(ErrFormat, stripValue(err)))
	}
	for i, h := range header {
		t.cols[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, name := range required {
		if _, ok := t.cols[name]; !ok {
			c.Close()
			return nil, nil, fmt.Errorf("%s: no column %q: %w", key, name, ErrFormat)
		}
	}
	return t, c, nil
}

// next reads the next record; it returns io.EOF at the end.
func (t *table) next() error {
	for {
		rec, err := t.r.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.EOF
			}
			line, _ := t.r.FieldPos(0)
			return fmt.Errorf("%s:%d: %w", t.key, line, errors.Join(ErrFormat, stripValue(err)))
		}
		blank := true
		for _, f := range rec {
			if strings.TrimSpace(f) != "" {
				blank = false
				break
			}
		}
		if !blank {
			t.rec = rec
			return nil
		}
	}
}

// get returns the trimmed value of a column, "" if absent.
func (t *table) get(col string) string {
	i, ok := t.cols[col]
	if !ok || i >= len(t.rec) {
		return ""
	}
	return strings.TrimSpace(t.rec[i])
}

func (t *table) has(col string) bool { _, ok := t.cols[col]; return ok }

// line is the line of the current record.
func (t *table) line() int {
	l, _ := t.r.FieldPos(0)
	return l
}

// stripValue keeps a csv error's kind but not its text, which may quote data.
func stripValue(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
