package rules

import (
	"strings"
	"unicode/utf8"
)

// EmailReason says why an e-mail address is not valid or looks mistyped.
type EmailReason uint8

// E-mail reasons; reasons.go maps them to EMAIL_* codes.
const (
	EmailOK         EmailReason = iota
	EmailMissing                // empty (not reported as a defect)
	EmailInvalid                // not local@domain.tld
	EmailDomainTypo             // a common misspelling of a large mail domain
)

// Email is a checked e-mail address.
type Email struct {
	Address    string // local part as sent, domain lower-cased; "" when invalid
	Valid      bool   // syntactically valid (a typo domain is still valid syntax)
	Reason     EmailReason
	Suggestion string // the address with the domain corrected, for EmailDomainTypo
}

// CheckEmail checks an address with a hand-written syntax check equivalent
// to net/mail for plain addresses (net/mail is ~10x slower and allocates):
//
//   - local@domain, surrounding white space and a "mailto:" prefix ignored,
//     '<' '>' around the address ignored;
//   - local part: 1-64 bytes of letters, digits, !#$%&'*+/=?^_`{|}~- and
//     non-ASCII (RFC 6532), dots not first, last or doubled; quoted local
//     parts and comments are rejected (never seen in real lists, often junk);
//   - domain: at most 253 bytes, at least two labels of letters, digits,
//     hyphens or non-ASCII (IDN), 1-63 bytes each, no hyphen first or last;
//     the last label not all digits.
//
// The domain is lower-cased (ASCII). Domains that are a common misspelling
// of a big mail provider (gmial.com, hotmial.se, hotmail.con...) set
// EmailDomainTypo with a Suggestion; the address itself is kept as sent.
func CheckEmail(raw string, a *Arena) Email {
	var e Email
	checkEmail(&e, raw, a)
	return e
}

// checkEmail is CheckEmail filling e, which is zero.
func checkEmail(e *Email, raw string, a *Arena) {
	s := raw
	if needTrim(s) {
		s = trimSpace(s)
	}
	if len(s) > 7 && s[6] == ':' && equalFoldASCII(s[:7], "mailto:") {
		s = s[7:]
	}
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = s[1 : len(s)-1]
	}
	if s == "" {
		e.Reason = EmailMissing
		return
	}
	at, highLocal, okLocal := scanLocal(s)
	if !okLocal {
		e.Reason = EmailInvalid
		return
	}
	domain := s[at+1:]
	// A domain of the table, as written, is valid (TestDomainTableValid)
	// and lower case ASCII: most addresses skip the syntax check.
	k := knownDomain(domain)
	ok, upper, highDomain := k != nil, false, false
	if k == nil {
		if ok, upper, highDomain = validDomain(domain); !ok {
			e.Reason = EmailInvalid
			return
		}
	}
	// s splits at the ASCII '@' into parts that are valid UTF-8 each
	// exactly when s is: check only the parts with non-ASCII bytes.
	if highLocal && !validUTF8(s[:at]) || highDomain && !validUTF8(domain) {
		e.Reason = EmailInvalid
		return
	}
	e.Valid = true
	d := domain
	if !upper {
		e.Address = s
	} else {
		b := a.Reserve(len(s))
		b = append(b, s[:at+1]...)
		for i := 0; i < len(domain); i++ {
			c := domain[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		e.Address = a.Commit(b)
		d = e.Address[at+1:]
		k = knownDomain(d)
	}
	var fix string
	if k != nil {
		if k.fix == "" {
			return // a big domain, spelt right
		}
		fix = k.fix
	} else if fix, ok = nearBigDomain(d); !ok {
		return
	}
	e.Reason = EmailDomainTypo
	b := a.Reserve(at + 1 + len(fix))
	b = append(b, s[:at+1]...)
	b = append(b, fix...)
	e.Suggestion = a.Commit(b)
}

// bigDomains are the big mail domains, spelt right: no suggestion.
var bigDomains = [...]string{"gmail.com", "hotmail.com", "hotmail.se", "yahoo.com", "yahoo.se", "outlook.com", "outlook.se",
	"live.se", "icloud.com", "telia.com", "bredband.net", "comhem.se", "wp.pl", "onet.pl", "interia.pl", "o2.pl"}

// domainEntry is a big domain (fix "") or a listed misspelling of one.
type domainEntry struct {
	domain, fix string
}

// domainTable holds bigDomains and domainTypos in open addressing by
// domainHash: one short probe instead of a switch and a map lookup.
var domainTable = func() (t [domainTableSize]domainEntry) {
	add := func(d, fix string) {
		h := domainHash(d)
		for t[h].domain != "" {
			h = (h + 1) & (domainTableSize - 1)
		}
		t[h] = domainEntry{d, fix}
	}
	for _, d := range bigDomains {
		add(d, "")
	}
	for d, fix := range domainTypos {
		add(d, fix)
	}
	return t
}()

// domainTableSize is a power of two, several times the entries.
const domainTableSize = 1024

// domainHash mixes the length and three bytes of a domain.
func domainHash(d string) uint32 {
	if d == "" {
		return 0
	}
	h := uint32(len(d))*0x9E3779B1 ^ uint32(d[0])<<16 ^ uint32(d[len(d)/2])<<8 ^ uint32(d[len(d)-1])
	h *= 0x85EBCA6B
	return h >> 22 // 10 bits: domainTableSize
}

// knownDomain returns the entry of a big domain or listed misspelling, or nil.
func knownDomain(d string) *domainEntry {
	h := domainHash(d)
	for {
		e := &domainTable[h]
		if e.domain == "" {
			return nil // an empty slot: not in the table (nor is "")
		}
		if e.domain == d {
			return e
		}
		h = (h + 1) & (domainTableSize - 1)
	}
}

// validUTF8 is utf8.ValidString with the two-byte sequences of Latin
// letters (å, ä, ö, ł...) checked inline; anything else is left to
// utf8.ValidString.
func validUTF8(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			continue
		}
		if c < 0xC2 || c > 0xDF || i+1 >= len(s) || s[i+1]&0xC0 != 0x80 {
			return utf8.ValidString(s[i:])
		}
		i++
	}
	return true
}

