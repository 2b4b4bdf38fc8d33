package infra

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the configuration of the distributed runtime (listwash worker,
// watch and serve): one YAML or JSON file, then environment variables
// overriding it (see ApplyEnv). It holds secrets: never log it whole; log
// LogValue (slog does so by itself), which leaves them out.
type Config struct {
	Redis RedisFileConfig `yaml:"redis"`
	S3    S3FileConfig    `yaml:"s3"`
	// SQS is the queue watch takes S3 event notifications from, beside
	// its webhook. Optional.
	SQS SQSFileConfig `yaml:"sqs"`
	// Bucket holds every prefix below. Required.
	Bucket   string   `yaml:"bucket"`
	Prefixes Prefixes `yaml:"prefixes"`
	Worker   Worker   `yaml:"worker"`
	Listen   Listen   `yaml:"listen"`
	// SweepInterval is how often watch lists the inbox for files without
	// a committed run. 0: 5m. Negative: never (events only).
	SweepInterval time.Duration `yaml:"sweep_interval"`
}

// RedisFileConfig is the file form of RedisConfig: either URL or the
// separate fields (URL wins when both are set).
type RedisFileConfig struct {
	// URL is "redis://[user:password@]host[:port][/db]" or "rediss://..."
	// for TLS. Empty: the fields below.
	URL      string `yaml:"url"`
	Addr     string `yaml:"addr"` // host:port; empty: 127.0.0.1:6379
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	DB       int    `yaml:"db"`
	TLS      bool   `yaml:"tls"`
}

// S3FileConfig is the file form of S3Config.
type S3FileConfig struct {
	Endpoint string `yaml:"endpoint"` // "": AWS
	Region   string `yaml:"region"`   // "": AWS_REGION, then us-east-1
	// AccessKeyID and SecretAccessKey are static credentials; empty: the
	// SDK's default chain. Prefer AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	SessionToken    string `yaml:"session_token"`
	// PathStyle: nil means true when Endpoint is set (self-hosted servers),
	// false for AWS.
	PathStyle *bool `yaml:"path_style"`
}

// SQSFileConfig is the file form of SQSConfig. Region and credentials are
// the s3 section's (a bucket notifies only queues in its own region).
type SQSFileConfig struct {
	// QueueURL is the queue the bucket's notifications go to, e.g.
	// https://sqs.eu-north-1.amazonaws.com/123456789012/listwash-events.
	// "": no SQS consumer (the webhook and the sweep only).
	QueueURL string `yaml:"queue_url"`
	Endpoint string `yaml:"endpoint"` // "": AWS; an SQS-compatible server's URL otherwise
}

// Prefixes are the folders of the bucket, each "" or ending in "/".
type Prefixes struct {
	Inbox     string `yaml:"inbox"`     // supplier files land here: inbox/<supplier>/...; default "inbox/"
	Registers string `yaml:"registers"` // registers folder (nix/, consents/...); default "registers/"
	Washed    string `yaml:"washed"`    // outputs: washed/<supplier>/<run_id>/; default "washed/"
	Ledger    string `yaml:"ledger"`    // one record per run: ledger/<run_id>.json; default "ledger/"
	Index     string `yaml:"index"`     // cross-delivery contact index; default "index/"
}

// Worker tunes the wash workers.
type Worker struct {
	// Concurrency is how many tasks one worker process runs at once.
	// 0: 1 (a wash uses every core by itself).
	Concurrency int `yaml:"concurrency"`
	// ChunkSize is the input size from which a file is split into chunks
	// (inputs of at least this size are planned into chunks washed by any
	// worker, then merged). 0: 4 GiB. The merge is serial, so chunking pays
	// only for files too big for one machine; see docs/runtime.md.
	ChunkSize int64 `yaml:"chunk_size"`
	// DedupPartitions is the number of partitions the dedup comparisons
	// of a chunked run are split into, each a wash:match task on any
	// worker. 0: none, the merge compares alone (see docs/runtime.md).
	DedupPartitions int `yaml:"dedup_partitions"`
	// DedupSpillRows is the number of rows above which a run's dedup
	// state goes to temp files instead of memory (about 100 bytes a row).
	// 0: 2M rows; -1: never.
	DedupSpillRows int `yaml:"dedup_spill_rows"`
	// ShutdownTimeout is how long SIGTERM waits for running washes before
	// they are cancelled (and retried elsewhere). 0: 30s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// Mode is the wash mode of triggered runs: mark or wash. "": mark.
	Mode string `yaml:"mode"`
	// Company is the company lists are washed for (NIX consents). "": none.
	Company string `yaml:"company"`
	// Country is the default country of phone numbers. "": SE.
	Country string `yaml:"country"`
}

// Listen holds the HTTP listen addresses (host:port; "" disables).
type Listen struct {
	Metrics string `yaml:"metrics"` // worker: /metrics and /healthz; default 127.0.0.1:9090
	Watch   string `yaml:"watch"`   // watch: S3 event webhook and /healthz; default 127.0.0.1:8080
	Serve   string `yaml:"serve"`   // serve: queue web UI; default 127.0.0.1:8081
}

// Defaults.
const (
	DefaultSweepInterval   = 5 * time.Minute
	DefaultChunkSize       = 4 << 30
	DefaultShutdownTimeout = 30 * time.Second
)

// ErrConfig marks a configuration mistake: the message names the field.
var ErrConfig = errors.New("config")

// LoadConfig reads the config file at path ("" : none), applies the
// environment (getenv; nil: os.Getenv), fills defaults and validates.
// Errors name the field and what is wrong, never a secret's value.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	var c Config
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		if err := ParseConfig(data, &c); err != nil {
			return Config{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	if err := c.ApplyEnv(getenv); err != nil {
		return Config{}, err
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// ParseConfig decodes YAML or JSON (JSON is YAML) into c. Unknown fields
// are errors, so a misspelt key does not silently fall back to a default.
func ParseConfig(data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file
		}
		// yaml errors quote offending values only for type mismatches
		// (e.g. "cannot unmarshal !!str `abc` into int"), never secrets,
		// which are strings and always decode.
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// Environment variables that override the file.
const (
	EnvRedisURL        = "LISTWASH_REDIS_URL"
	EnvRedisPassword   = "LISTWASH_REDIS_PASSWORD"
	EnvS3Endpoint      = "LISTWASH_S3_ENDPOINT"
	EnvS3Region        = "LISTWASH_S3_REGION"
	EnvS3PathStyle     = "LISTWASH_S3_PATH_STYLE"
	EnvSQSQueueURL     = "LISTWASH_SQS_QUEUE_URL"
	EnvSQSEndpoint     = "LISTWASH_SQS_ENDPOINT"
	EnvAccessKey       = "AWS_ACCESS_KEY_ID"
	EnvSecretKey       = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken    = "AWS_SESSION_TOKEN"
	EnvBucket          = "LISTWASH_BUCKET"
	EnvPrefixInbox     = "LISTWASH_PREFIX_INBOX"
	EnvPrefixRegisters = "LISTWASH_PREFIX_REGISTERS"
	EnvPrefixWashed    = "LISTWASH_PREFIX_WASHED"
	EnvPrefixLedger    = "LISTWASH_PREFIX_LEDGER"
	EnvPrefixIndex     = "LISTWASH_PREFIX_INDEX"
	EnvConcurrency     = "LISTWASH_CONCURRENCY"
	EnvChunkSize       = "LISTWASH_CHUNK_SIZE"
	EnvDedupPartitions = "LISTWASH_DEDUP_PARTITIONS"
	EnvDedupSpillRows  = "LISTWASH_DEDUP_SPILL_ROWS"
	EnvShutdownTimeout = "LISTWASH_SHUTDOWN_TIMEOUT"
	EnvMode            = "LISTWASH_MODE"
	EnvCompany         = "LISTWASH_COMPANY"
	EnvCountry         = "LISTWASH_COUNTRY"
	EnvMetricsAddr     = "LISTWASH_METRICS_ADDR"
	EnvWatchAddr       = "LISTWASH_WATCH_ADDR"
	EnvServeAddr       = "LISTWASH_SERVE_ADDR"
	EnvSweepInterval   = "LISTWASH_SWEEP_INTERVAL"
)

// ApplyEnv overrides c with every environment variable that is set
// (non-empty).
func (c *Config) ApplyEnv(getenv func(string) string) error {
	str := func(dst *string, name string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	str(&c.Redis.URL, EnvRedisURL)
	str(&c.Redis.Password, EnvRedisPassword)
	str(&c.S3.Endpoint, EnvS3Endpoint)
	str(&c.S3.Region, EnvS3Region)
	str(&c.S3.AccessKeyID, EnvAccessKey)
	str(&c.S3.SecretAccessKey, EnvSecretKey)
	str(&c.S3.SessionToken, EnvSessionToken)
	str(&c.SQS.QueueURL, EnvSQSQueueURL)
	str(&c.SQS.Endpoint, EnvSQSEndpoint)
	str(&c.Bucket, EnvBucket)
	str(&c.Prefixes.Inbox, EnvPrefixInbox)
	str(&c.Prefixes.Registers, EnvPrefixRegisters)
	str(&c.Prefixes.Washed, EnvPrefixWashed)
	str(&c.Prefixes.Ledger, EnvPrefixLedger)
	str(&c.Prefixes.Index, EnvPrefixIndex)
	str(&c.Worker.Mode, EnvMode)
	str(&c.Worker.Company, EnvCompany)
	str(&c.Worker.Country, EnvCountry)
	str(&c.Listen.Metrics, EnvMetricsAddr)
	str(&c.Listen.Watch, EnvWatchAddr)
	str(&c.Listen.Serve, EnvServeAddr)
	if v := getenv(EnvS3PathStyle); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%w: %s: %q is not true or false", ErrConfig, EnvS3PathStyle, v)
		}
		c.S3.PathStyle = &b
	}
	for _, d := range []struct {
		dst  *int
		name string
	}{{&c.Worker.Concurrency, EnvConcurrency}, {&c.Worker.DedupPartitions, EnvDedupPartitions},
		{&c.Worker.DedupSpillRows, EnvDedupSpillRows}} {
		if v := getenv(d.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%w: %s: %q is not a whole number", ErrConfig, d.name, v)
			}
			*d.dst = n
		}
	}
	if v := getenv(EnvChunkSize); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %s: %q is not a number of bytes", ErrConfig, EnvChunkSize, v)
		}
		c.Worker.ChunkSize = n
	}
	for _, d := range []struct {
		dst  *time.Duration
		name string
	}{{&c.Worker.ShutdownTimeout, EnvShutdownTimeout}, {&c.SweepInterval, EnvSweepInterval}} {
		if v := getenv(d.name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%w: %s: %q is not a duration (e.g. 30s, 5m)", ErrConfig, d.name, v)
			}
			*d.dst = t
		}
	}
	return nil
}

