package rules

import "testing"

// parsePersonnummerRef is parsePersonnummer as first written, every layout
// through the general loop: the reference for pnrCommonDigits.
func parsePersonnummerRef(s string, asOf Date) Identity {
	var id Identity
	if s == "" {
		id.Reason = IDMissing
		return id
	}
	var d [12]byte
	n := 0
	sep := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(d) {
				id.Reason = IDFormat
				return id
			}
			d[n] = c
			n++
		case (c == '-' || c == '+') && sep == 0 && (n == 6 || n == 8) && len(s)-i-1 == 4:
			sep = c
		default:
			id.Reason = IDFormat
			return id
		}
	}
	if n != 10 && n != 12 {
		id.Reason = IDFormat
		return id
	}
	short := d[n-10 : n] // YYMMDDNNNC
	if short[6] == '0' && short[7] == '0' && short[8] == '0' {
		id.Reason = IDFormat // birth number 000 is never issued
		return id
	}
	if !luhn(short) {
		id.Reason = IDChecksum
		return id
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
		return id
	}
	var year int
	if n == 12 {
		year = int(d[0]-'0')*1000 + int(d[1]-'0')*100 + yy
	} else {
		year = asOf.Year - ((asOf.Year-yy)%100+100)%100
		if (Date{year, month, day}).ord() > asOf.ord() {
			year -= 100
		}
		if sep == '+' {
			year -= 100
		}
	}
	if day > daysIn(year, month) || (Date{year, month, day}).ord() > asOf.ord() {
		id.Reason = IDDate
		return id
	}
	id.Valid = true
	id.Kind = kind
	id.Birth = Date{year, month, day}
	id.Gender = 'F'
	if (short[8]-'0')%2 == 1 {
		id.Gender = 'M'
	}
	id.num[0] = byte('0' + year/1000%10)
	id.num[1] = byte('0' + year/100%10)
	copy(id.num[2:], short)
	id.n = 12
	return id
}

func FuzzPersonnummerLayouts(f *testing.F) {
	for _, s := range []string{"198211059954", "821105-9954", "090527+1474", "19090527+1474", "8211059954", "82110599a4", "821105 9954", "82110-59954", "", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := parsePersonnummer(s, asOf2026), parsePersonnummerRef(s, asOf2026); got != want {
			t.Fatalf("parsePersonnummer(%q) = %+v, reference %+v", s, got, want)
		}
	})
}

// luhnRef is the Luhn check written out: double every other digit from
// the first, sum the digits of the products and the other digits.
func luhnRef(b []byte) bool {
	sum := 0
	for i := 0; i < 9; i++ {
		d := int(b[i] - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10-sum%10)%10 == int(b[9]-'0')
}

// TestLuhnRef compares luhn with luhnRef on every digit in every place
// and on pseudo-random numbers.
func TestLuhnRef(t *testing.T) {
	check := func(b []byte) {
		t.Helper()
		if got, want := luhn(b), luhnRef(b); got != want {
			t.Fatalf("luhn(%s) = %v, reference %v", b, got, want)
		}
	}
	for pos := 0; pos < 10; pos++ {
		for c := byte('0'); c <= '9'; c++ {
			b := []byte("8112189876")
			b[pos] = c
			check(b)
		}
	}
	x := uint64(88172645463325252)
	for range 200000 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b := make([]byte, 10)
		for i, y := 0, x; i < 10; i, y = i+1, y/10 {
			b[i] = '0' + byte(y%10)
		}
		check(b)
	}
}
