package rules

import (
	"encoding/binary"
	"time"
	"unsafe"
)

// IDKind is the kind of an identity number.
type IDKind uint8

// Identity number kinds. String gives the id_kind column value.
const (
	IDNone IDKind = iota
	IDPersonnummer
	IDSamordningsnummer
	IDPESEL
)

func (k IDKind) String() string {
	switch k {
	case IDPersonnummer:
		return "personnummer"
	case IDSamordningsnummer:
		return "samordningsnummer"
	case IDPESEL:
		return "pesel"
	}
	return ""
}

// IDReason says why an identity number is not valid.
type IDReason uint8

// Identity number reasons; reasons.go maps them to PNR_* codes. The order
// of checks is format, then checksum, then date: a number that fails the
// checksum is reported as a checksum error even if its date is also wrong
// (a mistyped digit is the likelier cause).
const (
	IDOK       IDReason = iota
	IDMissing           // empty
	IDFormat            // not 10/12 digits (personnummer) or 11 (PESEL) in an accepted layout
	IDChecksum          // Luhn (personnummer) or weighted (PESEL) check digit wrong
	IDDate              // no such date, or a birth date after the as-of date
)

// Date is a calendar date, used for the as-of date of a run.
type Date struct {
	Year, Month, Day int
}

// DateOf returns t's date in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, int(m), d}
}

func (d Date) ord() int { return d.Year*10000 + d.Month*100 + d.Day }

// Identity is a parsed personnummer, samordningsnummer or PESEL, held
// inline (no heap allocation).
type Identity struct {
	Kind   IDKind // set only when Valid
	Valid  bool
	Reason IDReason
	Birth  Date // set only when Valid
	Gender byte // 'M' or 'F' when Valid
	n      uint8
	num    [12]byte
}

// Number returns the normalised number: 12 digits YYYYMMDDNNNC for a
// personnummer or samordningsnummer (the day of a samordningsnummer keeps
// its +60), 11 digits for a PESEL. Empty unless Valid.
func (id *Identity) Number() string { return string(id.num[:id.n]) }

// AppendNumber appends the normalised number to dst.
func (id *Identity) AppendNumber(dst []byte) []byte { return append(dst, id.num[:id.n]...) }

// AppendBirthDate appends the birth date as YYYY-MM-DD.
func (id *Identity) AppendBirthDate(dst []byte) []byte {
	if !id.Valid {
		return dst
	}
	y, m, d := id.Birth.Year, id.Birth.Month, id.Birth.Day
	hi, lo := y/100, y%100
	return append(dst, twoDigits[hi*2], twoDigits[hi*2+1], twoDigits[lo*2], twoDigits[lo*2+1], '-',
		twoDigits[m*2], twoDigits[m*2+1], '-', twoDigits[d*2], twoDigits[d*2+1])
}

// ArenaNumberBirth returns the normalised number and the birth date
// (YYYY-MM-DD) of a valid identity as strings in the arena, both from one
// fixed-size write: the number views raw instead when raw is the number
// in normal form already. Both are "" unless Valid.
func (id *Identity) ArenaNumberBirth(raw string, a *Arena) (num, birth string) {
	if !id.Valid {
		return "", ""
	}
	n := int(id.n)
	if cap(a.buf)-len(a.buf) < 32 {
		a.buf = make([]byte, 0, arenaChunk)
	}
	start := len(a.buf)
	b := (*[32]byte)(a.buf[start : start+32])
	*(*[12]byte)(b[:12]) = id.num
	if d := (*[10]byte)(b[n : n+10]); id.Kind == IDPersonnummer && uint(id.Birth.Year) <= 9999 {
		// YYYYMMDD leads the number (a samordningsnummer's day is +60).
		d[0], d[1], d[2], d[3], d[4] = b[0], b[1], b[2], b[3], '-'
		d[5], d[6], d[7], d[8], d[9] = b[4], b[5], '-', b[6], b[7]
	} else {
		id.putBirthDate(d)
	}
	if raw == unsafe.String(&b[0], n) {
		// Sent in normal form: only the birth date goes to the arena.
		*(*[10]byte)(b[:10]) = *(*[10]byte)(b[n : n+10])
		a.buf = a.buf[:start+10]
		return raw, unsafe.String(&b[0], 10)
	}
	a.buf = a.buf[:start+n+10]
	return unsafe.String(&b[0], n), unsafe.String(&b[n], 10)
}