// SetDefaults fills every zero field with its documented default.
func (c *Config) SetDefaults() {
	def := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	def(&c.Prefixes.Inbox, "inbox/")
	def(&c.Prefixes.Registers, "registers/")
	def(&c.Prefixes.Washed, "washed/")
	def(&c.Prefixes.Ledger, "ledger/")
	def(&c.Prefixes.Index, "index/")
	for _, p := range []*string{&c.Prefixes.Inbox, &c.Prefixes.Registers, &c.Prefixes.Washed, &c.Prefixes.Ledger, &c.Prefixes.Index} {
		if !strings.HasSuffix(*p, "/") {
			*p += "/"
		}
	}
	def(&c.Worker.Mode, "mark")
	def(&c.Worker.Country, "SE")
	def(&c.Listen.Metrics, "127.0.0.1:9090")
	def(&c.Listen.Watch, "127.0.0.1:8080")
	def(&c.Listen.Serve, "127.0.0.1:8081")
	if c.Worker.Concurrency == 0 {
		c.Worker.Concurrency = 1
	}
	if c.Worker.ChunkSize == 0 {
		c.Worker.ChunkSize = DefaultChunkSize
	}
	if c.Worker.ShutdownTimeout == 0 {
		c.Worker.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = DefaultSweepInterval
	}
}

