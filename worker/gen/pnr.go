package gen

import "time"

// calendar maps a day index (days since 1900-01-01) to its date, packed as
// yyyymmdd, for every day up to the as-of date.
type calendar struct {
	days    []uint32
	asOfIdx int
}

const firstYear = 1900

func newCalendar(asOf time.Time) calendar {
	start := time.Date(firstYear, 1, 1, 0, 0, 0, 0, time.UTC)
	n := int(asOf.Sub(start).Hours()/24) + 1
	c := calendar{days: make([]uint32, n), asOfIdx: n - 1}
	y, m, d := firstYear, 1, 1
	for i := range c.days {
		c.days[i] = uint32(y*10000 + m*100 + d)
		d++
		if d > daysIn(y, m) {
			d, m = 1, m+1
			if m > 12 {
				m, y = 1, y+1
			}
		}
	}
	return c
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// pnrNum is a personnummer or samordningsnummer: birth date, three serial
// digits (the last odd for men) and the check digit.
type pnrNum struct {
	date   uint32 // yyyymmdd, real birth date
	serial uint16
	samord bool // day + 60
}

// age returns the age in whole years at the packed date asOf.
func (p pnrNum) age(asOf uint32) int {
	a := int(asOf/10000) - int(p.date/10000)
	if asOf%10000 < p.date%10000 {
		a--
	}
	return a
}

// luhn returns the check digit over the ten digits YYMMDDNNN.
func luhn(d *[9]byte) byte {
	sum := 0
	for i, c := range d {
		v := int(c - '0')
		if i%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return byte('0' + (10-sum%10)%10)
}

// Written forms of an identity number.
const (
	nfLong     = iota // 198211059954
	nfLongDash        // 19821105-9954
	nfShort           // 821105-9954 (+ from the year of the 100th birthday)
	nfShortRaw        // 8211059954
)

// pnrDigits are the digits as written before the form is applied: century,
// YYMMDD, serial, check. Defects edit them.
type pnrDigits struct {
	cc  [2]byte
	d   [9]byte // YYMMDDNNN
	chk byte
}

func (p pnrNum) digits() pnrDigits {
	var x pnrDigits
	y, md := p.date/10000, p.date%10000
	if p.samord {
		md += 60
	}
	x.cc = [2]byte{byte('0' + y/1000), byte('0' + y/100%10)}
	x.d = [9]byte{byte('0' + y/10%10), byte('0' + y%10), byte('0' + md/1000), byte('0' + md/100%10),
		byte('0' + md/10%10), byte('0' + md%10), byte('0' + p.serial/100), byte('0' + p.serial/10%10), byte('0' + p.serial%10)}
	x.chk = luhn(&x.d)
	return x
}

// appendForm writes the digits in form f; plus selects '+' for nfShort.
func (x *pnrDigits) appendForm(b []byte, f uint8, plus bool) []byte {
	switch f {
	case nfLong, nfLongDash:
		b = append(b, x.cc[:]...)
		b = append(b, x.d[:6]...)
		if f == nfLongDash {
			b = append(b, '-')
		}
	case nfShort:
		b = append(b, x.d[:6]...)
		if plus {
			b = append(b, '+')
		} else {
			b = append(b, '-')
		}
	default:
		b = append(b, x.d[:6]...)
	}
	b = append(b, x.d[6:]...)
	return append(b, x.chk)
}

// append12 writes the normalised 12 digits.
func (x *pnrDigits) append12(b []byte) []byte { return x.appendForm(b, nfLong, false) }

// formsFor lists the written forms that read back unambiguously for a
// person of this age: no '-' near the 100th birthday (readers differ on the
// reference date), no bare 10 digits where the century could be misread.
func (p pnrNum) formsFor(asOf uint32) (short, raw bool) {
	a := p.age(asOf)
	y := int(p.date / 10000)
	ay := int(asOf / 10000)
	short = a <= 97 || a >= 101
	raw = a <= 97 && (y >= 2000 || y%100 > ay%100+5)
	return short, raw
}
