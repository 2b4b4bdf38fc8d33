package rules

import (
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// PhoneType is the kind of a phone number, as the phone library classifies it.
type PhoneType uint8

// Phone types. String gives the value of the phone_type Parquet column.
const (
	PhoneUnknown PhoneType = iota
	PhoneMobile
	PhoneFixedLine
	PhoneFixedLineOrMobile
	PhoneTollFree
	PhonePremiumRate
	PhoneSharedCost
	PhoneVoIP
	PhonePersonalNumber
	PhonePager
	PhoneUAN
	PhoneVoicemail
)

var phoneTypeNames = [...]string{
	PhoneUnknown:           "unknown",
	PhoneMobile:            "mobile",
	PhoneFixedLine:         "fixed_line",
	PhoneFixedLineOrMobile: "fixed_line_or_mobile",
	PhoneTollFree:          "toll_free",
	PhonePremiumRate:       "premium_rate",
	PhoneSharedCost:        "shared_cost",
	PhoneVoIP:              "voip",
	PhonePersonalNumber:    "personal_number",
	PhonePager:             "pager",
	PhoneUAN:               "uan",
	PhoneVoicemail:         "voicemail",
}

func (t PhoneType) String() string {
	if int(t) < len(phoneTypeNames) {
		return phoneTypeNames[t]
	}
	return "unknown"
}

// Callable reports whether a person can be called on a number of this type:
// mobile, fixed line, or fixed line or mobile. Premium rate, shared cost,
// toll free, pager, UAN (company switchboards), VoIP, personal (forwarding)
// numbers and voicemail are not numbers to call a consumer on.
func (t PhoneType) Callable() bool {
	return t == PhoneMobile || t == PhoneFixedLine || t == PhoneFixedLineOrMobile
}

// PhoneReason says why a phone value is not valid. The stage turns it into a
// reason code with a field prefix (PhoneReasonCode, MobileReasonCode).
type PhoneReason uint8

// Phone reasons.
const (
	PhoneOK         PhoneReason = iota
	PhoneHasLetters             // letters in the number (never read as a vanity number)
	PhoneTooShort
	PhoneTooLong
	PhoneInvalid // not a number the library knows as valid
	PhonePremium
	PhoneTollFreeNum
	PhoneSharedCostNum
	PhoneVoIPNum
	PhonePersonal
	PhonePagerNum
	PhoneUANNum
	PhoneVoicemailNum
	numPhoneReasons
)

// Phone is one parsed phone number. It holds its E.164 form inline, so a
// Phone is built without a heap allocation.
type Phone struct {
	Type  PhoneType
	Valid bool // a valid number of a callable type (see PhoneType.Callable)
	// Reason is PhoneOK when Valid, and also for an empty input.
	Reason PhoneReason
	// Fast is true when the answer came without calling the phone library:
	// from the fast path, or a rejection (letters) before any parsing.
	Fast bool
	n    uint8
	e164 [24]byte
}

// E164 returns the number in E.164 form ("+46701234567"). It is set
// whenever the number could be parsed at all, valid or not: look at Valid.
func (p *Phone) E164() string { return string(p.e164[:p.n]) }

// AppendE164 appends the E.164 form to dst.
func (p *Phone) AppendE164(dst []byte) []byte { return append(dst, p.e164[:p.n]...) }

// ArenaE164 returns the E.164 form as a string in the arena (one
// fixed-size move, no memmove call).
func (p *Phone) ArenaE164(a *Arena) string {
	if p.n == 0 {
		return ""
	}
	return a.fixed24(&p.e164, int(p.n))
}

// HasE164 reports whether the number could be parsed.
func (p *Phone) HasE164() bool { return p.n > 0 }

func (p *Phone) setE164(cc string, nsn []byte) {
	p.e164[0] = '+'
	n := 1 + copy(p.e164[1:], cc)
	n += copy(p.e164[n:], nsn)
	p.n = uint8(n)
}

// setE164Zero is setE164 for a two-digit country code and a national
// number of at most 17 digits whose buffer holds zeros after it up to 16
// bytes from its start (fastPhone's digit array): fixed-size moves, no
// memmove call, and the bytes of e164 past the number stay zero.
func (p *Phone) setE164Zero(cc string, nsn []byte) {
	if len(cc) != 2 || cap(nsn) < 16 || len(nsn) > 17 {
		p.setE164(cc, nsn)
		return
	}
	p.e164[0], p.e164[1], p.e164[2] = '+', cc[0], cc[1]
	*(*[16]byte)(p.e164[3:19]) = *(*[16]byte)(nsn[:16])
	if len(nsn) > 16 {
		p.e164[19] = nsn[16]
	}
	p.n = uint8(3 + len(nsn))
}

func (p *Phone) setType(t PhoneType) {
	p.Type = t
	p.Valid = t.Callable()
	p.Reason = typeReasons[t]
}

var typeReasons = [...]PhoneReason{
	PhoneUnknown:           PhoneInvalid,
	PhoneMobile:            PhoneOK,
	PhoneFixedLine:         PhoneOK,
	PhoneFixedLineOrMobile: PhoneOK,
	PhoneTollFree:          PhoneTollFreeNum,
	PhonePremiumRate:       PhonePremium,
	PhoneSharedCost:        PhoneSharedCostNum,
	PhoneVoIP:              PhoneVoIPNum,
	PhonePersonalNumber:    PhonePersonal,
	PhonePager:             PhonePagerNum,
	PhoneUAN:               PhoneUANNum,
	PhoneVoicemail:         PhoneVoicemailNum,
}

// ParsePhone parses one phone cell with defaultRegion (ISO 3166 alpha-2,
// "SE" when empty) for numbers written without a country code. When the cell
// holds several numbers it returns the first valid one (or the first one if
// none is valid); use ParsePhoneList to get them all. An empty cell gives a
// zero Phone: not valid, no reason.
func ParsePhone(raw, defaultRegion string) Phone {
	var buf [4]Phone
	list := ParsePhoneList(raw, defaultRegion, buf[:0])
	if len(list) == 0 {
		return Phone{}
	}
	return list[Primary(list)]
}

// Primary returns the index of the number to use from a ParsePhoneList
// result: the first valid one, or 0.
func Primary(list []Phone) int {
	for i := range list {
		if list[i].Valid {
			return i
		}
	}
	return 0
}

// ParsePhoneList appends to dst every number found in one phone cell, in
// the order written. More than one element means the cell held several
// numbers ("070-1234567 / 08-123456"): report PHONE_MULTIPLE.
//
// Rules, applied before the phone library sees the text:
//   - numbers are separated by '/', ',', ';', '|', '&' or the words
//     "eller", "och", "or", "lub", "alt"; a split only counts when every
//     part holds at least 5 digits ("08/123 45 67" is one number);
//   - an extension ("ext 12", "anknytning 12", "ankn. 12", "x 12", "wew. 12",
//     "#12") is cut off: the main number is what is called;
//   - a label before or after the number ("Tel:", "Mobil", "Tfn.",
//     "(hem)", "(arb)") is dropped; a cell that is only a label is empty;
//   - any other letter makes the number invalid (PhoneHasLetters): letters
//     are never read as digits the way vanity numbers are.
//
// Then the phone library's rules decide (the fast path gives the same
// answer, see fastPhone). Notably, digits that start with the default
// region's country code but no '+' or "00" ("46701234567") are read as
// carrying the country code only when the whole string is not a possible
// national number of the region but the rest is, or the whole is too long:
// "46701234567" is +46 70-123 45 67 (11 digits: no Swedish number has 11
// digits without the trunk 0), while "46123456" is Lund 046-12 34 56
// written without its trunk 0 (+4646123456), and "468123456" is 0468-12 34 56.
// The ambiguity is real (area code 046 is Lund); the library's rule keeps
// every number a Swede could have meant that way.
func ParsePhoneList(raw, defaultRegion string, dst []Phone) []Phone {
	if defaultRegion == "" {
		defaultRegion = "SE"
	}
	if needTrim(raw) {
		raw = trimSpace(raw)
	}
	if raw == "" {
		return dst
	}
	// The fast path accepts only digits and punctuation that cannot
	// separate two numbers: a single number with no words to strip.
	if n := len(dst); n < cap(dst) {
		// Parse in place: no copy of the Phone.
		dst = dst[:n+1]
		dst[n] = Phone{}
		if fastPhoneTo(&dst[n], raw, defaultRegion, false) {
			return dst
		}
		dst = dst[:n]
	} else if fp, ok := fastPhone(raw, defaultRegion, false); ok {
		return append(dst, fp)
	}
	if plainPhone(raw) {
		return append(dst, libraryPhone(raw, defaultRegion))
	}
	if parts, ok := splitPhones(raw); ok {
		for _, p := range parts.s[:parts.n] {
			dst = append(dst, parseOnePhone(p, defaultRegion))
		}
		return dst
	}
	return append(dst, parseOnePhone(raw, defaultRegion))
}

// plainPhone reports whether s holds only digits, spaces, '+', '-', '.',
// '(' and ')': one number for the library, nothing to split or strip.
func plainPhone(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' || c == ' ' || c == '-' || c == '+' || c == '(' || c == ')' || c == '.' {
			continue
		}
		return false
	}
	return true
}

