//go:build unix

package formats

import (
	"bytes"
	"io"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// benchFile builds a typical supplier file: 12 columns separated by ";",
// about 120 bytes a row, CRLF, a third of the rows with Swedish letters.
func benchFile(b *testing.B, rows int, cp1252 bool) []byte {
	b.Helper()
	first := []string{"Anna", "Erik", "Åsa", "Lars", "Maria", "Örjan"}
	last := []string{"Andersson", "Johansson", "Berg", "Ek", "Lindqvist", "Nilsson"}
	city := []string{"Stockholm", "Göteborg", "Malmö", "Uppsala", "Västerås", "Umeå"}
	var buf bytes.Buffer
	buf.WriteString("Förnamn;Efternamn;Utdelningsadress;CO;Postnr;Postort;Land;Telefon;Mobil;E-post;Personnummer;Kundnr\r\n")
	for i := 0; i < rows; i++ {
		k := i % 6
		buf.WriteString(first[k] + ";" + last[(i/6)%6] + ";Storgatan " + strconv.Itoa(i%97) + ";;" +
			strconv.Itoa(10000+i%89999) + ";" + city[(i/36)%6] + ";SE;08-" + strconv.Itoa(1000000+i%8999999) +
			";070-" + strconv.Itoa(1000000+i%8999999) + ";person" + strconv.Itoa(i) + "@example.se;19800101-" +
			strconv.Itoa(1000+i%8999) + ";" + strconv.Itoa(i) + "\r\n")
	}
	if !cp1252 {
		return buf.Bytes()
	}
	out, err := charmap.Windows1252.NewEncoder().Bytes(buf.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkReadCSV reads a whole file; rows/s is the figure to watch
// (target: 3M rows/s per core).
func BenchmarkReadCSV(b *testing.B) {
	const rows = 100_000
	for _, bc := range []struct {
		name   string
		cp1252 bool
	}{{"utf-8", false}, {"windows-1252", true}} {
		b.Run(bc.name, func(b *testing.B) {
			data := benchFile(b, rows, bc.cp1252)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var rec Record
			cpu0 := cpuTime()
			for b.Loop() {
				r, err := Open(bytes.NewReader(data), Options{})
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					err := r.Read(&rec)
					if err == io.EOF {
						break
					}
					if err != nil || len(rec.Fields) != 12 || rec.Reject != "" {
						b.Fatalf("line %d: %v %q %s", rec.Line, err, rec.Fields, rec.Reject)
					}
					n++
				}
				if n != rows {
					b.Fatalf("%d rows", n)
				}
				r.Close()
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			// On a shared machine wall time is noisy; CPU time is not.
			b.ReportMetric(float64(rows*b.N)/cpu.Seconds(), "rows/cpu-s")
			b.ReportMetric(float64(len(data))/rows, "bytes/row")
		})
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
