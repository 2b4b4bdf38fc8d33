package worker

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/worker/dedup"
	"github.com/listwash/listwash/worker/registers"
	"github.com/listwash/listwash/worker/rules"
)

// Setup is what a wash uses besides its input: the loaded registers and
// each stage's options. One Setup serves many runs; a worker process loads
// each register version once and shares it.
type Setup struct {
	Registers *registers.Set // nil: no registers folder given
	// Postcodes is the postal code directory (registers/postcodes/); nil:
	// postal codes are checked for format only, and the scorecard says so.
	Postcodes        *rules.PostcodeDir
	PostcodesVersion string
	Suppress         SuppressOptions
	Dedup            dedup.Config // zero: defaults
	// Index is where the cross-delivery contact index lives; nil: rows are
	// deduplicated within the delivery only. IndexKey must be set with it.
	Index    dedup.IndexStore
	IndexKey dedup.IndexKey
}

// perRun is the per-run instance of a Setup's stages.
type perRun struct {
	spillDir string       // WashConfig.SpillDir, for dedup's spill files
	log      *slog.Logger // the run's logger; nil: discard
	dedup    *DedupStage
	index    *dedup.Index
	// commitIndex, when set, replaces index.Commit after the manifest: the
	// commit of a chunked run writes the keys its applied chunks found.
	commitIndex func(context.Context) error
}

// stages builds the stages that follow parse: the row stages (see
// rowStages), deduplication and the decision. Deduplication is a planner:
// the stages before it run in the reading pass, and the rest after the
// plan, over the rows spilled in between.
func (s *Setup) stages(ctx context.Context, env Env, _ formats.Mapping, rs *perRun) ([]Stage, error) {
	out, err := s.rowStages(env, rs)
	if err != nil {
		return nil, err
	}
	dc := DedupConfig{Match: s.Dedup, Logger: rs.log}
	if dc.Match.SpillDir == "" {
		dc.Match.SpillDir = rs.spillDir
	}
	if s.Index != nil {
		ix, err := dedup.OpenIndex(ctx, s.Index, s.IndexKey, dedup.RunInfo{
			Supplier: env.Supplier, RunID: env.RunID, Date: env.AsOf.Format("2006-01-02")})
		if err != nil {
			return nil, fmt.Errorf("open contact index: %w", err)
		}
		rs.index, dc.Index = ix, ix
	}
	rs.dedup = NewDedupStage(dc)
	return append(out, rs.dedup, NewDecideStage()), nil
}

// rowStages are the stages that judge each row on its own: normalisation,
// then suppression when registers are loaded (an address update changes
// the address that deduplication then matches on). A chunk of a chunked
// run runs these; its merge runs the rest.
func (s *Setup) rowStages(env Env, rs *perRun) ([]Stage, error) {
	out := []Stage{NewNormaliseStage(env, s.Postcodes)}
	if s.Registers != nil {
		sup, err := NewSuppressStage(s.Registers, env, s.Suppress)
		if err != nil {
			return nil, err
		}
		out = append(out, sup)
	}
	return out, nil
}

// registerInfo lists every known register, used or not, for the scorecard
// and the manifest.
func (s *Setup) registerInfo() []RegisterInfo {
	var out []RegisterInfo
	if s.Registers == nil {
		for _, n := range registers.Names {
			out = append(out, RegisterInfo{Name: n})
		}
	} else {
		for _, i := range s.Registers.Versions() {
			out = append(out, RegisterInfo{Name: i.Name, Used: i.Used, Version: i.Version, Entries: int64(i.Entries)})
		}
	}
	pc := RegisterInfo{Name: PostcodesRegister}
	if s.Postcodes != nil {
		pc.Used, pc.Version, pc.Entries = true, s.PostcodesVersion, int64(s.Postcodes.Len())
	}
	return append(out, pc)
}

// PostcodesRegister is the registers sub-folder of the postal code
// directory.
const PostcodesRegister = "postcodes"

// notes say in words what a reader of the scorecard must know about how
// the rows were judged (registers not used are listed in Registers).
func (s *Setup) notes() []string {
	if s.Postcodes == nil {
		return []string{"no postal code directory (registers/postcodes/): postal codes were checked for format only, not that they exist or match the city"}
	}
	return nil
}