// Byte classes for addresses.
const (
	classLocal  = 1 << iota // atext: may appear in a local part
	classDomain             // letter, digit or hyphen
	classUpper              // ASCII upper case
	classDigit
	classHigh // a byte of a multi-byte UTF-8 sequence
)

var emailClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case b >= 0x80:
			t[c] = classLocal | classDomain | classHigh
		case b >= 'a' && b <= 'z':
			t[c] = classLocal | classDomain
		case b >= 'A' && b <= 'Z':
			t[c] = classLocal | classDomain | classUpper
		case b >= '0' && b <= '9':
			t[c] = classLocal | classDomain | classDigit
		case b == '-':
			t[c] = classLocal | classDomain
		case isAtext(b):
			t[c] = classLocal
		}
	}
	return t
}()

// scanLocal finds the '@' of s and checks the local part before it as
// validLocal does, in one pass: at is the index of the first '@', high
// reports a non-ASCII byte before it that is not in a well-formed
// two-byte UTF-8 sequence (whether s[:at] is valid UTF-8 is then for
// validUTF8 to say; without high it is), ok is false when there is no
// '@' or the local part is not valid.
func scanLocal(s string) (at int, high, ok bool) {
	i := 0
	for ; i < len(s); i++ {
		cl := localClass[s[i]]
		if cl&classLocal != 0 {
			continue
		}
		c := s[i]
		if cl&classHigh != 0 {
			// Local as every non-ASCII byte; a two-byte sequence is valid
			// UTF-8 as it stands, anything else is left to validUTF8.
			if c >= 0xC2 && c <= 0xDF && i+1 < len(s) && s[i+1]&0xC0 == 0x80 {
				i++
			} else {
				high = true
			}
			continue
		}
		if c == '@' {
			break
		} else if c != '.' || i == 0 || s[i-1] == '.' {
			return 0, false, false
		}
	}
	if i == len(s) || i == 0 || i > 64 || s[i-1] == '.' {
		return 0, false, false
	}
	return i, high, true
}

