package registers

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/listwash/listwash/formats"
)

// Reason codes the Checker puts on rows.
const (
	ReasonNIXBlocked             = "NIX_BLOCKED"               // a valid number of the row is on NIX and nothing lifts it
	ReasonNIXConsent             = "NIX_CONSENT"               // a listed number is lifted by a consent naming the company
	ReasonNIXCustomerExempt      = "NIX_CUSTOMER_EXEMPT"       // a listed number is lifted by a customer relationship
	ReasonNIXConsentExpired      = "NIX_CONSENT_EXPIRED"       // information: a consent for the company, older than 3 months
	ReasonNIXConsentOtherCompany = "NIX_CONSENT_OTHER_COMPANY" // information: a consent naming another company
	ReasonNIXConsentFuture       = "NIX_CONSENT_FUTURE"        // information: a consent dated after the as-of date
	ReasonRobinson               = "ROBINSON"
	ReasonInternalDNC            = "INTERNAL_DNC"
	ReasonDeceased               = "DECEASED"
	ReasonErased                 = "ERASED"
	ReasonAddressUpdated         = "ADDRESS_UPDATED"
	ReasonProtectedIdentity      = "PROTECTED_IDENTITY"
	ReasonPhoneOwnerMismatch     = "PHONE_OWNER_MISMATCH"
)

// NIX blocked-mask bits (formats.Row.NIXBlockedMask).
const (
	MaskPhone      uint8 = 1 << 0 // PhoneE164
	MaskMobile     uint8 = 1 << 1 // MobileE164
	MaskPhonesBase       = 2      // Phones[i] is bit MaskPhonesBase+i for i < MaskPhonesMax
	MaskPhonesMax        = 5
	MaskPhonesRest uint8 = 1 << 7 // any of Phones[MaskPhonesMax:] blocked: treat all of them as blocked
)

// PhoneBit is the NIXBlockedMask bit of Phones[i].
func PhoneBit(i int) uint8 {
	if i < MaskPhonesMax {
		return 1 << (MaskPhonesBase + i)
	}
	return MaskPhonesRest
}

// Policy is what the rules are judged by in one run.
type Policy struct {
	Company string    // the company the list is washed for; consents and customers must name it
	AsOf    time.Time // the date the rules are judged at
	// ConsentMonths a consent counts after its date. Default 3.
	ConsentMonths int
	// CustomerMonths a customer relationship lifts NIX after the contract
	// ended. Default 12.
	CustomerMonths int
	// NIXValidMonths a number checked against NIX may be called, from the
	// register version's date. Default 2.
	NIXValidMonths int
}

// Checker marks rows against a Set under a Policy. Safe for concurrent
// use; each goroutine needs its own Scratch.
//
// ValidUntil of a row is the earliest date until which every callable
// number of the row may be called: the NIX version plus 2 months for a
// number not listed; for a listed number lifted by a consent, the earlier of
// consent date plus 3 months and version plus 2 months; lifted by a customer
// relationship, the earlier of contract end plus 12 months and version plus 2
// months. It is NULL when NIX was not used or no number of the row may be
// called.
type Checker struct {
	set                           *Set
	company                       string
	consentCo, customerCo         uint32 // the company's id among consents' and customers' (noCompany: none)
	asOf                          day
	consentMonths, customerMonths int
	nixVersion                    *string
	nixValid                      day
	dates                         map[day]*string // interned ValidUntil values
	nixValidText                  *string         // dates[nixValid]: the ValidUntil of most rows
	earliestLifted                atomic.Int64    // earliest lifted ValidUntil written
	sawFree                       atomic.Bool     // some row got nixValid
	robinson, dnc                 *TypedList
	hasRobinsonAddr, needNameFold bool
	emailLists                    bool // Robinson or the internal list holds e-mail addresses
	// The sets MarkBatch touches ahead, by the keys they are looked up by.
	touchPhones, touchPNRs, touchEmails []*KeySet
}

