package dedup

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// Rows encoded on several Encoders and observed encoded give the plan
// that observing the rows gives, in memory and in spill mode.
func TestObserveEncodedEqualsObserve(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  func(t *testing.T) Config
	}{
		{"memory", func(*testing.T) Config { return Config{SpillRows: -1} }},
		{"spill", func(t *testing.T) Config { return Config{SpillRows: 500, SpillDir: t.TempDir()} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := spillRows(8000, false)
			want := plan(t, tc.cfg(t), rows)
			if want.Stats().NearDuplicateRows == 0 || want.Stats().Households == 0 {
				t.Fatalf("weak test data: %+v", want.Stats())
			}
			// Three "chunks", each encoded by its own Encoder.
			var parts [][]byte
			encs := []*Encoder{NewEncoder(Config{}), NewEncoder(Config{}), NewEncoder(Config{})}
			per := (len(rows) + 2) / 3
			for k, e := range encs {
				var buf []byte
				for i := k * per; i < min(len(rows), (k+1)*per); i++ {
					var err error
					if buf, err = e.Append(buf, &rows[i]); err != nil {
						t.Fatal(err)
					}
				}
				parts = append(parts, buf)
			}
			got := New(tc.cfg(t))
			total := 0
			for _, p := range parts {
				n, err := got.ObserveEncoded(bytes.NewReader(p))
				if err != nil {
					t.Fatal(err)
				}
				total += n
			}
			if err := got.Plan(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got.Stats() != want.Stats() || int64(total) != want.Stats().Rows {
				t.Fatalf("encoded: %d rows, stats %+v\nobserved: stats %+v", total, got.Stats(), want.Stats())
			}
			for _, r := range rows {
				if r.Rejected {
					continue
				}
				a, okA := want.Lookup(r.SourceLine)
				b, okB := got.Lookup(r.SourceLine)
				if a != b || !okA || !okB {
					t.Fatalf("line %d: observed %+v %v, encoded %+v %v", r.SourceLine, a, okA, b, okB)
				}
			}
		})
	}
}

func TestObserveEncodedCorrupt(t *testing.T) {
	rows := spillRows(50, false)
	var buf []byte
	e := NewEncoder(Config{})
	for i := range rows {
		buf, _ = e.Append(buf, &rows[i])
	}
	for name, data := range map[string][]byte{
		"truncated rec":   buf[:recSize-1],
		"truncated names": buf[:len(buf)-1],
	} {
		if _, err := New(Config{}).ObserveEncoded(bytes.NewReader(data)); !errors.Is(err, ErrCorruptEncoded) {
			t.Errorf("%s: err = %v, want ErrCorruptEncoded", name, err)
		}
	}
	d := plan(t, Config{}, rows)
	if _, err := d.ObserveEncoded(bytes.NewReader(buf)); !errors.Is(err, ErrPlanned) {
		t.Errorf("after Plan: err = %v, want ErrPlanned", err)
	}
}
