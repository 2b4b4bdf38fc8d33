package rules

import (
	"errors"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// The phone fast path answers from tables derived at start-up from the
// phone library's own metadata, so it gives the library's answer without its
// cost. For one country, every number-type pattern of the metadata (general,
// premium rate, toll free, ..., fixed line, mobile) is compiled with
// regexp/syntax, the same parser the library's regexp uses, and the patterns
// are run together as one deterministic automaton over the digits 0-9 (a
// subset construction over the compiled programs). A run gives, for any
// digit string, exactly which patterns match it in full; the possible-length
// lists are applied as in the library. This is the library's own decision
// (getNumberTypeHelper) with the regexp engine replaced by a table walk.

// Descriptions in the order the library tests them.
const (
	descGeneral = iota
	descPremium
	descTollFree
	descShared
	descVoip
	descPersonal
	descPager
	descUAN
	descVoicemail
	descFixed
	descMobile
	numDescs
)

var descTypes = [numDescs]PhoneType{
	descPremium:   PhonePremiumRate,
	descTollFree:  PhoneTollFree,
	descShared:    PhoneSharedCost,
	descVoip:      PhoneVoIP,
	descPersonal:  PhonePersonalNumber,
	descPager:     PhonePager,
	descUAN:       PhoneUAN,
	descVoicemail: PhoneVoicemail,
}

// maxNSN is the longest national significant number the library accepts.
const maxNSN = 17

// countryTable is the automaton and length rules of one country.
type countryTable struct {
	cc         int
	ccStr      string
	nationalPx string // national prefix for parsing, a plain digit string or ""
	sameMobFix bool
	next       [][16]int32 // transitions by digit&15 (10-15 unused: dead); state 0 is dead
	flat       []int32     // next laid flat, states times 16: flat[st*16|d] = next[st][d]*16
	accept     []uint16    // bit i: description i matches in full here
	lens       [numDescs]uint32
	anyLen     [numDescs]bool
	genLens    []int32 // general possible lengths, sorted
	localLens  []int32
	// typeAt[st*(maxNSN+1)+n] is typeOf(accept[st], n): the type of a
	// number of length n whose run ends in state st.
	typeAt []PhoneType
	// lenResult[n] is testLength(n) for the lengths a digit string of
	// fastPhone can have.
	lenResult [maxPhoneDigits + 1]lengthResult
}

func descsOf(m *phonenumbers.PhoneMetadata) [numDescs]*phonenumbers.PhoneNumberDesc {
	return [numDescs]*phonenumbers.PhoneNumberDesc{
		m.GetGeneralDesc(), m.GetPremiumRate(), m.GetTollFree(), m.GetSharedCost(),
		m.GetVoip(), m.GetPersonalNumber(), m.GetPager(), m.GetUan(),
		m.GetVoicemail(), m.GetFixedLine(), m.GetMobile(),
	}
}

var errUnsupportedPattern = errors.New("unsupported pattern")

// buildCountryTable derives the tables for one region from the library's
// metadata. It fails when a pattern uses a construct the automaton does not
// model; the fast path is then off for that region.
func buildCountryTable(m *phonenumbers.PhoneMetadata) (*countryTable, error) {
	t := &countryTable{cc: int(m.GetCountryCode()), sameMobFix: m.GetSameMobileAndFixedLinePattern()}
	t.ccStr = strconv.Itoa(t.cc)
	if m.GetNationalPrefixTransformRule() != "" {
		return nil, errUnsupportedPattern
	}
	npp := m.GetNationalPrefixForParsing()
	for i := 0; i < len(npp); i++ {
		if npp[i] < '0' || npp[i] > '9' {
			return nil, errUnsupportedPattern // a real pattern, not a plain prefix
		}
	}
	t.nationalPx = npp
	descs := descsOf(m)
	progs := make([]*syntax.Prog, numDescs)
	for i, d := range descs {
		pat := d.GetNationalNumberPattern()
		re, err := syntax.Parse(pat, syntax.Perl)
		if err != nil {
			return nil, err
		}
		p, err := syntax.Compile(re.Simplify())
		if err != nil {
			return nil, err
		}
		progs[i] = p
		if len(d.PossibleLength) == 0 {
			t.anyLen[i] = true
		}
		for _, l := range d.PossibleLength {
			if l >= 0 && l < 32 {
				t.lens[i] |= 1 << uint(l)
			}
		}
	}
	gen := descs[descGeneral]
	t.genLens = append([]int32(nil), gen.PossibleLength...)
	t.localLens = append([]int32(nil), gen.PossibleLengthLocalOnly...)
	if len(t.genLens) == 0 {
		return nil, errUnsupportedPattern
	}
	sort.Slice(t.genLens, func(a, b int) bool { return t.genLens[a] < t.genLens[b] })

	type pstate [numDescs][]uint32
	key := func(s *pstate) string {
		var b strings.Builder
		for _, set := range s {
			for _, pc := range set {
				b.WriteString(strconv.FormatUint(uint64(pc), 36))
				b.WriteByte(',')
			}
			b.WriteByte('|')
		}
		return b.String()
	}
	var start pstate
	for i, p := range progs {
		set, err := closure(p, nil, uint32(p.Start))
		if err != nil {
			return nil, err
		}
		start[i] = normSet(set)
	}
	ids := map[string]int32{}
	var states []pstate
	add := func(s pstate) int32 {
		empty := true
		for _, set := range s {
			if len(set) > 0 {
				empty = false
				break
			}
		}
		if empty {
			return 0
		}
		k := key(&s)
		if id, ok := ids[k]; ok {
			return id
		}
		id := int32(len(states))
		ids[k] = id
		states = append(states, s)
		t.next = append(t.next, [16]int32{})
		var acc uint16
		for i, set := range s {
			for _, pc := range set {
				if progs[i].Inst[pc].Op == syntax.InstMatch {
					acc |= 1 << uint(i)
				}
			}
		}
		t.accept = append(t.accept, acc)
		return id
	}
	states = append(states, pstate{}) // state 0: dead
	t.next = append(t.next, [16]int32{})
	t.accept = append(t.accept, 0)
	frontier := []int32{add(start)}
	for len(frontier) > 0 {
		if len(states) > 1<<20 {
			return nil, errUnsupportedPattern
		}
		var nextFrontier []int32
		for _, id := range frontier {
			for d := 0; d < 10; d++ {
				var ns pstate
				for i, p := range progs {
					var out []uint32
					for _, pc := range states[id][i] {
						in := &p.Inst[pc]
						if in.Op == syntax.InstMatch {
							continue
						}
						if in.MatchRune(rune('0' + d)) {
							var err error
							out, err = closure(p, out, in.Out)
							if err != nil {
								return nil, err
							}
						}
					}
					ns[i] = normSet(out)
				}
				before := len(states)
				nid := add(ns)
				t.next[id][d] = nid
				if int(nid) >= before && nid != 0 {
					nextFrontier = append(nextFrontier, nid)
				}
			}
		}
		frontier = nextFrontier
	}
	t.flat = make([]int32, 16*len(t.next))
	for st := range t.next {
		for d, to := range t.next[st] {
			t.flat[st*16+d] = to * 16
		}
	}
	for n := range t.lenResult {
		t.lenResult[n] = t.testLengthRules(n)
	}
	t.typeAt = make([]PhoneType, len(t.accept)*(maxNSN+1))
	for st, mask := range t.accept {
		for n := 0; n <= maxNSN; n++ {
			t.typeAt[st*(maxNSN+1)+n] = t.typeOf(mask, n)
		}
	}
	return t, nil
}

// closure adds pc and the instructions reachable from it without consuming
// input: the rune-consuming instructions and Match.
func closure(p *syntax.Prog, set []uint32, pc uint32) ([]uint32, error) {
	in := &p.Inst[pc]
	switch in.Op {
	case syntax.InstAlt, syntax.InstAltMatch:
		var err error
		if set, err = closure(p, set, in.Out); err != nil {
			return nil, err
		}
		return closure(p, set, in.Arg)
	case syntax.InstCapture, syntax.InstNop:
		return closure(p, set, in.Out)
	case syntax.InstFail:
		return set, nil
	case syntax.InstMatch, syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
		for _, x := range set {
			if x == pc {
				return set, nil
			}
		}
		return append(set, pc), nil
	default: // InstEmptyWidth: anchors and word boundaries are not modelled
		return nil, errUnsupportedPattern
	}
}

func normSet(s []uint32) []uint32 {
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s
}

// run walks the automaton over s, which holds only ASCII digits, and returns
// the accept mask of the state reached.
func (t *countryTable) run(s []byte) uint16 { return t.accept[t.runState(s)] }

// runState walks the automaton over s and returns the state reached (0:
// dead). The dead state leads only to itself, so the walk needs no early
// exit, and a row of 16 makes the digit's low four bits the index.
func (t *countryTable) runState(s []byte) int32 {
	flat := t.flat
	st := int32(16) // state 1, times 16
	for _, c := range s {
		st = flat[st|int32(c&15)]
	}
	return st >> 4
}

func (t *countryTable) matches(desc int, mask uint16, n int) bool {
	if mask&(1<<uint(desc)) == 0 {
		return false
	}
	return t.anyLen[desc] || t.lens[desc]&(1<<uint(n)) != 0
}

// numberType is getNumberTypeHelper over the tables.
func (t *countryTable) numberType(nsn []byte) PhoneType {
	if len(nsn) > maxNSN {
		return PhoneUnknown
	}
	return t.typeOf(t.run(nsn), len(nsn))
}

// typeOf classifies a number of length n whose automaton mask is mask.
func (t *countryTable) typeOf(mask uint16, n int) PhoneType {
	if n > maxNSN || !t.matches(descGeneral, mask, n) {
		return PhoneUnknown
	}
	for d := descPremium; d <= descVoicemail; d++ {
		if t.matches(d, mask, n) {
			return descTypes[d]
		}
	}
	if t.matches(descFixed, mask, n) {
		if t.sameMobFix || t.matches(descMobile, mask, n) {
			return PhoneFixedLineOrMobile
		}
		return PhoneFixedLine
	}
	if !t.sameMobFix && t.matches(descMobile, mask, n) {
		return PhoneMobile
	}
	return PhoneUnknown
}

// generalPattern reports whether s matches the general pattern (no length
// check), as the library's validNumberPattern / nationalNumberRule.
func (t *countryTable) generalPattern(s []byte) bool {
	return t.run(s)&1 != 0
}

// lengthResult mirrors testNumberLength(number, metadata, UNKNOWN).
type lengthResult uint8

const (
	lenPossible lengthResult = iota
	lenLocalOnly
	lenTooShort
	lenInvalid
	lenTooLong
)

func (t *countryTable) testLength(n int) lengthResult {
	if uint(n) < uint(len(t.lenResult)) {
		return t.lenResult[n]
	}
	return t.testLengthRules(n)
}

// testLengthRules is testLength from the length lists; buildCountryTable
// tabulates it in lenResult.
func (t *countryTable) testLengthRules(n int) lengthResult {
	if t.genLens[0] == -1 {
		return lenInvalid
	}
	for _, l := range t.localLens {
		if int(l) == n {
			return lenLocalOnly
		}
	}
	if int(t.genLens[0]) == n {
		return lenPossible
	}
	if int(t.genLens[0]) > n {
		return lenTooShort
	}
	if int(t.genLens[len(t.genLens)-1]) < n {
		return lenTooLong
	}
	for _, l := range t.genLens[1:] {
		if int(l) == n {
			return lenPossible
		}
	}
	return lenInvalid
}
