package dedup

import (
	"slices"
	"testing"
)

func TestFold(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ascii", "Anna ANDERSSON", "anna andersson"},
		{"swedish", "Åsa Öberg-Ärlig", "asa oberg arlig"},
		{"decomposed input", "A\u030asa", "asa"},
		{"danish and german", "Søren Æbelø Strauß", "soren aebelo strauss"},
		{"polish", "Łukasz Żółć Wąs", "lukasz zolc was"},
		{"nfd only letters", "Zoë Nuñez Đoković", "zoe nunez dokovic"},
		{"punctuation and spaces", "  O'Brien,  Jr. ", "o brien jr"},
		{"non latin kept", "Дмитрий", "дмитрий"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Fold(tc.in); got != tc.want {
				t.Errorf("Fold(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPhonetic(t *testing.T) {
	same := [][2]string{
		{"karlsson", "carlson"},
		{"andersson", "anderzon"},
		{"nilsson", "nillson"},
		{"thomas", "tomas"},
		{"philip", "filip"},
		{"eva", "ewa"},
		{"johansson", "johanson"},
	}
	for _, p := range same {
		a := string(appendPhonetic(nil, []byte(p[0])))
		b := string(appendPhonetic(nil, []byte(p[1])))
		if a != b {
			t.Errorf("phonetic %q = %q, %q = %q; want equal", p[0], a, p[1], b)
		}
	}
	differ := [][2]string{{"anna", "maria"}, {"svensson", "persson"}, {"erik", "emil"}}
	for _, p := range differ {
		a := string(appendPhonetic(nil, []byte(p[0])))
		b := string(appendPhonetic(nil, []byte(p[1])))
		if a == b {
			t.Errorf("phonetic %q and %q both %q; want different", p[0], p[1], a)
		}
	}
}

func TestJaroWinkler(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"martha", "marhta", 0.9611},
		{"dwayne", "duane", 0.84},
		{"dixon", "dicksonx", 0.8133},
		{"anna", "anna", 1},
		{"", "anna", 0},
		{"abc", "xyz", 0},
	}
	for _, tc := range tests {
		got := JaroWinkler(tc.a, tc.b)
		if d := got - tc.want; d > 0.001 || d < -0.001 {
			t.Errorf("JaroWinkler(%q, %q) = %.4f, want %.4f", tc.a, tc.b, got, tc.want)
		}
		if rev := JaroWinkler(tc.b, tc.a); rev != got {
			t.Errorf("JaroWinkler not symmetric for %q, %q: %v vs %v", tc.a, tc.b, got, rev)
		}
	}
}

func TestRadixSortHashedMatchesRadixSort(t *testing.T) {
	tests := []struct {
		name string
		keys func(i int) uint64
	}{
		{"hashes", func(i int) uint64 { return mix(uint64(i%5000), 7) }},
		{"shared high bits", func(i int) uint64 { return uint64(i%13)<<32 | uint64((i*7919)%101) }},
		{"small keys", func(i int) uint64 { return uint64((i * 31) % 977) }},
		{"one key", func(int) uint64 { return 42 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := make([]pair, 20000)
			for i := range want {
				want[i] = pair{key: tc.keys(i), idx: uint32(i)}
			}
			got := slices.Clone(want)
			radixSort(want, make([]pair, len(want)))
			radixSortHashed(got, make([]pair, len(got)))
			if !slices.Equal(got, want) {
				t.Fatal("radixSortHashed and radixSort disagree")
			}
		})
	}
}

func TestRadixSortStable(t *testing.T) {
	keys := []uint64{5, 1 << 40, 3, 5, 0, 1<<63 | 7, 3, 1 << 40, 70000}
	p := make([]pair, len(keys))
	for i, k := range keys {
		p[i] = pair{key: k, idx: uint32(i)}
	}
	radixSort(p, make([]pair, len(p)))
	for i := 1; i < len(p); i++ {
		if p[i-1].key > p[i].key || p[i-1].key == p[i].key && p[i-1].idx > p[i].idx {
			t.Fatalf("not sorted stably at %d: %+v", i, p)
		}
	}
}