// localClass is emailClass with the non-ASCII bytes not marked local, so
// that scanLocal's common path is ASCII only.
var localClass = func() (t [256]uint8) {
	for c := range t {
		t[c] = emailClass[c]
		if c >= 0x80 {
			t[c] &^= classLocal
		}
	}
	return t
}()

func isAtext(c byte) bool {
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '/', '=', '?', '^', '_', '`', '{', '|', '}', '~', '-':
		return true
	}
	return false
}

// validDomain checks the domain; upper reports an ASCII upper-case
// letter, high a non-ASCII byte.
func validDomain(d string) (ok, upper, high bool) {
	if len(d) == 0 || len(d) > 253 {
		return false, false, false
	}
	var all uint8
	start := 0 // of the current label
	for i := 0; i < len(d); i++ {
		c := d[i]
		if c != '.' {
			cl := emailClass[c]
			if cl&classDomain == 0 {
				return false, false, false
			}
			all |= cl
			continue
		}
		if !validLabel(d[start:i]) {
			return false, false, false
		}
		start = i + 1
	}
	last := d[start:]
	if start == 0 || !validLabel(last) {
		return false, false, false // one label, or a bad last one
	}
	for i := 0; i < len(last); i++ {
		if emailClass[last[i]]&classDigit == 0 {
			return true, all&classUpper != 0, all&classHigh != 0
		}
	}
	return false, false, false // the last label is all digits
}

// validLabel: 1-63 bytes, no hyphen first or last (the bytes are checked
// by the caller).
func validLabel(l string) bool {
	return len(l) != 0 && len(l) <= 63 && l[0] != '-' && l[len(l)-1] != '-'
}

// bigLabels are the second-level labels of the big mail domains, long
// enough that one slip cannot make another real provider's name.
var bigLabels = []struct {
	label string
	tlds  []string
}{
	{"gmail", []string{"com"}}, {"hotmail", []string{"com", "se"}}, {"outlook", []string{"com", "se"}},
	{"icloud", []string{"com"}}, {"comhem", []string{"se"}}, {"bredband", []string{"net"}},
	{"yahoo", []string{"com", "se"}}, {"telia", []string{"com"}}, {"interia", []string{"pl"}},
}

// The labels of bigLabels by top-level domain, in bigLabels order (the
// first one edit away wins). TestBigLabelsByTLD keeps them in step.
var (
	bigLabelsCOM = [...]bigLabel{{"gmail", "gmail.com"}, {"hotmail", "hotmail.com"}, {"outlook", "outlook.com"},
		{"icloud", "icloud.com"}, {"yahoo", "yahoo.com"}, {"telia", "telia.com"}}
	bigLabelsSE  = [...]bigLabel{{"hotmail", "hotmail.se"}, {"outlook", "outlook.se"}, {"comhem", "comhem.se"}, {"yahoo", "yahoo.se"}}
	bigLabelsNET = [...]bigLabel{{"bredband", "bredband.net"}}
	bigLabelsPL  = [...]bigLabel{{"interia", "interia.pl"}}
)

type bigLabel struct{ label, domain string }

// nearBigDomain catches misspellings the list does not hold: the label one
// edit (insert, delete, substitute or swap two letters) from a big
// provider's, with the same top-level domain ("outllook.com",
// "comhme.se"). Only a short loop over a few labels, and only for domains
// that are neither big nor listed.
func nearBigDomain(d string) (string, bool) {
	dot := strings.LastIndexByte(d, '.')
	if dot <= 0 {
		return "", false
	}
	label, tld := d[:dot], d[dot+1:]
	var labels []bigLabel
	switch tld {
	case "com":
		labels = bigLabelsCOM[:]
	case "se":
		labels = bigLabelsSE[:]
	case "net":
		labels = bigLabelsNET[:]
	case "pl":
		labels = bigLabelsPL[:]
	default:
		return "", false
	}
	for _, l := range labels {
		if len(label) >= 2 && label[0] != l.label[0] && label[1] != l.label[1] && label[0] != l.label[1] && label[1] != l.label[0] {
			continue // one edit keeps the first or the second letter, or moves one of them by a place
		}
		if label != l.label && oneEdit(label, l.label) {
			return l.domain, true
		}
	}
	return "", false
}

