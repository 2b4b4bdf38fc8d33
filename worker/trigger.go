package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hibiken/asynq"

	"github.com/listwash/listwash/jobs"
)

// RunID is the run id of one version of one input: deterministic, so an
// S3 event and an inbox sweep that see the same file agree on its run
// (and its output folder) without talking to each other. store is the
// bucket URL ("s3://bucket"), key the full object key, version its ETag.
func RunID(store, key, version string) string {
	return "r" + jobs.TaskID(store, key, normaliseVersion(version))
}

// Enqueuer enqueues tasks; *asynq.Client satisfies it.
type Enqueuer interface {
	Enqueue(task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// InboxObject is one object found in the inbox.
type InboxObject struct {
	Key  string // full key in the bucket
	ETag string
	Size int64
}

// ListFunc lists the objects under prefix, calling yield for each.
type ListFunc func(ctx context.Context, prefix string, yield func(InboxObject) error) error

// TriggerConfig configures the S3 event webhook and the inbox sweep.
type TriggerConfig struct {
	Bucket string   // bucket name; events for other buckets are ignored. Required.
	Inbox  string   // inbox prefix, "inbox/"; only keys under it are washed. Required.
	Output string   // store URL washes write under: "s3://bucket/washed". Required.
	Enq    Enqueuer // required
	// Options are the wash options of triggered runs; AsOf "" means the
	// date of enqueueing (UTC).
	Options jobs.Options
	// Retention keeps a finished task (and so its task id) in Redis that
	// long, so that a late duplicate event is refused. 0: 24h.
	Retention time.Duration
	// Ledger and Washed tell the sweep which runs are done; required for
	// Sweep.
	Ledger LedgerStore
	Washed Source // the store at Output
	List   ListFunc
	// Exists, if set, checks an event's key: AWS URL-encodes keys in
	// events ("a+b" is "a b"), some servers send them raw; when the
	// decoded key does not exist but the raw one does, the raw one is
	// used. nil: the decoded key is trusted.
	Exists func(ctx context.Context, key string) (bool, error)
	Logger *slog.Logger // nil: discard
	Now    func() time.Time
}

// Trigger turns S3 events and inbox listings into wash:file tasks.
type Trigger struct {
	cfg TriggerConfig
	log *slog.Logger
}

// TriggerStats counts what one event delivery or sweep did.
type TriggerStats struct {
	Enqueued   int `json:"enqueued"`
	Duplicates int `json:"duplicates"` // the task id was taken: queued, running or retained
	Done       int `json:"done"`       // sweep: run already committed or failed
	Ignored    int `json:"ignored"`    // not an object creation in the inbox
}

// NewTrigger checks cfg.
func NewTrigger(cfg TriggerConfig) (*Trigger, error) {
	if cfg.Bucket == "" || cfg.Output == "" || cfg.Enq == nil {
		return nil, errors.New("trigger: Bucket, Output and Enq are required")
	}
	if cfg.Inbox != "" && !strings.HasSuffix(cfg.Inbox, "/") {
		cfg.Inbox += "/"
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 24 * time.Hour
	}
	if cfg.Options.Mode == "" {
		cfg.Options.Mode = jobs.ModeMark
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Trigger{cfg: cfg, log: log}, nil
}

// storeURL is the input store of every payload: the bucket.
func (t *Trigger) storeURL() string { return "s3://" + t.cfg.Bucket }

// payload builds the wash:file payload for an inbox object, or reports
// why the object is not washed.
func (t *Trigger) payload(o InboxObject) (jobs.WashFile, error) {
	supplier, _, err := InboxFile(t.cfg.Inbox, o.Key)
	if err != nil {
		return jobs.WashFile{}, err
	}
	opts := t.cfg.Options
	if opts.AsOf == "" {
		opts.AsOf = t.cfg.Now().UTC().Format(jobs.AsOfLayout)
	}
	version := normaliseVersion(o.ETag)
	p := jobs.WashFile{RunID: RunID(t.storeURL(), o.Key, version), Supplier: supplier,
		Input:  jobs.Ref{Store: t.storeURL(), Key: o.Key, Version: version, Size: o.Size},
		Output: t.cfg.Output, Options: opts}
	if err := p.Validate(); err != nil {
		return jobs.WashFile{}, err
	}
	return p, nil
}

// InboxFile splits key, a full object key, into the supplier id and the
// file name of a delivery in inbox ("inbox/"), or says why the trigger
// does not wash the object: not under the inbox, not in a supplier folder
// (inbox/<supplier>/<file>), a hidden file (a name starting with "."), a
// supplier id that is not 1-64 of [A-Za-z0-9._-] or a key that is not a
// clean path. The name may contain folders. Errors never quote the key.
func InboxFile(inbox, key string) (supplier, name string, err error) {
	rest, ok := strings.CutPrefix(key, inbox)
	if !ok {
		return "", "", errors.New("not under the inbox")
	}
	supplier, name, ok = strings.Cut(rest, "/")
	switch {
	case !ok || name == "" || strings.HasSuffix(name, "/"):
		return "", "", errors.New("not a file in a supplier folder (inbox/<supplier>/<file>)")
	case strings.HasPrefix(path.Base(name), "."):
		return "", "", errors.New("hidden file")
	case !jobs.ValidID(supplier):
		return "", "", errors.New("supplier id is not 1-64 of [A-Za-z0-9._-] (not starting with '.')")
	case path.Clean(key) != key:
		return "", "", errors.New("not a clean key (empty, '.' or '..' folders)")
	}
	return supplier, name, nil
}

// maxKeyLen is S3's limit on a key, in bytes.
const maxKeyLen = 1024

// DeliveryKey is the key a supplier uploads a delivery named name to:
// inbox + supplier + "/" + name, checked with InboxFile, so the trigger
// washes what lands there. name must also be one plain file name (no
// folders, no '\', no control characters, valid UTF-8), as a vendor is
// given one URL for one file.
func DeliveryKey(inbox, supplier, name string) (string, error) {
	if !jobs.ValidID(supplier) {
		return "", errors.New("supplier id is not 1-64 of [A-Za-z0-9._-] (not starting with '.')")
	}
	switch {
	case name == "":
		return "", errors.New("file name is empty")
	case strings.ContainsAny(name, `/\`):
		return "", errors.New("file name contains a path separator: give the name only")
	case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return "", errors.New("file name has control characters or is not UTF-8")
	case name == "." || name == "..":
		return "", errors.New("file name is '.' or '..'")
	}
	key := inbox + supplier + "/" + name
	if len(key) > maxKeyLen {
		return "", fmt.Errorf("file name too long: the key would be %d bytes, S3 allows %d", len(key), maxKeyLen)
	}
	if _, _, err := InboxFile(inbox, key); err != nil {
		return "", fmt.Errorf("file would not be washed: %w", err)
	}
	return key, nil
}

// enqueue enqueues one object; a task id already taken is a duplicate.
func (t *Trigger) enqueue(o InboxObject, st *TriggerStats) error {
	p, err := t.payload(o)
	if err != nil {
		t.log.Debug("object not washed", "key", o.Key, "why", err)
		st.Ignored++
		return nil
	}
	task, err := jobs.NewWashFileTask(p, asynq.Retention(t.cfg.Retention))
	if err != nil {
		return err
	}
	if _, err := t.cfg.Enq.Enqueue(task); err != nil {
		if errors.Is(err, asynq.ErrTaskIDConflict) {
			st.Duplicates++
			return nil
		}
		return fmt.Errorf("enqueue: %w", err)
	}
	st.Enqueued++
	t.log.Info("wash enqueued", "run_id", p.RunID, "supplier", p.Supplier, "bytes", o.Size)
	return nil
}

// s3Event is the part of an S3 event notification the trigger reads.
type s3Event struct {
	Event   string `json:"Event"` // "s3:TestEvent" on a test message
	Records []struct {
		EventName string `json:"eventName"`
		S3        struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key       string `json:"key"`
				Size      int64  `json:"size"`
				ETag      string `json:"eTag"`
				VersionID string `json:"versionId"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
}

// ErrBadEvent: the body is not an S3 event notification.
var ErrBadEvent = errors.New("not an S3 event notification")

// EventObject is an object named by one S3 event record.
type EventObject struct {
	EventName string
	Bucket    string
	RawKey    string // the key as sent, before URL-decoding
	InboxObject
}

// ParseS3Event reads an S3 event notification (AWS's JSON, as MinIO and
// versitygw send it too). Keys are URL-decoded ('+' is a space). A test
// event has no records.
func ParseS3Event(data []byte) ([]EventObject, error) {
	var ev s3Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadEvent, err)
	}
	if ev.Event == "s3:TestEvent" {
		return nil, nil
	}
	out := make([]EventObject, 0, len(ev.Records))
	for _, r := range ev.Records {
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			key = r.S3.Object.Key // a server that sends keys raw
		}
		out = append(out, EventObject{EventName: r.EventName, Bucket: r.S3.Bucket.Name, RawKey: r.S3.Object.Key,
			InboxObject: InboxObject{Key: key, ETag: normaliseVersion(r.S3.Object.ETag), Size: r.S3.Object.Size}})
	}
	return out, nil
}

// HandleEvents enqueues a wash for every object creation in an event
// notification. Other events, other buckets and keys outside the inbox
// are ignored; duplicates are success.
func (t *Trigger) HandleEvents(ctx context.Context, data []byte) (TriggerStats, error) {
	var st TriggerStats
	objs, err := ParseS3Event(data)
	if err != nil {
		return st, err
	}
	for _, o := range objs {
		if !strings.Contains(o.EventName, "ObjectCreated") || o.Bucket != t.cfg.Bucket {
			st.Ignored++
			continue
		}
		if o.ETag == "" {
			// Without a version the run id would not match the sweep's:
			// leave it to the sweep.
			t.log.Info("event without an ETag ignored; the sweep will find the object", "key", o.Key)
			st.Ignored++
			continue
		}
		if t.cfg.Exists != nil && o.RawKey != o.Key {
			ok, err := t.cfg.Exists(ctx, o.Key)
			if err != nil {
				return st, fmt.Errorf("check event key: %w", err)
			}
			if !ok {
				o.Key = o.RawKey
			}
		}
		if err := t.enqueue(o.InboxObject, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

// ServeHTTP is the webhook: POST an S3 event notification. 200 with the
// stats; 400 for a body that is not an event; 503 when tasks cannot be
// enqueued (the sender retries, and the sweep is the backstop).
func (t *Trigger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST an S3 event notification", http.StatusMethodNotAllowed)
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusBadRequest)
		return
	}
	st, err := t.HandleEvents(r.Context(), data)
	switch {
	case errors.Is(err, ErrBadEvent):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case err != nil:
		t.log.Error("event not enqueued", "error", err)
		http.Error(w, "cannot enqueue now", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(st)
}

// Sweep lists the inbox and enqueues every file without a final run (a
// committed manifest or a committed/failed ledger record): a lost event
// only delays a wash until the next sweep.
func (t *Trigger) Sweep(ctx context.Context) (TriggerStats, error) {
	var st TriggerStats
	if t.cfg.List == nil || t.cfg.Ledger == nil || t.cfg.Washed == nil {
		return st, errors.New("sweep: List, Ledger and Washed are required")
	}
	ledger := Ledger{t.cfg.Ledger}
	err := t.cfg.List(ctx, t.cfg.Inbox, func(o InboxObject) error {
		p, err := t.payload(o)
		if err != nil {
			st.Ignored++
			return nil
		}
		done, err := t.done(ctx, ledger, p)
		if err != nil {
			return err
		}
		if done {
			st.Done++
			return nil
		}
		return t.enqueue(o, &st)
	})
	if err != nil {
		return st, fmt.Errorf("sweep: %w", err)
	}
	return st, nil
}

func (t *Trigger) done(ctx context.Context, ledger Ledger, p jobs.WashFile) (bool, error) {
	rec, err := ledger.Get(ctx, p.RunID)
	switch {
	case err == nil && rec.Final():
		return true, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return false, err
	}
	rc, err := t.cfg.Washed.Open(ctx, p.Supplier+"/"+p.RunID+"/"+ManifestKey)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	rc.Close()
	return true, nil
}

// RunSweeps sweeps every interval until ctx ends, first at once. Errors
// are logged: the next sweep tries again.
func (t *Trigger) RunSweeps(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		st, err := t.Sweep(ctx)
		if err != nil && ctx.Err() == nil {
			t.log.Error("inbox sweep failed", "error", err)
		} else if st.Enqueued > 0 {
			t.log.Info("inbox sweep enqueued lost files", "enqueued", st.Enqueued, "done", st.Done, "duplicates", st.Duplicates)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
