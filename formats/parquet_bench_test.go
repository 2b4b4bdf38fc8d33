package formats

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// washedRows returns n rows shaped like the rows a wash of a generated
// Swedish delivery writes (listwash gen, 300k rows, registers supplied):
// per column the share of empty values, the cardinality and the lengths
// follow that output. Names and streets repeat (a few thousand distinct),
// identifiers, e-mails and numbers are unique per person, the raw copies
// mostly equal the normalised value but differ in format for numbers,
// postal codes and personnummer, and the optional marks are set where a
// register was supplied (nix, robinson, dnc, deceased) and NULL elsewhere.
func washedRows(n int) []Row {
	var (
		firsts = []string{"Anna", "Eva", "Maria", "Karin", "Kerstin", "Lena", "Ingrid", "Sara", "Emma", "Cecilia", "Lise-Lott", "Solveig", "Gun", "Jenny", "Ulla", "Birgitta",
			"Lars", "Erik", "Karl", "Anders", "Johan", "Per", "Magnus", "Thomas", "Ingvar", "Melvin", "Mikael", "Nils", "Jan", "Olof", "Gustav", "Carl-Henrik", "Åke", "Örjan"}
		lasts   = []string{"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Svensson", "Gustafsson", "Olofsson", "Åkesson", "Kowalski", "Nowak", "Åhlén"}
		lastA   = []string{"Berg", "Lind", "Sjö", "Ek", "Holm", "Dahl", "Lund", "Ny", "Ström", "Sand", "Öst", "Väst", "Hag", "Fors", "Nord", "Sund", "Wall", "Gran", "Björk", "Å", "Lönn", "Söder", "Eng", "Berg"}
		lastB   = []string{"berg", "lund", "ström", "qvist", "gren", "man", "holm", "dahl", "blad", "ling", "stedt", "vall", "kvist", "näs", "lén"}
		streets = []string{"Storgatan", "Östervägen", "Prästgårdsgatan", "Järnvägsbacke", "Rönngränd", "Drottningvägen", "Kungsvägen", "Hamnbacke", "Sjövägen", "Linnébacke",
			"Västra Långgatan", "Blåbärsvägen", "Skolgatan", "Kyrkogatan", "Björkvägen", "Tallstigen", "Ängsvägen", "Parkgatan", "Industrigatan", "Mejerigatan"}
		cities = []string{"Stockholm", "Göteborg", "Malmö", "Uppsala", "Västerås", "Örebro", "Linköping", "Solna", "Vällingby", "Skärholmen", "Hägersten", "Eskilstuna",
			"Karlstad", "Skellefteå", "Härnösand", "Umeå", "Lund", "Borås", "Gävle", "Sundsvall", "Växjö", "Jönköping", "Norrköping", "Halmstad"}
		domains  = []string{"gmail.com", "hotmail.se", "hotmail.com", "outlook.com", "telia.com", "yahoo.se", "icloud.com", "live.se"}
		reasons  = []string{"NO_PHONE", "PHONE_INVALID", "NIX_LISTED", "DECEASED", "DUPLICATE", "EMAIL_INVALID", "POSTAL_INVALID", "PNR_INVALID", "INTERNAL_DNC"}
		validTo  = []string{"2026-12-20", "2027-01-20", "2027-02-20", "2027-03-20", "2027-04-20", "2027-05-20"}
		scores   = []float32{0.82, 0.85, 0.88, 0.9, 0.93, 0.95, 0.97, 1}
		rng      = rand.New(rand.NewPCG(1, 2))
		nixVer   = "2026-11-20"
		fold     = strings.NewReplacer("å", "a", "ä", "a", "ö", "o", "é", "e", "Å", "a", "Ä", "a", "Ö", "o", "-", " ")
		pct      = func(p int) bool { return rng.IntN(1000) < p*10 }
		digits   = func(k int) string { return strconv.FormatUint(uint64(rng.Int64N(9e12))%pow10(k)+pow10(k), 10)[1:] }
		rawPhone = func(e164 string) string {
			nat := "0" + e164[3:]
			switch rng.IntN(4) {
			case 0:
				return nat
			case 1:
				return nat[:3] + "-" + nat[3:6] + " " + nat[6:8] + " " + nat[8:]
			case 2:
				return e164
			default:
				return nat[:3] + " " + nat[3:6] + " " + nat[6:8] + " " + nat[8:]
			}
		}
	)
	postcodes := make([]string, 9400) // as many as a 150k-row delivery uses
	for i := range postcodes {
		postcodes[i] = strconv.Itoa(10000 + rng.IntN(89000))
	}
	rows := make([]Row, n)
	for i := range rows {
		r := &rows[i]
		r.SourceFile, r.SourceLine, r.Supplier, r.RunID = "delivery.csv", int64(i+2), "delivery", "20261123T025602Z-89d5e44e"
		r.FirstName, r.LastName = firsts[rng.IntN(len(firsts))], lasts[rng.IntN(len(lasts))]
		if rng.IntN(2) == 0 {
			r.LastName = lastA[rng.IntN(len(lastA))] + lastB[rng.IntN(len(lastB))]
		}
		if pct(2) { // a typo: unique
			r.LastName += strconv.Itoa(i)
		}
		if pct(15) {
			r.FirstName += " " + firsts[rng.IntN(len(firsts))]
		}
		r.FirstNameRaw, r.LastNameRaw = r.FirstName, r.LastName
		r.NameKey = strings.ToLower(fold.Replace(r.FirstName + " " + r.LastName))

		r.StreetName, r.StreetNumber = streets[rng.IntN(len(streets))], strconv.Itoa(1+rng.IntN(120))
		r.Street = r.StreetName + " " + r.StreetNumber
		if pct(12) {
			r.StreetLetter = string(rune('A' + rng.IntN(4)))
			r.Street += r.StreetLetter
		}
		if pct(25) {
			r.Apartment = "1" + digits(3)
			r.Street += " lgh " + r.Apartment
		}
		r.StreetRaw = r.Street
		if pct(10) {
			r.StreetRaw = strings.Replace(r.Street, "gatan", "g.", 1)
		}
		if pct(1) {
			r.CO = "c/o " + lasts[rng.IntN(len(lasts))]
		}
		pc := postcodes[rng.IntN(len(postcodes))]
		r.PostalCode = pc[:3] + " " + pc[3:]
		if pct(40) {
			r.PostalCodeRaw = pc
		} else {
			r.PostalCodeRaw = r.PostalCode
		}
		r.City = cities[rng.IntN(len(cities))]
		r.CityRaw, r.Country = r.City, "SE"
		r.PostalValid = pct(99)

		year, month, day := 1930+rng.IntN(75), 1+rng.IntN(12), 1+rng.IntN(28)
		ymd := strconv.Itoa(year) + two(month) + two(day)
		if pct(99) {
			r.PNR = ymd + digits(4)
			r.BirthDate = ymd[:4] + "-" + ymd[4:6] + "-" + ymd[6:]
			r.Gender, r.IDKind, r.PNRValid = "F", "personnummer", true
			if rng.IntN(2) == 0 {
				r.Gender = "M"
			}
			switch rng.IntN(4) {
			case 0:
				r.PNRRaw = r.PNR
			case 1:
				r.PNRRaw = r.PNR[2:]
			case 2:
				r.PNRRaw = r.PNR[:8] + "-" + r.PNR[8:]
			default:
				r.PNRRaw = r.PNR[2:8] + "-" + r.PNR[8:]
			}
		}

		if pct(80) {
			r.Email = strings.ToLower(fold.Replace(r.FirstName)) + "." + strings.ToLower(fold.Replace(r.LastName)) + strconv.Itoa(i) + "@" + domains[rng.IntN(len(domains))]
			r.Email = strings.ReplaceAll(r.Email, " ", "")
			r.EmailRaw, r.EmailValid = r.Email, true
		}
		if pct(28) {
			if rng.IntN(3) == 0 {
				r.PhoneE164, r.PhoneType = "+467"+digits(8), "mobile"
			} else {
				r.PhoneE164, r.PhoneType = "+46"+strconv.Itoa(1+rng.IntN(9))+digits(8), "fixed_line"
			}
			r.PhoneRaw, r.PhoneValid = rawPhone(r.PhoneE164), true
		}
		if pct(85) {
			r.MobileE164, r.MobileType = "+467"+digits(8), "mobile"
			r.MobileRaw, r.MobileValid = rawPhone(r.MobileE164), true
		}
		if pct(2) {
			r.Phones = []string{"+467" + digits(8)}
		}

		r.NIXListed, r.NIXConsent, r.NIXVersion = Bool(pct(11)), Bool(pct(3)), &nixVer
		if r.MobileE164 != "" || r.PhoneE164 != "" {
			r.ValidUntil = &validTo[rng.IntN(len(validTo))]
		}
		r.Robinson, r.InternalDNC, r.Deceased = False, Bool(rng.IntN(500) == 0), Bool(rng.IntN(200) == 0)
		if pct(6) {
			r.DuplicateOf = int64(2 + rng.IntN(i+1))
			r.MatchScore = scores[rng.IntN(len(scores))]
		}
		if !*r.NIXListed && !*r.Deceased {
			if r.MobileE164 != "" {
				r.Callable, r.CallableNumber = true, r.MobileE164
			} else if r.PhoneE164 != "" {
				r.Callable, r.CallableNumber = true, r.PhoneE164
			}
		}
		r.Mailable = !*r.Deceased && pct(93)
		if pct(20) {
			r.Reasons = append(r.Reasons, reasons[rng.IntN(len(reasons))])
			if pct(15) {
				r.Reasons = append(r.Reasons, reasons[rng.IntN(len(reasons))])
			}
		}
	}
	return rows
}

