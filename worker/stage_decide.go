package worker

import (
	"context"

	"github.com/listwash/listwash/formats"
	"github.com/listwash/listwash/worker/registers"
)

// DecideStage turns the marks into the decisions, after deduplication:
//
//   - Callable: the row has a valid number not blocked by NIX, and is not
//     Robinson, internal do-not-call, deceased, erased, a duplicate or
//     rejected.
//   - CallableNumber: the valid, not blocked mobile if any, else the valid,
//     not blocked landline, else the first valid, not blocked further number.
//   - Mailable: a valid address (PostalValid and a street), and not deceased,
//     erased, protected, a duplicate or rejected.
//
// A register that was not used (NULL mark) counts as "nothing matched"; the
// scorecard says the check was not run. Parallel.
type DecideStage struct{}

// NewDecideStage returns the decide stage.
func NewDecideStage() DecideStage { return DecideStage{} }

// Name implements Stage.
func (DecideStage) Name() string { return "decide" }

// Process implements Stage.
func (DecideStage) Process(ctx context.Context, b *Batch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range b.Rows {
		Decide(&b.Rows[i])
	}
	return nil
}

func isTrue(p *bool) bool { return p != nil && *p }

// Decide sets Callable, CallableNumber and Mailable of one row.
func Decide(r *formats.Row) {
	r.Callable, r.CallableNumber, r.Mailable = false, "", false
	if r.Rejected || r.DuplicateOf != 0 || isTrue(r.Deceased) || isTrue(r.Erased) {
		return
	}
	r.Mailable = r.PostalValid && r.Street != "" && !isTrue(r.Protected)
	if isTrue(r.Robinson) || isTrue(r.InternalDNC) {
		return
	}
	m := r.NIXBlockedMask
	switch {
	case r.MobileE164 != "" && m&registers.MaskMobile == 0:
		r.CallableNumber = r.MobileE164
	case r.PhoneE164 != "" && m&registers.MaskPhone == 0:
		r.CallableNumber = r.PhoneE164
	default:
		for i, p := range r.Phones {
			if p != "" && m&registers.PhoneBit(i) == 0 {
				r.CallableNumber = p
				break
			}
		}
	}
	r.Callable = r.CallableNumber != ""
}
