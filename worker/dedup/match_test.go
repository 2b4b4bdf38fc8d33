package dedup

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/listwash/listwash/formats"
)

// planPartitioned plans rows the distributed way: rows encoded in chunks,
// each chunk split by partition, one Matcher per partition fed the
// chunks in order, its matches through their binary form, and a Deduper
// that observes the encoded rows and links the matches.
func planPartitioned(t *testing.T, cfg Config, rows []formats.Row, chunks, parts, workers int) *Deduper {
	t.Helper()
	enc := NewEncoder(cfg)
	var all []byte
	split := make([][][]byte, chunks) // chunk, partition
	per := (len(rows) + chunks - 1) / chunks
	for c := range chunks {
		var b []byte
		for i := c * per; i < min(len(rows), (c+1)*per); i++ {
			var err error
			if b, err = enc.Append(b, &rows[i]); err != nil {
				t.Fatal(err)
			}
		}
		all = append(all, b...)
		split[c] = make([][]byte, parts)
		if err := SplitEncoded(split[c], b); err != nil {
			t.Fatal(err)
		}
	}
	d := New(cfg)
	if _, err := d.ObserveEncoded(bytes.NewReader(all)); err != nil {
		t.Fatal(err)
	}
	for p := range parts {
		m, err := NewMatcher(cfg, p, parts)
		if err != nil {
			t.Fatal(err)
		}
		for c := range chunks {
			if _, err := m.Add(bytes.NewReader(split[c][p])); err != nil {
				t.Fatal(err)
			}
		}
		got, err := m.Match(context.Background(), workers)
		if err != nil {
			t.Fatal(err)
		}
		data, err := got.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back Matches
		if err := back.UnmarshalBinary(data); err != nil {
			t.Fatal(err)
		}
		if err := d.AddMatches(&back); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Plan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPartitionedMatchesPlan: matching in partitions, whatever their
// number and the chunks', gives every row the plan of one Deduper
// comparing everything, in memory and in spill mode, with the same stats.
func TestPartitionedMatchesPlan(t *testing.T) {
	tests := []struct {
		name          string
		persons       int
		chunks, parts int
		workers       int
		spillRows     int // 0: memory
	}{
		{"one partition", 3000, 1, 1, 1, 0},
		{"three chunks, four partitions", 3000, 3, 4, 2, 0},
		{"seven chunks, 13 partitions, one worker", 5000, 7, 13, 1, 0},
		{"more partitions than 64", 2000, 2, 70, 2, 0},
		{"spill mode", 5000, 4, 5, 2, 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := spillRows(tc.persons, false)
			cfg := Config{SpillRows: -1}
			if tc.spillRows > 0 {
				cfg.SpillRows, cfg.SpillDir = tc.spillRows, t.TempDir()
			}
			want := plan(t, Config{SpillRows: -1}, rows)
			got := planPartitioned(t, cfg, rows, tc.chunks, tc.parts, tc.workers)
			ws, gs := want.Stats(), got.Stats()
			if ws != gs {
				t.Errorf("stats differ:\nwhole       %+v\npartitioned %+v", ws, gs)
			}
			if ws.NearDuplicateRows == 0 || ws.ExactDuplicateRows == 0 || ws.OversizedBlocks == 0 || ws.Households == 0 {
				t.Fatalf("weak test data: %+v", ws)
			}
			diff := 0
			for _, r := range rows {
				if r.Rejected {
					continue
				}
				a, okA := want.Lookup(r.SourceLine)
				b, okB := got.Lookup(r.SourceLine)
				if a != b || okA != okB || !okA {
					if diff++; diff <= 5 {
						t.Errorf("line %d: whole %+v %v, partitioned %+v %v", r.SourceLine, a, okA, b, okB)
					}
				}
			}
			if diff > 0 {
				t.Errorf("%d rows differ", diff)
			}
		})
	}
}

// TestSplitEncodedOncePerPartition: a row goes to each partition of its
// keys once, and to no other.
func TestSplitEncodedOncePerPartition(t *testing.T) {
	rows := spillRows(200, false)
	enc := NewEncoder(Config{})
	for _, parts := range []int{1, 2, 5, 64, 100} {
		t.Run("parts", func(t *testing.T) {
			dst := make([][]byte, parts)
			rowsIn := 0
			for i := range rows {
				b, err := enc.Append(nil, &rows[i])
				if err != nil {
					t.Fatal(err)
				}
				if len(b) == 0 {
					continue
				}
				before := make([]int, parts)
				for p := range dst {
					before[p] = len(dst[p])
				}
				if err := SplitEncoded(dst, b); err != nil {
					t.Fatal(err)
				}
				var r rec
				copy(recBytes(&r), b)
				want := map[int]bool{}
				var keys [2]uint64
				for k := kind(0); k < numKinds; k++ {
					for _, key := range k.keys(keys[:0], &r) {
						want[partOf(key, parts)] = true
					}
				}
				for p := range dst {
					grew := len(dst[p]) - before[p]
					switch {
					case want[p] && grew != len(b):
						t.Fatalf("row %d: partition %d grew by %d bytes, want one row of %d", i, p, grew, len(b))
					case !want[p] && grew != 0:
						t.Fatalf("row %d: partition %d has none of its keys but got %d bytes", i, p, grew)
					}
				}
				rowsIn++
			}
			if rowsIn == 0 {
				t.Fatal("no rows encoded")
			}
		})
	}
}

func TestMatchesCorrupt(t *testing.T) {
	m := Matches{Comparisons: 3, edges: []edge{{i: 2, j: 5, score: 0.9}}}
	good, _ := m.MarshalBinary()
	tests := map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)-1],
		"too long":  append(append([]byte{}, good...), 0),
		"other":     append([]byte("listwash-dedup-matches-v0\n"), good[len(matchesMagic):]...),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			var got Matches
			if err := got.UnmarshalBinary(b); !errors.Is(err, ErrCorruptMatches) {
				t.Fatalf("err = %v, want ErrCorruptMatches", err)
			}
		})
	}
	var back Matches
	if err := back.UnmarshalBinary(good); err != nil || back.Comparisons != 3 || len(back.edges) != 1 || back.edges[0] != m.edges[0] {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
}

// TestMatchesNeedLineOrder: rows observed out of line order cannot take
// matches named by line.
func TestMatchesNeedLineOrder(t *testing.T) {
	rows := spillRows(50, true)
	d := New(Config{SpillRows: -1})
	for i := range rows {
		if err := d.Observe(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.AddMatches(&Matches{}); err != nil {
		t.Fatal(err)
	}
	if err := d.Plan(context.Background()); err == nil {
		t.Fatal("Plan took matches for unordered rows")
	}
}
