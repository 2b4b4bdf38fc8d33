package worker

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/jobs"
)

const eventTemplate = `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"%NAME%",
 "s3":{"bucket":{"name":"%BUCKET%"},"object":{"key":"%KEY%","size":1234,"eTag":"%ETAG%","versionId":"v1"}}}]}`

func event(name, bucket, key, etag string) string {
	return strings.NewReplacer("%NAME%", name, "%BUCKET%", bucket, "%KEY%", key, "%ETAG%", etag).Replace(eventTemplate)
}

func TestParseS3Event(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		key     string
		wantErr bool
		none    bool
	}{
		{"plain", event("ObjectCreated:Put", "b", "inbox/acme/x.csv", "abc"), "inbox/acme/x.csv", false, false},
		{"plus is space", event("s3:ObjectCreated:Put", "b", "inbox/acme/my+file.csv", "abc"), "inbox/acme/my file.csv", false, false},
		{"percent escapes", event("ObjectCreated:Put", "b", "inbox/acme/%C3%A5r+2025%2B.csv", "abc"), "inbox/acme/år 2025+.csv", false, false},
		{"test event", `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2025-01-01T00:00:00Z","Bucket":"b"}`, "", false, true},
		{"not json", `{"Records":`, "", true, false},
		{"raw key with a bad escape", event("ObjectCreated:Put", "b", "inbox/acme/100%.csv", "abc"), "inbox/acme/100%.csv", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := ParseS3Event([]byte(tc.body))
			if tc.wantErr {
				if !errors.Is(err, ErrBadEvent) {
					t.Fatalf("err = %v, want ErrBadEvent", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.none {
				if len(objs) != 0 {
					t.Fatalf("test event gave %d objects", len(objs))
				}
				return
			}
			if len(objs) != 1 || objs[0].Key != tc.key || objs[0].ETag != "abc" || objs[0].Size != 1234 || objs[0].Bucket != "b" {
				t.Fatalf("objects = %+v", objs)
			}
		})
	}
}

func newTestTrigger(t *testing.T) (*Trigger, *asynq.Inspector, string) {
	t.Helper()
	mr := miniredis.RunT(t)
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: mr.Addr()})
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: mr.Addr()})
	t.Cleanup(func() { client.Close(); insp.Close() })
	root := t.TempDir()
	ledger, _ := infra.NewLocalStore(filepath.Join(root, "ledger"))
	washed, _ := infra.NewLocalStore(filepath.Join(root, "washed"))
	inbox, _ := infra.NewLocalStore(filepath.Join(root, "inbox"))
	tr, err := NewTrigger(TriggerConfig{Bucket: "b", Inbox: "inbox/", Output: "s3://b/washed", Enq: client,
		Options: jobs.Options{Company: "Acme AB"}, Ledger: ledger, Washed: washed,
		Now: func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) },
		List: func(ctx context.Context, prefix string, yield func(InboxObject) error) error {
			for o, err := range inbox.List(ctx, "") {
				if err != nil {
					return err
				}
				if o.ETag == "" { // the local store's List leaves it to Stat
					if o, err = inbox.Stat(ctx, o.Key); err != nil {
						return err
					}
				}
				if err := yield(InboxObject{Key: prefix + o.Key, ETag: o.ETag, Size: o.Size}); err != nil {
					return err
				}
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return tr, insp, root
}

func TestTriggerEventsDeduplicate(t *testing.T) {
	tr, insp, _ := newTestTrigger(t)
	srv := httptest.NewServer(tr)
	defer srv.Close()
	post := func(body string) int {
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name string
		body string
		code int
	}{
		{"created", event("ObjectCreated:Put", "b", "inbox/acme/x.csv", `\"e1\"`), 200},
		{"same again", event("ObjectCreated:Put", "b", "inbox/acme/x.csv", "e1"), 200},
		{"copy event of the same version", event("ObjectCreated:Copy", "b", "inbox/acme/x.csv", "e1"), 200},
		{"new version", event("ObjectCreated:Put", "b", "inbox/acme/x.csv", "e2"), 200},
		{"removal", event("ObjectRemoved:Delete", "b", "inbox/acme/y.csv", "e1"), 200},
		{"other bucket", event("ObjectCreated:Put", "c", "inbox/acme/y.csv", "e1"), 200},
		{"own output", event("ObjectCreated:Put", "b", "washed/acme/r1/_manifest.json", "e1"), 200},
		{"no supplier folder", event("ObjectCreated:Put", "b", "inbox/x.csv", "e1"), 200},
		{"bad supplier name", event("ObjectCreated:Put", "b", "inbox/Acme+AB/x.csv", "e1"), 200},
		{"test event", `{"Event":"s3:TestEvent"}`, 200},
		{"garbage", `not json`, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if code := post(tc.body); code != tc.code {
				t.Fatalf("status %d, want %d", code, tc.code)
			}
		})
	}
	tasks, err := insp.ListPendingTasks(jobs.QueueDefault)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 2 {
		t.Fatalf("%d tasks enqueued, want 2 (one per version)", len(tasks))
	}
	p, err := jobs.ParseWashFile(tasks[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	if p.Supplier != "acme" || p.Input.Store != "s3://b" || p.Options.AsOf != "2026-11-01" || p.RunID != RunID("s3://b", p.Input.Key, p.Input.Version) {
		t.Fatalf("payload %+v", p)
	}
	if tasks[0].Retention != 24*time.Hour {
		t.Fatalf("retention %v, want 24h", tasks[0].Retention)
	}
}

func TestTriggerSweep(t *testing.T) {
	tr, insp, root := newTestTrigger(t)
	for _, f := range []string{"acme/a.csv", "acme/b.csv", "beta/c.csv", "loose.csv"} {
		os.MkdirAll(filepath.Dir(filepath.Join(root, "inbox", f)), 0o755)
		os.WriteFile(filepath.Join(root, "inbox", f), []byte("data "+f), 0o644)
	}
	inbox, _ := infra.NewLocalStore(filepath.Join(root, "inbox"))
	etag := func(k string) string {
		info, err := inbox.Stat(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		return info.ETag
	}
	// a.csv is committed (manifest), b.csv failed (ledger): only c.csv is new.
	runA := RunID("s3://b", "inbox/acme/a.csv", etag("acme/a.csv"))
	os.MkdirAll(filepath.Join(root, "washed", "acme", runA), 0o755)
	os.WriteFile(filepath.Join(root, "washed", "acme", runA, ManifestKey), []byte("{}"), 0o644)
	runB := RunID("s3://b", "inbox/acme/b.csv", etag("acme/b.csv"))
	ledger, _ := infra.NewLocalStore(filepath.Join(root, "ledger"))
	if err := (Ledger{ledger}).Put(context.Background(), LedgerRecord{RunID: runB, Status: StatusFailed}); err != nil {
		t.Fatal(err)
	}
	st, err := tr.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st != (TriggerStats{Enqueued: 1, Done: 2, Ignored: 1}) {
		t.Fatalf("first sweep %+v", st)
	}
	st, err = tr.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st != (TriggerStats{Duplicates: 1, Done: 2, Ignored: 1}) {
		t.Fatalf("second sweep %+v", st)
	}
	tasks, _ := insp.ListPendingTasks(jobs.QueueDefault)
	if len(tasks) != 1 {
		t.Fatalf("%d tasks, want 1", len(tasks))
	}
}

// TestTriggerRawEventKeys: a server that sends keys raw ("a+b.csv" is a
// real plus) is recognised by checking which key exists.
func TestTriggerRawEventKeys(t *testing.T) {
	tests := []struct {
		name     string
		existing string
		sent     string
		want     string
	}{
		{"encoded as AWS does", "inbox/acme/a b.csv", "inbox/acme/a+b.csv", "inbox/acme/a b.csv"},
		{"raw plus", "inbox/acme/a+b.csv", "inbox/acme/a+b.csv", "inbox/acme/a+b.csv"},
		{"raw percent", "inbox/acme/50%25.csv", "inbox/acme/50%25.csv", "inbox/acme/50%25.csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, insp, _ := newTestTrigger(t)
			tr.cfg.Exists = func(_ context.Context, key string) (bool, error) { return key == tc.existing, nil }
			st, err := tr.HandleEvents(context.Background(), []byte(event("ObjectCreated:Put", "b", tc.sent, "e1")))
			if err != nil || st.Enqueued != 1 {
				t.Fatalf("stats %+v, err %v", st, err)
			}
			tasks, _ := insp.ListPendingTasks(jobs.QueueDefault)
			p, _ := jobs.ParseWashFile(tasks[0].Payload)
			if p.Input.Key != tc.want {
				t.Fatalf("key %q, want %q", p.Input.Key, tc.want)
			}
		})
	}
}