// Validate checks every field and reports all mistakes at once, one per
// line, each naming the field. Secrets are never quoted.
func (c *Config) Validate() error {
	var errs []string
	bad := func(field, format string, args ...any) {
		errs = append(errs, field+": "+fmt.Sprintf(format, args...))
	}
	if c.Redis.URL != "" {
		if _, err := ParseRedisURL(c.Redis.URL); err != nil {
			bad("redis.url", "%v", err) // ParseRedisURL never quotes the password
		}
	} else if c.Redis.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Redis.Addr); err != nil {
			bad("redis.addr", "want host:port")
		}
	}
	if c.Redis.DB < 0 {
		bad("redis.db", "is negative")
	}
	if e := c.S3.Endpoint; e != "" && !strings.HasPrefix(e, "http://") && !strings.HasPrefix(e, "https://") {
		bad("s3.endpoint", "%q is not an http:// or https:// URL", e)
	}
	if (c.S3.AccessKeyID == "") != (c.S3.SecretAccessKey == "") {
		bad("s3 credentials", "access key id and secret access key must be set together (%s, %s)", EnvAccessKey, EnvSecretKey)
	}
	if q := c.SQS.QueueURL; q != "" {
		if msg := checkQueueURL(q); msg != "" {
			bad("sqs.queue_url", "%s", msg)
		}
	}
	if e := c.SQS.Endpoint; e != "" {
		switch {
		case !strings.HasPrefix(e, "http://") && !strings.HasPrefix(e, "https://"):
			bad("sqs.endpoint", "%q is not an http:// or https:// URL", e)
		case c.SQS.QueueURL == "":
			bad("sqs.endpoint", "is set but sqs.queue_url is empty (or set %s)", EnvSQSQueueURL)
		}
	}
	switch b := c.Bucket; {
	case b == "":
		bad("bucket", "is required (or set %s)", EnvBucket)
	case len(b) < 3 || len(b) > 63 || strings.ContainsAny(b, "/ _") || strings.ToLower(b) != b:
		bad("bucket", "%q is not a bucket name (3-63 of a-z, 0-9, '.', '-')", b)
	}
	prefixes := map[string]string{"prefixes.inbox": c.Prefixes.Inbox, "prefixes.registers": c.Prefixes.Registers,
		"prefixes.washed": c.Prefixes.Washed, "prefixes.ledger": c.Prefixes.Ledger, "prefixes.index": c.Prefixes.Index}
	seen := map[string]string{}
	for _, name := range []string{"prefixes.inbox", "prefixes.registers", "prefixes.washed", "prefixes.ledger", "prefixes.index"} {
		p := prefixes[name]
		if strings.HasPrefix(p, "/") || strings.Contains(p, "//") || strings.Contains(p, "..") || p == "/" {
			bad(name, "%q is not a clean relative folder", p)
			continue
		}
		if other, ok := seen[p]; ok {
			bad(name, "%q is also %s", p, other)
		}
		seen[p] = name
	}
	// The inbox must not contain the others: outputs would be washed again.
	for _, name := range []string{"prefixes.registers", "prefixes.washed", "prefixes.ledger", "prefixes.index"} {
		if p := prefixes[name]; strings.HasPrefix(p, c.Prefixes.Inbox) {
			bad(name, "%q is inside the inbox %q: its files would be washed", p, c.Prefixes.Inbox)
		}
	}
	if c.Worker.Concurrency < 1 {
		bad("worker.concurrency", "%d is below 1", c.Worker.Concurrency)
	}
	if c.Worker.DedupPartitions < 0 || c.Worker.DedupPartitions > 1024 {
		bad("worker.dedup_partitions", "%d is outside 0..1024", c.Worker.DedupPartitions)
	}
	if c.Worker.DedupSpillRows < -1 {
		bad("worker.dedup_spill_rows", "%d: want a number of rows, 0 for the default or -1 for never", c.Worker.DedupSpillRows)
	}
	if c.Worker.ChunkSize < 1<<20 {
		bad("worker.chunk_size", "%d bytes is below 1 MiB", c.Worker.ChunkSize)
	}
	if c.Worker.ShutdownTimeout < 0 {
		bad("worker.shutdown_timeout", "is negative")
	}
	if c.Worker.Mode != "mark" && c.Worker.Mode != "wash" {
		bad("worker.mode", "%q is not mark or wash", c.Worker.Mode)
	}
	if len(c.Worker.Country) != 2 {
		bad("worker.country", "%q is not a two-letter country code", c.Worker.Country)
	}
	for name, addr := range map[string]string{"listen.metrics": c.Listen.Metrics, "listen.watch": c.Listen.Watch, "listen.serve": c.Listen.Serve} {
		if addr == "" || addr == "off" {
			continue
		}
		if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
			bad(name, "%q is not host:port", addr)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	slices.Sort(errs)
	return fmt.Errorf("%w: %s", ErrConfig, strings.Join(errs, "; "))
}