type phoneParts struct {
	s [4]string
	n int
}

// splitPhones splits a cell holding several numbers. ok is false when the
// cell is one number.
func splitPhones(s string) (phoneParts, bool) {
	var out phoneParts
	start := 0
	for i := 0; i < len(s); {
		sepLen := phoneSeparator(s, i)
		if sepLen == 0 {
			i++
			continue
		}
		if out.n == len(out.s)-1 {
			break
		}
		out.s[out.n] = trimSpace(s[start:i])
		out.n++
		i += sepLen
		start = i
	}
	if out.n == 0 {
		return out, false
	}
	out.s[out.n] = trimSpace(s[start:])
	out.n++
	for _, p := range out.s[:out.n] {
		if countDigits(p) < 5 {
			return out, false
		}
	}
	return out, true
}

func phoneSeparator(s string, i int) int {
	switch s[i] {
	case '/', ',', ';', '|', '&', '\n':
		return 1
	case ' ':
		if i+1 >= len(s) || !isASCIILetter(s[i+1]) {
			return 0
		}
		for _, w := range [...]string{" eller ", " och ", " or ", " lub ", " alt. ", " alt "} {
			if len(s)-i >= len(w) && equalFoldASCII(s[i:i+len(w)], w) {
				return len(w)
			}
		}
	}
	return 0
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	return n
}

