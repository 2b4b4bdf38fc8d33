package formats

import (
	"errors"
	"fmt"
	"math/bits"
	"reflect"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// rowParquet is how RowWriter hands rows to parquet-go: the columns of
// Row, in the same order and with the same names, types and repetition,
// so that the file schema is Row's (the writer is configured with
// SchemaOf(Row{}), which also gives the encodings). Only the 11 nullable
// marks differ. parquet-go writes a Go pointer column one row at a time
// (a column-buffer call per row and column), while it writes optional
// non-pointer columns in runs of non-null values; so here:
//
//   - a *bool mark is a triBool byte: 0 NULL, 1 true, 2 false;
//   - a *string mark is a []byte over the string's bytes: nil is NULL,
//     a non-nil empty slice the empty string.
//
// The columns before and after the marks are Row's own field layout
// (rowHead, rowTail), copied from a Row with one move each;
// rowParquetLayout checks at start-up that the layouts still match, and
// RowWriter falls back to writing Row directly when they do not.
type rowParquet struct {
	rowHead

	NIXListed       triBool `parquet:"nix_listed,optional"`
	NIXConsent      triBool `parquet:"nix_consent,optional"`
	NIXVersion      []byte  `parquet:"nix_version,string,optional,dict"`
	ValidUntil      []byte  `parquet:"valid_until,string,optional,dict"`
	Robinson        triBool `parquet:"robinson,optional"`
	InternalDNC     triBool `parquet:"internal_dnc,optional"`
	Deceased        triBool `parquet:"deceased,optional"`
	Erased          triBool `parquet:"erased,optional"`
	Moved           triBool `parquet:"moved,optional"`
	Protected       triBool `parquet:"protected,optional"`
	PhoneOwnerMatch triBool `parquet:"phone_owner_match,optional"`

	rowTail
}

// rowHead is Row from SourceFile to EmailValid, field for field.
type rowHead struct {
	SourceFile      string   `parquet:"source_file,dict"`
	SourceLine      int64    `parquet:"source_line,delta"`
	Supplier        string   `parquet:"supplier,dict"`
	RunID           string   `parquet:"run_id,dict"`
	Rejected        bool     `parquet:"rejected"`
	Raw             string   `parquet:"raw"`
	FirstName       string   `parquet:"first_name"`
	LastName        string   `parquet:"last_name"`
	Street          string   `parquet:"street"`
	CO              string   `parquet:"co"`
	PostalCode      string   `parquet:"postal_code"`
	City            string   `parquet:"city,dict"`
	Country         string   `parquet:"country,dict"`
	Email           string   `parquet:"email"`
	PNR             string   `parquet:"pnr"`
	PhoneE164       string   `parquet:"phone_e164"`
	MobileE164      string   `parquet:"mobile_e164"`
	Phones          []string `parquet:"phones,list"`
	FirstNameRaw    string   `parquet:"first_name_raw"`
	LastNameRaw     string   `parquet:"last_name_raw"`
	StreetRaw       string   `parquet:"street_raw"`
	PostalCodeRaw   string   `parquet:"postal_code_raw"`
	CityRaw         string   `parquet:"city_raw,dict"`
	EmailRaw        string   `parquet:"email_raw"`
	PNRRaw          string   `parquet:"pnr_raw"`
	PhoneRaw        string   `parquet:"phone_raw"`
	MobileRaw       string   `parquet:"mobile_raw"`
	PhoneType       string   `parquet:"phone_type,dict"`
	MobileType      string   `parquet:"mobile_type,dict"`
	StreetName      string   `parquet:"street_name,dict"`
	StreetNumber    string   `parquet:"street_number,dict"`
	StreetLetter    string   `parquet:"street_letter,dict"`
	Apartment       string   `parquet:"apartment,dict"`
	BirthDate       string   `parquet:"birth_date"`
	Gender          string   `parquet:"gender,dict"`
	IDKind          string   `parquet:"id_kind,dict"`
	NameKey         string   `parquet:"name_key"`
	EmailSuggestion string   `parquet:"email_suggestion"`
	PhoneValid      bool     `parquet:"phone_valid"`
	MobileValid     bool     `parquet:"mobile_valid"`
	PostalValid     bool     `parquet:"postal_valid"`
	PNRValid        bool     `parquet:"pnr_valid"`
	EmailValid      bool     `parquet:"email_valid"`
}

// rowTail is Row from DuplicateOf to Extra, field for field.
type rowTail struct {
	DuplicateOf    int64    `parquet:"duplicate_of,delta"`
	MatchScore     float32  `parquet:"match_score"`
	HouseholdID    int64    `parquet:"household_id,delta"`
	SeenBefore     string   `parquet:"seen_before"`
	Callable       bool     `parquet:"callable"`
	CallableNumber string   `parquet:"callable_number"`
	Mailable       bool     `parquet:"mailable"`
	Reasons        []string `parquet:"reasons,list"`
	Extra          []string `parquet:"extra,list"`
}

// triBool is a nullable mark in one byte: 0 NULL, 1 true, 2 false. It
// is a bool to Go's type system only so that parquet-go maps it to an
// optional BOOLEAN column: parquet-go takes a zero byte for NULL and
// stores the lowest bit of the others (sparse.GatherBits and
// booleanColumnBuffer mask with 1). Never read one as a Go bool; write
// it only through setTriBool. TestRowWriterMarksReadBack pins this
// behaviour of parquet-go.
type triBool bool

// setTriBool sets dst from p and returns 1 if p is not nil, else 0.
func setTriBool(dst *triBool, p *bool) uint64 {
	v, set := uint8(0), uint64(0)
	if p != nil {
		v, set = 2, 1
		if *p {
			v = 1
		}
	}
	*(*uint8)(unsafe.Pointer(dst)) = v
	return set
}

// emptyBytes is a non-nil empty slice: a mark set to "", not NULL.
var emptyBytes = []byte{}

// setBytes sets dst from p and returns 1 if p is not nil, else 0.
func setBytes(dst *[]byte, p *string) uint64 {
	switch {
	case p == nil:
		*dst = nil
		return 0
	case *p == "":
		*dst = emptyBytes
	default:
		*dst = unsafe.Slice(unsafe.StringData(*p), len(*p))
	}
	return 1
}

// tailOffset is where rowTail starts in a Row.
var tailOffset = func() uintptr {
	f, _ := reflect.TypeFor[Row]().FieldByName("DuplicateOf")
	return f.Offset
}()

// numMarks is the number of nullable marks, the optional columns.
const numMarks = 11

// marksSet has a bitmap per mark (in column order) of the rows of a batch
// where it is not NULL: bit i for the batch's row i.
type marksSet [numMarks]uint64

// set fills p from r, row i of a batch, and records in m which marks are
// set. parquet-go only reads p, and p does not outlive the Write call
// that uses it, so the marks' bytes may alias r's strings.
func (p *rowParquet) set(r *Row, m *marksSet, i int) {
	p.rowHead = *(*rowHead)(unsafe.Pointer(r))
	p.rowTail = *(*rowTail)(unsafe.Add(unsafe.Pointer(r), tailOffset))
	m[0] |= setTriBool(&p.NIXListed, r.NIXListed) << i
	m[1] |= setTriBool(&p.NIXConsent, r.NIXConsent) << i
	m[2] |= setBytes(&p.NIXVersion, r.NIXVersion) << i
	m[3] |= setBytes(&p.ValidUntil, r.ValidUntil) << i
	m[4] |= setTriBool(&p.Robinson, r.Robinson) << i
	m[5] |= setTriBool(&p.InternalDNC, r.InternalDNC) << i
	m[6] |= setTriBool(&p.Deceased, r.Deceased) << i
	m[7] |= setTriBool(&p.Erased, r.Erased) << i
	m[8] |= setTriBool(&p.Moved, r.Moved) << i
	m[9] |= setTriBool(&p.Protected, r.Protected) << i
	m[10] |= setTriBool(&p.PhoneOwnerMatch, r.PhoneOwnerMatch) << i
}

// rowBatch is the most rows RowWriter hands to parquet-go per Write: the
// rows parquet-go writes to its column buffers per call
// (ConcurrentRowGroupWriter.writeRows, maxRowsPerWrite), so that each
// Write is one such call and its rows are numbered from 0, as safeRows
// assumes.
const rowBatch = 64

// safeRows returns how many of the n (<= 64) rows of a batch can go to
// parquet-go in one Write without hitting a bug of parquet-go v0.32.0 in
// writing optional non-pointer columns (writeRowsFuncOfOptional): where
// a run of non-NULL values starts at row s of the call after a NULL, it
// takes the run to reach the end of the call when the null bitmap
// shifted by s equals 1<<s-1, i.e. when rows s to 2s-1 are set and all
// after are NULL. Rows 2s to n-1 are then written as set (false, "")
// instead of NULL. Ending the Write at row 2s avoids that: the NULLs
// start the next Write.
func safeRows(m *marksSet, n int) int {
	for {
		cut := n
		for _, set := range m {
			set &= 1<<n - 1
			if set == 0 {
				continue
			}
			last := 63 - bits.LeadingZeros64(set) // the last set row
			nulls := ^set & (1<<last - 1)         // NULL rows before it
			if nulls == 0 {
				continue // one run from row 0
			}
			s := 64 - bits.LeadingZeros64(nulls) // where the last run starts
			if last+1 == 2*s && 2*s < n {
				cut = min(cut, 2*s)
			}
		}
		if cut == n {
			return n
		}
		n = cut
	}
}

// rowParquetLayout is nil when rowParquet can stand in for Row: rowHead
// and rowTail have Row's fields at Row's offsets, Row has no written
// field after rowTail, and both types give the same Parquet schema. A
// field added to Row without updating rowParquet makes it non-nil.
var rowParquetLayout = checkRowParquetLayout()

func checkRowParquetLayout() error {
	row := reflect.TypeFor[Row]()
	same := func(part reflect.Type, first int, base uintptr) error {
		for i := range part.NumField() {
			p := part.Field(i)
			if first+i >= row.NumField() {
				return fmt.Errorf("%s.%s: not in Row", part.Name(), p.Name)
			}
			r := row.Field(first + i)
			if r.Name != p.Name || r.Type != p.Type || r.Tag != p.Tag || r.Offset != base+p.Offset {
				return fmt.Errorf("%s.%s: Row has %s %s %q at %d", part.Name(), p.Name, r.Name, r.Type, r.Tag, r.Offset)
			}
		}
		return nil
	}
	head, tail := reflect.TypeFor[rowHead](), reflect.TypeFor[rowTail]()
	first, _ := row.FieldByName("DuplicateOf")
	if err := same(head, 0, 0); err != nil {
		return err
	}
	if err := same(tail, first.Index[0], tailOffset); err != nil {
		return err
	}
	for i := first.Index[0] + tail.NumField(); i < row.NumField(); i++ {
		if f := row.Field(i); f.Tag.Get("parquet") != "-" {
			return fmt.Errorf("Row.%s: a column after rowTail", f.Name)
		}
	}
	if !parquet.EqualNodes(parquet.SchemaOf(rowParquet{}), parquet.SchemaOf(Row{})) {
		return errors.New("rowParquet and Row give different schemas")
	}
	return nil
}
