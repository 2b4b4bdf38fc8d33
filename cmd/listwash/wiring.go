package main

import (
	"context"
	"fmt"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker"
	"github.com/listwash/listwash/worker/dedup"
)

// openInput opens the store holding the input file (a path or
// s3://bucket/key) and returns the key.
func openInput(ctx context.Context, in string) (infra.BucketReader, string, error) {
	storeURL, key := infra.SplitObjectURL(in)
	st, err := infra.OpenReader(ctx, storeURL, infra.S3ConfigFromEnv())
	if err != nil {
		return nil, "", fmt.Errorf("--in: %w", err)
	}
	if _, err := st.Size(ctx, key); err != nil {
		return nil, "", fmt.Errorf("--in %s: %w", in, err)
	}
	return st, key, nil
}

// openOutput opens (creating a local folder) an output store: a path or
// s3://bucket/prefix.
func openOutput(ctx context.Context, out string) (infra.Store, error) {
	st, err := infra.OpenStore(ctx, out, infra.S3ConfigFromEnv())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", out, err)
	}
	return st, nil
}

// openRegistersReader opens a registers folder for reading: a path or
// s3://bucket/prefix.
func openRegistersReader(ctx context.Context, dir string) (infra.BucketReader, error) {
	return infra.OpenReader(ctx, dir, infra.S3ConfigFromEnv())
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
	src, err := openRegistersReader(ctx, dir)
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
