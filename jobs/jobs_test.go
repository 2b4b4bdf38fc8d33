package jobs_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"

	"github.com/listwash/listwash/jobs"
)

var update = flag.Bool("update", false, "rewrite the golden payloads in testdata/jobs")

var (
	opts = jobs.Options{Mode: jobs.ModeMark, Company: "nordsalj-ab", AsOf: "2025-03-14", Profile: "profiles/acme.yaml"}
	in   = jobs.Ref{Store: "s3://listwash-inbox/inbox/acme", Key: "2025-03/delivery-17.csv",
		Version: "9b2cf535f27731c974343645a3985328", Size: 734003200}
	washFile  = jobs.WashFile{RunID: "r20250314-0001", Supplier: "acme", Input: in, Output: "s3://listwash-out/runs", Options: opts}
	washChunk = jobs.WashChunk{RunID: "r20250314-0001", Supplier: "acme", Input: in, Chunk: 3, Chunks: 12,
		Offset: 201326592, Length: 67108864, Output: "s3://listwash-out/runs", Options: opts}
	washMatch = jobs.WashMatch{RunID: "r20250314-0001", Supplier: "acme", Input: in, Part: 5, Parts: 12, Chunks: 12,
		Output: "s3://listwash-out/runs", Options: opts}
	washMerge = jobs.WashMerge{RunID: "r20250314-0001", Supplier: "acme", Input: in, Chunks: 12,
		Output: "s3://listwash-out/runs", Options: opts}
	washApply = jobs.WashApply{RunID: "r20250314-0001", Supplier: "acme", Input: in, Chunk: 3, Chunks: 12,
		Output: "s3://listwash-out/runs", Options: opts}
	washCommit = jobs.WashCommit{RunID: "r20250314-0001", Supplier: "acme", Input: in, Chunks: 12,
		Output: "s3://listwash-out/runs", Options: opts}
)

// golden compares data with testdata/jobs/name, compacted: the files are
// indented for review, the wire is compact.
func golden(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	file := filepath.Join("..", "testdata", "jobs", name)
	if *update {
		var b bytes.Buffer
		json.Indent(&b, data, "", "  ")
		b.WriteByte('\n')
		if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, want); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if !bytes.Equal(data, compact.Bytes()) {
		t.Fatalf("payload differs from %s:\ngot  %s\nwant %s", file, data, compact.Bytes())
	}
	return want
}