// parseOnePhone parses one number: label and extension handling, the
// letter check, then the fast path, then the library.
func parseOnePhone(s, region string) Phone {
	s, letters := stripPhoneWords(s)
	var p Phone
	if s == "" {
		return p // only a label: as empty
	}
	if letters {
		p.Reason = PhoneHasLetters
		p.Fast = true
		return p
	}
	if fp, ok := fastPhone(s, region, true); ok {
		return fp
	}
	return libraryPhone(s, region)
}

var phoneLabels = [...]string{"telefon", "mobil", "mobile", "phone", "tel", "tfn", "mob", "hem", "arb", "tlf", "kom", "gsm"}

var phoneExtWords = [...]string{"extension", "anknytning", "ankn", "ank", "ext", "wew", "tel. wew", "x", "w"}

// stripPhoneWords removes a leading label and a trailing extension. letters
// is true when a letter remains.
func stripPhoneWords(s string) (string, bool) {
	first := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || isASCIILetter(c) || c == '#' {
			first = i
			break
		}
	}
	if first < 0 {
		return s, false
	}
	// A label before any digit: "Tel: 070-...", "Mobil 070...".
	if countDigits(s[:first]) == 0 {
		for _, l := range phoneLabels {
			if len(s)-first >= len(l) && equalFoldASCII(s[first:first+len(l)], l) {
				rest := s[first+len(l):]
				if rest != "" && isASCIILetter(rest[0]) {
					continue
				}
				rest = trimLeftFunc(rest, func(c byte) bool { return c == '.' || c == ':' || c == ' ' })
				return stripPhoneWords(rest)
			}
		}
	}
	// An extension after the number: the marker, optional '.', ':' or
	// spaces, then digits to the end.
	if countDigits(s[:first]) >= 5 {
		rest := s[first:]
		if rest[0] == '#' {
			if allDigits(trimSpace(rest[1:])) {
				return trimRightPunct(s[:first]), false
			}
		}
		for _, w := range phoneExtWords {
			if len(rest) >= len(w) && equalFoldASCII(rest[:len(w)], w) {
				tail := trimLeftFunc(rest[len(w):], func(c byte) bool { return c == '.' || c == ':' || c == ' ' })
				if tail != "" && allDigits(trimSpace(tail)) {
					return trimRightPunct(s[:first]), false
				}
			}
		}
	}
	// A label after the number: "070-123 45 67 (mobil)", "08-12 34 56 hem".
	if countDigits(s[:first]) >= 5 {
		w := strings.TrimRight(s[first:], " )")
		for _, l := range phoneLabels {
			if equalFoldASCII(w, l) {
				return trimRightPunct(s[:first]), false
			}
		}
	}
	for _, r := range s[first:] {
		if unicode.IsLetter(r) {
			return s, true
		}
	}
	return s, false
}

