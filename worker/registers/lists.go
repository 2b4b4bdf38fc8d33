package registers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Consents are NIX consents (medgivanden): number -> the companies named
// and when.
type Consents struct {
	byPhone map[uint64][]consent
	phones  *KeySet // the keys of byPhone: most listed numbers have no consent, and a set rules them out cheaper than the map
	n       int
}

type consent struct {
	company string // trimmed, lower-cased
	date    day
}

// Customers are customer relationships lifting NIX, by number or by
// personnummer.
type Customers struct {
	byPhone map[uint64][]customer
	byPNR   map[uint64][]customer
	phones  *KeySet // the keys of byPhone
	pnrs    *KeySet // the keys of byPNR
	n       int
}

type customer struct {
	company string // trimmed, lower-cased
	end     day    // ongoing: ongoing
}

const ongoing day = 1<<31 - 1

// TypedList is a list of typed values: Robinson (phone, email, address) and
// the internal do-not-call list (phone, email, pnr).
type TypedList struct {
	phones, emails, pnrs, addresses *KeySet
	// addrPostals holds the postal codes of the address entries: a row
	// whose postal code is not among them cannot match, and its address is
	// not folded (most rows, as most lists hold few addresses).
	addrPostals *KeySet
}

// Deceased holds deceased persons by personnummer and by folded
// name+address.
type Deceased struct {
	pnrs, nameAddr *KeySet
}

