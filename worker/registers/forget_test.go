package registers

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/listwash/listwash/formats"
)

var (
	key1 = ForgetKey{ID: "k1", Key: []byte("0123456789abcdef0123456789abcdef")}
	key2 = ForgetKey{ID: "k2", Key: []byte("fedcba9876543210fedcba9876543210")}
)

func forgetFile(t *testing.T, key ForgetKey, values map[string]string) string {
	t.Helper()
	var es []ForgetEntry
	for v, kind := range values {
		c, err := ForgetCanonical(kind, v, testOptions())
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		es = append(es, ForgetEntry{KeyID: key.ID, Kind: kind, Hash: ForgetHash(key, c)})
	}
	var b bytes.Buffer
	if err := WriteForgetEntries(&b, es); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestForgetRules(t *testing.T) {
	files := map[string]string{
		"forget/forget-2026-10-01.csv": forgetFile(t, key1, map[string]string{
			pnrA[2:8] + "-" + pnrA[8:]:          KindPNR,
			"070-400 00 01":                     KindPhone,
			" Glomd@Exempel.SE":                 KindEmail,
			"Anna  Svensson|Storgatan 1|123 45": KindNameAddress,
		}),
		// Written with the new key during a rotation.
		"forget/forget-2026-11-01.csv": forgetFile(t, key2, map[string]string{"0704000002": KindPhone}),
	}
	opts := testOptions()
	opts.ForgetKeys = []ForgetKey{key2, key1}
	set := mustLoad(t, files, opts)
	cases := []struct {
		name string
		row  formats.Row
		want bool
	}{
		{"by pnr", formats.Row{PNR: pnrA, PNRValid: true}, true},
		{"pnr not valid on the row", formats.Row{PNR: pnrA}, false},
		{"by phone", formats.Row{PhoneE164: "+46704000001"}, true},
		{"by mobile under the new key", formats.Row{MobileE164: "+46704000002"}, true},
		{"by further number", formats.Row{Phones: []string{"+46709999999", "+46704000001"}}, true},
		{"by email", formats.Row{Email: "glomd@exempel.se"}, true},
		{"by name and address", formats.Row{FirstName: "ANNA", LastName: "svensson", Street: "Storgatan 1", PostalCode: "12345"}, true},
		{"name, another address", formats.Row{FirstName: "Anna", LastName: "Svensson", Street: "Storgatan 2", PostalCode: "12345"}, false},
		{"kind matters: the pnr hash is not an email", formats.Row{Email: pnrA}, false},
		{"nobody", formats.Row{PNR: pnrB, PNRValid: true, MobileE164: "+46709999999", Email: "x@y.se"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.row
			mark(t, set, acme, &r)
			if boolStr(r.Erased) != fmt.Sprint(c.want) || r.HasReason(ReasonErased) != c.want {
				t.Errorf("Erased = %s, reasons %v, want %v", boolStr(r.Erased), r.Reasons, c.want)
			}
		})
	}
	if in := set.Info(ForgetName); in.Entries != 5 || in.Version != "2026-11-01" {
		t.Errorf("forget info = %+v", in)
	}
	// Without the old key the list cannot be matched: the load fails.
	opts.ForgetKeys = []ForgetKey{key2}
	if _, err := Load(t.Context(), testStore(t, files), opts); !errors.Is(err, ErrForgetKey) {
		t.Errorf("missing key: %v", err)
	}
}

func TestParseForgetKeys(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString(key1.Key)
	cases := []struct {
		name string
		in   string
		ids  string
		err  bool
	}{
		{"two keys", "k2:" + b64 + ", k1:" + b64, "k2,k1", false},
		{"empty", "", "", false},
		{"no id", ":" + b64, "", true},
		{"not base64", "k1:%%%", "", true},
		{"too short", "k1:" + base64.StdEncoding.EncodeToString([]byte("short")), "", true},
		{"twice", "k1:" + b64 + ",k1:" + b64, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keys, err := ParseForgetKeys(c.in)
			if (err != nil) != c.err {
				t.Fatalf("err = %v", err)
			}
			if err != nil && strings.Contains(err.Error(), b64) {
				t.Error("error holds key material")
			}
			var ids []string
			for _, k := range keys {
				ids = append(ids, k.ID)
			}
			if strings.Join(ids, ",") != c.ids {
				t.Errorf("ids = %v", ids)
			}
			if len(keys) > 0 && strings.Contains(fmt.Sprintf("%v %+v %#v", keys[0], keys[0], keys), string(keys[0].Key)) {
				t.Error("key material printed")
			}
		})
	}
}

func TestForgetCanonical(t *testing.T) {
	cases := []struct {
		kind, value, want string
	}{
		{KindPNR, pnrA[2:], pnrA},
		{KindPhone, "070-123 45 67", "+46701234567"},
		{KindEmail, " A@B.SE ", "a@b.se"},
		{KindNameAddress, " Anna  Svensson | Storgatan 1 |123 45", "anna svensson|storgatan 1|12345"},
		{KindNameAddress, "Anna Svensson|Storgatan 1", ""},
		{KindPhone, "not a phone", ""},
		{"shoe", "x", ""},
	}
	for _, c := range cases {
		got, err := ForgetCanonical(c.kind, c.value, testOptions())
		if string(got) != c.want || (err != nil) != (c.want == "") {
			t.Errorf("%s %q: %q, %v; want %q", c.kind, c.value, got, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), c.value) {
			t.Errorf("error holds the value: %v", err)
		}
	}
}
