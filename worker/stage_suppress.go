package worker

import (
	"context"
	"fmt"
	"sync"

	"github.com/listwash/listwash/worker/registers"
)

// SuppressOptions configures the suppress stage. Zero values take the
// defaults of registers.Policy (consents count 3 months, customer
// relationships 12 months after the contract ended, NIX checks hold 2
// months from the register version).
type SuppressOptions struct {
	ConsentMonths  int
	CustomerMonths int
	NIXValidMonths int
}

// SuppressStage marks every row against the registers: NIX (per number,
// with consents and customer exemptions), Robinson, the internal
// do-not-call list, deceased, the forget list, and current addresses. It
// only marks (register marks, reason codes and Row.NIXBlockedMask); the
// decide stage turns the marks into callable/mailable. Marks of registers
// not used stay NULL. Parallel: safe for concurrent batches.
type SuppressStage struct {
	set     *registers.Set
	checker *registers.Checker
	scratch sync.Pool
}

// NewSuppressStage prepares the stage for one run: the company and as-of
// date come from env.
func NewSuppressStage(set *registers.Set, env Env, opts SuppressOptions) (*SuppressStage, error) {
	c, err := set.NewChecker(registers.Policy{
		Company: env.Company, AsOf: env.AsOf,
		ConsentMonths: opts.ConsentMonths, CustomerMonths: opts.CustomerMonths, NIXValidMonths: opts.NIXValidMonths,
	})
	if err != nil {
		return nil, fmt.Errorf("suppress stage: %w", err)
	}
	s := &SuppressStage{set: set, checker: c}
	s.scratch.New = func() any { return c.NewScratch() }
	return s, nil
}

// Name implements Stage.
func (s *SuppressStage) Name() string { return "suppress" }

// Process implements Stage.
func (s *SuppressStage) Process(ctx context.Context, b *Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sc := s.scratch.Get().(*registers.Scratch)
	s.checker.MarkBatch(b.Rows, sc)
	s.scratch.Put(sc)
	return nil
}

// Registers describes the registers used and not used, with versions and
// entry counts: for the scorecard and the manifest.
func (s *SuppressStage) Registers() []registers.Info { return s.set.Versions() }

// EarliestValidUntil is the earliest ValidUntil written to a row so far
// (YYYY-MM-DD), "" if none: for the manifest, after the run.
func (s *SuppressStage) EarliestValidUntil() string { return s.checker.EarliestValidUntil() }