func TestGoldenPayloads(t *testing.T) {
	tests := []struct {
		name, file, typ string
		newTask         func() (*asynq.Task, error)
		parse           func([]byte) (any, error)
		want            any
	}{
		{"wash file", "wash_file.json", jobs.TypeWashFile,
			func() (*asynq.Task, error) { return jobs.NewWashFileTask(washFile) },
			func(b []byte) (any, error) { return jobs.ParseWashFile(b) }, washFile},
		{"wash chunk", "wash_chunk.json", jobs.TypeWashChunk,
			func() (*asynq.Task, error) { return jobs.NewWashChunkTask(washChunk) },
			func(b []byte) (any, error) { return jobs.ParseWashChunk(b) }, washChunk},
		{"wash match", "wash_match.json", jobs.TypeWashMatch,
			func() (*asynq.Task, error) { return jobs.NewWashMatchTask(washMatch) },
			func(b []byte) (any, error) { return jobs.ParseWashMatch(b) }, washMatch},
		{"wash merge", "wash_merge.json", jobs.TypeWashMerge,
			func() (*asynq.Task, error) { return jobs.NewWashMergeTask(washMerge) },
			func(b []byte) (any, error) { return jobs.ParseWashMerge(b) }, washMerge},
		{"wash apply", "wash_apply.json", jobs.TypeWashApply,
			func() (*asynq.Task, error) { return jobs.NewWashApplyTask(washApply) },
			func(b []byte) (any, error) { return jobs.ParseWashApply(b) }, washApply},
		{"wash commit", "wash_commit.json", jobs.TypeWashCommit,
			func() (*asynq.Task, error) { return jobs.NewWashCommitTask(washCommit) },
			func(b []byte) (any, error) { return jobs.ParseWashCommit(b) }, washCommit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			task, err := tc.newTask()
			if err != nil {
				t.Fatal(err)
			}
			if task.Type() != tc.typ {
				t.Fatalf("type %q, want %q", task.Type(), tc.typ)
			}
			file := golden(t, tc.file, task.Payload())
			got, err := tc.parse(file)
			if err != nil {
				t.Fatalf("parse golden: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("parsed golden = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	mutate := func(f func(p *jobs.WashFile)) []byte {
		p := washFile
		f(&p)
		b, _ := json.Marshal(p)
		return b
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"not json", []byte("{")},
		{"wrong type", []byte(`{"run_id": 7}`)},
		{"empty object", []byte(`{}`)},
		{"run id with slash", mutate(func(p *jobs.WashFile) { p.RunID = "r1/../x" })},
		{"run id too long", mutate(func(p *jobs.WashFile) { p.RunID = string(make([]byte, 65)) })},
		{"missing supplier", mutate(func(p *jobs.WashFile) { p.Supplier = "" })},
		{"missing store", mutate(func(p *jobs.WashFile) { p.Input.Store = "" })},
		{"absolute key", mutate(func(p *jobs.WashFile) { p.Input.Key = "/etc/passwd" })},
		{"escaping key", mutate(func(p *jobs.WashFile) { p.Input.Key = "../x.csv" })},
		{"missing version", mutate(func(p *jobs.WashFile) { p.Input.Version = "" })},
		{"negative size", mutate(func(p *jobs.WashFile) { p.Input.Size = -1 })},
		{"missing output", mutate(func(p *jobs.WashFile) { p.Output = "" })},
		{"unknown mode", mutate(func(p *jobs.WashFile) { p.Options.Mode = "fast" })},
		{"bad date", mutate(func(p *jobs.WashFile) { p.Options.AsOf = "14/03/2025" })},
		{"unclean profile", mutate(func(p *jobs.WashFile) { p.Options.Profile = "a//b" })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := jobs.ParseWashFile(tc.data); !errors.Is(err, jobs.ErrInvalidPayload) {
				t.Fatalf("ParseWashFile = %v, want ErrInvalidPayload", err)
			}
		})
	}
}

func TestChunkAndMergeValidation(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"chunk index past count", func() error { p := washChunk; p.Chunk = 12; return p.Validate() }()},
		{"negative chunk", func() error { p := washChunk; p.Chunk = -1; return p.Validate() }()},
		{"zero chunks", func() error { p := washChunk; p.Chunks, p.Chunk = 0, 0; return p.Validate() }()},
		{"negative offset", func() error { p := washChunk; p.Offset = -1; return p.Validate() }()},
		{"empty range", func() error { p := washChunk; p.Length = 0; return p.Validate() }()},
		{"merge of no chunks", func() error { p := washMerge; p.Chunks = 0; return p.Validate() }()},
		{"match part past count", func() error { p := washMatch; p.Part = 12; return p.Validate() }()},
		{"match of negative part", func() error { p := washMatch; p.Part = -1; return p.Validate() }()},
		{"match of no parts", func() error { p := washMatch; p.Parts, p.Part = 0, 0; return p.Validate() }()},
		{"match of no chunks", func() error { p := washMatch; p.Chunks = 0; return p.Validate() }()},
		{"chunk without run", func() error { p := washChunk; p.RunID = ""; return p.Validate() }()},
		{"apply index past count", func() error { p := washApply; p.Chunk = 12; return p.Validate() }()},
		{"apply of negative chunk", func() error { p := washApply; p.Chunk = -1; return p.Validate() }()},
		{"apply without supplier", func() error { p := washApply; p.Supplier = ""; return p.Validate() }()},
		{"commit of no chunks", func() error { p := washCommit; p.Chunks = 0; return p.Validate() }()},
		{"commit with bad mode", func() error { p := washCommit; p.Options.Mode = "scrub"; return p.Validate() }()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, jobs.ErrInvalidPayload) {
				t.Fatalf("Validate = %v, want ErrInvalidPayload", tc.err)
			}
		})
	}
	if _, err := jobs.NewWashChunkTask(jobs.WashChunk{}); !errors.Is(err, jobs.ErrInvalidPayload) {
		t.Fatalf("NewWashChunkTask(empty) = %v, want ErrInvalidPayload", err)
	}
}

func TestTaskID(t *testing.T) {
	id := jobs.TaskID("s3://b", "in/x.csv", "etag1")
	tests := []struct {
		name                 string
		bucket, key, version string
		same                 bool
	}{
		{"same version", "s3://b", "in/x.csv", "etag1", true},
		{"new version", "s3://b", "in/x.csv", "etag2", false},
		{"other key", "s3://b", "in/y.csv", "etag1", false},
		{"other bucket", "s3://c", "in/x.csv", "etag1", false},
		{"parts shifted", "s3://b", "in/x.csvetag1", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := jobs.TaskID(tc.bucket, tc.key, tc.version)
			if (got == id) != tc.same {
				t.Fatalf("TaskID = %s vs %s, same = %v, want %v", got, id, got == id, tc.same)
			}
			if len(got) != 32 {
				t.Fatalf("TaskID length %d, want 32 hex digits", len(got))
			}
		})
	}
	// sha256("s3://b\x00in/x.csv\x00etag1\x00"), first 16 bytes (checked with Python hashlib).
	if id != "33cf4936171dfb4c4558e72f04a4c253" {
		t.Fatalf("TaskID changed to %s: ids of queued tasks would no longer match", id)
	}
}