// NewChecker prepares the per-run state: interned dates and version.
func (s *Set) NewChecker(p Policy) (*Checker, error) {
	if p.AsOf.IsZero() {
		return nil, fmt.Errorf("as-of date is required: %w", ErrConfig)
	}
	c := &Checker{
		set: s, company: foldCompany(p.Company), asOf: dayOf(p.AsOf),
		consentMonths: p.ConsentMonths, customerMonths: p.CustomerMonths,
		dates: map[day]*string{}, robinson: s.Robinson, dnc: s.DNC,
	}
	if c.consentMonths == 0 {
		c.consentMonths = 3
	}
	if c.customerMonths == 0 {
		c.customerMonths = 12
	}
	valid := p.NIXValidMonths
	if valid == 0 {
		valid = NIXValidMonths
	}
	c.earliestLifted.Store(int64(ongoing))
	c.consentCo, c.customerCo = noCompany, noCompany
	if s.Consents != nil {
		c.consentCo = s.Consents.companies.find(c.company)
	}
	if s.Customers != nil {
		c.customerCo = s.Customers.companies.find(c.company)
	}
	if in := s.Info(NIXName); in.Used {
		v, _ := parseDay(in.Version)
		vs := v.String()
		c.nixVersion = &vs
		c.nixValid = v.addMonths(valid)
		c.intern(c.nixValid)
		c.nixValidText = c.dates[c.nixValid]
		if s.Consents != nil {
			for _, x := range s.Consents.list {
				if x.company == c.consentCo {
					c.intern(min(x.date.addMonths(c.consentMonths), c.nixValid))
				}
			}
		}
		if s.Customers != nil {
			for _, l := range [][]customer{s.Customers.phoneList, s.Customers.pnrList} {
				for _, x := range l {
					if x.company == c.customerCo && x.end != ongoing {
						c.intern(min(x.end.addMonths(c.customerMonths), c.nixValid))
					}
				}
			}
		}
	}
	c.hasRobinsonAddr = s.Robinson != nil && s.Robinson.addresses.Len() > 0
	c.needNameFold = s.Deceased != nil && s.Deceased.nameAddr.Len() > 0
	c.emailLists = s.Robinson != nil && s.Robinson.emails.Len() > 0 || s.DNC != nil && s.DNC.emails.Len() > 0
	large := func(dst []*KeySet, sets ...*KeySet) []*KeySet {
		for _, ks := range sets {
			if ks.Bytes() >= touchMin {
				dst = append(dst, ks)
			}
		}
		return dst
	}
	c.touchPhones = large(nil, s.NIX)
	if s.Robinson != nil {
		c.touchPhones = large(c.touchPhones, s.Robinson.phones)
		c.touchEmails = large(c.touchEmails, s.Robinson.emails)
	}
	if s.DNC != nil {
		c.touchPhones = large(c.touchPhones, s.DNC.phones)
		c.touchEmails = large(c.touchEmails, s.DNC.emails)
		c.touchPNRs = large(c.touchPNRs, s.DNC.pnrs)
	}
	if s.Deceased != nil {
		c.touchPNRs = large(c.touchPNRs, s.Deceased.pnrs)
	}
	if s.NIX.Len() > 0 && s.Consents != nil {
		c.touchPhones = large(c.touchPhones, s.Consents.phones)
	}
	return c, nil
}

func (c *Checker) intern(d day) {
	if _, ok := c.dates[d]; !ok {
		s := d.String()
		c.dates[d] = &s
	}
}

// EarliestValidUntil is the earliest ValidUntil this checker has written
// ("" if none): for the manifest.
func (c *Checker) EarliestValidUntil() string {
	e := day(c.earliestLifted.Load())
	if c.sawFree.Load() && c.nixValid < e {
		e = c.nixValid
	}
	if e == ongoing {
		return ""
	}
	return e.String()
}

// Scratch is per-goroutine working memory for Mark.
type Scratch struct {
	forget *forgetMatcher
	a, b   []byte
	// The keys of a block of rows: row i's numbers are keys[off[i]:off[i+1]]
	// (with their NIXBlockedMask bits), its personnummer pnrs[i] and its
	// e-mail hash emails[i] (0: none).
	keys         []uint64
	bits         []uint8
	off          []int32
	pnrs, emails []uint64
	sink         uint64 // keeps the touch pass's loads
}

// markBlock is how many rows MarkBatch keys and touches at a time: the
// buckets touched stay in the caches until the rows are marked.
const markBlock = 256

// touchMin is the size from which a KeySet is touched ahead:
// smaller sets stay in the caches anyway.
const touchMin = 256 << 10

// MarkBatch marks rows as Mark does, a block at a time: first every key
// of the block's rows is computed (numbers, personnummer, e-mail) and the
// buckets they hash to in the large sets (NIX; consents, do-not-call,
// deceased and Robinson when large) are loaded in tight loops, so that their cache
// misses overlap instead of stalling one lookup at a time; then the rows
// are marked.
func (c *Checker) MarkBatch(rows []formats.Row, sc *Scratch) {
	for len(rows) > 0 {
		n := min(len(rows), markBlock)
		c.markBlock(rows[:n], sc)
		rows = rows[n:]
	}
}

