package worker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/worker/dedup"
)

// Chunk outputs, in the run's output folder. They are the merge's input
// and are removed once the run is committed.
const (
	ChunksDir     = "chunks"
	chunkDoneExt  = ".done"
	chunkRowsExt  = ".rows"
	chunkRecsExt  = ".recs"
	chunkPartExt  = ".part-"
	chunkKeyWidth = 5
)

// RangeSource reads a byte range of an object. infra's stores satisfy it.
type RangeSource interface {
	OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
}

// ChunkDone is chunks/<index>.done, written with PutIfAbsent by the first
// attempt that finished the chunk: it names that attempt's rows file, so
// a killed or duplicate attempt can never change what the merge reads.
type ChunkDone struct {
	Index int    `json:"index"`
	Key   string `json:"key"`  // the rows file (chunkRowsMagic, then frames), file order
	Size  int64  `json:"size"` // bytes of Key
	Rows  int64  `json:"rows"`
	// Recs is the dedup state of the chunk's rows that are not rejected
	// (dedup.EncodedMagic, then dedup.Encoder output, file order): the
	// merge observes it instead of decoding the rows. RecRows rows.
	Recs     string `json:"recs,omitempty"`
	RecsSize int64  `json:"recs_size,omitempty"`
	RecRows  int64  `json:"rec_rows,omitempty"`
	// Parts are the chunk's rows split by dedup partition (dedup.PartMagic,
	// then dedup.SplitEncoded output), one file per partition of the
	// plan's MatchParts, for the wash:match tasks.
	Parts []string `json:"parts,omitempty"`
}

// chunkRowsMagic starts a chunk's rows file: the washed rows in the
// spill encoding (formats.AppendRowBinary), in frames of one batch each,
// packed as the row spill packs its frames past packAfter (packFrame):
// about 2.7 times fewer bytes through the store. The version changes
// whenever the row encoding does: a merge never reads a chunk written by
// other code, except v1 files, the same frames unpacked (a rolling
// upgrade).
const (
	chunkRowsMagic   = "listwash-rows-v2\n"
	chunkRowsMagicV1 = "listwash-rows-v1\n"
)

func chunkName(i int) string {
	s := strconv.Itoa(i)
	if len(s) < chunkKeyWidth {
		s = strings.Repeat("0", chunkKeyWidth-len(s)) + s
	}
	return s
}

// ChunkDoneKey is the done marker of chunk i.
func ChunkDoneKey(i int) string { return ChunksDir + "/" + chunkName(i) + chunkDoneExt }

func chunkRowsKey(i int, attempt string) string {
	return ChunksDir + "/" + chunkName(i) + "/" + attempt + chunkRowsExt
}

func chunkRecsKey(i int, attempt string) string {
	return ChunksDir + "/" + chunkName(i) + "/" + attempt + chunkRecsExt
}

func chunkPartKey(i int, attempt string, part int) string {
	return ChunksDir + "/" + chunkName(i) + "/" + attempt + chunkPartExt + chunkName(part)
}

// ChunkConfig describes the wash of one chunk.
type ChunkConfig struct {
	Env     Env
	In      RangeSource // the input's store
	InKey   string
	Out     Sink // the run's output folder
	Plan    *ChunkPlan
	Index   int
	Profile *formats.Profile // the profile the plan was read with
	Setup   *Setup           // postal code directory and registers of the row stages; nil: none
	Workers int              // 0: GOMAXPROCS
	Batch   int              // 0: DefaultBatchSize
	Attempt string           // required: names this attempt's rows file
	Logger  *slog.Logger     // nil: discard
}

