package rules

import "testing"

func TestParseStreet(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Street
	}{
		{"plain", "Storgatan 12", Street{Street: "Storgatan 12", Name: "Storgatan", Number: "12"}},
		{"apartment", "Storgatan 12 lgh 1102", Street{Street: "Storgatan 12 lgh 1102", Name: "Storgatan", Number: "12", Apartment: "1102"}},
		{"letter attached", "Storgatan 12b", Street{Street: "Storgatan 12B", Name: "Storgatan", Number: "12", Letter: "B"}},
		{"letter apart", "Storgatan 12 B lgh. 1102", Street{Street: "Storgatan 12B lgh 1102", Name: "Storgatan", Number: "12", Letter: "B", Apartment: "1102"}},
		{"whitespace", "  Lilla   Nygatan\t3  ", Street{Street: "Lilla Nygatan 3", Name: "Lilla Nygatan", Number: "3"}},
		{"g.", "Storg. 5", Street{Street: "Storgatan 5", Name: "Storgatan", Number: "5"}},
		{"gt", "Storgt 5", Street{Street: "Storgatan 5", Name: "Storgatan", Number: "5"}},
		{"gt.", "Drottningg. 5", Street{Street: "Drottninggatan 5", Name: "Drottninggatan", Number: "5"}},
		{"upper", "STORGT. 5", Street{Street: "STORGATAN 5", Name: "STORGATAN", Number: "5"}},
		{"v.", "Skolv. 3", Street{Street: "Skolvägen 3", Name: "Skolvägen", Number: "3"}},
		{"vg", "Skolvg 3", Street{Street: "Skolvägen 3", Name: "Skolvägen", Number: "3"}},
		{"pl.", "Järntorgspl. 1", Street{Street: "Järntorgsplatsen 1", Name: "Järntorgsplatsen", Number: "1"}},
		{"alle", "Sturegatans alle 4", Street{Street: "Sturegatans allé 4", Name: "Sturegatans allé", Number: "4"}},
		{"range", "Storgatan 12-14", Street{Street: "Storgatan 12-14", Name: "Storgatan", Number: "12-14"}},
		{"floor kept", "Storgatan 12, 3 tr", Street{Street: "Storgatan 12 3 tr", Name: "Storgatan", Number: "12"}},
		{"co first", "c/o Svensson, Storgatan 1", Street{Street: "Storgatan 1", Name: "Storgatan", Number: "1", CO: "Svensson"}},
		{"co after", "Storgatan 1, C/O Svensson", Street{Street: "Storgatan 1", Name: "Storgatan", Number: "1", CO: "Svensson"}},
		{"co only", "c/o Anna Svensson", Street{CO: "Anna Svensson"}},
		{"no number", "Lilla Gården", Street{Street: "Lilla Gården", Name: "Lilla Gården"}},
		{"box", "Box 123", Street{Street: "Box 123", Name: "Box", Number: "123"}},
		{"polish", "ul. Marszałkowska 10/12", Street{Street: "ul. Marszałkowska 10/12", Name: "Marszałkowska", Number: "10", Apartment: "12"}},
		{"polish m.", "ul. Długa 5 m. 3", Street{Street: "ul. Długa 5/3", Name: "Długa", Number: "5", Apartment: "3"}},
		{"polish no dot", "UL Długa 5", Street{Street: "ul. Długa 5", Name: "Długa", Number: "5"}},
		{"not an abbreviation", "Kalle Ankas väg 1", Street{Street: "Kalle Ankas väg 1", Name: "Kalle Ankas väg", Number: "1"}},
		{"empty", "", Street{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Arena
			got := ParseStreet(tc.in, &a)
			if name, number, apt, ok := simpleStreet(tc.in); ok && (name != tc.want.Name || number != tc.want.Number || apt != tc.want.Apartment || tc.in != tc.want.Street) {
				t.Errorf("simpleStreet(%q) = %q %q %q, but the parse gives %+v", tc.in, name, number, apt, tc.want)
			}
			if got != tc.want {
				t.Errorf("ParseStreet(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzStreet checks that the shortcut for simple streets gives what the
// general parse gives.
func FuzzStreet(f *testing.F) {
	for _, s := range []string{"Storgatan 12", "Lilla Nygatan 3", "Åsgatan 1", "Storg. 5", "A B", "ul Długa 5", "x  y 1", "ul 0", "Åsgatan 3 lgh 1102", "Östra Hamngatan 1", "\u00a0A 1", "A 1 lgh 2 lgh 3",
		"A A A A A A A A A A A A A A A A A A A A A A A A 0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, number, apt, ok := simpleStreet(s)
		if !ok {
			return
		}
		var a Arena
		st := slowStreet(s, &a)
		if st.Name != name || st.Number != number || st.Street != s || st.Letter != "" || st.Apartment != apt || st.CO != "" {
			t.Fatalf("%q: shortcut %q %q %q, parse %+v", s, name, number, apt, st)
		}
	})
}
