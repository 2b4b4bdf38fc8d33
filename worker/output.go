package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"sync"
	"sync/atomic"

	"github.com/listwash/listwash/formats"
)

// Sink is the output store a wash writes to: a local folder or a bucket
// prefix. infra's stores satisfy it.
type Sink interface {
	Source
	// Create returns a writer; the object exists only once Close returned
	// nil. The writer may implement interface{ Abort() error }.
	Create(ctx context.Context, key string) (io.WriteCloser, error)
	// PutIfAbsent writes data only if key does not exist yet, else an error
	// matching fs.ErrExist.
	PutIfAbsent(ctx context.Context, key string, data []byte) error
	Delete(ctx context.Context, key string) error
	ListKeys(ctx context.Context, prefix string) ([]string, error)
}

// Source is where a wash reads its input and registers.
type Source interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Size(ctx context.Context, key string) (int64, error)
}

// OutputFile is one file of a committed run, as listed in the manifest.
type OutputFile struct {
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Rows   int64  `json:"rows,omitempty"`
}

// outputs tracks every file a run writes, so a failed run can remove them
// and a committed run can list them in its manifest.
type outputs struct {
	sink   Sink
	prefix string // "attempts/<id>/" or ""
	mu     sync.Mutex
	done   []OutputFile
	open   map[*hashedWriter]string
}

func newOutputs(sink Sink) *outputs {
	return &outputs{sink: sink, open: map[*hashedWriter]string{}}
}

// hashedWriter counts and hashes what it passes on.
type hashedWriter struct {
	w    io.WriteCloser
	h    hash.Hash
	size int64
}

func (w *hashedWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.h.Write(p[:n])
	w.size += int64(n)
	return n, err
}

func (o *outputs) create(ctx context.Context, key string) (*hashedWriter, error) {
	w, err := o.sink.Create(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", key, err)
	}
	hw := &hashedWriter{w: w, h: sha256.New()}
	o.mu.Lock()
	o.open[hw] = key
	o.mu.Unlock()
	return hw, nil
}

// commit closes w; the file counts only if Close succeeded.
func (o *outputs) commit(w *hashedWriter, rows int64) error {
	o.mu.Lock()
	key := o.open[w]
	delete(o.open, w)
	o.mu.Unlock()
	if err := w.w.Close(); err != nil {
		return fmt.Errorf("close %s: %w", key, err)
	}
	o.mu.Lock()
	o.done = append(o.done, OutputFile{Key: key, Size: w.size, SHA256: hex.EncodeToString(w.h.Sum(nil)), Rows: rows})
	o.mu.Unlock()
	return nil
}

// put writes a small file in one go.
func (o *outputs) put(ctx context.Context, key string, data []byte) error {
	w, err := o.create(ctx, key)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		o.abort(w)
		return fmt.Errorf("write %s: %w", key, err)
	}
	return o.commit(w, 0)
}

func (o *outputs) abort(w *hashedWriter) {
	o.mu.Lock()
	delete(o.open, w)
	o.mu.Unlock()
	if a, ok := w.w.(interface{ Abort() error }); ok {
		a.Abort()
	} else {
		w.w.Close()
	}
}

// cleanup aborts open writers and deletes finished files: a failed run
// leaves nothing behind. It uses a fresh context, as ctx may be cancelled.
func (o *outputs) cleanup() {
	o.mu.Lock()
	open := o.open
	o.open = map[*hashedWriter]string{}
	done := o.done
	o.done = nil
	o.mu.Unlock()
	for w, key := range open {
		if a, ok := w.w.(interface{ Abort() error }); ok {
			a.Abort()
		} else {
			w.w.Close()
			o.sink.Delete(context.Background(), key)
		}
	}
	for _, f := range done {
		o.sink.Delete(context.Background(), f.Key)
	}
}

func (o *outputs) files() []OutputFile {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]OutputFile(nil), o.done...)
}

// partSet writes one folder of Parquet parts (rows/, callable/...). Each
// pipeline goroutine owns its own current part, so encoding runs on every
// core; a part rolls over after maxRows rows.
type partSet struct {
	ctx      context.Context // the run's: writers outlive the pipeline pass's context
	out      *outputs
	dir      string
	stem     string // file names are <stem><n>.parquet, n from 00000
	rowGroup int64
	maxRows  int64
	meta     map[string]string
	next     atomic.Int64
	parts    []*part // one per goroutine
}

type part struct {
	hw *hashedWriter
	pw *formats.RowWriter
}

func newPartSet(ctx context.Context, out *outputs, dir, stem string, workers int, rowGroup, maxRows int64, meta map[string]string) *partSet {
	return &partSet{ctx: ctx, out: out, dir: dir, stem: stem, rowGroup: rowGroup, maxRows: maxRows, meta: meta, parts: make([]*part, workers)}
}

func (s *partSet) write(worker int, rows []formats.Row) error {
	if len(rows) == 0 {
		return nil
	}
	p := s.parts[worker]
	if p == nil {
		key := fmt.Sprintf("%s/%s%05d.parquet", s.dir, s.stem, s.next.Add(1)-1)
		hw, err := s.out.create(s.ctx, key)
		if err != nil {
			return err
		}
		p = &part{hw: hw, pw: formats.NewRowWriter(hw, s.rowGroup, s.meta)}
		s.parts[worker] = p
	}
	if err := p.pw.Write(rows); err != nil {
		return err
	}
	if p.pw.Rows() >= s.maxRows {
		return s.closePart(worker)
	}
	return nil
}

func (s *partSet) closePart(worker int) error {
	p := s.parts[worker]
	if p == nil {
		return nil
	}
	s.parts[worker] = nil
	if err := p.pw.Close(); err != nil {
		s.out.abort(p.hw)
		return err
	}
	return s.out.commit(p.hw, p.pw.Rows())
}

// close finishes every open part.
func (s *partSet) close() error {
	for w := range s.parts {
		if err := s.closePart(w); err != nil {
			return err
		}
	}
	return nil
}
