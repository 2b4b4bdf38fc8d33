package formats

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"sync"
	"unsafe"
)

// The row spill format: a compact binary form of a washed Row and the
// reader's Record metadata, for the wash's local spill file between the
// reading pass and the writing pass (never a contract: written and read by
// the same process). Strings are length-prefixed; the plain bools are
// packed in one byte, the nullable marks two bits each.

// ErrCorruptSpill: a spilled row could not be decoded.
var ErrCorruptSpill = errors.New("spill: corrupt row encoding")

// AppendRowBinary appends the spill encoding of row and of rec's Line,
// Reject, Message, Repair and Raw (not its Fields) to dst.
func AppendRowBinary(dst []byte, rec *Record, row *Row) []byte {
	dst = binary.AppendVarint(dst, rec.Line)
	dst = appendStr(dst, rec.Reject)
	dst = appendStr(dst, rec.Message)
	dst = appendStr(dst, rec.Repair)
	dst = appendStr(dst, rec.Raw)

	dst = appendStr(dst, row.SourceFile)
	dst = binary.AppendVarint(dst, row.SourceLine)
	dst = appendStr(dst, row.Supplier)
	dst = appendStr(dst, row.RunID)
	dst = appendStr(dst, row.Raw)
	for _, s := range [...]string{
		row.FirstName, row.LastName, row.Street, row.CO, row.PostalCode, row.City, row.Country,
		row.Email, row.PNR, row.PhoneE164, row.MobileE164,
		row.FirstNameRaw, row.LastNameRaw, row.StreetRaw, row.PostalCodeRaw, row.CityRaw,
		row.EmailRaw, row.PNRRaw, row.PhoneRaw, row.MobileRaw,
		row.PhoneType, row.MobileType, row.StreetName, row.StreetNumber, row.StreetLetter,
		row.Apartment, row.BirthDate, row.Gender, row.IDKind, row.NameKey, row.EmailSuggestion,
		row.SeenBefore, row.CallableNumber, row.FullNameRaw,
	} {
		dst = appendStr(dst, s)
	}
	dst = appendList(dst, row.Phones)
	dst = appendList(dst, row.Reasons)
	dst = appendList(dst, row.Extra)
	dst = appendList(dst, row.PhonesRaw)

	var flags byte
	for i, b := range [...]bool{row.Rejected, row.PhoneValid, row.MobileValid, row.PostalValid,
		row.PNRValid, row.EmailValid, row.Callable, row.Mailable} {
		if b {
			flags |= 1 << i
		}
	}
	var marks uint32
	for i, p := range [...]*bool{row.NIXListed, row.NIXConsent, row.Robinson, row.InternalDNC,
		row.Deceased, row.Erased, row.Moved, row.Protected, row.PhoneOwnerMatch} {
		marks |= triState(p) << (2 * i)
	}
	dst = append(dst, flags, row.NIXBlockedMask)
	dst = binary.LittleEndian.AppendUint32(dst, marks)
	dst = appendOptStr(dst, row.NIXVersion)
	dst = appendOptStr(dst, row.ValidUntil)
	dst = binary.AppendVarint(dst, row.DuplicateOf)
	dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(row.MatchScore))
	dst = binary.AppendVarint(dst, row.HouseholdID)
	return dst
}

func appendStr(dst []byte, s string) []byte {
	if len(s) < 0x80 {
		return append(append(dst, byte(len(s))), s...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendOptStr(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(*s))+1)
	return append(dst, *s...)
}

func appendList(dst []byte, l []string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(l)))
	for _, s := range l {
		dst = appendStr(dst, s)
	}
	return dst
}

func triState(p *bool) uint32 {
	switch {
	case p == nil:
		return 0
	case *p:
		return 1
	}
	return 2
}

// RowDecoder decodes spilled rows. The strings it returns point into the
// buffer given to Reset, which must not be modified afterwards (give each
// frame a buffer of its own). Nullable strings are interned so that rows
// share one pointer per distinct value, as the stages that set them do.
type RowDecoder struct {
	buf []byte
	pos int
	err error
	opt []*string
}

// Reset starts decoding buf.
func (d *RowDecoder) Reset(buf []byte) {
	d.buf, d.pos, d.err = buf, 0, nil
}

// Pos is the offset of the next byte to decode.
func (d *RowDecoder) Pos() int { return d.pos }

// More reports whether bytes are left.
func (d *RowDecoder) More() bool { return d.err == nil && d.pos < len(d.buf) }

// Uvarint reads a frame-level unsigned varint.
func (d *RowDecoder) Uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf[d.pos:])
	if n <= 0 {
		d.err = ErrCorruptSpill
		return 0
	}
	d.pos += n
	return v
}

func (d *RowDecoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf[d.pos:])
	if n <= 0 {
		d.err = ErrCorruptSpill
		return 0
	}
	d.pos += n
	return v
}

func (d *RowDecoder) bytes(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.buf)-d.pos {
		d.err = ErrCorruptSpill
		return nil
	}
	b := d.buf[d.pos : d.pos+n : d.pos+n]
	d.pos += n
	return b
}

