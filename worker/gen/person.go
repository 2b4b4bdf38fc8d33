package gen

import (
	"strconv"
	"unicode/utf8"
)

// Streams of the random generators. Person attributes come from a stream
// seeded by the person id, so a duplicate can regenerate its person.
const (
	streamRows = iota + 1
	streamPerson
	streamPNR
	streamRegisters
	streamMobilePerm
	streamLandPerm
	streamColumns
)

// Consent states of a NIX-listed person.
const (
	consentNone = iota
	consentValid
	consentExpired
	consentOtherCompany
)

// Internal do-not-call entries.
const (
	dncNone = iota
	dncPhone
	dncPNR
	dncEmail
)

// Email local-part styles.
const (
	emNone = iota
	emFirstDotLast
	emFirstLast
	emInitialDotLast
	emFirstDotLastNN
	emFirstUnderLast
	emLastDotFirst
	emFirstNN
	emUnique // first.last followed by a 7-digit id no other person can have
	numEmailStyles
)

// person is everything a row is made from. Byte slices are reused from
// person to person.
type person struct {
	id     uint32
	female bool

	first, last []byte

	street     []byte // full form, without c/o
	streetAbbr []byte // abbreviated form ("Storg. 12"), empty if none exists
	abbrev     bool   // written abbreviated by default
	careOf     string // c/o name on a line of its own, "" if none

	code       int
	town       int
	cityUpper  bool
	codeNoGap  bool // "11120" instead of "111 20"
	hasMobile  bool
	hasLand    bool
	mobInPhone bool // the mobile is in the phone column, the mobile column is empty
	mobile     phoneNum
	land       phoneNum
	mobileForm uint8
	landForm   uint8

	emailStyle int
	emailNum   int
	domain     string

	pnr     pnrNum
	pnrForm uint8

	nixMobile, nixLand bool
	consent            int
	consentAge         int // days before as-of of the consent
	otherCompany       string
	deceased           bool
	dnc                int
	customer           bool
}

// hasEmail reports whether the person has an e-mail address.
func (p *person) hasEmail() bool { return p.emailStyle != emNone }

