package formats

import (
	"encoding/binary"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// textEncoding is how the bytes of a delimited file are decoded to UTF-8.
type textEncoding uint8

const (
	encUTF8 textEncoding = iota
	encWindows1252
)

// cp1252High holds the UTF-8 form of the Windows-1252 bytes 0x80-0xFF.
// Windows-1252 is a superset of ISO-8859-1 for every printable letter, so it
// also reads ISO-8859-1 files (å ä ö é ü are at the same code points).
var cp1252High = buildCP1252High()

func buildCP1252High() [128]string {
	var t [128]string
	for i := range t {
		t[i] = string(charmap.Windows1252.DecodeByte(byte(0x80 + i)))
	}
	return t
}

// asciiPrefix returns the length of the leading run of bytes below 0x80,
// checking eight bytes at a time.
func asciiPrefix(b []byte) int {
	i := 0
	for i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 == 0 {
		i += 8
	}
	for i < len(b) && b[i] < 0x80 {
		i++
	}
	return i
}

// appendCP1252 appends the UTF-8 decoding of the Windows-1252 bytes src:
// ASCII runs are copied, other bytes looked up in cp1252High.
func appendCP1252(dst, src []byte) []byte {
	for len(src) > 0 {
		i := asciiPrefix(src)
		dst = append(dst, src[:i]...)
		if i == len(src) {
			break
		}
		dst = append(dst, cp1252High[src[i]-0x80]...)
		src = src[i+1:]
	}
	return dst
}

// appendMixed appends src, keeping valid UTF-8 sequences and decoding every
// byte that is not part of one as Windows-1252. It repairs a line of a
// Windows-1252 export inside a file sniffed as UTF-8 (concatenated exports)
// without mangling the valid UTF-8 around it.
func appendMixed(dst, src []byte) []byte {
	for len(src) > 0 {
		c := src[0]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			src = src[1:]
			continue
		}
		r, size := utf8.DecodeRune(src)
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, cp1252High[c-0x80]...)
		} else {
			dst = append(dst, src[:size]...)
		}
		src = src[size:]
	}
	return dst
}

// validPrefix cuts b to at most n bytes without splitting a UTF-8 sequence.
func validPrefix(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	b = b[:n]
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}