func trimRightPunct(s string) string {
	for len(s) > 0 {
		c := s[len(s)-1]
		if c == ' ' || c == ',' || c == '-' || c == '(' || c == '/' || c == ';' {
			s = s[:len(s)-1]
			continue
		}
		break
	}
	return s
}

// fastPhone answers for the shapes whose library answer it knows exactly:
// default region SE or PL, a number with country code +46/+48 (or none),
// written with digits, spaces, '-', '.', '(', ')', one leading '+' and, if
// slash, '/' (the library reads '/' as punctuation; ParsePhoneList first
// decides whether a '/' separates two numbers). Anything else returns
// ok=false.
// It follows the library's parse (country code, national prefix and
// length rules) step by step; the automaton replaces its regexps.
func fastPhone(s, region string, slash bool) (Phone, bool) {
	var p Phone
	ok := fastPhoneTo(&p, s, region, slash)
	return p, ok
}

// fastPhoneTo is fastPhone writing into p, which must be the zero Phone;
// p is left untouched when it returns false.
func fastPhoneTo(p *Phone, s, region string, slash bool) bool {
	def := tableFor(region)
	if def == nil || len(s) > 64 {
		return false
	}
	// One step per byte for digits and punctuation: the byte is stored
	// at d[n] whatever it is and n advances only on a digit (class 1), so
	// a later digit overwrites punctuation. d has room for 32 so the store
	// needs no bounds check; more than 24 digits is refused after the loop.
	var d [32]byte
	n := 0
	plus := false
	class := &fastPhoneClass
	i := 0
	if len(s) > 0 && s[0] == '+' {
		plus, i = true, 1
	}
	// Runs of eight digits in one step: numbers written without spaces
	// ("0701234567", "+46701234567", "0046701234567").
	for i+8 <= len(s) && n <= 16 {
		x := load64(s, i)
		if !digits8(x) {
			break
		}
		binary.LittleEndian.PutUint64(d[n:n+8], x)
		n += 8
		i += 8
	}
	// Four bytes a step while all are digits or punctuation.
	for i+4 <= len(s) {
		c0, c1, c2, c3 := s[i], s[i+1], s[i+2], s[i+3]
		k0, k1, k2, k3 := class[c0], class[c1], class[c2], class[c3]
		if k0|k1|k2|k3 > fpDigit {
			break
		}
		d[n&31] = c0
		n += int(k0)
		d[n&31] = c1
		n += int(k1)
		d[n&31] = c2
		n += int(k2)
		d[n&31] = c3
		n += int(k3)
		i += 4
	}
	for ; i < len(s); i++ {
		c := s[i]
		k := class[c]
		d[n&31] = c
		if k <= fpDigit {
			n += int(k)
		} else {
			switch k {
			case fpPlus:
				if n > 0 || plus {
					return false
				}
				plus = true
			case fpSlash:
				if !slash {
					return false
				}
			default:
				return false
			}
		}
	}
	if n > maxPhoneDigits {
		return false
	}
	d[n] = 0 // the last punctuation stored: d[n:] is all zeros now
	if n < 3 {
		return false
	}
	digits := d[:n]
	var t *countryTable
	var national []byte
	intl := plus
	if !plus && n > 2 && digits[0] == '0' && digits[1] == '0' && digits[2] != '0' {
		// IDD "00" of both SE and PL.
		intl = true
		digits = digits[2:]
	}
	if intl {
		if len(digits) <= 2 || digits[0] != '4' {
			return false
		}
		switch digits[1] {
		case '6':
			t = tableSE()
		case '8':
			t = tablePL()
		}
		if t == nil {
			return false
		}
		national = digits[2:]
	} else {
		t = def
		national = digits
		if hasPrefixBytes(digits, t.ccStr) {
			pot := t.stripNationalPrefix(digits[len(t.ccStr):])
			fullValid := t.generalPattern(digits)
			nationalValid := t.generalPattern(pot)
			if (!fullValid && nationalValid) || t.testLength(len(digits)) == lenTooLong {
				national = pot
			}
		}
	}
	if len(national) < 2 {
		p.Reason = PhoneTooShort // the library's ErrTooShortNSN
		p.Fast = true
		return true
	}
	pot, potState, potKnown := t.stripNationalPrefixMask(national)
	switch t.testLength(len(pot)) {
	case lenTooShort, lenLocalOnly, lenInvalid:
		potKnown = false
	default:
		national = pot
	}
	p.Fast = true
	if len(national) < 2 {
		p.Reason = PhoneTooShort
		return true
	}
	if len(national) > maxNSN {
		p.Reason = PhoneTooLong
		return true
	}
	// The library keeps leading zeros of the national number ("Italian
	// leading zero"), so its E.164 form is cc + national as is.
	p.setE164Zero(t.ccStr, national)
	if !potKnown {
		potState = t.runState(national)
	}
	typ := t.typeAt[int(potState)*(maxNSN+1)+len(national)] // typeOf(accept[potState], len(national))
	if typ != PhoneUnknown {
		p.setType(typ)
		return true
	}
	p.Reason = t.invalidReason(national)
	return true
}