// genPerson fills p with person id. The identity number comes from key if
// known (a duplicate) and is drawn otherwise (a new person).
func (g *generator) genPerson(p *person, id uint32, key uint32, known bool) {
	r := newRNG(g.cfg.Seed, streamPerson, uint64(id))
	p.id = id
	p.female = r.chance(0.5)

	// Names.
	p.first = p.first[:0]
	if p.female {
		p.first = append(p.first, pick(&r, femaleNames)...)
	} else {
		p.first = append(p.first, pick(&r, maleNames)...)
	}
	if r.chance(0.04) {
		p.first = append(p.first, ' ')
		if p.female {
			p.first = append(p.first, pick(&r, femaleNames)...)
		} else {
			p.first = append(p.first, pick(&r, maleNames)...)
		}
	}
	p.last = p.last[:0]
	switch x := r.intn(100); {
	case x < 3:
		p.last = append(p.last, pick(&r, nobleNames)...)
	case x < 9:
		p.last = append(p.last, pick(&r, lastNames)...)
		p.last = append(p.last, '-')
		p.last = append(p.last, pick(&r, lastNames)...)
	default:
		p.last = append(p.last, pick(&r, lastNames)...)
	}

	// Address.
	p.street, p.streetAbbr = p.street[:0], p.streetAbbr[:0]
	no := 1 + r.intn(60)
	if r.chance(0.3) {
		no += r.intn(120)
	}
	var letter byte
	if r.chance(0.12) {
		letter = "ABCD"[r.intn(4)]
	}
	apt := 0
	if r.chance(0.25) {
		apt = 1000 + 100*r.intn(9) + r.intn(20)
	}
	if r.chance(0.1) {
		name := pick(&r, fixedStreets)
		p.street = append(p.street, name...)
	} else {
		stem, suffix := pick(&r, streetStems), pick(&r, streetSuffixes)
		p.street = append(append(p.street, stem...), suffix...)
		switch suffix {
		case "gatan":
			p.streetAbbr = append(append(p.streetAbbr, stem...), "g."...)
		case "vägen":
			p.streetAbbr = append(append(p.streetAbbr, stem...), "v."...)
		}
	}
	p.street = appendHouse(p.street, no, letter, apt)
	if len(p.streetAbbr) > 0 {
		p.streetAbbr = appendHouse(p.streetAbbr, no, letter, apt)
	}
	p.abbrev = len(p.streetAbbr) > 0 && r.chance(0.15)
	p.careOf = ""
	if r.chance(0.003) {
		p.careOf = pick(&r, careOfNames)
	}
	p.code = int(pick(&r, g.post.codes))
	p.town = g.post.townOf(p.code)
	p.cityUpper = r.chance(0.1)
	p.codeNoGap = r.chance(0.3)

	// Phones: unique per person by construction.
	p.hasMobile = r.chance(0.9)
	p.hasLand = r.chance(0.25)
	p.mobInPhone = p.hasMobile && r.chance(0.05)
	p.mobile, p.land = phoneNum{}, phoneNum{}
	if p.hasMobile {
		p.mobile = mobileAt(g.mobPerm.at(uint64(id)))
	}
	if p.hasLand {
		p.land = landAt(g.landPerm.at(uint64(id)))
	}
	p.mobileForm = drawPhoneForm(&r, true)
	p.landForm = drawPhoneForm(&r, false)

	// Suppression facts.
	p.nixMobile = p.hasMobile && r.chance(g.cfg.NIXRate)
	p.nixLand = p.hasLand && r.chance(g.cfg.NIXRate)
	p.consent, p.consentAge = consentNone, 0
	cr := r.intn(100)
	if p.nixMobile || p.nixLand {
		switch {
		case cr < 30:
			p.consent, p.consentAge = consentValid, 1+r.intn(80)
		case cr < 40:
			p.consent, p.consentAge = consentExpired, 100+r.intn(300)
		case cr < 50:
			p.consent, p.consentAge = consentOtherCompany, 1+r.intn(80)
			p.otherCompany = pick(&r, otherCompanies)
		}
	}
	p.deceased = r.chance(0.005)
	p.dnc = dncNone
	switch x := r.intn(10000); {
	case x < 10 && (p.hasMobile || p.hasLand):
		p.dnc = dncPhone
	case x >= 10 && x < 15:
		p.dnc = dncPNR
	case x >= 15 && x < 20:
		p.dnc = dncEmail
	}
	p.customer = !p.nixMobile && !p.nixLand && r.chance(0.002)

	// E-mail.
	p.emailStyle = emNone
	if r.chance(0.8) || p.dnc == dncEmail {
		p.emailStyle = 1 + r.intn(emUnique-1)
	}
	if p.dnc == dncEmail {
		p.emailStyle = emUnique
	}
	p.emailNum = r.intn(100)
	p.domain = pick(&r, emailDomains)

	// Identity number.
	if known {
		p.pnr = g.pnrFromKey(key)
	} else {
		p.pnr = g.drawPNR(id, !p.female)
	}
	short, raw := p.pnr.formsFor(g.asOfDate)
	switch x := r.intn(100); {
	case x < 35 || (!short && x >= 50):
		p.pnrForm = nfLong
	case x < 50:
		p.pnrForm = nfLongDash
	case x < 85 || !raw:
		p.pnrForm = nfShort
	default:
		p.pnrForm = nfShortRaw
	}
}

// appendHouse writes " 12B lgh 1102".
func appendHouse(b []byte, no int, letter byte, apt int) []byte {
	b = append(b, ' ')
	b = appendDigits(b, uint64(no), 1)
	if letter != 0 {
		b = append(b, letter)
	}
	if apt != 0 {
		b = append(b, " lgh "...)
		b = appendDigits(b, uint64(apt), 4)
	}
	return b
}

// pnrKey packs an identity number into the index of the taken-bitset.
func (g *generator) pnrKey(p pnrNum, day int) uint32 {
	k := uint32(day)*1000 + uint32(p.serial)
	if p.samord {
		k += uint32(len(g.cal.days)) * 1000
	}
	return k
}

