// Package rules holds the wash rules for single fields: phone numbers,
// postal codes and cities, streets, identity numbers, e-mail addresses and
// names. Each rule is a pure function of its input (and reference data such
// as a postcode directory), table-tested on its own. The normalise stage in
// package worker applies them to rows.
//
// Rules never allocate per value on the common path: results are held
// inline (Phone, Identity), view the input, or are built in an Arena.
package rules

// Reason codes written to Row.Reasons. A code names the field and what is
// wrong; the value itself stays in the row's *_raw column.
const (
	// Phone column ("phone"); the mobile column uses MOBILE_* with the same
	// endings, further phone columns PHONE_OTHER_*.
	ReasonPhoneHasLetters = "PHONE_HAS_LETTERS" // letters in the number
	ReasonPhoneTooShort   = "PHONE_TOO_SHORT"   // fewer digits than any number of its country
	ReasonPhoneTooLong    = "PHONE_TOO_LONG"    // more digits than any number of its country
	ReasonPhoneInvalid    = "PHONE_INVALID"     // no valid number of its country
	ReasonPhonePremium    = "PHONE_PREMIUM"     // premium rate (0900, 0939, 0944; PL 70x)
	ReasonPhoneTollFree   = "PHONE_TOLL_FREE"   // toll free (020; PL 800)
	ReasonPhoneSharedCost = "PHONE_SHARED_COST" // shared cost (077x; PL 801)
	ReasonPhoneVoIP       = "PHONE_VOIP"        // VoIP range (PL 39)
	ReasonPhonePersonal   = "PHONE_PERSONAL"    // personal (forwarding) number (075)
	ReasonPhonePager      = "PHONE_PAGER"       // pager (074; PL 64)
	ReasonPhoneUAN        = "PHONE_UAN"         // universal access / switchboard (010; PL 804)
	ReasonPhoneVoicemail  = "PHONE_VOICEMAIL"   // voicemail access (0254, 0673...)
	ReasonPhoneMultiple   = "PHONE_MULTIPLE"    // several numbers in one cell: the first valid one is used, the rest go to phones

	ReasonPostalMissing      = "POSTAL_MISSING"
	ReasonPostalFormat       = "POSTAL_FORMAT"
	ReasonPostalUnknown      = "POSTAL_UNKNOWN"
	ReasonPostalCityMismatch = "POSTAL_CITY_MISMATCH"

	// Identity numbers: one set of codes for personnummer,
	// samordningsnummer and PESEL (id_kind says which it is when valid).
	ReasonPNRMissing  = "PNR_MISSING"
	ReasonPNRFormat   = "PNR_FORMAT"   // layout or length, or birth number 000
	ReasonPNRChecksum = "PNR_CHECKSUM" // check digit wrong
	ReasonPNRDate     = "PNR_DATE"     // no such date, or born after the as-of date

	ReasonEmailInvalid    = "EMAIL_INVALID"
	ReasonEmailDomainTypo = "EMAIL_DOMAIN_TYPO" // email_suggestion holds the corrected address

	ReasonNameMissing = "NAME_MISSING" // neither first nor last name
)

// PhoneReasonCode gives the reason code for the phone column; "" for PhoneOK.
var PhoneReasonCode = phoneCodes("PHONE_")

// MobileReasonCode gives the reason code for the mobile column.
var MobileReasonCode = phoneCodes("MOBILE_")

// PhoneOtherReasonCode gives the reason code for further phone columns.
var PhoneOtherReasonCode = phoneCodes("PHONE_OTHER_")

func phoneCodes(prefix string) [numPhoneReasons]string {
	ends := [numPhoneReasons]string{
		PhoneHasLetters:    "HAS_LETTERS",
		PhoneTooShort:      "TOO_SHORT",
		PhoneTooLong:       "TOO_LONG",
		PhoneInvalid:       "INVALID",
		PhonePremium:       "PREMIUM",
		PhoneTollFreeNum:   "TOLL_FREE",
		PhoneSharedCostNum: "SHARED_COST",
		PhoneVoIPNum:       "VOIP",
		PhonePersonal:      "PERSONAL",
		PhonePagerNum:      "PAGER",
		PhoneUANNum:        "UAN",
		PhoneVoicemailNum:  "VOICEMAIL",
	}
	var out [numPhoneReasons]string
	for i, e := range ends {
		if e != "" {
			out[i] = prefix + e
		}
	}
	return out
}

// PostalReasonCode gives the reason code for a PostalReason; "" for PostalOK.
var PostalReasonCode = [...]string{
	PostalMissing:      ReasonPostalMissing,
	PostalFormat:       ReasonPostalFormat,
	PostalUnknown:      ReasonPostalUnknown,
	PostalCityMismatch: ReasonPostalCityMismatch,
}

// IDReasonCode gives the reason code for an IDReason; "" for IDOK.
var IDReasonCode = [...]string{
	IDMissing:  ReasonPNRMissing,
	IDFormat:   ReasonPNRFormat,
	IDChecksum: ReasonPNRChecksum,
	IDDate:     ReasonPNRDate,
}

// EmailReasonCode gives the reason code for an EmailReason; "" for EmailOK
// and EmailMissing (an absent e-mail is not a defect).
var EmailReasonCode = [...]string{
	EmailInvalid:    ReasonEmailInvalid,
	EmailDomainTypo: ReasonEmailDomainTypo,
}