// checkQueueURL says what is wrong with an SQS queue URL, or "". It quotes
// the URL only without user info.
func checkQueueURL(q string) string {
	const want = "want https://sqs.<region>.amazonaws.com/<account>/<queue>"
	u, err := url.Parse(q)
	switch {
	case err != nil:
		return "is not a URL; " + want
	case u.User != nil:
		return "must not hold credentials"
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return fmt.Sprintf("%q is not an http:// or https:// URL; %s", q, want)
	}
	account, name, ok := strings.Cut(strings.Trim(u.Path, "/"), "/")
	if !ok || account == "" || name == "" || strings.Contains(name, "/") || u.RawQuery != "" {
		return fmt.Sprintf("%q does not name a queue; %s", q, want)
	}
	return ""
}

// SQSConfig is the SQS client configuration the config names: the queue,
// its endpoint, and the S3 client's region and credentials.
func (c *Config) SQSConfig() SQSConfig {
	return SQSConfig{QueueURL: c.SQS.QueueURL, Endpoint: c.SQS.Endpoint, AWS: c.S3Config()}
}

// RedisConfig is the Redis connection the config names.
func (c *Config) RedisConfig() RedisConfig {
	if c.Redis.URL != "" {
		r, _ := ParseRedisURL(c.Redis.URL) // validated
		if r.Password == "" {
			r.Password = c.Redis.Password
		}
		return r
	}
	return RedisConfig{Addr: c.Redis.Addr, Username: c.Redis.Username, Password: c.Redis.Password, DB: c.Redis.DB, TLS: c.Redis.TLS}
}

