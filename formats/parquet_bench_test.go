package formats

import (
	"io"
	"strconv"
	"testing"
)

// benchRows returns n rows shaped like washed output: most columns set,
// unique identifiers, repeating cities and types.
func benchRows(n int) []Row {
	rows := make([]Row, n)
	cities := []string{"Stockholm", "Göteborg", "Malmö", "Uppsala", "Kraków", "Warszawa"}
	for i := range rows {
		r := &rows[i]
		id := strconv.Itoa(1_000_000 + i*7919%9_000_000)
		r.SourceFile, r.SourceLine, r.Supplier, r.RunID = "delivery.csv", int64(i+2), "acme", "run-1"
		r.FirstName, r.LastName = "Anna"+id[4:], "Andersson"+id[5:]
		r.FirstNameRaw, r.LastNameRaw = r.FirstName, r.LastName
		r.Street, r.StreetRaw = "Storgatan "+id[3:], "Storgatan "+id[3:]
		r.StreetName, r.StreetNumber = "Storgatan", id[3:]
		r.PostalCode, r.PostalCodeRaw = "1"+id[2:4]+" "+id[4:6], "1"+id[2:6]
		r.City, r.CityRaw, r.Country = cities[i%len(cities)], cities[i%len(cities)], "SE"
		r.Email, r.EmailRaw = "anna."+id+"@example.se", "Anna."+id+"@example.se"
		r.PNR, r.PNRRaw = "19"+id+"1234"[:4], id+"-1234"
		r.PhoneE164, r.PhoneRaw, r.PhoneType = "+46"+id+"12", "0"+id+"12", "mobile"
		r.BirthDate, r.Gender, r.IDKind, r.NameKey = "1980-01-01", "F", "personnummer", "anna andersson"
		r.PhoneValid, r.PostalValid, r.PNRValid, r.EmailValid = true, true, true, true
		r.NIXListed, r.Robinson, r.Deceased = False, False, False
		r.Callable, r.CallableNumber, r.Mailable = i%5 != 0, r.PhoneE164, true
		if i%4 == 0 {
			r.Reasons = []string{"PHONE_MULTIPLE"}
		}
	}
	return rows
}

// BenchmarkRowWriter writes a row group of 128K rows in batches of 4096,
// as one pipeline goroutine does.
func BenchmarkRowWriter(b *testing.B) {
	rows := benchRows(DefaultRowGroupRows)
	for b.Loop() {
		w := NewRowWriter(io.Discard, 0, nil)
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
}
