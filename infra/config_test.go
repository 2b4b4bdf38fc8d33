package infra

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigExample(t *testing.T) {
	c, err := LoadConfig(filepath.Join("..", "testdata", "config", "example.yaml"), envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Bucket != "listwash" || c.Prefixes.Inbox != "inbox/" || c.Prefixes.Ledger != "ledger/" {
		t.Fatalf("bucket/prefixes = %q %+v", c.Bucket, c.Prefixes)
	}
	if c.SweepInterval != time.Minute || c.Worker.ShutdownTimeout != 30*time.Second {
		t.Fatalf("durations: sweep %v, shutdown %v", c.SweepInterval, c.Worker.ShutdownTimeout)
	}
	if r := c.RedisConfig(); r.Addr != "127.0.0.1:6379" || r.TLS {
		t.Fatalf("redis %+v", r)
	}
	if s := c.S3Config(); s.Endpoint != "http://127.0.0.1:7070" || !s.PathStyle || s.AccessKey != "" {
		t.Fatalf("s3 %+v", s)
	}
	if c.Worker.Company != "Acme AB" || c.Worker.Mode != "mark" {
		t.Fatalf("worker %+v", c.Worker)
	}
	if c.SQS.QueueURL != "" {
		t.Fatalf("sqs queue %q: the example runs no SQS consumer", c.SQS.QueueURL)
	}
}

func TestConfigEnvOverrides(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.json")
	// JSON is accepted too.
	os.WriteFile(file, []byte(`{"bucket": "from-file", "worker": {"concurrency": 3}, "redis": {"addr": "10.0.0.1:6379"}}`), 0o644)
	c, err := LoadConfig(file, envOf(map[string]string{
		EnvBucket: "from-env", EnvRedisURL: "rediss://u:pw@redis.example:6380/2", EnvConcurrency: "4",
		EnvAccessKey: "AK", EnvSecretKey: "SK", EnvS3PathStyle: "false", EnvS3Endpoint: "https://s3.example",
		EnvSweepInterval: "-1s", EnvPrefixInbox: "drop", EnvWatchAddr: ":9999", EnvDedupPartitions: "8",
		EnvDedupSpillRows: "-1",
		EnvSQSQueueURL:    "https://sqs.eu-north-1.amazonaws.com/123456789012/events", EnvS3Region: "eu-north-1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	r := c.RedisConfig()
	if c.Bucket != "from-env" || c.Worker.Concurrency != 4 || r.Addr != "redis.example:6380" || !r.TLS || r.DB != 2 || r.Password != "pw" {
		t.Fatalf("overrides not applied: bucket %q conc %d redis %s tls %v db %d", c.Bucket, c.Worker.Concurrency, r.Addr, r.TLS, r.DB)
	}
	if s := c.S3Config(); s.PathStyle || s.AccessKey != "AK" || s.SecretKey != "SK" {
		t.Fatalf("s3 overrides not applied")
	}
	if q := c.SQSConfig(); q.QueueURL != "https://sqs.eu-north-1.amazonaws.com/123456789012/events" || q.Endpoint != "" ||
		q.AWS.Region != "eu-north-1" || q.AWS.AccessKey != "AK" || q.AWS.SecretKey != "SK" {
		t.Fatalf("sqs config %q %q region %q: want the queue with the s3 region and credentials", q.QueueURL, q.Endpoint, q.AWS.Region)
	}
	if c.SweepInterval >= 0 || c.Prefixes.Inbox != "drop/" || c.Listen.Watch != ":9999" || c.Worker.DedupPartitions != 8 ||
		c.Worker.DedupSpillRows != -1 {
		t.Fatalf("sweep %v inbox %q watch %q partitions %d spill rows %d", c.SweepInterval, c.Prefixes.Inbox, c.Listen.Watch,
			c.Worker.DedupPartitions, c.Worker.DedupSpillRows)
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := LoadConfig("", envOf(map[string]string{EnvBucket: "b-1"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Worker.Concurrency != 1 || c.SweepInterval != DefaultSweepInterval || c.Worker.ChunkSize != DefaultChunkSize ||
		c.Prefixes.Washed != "washed/" || c.Listen.Metrics != "127.0.0.1:9090" || c.RedisConfig().ClientOpt().Addr != "127.0.0.1:6379" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestConfigInvalid(t *testing.T) {
	tests := []struct {
		name, file string
		env        map[string]string
		want       string // field named in the error
	}{
		{"no bucket", "", nil, "bucket: is required"},
		{"bad bucket", "bucket: My_Bucket", nil, "bucket: \"My_Bucket\" is not a bucket name"},
		{"unknown field", "bucket: b-1\nbuckett: x", nil, "field buckett not found"},
		{"bad redis url", "bucket: b-1\nredis: {url: 'http://h'}", nil, "redis.url"},
		{"bad redis addr", "bucket: b-1\nredis: {addr: nohost}", nil, "redis.addr: want host:port"},
		{"half credentials", "bucket: b-1", map[string]string{EnvAccessKey: "AK"}, "s3 credentials"},
		{"bad endpoint", "bucket: b-1\ns3: {endpoint: 's3.example'}", nil, "s3.endpoint"},
		{"zero concurrency env", "bucket: b-1", map[string]string{EnvConcurrency: "-2"}, "worker.concurrency: -2 is below 1"},
		{"concurrency not a number", "bucket: b-1", map[string]string{EnvConcurrency: "many"}, EnvConcurrency},
		{"bad duration", "bucket: b-1", map[string]string{EnvSweepInterval: "often"}, EnvSweepInterval},
		{"bad yaml duration", "bucket: b-1\nsweep_interval: often", nil, "line 2: cannot unmarshal"},
		{"bad mode", "bucket: b-1\nworker: {mode: fast}", nil, "worker.mode"},
		{"washed inside inbox", "bucket: b-1\nprefixes: {washed: inbox/out/}", nil, "prefixes.washed"},
		{"same prefix twice", "bucket: b-1\nprefixes: {ledger: washed/}", nil, "prefixes.ledger: \"washed/\" is also prefixes.washed"},
		{"escaping prefix", "bucket: b-1\nprefixes: {ledger: ../x}", nil, "prefixes.ledger"},
		{"bad listen", "bucket: b-1\nlisten: {metrics: 'localhost'}", nil, "listen.metrics"},
		{"small chunks", "bucket: b-1\nworker: {chunk_size: 10}", nil, "worker.chunk_size"},
		{"negative partitions", "bucket: b-1\nworker: {dedup_partitions: -1}", nil, "worker.dedup_partitions: -1 is outside"},
		{"partitions not a number", "bucket: b-1", map[string]string{EnvDedupPartitions: "some"}, EnvDedupPartitions},
		{"spill rows below -1", "bucket: b-1\nworker: {dedup_spill_rows: -2}", nil, "worker.dedup_spill_rows: -2"},
		{"spill rows not a number", "bucket: b-1", map[string]string{EnvDedupSpillRows: "2M"}, EnvDedupSpillRows},
		{"sqs queue not a url", "bucket: b-1", map[string]string{EnvSQSQueueURL: "events"}, "sqs.queue_url: \"events\" is not an http:// or https:// URL"},
		{"sqs queue without account", "bucket: b-1\nsqs: {queue_url: 'https://sqs.eu-north-1.amazonaws.com/events'}", nil, "sqs.queue_url: \"https://sqs.eu-north-1.amazonaws.com/events\" does not name a queue"},
		{"sqs queue with query", "bucket: b-1\nsqs: {queue_url: 'https://sqs.eu-north-1.amazonaws.com/1/events?x=1'}", nil, "does not name a queue"},
		{"sqs endpoint without queue", "bucket: b-1", map[string]string{EnvSQSEndpoint: "http://127.0.0.1:4566"}, "sqs.endpoint: is set but sqs.queue_url is empty"},
		{"sqs bad endpoint", "bucket: b-1\nsqs: {queue_url: 'http://h/1/q', endpoint: 'localhost:4566'}", nil, "sqs.endpoint: \"localhost:4566\" is not"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := ""
			if tc.file != "" {
				path = filepath.Join(t.TempDir(), "c.yaml")
				os.WriteFile(path, []byte(tc.file), 0o644)
			}
			_, err := LoadConfig(path, envOf(tc.env))
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrConfig naming %q", err, tc.want)
			}
		})
	}
}

// TestConfigSecretsNeverShown: errors, %v, %+v, %#v and slog hide them.
func TestConfigSecretsNeverShown(t *testing.T) {
	const secret = "s3cr3t-value"
	env := map[string]string{EnvBucket: "b-1", EnvRedisURL: "redis://u:" + secret + "@h:1/0",
		EnvAccessKey: "AK", EnvSecretKey: secret, EnvRedisPassword: secret}
	c, err := LoadConfig("", envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	slog.New(slog.NewTextHandler(&sb, nil)).Info("config", "config", c)
	for name, s := range map[string]string{"slog": sb.String(), "%v": fmt.Sprintf("%v", c),
		"%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c), "%s": fmt.Sprint(&c)} {
		if strings.Contains(s, secret) {
			t.Fatalf("%s shows the secret: %s", name, s)
		}
	}
	if !strings.Contains(sb.String(), "redis_password_set=true") {
		t.Fatalf("slog output lacks the summary: %s", sb.String())
	}
	// A queue URL with a password in it is refused without quoting it.
	_, err = LoadConfig("", envOf(map[string]string{EnvBucket: "b-1", EnvSQSQueueURL: "https://u:" + secret + "@sqs.example/1/q"}))
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "sqs.queue_url: must not hold credentials") || strings.Contains(err.Error(), secret) {
		t.Fatalf("queue url with a password: err %v", err)
	}
	// A bad URL with a password in it: the error must not quote it.
	env[EnvRedisURL] = "redis://u:" + secret + "@h:notaport/0"
	_, err = LoadConfig("", envOf(env))
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("err = %v: want an error without the secret", err)
	}
}
