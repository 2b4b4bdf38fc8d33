package rules

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestNormaliseName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"upper", "ANNA", "Anna"},
		{"lower", "anna", "Anna"},
		{"mixed kept", "AnnA", "AnnA"},
		{"trim and collapse", "  Anna   Maria ", "Anna Maria"},
		{"collapse mixed", "Anna \t Maria", "Anna Maria"},
		{"swedish letters", "ÅSA ÖSTLUND", "Åsa Östlund"},
		{"lower swedish", "örjan", "Örjan"},
		{"hyphen", "anna-karin", "Anna-Karin"},
		{"apostrophe", "o'brien", "O'Brien"},
		{"mcdonald", "mcdonald", "McDonald"},
		{"MCDONALD", "MCDONALD", "McDonald"},
		{"mac untouched", "MACKE", "Macke"},
		{"von", "VON ESSEN", "von Essen"},
		{"af", "af klercker", "af Klercker"},
		{"van der", "van der berg", "van der Berg"},
		{"particle alone", "VAN", "Van"},
		{"de la", "de la cruz", "de la Cruz"},
		{"mixed particle kept", "von Essen", "von Essen"},
		{"nfc", "A\u030asa", "Åsa"},
		{"polish", "ŁUKASZ ŻÓŁW", "Łukasz Żółw"},
		{"nbsp", "anna\u00a0maria", "Anna Maria"},
		{"empty", "   ", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Arena
			if got := NormaliseName(tc.in, &a); got != tc.want {
				t.Errorf("NormaliseName(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSplitFullName(t *testing.T) {
	tests := []struct{ in, first, last string }{
		{"Anna Maria Andersson", "Anna Maria", "Andersson"},
		{"Andersson, Anna", "Anna", "Andersson"},
		{"Andersson,Anna Maria", "Anna Maria", "Andersson"},
		{"Anna von Sydow", "Anna", "von Sydow"},
		{"Jan van der Berg", "Jan", "van der Berg"},
		{"Andersson", "", "Andersson"},
		{"  Anna   Andersson ", "Anna", "Andersson"},
		{"", "", ""},
	}
	for _, tc := range tests {
		first, last := SplitFullName(tc.in)
		if first != tc.first || last != tc.last {
			t.Errorf("SplitFullName(%q) = %q, %q; want %q, %q", tc.in, first, last, tc.first, tc.last)
		}
	}
}

func TestNameKey(t *testing.T) {
	tests := []struct{ first, last, want string }{
		{"Åsa", "Östlund", "asa ostlund"},
		{"ÅSA", "ÖSTLUND", "asa ostlund"},
		{"Anna-Karin", "Ängström", "anna karin angstrom"},
		{"Jürgen", "Straße", "jurgen strasse"},
		{"Søren", "Kierkegaard", "soren kierkegaard"},
		{"Łukasz", "Żółw", "lukasz zolw"},
		{"", "Andersson", "andersson"},
		{"Anna", "", "anna"},
		{"", "", ""},
		{" O'Brien ", "  ", "o brien"},
	}
	for _, tc := range tests {
		if got := string(AppendNameKey(nil, tc.first, tc.last)); got != tc.want {
			t.Errorf("NameKey(%q, %q) = %q, want %q", tc.first, tc.last, got, tc.want)
		}
	}
}

func TestBelowCombiningAgreesWithNorm(t *testing.T) {
	for r := rune(0); r < 0x300; r++ {
		s := "a" + string(r) + "b"
		if !belowCombining(s) {
			t.Fatalf("U+%04X not below", r)
		}
		if !norm.NFC.IsNormalString(s) {
			t.Fatalf("U+%04X is below U+0300 but not NFC", r)
		}
	}
	for _, s := range []string{"A\u030a", "\u212b", "日本"} {
		if belowCombining(s) {
			t.Errorf("%q reported below U+0300", s)
		}
	}
}

// TestNormaliseNamesLatin1 checks the key NormaliseNames folds while
// scanning against AppendNameKey on the normalised names, for every
// character of U+00C0-U+00FF and ASCII in names that are title-cased
// (all upper or all lower case) or kept as sent.
func TestNormaliseNamesLatin1(t *testing.T) {
	var chars []string
	for r := rune(0xC0); r <= 0xFF; r++ {
		chars = append(chars, string(r))
	}
	for c := byte(' '); c < 0x7F; c++ {
		chars = append(chars, string(c))
	}
	for _, c := range chars {
		for _, name := range []string{c, c + "a", "a" + c, "A" + c, c + "A", "ANNA" + c + "ÅSA", "anna " + c + "  åsa", "Mc" + c + "x", c + c} {
			var a Arena
			gf, gl, gk := NormaliseNames(name, "ÖSTLUND", &a)
			wf, wl := NormaliseName(name, &a), NormaliseName("ÖSTLUND", &a)
			if wk := string(AppendNameKey(nil, wf, wl)); gf != wf || gl != wl || gk != wk {
				t.Fatalf("NormaliseNames(%q) = %q %q %q, want %q %q %q", name, gf, gl, gk, wf, wl, wk)
			}
		}
	}
}

// TestLetters checks letters8 and letters4 against isASCIILetter for every
// byte value at every position.
func TestLetters(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := c < 0x80 && isASCIILetter(byte(c))
		for pos := 0; pos < 8; pos++ {
			b := []byte("abcdWXYZ")
			b[pos] = byte(c)
			if got := letters8(load64(string(b), 0)); got != want {
				t.Fatalf("letters8 with byte %#x at %d = %v, want %v", c, pos, got, want)
			}
			if pos < 4 {
				if got := letters4(load32(string(b), 0)); got != want {
					t.Fatalf("letters4 with byte %#x at %d = %v, want %v", c, pos, got, want)
				}
			}
		}
	}
}