func (c *Checker) markBlock(rows []formats.Row, sc *Scratch) {
	sc.keys, sc.bits, sc.off = sc.keys[:0], sc.bits[:0], sc.off[:0]
	sc.pnrs, sc.emails = sc.pnrs[:0], sc.emails[:0]
	for i := range rows {
		r := &rows[i]
		sc.off = append(sc.off, int32(len(sc.keys)))
		var pnr, email uint64
		if !r.Rejected {
			sc.appendPhoneKeys(r)
			pnr, _ = rowPNR(r)
			email = c.emailKey(r)
		}
		sc.pnrs, sc.emails = append(sc.pnrs, pnr), append(sc.emails, email)
	}
	sc.off = append(sc.off, int32(len(sc.keys)))
	for _, ks := range c.touchPhones {
		sc.sink += ks.touch(sc.keys)
	}
	for _, ks := range c.touchPNRs {
		sc.sink += ks.touch(sc.pnrs)
	}
	for _, ks := range c.touchEmails {
		sc.sink += ks.touch(sc.emails)
	}
	for i := range rows {
		lo, hi := sc.off[i], sc.off[i+1]
		c.mark(&rows[i], sc, sc.keys[lo:hi], sc.bits[lo:hi], sc.pnrs[i], sc.emails[i])
	}
}

// emailKey is the hash the e-mail lists are looked up by, 0 if the row
// has no e-mail or no list holds any.
func (c *Checker) emailKey(r *formats.Row) uint64 {
	if r.Email == "" || !c.emailLists {
		return 0
	}
	return hashLower(r.Email)
}

// appendPhoneKeys appends the keys of the row's valid numbers: phone,
// mobile, then Phones, each with its NIXBlockedMask bit.
func (sc *Scratch) appendPhoneKeys(r *formats.Row) {
	if k, ok := E164Key(r.PhoneE164); ok {
		sc.keys, sc.bits = append(sc.keys, k), append(sc.bits, MaskPhone)
	}
	if k, ok := E164Key(r.MobileE164); ok {
		sc.keys, sc.bits = append(sc.keys, k), append(sc.bits, MaskMobile)
	}
	for i, p := range r.Phones {
		if k, ok := E164Key(p); ok {
			sc.keys, sc.bits = append(sc.keys, k), append(sc.bits, PhoneBit(i))
		}
	}
}

// NewScratch returns working memory for one goroutine.
func (c *Checker) NewScratch() *Scratch {
	sc := &Scratch{a: make([]byte, 0, 256), b: make([]byte, 0, 256),
		keys: make([]uint64, 0, 2*markBlock), bits: make([]uint8, 0, 2*markBlock), off: make([]int32, 0, markBlock+1),
		pnrs: make([]uint64, 0, markBlock), emails: make([]uint64, 0, markBlock)}
	if c.set.Forget != nil {
		sc.forget = newForgetMatcher(c.set.Forget, c.set.forgetKeys)
	}
	return sc
}

// numState is the NIX outcome of one number.
type numState uint8

const (
	numFree numState = iota
	numBlocked
	numConsent
	numCustomer
)

// Mark sets the register marks and reason codes of r. Rejected rows are
// left alone. Marks of registers not used stay NULL.
func (c *Checker) Mark(r *formats.Row, sc *Scratch) {
	if r.Rejected {
		return
	}
	sc.keys, sc.bits = sc.keys[:0], sc.bits[:0]
	sc.appendPhoneKeys(r)
	pnr, _ := rowPNR(r)
	c.mark(r, sc, sc.keys, sc.bits, pnr, c.emailKey(r))
}

