// Package registers loads the suppression and reference registers (NIX,
// consents, customers, Robinson, do-not-call, deceased, forget, addresses)
// from a registers folder, as laid out in docs/registers.md, and marks rows
// against them (Checker).
//
// Loaded registers are immutable and safe for concurrent use; a Cache
// shares them between runs. Numbers are held as 64-bit keys (E.164 digits,
// 12-digit personnummer, hashes of folded e-mails and addresses), never as
// strings, so a 3-million-number NIX takes about 36 MB.
package registers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"golang.org/x/sync/errgroup"
)

// Source is the read side of the store holding the registers folder (a
// local folder or an S3 prefix). infra.LocalStore satisfies it.
type Source interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	ListKeys(ctx context.Context, prefix string) ([]string, error)
}

// sizer is implemented by stores that can tell an object's size without
// reading it; snapshots then also check the source files' sizes.
type sizer interface {
	Size(ctx context.Context, key string) (int64, error)
}

// urler is implemented by stores that name their root (cache keys).
type urler interface {
	URL() string
}

// Register folder names, in the order Versions lists them.
const (
	NIXName       = "nix"
	ConsentsName  = "consents"
	CustomersName = "customers"
	RobinsonName  = "robinson"
	DNCName       = "dnc"
	DeceasedName  = "deceased"
	ForgetName    = "forget"
	AddressesName = "addresses"
)

// Names lists the registers Load knows, in a fixed order.
var Names = []string{NIXName, ConsentsName, CustomersName, RobinsonName, DNCName, DeceasedName, ForgetName, AddressesName}

// ErrConfig means the load options are incomplete.
var ErrConfig = errors.New("registers config")

// LoadOptions tells Load how to normalise register values: with the same
// rules as the delivery, so that "070-123 45 67" in NIX matches the row's
// "+46701234567". Registers load in parallel: the functions must be safe
// for concurrent use.
type LoadOptions struct {
	// PhoneKey turns a raw register phone value into its E.164 digits as
	// a uint64 (+46701234567 -> 46701234567); ok false if not a valid
	// number. Required.
	PhoneKey func(raw string) (uint64, bool)
	// NormalisePNR turns a raw identity number into its normalised 12
	// digits; ok false if invalid. Required.
	NormalisePNR func(raw string) (string, bool)
	// NormaliseEmail normalises an e-mail address as the delivery's rules
	// do. Default: trimmed and lower-cased, ok if it holds one '@'.
	NormaliseEmail func(raw string) (string, bool)
	// ForgetKeys are the HMAC keys of the forget list (ParseForgetKeys of
	// LISTWASH_FORGET_KEYS), the first the current one. Every key id the
	// forget list uses must be here, or Load fails.
	ForgetKeys []ForgetKey
	// AllowMissingForgetKeys loads a forget list whose key ids are not
	// configured (for "registers info"); such a Set cannot match it.
	AllowMissingForgetKeys bool
	// Cache, if set, shares loaded register versions between runs.
	Cache *Cache
	// SourceID names the source in cache keys; default the source's URL()
	// if it has one. Without either, the cache is not used.
	SourceID string
	// NoSnapshots parses the raw files even where a snapshot is up to date.
	NoSnapshots bool
}

func (o *LoadOptions) check() error {
	if o.PhoneKey == nil || o.NormalisePNR == nil {
		return fmt.Errorf("phone and personnummer normalisers are required: %w", ErrConfig)
	}
	if o.NormaliseEmail == nil {
		o.NormaliseEmail = defaultEmail
	}
	return nil
}

func defaultEmail(raw string) (string, bool) {
	s := strings.ToLower(strings.TrimSpace(raw))
	if strings.Count(s, "@") != 1 || strings.HasPrefix(s, "@") || strings.HasSuffix(s, "@") {
		return "", false
	}
	return s, true
}

// Info describes one register for the scorecard and the manifest.
type Info struct {
	Name     string   `json:"name"`              // folder name: "nix", "consents"...
	Used     bool     `json:"used"`              // false: folder missing or empty, check not run
	Version  string   `json:"version,omitempty"` // YYYY-MM-DD of the version used
	Entries  int      `json:"entries"`           // distinct entries loaded
	Skipped  int      `json:"skipped"`           // values that did not normalise, dropped
	Files    []string `json:"files,omitempty"`   // keys read (the snapshot's, if loaded from one)
	Snapshot bool     `json:"snapshot"`          // loaded from a prepared snapshot
	Bytes    int64    `json:"bytes"`             // approximate memory held
}

// Set is the registers of one registers folder. Nil fields are registers
// not used. Immutable after Load; safe for concurrent use.
type Set struct {
	NIX       *KeySet
	Consents  *Consents
	Customers *Customers
	Robinson  *TypedList
	DNC       *TypedList
	Deceased  *Deceased
	Forget    *Forget
	Addresses *Addresses

	infos      map[string]Info
	forgetKeys []ForgetKey
}