// Byte classes of fastPhone's scan: punctuation is 0 and a digit 1, so
// the scan adds the class's low bit to the digit count; every other
// class is above 1 and even.
const (
	fpPunct = 0 // ' ', '-', '.', '(', ')'
	fpDigit = 1
	fpPlus  = 2
	fpSlash = 4
	fpOther = 8
)

// maxPhoneDigits is the most digits fastPhone takes in one number.
const maxPhoneDigits = 24

var fastPhoneClass = func() (t [256]uint8) {
	for i := range t {
		t[i] = fpOther
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = fpDigit
	}
	for _, c := range " -.()" {
		t[c] = fpPunct
	}
	t['+'], t['/'] = fpPlus, fpSlash
	return t
}()

// invalidReason is the reason for a number of this country the library
// parsed but does not call valid: tooShort, then IsPossibleNumberWithReason.
func (t *countryTable) invalidReason(nsn []byte) PhoneReason {
	z := 0
	for z < len(nsn) && nsn[z] == '0' {
		z++
	}
	if int32(len(nsn)-z) < t.genLens[0] {
		return PhoneTooShort
	}
	switch t.testLength(len(nsn)) {
	case lenTooShort:
		return PhoneTooShort
	case lenTooLong:
		return PhoneTooLong
	}
	return PhoneInvalid
}

// stripNationalPrefix mirrors maybeStripNationalPrefixAndCarrierCode for a
// plain-digit national prefix without a transform rule.
func (t *countryTable) stripNationalPrefix(num []byte) []byte {
	out, _, _ := t.stripNationalPrefixMask(num)
	return out
}

// stripNationalPrefixMask is stripNationalPrefix that also returns the
// automaton's state for the result when it computed it (known).
func (t *countryTable) stripNationalPrefixMask(num []byte) (out []byte, state int32, known bool) {
	if len(num) == 0 || t.nationalPx == "" || !hasPrefixBytes(num, t.nationalPx) {
		return num, 0, false
	}
	rest := num[len(t.nationalPx):]
	restState := t.runState(rest)
	if t.accept[restState]&1 == 0 && t.generalPattern(num) { // the rest first: it saves a run when it matches
		return num, 0, false
	}
	return rest, restState, true
}