// mark marks a row that is not rejected by its keys, each computed once
// for every register: phones and bits are the keys of its valid numbers
// (appendPhoneKeys), pnr that of its personnummer (0: none), email that
// of its e-mail address (emailKey).
func (c *Checker) mark(r *formats.Row, sc *Scratch, phones []uint64, bits []uint8, pnr, email uint64) {
	if r.Rejected {
		return
	}
	s := c.set
	hasPNR := pnr != 0
	if s.NIX != nil {
		c.markNIX(r, phones, bits, pnr, hasPNR)
	}
	if s.Robinson != nil {
		hit := anyKey(phones, s.Robinson.phones) || s.Robinson.emails.Has(email) || c.address(r, sc)
		r.Robinson = formats.Bool(hit)
		if hit {
			r.AddReason(ReasonRobinson)
		}
	}
	if s.DNC != nil {
		hit := anyKey(phones, s.DNC.phones) || s.DNC.emails.Has(email) || (hasPNR && s.DNC.pnrs.Has(pnr))
		r.InternalDNC = formats.Bool(hit)
		if hit {
			r.AddReason(ReasonInternalDNC)
		}
	}
	if s.Deceased != nil {
		var hit bool
		if hasPNR {
			hit = s.Deceased.pnrs.Has(pnr)
		} else if c.needNameFold && r.Street != "" && r.PostalCode != "" {
			sc.a = appendNameAddress(sc.a[:0], r.FirstName, r.LastName, r.Street, r.PostalCode)
			hit = s.Deceased.nameAddr.Has(hashBytes(sc.a))
		}
		r.Deceased = formats.Bool(hit)
		if hit {
			r.AddReason(ReasonDeceased)
		}
	}
	if s.Forget != nil {
		hit := c.forgotten(r, sc, phones)
		r.Erased = formats.Bool(hit)
		if hit {
			r.AddReason(ReasonErased)
		}
	}
	if s.Addresses != nil && hasPNR {
		c.markAddress(r, sc, phones, pnr)
	}
}

func rowPNR(r *formats.Row) (uint64, bool) {
	if !r.PNRValid {
		return 0, false
	}
	return pnrKey(r.PNR)
}

func (c *Checker) markNIX(r *formats.Row, phones []uint64, bits []uint8, pnr uint64, hasPNR bool) {
	var mask uint8
	listed, consented, free := false, false, false
	until := ongoing
	var info uint8
	for i, k := range phones {
		if !c.set.NIX.Has(k) {
			free = true
			continue
		}
		listed = true
		st, u, in := c.lift(k, pnr, hasPNR)
		info |= in
		switch st {
		case numBlocked:
			mask |= bits[i]
		case numConsent:
			consented = true
			until = min(until, u)
			r.AddReason(ReasonNIXConsent)
		case numCustomer:
			until = min(until, u)
			r.AddReason(ReasonNIXCustomerExempt)
		}
	}
	r.NIXListed = formats.Bool(listed)
	r.NIXConsent = formats.Bool(consented)
	r.NIXVersion = c.nixVersion
	r.NIXBlockedMask = mask
	if free {
		until = min(until, c.nixValid)
		if !c.sawFree.Load() {
			c.sawFree.Store(true)
		}
	}
	if until != ongoing {
		if until == c.nixValid {
			r.ValidUntil = c.nixValidText
		} else {
			r.ValidUntil = c.dates[until]
		}
		if until < c.nixValid {
			for {
				cur := c.earliestLifted.Load()
				if int64(until) >= cur || c.earliestLifted.CompareAndSwap(cur, int64(until)) {
					break
				}
			}
		}
	}
	if mask != 0 {
		r.AddReason(ReasonNIXBlocked)
		if info&infoExpired != 0 {
			r.AddReason(ReasonNIXConsentExpired)
		}
		if info&infoOther != 0 {
			r.AddReason(ReasonNIXConsentOtherCompany)
		}
		if info&infoFuture != 0 {
			r.AddReason(ReasonNIXConsentFuture)
		}
	}
}

const (
	infoExpired uint8 = 1 << iota
	infoOther
	infoFuture
)

// lift decides whether a listed number k may still be called: by a
// consent naming the company, dated at most ConsentMonths before as-of
// (and not after it), or by a customer relationship with the company whose
// contract ended at most CustomerMonths before as-of (by number or by the
// row's personnummer). until is how long the lift holds.
func (c *Checker) lift(k, pnr uint64, hasPNR bool) (st numState, until day, info uint8) {
	best := noDay
	if cs := c.set.Consents; cs != nil && cs.phones.Has(k) {
		for _, x := range cs.of(k) {
			switch {
			case x.company != c.consentCo:
				info |= infoOther
			case x.date > c.asOf:
				info |= infoFuture
			case x.date.addMonths(c.consentMonths) < c.asOf:
				info |= infoExpired
			default:
				best = max(best, min(x.date.addMonths(c.consentMonths), c.nixValid))
			}
		}
	}
	if best != noDay {
		return numConsent, best, info
	}
	if cu := c.set.Customers; cu != nil {
		if cu.phones.Has(k) {
			best = c.customer(cu.ofPhone(k), best)
		}
		if hasPNR && cu.pnrs.Has(pnr) {
			best = c.customer(cu.ofPNR(pnr), best)
		}
		if best != noDay {
			return numCustomer, best, info
		}
	}
	return numBlocked, 0, info
}