// Versions describes every register Load knows, used or not, in the
// order of Names.
func (s *Set) Versions() []Info {
	out := make([]Info, 0, len(Names))
	for _, n := range Names {
		out = append(out, s.Info(n))
	}
	return out
}

// Info describes one register by folder name.
func (s *Set) Info(name string) Info {
	if in, ok := s.infos[name]; ok {
		return in
	}
	return Info{Name: name}
}

// Used lists the names of the registers used, in the order of Names.
func (s *Set) Used() []string {
	var out []string
	for _, n := range Names {
		if s.infos[n].Used {
			out = append(out, n)
		}
	}
	return out
}

// NIXValidMonths is how long a number checked as not on NIX may be called,
// counted from the register version's date.
const NIXValidMonths = 2

// EarliestValidUntil is the date (YYYY-MM-DD) until which NIX marks made
// against this set hold: the NIX version plus 2 months; "" when NIX was not
// used. Rows lifted by a consent or a customer relationship may carry an
// earlier ValidUntil of their own (Checker.EarliestValidUntil tracks the
// earliest actually written).
func (s *Set) EarliestValidUntil() string {
	in := s.infos[NIXName]
	if !in.Used {
		return ""
	}
	d, _ := parseDay(in.Version)
	return d.addMonths(NIXValidMonths).String()
}

// loaded is one register version as loaded (what the Cache holds).
type loaded struct {
	info  Info
	value any
}

type loader func(ctx context.Context, src Source, files []file, opts *LoadOptions) (*loaded, error)

// accumulating registers load all their files; snapshot registers only the
// newest version.
var loaders = map[string]struct {
	fn         loader
	snapshotOf bool
}{
	NIXName:       {loadNIX, true},
	ConsentsName:  {loadConsents, false},
	CustomersName: {loadCustomers, false},
	RobinsonName:  {loadRobinson, false},
	DNCName:       {loadDNC, false},
	DeceasedName:  {loadDeceased, false},
	ForgetName:    {loadForget, false},
	AddressesName: {loadAddresses, true},
}

// Load reads every register of the folder src points at. A missing or
// empty sub-folder means the register is not used; a register that is
// present but unreadable fails the load. Registers load in parallel, up to
// one per core; an error names the first failing register in Names order.
func Load(ctx context.Context, src Source, opts LoadOptions) (*Set, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	id := opts.SourceID
	if u, ok := src.(urler); ok && id == "" {
		id = u.URL()
	}
	set := &Set{infos: map[string]Info{}, forgetKeys: opts.ForgetKeys}
	results := make([]*loaded, len(Names))
	errs := make([]error, len(Names))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, name := range Names {
		g.Go(func() error {
			results[i], errs[i] = loadOne(ctx, src, id, name, &opts)
			return nil
		})
	}
	g.Wait()
	for i, name := range Names {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if results[i] == nil {
			set.infos[name] = Info{Name: name}
			continue
		}
		set.infos[name] = results[i].info
		set.assign(name, results[i].value)
	}
	if set.Forget != nil && !opts.AllowMissingForgetKeys {
		if err := set.Forget.checkKeys(opts.ForgetKeys); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// loadOne loads one register, through the cache when there is one; nil
// if its folder has no files.
func loadOne(ctx context.Context, src Source, id, name string, opts *LoadOptions) (*loaded, error) {
	files, err := listFiles(ctx, src, name)
	if err != nil {
		return nil, err
	}
	l := loaders[name]
	if l.snapshotOf {
		files = newest(files)
	}
	if len(files) == 0 {
		return nil, nil
	}
	load := func() (*loaded, error) { return l.fn(ctx, src, files, opts) }
	if opts.Cache == nil || id == "" {
		return load()
	}
	ck, err := cacheKey(ctx, src, id, name, files)
	if err != nil {
		return nil, err
	}
	return opts.Cache.get(ctx, id+"\x00"+name, ck, load)
}

func (s *Set) assign(name string, v any) {
	switch name {
	case NIXName:
		s.NIX = v.(*KeySet)
	case ConsentsName:
		s.Consents = v.(*Consents)
	case CustomersName:
		s.Customers = v.(*Customers)
	case RobinsonName:
		s.Robinson = v.(*TypedList)
	case DNCName:
		s.DNC = v.(*TypedList)
	case DeceasedName:
		s.Deceased = v.(*Deceased)
	case ForgetName:
		s.Forget = v.(*Forget)
	case AddressesName:
		s.Addresses = v.(*Addresses)
	}
}

// newInfo starts the Info of a register loaded from files.
func newInfo(name string, files []file) Info {
	in := Info{Name: name, Used: true, Version: files[len(files)-1].Version.String()}
	for _, f := range files {
		in.Files = append(in.Files, f.Key)
	}
	return in
}
