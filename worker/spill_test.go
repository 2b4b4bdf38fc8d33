package worker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/worker/dedup"
)

// The rows a planned wash spills between its passes live in SpillDir only
// while the wash runs, whether it commits or fails.
func TestWashSpillFilesRemoved(t *testing.T) {
	for _, fail := range []bool{false, true} {
		name := map[bool]string{false: "committed", true: "failed in the writing pass"}[fail]
		t.Run(name, func(t *testing.T) {
			in, key := writeInput(t, 2000, 50)
			cfg, _ := testConfig(t, in, key)
			cfg.SpillDir = t.TempDir()
			var spilled []string
			var once sync.Once
			fs := &firstSeen{first: map[string]int64{}}
			cfg.Stages = func(Env, formats.Mapping) ([]Stage, error) {
				return []Stage{fs, StageFunc{"after", func(_ context.Context, b *Batch) error {
					once.Do(func() { spilled, _ = filepath.Glob(filepath.Join(cfg.SpillDir, "*")) })
					if fail && b.Seq == 10 {
						return errors.New("boom")
					}
					return nil
				}}}, nil
			}
			res, err := Wash(context.Background(), cfg)
			if fail != (err != nil) {
				t.Fatalf("err = %v", err)
			}
			if len(spilled) != cfg.Workers {
				t.Errorf("%d spill files while the writing pass ran, want one per worker (%d)", len(spilled), cfg.Workers)
			}
			left, _ := os.ReadDir(cfg.SpillDir)
			if len(left) != 0 {
				t.Errorf("spill dir holds %d files after the wash", len(left))
			}
			if !fail && res.Scorecard.Counts.Rows != 2000 {
				t.Errorf("rows = %d, want 2000", res.Scorecard.Counts.Rows)
			}
		})
	}
}

func TestWashSpillDirMissing(t *testing.T) {
	in, key := writeInput(t, 100, 0)
	cfg, out := testConfig(t, in, key)
	cfg.SpillDir = filepath.Join(t.TempDir(), "missing")
	cfg.Stages = func(Env, formats.Mapping) ([]Stage, error) {
		return []Stage{&firstSeen{first: map[string]int64{}}}, nil
	}
	_, err := Wash(context.Background(), cfg)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want a spill error wrapping ErrNotExist", err)
	}
	if keys, _ := out.ListKeys(context.Background(), ""); len(keys) != 0 {
		t.Errorf("failed run left %v", keys)
	}
}

// A corrupt spill frame fails the writing pass with ErrCorruptSpill
// rather than producing wrong rows, packed or not.
func TestSpillDecodeCorrupt(t *testing.T) {
	rec := formats.Record{Line: 2}
	row := formats.Row{SourceLine: 2, FirstName: "Anna"}
	rows := formats.AppendRowBinary(nil, &rec, &row)
	packed := func(rows []byte) []byte {
		f := packFrame(nil, 0, 1, rows)
		return f[2:] // after seq 0 and the row count
	}
	tests := []struct {
		name   string
		frame  []byte
		n      int
		packed bool
		ok     bool
	}{
		{"good", rows, 1, false, true},
		{"good, packed", packed(rows), 1, true, true},
		{"truncated", rows[:len(rows)-2], 1, false, false},
		{"trailing bytes", append(append([]byte{}, rows...), 9), 1, false, false},
		{"one row too many", rows, 2, false, false},
		{"packed, truncated block", packed(rows)[:5], 1, true, false},
		{"packed rows truncated", packed(rows[:len(rows)-2]), 1, true, false},
		{"not packed but marked so", rows, 1, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBatch(4)
			b.frame, b.frameRows, b.packed = tc.frame, tc.n, tc.packed
			err := (spillDecode{}).Process(context.Background(), b)
			if tc.ok {
				if err != nil || len(b.Rows) != 1 || b.Rows[0].FirstName != "Anna" {
					t.Fatalf("err = %v rows %+v", err, b.Rows)
				}
				return
			}
			if !errors.Is(err, formats.ErrCorruptSpill) {
				t.Fatalf("err = %v, want ErrCorruptSpill", err)
			}
		})
	}
}

// Dedup's own spill files (above dedup.Config.SpillRows) go to SpillDir
// too and are gone when the wash ends, committed or cancelled in the
// reading pass.
func TestWashDedupSpillFilesRemoved(t *testing.T) {
	for _, cancelled := range []bool{false, true} {
		t.Run(map[bool]string{false: "committed", true: "cancelled"}[cancelled], func(t *testing.T) {
			in, key := writeInput(t, 20000, 0)
			cfg, _ := testConfig(t, in, key)
			cfg.Batch = 500
			cfg.SpillDir = t.TempDir()
			cfg.Setup = &Setup{Dedup: dedup.Config{SpillRows: 10}}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// After each observed batch: has dedup spilled (it does after
			// 10 rows)? Then, in the cancelled case, cancel: the reading
			// pass stops with dedup's files on disk.
			sawDedupSpill := false
			testHookObserved = func() {
				if n, _ := filepath.Glob(filepath.Join(cfg.SpillDir, "listwash-dedup-*")); len(n) > 0 {
					sawDedupSpill = true
					if cancelled {
						cancel()
					}
				}
			}
			defer func() { testHookObserved = nil }()
			_, err := Wash(ctx, cfg)
			if !cancelled && err != nil {
				t.Fatal(err)
			}
			if cancelled && !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if !sawDedupSpill {
				t.Error("dedup never spilled into SpillDir")
			}
			if left, _ := os.ReadDir(cfg.SpillDir); len(left) != 0 {
				t.Errorf("spill dir holds %d entries after the wash", len(left))
			}
		})
	}
}
