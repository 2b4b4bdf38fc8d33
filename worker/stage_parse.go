package worker

import (
	"context"
	"strconv"

	"github.com/listwash/listwash/formats"
)

// parseStage turns records into rows: provenance, rejected rows, and each
// mapped cell copied into its raw field. It validates nothing; later stages
// normalise the raw values.
type parseStage struct {
	env    Env
	cols   []formats.Field
	extra  []string // "header=" prefix per unmapped column, "" for mapped ones
	ignore []bool   // columns a profile drops on purpose
}

// NewParseStage returns the first stage of every wash.
func NewParseStage(env Env, m formats.Mapping) Stage {
	p := &parseStage{env: env, cols: m.Columns, extra: make([]string, len(m.Columns)), ignore: make([]bool, len(m.Columns))}
	for i, f := range m.Columns {
		p.ignore[i] = m.IsIgnored(i)
		if f == formats.FieldNone || f == formats.FieldConsentCompany || f == formats.FieldConsentDate {
			name := m.Names[i]
			if name == "" {
				name = "column" + strconv.Itoa(i+1)
			}
			p.extra[i] = name + "="
		}
	}
	return p
}

func (p *parseStage) Name() string { return "parse" }

func (p *parseStage) Process(_ context.Context, b *Batch) error {
	for i := range b.Records {
		p.parse(&b.Records[i], &b.Rows[i])
	}
	return nil
}

func (p *parseStage) parse(rec *formats.Record, row *formats.Row) {
	row.SourceFile = p.env.SourceFile
	row.SourceLine = rec.Line
	row.Supplier = p.env.Supplier
	row.RunID = p.env.RunID
	if rec.Reject != "" {
		row.Rejected = true
		row.Raw = rec.Raw
		row.AddReason(rec.Reject)
		return
	}
	if rec.Repair != "" {
		row.AddReason(rec.Repair)
	}
	for i, v := range rec.Fields {
		if i >= len(p.cols) {
			// Beyond the header: a ragged row the reader kept. Carry it.
			if v != "" {
				row.Extra = append(row.Extra, "column"+strconv.Itoa(i+1)+"="+v)
			}
			continue
		}
		if v == "" || p.ignore[i] {
			continue
		}
		switch p.cols[i] {
		case formats.FieldFirstName:
			row.FirstNameRaw = v
		case formats.FieldLastName:
			row.LastNameRaw = v
		case formats.FieldFullName:
			row.FullNameRaw = v
		case formats.FieldStreet:
			row.StreetRaw = v
		case formats.FieldCO:
			row.CO = v
		case formats.FieldPostalCode:
			row.PostalCodeRaw = v
		case formats.FieldCity:
			row.CityRaw = v
		case formats.FieldCountry:
			row.Country = v
		case formats.FieldPhone:
			if row.PhoneRaw == "" {
				row.PhoneRaw = v
			} else {
				row.PhonesRaw = append(row.PhonesRaw, v)
			}
		case formats.FieldMobile:
			if row.MobileRaw == "" {
				row.MobileRaw = v
			} else {
				row.PhonesRaw = append(row.PhonesRaw, v)
			}
		case formats.FieldPhoneOther:
			row.PhonesRaw = append(row.PhonesRaw, v)
		case formats.FieldEmail:
			row.EmailRaw = v
		case formats.FieldPNR:
			row.PNRRaw = v
		default:
			row.Extra = append(row.Extra, p.extra[i]+v)
		}
	}
}
