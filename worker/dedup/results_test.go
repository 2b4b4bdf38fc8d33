package dedup

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/listwash/listwash/formats"
)

// Results written per line range and read back apply exactly the marks
// the plan's own Apply gives, whether the lines were observed in order or
// not; a row outside a range is left alone.
func TestResultsRoundTrip(t *testing.T) {
	for _, unordered := range []bool{false, true} {
		rows := spillRows(5000, unordered)
		d := plan(t, Config{SpillRows: -1}, rows)
		if d.Stats().DuplicateRows == 0 || d.Stats().Households == 0 {
			t.Fatalf("weak test data: %+v", d.Stats())
		}
		maxLine := int64(0)
		for _, r := range rows {
			maxLine = max(maxLine, r.SourceLine)
		}
		cuts := []int64{0, 1000, 1001, 2500, maxLine + 1}
		total := 0
		for k := range len(cuts) - 1 {
			from, to := cuts[k], cuts[k+1]
			var buf bytes.Buffer
			n, err := d.WriteResults(&buf, from, to)
			if err != nil {
				t.Fatal(err)
			}
			total += n
			a, err := ReadResults(&buf)
			if err != nil {
				t.Fatal(err)
			}
			var in []formats.Row
			for _, r := range rows {
				if r.SourceLine >= from && r.SourceLine < to {
					in = append(in, r)
				}
			}
			slices.SortFunc(in, func(x, y formats.Row) int { return int(x.SourceLine - y.SourceLine) })
			want, got := slices.Clone(in), slices.Clone(in)
			if err := d.Apply(want); err != nil {
				t.Fatal(err)
			}
			if err := a.Apply(got); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				w, g := want[i], got[i]
				if w.DuplicateOf != g.DuplicateOf || w.MatchScore != g.MatchScore || w.HouseholdID != g.HouseholdID || !slices.Equal(w.Reasons, g.Reasons) {
					t.Fatalf("unordered %v, line %d: applied from file %+v, from plan %+v", unordered, w.SourceLine, g, w)
				}
			}
			// A row of another range gets no marks from this file.
			if from > 0 {
				var other formats.Row
				for _, r := range rows {
					if r.SourceLine < from && !r.Rejected {
						if x, _ := d.Lookup(r.SourceLine); x.DuplicateOf != 0 {
							other = r
							break
						}
					}
				}
				if other.SourceLine == 0 {
					t.Fatalf("no duplicate below line %d to test with", from)
				}
				o := []formats.Row{other}
				if err := a.Apply(o); err != nil || o[0].DuplicateOf != 0 {
					t.Fatalf("row of line %d outside [%d,%d) was marked: %+v %v", other.SourceLine, from, to, o[0], err)
				}
			}
		}
		if want := int(d.Stats().Rows); total != want {
			t.Fatalf("unordered %v: %d results written over all ranges, %d rows planned", unordered, total, want)
		}
	}
}

func TestResultsCorrupt(t *testing.T) {
	d := plan(t, Config{SpillRows: -1}, spillRows(500, false))
	var buf bytes.Buffer
	if _, err := d.WriteResults(&buf, 0, 1<<20); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	swapped := slices.Clone(good)
	h := len(resultsMagic) + 8
	copy(swapped[h:h+16], good[h+16:h+32])
	copy(swapped[h+16:h+32], good[h:h+16])
	for name, data := range map[string][]byte{
		"empty":        nil,
		"other magic":  append([]byte("listwash-rows-v1\n"), good[17:]...),
		"truncated":    good[:len(good)-3],
		"trailing":     append(slices.Clone(good), 0),
		"out of order": swapped,
	} {
		if _, err := ReadResults(bytes.NewReader(data)); !errors.Is(err, ErrCorruptResults) {
			t.Errorf("%s: err = %v, want ErrCorruptResults", name, err)
		}
	}
	if _, err := New(Config{}).WriteResults(&buf, 0, 10); !errors.Is(err, ErrNotPlanned) {
		t.Errorf("unplanned: err = %v", err)
	}
}
