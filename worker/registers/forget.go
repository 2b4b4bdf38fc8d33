package registers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
)

// The forget list (GDPR erasure and objection) holds only keyed hashes:
// key_id,kind,hmac with hmac = hex(HMAC-SHA256(key, canonical value)). The
// canonical values are:
//
//	pnr           the normalised 12-digit personnummer
//	phone         the E.164 number, "+46701234567"
//	email         the normalised address
//	name_address  "first last|street|postalcode", folded (lower case, single
//	              spaces, postal code letters and digits only); the value
//	              given to "forget add" is "First Last|Street|Postal code"
//
// The keys never live in the store: they come from LISTWASH_FORGET_KEYS.

// Forget kinds.
const (
	KindPNR         = "pnr"
	KindPhone       = "phone"
	KindEmail       = "email"
	KindNameAddress = "name_address"
)

// ForgetKinds lists the kinds, in a fixed order.
var ForgetKinds = []string{KindPNR, KindPhone, KindEmail, KindNameAddress}

// Kind indexes in ForgetKinds.
const (
	kindPNR uint8 = iota
	kindPhone
	kindEmail
	kindNameAddress
)

// ForgetKeysEnv is the environment variable holding the forget keys:
// "id1:base64key,id2:base64key", the first the current key.
const ForgetKeysEnv = "LISTWASH_FORGET_KEYS"

// ErrForgetKey means a forget key is missing or malformed. Messages name
// key ids, never key material or values.
var ErrForgetKey = errors.New("forget key")

// ErrForgetValue means a value given to the forget list does not
// normalise as its kind. The message never holds the value.
var ErrForgetValue = errors.New("invalid forget value")

// ForgetKey is one HMAC key of the forget list.
type ForgetKey struct {
	ID  string
	Key []byte
}

// String hides the key material from logs and %v.
func (k ForgetKey) String() string { return "ForgetKey(" + k.ID + ")" }

// GoString hides the key material from %#v.
func (k ForgetKey) GoString() string { return k.String() }

// ParseForgetKeys parses "id1:base64key,id2:base64key". Keys must be at
// least 16 bytes; ids are unique, without ',' ':' or white space.
func ParseForgetKeys(s string) ([]ForgetKey, error) {
	var keys []ForgetKey
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, ":")
		id = strings.TrimSpace(id)
		if !ok || id == "" || strings.ContainsAny(id, " \t") {
			return nil, fmt.Errorf("%s entry %d: want id:base64key: %w", ForgetKeysEnv, i+1, ErrForgetKey)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil {
			key, err = base64.RawStdEncoding.DecodeString(strings.TrimSpace(b64))
		}
		if err != nil {
			return nil, fmt.Errorf("%s key %q: not base64: %w", ForgetKeysEnv, id, ErrForgetKey)
		}
		if len(key) < 16 {
			return nil, fmt.Errorf("%s key %q: shorter than 16 bytes: %w", ForgetKeysEnv, id, ErrForgetKey)
		}
		if slices.ContainsFunc(keys, func(k ForgetKey) bool { return k.ID == id }) {
			return nil, fmt.Errorf("%s key %q: given twice: %w", ForgetKeysEnv, id, ErrForgetKey)
		}
		keys = append(keys, ForgetKey{ID: id, Key: key})
	}
	return keys, nil
}

// FindForgetKey returns the key with id.
func FindForgetKey(keys []ForgetKey, id string) (ForgetKey, bool) {
	for _, k := range keys {
		if k.ID == id {
			return k, true
		}
	}
	return ForgetKey{}, false
}

// ForgetCanonical normalises value as kind: the bytes that are hashed.
// The error never holds the value.
func ForgetCanonical(kind, value string, opts LoadOptions) ([]byte, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	switch kind {
	case KindPNR:
		if p, ok := opts.NormalisePNR(value); ok {
			return []byte(p), nil
		}
	case KindPhone:
		if k, ok := opts.PhoneKey(value); ok {
			return appendE164(nil, k), nil
		}
	case KindEmail:
		if e, ok := opts.NormaliseEmail(value); ok {
			return []byte(e), nil
		}
	case KindNameAddress:
		parts := strings.Split(value, "|")
		if len(parts) == 3 && strings.TrimSpace(parts[0]) != "" && strings.TrimSpace(parts[1]) != "" && strings.TrimSpace(parts[2]) != "" {
			return appendNameAddress(nil, parts[0], "", parts[1], parts[2]), nil
		}
	default:
		return nil, fmt.Errorf("unknown kind %q (want %s): %w", kind, strings.Join(ForgetKinds, ", "), ErrForgetValue)
	}
	return nil, fmt.Errorf("not a valid %s: %w", kind, ErrForgetValue)
}

