package worker

import (
	"strings"
	"testing"

	"github.com/hibiken/asynq"
)

type nopEnqueuer struct{}

func (nopEnqueuer) Enqueue(*asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) { return nil, nil }

func TestInboxFile(t *testing.T) {
	for _, tc := range []struct {
		name, key      string
		supplier, file string // want; file "" with want error
		err            string
	}{
		{"delivery", "inbox/acme/d.csv", "acme", "d.csv", ""},
		{"nested name", "inbox/acme/2026/d.csv", "acme", "2026/d.csv", ""},
		{"space and plus", "inbox/acme/a b+c.csv", "acme", "a b+c.csv", ""},
		{"outside the inbox", "washed/acme/d.csv", "", "", "not under the inbox"},
		{"loose file", "inbox/d.csv", "", "", "not a file in a supplier folder"},
		{"folder marker", "inbox/acme/sub/", "", "", "not a file in a supplier folder"},
		{"hidden", "inbox/acme/.d.csv", "", "", "hidden file"},
		{"hidden in a folder", "inbox/acme/x/.part", "", "", "hidden file"},
		{"dot-dot", "inbox/acme/..", "", "", "hidden file"},
		{"bad supplier", "inbox/ac me/d.csv", "", "", "supplier id"},
		{"dot supplier", "inbox/.acme/d.csv", "", "", "supplier id"},
		{"long supplier", "inbox/" + strings.Repeat("a", 65) + "/d.csv", "", "", "supplier id"},
		{"unclean", "inbox/acme/x//d.csv", "", "", "not a clean key"},
		{"dot-dot inside", "inbox/acme/x/../d.csv", "", "", "not a clean key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, f, err := InboxFile("inbox/", tc.key)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || s != tc.supplier || f != tc.file {
				t.Fatalf("got %q %q %v", s, f, err)
			}
		})
	}
}

// TestDeliveryKey: what DeliveryKey accepts the trigger washes; what it
// refuses is named in one line.
func TestDeliveryKey(t *testing.T) {
	tr, err := NewTrigger(TriggerConfig{Bucket: "b", Inbox: "in/coming/", Output: "s3://b/washed", Enq: nopEnqueuer{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, supplier, file string
		err                  string // "" : accepted
	}{
		{"csv", "acme", "delivery.csv", ""},
		{"xlsx with spaces", "Acme_AB-2.0", "Leverans mars 2026.xlsx", ""},
		{"non-ASCII", "acme", "lista-åäö.csv", ""},
		{"no extension", "acme", "export", ""},
		{"empty supplier", "", "d.csv", "supplier id"},
		{"supplier with slash", "ac/me", "d.csv", "supplier id"},
		{"supplier with space", "ac me", "d.csv", "supplier id"},
		{"supplier dot", ".acme", "d.csv", "supplier id"},
		{"supplier too long", strings.Repeat("s", 65), "d.csv", "supplier id"},
		{"empty name", "acme", "", "file name is empty"},
		{"folder", "acme", "2026/d.csv", "path separator"},
		{"backslash", "acme", `C:\x\d.csv`, "path separator"},
		{"traversal", "acme", "../d.csv", "path separator"},
		{"dot", "acme", ".", "'.' or '..'"},
		{"dot-dot", "acme", "..", "'.' or '..'"},
		{"hidden", "acme", ".d.csv", "would not be washed: hidden file"},
		{"newline", "acme", "d\n.csv", "control characters"},
		{"not UTF-8", "acme", "d\xff.csv", "not UTF-8"},
		{"too long", "acme", strings.Repeat("x", 1100), "too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, err := DeliveryKey("in/coming/", tc.supplier, tc.file)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "\n") || (len(tc.file) > 3 && strings.Contains(err.Error(), tc.file)) {
					t.Fatalf("error is not one line or quotes the name: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := "in/coming/" + tc.supplier + "/" + tc.file; key != want {
				t.Fatalf("key %q, want %q", key, want)
			}
			p, err := tr.payload(InboxObject{Key: key, ETag: `"e1"`, Size: 10})
			if err != nil {
				t.Fatalf("trigger refuses the key DeliveryKey gave: %v", err)
			}
			if p.Supplier != tc.supplier || p.Input.Key != key {
				t.Fatalf("payload %+v", p)
			}
		})
	}
}