func (g *generator) pnrFromKey(k uint32) pnrNum {
	n := uint32(len(g.cal.days)) * 1000
	p := pnrNum{samord: k >= n}
	k %= n
	p.date = g.cal.days[k/1000]
	p.serial = uint16(k % 1000)
	return p
}

// drawPNR draws an identity number no earlier person has, and records it.
func (g *generator) drawPNR(id uint32, male bool) pnrNum {
	r := newRNG(g.cfg.Seed, streamPNR, uint64(id))
	parity := uint16(0)
	if male {
		parity = 1
	}
	samord := r.chance(0.01)
	for {
		var age int
		if r.chance(0.003) {
			age = 101 + r.intn(5)
		} else {
			age = 18 + r.intn(50) + r.intn(30)
		}
		day := g.cal.asOfIdx - age*365 - age/4 - 1 - r.intn(364)
		if day < 0 {
			continue
		}
		for try := 0; try < 8; try++ {
			// Birth numbers run 001-999 (000 is never issued); the last
			// digit's parity is the gender.
			lo := 1 - int(parity) // an even serial starts at 002
			p := pnrNum{date: g.cal.days[day], serial: uint16(2*(lo+r.intn(500-lo))) + uint16(parity), samord: samord}
			k := g.pnrKey(p, day)
			if g.pnrTaken[k>>6]&(1<<(k&63)) == 0 {
				g.pnrTaken[k>>6] |= 1 << (k & 63)
				g.pnrKeys = append(g.pnrKeys, k)
				return p
			}
		}
	}
}

// appendEmailLocal writes the local part for the person's style.
func (p *person) appendEmailLocal(b []byte) []byte {
	first := firstWord(p.first)
	switch p.emailStyle {
	case emFirstDotLast:
		b = append(appendFolded(b, first), '.')
		b = appendFolded(b, p.last)
	case emFirstLast:
		b = appendFolded(appendFolded(b, first), p.last)
	case emInitialDotLast:
		_, n := utf8.DecodeRune(first) // the initial is a letter, not its first byte
		b = append(appendFolded(b, first[:n]), '.')
		b = appendFolded(b, p.last)
	case emFirstDotLastNN:
		b = append(appendFolded(b, first), '.')
		b = appendFolded(b, p.last)
		b = appendDigits(b, uint64(p.emailNum), 2)
	case emFirstUnderLast:
		b = append(appendFolded(b, first), '_')
		b = appendFolded(b, p.last)
	case emLastDotFirst:
		b = append(appendFolded(b, p.last), '.')
		b = appendFolded(b, first)
	case emFirstNN:
		b = appendFolded(b, first)
		b = appendDigits(b, uint64(p.emailNum), 2)
	case emUnique:
		b = append(appendFolded(b, first), '.')
		b = appendFolded(b, p.last)
		b = appendDigits(b, uint64(p.id)+1_000_000, 7)
		return b
	}
	// A real address belongs to one person: the invented persons who share
	// a name must not share an address (at a million rows thousands do),
	// so the person id follows, written after a dot.
	b = append(b, '.')
	return strconv.AppendUint(b, uint64(p.id), 10)
}

func firstWord(b []byte) []byte {
	for i, c := range b {
		if c == ' ' {
			return b[:i]
		}
	}
	return b
}

// appendFolded writes s in lower case ASCII: å ä → a, ö → o, é → e,
// ü → u; spaces dropped; hyphens kept.
func appendFolded(b []byte, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c == ' ':
		case c < 0x80:
			b = append(b, c)
		case c == 0xC3 && i+1 < len(s):
			i++
			switch s[i] {
			case 0xA5, 0xA4, 0x85, 0x84, 0xA0, 0xA1, 0x80, 0x81: // å ä Å Ä à á
				b = append(b, 'a')
			case 0xB6, 0x96, 0xB8, 0x98, 0xB3, 0x93: // ö Ö ø Ø ó Ó
				b = append(b, 'o')
			case 0xA9, 0x89, 0xA8, 0x88: // é É è È
				b = append(b, 'e')
			case 0xBC, 0x9C: // ü Ü
				b = append(b, 'u')
			}
		}
	}
	return b
}
