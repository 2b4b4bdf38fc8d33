package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/worker"
)

// uploadURL is what upload-url prints with --json.
type uploadURL struct {
	Bucket  string            `json:"bucket"`
	Key     string            `json:"key"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Expires time.Time         `json:"expires"`
	Headers map[string]string `json:"headers"` // to send as they are; empty when none
	Curl    string            `json:"curl"`
}

// runUploadURL presigns a PUT of inbox/<supplier>/<name>: a supplier
// uploads with any HTTP client, without credentials, and watch washes it.
func runUploadURL(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("upload-url", "--supplier ID --name FILE [--expires 24h] [--allow-overwrite] [--config FILE] [--endpoint URL] [--json]", stderr)
	supplier := fs.String("supplier", "", "supplier id: the inbox folder, 1-64 of A-Za-z0-9._- (required)")
	name := fs.String("name", "", "file name the delivery is stored under, without folders (required)")
	expires := fs.Duration("expires", 24*time.Hour, "how long the URL works: 1m to 168h (7 days, the SigV4 limit)")
	config := fs.String("config", os.Getenv("LISTWASH_CONFIG"), "runtime config file, YAML or JSON (default $LISTWASH_CONFIG; environment variables override it, see docs/runtime.md)")
	endpoint := fs.String("endpoint", "", "sign for this S3 endpoint (the address suppliers reach) instead of s3.endpoint; the server must see the same host")
	overwrite := fs.Bool("allow-overwrite", false, "let the URL replace an object already at the key (default: it uploads once, and a second PUT is refused with 412)")
	asJSON := fs.Bool("json", false, "print a JSON object instead of text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *supplier == "" || *name == "" {
		fmt.Fprintln(stderr, "listwash upload-url: --supplier and --name are required")
		fs.Usage()
		return errUsage
	}
	if *expires < infra.MinPresignExpiry || *expires > infra.MaxPresignExpiry {
		return fmt.Errorf("--expires %v is outside %v..%v (SigV4 allows at most 7 days)", *expires, infra.MinPresignExpiry, infra.MaxPresignExpiry)
	}
	cfg, err := infra.LoadConfig(*config, nil)
	if err != nil {
		return err
	}
	key, err := worker.DeliveryKey(cfg.Prefixes.Inbox, *supplier, *name)
	if err != nil {
		return err
	}
	s3cfg := cfg.S3Config()
	if *endpoint != "" {
		if !strings.HasPrefix(*endpoint, "http://") && !strings.HasPrefix(*endpoint, "https://") {
			return fmt.Errorf("--endpoint %q is not an http:// or https:// URL", *endpoint)
		}
		s3cfg.Endpoint = *endpoint
	}
	store, err := infra.NewS3Store(ctx, s3cfg, cfg.Bucket, "")
	if err != nil {
		return err
	}
	p, err := store.PresignPut(ctx, key, *expires, infra.PresignPutOptions{NoOverwrite: !*overwrite})
	if err != nil {
		return err
	}
	out := uploadURL{Bucket: cfg.Bucket, Key: key, Method: p.Method, URL: p.URL, Expires: p.Expires,
		Headers: map[string]string{}, Curl: curlLine(*name, p)}
	for h := range p.Header {
		out.Headers[h] = p.Header.Get(h)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // "&" in the URL stays readable
		return enc.Encode(out)
	}
	fmt.Fprintf(stdout, "key:     s3://%s/%s\n", cfg.Bucket, key)
	fmt.Fprintf(stdout, "expires: %s (in %v)\n", p.Expires.Format(time.RFC3339), *expires)
	fmt.Fprintf(stdout, "url:     %s\n", p.URL)
	fmt.Fprintf(stdout, "\nThe supplier uploads with (any HTTP client: %s to the URL, no credentials needed):\n", p.Method)
	fmt.Fprintln(stdout, out.Curl)
	return nil
}

// curlLine is a ready-to-paste upload of file to p, for a POSIX shell.
// --fail-with-body (curl 7.76 or later) makes a refused upload exit
// non-zero and still print the server's reason.
func curlLine(file string, p infra.PresignedRequest) string {
	var b strings.Builder
	b.WriteString("curl --fail-with-body ")
	if strings.ContainsAny(file, "[]{}") {
		b.WriteString("-g ") // no globbing: the name is one file
	}
	if file == "-" {
		file = "./-" // not standard input
	}
	b.WriteString("-T ")
	b.WriteString(shellQuote(file))
	if p.Method != http.MethodPut {
		b.WriteString(" -X " + p.Method)
	}
	names := make([]string, 0, len(p.Header))
	for h := range p.Header {
		names = append(names, h)
	}
	slices.Sort(names)
	for _, h := range names {
		b.WriteString(" -H " + shellQuote(h+": "+p.Header.Get(h)))
	}
	b.WriteString(" " + shellQuote(p.URL))
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
