package registers

import (
	"context"
	"strings"
)

// Addresses is the current-address reference (SPAR-style), by personnummer.
type Addresses struct {
	byPNR  map[uint64]int32
	people []person
}

type person struct {
	street, postal, city string
	phones               []uint64
	protected            bool
	recordDate           day
}

func loadAddresses(ctx context.Context, src Source, files []file, opts *LoadOptions) (*loaded, error) {
	a := &Addresses{byPNR: map[uint64]int32{}}
	in := newInfo(AddressesName, files)
	cols := []string{"pnr", "street", "postal_code", "city", "phones", "protected", "record_date"}
	err := forTables(ctx, src, files, cols, func(t *table) error {
		p, ok := opts.NormalisePNR(t.get("pnr"))
		k, kok := pnrKey(p)
		if !ok || !kok {
			in.Skipped++
			return nil
		}
		rd, _ := parseDay(t.get("record_date"))
		pr := person{
			street: t.get("street"), postal: t.get("postal_code"), city: t.get("city"),
			protected: strings.EqualFold(t.get("protected"), "true"), recordDate: rd,
		}
		for ph := range strings.SplitSeq(t.get("phones"), "|") {
			if pk, ok := opts.PhoneKey(strings.TrimSpace(ph)); ok {
				pr.phones = append(pr.phones, pk)
			}
		}
		if i, dup := a.byPNR[k]; dup {
			// Several records of one person: the latest record wins, but a
			// protected identity stays protected.
			old := a.people[i]
			if pr.recordDate < old.recordDate {
				old.protected = old.protected || pr.protected
				a.people[i] = old
				return nil
			}
			pr.protected = pr.protected || old.protected
			a.people[i] = pr
			return nil
		}
		a.byPNR[k] = int32(len(a.people))
		a.people = append(a.people, pr)
		return nil
	})
	if err != nil {
		return nil, err
	}
	in.Entries, in.Bytes = len(a.people), int64(len(a.people))*120
	return &loaded{in, a}, nil
}
