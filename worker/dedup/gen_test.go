package dedup

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/listwash/listwash/formats"
)

// A generator of synthetic deliveries with ground truth: base persons, then
// copies (exact, typo'd, swapped, reformatted) and look-alikes that are other
// people (twins, father and son, housemates sharing a phone, namesakes).
// Rows are filled the way the normaliser fills them.

var (
	genFirst = strings.Fields(`Anna Maria Eva Karin Kristina Lena Sara Emma Ingrid Marie
		Malin Elin Ida Linnea Johanna Sofia Hanna Julia Ulla Birgitta Astrid Maja
		Ebba Alice Agnes Elsa Wilma Klara Lisa Camilla Erik Lars Karl Anders Johan Per
		Nils Mikael Jan Hans Peter Fredrik Daniel Mattias Magnus Oskar Gustav Axel
		Viktor Emil Lucas William Hugo Liam Noah Elias Ludvig Filip Adam Isak Sven
		Bengt Åke Göran Kjell Stefan Thomas Marcus Andreas Jonas Björn Ola Tobias`)
	genLast = strings.Fields(`Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson
		Persson Svensson Gustafsson Pettersson Jonsson Jansson Hansson Bengtsson
		Jönsson Lindberg Jakobsson Magnusson Olofsson Lindström Lindqvist Lindgren
		Berg Axelsson Bergström Lundberg Lind Lundgren Lundqvist Mattsson Berglund
		Fredriksson Sandberg Henriksson Forsberg Sjöberg Wallin Engström Eklund Danielsson
		Håkansson Lundin Björk Bergman Gunnarsson Holm Wikström Samuelsson Isaksson
		Fransson Bergqvist Nyström Holmberg Arvidsson Löfgren Söderberg Nyberg Blomqvist
		Claesson Nordström Mårtensson Lundström Viklund Björklund Eliasson Pålsson`)
	genStreets = strings.Fields(`Storgatan Kungsgatan Drottninggatan Skolgatan Järnvägsgatan
		Kyrkogatan Nygatan Parkvägen Ringvägen Skogsvägen Björkvägen Industrivägen
		Trädgårdsgatan Strandvägen Södra_vägen Västra_gatan Östra_gatan Torggatan
		Backvägen Ekvägen Lärkvägen Sjövägen Villavägen Granvägen Tallvägen Hamngatan
		Bergsgatan Prästgatan Smedjegatan Norra_vägen Furuvägen Lindvägen Åkervägen
		Ängsvägen Solvägen Kvarngatan Bryggargatan Fabriksgatan Hantverkargatan Stationsgatan`)
	genTowns = [][2]string{{"111 22", "Stockholm"}, {"113 30", "Stockholm"}, {"118 20", "Stockholm"},
		{"411 19", "Göteborg"}, {"413 04", "Göteborg"}, {"211 22", "Malmö"}, {"214 20", "Malmö"},
		{"753 20", "Uppsala"}, {"582 22", "Linköping"}, {"702 10", "Örebro"}, {"721 30", "Västerås"},
		{"602 24", "Norrköping"}, {"252 20", "Helsingborg"}, {"553 16", "Jönköping"},
		{"903 26", "Umeå"}, {"222 21", "Lund"}, {"803 20", "Gävle"}, {"151 73", "Södertälje"},
		{"631 86", "Eskilstuna"}, {"852 30", "Sundsvall"}, {"352 31", "Växjö"}, {"972 33", "Luleå"},
		{"461 30", "Trollhättan"}, {"831 30", "Östersund"}, {"302 42", "Halmstad"}, {"392 34", "Kalmar"},
		{"541 30", "Skövde"}, {"651 84", "Karlstad"}, {"791 71", "Falun"}, {"371 33", "Karlskrona"}}
)

// copy kinds; kindBase and look-alikes are persons of their own.
const (
	genBase = iota
	genExact
	genTypo
	genSwap
	genReformat
	genTwin
	genParent
	genHousemate
)

type genRow struct {
	person int // ground truth
	kind   int
	base   int // index of the person's base row
}

type generator struct {
	rnd    *rand.Rand
	serial int
	phones int
	rows   []formats.Row
	truth  []genRow
}

func newGenerator(seed uint64) *generator {
	return &generator{rnd: rand.New(rand.NewPCG(seed, 0x5eed))}
}

