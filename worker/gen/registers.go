package gen

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// regFile is one register file being written.
type regFile struct {
	f  *os.File
	bw *bufio.Writer
	n  int64 // data lines
}

// registers writes DIR/registers/ as docs/registers.md lays it out.
type registers struct {
	r                                                            rng
	files                                                        []*regFile
	nix, consents, customers, deceased, dnc, robinson, postcodes *regFile
	buf                                                          []byte
}

// NIXVersion returns the version date of the NIX file for an as-of date.
func NIXVersion(asOf time.Time) time.Time { return asOf.AddDate(0, 0, -3) }

func newRegisters(dir string, cfg Config) (*registers, error) {
	rg := &registers{r: newRNG(cfg.Seed, streamRegisters, 0), buf: make([]byte, 0, 256)}
	day := cfg.AsOf.Format(time.DateOnly)
	open := func(sub, name, header string) (*regFile, error) {
		d := filepath.Join(dir, "registers", sub)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("registers: %w", err)
		}
		f, err := os.Create(filepath.Join(d, name))
		if err != nil {
			return nil, fmt.Errorf("registers: %w", err)
		}
		rf := &regFile{f: f, bw: bufio.NewWriterSize(f, 256<<10)}
		rg.files = append(rg.files, rf)
		if header != "" {
			rf.bw.WriteString(header + "\n")
		}
		return rf, nil
	}
	var err error
	steps := []struct {
		dst               **regFile
		sub, name, header string
	}{
		{&rg.nix, "nix", "nix-" + NIXVersion(cfg.AsOf).Format(time.DateOnly) + ".txt", ""},
		{&rg.consents, "consents", "consents-" + day + ".csv", "phone,company,consent_date"},
		{&rg.customers, "customers", "customers-" + day + ".csv", "phone_or_pnr,company,contract_end"},
		{&rg.deceased, "deceased", "deceased-" + day + ".txt", ""},
		{&rg.dnc, "dnc", "dnc-" + day + ".csv", "type,value"},
		{&rg.robinson, "robinson", "robinson-" + day + ".csv", "type,value"},
		{&rg.postcodes, "postcodes", "postcodes-" + day + ".csv", "country,postal_code,place"},
	}
	for _, s := range steps {
		if *s.dst, err = open(s.sub, s.name, s.header); err != nil {
			rg.abort()
			return nil, err
		}
	}
	return rg, nil
}

func (rg *registers) line(f *regFile, b []byte) {
	f.bw.Write(append(b, '\n'))
	f.n++
}

// csvField writes s, quoted if it holds a comma or quote.
func csvField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\n") {
		return append(b, s...)
	}
	return append(append(b, '"'), strings.ReplaceAll(s, `"`, `""`)+`"`...)
}