func (d *RowDecoder) str() string {
	var n uint64
	if d.pos < len(d.buf) && d.buf[d.pos] < 0x80 { // a short string: one length byte
		n = uint64(d.buf[d.pos])
		d.pos++
		if n == 0 {
			return ""
		}
		if int(n) <= len(d.buf)-d.pos {
			b := d.buf[d.pos : d.pos+int(n)]
			d.pos += int(n)
			return unsafe.String(&b[0], len(b))
		}
	} else {
		n = d.Uvarint()
	}
	if n == 0 {
		return ""
	}
	b := d.bytes(int(min(n, math.MaxInt32)))
	if b == nil {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (d *RowDecoder) optStr() *string {
	n := d.Uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	var b []byte
	if n > 1 {
		if b = d.bytes(int(min(n-1, math.MaxInt32))); b == nil {
			return nil
		}
	}
	for _, p := range d.opt {
		if *p == string(b) { // no allocation: the compiler compares in place
			return p
		}
	}
	var s string
	if len(b) > 0 {
		s = unsafe.String(&b[0], len(b))
	}
	p := &s
	if len(d.opt) < 16 {
		d.opt = append(d.opt, p)
	}
	return p
}

func (d *RowDecoder) list(dst []string) []string {
	n := d.Uvarint()
	if n > uint64(len(d.buf)-d.pos) {
		d.err = ErrCorruptSpill
		return dst
	}
	for range n {
		dst = append(dst, d.str())
	}
	return dst
}

// codes is list for reason codes: they are interned, so that a code kept
// as a map key (the scorecard's reason counts) does not keep the whole
// frame it was decoded from alive.
func (d *RowDecoder) codes(dst []string) []string {
	n := d.Uvarint()
	if n > uint64(len(d.buf)-d.pos) {
		d.err = ErrCorruptSpill
		return dst
	}
	for range n {
		dst = append(dst, internCode(d.str()))
	}
	return dst
}

// codeTable holds the reason codes seen so far: a small, fixed vocabulary.
var codeTable = struct {
	sync.RWMutex
	m map[string]string
}{m: map[string]string{}}

func internCode(s string) string {
	codeTable.RLock()
	c, ok := codeTable.m[s]
	codeTable.RUnlock()
	if ok {
		return c
	}
	c = strings.Clone(s)
	codeTable.Lock()
	if len(codeTable.m) < 4096 { // codes only; bounded all the same
		codeTable.m[c] = c
	}
	codeTable.Unlock()
	return c
}

// Decode reads one row into rec and row (row's slices keep their
// capacity; rec.Fields is set to nil).
func (d *RowDecoder) Decode(rec *Record, row *Row) error {
	rec.Line = d.varint()
	rec.Fields = nil
	rec.Reject = d.str()
	rec.Message = d.str()
	rec.Repair = d.str()
	rec.Raw = d.str()

	row.Reset()
	row.SourceFile = d.str()
	row.SourceLine = d.varint()
	row.Supplier = d.str()
	row.RunID = d.str()
	row.Raw = d.str()
	for _, p := range [...]*string{
		&row.FirstName, &row.LastName, &row.Street, &row.CO, &row.PostalCode, &row.City, &row.Country,
		&row.Email, &row.PNR, &row.PhoneE164, &row.MobileE164,
		&row.FirstNameRaw, &row.LastNameRaw, &row.StreetRaw, &row.PostalCodeRaw, &row.CityRaw,
		&row.EmailRaw, &row.PNRRaw, &row.PhoneRaw, &row.MobileRaw,
		&row.PhoneType, &row.MobileType, &row.StreetName, &row.StreetNumber, &row.StreetLetter,
		&row.Apartment, &row.BirthDate, &row.Gender, &row.IDKind, &row.NameKey, &row.EmailSuggestion,
		&row.SeenBefore, &row.CallableNumber, &row.FullNameRaw,
	} {
		*p = d.str()
	}
	row.Phones = d.list(row.Phones)
	row.Reasons = d.codes(row.Reasons)
	row.Extra = d.list(row.Extra)
	row.PhonesRaw = d.list(row.PhonesRaw)

	fixed := d.bytes(6)
	if fixed == nil {
		return ErrCorruptSpill
	}
	flags := fixed[0]
	for i, p := range [...]*bool{&row.Rejected, &row.PhoneValid, &row.MobileValid, &row.PostalValid,
		&row.PNRValid, &row.EmailValid, &row.Callable, &row.Mailable} {
		*p = flags&(1<<i) != 0
	}
	row.NIXBlockedMask = fixed[1]
	marks := binary.LittleEndian.Uint32(fixed[2:])
	for i, p := range [...]**bool{&row.NIXListed, &row.NIXConsent, &row.Robinson, &row.InternalDNC,
		&row.Deceased, &row.Erased, &row.Moved, &row.Protected, &row.PhoneOwnerMatch} {
		switch marks >> (2 * i) & 3 {
		case 1:
			*p = True
		case 2:
			*p = False
		}
	}
	row.NIXVersion = d.optStr()
	row.ValidUntil = d.optStr()
	row.DuplicateOf = d.varint()
	if b := d.bytes(4); b != nil {
		row.MatchScore = math.Float32frombits(binary.LittleEndian.Uint32(b))
	}
	row.HouseholdID = d.varint()
	return d.err
}