func luhnPNR(date string, serial int) string {
	s := date[2:] + strconv.Itoa(100+serial%900)
	sum := 0
	for i := 0; i < 9; i++ {
		d := int(s[i] - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return date + s[6:] + strconv.Itoa((10-sum%10)%10)
}

func (g *generator) pick(list []string) string { return list[g.rnd.IntN(len(list))] }

func (g *generator) birth(lo, hi int) string {
	y := lo + g.rnd.IntN(hi-lo)
	return strconv.Itoa(y) + "-" + pad2(1+g.rnd.IntN(12)) + "-" + pad2(1+g.rnd.IntN(28))
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func (g *generator) setBirth(r *formats.Row, birth string, withPNR bool) {
	r.PNR, r.PNRValid, r.BirthDate = "", false, ""
	if withPNR {
		g.serial++
		date := strings.ReplaceAll(birth, "-", "")
		r.PNR, r.PNRValid, r.BirthDate = luhnPNR(date, g.serial), true, birth
	}
}

func (g *generator) mobile() string {
	g.phones++
	return "+46707" + strconv.Itoa(1000000 + g.phones)[1:]
}

func (g *generator) landline() string {
	g.phones++
	return "+468" + strconv.Itoa(10000000 + g.phones)[1:]
}

// person returns a new base person.
func (g *generator) person() formats.Row {
	r := formats.Row{FirstName: g.pick(genFirst), LastName: g.pick(genLast)}
	if g.rnd.IntN(10) == 0 {
		r.FirstName += " " + g.pick(genFirst)
	}
	g.setAddress(&r)
	g.setBirth(&r, g.birth(1935, 2005), g.rnd.IntN(10) < 6)
	if g.rnd.IntN(10) < 8 {
		r.MobileE164, r.MobileValid, r.MobileRaw = g.mobile(), true, "070-"
	}
	if g.rnd.IntN(10) < 3 {
		r.PhoneE164, r.PhoneValid = g.landline(), true
	}
	if g.rnd.IntN(2) == 0 {
		g.serial++
		r.Email = strings.ToLower(Fold(r.FirstName)+"."+Fold(r.LastName)) + strconv.Itoa(g.serial) + "@example.se"
		r.Email = strings.ReplaceAll(r.Email, " ", "")
		r.EmailValid = true
	}
	return r
}

func (g *generator) setAddress(r *formats.Row) {
	town := genTowns[g.rnd.IntN(len(genTowns))]
	r.StreetName = strings.ReplaceAll(g.pick(genStreets), "_", " ")
	r.StreetNumber = strconv.Itoa(1 + g.rnd.IntN(120))
	r.Street = r.StreetName + " " + r.StreetNumber
	if g.rnd.IntN(10) == 0 {
		r.StreetLetter = "B"
		r.Street += " B"
	}
	r.Apartment = ""
	if g.rnd.IntN(10) < 3 {
		r.Apartment = strconv.Itoa(1001 + g.rnd.IntN(500))
	}
	r.PostalCode, r.PostalValid, r.City = town[0], true, town[1]
}

// typo changes one letter of s after the first: substitution, deletion,
// insertion or transposition.
func (g *generator) typo(s string) string {
	b := []byte(s)
	var at []int
	for i := 1; i+1 < len(b); i++ {
		if isASCIILetter(b[i]) && isASCIILetter(b[i+1]) {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return s + "e"
	}
	i := at[g.rnd.IntN(len(at))]
	switch g.rnd.IntN(4) {
	case 0:
		c := b[i]
		for c == b[i] {
			c = "aeiounrstl"[g.rnd.IntN(10)]
		}
		b[i] = c
	case 1:
		b = append(b[:i], b[i+1:]...)
	case 2:
		b = append(b[:i+1], b[i:]...)
	default:
		if b[i] == b[i+1] {
			b = append(b[:i], b[i+1:]...)
		} else {
			b[i], b[i+1] = b[i+1], b[i]
		}
	}
	return string(b)
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func dropEmail(r *formats.Row) { r.Email, r.EmailValid = "", false }

// add appends a row with its truth and a line number.
func (g *generator) add(r formats.Row, person, kind, base int) int {
	r.SourceLine = int64(len(g.rows) + 2)
	g.rows = append(g.rows, r)
	g.truth = append(g.truth, genRow{person: person, kind: kind, base: base})
	return len(g.rows) - 1
}

// generate makes persons base persons with copies and look-alikes; the
// rows come shuffled (copies are not next to their originals) but with
// increasing lines.
func (g *generator) generate(persons int) {
	type item struct {
		r    formats.Row
		p, k int
	}
	var items []item
	var bases []formats.Row
	pid := 0
	newPerson := func(r formats.Row, kind int) {
		items = append(items, item{r, pid, kind})
		bases = append(bases, r)
		pid++
	}
	for range persons {
		newPerson(g.person(), genBase)
	}
	for p := range persons {
		b := bases[p]
		switch x := g.rnd.IntN(100); {
		case x < 3: // twin: same surname, address, birth; own name, pnr, phone
			t := b
			for t.FirstName == b.FirstName {
				t.FirstName = g.pick(genFirst)
			}
			g.setBirth(&t, b.BirthDate, b.PNRValid)
			if t.MobileE164 != "" {
				t.MobileE164 = g.mobile()
			}
			dropEmail(&t)
			newPerson(t, genTwin)
		case x < 5 && b.PNRValid: // parent with the same name at the same address
			t := b
			g.setBirth(&t, g.birth(1930, 1960), true)
			t.MobileE164, t.MobileValid = g.mobile(), true
			dropEmail(&t)
			newPerson(t, genParent)
		case x < 8: // housemate sharing the landline
			t := b
			for strings.Contains(b.FirstName, t.FirstName) {
				t.FirstName = g.pick(genFirst)
			}
			if g.rnd.IntN(2) == 0 {
				t.LastName = g.pick(genLast)
			}
			g.setBirth(&t, g.birth(1935, 2005), g.rnd.IntN(2) == 0)
			if b.PhoneE164 == "" {
				bases[p].PhoneE164, bases[p].PhoneValid = g.landline(), true
				items[p].r = bases[p]
			}
			t.PhoneE164, t.PhoneValid = bases[p].PhoneE164, true
			t.MobileE164, t.MobileValid = "", false
			dropEmail(&t)
			newPerson(t, genHousemate)
		}
	}
	for p := range persons {
		b := bases[p]
		if g.rnd.IntN(100) < 10 {
			c := b
			c.MobileRaw = "+46 70 7" // raw differs, normalised equal
			items = append(items, item{c, p, genExact})
		}
		if g.rnd.IntN(100) < 8 {
			c := b
			if g.rnd.IntN(2) == 0 {
				c.FirstName = g.typo(c.FirstName)
			} else {
				c.LastName = g.typo(c.LastName)
			}
			if g.rnd.IntN(2) == 0 {
				dropEmail(&c)
			}
			items = append(items, item{c, p, genTypo})
		}
		if g.rnd.IntN(100) < 4 {
			c := b
			c.FirstName, c.LastName = c.LastName, c.FirstName
			if g.rnd.IntN(2) == 0 {
				c.PhoneE164, c.PhoneValid = "", false
			}
			items = append(items, item{c, p, genSwap})
		}
		if g.rnd.IntN(100) < 5 {
			c := b
			c.MobileRaw = "0046 707"
			if c.Email != "" {
				c.Email = strings.ToUpper(c.Email[:1]) + c.Email[1:]
			}
			if g.rnd.IntN(3) == 0 {
				c.PNR, c.PNRValid, c.BirthDate = "", false, ""
			}
			c.StreetRaw = "Storg. 12" // standardised alike
			c.City = strings.ToUpper(c.City)
			items = append(items, item{c, p, genReformat})
		}
	}
	// Shuffle, keep each person's base before its copies (the base is the
	// expected survivor: copies never add a field).
	g.rnd.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	baseIdx := make([]int, pid)
	for i := range baseIdx {
		baseIdx[i] = -1
	}
	var later []item
	for _, it := range items {
		if it.k == genBase || it.k >= genTwin {
			baseIdx[it.p] = g.add(it.r, it.p, it.k, -1)
			g.truth[baseIdx[it.p]].base = baseIdx[it.p]
			continue
		}
		if baseIdx[it.p] < 0 {
			later = append(later, it)
			continue
		}
		g.add(it.r, it.p, it.k, baseIdx[it.p])
	}
	for _, it := range later {
		g.add(it.r, it.p, it.k, baseIdx[it.p])
	}
}
