package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker"
	"github.com/listwash/listwash/worker/dedup"
)

// openInput opens the store holding the input file and returns the key.
func openInput(ctx context.Context, in string) (*infra.LocalStore, string, error) {
	if strings.HasPrefix(in, "s3://") {
		return nil, "", fmt.Errorf("--in %s: object storage is not wired yet", in)
	}
	st, err := infra.NewLocalReader(filepath.Dir(in))
	if err != nil {
		return nil, "", fmt.Errorf("--in: %w", err)
	}
	key := filepath.Base(in)
	if _, err := st.Size(ctx, key); err != nil {
		return nil, "", fmt.Errorf("--in %s: %w", in, err)
	}
	return st, key, nil
}

// openOutput opens (creating) the output store.
func openOutput(_ context.Context, out string) (*infra.LocalStore, error) {
	if strings.HasPrefix(out, "s3://") {
		return nil, fmt.Errorf("--out %s: object storage is not wired yet", out)
	}
	st, err := infra.NewLocalStore(out)
	if err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	return st, nil
}

// loadSetup loads the registers folder (if any) and opens the contact
// index (if any) into a wash setup.
func loadSetup(ctx context.Context, dir, index string) (*worker.Setup, error) {
	s := &worker.Setup{}
	if index != "" {
		key, err := dedup.IndexKeyFromEnv()
		if err != nil {
			return nil, fmt.Errorf("--index: %w", err)
		}
		st, err := openOutput(ctx, index)
		if err != nil {
			return nil, fmt.Errorf("--index: %w", err)
		}
		s.Index, s.IndexKey = st, key
	}
	if dir == "" {
		return s, nil
	}
	src, err := openRegisters(dir, false)
	if err != nil {
		return nil, fmt.Errorf("--registers: %w", err)
	}
	opts, err := registerLoadOptions()
	if err != nil {
		return nil, err
	}
	loaded, err := worker.LoadSetup(ctx, src, opts)
	if err != nil {
		return nil, fmt.Errorf("--registers %s: %w", dir, err)
	}
	loaded.Index, loaded.IndexKey = s.Index, s.IndexKey
	return loaded, nil
}
