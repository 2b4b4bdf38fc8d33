package worker

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"

	"github.com/klauspost/compress/s2"

	"github.com/listwash/listwash/formats"
)

// SetPackAfter sets the spill size from which frames are packed and
// returns a function that restores it (tests in package worker_test).
func SetPackAfter(n int64) (restore func()) {
	old := packAfter
	packAfter = n
	return func() { packAfter = old }
}

// ChunkRowsToV1 rewrites a chunk rows file as an older worker wrote it
// (v1: the same frames, unpacked).
func ChunkRowsToV1(data []byte) ([]byte, error) {
	if !bytes.HasPrefix(data, []byte(chunkRowsMagic)) {
		return nil, errors.New("not a v2 rows file")
	}
	r := bufio.NewReader(bytes.NewReader(data[len(chunkRowsMagic):]))
	var out bytes.Buffer
	out.WriteString(chunkRowsMagicV1)
	for {
		frame, err := readFrame(r)
		if errors.Is(err, io.EOF) {
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
		var d formats.RowDecoder
		d.Reset(frame)
		seq, n := d.Uvarint(), d.Uvarint()
		rows := frame[d.Pos():]
		if n&1 != 0 {
			if rows, err = s2.Decode(nil, rows); err != nil {
				return nil, err
			}
		}
		body := binary.AppendUvarint(binary.AppendUvarint(nil, seq), n>>1)
		if _, err := writeFrame(&out, append(body, rows...)); err != nil {
			return nil, err
		}
	}
}