func (c *Checker) customer(cs []customer, best day) day {
	for _, x := range cs {
		if x.company != c.customerCo {
			continue
		}
		if x.end == ongoing {
			best = max(best, c.nixValid)
			continue
		}
		if lim := x.end.addMonths(c.customerMonths); lim >= c.asOf {
			best = max(best, min(lim, c.nixValid))
		}
	}
	return best
}

// anyKey reports whether one of keys is in ks.
func anyKey(keys []uint64, ks *KeySet) bool {
	if ks.Len() == 0 {
		return false
	}
	for _, k := range keys {
		if ks.Has(k) {
			return true
		}
	}
	return false
}

func (c *Checker) address(r *formats.Row, sc *Scratch) bool {
	if !c.hasRobinsonAddr || r.Street == "" {
		return false
	}
	if !c.set.Robinson.addrPostals.Has(postalKey(r.PostalCode)) {
		return false
	}
	sc.a = appendAddress(sc.a[:0], r.Street, r.PostalCode)
	return c.set.Robinson.addresses.Has(hashBytes(sc.a))
}

// forgotten hashes the row's values of the kinds the forget list holds.
func (c *Checker) forgotten(r *formats.Row, sc *Scratch, phones []uint64) bool {
	fm := sc.forget
	if fm == nil || fm.kinds == 0 {
		return false
	}
	if fm.holds(kindPNR) && r.PNRValid && len(r.PNR) == 12 {
		sc.a = append(sc.a[:0], r.PNR...)
		if fm.has(kindPNR, sc.a) {
			return true
		}
	}
	if fm.holds(kindPhone) {
		for _, k := range phones {
			sc.a = appendE164(sc.a[:0], k)
			if fm.has(kindPhone, sc.a) {
				return true
			}
		}
	}
	if fm.holds(kindEmail) && r.Email != "" {
		sc.a = appendLower(sc.a[:0], r.Email)
		if fm.has(kindEmail, sc.a) {
			return true
		}
	}
	if fm.holds(kindNameAddress) && (r.FirstName != "" || r.LastName != "") && r.Street != "" && r.PostalCode != "" {
		sc.a = appendNameAddress(sc.a[:0], r.FirstName, r.LastName, r.Street, r.PostalCode)
		if fm.has(kindNameAddress, sc.a) {
			return true
		}
	}
	return false
}

func (c *Checker) markAddress(r *formats.Row, sc *Scratch, phones []uint64, pnr uint64) {
	i, ok := c.set.Addresses.byPNR[pnr]
	if !ok {
		return
	}
	p := &c.set.Addresses.people[i]
	if len(p.phones) > 0 {
		if len(phones) > 0 {
			match := ownerMatch(phones, p.phones)
			r.PhoneOwnerMatch = formats.Bool(match)
			if !match {
				r.AddReason(ReasonPhoneOwnerMismatch)
			}
		}
	}
	r.Protected = formats.Bool(p.protected)
	if p.protected {
		r.Street, r.PostalCode, r.City, r.CO = "", "", "", ""
		r.StreetRaw, r.PostalCodeRaw, r.CityRaw = "", "", ""
		r.StreetName, r.StreetNumber, r.StreetLetter, r.Apartment = "", "", "", ""
		r.PostalValid = false
		r.AddReason(ReasonProtectedIdentity)
		return
	}
	sc.a = appendAddress(sc.a[:0], r.Street, r.PostalCode)
	sc.b = appendAddress(sc.b[:0], p.street, p.postal)
	if bytes.Equal(sc.a, sc.b) {
		r.Moved = formats.False
		return
	}
	r.Moved = formats.True
	r.Street, r.PostalCode, r.City = p.street, p.postal, p.city
	// The c/o and the parsed street parts belonged to the old address.
	r.CO, r.StreetName, r.StreetNumber, r.StreetLetter, r.Apartment = "", "", "", "", ""
	r.PostalValid = strings.TrimSpace(p.postal) != ""
	r.AddReason(ReasonAddressUpdated)
	if c.hasRobinsonAddr && r.Robinson != nil && !*r.Robinson && c.address(r, sc) {
		r.Robinson = formats.True
		r.AddReason(ReasonRobinson)
	}
}

// ownerMatch reports whether one of the row's numbers is among the
// person's.
func ownerMatch(row, person []uint64) bool {
	for _, k := range row {
		if slices.Contains(person, k) {
			return true
		}
	}
	return false
}
