package rules

import (
	"strings"
	"testing"
)

// Per-field costs on typical values.
func BenchmarkRules(b *testing.B) {
	dir, err := LoadPostcodes(strings.NewReader(testDirectory))
	if err != nil {
		b.Fatal(err)
	}
	var a Arena
	b.Run("phone", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ParsePhone("070-123 45 67", "SE")
		}
	})
	b.Run("postal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			CheckPostal("114 55", "Stockholm", "SE", dir, &a)
		}
	})
	b.Run("street", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ParseStreet("Storgatan 12 lgh 1102", &a)
		}
	})
	b.Run("name", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			NormaliseName("Åsa", &a)
		}
	})
	b.Run("name-upper", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			NormaliseName("ÅSA-KARIN", &a)
		}
	})
	b.Run("namekey", func(b *testing.B) {
		b.ReportAllocs()
		var buf [64]byte
		for b.Loop() {
			AppendNameKey(buf[:0], "Åsa", "Östlund")
		}
	})
	b.Run("email", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			CheckEmail("anna.andersson@example.se", &a)
		}
	})
	b.Run("pnr", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ParseIdentity("821105-9954", asOf2026)
		}
	})
}