func hasPrefixBytes(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ { // prefixes of 1-3 digits: no memequal call
		if b[i] != p[i] {
			return false
		}
	}
	return true
}

// libraryPhone asks the phone library. It is the reference the fast path
// is tested against.
func libraryPhone(s, region string) Phone {
	var p Phone
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		switch {
		case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
			p.Reason = PhoneTooShort
		case errors.Is(err, phonenumbers.ErrNumTooLong):
			p.Reason = PhoneTooLong
		default:
			p.Reason = PhoneInvalid
		}
		return p
	}
	e := phonenumbers.Format(num, phonenumbers.E164)
	if len(e) > 1 && len(e) <= len(p.e164) {
		p.n = uint8(copy(p.e164[:], e))
	}
	if !phonenumbers.IsValidNumber(num) {
		if tooShort(num) {
			p.Reason = PhoneTooShort
			return p
		}
		switch phonenumbers.IsPossibleNumberWithReason(num) {
		case phonenumbers.TOO_SHORT:
			p.Reason = PhoneTooShort
		case phonenumbers.TOO_LONG:
			p.Reason = PhoneTooLong
		default:
			p.Reason = PhoneInvalid
		}
		return p
	}
	p.setType(libraryTypes[phonenumbers.GetNumberType(num)])
	return p
}

// tooShort reports whether a Swedish or Polish number has fewer digits than
// any number of its country once leading zeros (a trunk prefix the library
// kept, "070-123") are dropped. The library calls "070-123" merely invalid.
func tooShort(num *phonenumbers.PhoneNumber) bool {
	var t *countryTable
	switch num.GetCountryCode() {
	case 46:
		t = tableSE()
	case 48:
		t = tablePL()
	}
	if t == nil {
		return false
	}
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	for len(nsn) > 0 && nsn[0] == '0' {
		nsn = nsn[1:]
	}
	return int32(len(nsn)) < t.genLens[0]
}

var libraryTypes = map[phonenumbers.PhoneNumberType]PhoneType{
	phonenumbers.FIXED_LINE:           PhoneFixedLine,
	phonenumbers.MOBILE:               PhoneMobile,
	phonenumbers.FIXED_LINE_OR_MOBILE: PhoneFixedLineOrMobile,
	phonenumbers.TOLL_FREE:            PhoneTollFree,
	phonenumbers.PREMIUM_RATE:         PhonePremiumRate,
	phonenumbers.SHARED_COST:          PhoneSharedCost,
	phonenumbers.VOIP:                 PhoneVoIP,
	phonenumbers.PERSONAL_NUMBER:      PhonePersonalNumber,
	phonenumbers.PAGER:                PhonePager,
	phonenumbers.UAN:                  PhoneUAN,
	phonenumbers.VOICEMAIL:            PhoneVoicemail,
	phonenumbers.UNKNOWN:              PhoneUnknown,
}

// PhoneKey returns the digits of an E.164 number as an integer, the key
// registers are matched on. ok is false for anything that is not "+" and
// 1 to 19 digits.
func PhoneKey(e164 string) (uint64, bool) {
	if len(e164) < 2 || len(e164) > 20 || e164[0] != '+' {
		return 0, false
	}
	var k uint64
	for i := 1; i < len(e164); i++ {
		c := e164[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		k = k*10 + uint64(c-'0')
	}
	return k, true
}

// Country tables for the fast path, built once on first use.
var (
	tablesOnce sync.Once
	seTable    *countryTable
	plTable    *countryTable
)

func buildTables() {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return
	}
	for _, m := range coll.GetMetadata() {
		switch m.GetId() {
		case "SE":
			seTable, _ = buildCountryTable(m)
		case "PL":
			plTable, _ = buildCountryTable(m)
		}
	}
}

func tableSE() *countryTable { tablesOnce.Do(buildTables); return seTable }
func tablePL() *countryTable { tablesOnce.Do(buildTables); return plTable }

func tableFor(region string) *countryTable {
	switch region {
	case "SE":
		return tableSE()
	case "PL":
		return tablePL()
	}
	return nil
}

// FastPathReady reports whether the fast-path tables for region could be
// built from the library's metadata.
func FastPathReady(region string) bool { return tableFor(region) != nil }
