package rules

import "unsafe"

// Arena hands out strings built in large shared chunks, so that a washed
// value costs no heap allocation of its own. Bytes are only ever appended:
// a string, once handed out, views memory that is never written again, and
// a chunk lives as long as any string from it. An Arena is not safe for
// concurrent use; use one per batch or goroutine.
type Arena struct {
	buf []byte
}

const arenaChunk = 32 << 10

// String copies b into the arena and returns it as a string.
func (a *Arena) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		a.buf = make([]byte, 0, max(arenaChunk, len(b)))
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[start], len(b))
}

// Reserve returns an empty slice with room for n bytes at the arena's end.
// Append at most n bytes to it, then call Commit with the result.
func (a *Arena) Reserve(n int) []byte {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, max(arenaChunk, n))
	}
	return a.buf[len(a.buf):len(a.buf)]
}

// fixed24 copies the first n bytes of src (n <= 24) into the arena with
// one 24-byte move and returns them as a string.
func (a *Arena) fixed24(src *[24]byte, n int) string {
	if cap(a.buf)-len(a.buf) < len(src) {
		a.buf = make([]byte, 0, arenaChunk)
	}
	start := len(a.buf)
	b := a.buf[start : start+len(src)]
	// Three word moves: a [24]byte assignment compiles to a memmove call.
	d, q := (*[3]uint64)(unsafe.Pointer(&b[0])), (*[3]uint64)(unsafe.Pointer(src))
	d[0], d[1], d[2] = q[0], q[1], q[2]
	a.buf = a.buf[:start+n]
	return unsafe.String(&b[0], n)
}

// Commit turns b, built on the slice from Reserve, into a string.
func (a *Arena) Commit(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(a.buf) < cap(a.buf) && &a.buf[:len(a.buf)+1][len(a.buf)] == &b[0] && len(a.buf)+len(b) <= cap(a.buf) {
		a.buf = a.buf[:len(a.buf)+len(b)]
		return unsafe.String(&b[0], len(b))
	}
	return a.String(b) // b grew past the reservation: copy it
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isSpace(c byte) bool {
	return c <= ' ' && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
}

// needTrim reports whether trimSpace could change s: false for the
// common value that starts and ends with a byte it never trims. Hot
// callers write "if needTrim(s) { s = trimSpace(s) }", which inlines.
func needTrim(s string) bool {
	return len(s) != 0 && trimEdge[s[0]]&1|trimEdge[s[len(s)-1]]&2 != 0
}

// trimEdge marks the bytes trimSpace may trim: bit 0 at the start (ASCII
// controls and space, 0xC2 starting a no-break space), bit 1 at the end
// (the same, 0xA0 ending one).
var trimEdge = func() (t [256]uint8) {
	for c := 0; c <= ' '; c++ {
		t[c] = 3
	}
	t[0xC2], t[0xA0] = 1, 2
	return t
}()

// trimSpace trims ASCII white space and no-break spaces (U+00A0).
func trimSpace(s string) string {
	for len(s) > 0 {
		if isSpace(s[0]) {
			s = s[1:]
		} else if len(s) > 1 && s[0] == 0xC2 && s[1] == 0xA0 {
			s = s[2:]
		} else {
			break
		}
	}
	for len(s) > 0 {
		if isSpace(s[len(s)-1]) {
			s = s[:len(s)-1]
		} else if len(s) > 1 && s[len(s)-2] == 0xC2 && s[len(s)-1] == 0xA0 {
			s = s[:len(s)-2]
		} else {
			break
		}
	}
	return s
}

func trimLeftFunc(s string, f func(byte) bool) string {
	for len(s) > 0 && f(s[0]) {
		s = s[1:]
	}
	return s
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// equalFoldASCII compares s with the lower-case ASCII word w, ignoring ASCII case.
func equalFoldASCII(s, w string) bool {
	if len(s) != len(w) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

// load64 reads s[i:i+8] as a little-endian word (one load).
func load64(s string, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// load32 returns s[i:i+4] as a little-endian word.
func load32(s string, i int) uint32 {
	b := s[i : i+4]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// letters8 reports whether the eight bytes of x (load64) are all ASCII
// letters: with bit 5 set (lower case), no byte may be below 'a' (the
// subtraction borrows), above 'z' (adding 5 reaches 0x80) or have its top
// bit set. A borrow or carry starts only at a failing byte, so the answer
// is exact.
func letters8(x uint64) bool {
	const lower, a, over, top = 0x2020202020202020, 0x6161616161616161, 0x0505050505050505, 0x8080808080808080
	y := x | lower
	return (x|(y+over)|(y-a))&top == 0
}

// letters4 is letters8 for four bytes (load32).
func letters4(x uint32) bool {
	const lower, a, over, top = 0x20202020, 0x61616161, 0x05050505, 0x80808080
	y := x | lower
	return (x|(y+over)|(y-a))&top == 0
}
