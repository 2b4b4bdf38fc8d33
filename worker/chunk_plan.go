package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/listwash/listwash/formats"
)

// PlanKey is the chunk plan of a chunked run, in the run's output folder.
const PlanKey = "plan.json"

// ChunkPlan is how a big delimited file is split into byte ranges that
// start at record starts. It holds offsets, counts and header names, never
// data.
type ChunkPlan struct {
	RunID   string          `json:"run_id"`
	Input   string          `json:"input"`   // key
	Version string          `json:"version"` // the version planned
	Size    int64           `json:"size"`    // bytes of the input
	SHA256  string          `json:"sha256"`  // of the input's bytes
	Records int64           `json:"records"` // records in the file (rejected included)
	Dialect formats.Dialect `json:"dialect"`
	Info    formats.Info    `json:"read"`
	Chunks  []ChunkRange    `json:"chunks"`
	// MatchParts is the number of dedup partitions the chunks split their
	// rows into, each compared by a wash:match task; 0: none, the merge
	// compares every row itself.
	MatchParts int `json:"match_parts,omitempty"`
}

// ChunkRange is one chunk: bytes [Offset, Offset+Length) of the input,
// whose first record is on line FirstLine.
type ChunkRange struct {
	Index     int   `json:"index"`
	Offset    int64 `json:"offset"`
	Length    int64 `json:"length"`
	FirstLine int64 `json:"first_line"`
	Records   int64 `json:"records"`
}

// PlanChunks reads a whole delimited file once, as the wash would, and
// cuts it at the first record start at or after every multiple of
// chunkSize: no record spans two chunks, and each chunk read with
// formats.OpenRange yields exactly the records (and line numbers) the
// whole-file reader yields for its bytes. A file that cannot be read in
// ranges returns an error matching formats.ErrNotSplittable. The plan may
// have a single chunk.
func PlanChunks(ctx context.Context, in io.Reader, name string, open OpenFunc, chunkSize int64) (*ChunkPlan, error) {
	if chunkSize <= 0 {
		return nil, errors.New("plan chunks: chunk size must be positive")
	}
	h := sha256.New()
	cr := &byteCounter{r: io.TeeReader(in, h)}
	rd, err := open(cr, name)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	d, err := formats.DialectOf(rd)
	if err != nil {
		return nil, err
	}
	p := &ChunkPlan{Dialect: d, Info: rd.Info()}
	var rec formats.Record
	var cur *ChunkRange
	for n := int64(0); ; n++ {
		if n&0xfff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		rec.Fields = rec.Fields[:0]
		err := rd.Read(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		off, _ := formats.RecordStart(rd)
		if cur == nil || off >= int64(len(p.Chunks))*chunkSize {
			if cur != nil {
				cur.Length = off - cur.Offset
			}
			p.Chunks = append(p.Chunks, ChunkRange{Index: len(p.Chunks), Offset: off, FirstLine: rec.Line})
			cur = &p.Chunks[len(p.Chunks)-1]
		}
		cur.Records++
		p.Records++
	}
	if _, err := io.Copy(io.Discard, cr); err != nil { // trailing bytes the reader left
		return nil, fmt.Errorf("read input: %w", err)
	}
	p.Size = cr.n
	if cur != nil {
		cur.Length = p.Size - cur.Offset
	}
	p.SHA256 = hex.EncodeToString(h.Sum(nil))
	return p, nil
}

// byteCounter counts the bytes read through it.
type byteCounter struct {
	r io.Reader
	n int64
}

func (c *byteCounter) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}
