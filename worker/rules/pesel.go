package rules

// ParsePESEL parses a Polish PESEL: exactly 11 digits YYMMDDZZZXQ after
// trimming white space. The month carries the century: +80 for 1800-1899,
// +0 for 1900-1999, +20 for 2000-2099, +40 for 2100-2199, +60 for
// 2200-2299. Q = (10 - (sum of digits times 1,3,7,9,1,3,7,9,1,3) mod 10)
// mod 10. The 10th digit is even for women. A birth date after asOf is a
// date error.
func ParsePESEL(raw string, asOf Date) Identity {
	var id Identity
	s := trimSpace(raw)
	if s == "" {
		id.Reason = IDMissing
		return id
	}
	if len(s) != 11 || !allDigits(s) {
		id.Reason = IDFormat
		return id
	}
	weights := [10]int{1, 3, 7, 9, 1, 3, 7, 9, 1, 3}
	sum := 0
	for i, w := range weights {
		sum += int(s[i]-'0') * w
	}
	if (10-sum%10)%10 != int(s[10]-'0') {
		id.Reason = IDChecksum
		return id
	}
	yy := int(s[0]-'0')*10 + int(s[1]-'0')
	mm := int(s[2]-'0')*10 + int(s[3]-'0')
	day := int(s[4]-'0')*10 + int(s[5]-'0')
	century := [5]int{1900, 2000, 2100, 2200, 1800}[(mm/20)%5]
	month := mm % 20
	year := century + yy
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		(Date{year, month, day}).ord() > asOf.ord() {
		id.Reason = IDDate
		return id
	}
	id.Valid = true
	id.Kind = IDPESEL
	id.Birth = Date{year, month, day}
	id.Gender = 'M'
	if (s[9]-'0')%2 == 0 {
		id.Gender = 'F'
	}
	id.n = uint8(copy(id.num[:], s))
	return id
}