// person records a new person's register entries.
func (g *generator) registerPerson(p *person) {
	rg := g.regs
	r := &rg.r
	for _, n := range [2]struct {
		num    phoneNum
		listed bool
		form   bool
	}{{p.mobile, p.nixMobile, true}, {p.land, p.nixLand, false}} {
		if !n.listed {
			continue
		}
		rg.line(rg.nix, n.num.appendForm(rg.buf[:0], drawPhoneForm(r, n.form)))
		if p.consent == consentNone {
			continue
		}
		b := n.num.appendForm(rg.buf[:0], drawPhoneForm(r, n.form))
		b = append(b, ',')
		if p.consent == consentOtherCompany {
			b = csvField(b, p.otherCompany)
		} else {
			b = csvField(b, g.cfg.Company)
		}
		b = append(b, ',')
		b = g.cfg.AsOf.AddDate(0, 0, -p.consentAge).AppendFormat(b, time.DateOnly)
		rg.line(rg.consents, b)
	}
	x := p.pnr.digits()
	if p.deceased {
		form := uint8(nfLong)
		if short, _ := p.pnr.formsFor(g.asOfDate); short && r.chance(0.5) {
			form = nfShort
		} else if r.chance(0.3) {
			form = nfLongDash
		}
		rg.line(rg.deceased, x.appendForm(rg.buf[:0], form, p.pnr.age(g.asOfDate) >= 100))
	}
	switch p.dnc {
	case dncPhone:
		num := p.land
		if p.hasMobile {
			num = p.mobile
		}
		rg.line(rg.dnc, num.appendForm(append(rg.buf[:0], "phone,"...), drawPhoneForm(r, num.isMobile())))
	case dncPNR:
		rg.line(rg.dnc, x.append12(append(rg.buf[:0], "pnr,"...)))
	case dncEmail:
		b := append(p.appendEmailLocal(append(rg.buf[:0], "email,"...)), '@')
		rg.line(rg.dnc, append(b, p.domain...))
	}
	if p.customer {
		var b []byte
		if p.hasMobile && r.chance(0.5) {
			b = p.mobile.appendForm(rg.buf[:0], pfCompact)
		} else {
			b = x.append12(rg.buf[:0])
		}
		b = csvField(append(b, ','), g.cfg.Company)
		b = append(b, ',')
		if r.chance(0.5) {
			b = g.cfg.AsOf.AddDate(0, 0, 30+r.intn(700)).AppendFormat(b, time.DateOnly)
		}
		rg.line(rg.customers, b)
	}
}

// finish writes the entries that match nobody and the postcode directory.
func (g *generator) finishRegisters() {
	rg := g.regs
	r := &rg.r
	base := uint64(g.cfg.Rows) // ids at and above Rows belong to no person
	for i := 0; i < g.cfg.NIXSize; i++ {
		var n phoneNum
		if r.chance(0.85) {
			n = mobileAt(g.mobPerm.at(base + uint64(i)))
		} else {
			n = landAt(g.landPerm.at(base + uint64(i)))
		}
		rg.line(rg.nix, n.appendForm(rg.buf[:0], drawPhoneForm(r, n.isMobile())))
	}
	// A few entries for numbers nobody in the delivery has.
	for i := 0; i < 5; i++ {
		n := mobileAt(g.mobPerm.at(base + uint64(g.cfg.NIXSize) + uint64(i)))
		rg.line(rg.dnc, n.appendForm(append(rg.buf[:0], "phone,"...), pfCompact))
		b := n.appendForm(rg.buf[:0], pfDashGrouped)
		b = csvField(append(b, ','), pick(r, otherCompanies))
		rg.line(rg.customers, append(b, ','))
	}
	rg.line(rg.dnc, []byte("email,ingen.kontakt@example.se"))
	for i := 0; i < 10; i++ {
		b := append(rg.buf[:0], "phone,+48 "...)
		b = appendDigits(b, uint64(500+r.intn(300)), 3)
		b = append(b, ' ')
		b = appendDigits(b, uint64(r.intn(1000)), 3)
		b = append(b, ' ')
		b = appendDigits(b, uint64(r.intn(1000)), 3)
		rg.line(rg.robinson, b)
	}
	rg.line(rg.robinson, []byte("email,jan.kowalski@wp.pl"))
	rg.line(rg.robinson, []byte("email,anna.nowak@onet.pl"))
	rg.line(rg.robinson, []byte("address,ul. Kwiatowa 5|00-950"))
	for _, c := range g.post.codes {
		b := appendCode(append(rg.buf[:0], "SE,"...), int(c), false)
		b = append(b, ',')
		rg.line(rg.postcodes, append(b, towns[g.post.townOf(int(c))].name...))
	}
}

// close flushes and closes every file, returning the first error.
func (rg *registers) close() error {
	var first error
	for _, f := range rg.files {
		if err := f.bw.Flush(); err != nil && first == nil {
			first = err
		}
		if err := f.f.Close(); err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return fmt.Errorf("registers: %w", first)
	}
	return nil
}

func (rg *registers) abort() {
	for _, f := range rg.files {
		f.f.Close()
	}
}