// putBirthDate writes the birth date as YYYY-MM-DD.
func (id *Identity) putBirthDate(b *[10]byte) {
	y, m, d := uint(id.Birth.Year)%10000, uint(id.Birth.Month)%100, uint(id.Birth.Day)%100
	hi, lo := y/100, y%100
	b[0], b[1], b[2], b[3], b[4] = twoDigits[hi*2], twoDigits[hi*2+1], twoDigits[lo*2], twoDigits[lo*2+1], '-'
	b[5], b[6], b[7], b[8], b[9] = twoDigits[m*2], twoDigits[m*2+1], '-', twoDigits[d*2], twoDigits[d*2+1]
}

// ParseIdentity reads an identity-number cell: eleven digits with nothing
// else is a PESEL, anything else is read as a personnummer or
// samordningsnummer.
func ParseIdentity(raw string, asOf Date) Identity {
	var id Identity
	ParseIdentityTo(&id, raw, asOf)
	return id
}

// ParseIdentityTo is ParseIdentity writing its answer to *id, which it
// first sets to the zero Identity: the hot path's form, with no copy of
// the result.
func ParseIdentityTo(id *Identity, raw string, asOf Date) {
	*id = Identity{}
	s := raw
	if needTrim(s) {
		s = trimSpace(s)
	}
	if len(s) == 11 && allDigits(s) {
		*id = ParsePESEL(s, asOf)
		return
	}
	parsePersonnummerTo(id, s, asOf)
}

// ParsePersonnummer parses a Swedish personnummer or samordningsnummer in
// any of the written forms: YYMMDD-NNNC, YYMMDD+NNNC, YYMMDDNNNC,
// YYYYMMDDNNNC, YYYYMMDD-NNNC (and with '+'). Surrounding white space is
// ignored; any other character, including a space inside, is a format
// error, and so is birth number 000 (never issued).
//
// The century of a 10-digit number is the most recent one that puts the
// birth date on or before asOf; '+' (used from the year a person turns 100)
// takes the century before that. A 12-digit number carries its century; a
// birth date after asOf is a date error. A day of 61-91 marks a
// samordningsnummer (day + 60). The 9th digit is odd for men.
func ParsePersonnummer(raw string, asOf Date) Identity {
	return parsePersonnummer(trimSpace(raw), asOf)
}

// parsePersonnummer parses a trimmed personnummer.
func parsePersonnummer(s string, asOf Date) Identity {
	var id Identity
	parsePersonnummerTo(&id, s, asOf)
	return id
}

// parsePersonnummerTo is parsePersonnummer writing to *id, which must be
// the zero Identity.
func parsePersonnummerTo(id *Identity, s string, asOf Date) {
	if s == "" {
		id.Reason = IDMissing
		return
	}
	var d [12]byte
	n := 0
	sep := byte(0)
	if fn, fsep, ok := pnrCommonDigits(s, &d); ok {
		n, sep = fn, fsep
		goto digits
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(d) {
				id.Reason = IDFormat
				return
			}
			d[n] = c
			n++
		case (c == '-' || c == '+') && sep == 0 && (n == 6 || n == 8) && len(s)-i-1 == 4:
			sep = c
		default:
			id.Reason = IDFormat
			return
		}
	}
	if n != 10 && n != 12 {
		id.Reason = IDFormat
		return
	}