func TestQueues(t *testing.T) {
	q := jobs.Queues()
	if q[jobs.QueueCritical] <= q[jobs.QueueDefault] || q[jobs.QueueDefault] <= q[jobs.QueueBulk] || q[jobs.QueueBulk] <= 0 {
		t.Fatalf("queue weights %v: want critical > default > bulk > 0", q)
	}
}

// TestDefaultOptions enqueues on miniredis and reads back what Asynq
// stored: queue, timeout, retries and task id per type.
func TestDefaultOptions(t *testing.T) {
	mr := miniredis.RunT(t)
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: mr.Addr()})
	t.Cleanup(func() { client.Close() })

	small := washFile
	small.Input.Size = 10 << 10
	tests := []struct {
		name     string
		task     func() (*asynq.Task, error)
		queue    string
		timeout  time.Duration
		maxRetry int
		id       string
	}{
		{"small file", func() (*asynq.Task, error) { return jobs.NewWashFileTask(small) },
			jobs.QueueDefault, jobs.WashFileTimeout, jobs.WashFileMaxRetry, jobs.TaskID(in.Store, in.Key, in.Version)},
		{"large file", func() (*asynq.Task, error) { return jobs.NewWashFileTask(washFile, asynq.TaskID("large")) },
			jobs.QueueBulk, jobs.WashFileTimeout, jobs.WashFileMaxRetry, "large"},
		{"chunk", func() (*asynq.Task, error) { return jobs.NewWashChunkTask(washChunk) },
			jobs.QueueBulk, jobs.WashChunkTimeout, jobs.WashChunkMaxRetry, ""},
		{"match", func() (*asynq.Task, error) { return jobs.NewWashMatchTask(washMatch) },
			jobs.QueueBulk, jobs.WashMatchTimeout, jobs.WashMatchMaxRetry, ""},
		{"merge", func() (*asynq.Task, error) { return jobs.NewWashMergeTask(washMerge) },
			jobs.QueueCritical, jobs.WashMergeTimeout, jobs.WashMergeMaxRetry, ""},
		{"apply", func() (*asynq.Task, error) { return jobs.NewWashApplyTask(washApply) },
			jobs.QueueBulk, jobs.WashApplyTimeout, jobs.WashApplyMaxRetry, ""},
		{"commit", func() (*asynq.Task, error) { return jobs.NewWashCommitTask(washCommit) },
			jobs.QueueCritical, jobs.WashCommitTimeout, jobs.WashCommitMaxRetry, ""},
		{"override", func() (*asynq.Task, error) {
			return jobs.NewWashMergeTask(washMerge, asynq.Queue("other"), asynq.MaxRetry(1), asynq.Timeout(time.Minute))
		}, "other", time.Minute, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			task, err := tc.task()
			if err != nil {
				t.Fatal(err)
			}
			info, err := client.Enqueue(task)
			if err != nil {
				t.Fatal(err)
			}
			if info.Queue != tc.queue || info.Timeout != tc.timeout || info.MaxRetry != tc.maxRetry {
				t.Fatalf("queue %s, timeout %v, max retry %d; want %s, %v, %d",
					info.Queue, info.Timeout, info.MaxRetry, tc.queue, tc.timeout, tc.maxRetry)
			}
			if tc.id != "" && info.ID != tc.id {
				t.Fatalf("id %s, want %s", info.ID, tc.id)
			}
			if _, err := client.Enqueue(task); !errors.Is(err, asynq.ErrTaskIDConflict) {
				t.Fatalf("second enqueue = %v, want ErrTaskIDConflict", err)
			}
		})
	}
}

// TestChunkIDsDiffer: every chunk of a run is its own task.
func TestChunkIDsDiffer(t *testing.T) {
	mr := miniredis.RunT(t)
	client := asynq.NewClient(asynq.RedisClientOpt{Addr: mr.Addr()})
	t.Cleanup(func() { client.Close() })
	seen := map[string]bool{}
	for i := range 4 {
		p := washChunk
		p.Chunk = i
		task, err := jobs.NewWashChunkTask(p)
		if err != nil {
			t.Fatal(err)
		}
		info, err := client.Enqueue(task)
		if err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if seen[info.ID] {
			t.Fatalf("chunk %d reuses id %s", i, info.ID)
		}
		seen[info.ID] = true
	}
}
