package registers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Consents are NIX consents (medgivanden): number -> the companies named
// and when.
//
// Like Customers, it holds no pointers but the maps' and lists' own: the
// garbage collector does not scan its entries (hundreds of thousands for a
// large delivery's registers) at every cycle of a run.
type Consents struct {
	byPhone   groups // into list
	list      []consent
	companies companies
	phones    *KeySet // the keys of byPhone: most listed numbers have no consent, and a set rules them out cheaper than a search
	n         int
}

type consent struct {
	company uint32 // index in companies
	date    day
}

// of returns the entries of k.
func (c *Consents) of(k uint64) []consent {
	i, j := c.byPhone.span(k)
	return c.list[i:j]
}

// companies interns company names (trimmed, lower-cased) as indexes.
type companies struct {
	ids     map[string]uint32
	names   []string
	written map[string]uint32 // ids by the names as entries write them (see idOf)
}

func (cs *companies) id(name string) uint32 {
	if id, ok := cs.ids[name]; ok {
		return id
	}
	if cs.ids == nil {
		cs.ids = map[string]uint32{}
	}
	id := uint32(len(cs.names))
	cs.ids[name], cs.names = id, append(cs.names, name)
	return id
}

// idOf is the id of the company a register entry names, as written
// (untrimmed, any case); noCompany if it names none. Entries name a few
// companies many times: the written forms are remembered, so most entries
// cost one map lookup and no allocation.
func (cs *companies) idOf(written string) uint32 {
	if id, ok := cs.written[written]; ok {
		return id
	}
	id := noCompany
	if name := foldCompany(written); name != "" {
		id = cs.id(name)
	}
	if len(cs.written) < 1<<12 {
		if cs.written == nil {
			cs.written = map[string]uint32{}
		}
		cs.written[strings.Clone(written)] = id
	}
	return id
}

// find is the id of name, or noCompany if no entry names it.
func (cs *companies) find(name string) uint32 {
	if id, ok := cs.ids[name]; ok {
		return id
	}
	return noCompany
}

const noCompany = ^uint32(0)

// grouped collects entries by key, each key's entries in the order they
// were added, for groups.
type grouped[V any] struct {
	keys []uint64
	vals []V
}

func (g *grouped[V]) add(k uint64, v V) { g.keys, g.vals = append(g.keys, k), append(g.vals, v) }

// groups finds a key's entries in a list. It is sorted arrays, not a map:
// built by one sort instead of a map access per entry, which for half a
// million consents took most of their load time, and with no pointers for
// the garbage collector to scan. A lookup is a binary search; lookups are
// rare, since the KeySet of the keys rules out most numbers first.
type groups struct {
	keys   []uint64 // ascending, unique
	starts []uint32 // key i's entries are list[starts[i]:starts[i+1]]
}

// span is where k's entries are in the list: empty if none.
func (g *groups) span(k uint64) (start, end uint32) {
	if i, ok := slices.BinarySearch(g.keys, k); ok {
		return g.starts[i], g.starts[i+1]
	}
	return 0, 0
}

// bytes is the memory g holds.
func (g *groups) bytes() int64 { return int64(len(g.keys))*8 + int64(len(g.starts))*4 }

// build returns the groups, the entries ordered by key, and the set of the
// keys.
func (g *grouped[V]) build() (groups, []V, *KeySet) {
	type entry struct {
		k uint64
		i uint32 // order added: ties keep it
	}
	es := make([]entry, len(g.keys))
	for i, k := range g.keys {
		es[i] = entry{k, uint32(i)}
	}
	slices.SortFunc(es, func(a, b entry) int {
		if c := cmp.Compare(a.k, b.k); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	var out groups
	list := make([]V, len(es))
	for j, e := range es {
		if j == 0 || e.k != es[j-1].k {
			out.keys = append(out.keys, e.k)
			out.starts = append(out.starts, uint32(j))
		}
		list[j] = g.vals[e.i]
	}
	out.starts = append(out.starts, uint32(len(es)))
	return out, list, newKeySet(out.keys)
}

// Customers are customer relationships lifting NIX, by number or by
// personnummer.
type Customers struct {
	byPhone, byPNR     groups // into phoneList, pnrList
	phoneList, pnrList []customer
	companies          companies
	phones             *KeySet // the keys of byPhone
	pnrs               *KeySet // the keys of byPNR
	n                  int
}

type customer struct {
	company uint32 // index in companies
	end     day    // ongoing: ongoing
}

func (c *Customers) ofPhone(k uint64) []customer {
	i, j := c.byPhone.span(k)
	return c.phoneList[i:j]
}

func (c *Customers) ofPNR(k uint64) []customer {
	i, j := c.byPNR.span(k)
	return c.pnrList[i:j]
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
	c := &Consents{}
	var g grouped[consent]
	in := newInfo(ConsentsName, files)
	err := forTables(ctx, src, files, []string{"phone", "company", "consent_date"}, func(t *table) error {
		k, ok := opts.PhoneKey(t.get("phone"))
		d, dok := parseDay(t.get("consent_date"))
		co := c.companies.idOf(t.get("company"))
		if !ok || !dok || co == noCompany {
			in.Skipped++ // a consent that cannot be read lifts nothing
			return nil
		}
		g.add(k, consent{co, d})
		c.n++
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.byPhone, c.list, c.phones = g.build()
	in.Entries, in.Bytes = c.n, int64(c.n)*8+c.byPhone.bytes()+c.phones.Bytes()
	return &loaded{in, c}, nil
}

// loadCustomers reads phone_or_pnr,company,contract_end. A value written
// with "+" or "00" is a phone number; otherwise a value that is a valid
// personnummer is taken as one, else as a phone number.
func loadCustomers(ctx context.Context, src Source, files []file, opts *LoadOptions) (*loaded, error) {
	c := &Customers{}
	var byPhone, byPNR grouped[customer]
	in := newInfo(CustomersName, files)
	err := forTables(ctx, src, files, []string{"phone_or_pnr", "company", "contract_end"}, func(t *table) error {
		v, co, end := t.get("phone_or_pnr"), c.companies.idOf(t.get("company")), ongoing
		if s := t.get("contract_end"); s != "" {
			d, ok := parseDay(s)
			if !ok {
				in.Skipped++
				return nil
			}
			end = d
		}
		if co == noCompany {
			in.Skipped++
			return nil
		}
		phoneOnly := strings.HasPrefix(v, "+") || strings.HasPrefix(v, "00")
		if p, ok := opts.NormalisePNR(v); ok && !phoneOnly {
			if k, ok := pnrKey(p); ok {
				byPNR.add(k, customer{co, end})
				c.n++
				return nil
			}
		}
		if k, ok := opts.PhoneKey(v); ok {
			byPhone.add(k, customer{co, end})
			c.n++
			return nil
		}
		in.Skipped++
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.byPhone, c.phoneList, c.phones = byPhone.build()
	c.byPNR, c.pnrList, c.pnrs = byPNR.build()
	in.Entries, in.Bytes = c.n, int64(c.n)*8+c.byPhone.bytes()+c.byPNR.bytes()+c.phones.Bytes()+c.pnrs.Bytes()
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