digits:
	short := d[n-10 : n] // YYMMDDNNNC
	if short[6] == '0' && short[7] == '0' && short[8] == '0' {
		id.Reason = IDFormat // birth number 000 is never issued
		return
	}
	if !luhn(short) {
		id.Reason = IDChecksum
		return
	}
	yy := int(short[0]-'0')*10 + int(short[1]-'0')
	month := int(short[2]-'0')*10 + int(short[3]-'0')
	day := int(short[4]-'0')*10 + int(short[5]-'0')
	kind := IDPersonnummer
	if day > 60 {
		day -= 60
		kind = IDSamordningsnummer
	}
	if month < 1 || month > 12 || day < 1 || day > 31 {
		id.Reason = IDDate
		return
	}
	var year int
	md, asOrd := month*100+day, asOf.ord()
	if n == 12 {
		year = int(d[0]-'0')*1000 + int(d[1]-'0')*100 + yy
	} else {
		year = asOf.Year - ((asOf.Year-yy)%100+100)%100
		if year*10000+md > asOrd { // Date{year, month, day}.ord() > asOf.ord()
			year -= 100
		}
		if sep == '+' {
			year -= 100
		}
	}
	if day > daysIn(year, month) || year*10000+md > asOrd {
		id.Reason = IDDate
		return
	}
	id.Valid = true
	id.Kind = kind
	id.Birth = Date{year, month, day}
	id.Gender = 'F'
	if (short[8]-'0')%2 == 1 {
		id.Gender = 'M'
	}
	if n == 12 {
		id.num[0], id.num[1] = d[0], d[1] // the century as written
	} else {
		c := year / 100 % 100
		id.num[0], id.num[1] = twoDigits[c*2], twoDigits[c*2+1]
	}
	*(*[10]byte)(id.num[2:]) = *(*[10]byte)(short)
	id.n = 12
	return
}

// pnrCommonDigits reads the common layouts YYMMDDNNNC, YYMMDD-NNNC,
// YYMMDD+NNNC and YYYYMMDDNNNC into d; ok is false for anything else,
// which the general loop then reads.
func pnrCommonDigits(s string, d *[12]byte) (n int, sep byte, ok bool) {
	switch {
	case len(s) == 10:
		copy(d[:10], s)
		n = 10
		// Bytes 0-7 and 2-9: every byte once at least.
		ok = digits8(binary.LittleEndian.Uint64(d[0:8])) && digits8(binary.LittleEndian.Uint64(d[2:10]))
	case len(s) == 12:
		copy(d[:], s)
		n = 12
		ok = digits8(binary.LittleEndian.Uint64(d[0:8])) && digits8(binary.LittleEndian.Uint64(d[4:12]))
	case len(s) == 11 && (s[6] == '-' || s[6] == '+'):
		copy(d[:6], s[:6])
		copy(d[6:10], s[7:])
		n, sep = 10, s[6]
		ok = digits8(binary.LittleEndian.Uint64(d[0:8])) && digits8(binary.LittleEndian.Uint64(d[2:10]))
	}
	if !ok {
		return 0, 0, false
	}
	return n, sep, true
}

// digits8 reports whether all eight bytes of x are ASCII digits, for all
// bytes at once: a byte at 0x80 or above sets its top bit in x, one below
// '0' in x-lo, one above '9' in x+hi. A borrow or carry that crosses into
// the next byte comes only from a byte that already failed.
func digits8(x uint64) bool {
	const lo, hi, top = 0x3030303030303030, 0x4646464646464646, 0x8080808080808080
	return (x|(x+hi)|(x-lo))&top == 0
}

// luhn checks the check digit of YYMMDDNNNC.
func luhn(b []byte) bool {
	_ = b[9]
	// The doubled digits by a table indexed by the byte; the others as
	// bytes, less their four '0's at the end.
	sum := uint(luhnDouble[b[0]]) + uint(luhnDouble[b[2]]) + uint(luhnDouble[b[4]]) + uint(luhnDouble[b[6]]) +
		uint(luhnDouble[b[8]]) + uint(b[1]) + uint(b[3]) + uint(b[5]) + uint(b[7]) - 4*'0'
	return luhnCheck[sum%uint(len(luhnCheck))] == b[9]
}

// luhnCheck[sum] is '0'+(10-sum%10)%10, the check digit for a Luhn sum
// (at most 9*9 = 81 for nine digits; 128 entries make the index a mask).
var luhnCheck = func() (t [128]byte) {
	for sum := range t {
		t[sum] = '0' + byte((10-sum%10)%10)
	}
	return t
}()

// twoDigits holds "00" to "99".
const twoDigits = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// luhnDouble is the digit sum of twice a digit, indexed by the digit's
// byte ('0'-'9'; 0 for other bytes).
var luhnDouble = func() (t [256]uint8) {
	for d := range 10 {
		t['0'+d] = uint8(2*d%10 + 2*d/10)
	}
	return t
}()

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
