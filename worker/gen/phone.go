package gen

// phoneNum is a Swedish number as area code and subscriber number, both
// without the trunk 0: 070-123 45 67 is {area 70, sub 1234567, subLen 7}.
type phoneNum struct {
	area   uint16
	sub    uint32
	subLen uint8
}

const mobileSpace = 5 * 10_000_000

var mobileAreas = [5]uint16{70, 72, 73, 76, 79}

// mobileAt returns the mobile number with index v in [0, mobileSpace).
func mobileAt(v uint64) phoneNum {
	return phoneNum{area: mobileAreas[v/10_000_000], sub: uint32(v % 10_000_000), subLen: 7}
}

// landBlock is a share of the landline number space: subscriber numbers of
// one length under one area code, first digit 1-9. Every block is valid
// as a fixed line for libphonenumber (checked in the tests).
type landBlock struct {
	area   uint16
	subLen uint8
	count  uint32
}

var landBlocks = []landBlock{
	{8, 8, 31_000_000}, {8, 7, 9_000_000}, {8, 6, 400_000},
	{31, 7, 9_000_000}, {31, 6, 900_000},
	{40, 7, 9_000_000}, {40, 6, 900_000}, {40, 5, 90_000},
	{46, 7, 9_000_000}, {46, 6, 900_000}, {46, 5, 90_000},
	{18, 7, 9_000_000}, {18, 6, 900_000},
	{90, 7, 9_000_000}, {90, 6, 900_000}, {90, 5, 90_000},
}

var landSpace = func() uint64 {
	var n uint64
	for _, b := range landBlocks {
		n += uint64(b.count)
	}
	return n
}()

var pow10 = [...]uint32{1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000}

// landAt returns the landline with index v in [0, landSpace).
func landAt(v uint64) phoneNum {
	for _, b := range landBlocks {
		if v < uint64(b.count) {
			return phoneNum{area: b.area, sub: pow10[b.subLen-1] + uint32(v), subLen: b.subLen}
		}
		v -= uint64(b.count)
	}
	panic("gen: landline index out of range")
}

func (n phoneNum) isMobile() bool { return n.area >= 70 && n.area <= 79 }

// appendE164 writes "+46701234567".
func (n phoneNum) appendE164(b []byte) []byte {
	b = append(b, "+46"...)
	b = appendDigits(b, uint64(n.area), 1)
	return appendDigits(b, uint64(n.sub), int(n.subLen))
}

// Written forms of a phone number.
const (
	pfDashGrouped = iota // 070-123 45 67
	pfCompact            // 0701234567
	pfIntlSpaced         // +46 70 123 45 67
	pfIntlTrunk          // +46 (0)70-123 45 67
	pfParen              // (070) 123 45 67
	pf0046               // 0046701234567
	pf46                 // 46701234567 (mobiles only: ambiguous for some landlines)
	pfDashCompact        // 070-1234567
	pfSpaced             // 070 123 45 67
	pfE164               // +46701234567
	numPhoneForms
)

// phoneFormWeights draws common forms more often.
var phoneFormWeights = []uint8{
	pfDashGrouped, pfDashGrouped, pfDashGrouped, pfDashGrouped, pfCompact, pfCompact, pfCompact, pfCompact,
	pfIntlSpaced, pfIntlSpaced, pfIntlTrunk, pfParen, pf0046, pf46, pfDashCompact, pfDashCompact,
	pfSpaced, pfSpaced, pfE164, pfE164,
}

func drawPhoneForm(r *rng, mobile bool) uint8 {
	f := pick(r, phoneFormWeights)
	if f == pf46 && !mobile {
		f = pfCompact
	}
	return f
}

// appendGroupedSub writes the subscriber number in the usual groups:
// 123 456 78, 123 45 67, 12 34 56, 123 45.
func (n phoneNum) appendGroupedSub(b []byte) []byte {
	s := n.sub
	switch n.subLen {
	case 8:
		b = appendDigits(b, uint64(s/100_000), 3)
		b = append(b, ' ')
		b = appendDigits(b, uint64(s/100%1000), 3)
		b = append(b, ' ')
		return appendDigits(b, uint64(s%100), 2)
	case 7:
		b = appendDigits(b, uint64(s/10_000), 3)
		b = append(b, ' ')
		b = appendDigits(b, uint64(s/100%100), 2)
		b = append(b, ' ')
		return appendDigits(b, uint64(s%100), 2)
	case 6:
		b = appendDigits(b, uint64(s/10_000), 2)
		b = append(b, ' ')
		b = appendDigits(b, uint64(s/100%100), 2)
		b = append(b, ' ')
		return appendDigits(b, uint64(s%100), 2)
	default:
		b = appendDigits(b, uint64(s/pow10[n.subLen-3]), 3)
		b = append(b, ' ')
		return appendDigits(b, uint64(s%pow10[n.subLen-3]), int(n.subLen-3))
	}
}

// appendForm writes the number in written form f.
func (n phoneNum) appendForm(b []byte, f uint8) []byte {
	area := uint64(n.area)
	sub, sl := uint64(n.sub), int(n.subLen)
	switch f {
	case pfDashGrouped:
		b = append(b, '0')
		b = appendDigits(b, area, 1)
		b = append(b, '-')
		return n.appendGroupedSub(b)
	case pfIntlSpaced:
		b = append(b, "+46 "...)
		b = appendDigits(b, area, 1)
		b = append(b, ' ')
		return n.appendGroupedSub(b)
	case pfIntlTrunk:
		b = append(b, "+46 (0)"...)
		b = appendDigits(b, area, 1)
		b = append(b, '-')
		return n.appendGroupedSub(b)
	case pfParen:
		b = append(b, "(0"...)
		b = appendDigits(b, area, 1)
		b = append(b, ") "...)
		return n.appendGroupedSub(b)
	case pf0046:
		b = append(b, "0046"...)
	case pf46:
		b = append(b, "46"...)
	case pfDashCompact:
		b = append(b, '0')
		b = appendDigits(b, area, 1)
		b = append(b, '-')
		return appendDigits(b, sub, sl)
	case pfSpaced:
		b = append(b, '0')
		b = appendDigits(b, area, 1)
		b = append(b, ' ')
		return n.appendGroupedSub(b)
	case pfE164:
		b = append(b, "+46"...)
	default: // pfCompact
		b = append(b, '0')
	}
	b = appendDigits(b, area, 1)
	return appendDigits(b, sub, sl)
}

// appendShort writes the area code and only the first four digits of the
// subscriber number: too short to be any valid number.
func (n phoneNum) appendShort(b []byte, dash bool) []byte {
	b = append(b, '0')
	b = appendDigits(b, uint64(n.area), 1)
	if dash {
		b = append(b, '-')
	}
	return appendDigits(b, uint64(n.sub/pow10[n.subLen-4]), 4)
}

// appendPremium writes a premium-rate number (0900 and seven digits).
func appendPremium(b []byte, r *rng) []byte {
	b = append(b, "0900-"...)
	p := phoneNum{area: 900, sub: uint32(1_000_000*(1+r.intn(8)) + r.intn(1_000_000)), subLen: 7}
	return p.appendGroupedSub(b)
}