// ForgetHash is the HMAC-SHA256 of a canonical value under key.
func ForgetHash(key ForgetKey, canonical []byte) [32]byte {
	m := hmac.New(sha256.New, key.Key)
	m.Write(canonical)
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// ForgetEntry is one line of the forget list.
type ForgetEntry struct {
	KeyID string
	Kind  string
	Hash  [32]byte
}

// ForgetHeader is the header line of forget list files.
const ForgetHeader = "key_id,kind,hmac"

// WriteForgetEntries writes a forget list file: the header and the entries.
func WriteForgetEntries(w io.Writer, entries []ForgetEntry) error {
	var b strings.Builder
	b.WriteString(ForgetHeader + "\n")
	for _, e := range entries {
		b.WriteString(e.KeyID)
		b.WriteByte(',')
		b.WriteString(e.Kind)
		b.WriteByte(',')
		b.WriteString(hex.EncodeToString(e.Hash[:]))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ReadForgetEntries reads every forget list file of the folder in st:
// keyed by file, in key order.
func ReadForgetEntries(ctx context.Context, src Source) (map[string][]ForgetEntry, []string, error) {
	files, err := listFiles(ctx, src, ForgetName)
	if err != nil {
		return nil, nil, err
	}
	out := map[string][]ForgetEntry{}
	var keys []string
	for _, f := range files {
		var es []ForgetEntry
		err := forTables(ctx, src, []file{f}, []string{"key_id", "kind", "hmac"}, func(t *table) error {
			e, err := parseForgetEntry(t)
			if err != nil {
				return err
			}
			es = append(es, e)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		out[f.Key] = es
		keys = append(keys, f.Key)
	}
	return out, keys, nil
}

func parseForgetEntry(t *table) (ForgetEntry, error) {
	e := ForgetEntry{KeyID: t.get("key_id"), Kind: t.get("kind")}
	if e.KeyID == "" || !slices.Contains(ForgetKinds, e.Kind) {
		return e, fmt.Errorf("%s:%d: want key id and a kind of %s: %w", t.key, t.line(), strings.Join(ForgetKinds, ", "), ErrFormat)
	}
	h := t.get("hmac")
	if len(h) != 64 {
		return e, fmt.Errorf("%s:%d: hmac is not 64 hex digits: %w", t.key, t.line(), ErrFormat)
	}
	if _, err := hex.Decode(e.Hash[:], []byte(h)); err != nil {
		return e, fmt.Errorf("%s:%d: hmac is not 64 hex digits: %w", t.key, t.line(), ErrFormat)
	}
	return e, nil
}

// Forget is the loaded forget list: the hashes under each key id.
type Forget struct {
	byKey map[string]map[forgetKey]struct{}
	kinds map[string]uint8 // per key id: the kinds (1<<kind) of its entries
	n     int
}

type forgetKey struct {
	kind uint8 // index in ForgetKinds
	hash [32]byte
}

// KeyIDs lists the key ids the list uses.
func (f *Forget) KeyIDs() []string {
	var ids []string
	for id := range f.byKey {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (f *Forget) checkKeys(keys []ForgetKey) error {
	for _, id := range f.KeyIDs() {
		if _, ok := FindForgetKey(keys, id); !ok {
			return fmt.Errorf("forget list has entries under key %q, which %s does not hold: %w", id, ForgetKeysEnv, ErrForgetKey)
		}
	}
	return nil
}

func loadForget(ctx context.Context, src Source, files []file, _ *LoadOptions) (*loaded, error) {
	f := &Forget{byKey: map[string]map[forgetKey]struct{}{}, kinds: map[string]uint8{}}
	in := newInfo(ForgetName, files)
	err := forTables(ctx, src, files, []string{"key_id", "kind", "hmac"}, func(t *table) error {
		e, err := parseForgetEntry(t)
		if err != nil {
			return err
		}
		m := f.byKey[e.KeyID]
		if m == nil {
			m = map[forgetKey]struct{}{}
			f.byKey[e.KeyID] = m
		}
		k := forgetKey{uint8(slices.Index(ForgetKinds, e.Kind)), e.Hash}
		if _, dup := m[k]; !dup {
			m[k] = struct{}{}
			f.kinds[e.KeyID] |= 1 << k.kind
			f.n++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	in.Entries, in.Bytes = f.n, int64(f.n)*80
	return &loaded{in, f}, nil
}

// forgetMatcher hashes row values under every key the list uses; one per
// goroutine (it holds HMAC state).
type forgetMatcher struct {
	f     *Forget
	macs  []hash.Hash
	sets  []map[forgetKey]struct{}
	masks []uint8 // per key: the kinds (1<<kind) its entries hold
	kinds uint8   // union of masks
	sum   []byte
}

func newForgetMatcher(f *Forget, keys []ForgetKey) *forgetMatcher {
	m := &forgetMatcher{f: f, sum: make([]byte, 0, 32)}
	for _, id := range f.KeyIDs() {
		k, ok := FindForgetKey(keys, id)
		if !ok {
			continue
		}
		mask := f.kinds[id]
		m.macs = append(m.macs, hmac.New(sha256.New, k.Key))
		m.sets = append(m.sets, f.byKey[id])
		m.masks = append(m.masks, mask)
		m.kinds |= mask
	}
	return m
}

// holds reports whether some key has entries of kind: a row value of a
// kind the list does not hold is not hashed.
func (m *forgetMatcher) holds(kind uint8) bool { return m.kinds&(1<<kind) != 0 }

// has reports whether the canonical value of kind is on the list.
func (m *forgetMatcher) has(kind uint8, canonical []byte) bool {
	for i, mac := range m.macs {
		if m.masks[i]&(1<<kind) == 0 {
			continue
		}
		mac.Reset()
		mac.Write(canonical)
		m.sum = mac.Sum(m.sum[:0])
		var k forgetKey
		k.kind = kind
		copy(k.hash[:], m.sum)
		if _, ok := m.sets[i][k]; ok {
			return true
		}
	}
	return false
}