// oneEdit reports whether a is one insertion, deletion, substitution or
// adjacent transposition away from b.
func oneEdit[T string | []byte](a T, b string) bool {
	la, lb := len(a), len(b)
	if la-lb > 1 || lb-la > 1 {
		return false
	}
	i := 0
	for i < la && i < lb && a[i] == b[i] {
		i++
	}
	switch {
	case la == lb:
		if i == la {
			return false // equal
		}
		if string(a[i+1:]) == b[i+1:] {
			return true // substitution
		}
		return i+1 < la && a[i] == b[i+1] && a[i+1] == b[i] && string(a[i+2:]) == b[i+2:] // swap
	case la == lb+1:
		return string(a[i+1:]) == b[i:] // a has one extra byte
	default:
		return string(a[i:]) == b[i+1:] // a lacks one byte
	}
}

// domainTypos maps misspelt domains seen in Swedish and Polish lists to the
// intended one. Only misspellings that are not themselves mail domains in
// use are listed.
var domainTypos = buildDomainTypos()

func buildDomainTypos() map[string]string {
	m := map[string]string{}
	add := func(fix string, typos ...string) {
		for _, t := range typos {
			m[t] = fix
		}
	}
	add("gmail.com", "gmial.com", "gmal.com", "gmaill.com", "gamil.com", "gnail.com", "gmail.co", "gmail.con",
		"gmail.cm", "gmail.cmo", "gmail.om", "gmail.se", "gmai.com", "gmil.com", "gmali.com", "gmeil.com", "gmail.comm",
		"gmaul.com", "gmsil.com", "gmqil.com", "gmail.vom", "gmail.xom", "gmail.c0m", "g-mail.com", "gemail.com", "gmail.coom")
	add("hotmail.com", "hotmial.com", "hotmal.com", "hotmil.com", "hotmai.com", "hotmail.con", "hotmail.co",
		"hotmali.com", "homail.com", "hotamil.com", "hotnail.com", "hotmaill.com", "hotmail.cm", "hotmail.om", "htomail.com")
	add("hotmail.se", "hotmial.se", "hotmal.se", "hotmil.se", "hotmai.se", "homail.se", "hotamil.se", "hotnail.se",
		"hotmali.se", "hotmaill.se", "htomail.se", "hotmail.s")
	add("yahoo.com", "yaho.com", "yahooo.com", "yahoo.con", "yahoo.co", "yhoo.com", "yahho.com", "yaoo.com", "yahool.com")
	add("yahoo.se", "yaho.se", "yahooo.se", "yhoo.se")
	add("outlook.com", "outlok.com", "outllok.com", "outloo.com", "outlook.con", "outlook.co", "oulook.com", "otlook.com", "outlookk.com")
	add("outlook.se", "outlok.se", "outllok.se", "oulook.se")
	add("live.se", "live.see", "liv.se", "livee.se")
	add("icloud.com", "iclod.com", "icoud.com", "icloud.con", "icloud.co", "iclould.com", "icluod.com")
	add("telia.com", "telia.con", "telia.cm", "tellia.com", "teila.com")
	add("bredband.net", "bredband.ne", "bredband.nett", "bredbad.net", "bredban.net", "bredband.nte")
	add("comhem.se", "comhem.s", "comhen.se", "comheme.se", "com-hem.se")
	add("spray.se", "spray.s", "sprey.se")
	add("wp.pl", "wp.p", "wp.pll")
	add("onet.pl", "onet.p", "onett.pl", "onte.pl")
	add("interia.pl", "interia.p", "intreia.pl", "interia.pll", "inteia.pl")
	add("o2.pl", "o2.p")
	return m
}
