package worker

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker/dedup"
)

// flakyIndex fails the first failures segment writes.
type flakyIndex struct {
	*infra.LocalStore
	failures int32
	calls    atomic.Int32
}

func (f *flakyIndex) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	if f.calls.Add(1) <= f.failures {
		return errors.New("store unavailable")
	}
	return f.LocalStore.PutIfAbsent(ctx, key, data)
}

// A committed run writes its index segment even when the first writes
// fail, and even when the run's context is cancelled once it committed.
func TestWashIndexCommitRetried(t *testing.T) {
	indexCommitRetry = time.Millisecond
	defer func() { indexCommitRetry = 250 * time.Millisecond }()
	st, err := infra.NewLocalStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ix := &flakyIndex{LocalStore: st, failures: 2}
	in, key := writeInput(t, 200, 0)
	cfg, _ := testConfig(t, in, key)
	cfg.Setup = &Setup{Index: ix, IndexKey: dedup.IndexKey{ID: "test", Secret: []byte("test secret, 16 bytes or more")}}
	if _, err := Wash(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if n := ix.calls.Load(); n != 3 {
		t.Errorf("%d segment writes, want 3 (two failures, then success)", n)
	}
	keys, err := st.ListKeys(context.Background(), dedup.IndexPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !strings.HasSuffix(keys[0], "/run1.lwix") {
		t.Errorf("index objects %v, want the run's one segment", keys)
	}
}
