package rules

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkEmailRef is CheckEmail as first written (two passes over the
// domain, one UTF-8 check over the whole address, one loop over every big
// label): the reference for FuzzCheckEmailRef.
func checkEmailRef(raw string, a *Arena) Email {
	var e Email
	s := trimSpace(raw)
	if len(s) > 7 && equalFoldASCII(s[:7], "mailto:") {
		s = s[7:]
	}
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		s = s[1 : len(s)-1]
	}
	if s == "" {
		e.Reason = EmailMissing
		return e
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at > 64 {
		e.Reason = EmailInvalid
		return e
	}
	okLocal, high := validLocal(s[:at])
	if !okLocal {
		e.Reason = EmailInvalid
		return e
	}
	domain := s[at+1:]
	ok, upper, highDomain := validDomainRef(domain)
	high = high || highDomain
	if !ok {
		e.Reason = EmailInvalid
		return e
	}
	if high && !utf8.ValidString(s) {
		e.Reason = EmailInvalid
		return e
	}
	e.Valid = true
	var db [256]byte
	d := db[:0]
	if !upper {
		e.Address = s
		d = append(d, domain...)
	} else {
		b := a.Reserve(len(s))
		b = append(b, s[:at+1]...)
		for i := 0; i < len(domain); i++ {
			c := domain[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			d = append(d, c)
		}
		e.Address = a.Commit(b)
	}
	switch string(d) {
	case "gmail.com", "hotmail.com", "hotmail.se", "yahoo.com", "yahoo.se", "outlook.com", "outlook.se",
		"live.se", "icloud.com", "telia.com", "bredband.net", "comhem.se", "wp.pl", "onet.pl", "interia.pl", "o2.pl":
		return e // the big domains, spelt right
	}
	fix, ok := domainTypos[string(d)]
	if !ok {
		fix, ok = nearBigDomainRef(d)
	}
	if ok {
		e.Reason = EmailDomainTypo
		b := a.Reserve(at + 1 + len(fix))
		b = append(b, s[:at+1]...)
		b = append(b, fix...)
		e.Suggestion = a.Commit(b)
	}
	return e
}
func validDomainRef(d string) (ok, upper, high bool) {
	if len(d) == 0 || len(d) > 253 {
		return false, false, false
	}
	var all uint8
	labels := 0
	lastDigits := true
	start := 0
	for i := 0; i <= len(d); i++ {
		if i < len(d) && d[i] != '.' {
			cl := emailClass[d[i]]
			if cl&classDomain == 0 {
				return false, false, false
			}
			all |= cl
			continue
		}
		l := d[start:i]
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false, false, false
		}
		lastDigits = true
		for j := 0; j < len(l) && lastDigits; j++ {
			lastDigits = emailClass[l[j]]&classDigit != 0
		}
		labels++
		start = i + 1
	}
	return labels >= 2 && !lastDigits, all&classUpper != 0, all&classHigh != 0
}
func nearBigDomainRef(d []byte) (string, bool) {
	dot := bytes.LastIndexByte(d, '.')
	if dot <= 0 {
		return "", false
	}
	label, tld := d[:dot], d[dot+1:]
	for _, b := range bigLabels {
		for _, t := range b.tlds {
			if string(tld) == t && string(label) != b.label && oneEdit(label, b.label) {
				return b.label + "." + t, true
			}
		}
	}
	return "", false
}

func FuzzCheckEmailRef(f *testing.F) {
	for _, s := range []string{"anna@example.se", "a.b@c.d.e", "x@y", "å@ä.se", "a..b@c.se", "-@-.se", "a@b.c1", "0@\x80.A", "a@gmial.com",
		"a@outllook.com", "Anna@Hotmal.SE", "a@b.123", "a@-b.se", "a@b-.se", "a@.se", "a@se.", "ö\xff@x.se", "a@\xc3\xa5.se", "mailto:<a@b.se>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var a Arena
		if got, want := CheckEmail(s, &a), checkEmailRef(s, &a); got != want {
			t.Fatalf("CheckEmail(%q) = %+v, reference %+v", s, got, want)
		}
	})
}

// validLocal checks a local part; high reports a non-ASCII byte. CheckEmail
// did this after finding the '@'; it now scans once (scanLocal).
func validLocal(l string) (ok, high bool) {
	if l == "" || len(l) > 64 || l[0] == '.' || l[len(l)-1] == '.' {
		return false, false
	}
	var all uint8
	for i := 0; i < len(l); i++ {
		c := l[i]
		cl := emailClass[c]
		all |= cl
		if cl&classLocal != 0 {
			continue
		}
		if c != '.' || l[i-1] == '.' {
			return false, false
		}
	}
	return true, all&classHigh != 0
}
