package jobs

import (
	"encoding/json"
	"strconv"

	"github.com/hibiken/asynq"
)

// newTask validates and marshals p and builds a task with defaults
// followed by opts: Asynq applies options in order, so opts override the
// defaults.
func newTask(typ string, p interface{ Validate() error }, defaults []asynq.Option, opts []asynq.Option) (*asynq.Task, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(typ, data, append(defaults, opts...)...), nil
}

// WashFileOptions are the default options of a wash:file task: its queue
// by input size, WashFileTimeout, WashFileMaxRetry and the TaskID of the
// input version.
func WashFileOptions(p WashFile) []asynq.Option {
	q := QueueDefault
	if p.Input.Size >= BulkBytes {
		q = QueueBulk
	}
	return []asynq.Option{asynq.Queue(q), asynq.Timeout(WashFileTimeout), asynq.MaxRetry(WashFileMaxRetry),
		asynq.TaskID(TaskID(p.Input.Store, p.Input.Key, p.Input.Version))}
}

// WashChunkOptions are the default options of a wash:chunk task: the bulk
// queue and a task ID per run and chunk, so a retried planner cannot
// enqueue a chunk twice.
func WashChunkOptions(p WashChunk) []asynq.Option {
	return []asynq.Option{asynq.Queue(QueueBulk), asynq.Timeout(WashChunkTimeout), asynq.MaxRetry(WashChunkMaxRetry),
		asynq.TaskID(hashID(TypeWashChunk, p.RunID, strconv.Itoa(p.Chunk)))}
}

// WashMatchOptions are the default options of a wash:match task: the
// bulk queue, like the chunks, and a task ID per run and partition.
func WashMatchOptions(p WashMatch) []asynq.Option {
	return []asynq.Option{asynq.Queue(QueueBulk), asynq.Timeout(WashMatchTimeout), asynq.MaxRetry(WashMatchMaxRetry),
		asynq.TaskID(hashID(TypeWashMatch, p.RunID, strconv.Itoa(p.Part)))}
}

// WashMergeOptions are the default options of a wash:merge task: the
// critical queue and one task ID per run.
func WashMergeOptions(p WashMerge) []asynq.Option {
	return []asynq.Option{asynq.Queue(QueueCritical), asynq.Timeout(WashMergeTimeout), asynq.MaxRetry(WashMergeMaxRetry),
		asynq.TaskID(hashID(TypeWashMerge, p.RunID))}
}

// WashApplyOptions are the default options of a wash:apply task: the
// bulk queue, like the chunks, and a task ID per run and chunk.
func WashApplyOptions(p WashApply) []asynq.Option {
	return []asynq.Option{asynq.Queue(QueueBulk), asynq.Timeout(WashApplyTimeout), asynq.MaxRetry(WashApplyMaxRetry),
		asynq.TaskID(hashID(TypeWashApply, p.RunID, strconv.Itoa(p.Chunk)))}
}

// WashCommitOptions are the default options of a wash:commit task: the
// critical queue and one task ID per run.
func WashCommitOptions(p WashCommit) []asynq.Option {
	return []asynq.Option{asynq.Queue(QueueCritical), asynq.Timeout(WashCommitTimeout), asynq.MaxRetry(WashCommitMaxRetry),
		asynq.TaskID(hashID(TypeWashCommit, p.RunID))}
}

// NewWashFileTask returns a wash:file task for p with WashFileOptions,
// then opts. It fails with ErrInvalidPayload if p does not validate.
func NewWashFileTask(p WashFile, opts ...asynq.Option) (*asynq.Task, error) {
	return newTask(TypeWashFile, p, WashFileOptions(p), opts)
}

// NewWashChunkTask returns a wash:chunk task for p with WashChunkOptions,
// then opts.
func NewWashChunkTask(p WashChunk, opts ...asynq.Option) (*asynq.Task, error) {
	return newTask(TypeWashChunk, p, WashChunkOptions(p), opts)
}

// NewWashMatchTask returns a wash:match task for p with WashMatchOptions,
// then opts.
func NewWashMatchTask(p WashMatch, opts ...asynq.Option) (*asynq.Task, error) {
	return newTask(TypeWashMatch, p, WashMatchOptions(p), opts)
}

// NewWashMergeTask returns a wash:merge task for p with WashMergeOptions,
// then opts.
func NewWashMergeTask(p WashMerge, opts ...asynq.Option) (*asynq.Task, error) {
	return newTask(TypeWashMerge, p, WashMergeOptions(p), opts)
}

// NewWashApplyTask returns a wash:apply task for p with WashApplyOptions,
// then opts.
func NewWashApplyTask(p WashApply, opts ...asynq.Option) (*asynq.Task, error) {
	return newTask(TypeWashApply, p, WashApplyOptions(p), opts)
}

// NewWashCommitTask returns a wash:commit task for p with
// WashCommitOptions, then opts.
func NewWashCommitTask(p WashCommit, opts ...asynq.Option) (*asynq.Task, error) {
	return newTask(TypeWashCommit, p, WashCommitOptions(p), opts)
}

// ParseWashFile decodes and validates a wash:file payload.
func ParseWashFile(data []byte) (WashFile, error) { return parse[WashFile](TypeWashFile, data) }

// ParseWashChunk decodes and validates a wash:chunk payload.
func ParseWashChunk(data []byte) (WashChunk, error) { return parse[WashChunk](TypeWashChunk, data) }

// ParseWashMatch decodes and validates a wash:match payload.
func ParseWashMatch(data []byte) (WashMatch, error) { return parse[WashMatch](TypeWashMatch, data) }

// ParseWashMerge decodes and validates a wash:merge payload.
func ParseWashMerge(data []byte) (WashMerge, error) { return parse[WashMerge](TypeWashMerge, data) }

// ParseWashApply decodes and validates a wash:apply payload.
func ParseWashApply(data []byte) (WashApply, error) { return parse[WashApply](TypeWashApply, data) }

// ParseWashCommit decodes and validates a wash:commit payload.
func ParseWashCommit(data []byte) (WashCommit, error) { return parse[WashCommit](TypeWashCommit, data) }