// S3Config is the S3 client configuration the config names.
func (c *Config) S3Config() S3Config {
	ps := c.S3.Endpoint != ""
	if c.S3.PathStyle != nil {
		ps = *c.S3.PathStyle
	}
	return S3Config{Endpoint: c.S3.Endpoint, Region: c.S3.Region, AccessKey: c.S3.AccessKeyID,
		SecretKey: c.S3.SecretAccessKey, SessionToken: c.S3.SessionToken, PathStyle: ps}
}

// BucketURL is "s3://<bucket>".
func (c *Config) BucketURL() string { return "s3://" + c.Bucket }

// PrefixURL is the store URL of a prefix: "s3://<bucket>/<prefix>".
func (c *Config) PrefixURL(prefix string) string {
	return "s3://" + c.Bucket + "/" + strings.TrimSuffix(prefix, "/")
}

// LogValue is what slog prints for a Config: where things are, never a
// credential. Whether credentials are set is shown as a yes/no.
func (c Config) LogValue() slog.Value {
	redisAddr := c.RedisConfig().Addr
	return slog.GroupValue(
		slog.String("redis_addr", redisAddr),
		slog.Bool("redis_tls", c.RedisConfig().TLS),
		slog.Bool("redis_password_set", c.RedisConfig().Password != ""),
		slog.String("s3_endpoint", c.S3.Endpoint),
		slog.String("s3_region", c.S3.Region),
		slog.Bool("s3_static_credentials", c.S3.AccessKeyID != ""),
		slog.String("sqs_queue_url", redactURL(c.SQS.QueueURL)),
		slog.String("bucket", c.Bucket),
		slog.String("inbox", c.Prefixes.Inbox),
		slog.Int("concurrency", c.Worker.Concurrency),
		slog.String("sweep_interval", c.SweepInterval.String()),
	)
}

// redactURL is u with any password replaced by "xxxxx".
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(not a URL)"
	}
	return p.Redacted()
}

// String is LogValue's text, so that a Config printed with %v by mistake
// shows no secret either.
func (c Config) String() string { return c.LogValue().String() }

// GoString hides secrets from %#v too.
func (c Config) GoString() string { return "infra.Config" + c.String() }
