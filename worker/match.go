package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/listwash/listwash/worker/dedup"
)

// Partitioned matching of a chunked run (plan.MatchParts > 0): each chunk
// also splits its rows' dedup state by blocking key into one file per
// partition; MatchPartition (wash:match, one per partition, on any
// worker) compares the blocks of one partition, from every chunk's file
// for it, and writes the matched pairs to dedup/match/<part>.bin; the
// merge then links the pairs of every partition instead of comparing.
// The comparisons, which grow faster than the rows, so spread over the
// workers; the plan is the one the merge would have made alone.

const matchDir = DedupDir + "/match"

func matchesKey(part int) string { return matchDir + "/" + chunkName(part) + ".bin" }

// partitioned reports whether every chunk split its rows for the plan's
// partitions. A chunk washed by older code (a rolling upgrade) has no
// partition files: then the merge compares every row itself.
func partitioned(plan *ChunkPlan, done []ChunkDone) bool {
	if plan.MatchParts < 1 {
		return false
	}
	for _, d := range done {
		if len(d.Parts) != plan.MatchParts {
			return false
		}
	}
	return true
}

// MatchInfo describes what MatchPartition did.
type MatchInfo struct {
	Part        int
	Rows        int   // partition rows read (a row is in the partition of each of its keys)
	Pairs       int   // matched pairs written
	Comparisons int64 // pairs scored
	Existing    bool  // an earlier attempt had written the matches
}

// MatchPartition compares the rows of dedup partition part of a chunked
// run and writes the matched pairs (PutIfAbsent: what it writes depends
// on the chunks only, so any attempt's is the same). If the chunks did
// not split their rows (see partitioned), it writes an empty set, only to
// say the partition is done.
func MatchPartition(ctx context.Context, cfg WashConfig, plan *ChunkPlan, part int) (*MatchInfo, error) {
	if part < 0 || part >= plan.MatchParts {
		return nil, fmt.Errorf("match: partition %d of %d", part, plan.MatchParts)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	info := &MatchInfo{Part: part}
	key := matchesKey(part)
	if _, err := cfg.Out.Size(ctx, key); err == nil {
		info.Existing = true
		return info, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("match: %w", err)
	}
	done, complete, err := ChunksDone(ctx, cfg.Out, plan)
	if err != nil {
		return nil, err
	}
	if !complete {
		return nil, fmt.Errorf("match: %d of %d chunks done: %w", len(done), len(plan.Chunks), ErrChunksMissing)
	}
	started := time.Now()
	var dcfg dedup.Config
	if cfg.Setup != nil {
		dcfg = cfg.Setup.Dedup
	}
	m, err := dedup.NewMatcher(dcfg, part, plan.MatchParts)
	if err != nil {
		return nil, err
	}
	matches := &dedup.Matches{}
	if partitioned(plan, done) {
		for _, c := range done {
			n, err := addPartition(ctx, cfg.Out, c.Parts[part], m)
			if err != nil {
				return nil, fmt.Errorf("match: chunk %d: %w", c.Index, err)
			}
			info.Rows += n
		}
		if matches, err = m.Match(ctx, cfg.Workers); err != nil {
			return nil, err
		}
	} else {
		log.Info("a chunk did not split its rows by partition (older code): the merge compares")
	}
	data, err := matches.MarshalBinary()
	if err != nil {
		return nil, err
	}
	if err := cfg.Out.PutIfAbsent(ctx, key, data); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("write matches: %w", err)
	}
	info.Pairs, info.Comparisons = matches.Pairs(), matches.Comparisons
	log.Info("partition matched", "part", part, "rows", info.Rows, "pairs", info.Pairs,
		"comparisons", info.Comparisons, "seconds", time.Since(started).Seconds())
	return info, nil
}

func addPartition(ctx context.Context, src Source, key string, m *dedup.Matcher) (int, error) {
	rc, err := src.Open(ctx, key)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, spillBufSize)
	magic := make([]byte, len(dedup.PartMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != dedup.PartMagic {
		return 0, fmt.Errorf("not a dedup partition file of this version (%s): %w", key, dedup.ErrCorruptEncoded)
	}
	return m.Add(br)
}

// MatchesDone counts the partitions of a run whose matches are written;
// complete reports whether every one is.
func MatchesDone(ctx context.Context, out Sink, plan *ChunkPlan) (done int, complete bool, err error) {
	keys, err := out.ListKeys(ctx, matchDir+"/")
	if err != nil {
		return 0, false, fmt.Errorf("list matches: %w", err)
	}
	have := map[string]bool{}
	for _, k := range keys {
		if strings.HasPrefix(k, matchDir+"/") {
			have[k] = true
		}
	}
	for p := range plan.MatchParts {
		if have[matchesKey(p)] {
			done++
		}
	}
	return done, done == plan.MatchParts, nil
}

// addMatches gives d the matched pairs of every partition of the run.
func addMatches(ctx context.Context, src Source, plan *ChunkPlan, d *dedup.Deduper) error {
	for p := range plan.MatchParts {
		data, err := readSmall(ctx, src, matchesKey(p))
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("merge: partition %d not matched yet: %w", p, ErrChunksMissing)
		}
		if err != nil {
			return fmt.Errorf("merge: read matches of partition %d: %w", p, err)
		}
		var m dedup.Matches
		if err := m.UnmarshalBinary(data); err != nil {
			return fmt.Errorf("merge: partition %d: %w", p, err)
		}
		if err := d.AddMatches(&m); err != nil {
			return err
		}
	}
	return nil
}

// readSmall reads a whole object of at most 1 GiB.
func readSmall(ctx context.Context, src Source, key string) ([]byte, error) {
	rc, err := src.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 1<<30+1))
	if err == nil && len(data) > 1<<30 {
		err = errors.New("larger than 1 GiB")
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return data, nil
}