// RegisterOptions are the normalisers registers are loaded with: the same
// rules as the delivery's, so "070-123 45 67" in NIX matches a row's
// "+46701234567". Ten-digit personnummer are read relative to today.
func RegisterOptions(defaultCountry string) registers.LoadOptions {
	if defaultCountry == "" {
		defaultCountry = "SE"
	}
	today := rules.DateOf(time.Now())
	return registers.LoadOptions{
		PhoneKey: func(raw string) (uint64, bool) {
			p := rules.ParsePhone(raw, defaultCountry)
			if !p.HasE164() {
				return 0, false
			}
			return rules.PhoneKey(p.E164())
		},
		NormalisePNR: func(raw string) (string, bool) {
			id := rules.ParseIdentity(raw, today)
			if !id.Valid {
				return "", false
			}
			return id.Number(), true
		},
		NormaliseEmail: func(raw string) (string, bool) {
			var a rules.Arena
			e := rules.CheckEmail(raw, &a)
			return strings.ToLower(e.Address), e.Valid
		},
	}
}

// LoadSetup loads a registers folder: the suppression registers and the
// postal code directory, at the same time. opts come from RegisterOptions,
// plus forget keys and a cache.
func LoadSetup(ctx context.Context, src registers.Source, opts registers.LoadOptions) (*Setup, error) {
	var set *registers.Set
	var g errgroup.Group
	g.Go(func() (err error) {
		set, err = registers.Load(ctx, src, opts)
		return err
	})
	dir, version, pcErr := loadPostcodes(ctx, src, opts)
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if pcErr != nil {
		return nil, pcErr
	}
	return &Setup{Registers: set, Postcodes: dir, PostcodesVersion: version}, nil
}

// loadPostcodes loads the newest postal code directory; nil if there is
// none.
func loadPostcodes(ctx context.Context, src registers.Source, opts registers.LoadOptions) (*rules.PostcodeDir, string, error) {
	rc, version, err := registers.OpenNewest(ctx, src, PostcodesRegister)
	if err != nil || rc == nil {
		return nil, "", err
	}
	defer rc.Close()
	// A worker process loads each directory version once, like the
	// registers: the cache key is the source and the version.
	id := opts.SourceID
	if u, ok := src.(interface{ URL() string }); ok && id == "" {
		id = u.URL()
	}
	ck := id + "\x00" + version
	if opts.Cache != nil && id != "" {
		if dir, ok := postcodeCache.Load(ck); ok {
			return dir.(*rules.PostcodeDir), version, nil
		}
	}
	dir, err := rules.LoadPostcodes(rc)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", PostcodesRegister, err)
	}
	if opts.Cache != nil && id != "" {
		postcodeCache.Store(ck, dir)
	}
	return dir, version, nil
}

// postcodeCache holds postal code directories by source and version for
// processes that share registers between runs (LoadOptions.Cache set).
// Versions are dated and immutable, so entries never go stale; a new
// version is a new key.
var postcodeCache sync.Map

// close releases what the run's stages hold outside the heap (dedup's
// spill files when the run ends before its plan).
func (rs *perRun) close() {
	if rs.dedup != nil {
		rs.dedup.Close()
	}
}

// dedupStats is the dedup part of the scorecard, nil if dedup did not run.
func (rs *perRun) dedupStats() *DedupStats {
	if rs.dedup == nil {
		return nil
	}
	st := rs.dedup.Stats()
	return &st
}

// afterCommit adds this run's contacts to the index: only a committed run
// counts as "seen before" for later deliveries.
// The run is committed by then, so a cancelled run context does not stop
// it, and a failed write is tried again a few times: a segment lost here
// is not written by any later attempt (they find the run committed).
func (rs *perRun) afterCommit(ctx context.Context) error {
	commit := rs.commitIndex
	if commit == nil && rs.index != nil {
		commit = rs.index.Commit
	}
	if commit == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), indexCommitTimeout)
	defer cancel()
	var err error
	for wait := indexCommitRetry; ; wait *= 2 {
		if err = commit(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// How long and how often a committed run tries to write its index segment.
var (
	indexCommitTimeout = 30 * time.Second
	indexCommitRetry   = 250 * time.Millisecond
)