// WashChunk parses one chunk of a planned run and runs the row stages
// (normalisation, and suppression when the setup has registers), and
// writes its rows, in file order, to one rows file; then it writes the
// chunk's done marker with PutIfAbsent. It is idempotent: if the marker
// exists (another attempt finished first), it removes its own file and
// returns nil. Deduplication and decisions are the merge's.
func WashChunk(ctx context.Context, cfg ChunkConfig) (err error) {
	if cfg.Plan == nil || cfg.Index < 0 || cfg.Index >= len(cfg.Plan.Chunks) {
		return errors.New("wash chunk: no such chunk in the plan")
	}
	if cfg.Attempt == "" {
		return errors.New("wash chunk: no attempt id")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Setup == nil {
		cfg.Setup = &Setup{}
	}
	c := cfg.Plan.Chunks[cfg.Index]
	if _, err := readChunkJSON[ChunkDone](ctx, cfg.Out, ChunkDoneKey(c.Index)); err == nil {
		log.Info("chunk already done", "chunk", c.Index)
		return nil
	}
	rc, err := cfg.In.OpenRange(ctx, cfg.InKey, c.Offset, c.Length)
	if err != nil {
		return fmt.Errorf("open chunk %d: %w", c.Index, err)
	}
	defer rc.Close()
	rd, err := formats.OpenRange(&readErrorMarker{rc}, cfg.Plan.Dialect, c.FirstLine,
		formats.Options{Name: cfg.Env.SourceFile, Profile: cfg.Profile})
	if err != nil {
		return err
	}
	defer rd.Close()

	key, recsKey := chunkRowsKey(c.Index, cfg.Attempt), chunkRecsKey(c.Index, cfg.Attempt)
	rowsW, err := newChunkFile(ctx, cfg.Out, key, chunkRowsMagic)
	if err != nil {
		return err
	}
	defer rowsW.discard(ctx, &err)
	recsW, err := newChunkFile(ctx, cfg.Out, recsKey, dedup.EncodedMagic)
	if err != nil {
		return err
	}
	defer recsW.discard(ctx, &err)
	cw := &chunkWriter{rowsF: rowsW, recsF: recsW}
	for part := range cfg.Plan.MatchParts {
		var f *chunkFile
		if f, err = newChunkFileSize(ctx, cfg.Out, chunkPartKey(c.Index, cfg.Attempt, part), dedup.PartMagic, partBufSize); err != nil {
			return err
		}
		defer f.discard(ctx, &err)
		cw.partF = append(cw.partF, f)
	}
	counters := &Counters{}
	rowStages, err := cfg.Setup.rowStages(cfg.Env, &perRun{})
	if err != nil {
		return err
	}
	enc := &frameEncoder{dedup: cfg.Setup.Dedup, parts: cfg.Plan.MatchParts}
	stages := append(append([]Stage{NewParseStage(cfg.Env, rd.Mapping())}, rowStages...), enc, cw)
	p := &pass{reader: rd, stages: stages,
		sink: func(context.Context, int, *Batch) error { return nil }, workers: cfg.Workers, batchSize: cfg.Batch, counters: counters}
	if err := p.run(ctx); err != nil {
		return err
	}
	if err := rowsW.close(); err != nil {
		return err
	}
	if err := recsW.close(); err != nil {
		return err
	}
	var parts []string
	for _, f := range cw.partF {
		if err := f.close(); err != nil {
			return err
		}
		parts = append(parts, f.key)
	}
	if n := counters.Records.Load(); n != c.Records || cw.rows != n {
		return fmt.Errorf("%w: chunk %d: plan has %d records, read %d, wrote %d", ErrAccounting, c.Index, c.Records, n, cw.rows)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	done := ChunkDone{Index: c.Index, Key: key, Size: rowsW.hw.size, Rows: cw.rows,
		Recs: recsKey, RecsSize: recsW.hw.size, RecRows: cw.recRows, Parts: parts}
	data, err := json.Marshal(done)
	if err != nil {
		return err
	}
	if err := cfg.Out.PutIfAbsent(ctx, ChunkDoneKey(c.Index), data); err != nil {
		if errors.Is(err, fs.ErrExist) {
			log.Info("chunk finished by another attempt first", "chunk", c.Index)
			for _, k := range append([]string{key, recsKey}, parts...) {
				cfg.Out.Delete(ctx, k)
			}
			return nil
		}
		return fmt.Errorf("commit chunk %d: %w", c.Index, err)
	}
	log.Info("chunk done", "chunk", c.Index, "rows", done.Rows)
	return nil
}

// frameEncoder encodes each batch's rows into its frame, and their dedup
// state, on every core, for the ordered chunkWriter.
type frameEncoder struct {
	dedup dedup.Config
	parts int       // dedup partitions to split the state into; 0: none
	pool  sync.Pool // *dedup.Encoder
}

func (*frameEncoder) Name() string { return "chunk.encode" }

func (e *frameEncoder) Process(_ context.Context, b *Batch) error {
	b.raw = appendRows(b.raw[:0], b)
	b.enc = packFrame(b.enc[:0], b.Seq, len(b.Rows), b.raw)
	de, ok := e.pool.Get().(*dedup.Encoder)
	if !ok {
		de = dedup.NewEncoder(e.dedup)
	}
	defer e.pool.Put(de)
	b.recs = b.recs[:0]
	for i := range b.Rows {
		var err error
		if b.recs, err = de.Append(b.recs, &b.Rows[i]); err != nil {
			return fmt.Errorf("dedup state of line %d: %w", b.Rows[i].SourceLine, err)
		}
	}
	if e.parts > 0 {
		if len(b.parts) != e.parts {
			b.parts = make([][]byte, e.parts)
		}
		for p := range b.parts {
			b.parts[p] = b.parts[p][:0]
		}
		if err := dedup.SplitEncoded(b.parts, b.recs); err != nil {
			return fmt.Errorf("dedup partitions of batch %d: %w", b.Seq, err)
		}
	}
	return nil
}

// chunkWriter is the ordered last stage of a chunk: it writes the encoded
// frames and dedup state in file order.
type chunkWriter struct {
	rowsF, recsF *chunkFile
	partF        []*chunkFile // one per dedup partition
	rows         int64        // rows written
	recRows      int64        // rows whose dedup state was written (not rejected)
}

func (c *chunkWriter) Name() string { return "chunk.write" }
func (c *chunkWriter) Ordered()     {}

func (c *chunkWriter) Process(_ context.Context, b *Batch) error {
	if _, err := writeFrame(c.rowsF.bw, b.enc); err != nil {
		return fmt.Errorf("write chunk rows: %w", err)
	}
	if _, err := c.recsF.bw.Write(b.recs); err != nil {
		return fmt.Errorf("write chunk dedup state: %w", err)
	}
	for p, f := range c.partF {
		if _, err := f.bw.Write(b.parts[p]); err != nil {
			return fmt.Errorf("write chunk dedup partition: %w", err)
		}
	}
	c.rows += int64(len(b.Rows))
	for i := range b.Rows {
		if !b.Rows[i].Rejected {
			c.recRows++
		}
	}
	return nil
}

// chunkFile is one file a chunk attempt writes: buffered, its bytes
// counted, removed again unless the attempt succeeds.
type chunkFile struct {
	out    Sink
	key    string
	w      io.WriteCloser
	hw     *hashedWriter
	bw     *bufio.Writer
	closed bool
}

func newChunkFile(ctx context.Context, out Sink, key, magic string) (*chunkFile, error) {
	return newChunkFileSize(ctx, out, key, magic, spillBufSize)
}

// partBufSize buffers each dedup partition file of a chunk: there are
// many, each written a little per batch.
const partBufSize = 64 << 10

func newChunkFileSize(ctx context.Context, out Sink, key, magic string, buf int) (*chunkFile, error) {
	w, err := out.Create(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", key, err)
	}
	f := &chunkFile{out: out, key: key, w: w, hw: &hashedWriter{w: w, h: nopHash{}}}
	f.bw = bufio.NewWriterSize(f.hw, buf)
	if _, err := f.bw.WriteString(magic); err != nil {
		f.discard(ctx, &err)
		return nil, fmt.Errorf("write %s: %w", key, err)
	}
	return f, nil
}

// close flushes and closes the file; it exists from then on.
func (f *chunkFile) close() error {
	if err := f.bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", f.key, err)
	}
	f.closed = true
	if err := f.w.Close(); err != nil {
		return fmt.Errorf("write %s: %w", f.key, err)
	}
	return nil
}

// discard aborts or deletes the file if *err is set (for a defer).
func (f *chunkFile) discard(ctx context.Context, err *error) {
	if *err == nil {
		return
	}
	if !f.closed {
		f.closed = true
		if a, ok := f.w.(interface{ Abort() error }); ok {
			a.Abort()
		} else {
			f.w.Close()
		}
	}
	f.out.Delete(context.WithoutCancel(ctx), f.key)
}

// ChunksDone lists the done markers of a run's chunks, in chunk order;
// complete reports whether every chunk of the plan has one.
func ChunksDone(ctx context.Context, out Sink, plan *ChunkPlan) (done []ChunkDone, complete bool, err error) {
	keys, err := out.ListKeys(ctx, ChunksDir+"/")
	if err != nil {
		return nil, false, fmt.Errorf("list chunks: %w", err)
	}
	have := map[string]bool{}
	for _, k := range keys {
		have[k] = true
	}
	for i := range plan.Chunks {
		if !have[ChunkDoneKey(i)] {
			return done, false, nil
		}
		d, err := readChunkJSON[ChunkDone](ctx, out, ChunkDoneKey(i))
		if err != nil {
			return nil, false, err
		}
		done = append(done, d)
	}
	return done, true, nil
}

// readChunkJSON reads and decodes one small JSON object.
func readChunkJSON[T any](ctx context.Context, src Source, key string) (T, error) {
	var v T
	err := readJSON(ctx, src, key, &v)
	return v, err
}

// nopHash is a hash.Hash that hashes nothing: chunk files are listed by
// their done marker, not by a checksum.
type nopHash struct{}

func (nopHash) Write(p []byte) (int, error) { return len(p), nil }
func (nopHash) Sum(b []byte) []byte         { return b }
func (nopHash) Reset()                      {}
func (nopHash) Size() int                   { return 0 }
func (nopHash) BlockSize() int              { return 1 }
