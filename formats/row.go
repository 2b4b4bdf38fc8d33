package formats

// Row is one washed output row: the Parquet schema of rows/part-NNNNN.parquet.
// Column names are a contract read by other tools; add, never rename.
//
// Marks that depend on a register are pointers: NULL means "not checked"
// (the register was not supplied), which is different from false. Use the
// shared True/False pointers rather than allocating per row.
//
// Encodings in the tags are hints for the writer's CPU and the file size,
// not part of the contract. "dict" only on strings with at most a few
// hundred distinct values per row group (cities, street names and numbers,
// types, constants): its map stays in cache and it shrinks what zstd has
// to compress. Names, birth dates and postal codes (thousands of distinct
// values) keep the default DELTA_LENGTH_BYTE_ARRAY: dict there cut
// instructions but its bigger maps miss the cache, and no CPU time was
// gained. "delta" on int64 columns that count up or are mostly zero.
// worker/verify.go reads phone_raw, mobile_raw, email_raw, phones and
// reasons back page by page and rejects dictionary pages: keep those
// without "dict".
type Row struct {
	// Provenance (GDPR art. 14/15).
	SourceFile string `parquet:"source_file,dict"`
	SourceLine int64  `parquet:"source_line,delta"`
	Supplier   string `parquet:"supplier,dict"`
	RunID      string `parquet:"run_id,dict"`

	// Rejected rows could not be read as a record; Raw keeps the line.
	Rejected bool   `parquet:"rejected"`
	Raw      string `parquet:"raw"`

	// Canonical fields, normalised. A phone is empty unless it is a valid
	// number of a type a person can be called on.
	FirstName  string   `parquet:"first_name"`
	LastName   string   `parquet:"last_name"`
	Street     string   `parquet:"street"`
	CO         string   `parquet:"co"`
	PostalCode string   `parquet:"postal_code"`
	City       string   `parquet:"city,dict"`
	Country    string   `parquet:"country,dict"`
	Email      string   `parquet:"email"`
	PNR        string   `parquet:"pnr"`
	PhoneE164  string   `parquet:"phone_e164"`
	MobileE164 string   `parquet:"mobile_e164"`
	Phones     []string `parquet:"phones,list"` // further valid numbers, E.164

	// Values as the supplier sent them, so they can be shown what they sent.
	FirstNameRaw  string `parquet:"first_name_raw"`
	LastNameRaw   string `parquet:"last_name_raw"`
	StreetRaw     string `parquet:"street_raw"`
	PostalCodeRaw string `parquet:"postal_code_raw"`
	CityRaw       string `parquet:"city_raw,dict"`
	EmailRaw      string `parquet:"email_raw"`
	PNRRaw        string `parquet:"pnr_raw"`
	PhoneRaw      string `parquet:"phone_raw"`
	MobileRaw     string `parquet:"mobile_raw"`

	// Derived by the wash rules.
	PhoneType       string `parquet:"phone_type,dict"`  // mobile, fixed_line, premium_rate...
	MobileType      string `parquet:"mobile_type,dict"` // as PhoneType
	StreetName      string `parquet:"street_name,dict"`
	StreetNumber    string `parquet:"street_number,dict"`
	StreetLetter    string `parquet:"street_letter,dict"`
	Apartment       string `parquet:"apartment,dict"`
	BirthDate       string `parquet:"birth_date"`   // YYYY-MM-DD where the identity number is valid
	Gender          string `parquet:"gender,dict"`  // "M", "F" or ""
	IDKind          string `parquet:"id_kind,dict"` // personnummer, samordningsnummer, pesel
	NameKey         string `parquet:"name_key"`     // case- and accent-folded, for matching
	EmailSuggestion string `parquet:"email_suggestion"`

	// Validation marks.
	PhoneValid  bool `parquet:"phone_valid"`
	MobileValid bool `parquet:"mobile_valid"`
	PostalValid bool `parquet:"postal_valid"`
	PNRValid    bool `parquet:"pnr_valid"`
	EmailValid  bool `parquet:"email_valid"`

	// Suppression marks; NULL where the register was not used.
	NIXListed       *bool   `parquet:"nix_listed,optional"`
	NIXConsent      *bool   `parquet:"nix_consent,optional"`
	NIXVersion      *string `parquet:"nix_version,optional,dict"`
	ValidUntil      *string `parquet:"valid_until,optional,dict"`
	Robinson        *bool   `parquet:"robinson,optional"`
	InternalDNC     *bool   `parquet:"internal_dnc,optional"`
	Deceased        *bool   `parquet:"deceased,optional"`
	Erased          *bool   `parquet:"erased,optional"`
	Moved           *bool   `parquet:"moved,optional"`
	Protected       *bool   `parquet:"protected,optional"`
	PhoneOwnerMatch *bool   `parquet:"phone_owner_match,optional"`

	// Deduplication.
	DuplicateOf int64   `parquet:"duplicate_of,delta"` // source_line of the surviving row, 0 if none
	MatchScore  float32 `parquet:"match_score"`
	HouseholdID int64   `parquet:"household_id,delta"`
	SeenBefore  string  `parquet:"seen_before"` // "supplier/delivery/date" where first seen, "" if new

	// Decisions.
	Callable       bool     `parquet:"callable"`
	CallableNumber string   `parquet:"callable_number"`
	Mailable       bool     `parquet:"mailable"`
	Reasons        []string `parquet:"reasons,list"`

	// Extra carries unmapped input columns as "header=value" pairs.
	Extra []string `parquet:"extra,list"`

	// Transient values for stages; not written.
	FullNameRaw string   `parquet:"-"` // a "name" column holding first and last name
	PhonesRaw   []string `parquet:"-"` // further phone columns as sent
	// NIXBlockedMask marks which valid numbers the suppress stage found
	// blocked by NIX, for the decide stage: bit 0 PhoneE164, bit 1
	// MobileE164, bit 2+i Phones[i] (i < 5); bit 7 any of Phones[5:].
	NIXBlockedMask uint8 `parquet:"-"`
}

var (
	trueVal  = true
	falseVal = false
)

// Shared pointers for the nullable marks: no allocation per row.
// Never write through them.
var (
	True  = &trueVal
	False = &falseVal
)

// Bool returns the shared pointer for b.
func Bool(b bool) *bool {
	if b {
		return True
	}
	return False
}

// Reset clears r for reuse, keeping the capacity of its slices.
func (r *Row) Reset() {
	phones, reasons, extra, praw := r.Phones[:0], r.Reasons[:0], r.Extra[:0], r.PhonesRaw[:0]
	*r = Row{}
	r.Phones, r.Reasons, r.Extra, r.PhonesRaw = phones, reasons, extra, praw
}

// AddReason appends a reason code once.
func (r *Row) AddReason(code string) {
	for _, c := range r.Reasons {
		if c == code {
			return
		}
	}
	r.Reasons = append(r.Reasons, code)
}

// HasReason reports whether code is among the row's reasons.
func (r *Row) HasReason(code string) bool {
	for _, c := range r.Reasons {
		if c == code {
			return true
		}
	}
	return false
}