func pow10(k int) uint64 {
	p := uint64(1)
	for range k {
		p *= 10
	}
	return p
}

func two(v int) string {
	if v < 10 {
		return "0" + strconv.Itoa(v)
	}
	return strconv.Itoa(v)
}

// countingWriter discards what it is given and counts it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// BenchmarkRowWriter writes one row group of 128K washed rows in batches
// of 4096, as one pipeline goroutine does, and reports rows/s (one core)
// and output bytes per row. On a shared machine wall time varies by 10%
// or more; for A/B compare instructions instead (GOMAXPROCS=1 keeps the
// scheduler's spinning, which varies by 50M instructions, out):
//
//	go test -c -o /tmp/f.test ./formats
//	GOMAXPROCS=1 GOGC=off GODEBUG=asyncpreemptoff=1 valgrind --tool=cachegrind --cache-sim=no \
//	    /tmp/f.test -test.run XXX -test.bench 'RowWriter$' -test.benchtime 1x
//
// and subtract the same run of BenchmarkWashedRows, which only builds the
// rows.
func BenchmarkRowWriter(b *testing.B) {
	rows := washedRows(DefaultRowGroupRows)
	var out countingWriter
	for b.Loop() {
		out.n = 0
		w := NewRowWriter(&out, 0, nil)
		for i := 0; i < len(rows); i += 4096 {
			if err := w.Write(rows[i:min(i+4096, len(rows))]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(out.n)/float64(len(rows)), "B/row")
}

// BenchmarkWashedRows only builds the rows of BenchmarkRowWriter: the
// baseline to subtract from its instruction count.
func BenchmarkWashedRows(b *testing.B) {
	var rows []Row
	for b.Loop() {
		rows = washedRows(DefaultRowGroupRows)
	}
	b.ReportMetric(float64(len(rows)), "rows")
}