func foldCompany(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func forTables(ctx context.Context, src Source, files []file, required []string, fn func(t *table) error) error {
	for _, f := range files {
		t, c, err := openTable(ctx, src, f.Key, required...)
		if err != nil {
			return err
		}
		for {
			err := t.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err == nil {
				err = fn(t)
			}
			if err != nil {
				c.Close()
				return err
			}
		}
		if err := c.Close(); err != nil {
			return fmt.Errorf("read %s: %w", f.Key, err)
		}
	}
	return nil
}

func loadConsents(ctx context.Context, src Source, files []file, opts *LoadOptions) (*loaded, error) {
	c := &Consents{byPhone: map[uint64][]consent{}}
	in := newInfo(ConsentsName, files)
	err := forTables(ctx, src, files, []string{"phone", "company", "consent_date"}, func(t *table) error {
		k, ok := opts.PhoneKey(t.get("phone"))
		d, dok := parseDay(t.get("consent_date"))
		co := foldCompany(t.get("company"))
		if !ok || !dok || co == "" {
			in.Skipped++ // a consent that cannot be read lifts nothing
			return nil
		}
		c.byPhone[k] = append(c.byPhone[k], consent{co, d})
		c.n++
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.phones = keysOf(c.byPhone)
	in.Entries, in.Bytes = c.n, int64(c.n)*64+c.phones.Bytes()
	return &loaded{in, c}, nil
}

// keysOf is the set of a map's keys.
func keysOf[V any](m map[uint64]V) *KeySet {
	keys := make([]uint64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return newKeySet(keys)
}

// loadCustomers reads phone_or_pnr,company,contract_end. A value written
// with "+" or "00" is a phone number; otherwise a value that is a valid
// personnummer is taken as one, else as a phone number.
func loadCustomers(ctx context.Context, src Source, files []file, opts *LoadOptions) (*loaded, error) {
	c := &Customers{byPhone: map[uint64][]customer{}, byPNR: map[uint64][]customer{}}
	in := newInfo(CustomersName, files)
	err := forTables(ctx, src, files, []string{"phone_or_pnr", "company", "contract_end"}, func(t *table) error {
		v, co, end := t.get("phone_or_pnr"), foldCompany(t.get("company")), ongoing
		if s := t.get("contract_end"); s != "" {
			d, ok := parseDay(s)
			if !ok {
				in.Skipped++
				return nil
			}
			end = d
		}
		if co == "" {
			in.Skipped++
			return nil
		}
		phoneOnly := strings.HasPrefix(v, "+") || strings.HasPrefix(v, "00")
		if p, ok := opts.NormalisePNR(v); ok && !phoneOnly {
			if k, ok := pnrKey(p); ok {
				c.byPNR[k] = append(c.byPNR[k], customer{co, end})
				c.n++
				return nil
			}
		}
		if k, ok := opts.PhoneKey(v); ok {
			c.byPhone[k] = append(c.byPhone[k], customer{co, end})
			c.n++
			return nil
		}
		in.Skipped++
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.phones, c.pnrs = keysOf(c.byPhone), keysOf(c.byPNR)
	in.Entries, in.Bytes = c.n, int64(c.n)*64+c.phones.Bytes()+c.pnrs.Bytes()
	return &loaded{in, c}, nil
}

// loadTyped reads a type,value list; allowed names the types it may hold.
func loadTyped(ctx context.Context, src Source, files []file, opts *LoadOptions, name string, allowed ...string) (*loaded, error) {
	var phones, emails, pnrs, addrs, postals []uint64
	in := newInfo(name, files)
	var buf []byte
	err := forTables(ctx, src, files, []string{"type", "value"}, func(t *table) error {
		typ, v := strings.ToLower(t.get("type")), t.get("value")
		ok := false
		for _, a := range allowed {
			ok = ok || a == typ
		}
		if !ok {
			return fmt.Errorf("%s:%d: unknown type (want %s): %w", t.key, t.line(), strings.Join(allowed, ", "), ErrFormat)
		}
		switch typ {
		case "phone":
			if k, ok := opts.PhoneKey(v); ok {
				phones = append(phones, k)
				return nil
			}
		case "email":
			if e, ok := opts.NormaliseEmail(v); ok {
				emails = append(emails, hashString(e))
				return nil
			}
		case "pnr":
			if p, ok := opts.NormalisePNR(v); ok {
				if k, ok := pnrKey(p); ok {
					pnrs = append(pnrs, k)
					return nil
				}
			}
		case "address":
			if street, postal, ok := strings.Cut(v, "|"); ok && strings.TrimSpace(street) != "" {
				buf = appendAddress(buf[:0], street, postal)
				addrs = append(addrs, hashBytes(buf))
				postals = append(postals, postalKey(postal))
				return nil
			}
		}
		in.Skipped++
		return nil
	})
	if err != nil {
		return nil, err
	}
	l := &TypedList{newKeySet(phones), newKeySet(emails), newKeySet(pnrs), newKeySet(addrs), newKeySet(postals)}
	in.Entries = l.phones.Len() + l.emails.Len() + l.pnrs.Len() + l.addresses.Len()
	in.Bytes = l.phones.Bytes() + l.emails.Bytes() + l.pnrs.Bytes() + l.addresses.Bytes()
	return &loaded{in, l}, nil
}

func loadRobinson(ctx context.Context, src Source, files []file, opts *LoadOptions) (*loaded, error) {
	return loadTyped(ctx, src, files, opts, RobinsonName, "phone", "email", "address")
}

func loadDNC(ctx context.Context, src Source, files []file, opts *LoadOptions) (*loaded, error) {
	return loadTyped(ctx, src, files, opts, DNCName, "phone", "email", "pnr")
}

// loadDeceased reads files that are either one personnummer per line or
// CSV with a header naming pnr (and optionally first_name, last_name,
// street, postal_code for the name+address fallback).
func loadDeceased(ctx context.Context, src Source, files []file, opts *LoadOptions) (*loaded, error) {
	var pnrs, names []uint64
	in := newInfo(DeceasedName, files)
	addPNR := func(v string) bool {
		if p, ok := opts.NormalisePNR(v); ok {
			if k, ok := pnrKey(p); ok {
				pnrs = append(pnrs, k)
				return true
			}
		}
		return false
	}
	var buf []byte
	for _, f := range files {
		csvFile, err := hasHeader(ctx, src, f.Key, "pnr")
		if err != nil {
			return nil, err
		}
		if !csvFile {
			err := eachLine(ctx, src, f.Key, func(line []byte, _ int) error {
				if !addPNR(string(line)) {
					in.Skipped++
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			continue
		}
		err = forTables(ctx, src, []file{f}, []string{"pnr"}, func(t *table) error {
			used := false
			if v := t.get("pnr"); v != "" {
				used = addPNR(v)
			}
			first, last, street, postal := t.get("first_name"), t.get("last_name"), t.get("street"), t.get("postal_code")
			if (first != "" || last != "") && street != "" && postal != "" {
				buf = appendNameAddress(buf[:0], first, last, street, postal)
				names = append(names, hashBytes(buf))
				used = true
			}
			if !used {
				in.Skipped++
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	d := &Deceased{newKeySet(pnrs), newKeySet(names)}
	in.Entries = d.pnrs.Len() + d.nameAddr.Len()
	in.Bytes = d.pnrs.Bytes() + d.nameAddr.Bytes()
	return &loaded{in, d}, nil
}

// hasHeader reports whether the first data line of a file is a header
// whose first column is col.
func hasHeader(ctx context.Context, src Source, key, col string) (bool, error) {
	c, br, err := openText(ctx, src, key)
	if err != nil {
		return false, err
	}
	defer c.Close()
	for {
		line, err := br.ReadString('\n')
		s := strings.ToLower(strings.TrimSpace(line))
		if s != "" && s[0] != '#' {
			first, _, _ := strings.Cut(strings.ReplaceAll(s, ";", ","), ",")
			return strings.TrimSpace(first) == col, nil
		}
		if err != nil {
			return false, nil
		}
	}
}
