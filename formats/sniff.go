package formats

import (
	"bytes"
	"unicode/utf8"
)

// sniffSize is how much of the (decompressed) input is examined to detect
// the format, the encoding, the delimiter and the line ends.
const sniffSize = 64 << 10

// sniffLines bounds how many lines the delimiter sniffer counts.
const sniffLines = 50

var (
	magicGzip    = []byte{0x1f, 0x8b}
	magicZip     = []byte("PK\x03\x04")
	magicUTF8BOM = []byte{0xEF, 0xBB, 0xBF}
	magicUTF16LE = []byte{0xFF, 0xFE}
	magicUTF16BE = []byte{0xFE, 0xFF}
)

// binaryMagic names file types that are certainly not a contact list.
var binaryMagic = []struct {
	magic []byte
	what  string
}{
	{[]byte("%PDF"), "pdf document"},
	{[]byte("\x89PNG"), "png image"},
	{[]byte("GIF8"), "gif image"},
	{[]byte{0xFF, 0xD8, 0xFF}, "jpeg image"},
	{[]byte{0xD0, 0xCF, 0x11, 0xE0}, "legacy office document (.xls/.doc); save as xlsx or csv"},
	{[]byte("PK\x05\x06"), "empty zip archive"},
	{[]byte("Rar!"), "rar archive"},
	{[]byte("7z\xBC\xAF"), "7z archive"},
	{[]byte("BZh"), "bzip2 stream"},
	{[]byte{0x28, 0xB5, 0x2F, 0xFD}, "zstd stream"},
	{[]byte{0xFD, '7', 'z', 'X', 'Z'}, "xz stream"},
	{[]byte("{\\rtf"), "rtf document"},
}

// sniffBinary returns a description when prefix is not text, or "".
func sniffBinary(prefix []byte) string {
	for _, m := range binaryMagic {
		if bytes.HasPrefix(prefix, m.magic) {
			return m.what
		}
	}
	if bytes.IndexByte(prefix, 0) >= 0 {
		return "binary data (NUL bytes)"
	}
	return ""
}

// isBlankText reports whether b holds nothing but whitespace and BOMs.
func isBlankText(b []byte) bool {
	b = bytes.TrimPrefix(b, magicUTF8BOM)
	return len(bytes.TrimSpace(b)) == 0
}

// sniffEncoding decides between UTF-8 and Windows-1252 from a prefix that
// has no BOM. full says the prefix is the whole input (so a trailing partial
// UTF-8 sequence is an error, not a cut).
func sniffEncoding(prefix []byte, full bool) textEncoding {
	if !full {
		// Drop a sequence the prefix cut in half.
		for i := 0; i < utf8.UTFMax-1 && len(prefix) > 0; i++ {
			if r, _ := utf8.DecodeLastRune(prefix); r != utf8.RuneError {
				break
			}
			prefix = prefix[:len(prefix)-1]
		}
	}
	if utf8.Valid(prefix) {
		return encUTF8
	}
	return encWindows1252
}

// sniffLineEnd returns the line terminator byte and its Info name.
func sniffLineEnd(prefix []byte) (byte, string) {
	switch {
	case bytes.Contains(prefix, []byte("\r\n")):
		return '\n', "crlf"
	case bytes.IndexByte(prefix, '\n') >= 0:
		return '\n', "lf"
	case bytes.IndexByte(prefix, '\r') >= 0:
		return '\r', "cr" // classic Mac export
	default:
		return '\n', "lf"
	}
}

// delimiterCandidates in order of preference when the counts tie.
var delimiterCandidates = []byte{';', ',', '\t', '|'}

// sniffDelimiter picks the delimiter whose count outside quotes is the same
// on most lines as on the first (header) line; ties go to the larger header
// count, then to the order of delimiterCandidates. full says the prefix is
// the whole input, so its last line is complete.
func sniffDelimiter(prefix []byte, eol byte, full bool) byte {
	lines := bytes.Split(prefix, []byte{eol})
	if !full && len(lines) > 1 {
		lines = lines[:len(lines)-1] // cut by the prefix
	}
	var nonBlank [][]byte
	for _, l := range lines {
		if len(bytes.TrimSpace(l)) > 0 {
			nonBlank = append(nonBlank, l)
			if len(nonBlank) == sniffLines {
				break
			}
		}
	}
	best, bestConsistent, bestHeader := delimiterCandidates[0], -1, 0
	if len(nonBlank) == 0 {
		return best
	}
	for _, d := range delimiterCandidates {
		hc := countOutsideQuotes(nonBlank[0], d)
		if hc == 0 {
			continue
		}
		consistent := 0
		for _, l := range nonBlank[1:] {
			if countOutsideQuotes(l, d) == hc {
				consistent++
			}
		}
		if consistent > bestConsistent || (consistent == bestConsistent && hc > bestHeader) {
			best, bestConsistent, bestHeader = d, consistent, hc
		}
	}
	return best
}

// countOutsideQuotes counts d in line, skipping text between double quotes.
func countOutsideQuotes(line []byte, d byte) int {
	n, quoted := 0, false
	for _, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case c == d && !quoted:
			n++
		}
	}
	return n
}
