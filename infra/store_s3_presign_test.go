package infra_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/listwash/listwash/infra"
	"github.com/listwash/listwash/infra/testenv"
)

// send does a presigned request with a plain net/http client: no SDK, no
// credentials, only the URL and the headers it says to send (minus
// drop). It returns the status and body.
func send(t *testing.T, p infra.PresignedRequest, method, rawURL string, body []byte, drop string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, rawURL, r)
	if err != nil {
		t.Fatal(err)
	}
	for name, vals := range p.Header {
		if name != drop {
			req.Header[name] = vals
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// TestS3Presign issues presigned PUTs and GETs on a real versitygw and
// uses them without credentials.
func TestS3Presign(t *testing.T) {
	e := testenv.S3Server(t)
	s, err := infra.NewS3Store(t.Context(), e.Config, e.Bucket, "vendors")
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("Förnamn;Efternamn\nAnna;Svensson\n")
	const csv = "text/csv"
	exists := func(t *testing.T, key string) bool {
		t.Helper()
		_, err := s.Stat(t.Context(), key)
		if err != nil && !errors.Is(err, infra.ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}

	t.Run("PUT then read through the store", func(t *testing.T) {
		for _, tc := range []struct{ name, key, ctype string }{
			{"plain key", "inbox/acme/delivery.csv", csv},
			{"spaces and non-ASCII", "inbox/acme/leverans 1 å+ö.csv", csv},
			{"no content type", "inbox/acme/any.bin", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := time.Now().UTC().Truncate(time.Second)
				p, err := s.PresignPut(t.Context(), tc.key, time.Hour, infra.PresignPutOptions{ContentType: tc.ctype})
				if err != nil {
					t.Fatal(err)
				}
				if p.Method != http.MethodPut {
					t.Fatalf("method %q", p.Method)
				}
				if d := p.Expires.Sub(before); d < time.Hour || d > time.Hour+2*time.Second || p.Expires.Location() != time.UTC {
					t.Fatalf("expires %v, signed about %v", p.Expires, before)
				}
				// Path style on the configured endpoint, under the store's prefix.
				u, err := url.Parse(p.URL)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := u.Scheme+"://"+u.Host+u.Path, e.Endpoint+"/"+e.Bucket+"/vendors/"+tc.key; got != want {
					t.Fatalf("url %s, want %s", got, want)
				}
				if strings.Contains(p.URL, e.Config.SecretKey) {
					t.Fatal("the URL holds the secret key")
				}
				if got := p.Header.Get("Content-Type"); got != tc.ctype {
					t.Fatalf("header Content-Type %q, want %q (all: %v)", got, tc.ctype, p.Header)
				}
				if _, ok := p.Header["Host"]; ok {
					t.Fatalf("headers include Host: %v", p.Header)
				}
				if code, body := send(t, p, p.Method, p.URL, data, ""); code != http.StatusOK {
					t.Fatalf("PUT: %d %s", code, body)
				}
				if got := readAll(t, s, tc.key); got != string(data) {
					t.Fatalf("read back %q", got)
				}
			})
		}
	})

	t.Run("refused", func(t *testing.T) {
		good, err := s.PresignPut(t.Context(), "inbox/acme/ok.csv", time.Hour, infra.PresignPutOptions{ContentType: csv})
		if err != nil {
			t.Fatal(err)
		}
		old, err := infra.NewS3Store(t.Context(), e.Config, e.Bucket, "vendors")
		if err != nil {
			t.Fatal(err)
		}
		infra.SetPresignClock(old, func() time.Time { return time.Now().Add(-2 * time.Hour) })
		expired, err := old.PresignPut(t.Context(), "inbox/acme/late.csv", time.Minute, infra.PresignPutOptions{ContentType: csv})
		if err != nil {
			t.Fatal(err)
		}
		// Signed as long ago but still valid: the server takes it, so the
		// refusal of expired above is the expiry, not the old date.
		if expired.Expires.After(time.Now().Add(-2*time.Hour + 2*time.Minute)) {
			t.Fatalf("expired URL expires %v", expired.Expires)
		}
		stillValid, err := old.PresignPut(t.Context(), "inbox/acme/old-but-valid.csv", 3*time.Hour, infra.PresignPutOptions{ContentType: csv})
		if err != nil {
			t.Fatal(err)
		}
		if code, body := send(t, stillValid, http.MethodPut, stillValid.URL, data, ""); code != http.StatusOK {
			t.Fatalf("URL signed 2h ago for 3h: %d %s", code, body)
		}
		get, err := s.PresignGet(t.Context(), "inbox/acme/ok.csv", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		const sig = "SignatureDoesNotMatch"
		for _, tc := range []struct {
			name       string
			p          infra.PresignedRequest
			method     string
			url        string
			drop       string // header not sent
			wantAbsent string
			why        string // in the server's answer
		}{
			{"another key", good, http.MethodPut, strings.Replace(good.URL, "/ok.csv?", "/other.csv?", 1), "", "inbox/acme/other.csv", sig},
			{"another folder", good, http.MethodPut, strings.Replace(good.URL, "/acme/ok.csv?", "/evil/ok.csv?", 1), "", "inbox/evil/ok.csv", sig},
			{"expired", expired, http.MethodPut, expired.URL, "", "inbox/acme/late.csv", "Request has expired"},
			{"signed content type not sent", good, http.MethodPut, good.URL, "Content-Type", "inbox/acme/ok.csv", sig},
			{"PUT with a GET URL", get, http.MethodPut, get.URL, "", "inbox/acme/ok.csv", sig},
			{"signature altered", good, http.MethodPut, good.URL[:len(good.URL)-4] + "0000", "", "inbox/acme/ok.csv", sig},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, body := send(t, tc.p, tc.method, tc.url, data, tc.drop)
				if code != http.StatusForbidden || !bytes.Contains(body, []byte(tc.why)) {
					t.Fatalf("status %d, want 403 %s: %s", code, tc.why, body)
				}
				if exists(t, tc.wantAbsent) {
					t.Fatalf("%s was written", tc.wantAbsent)
				}
			})
		}
	})

	// NoOverwrite: the URL uploads once; a second PUT of the same URL, or
	// one without the signed condition, writes nothing.
	t.Run("no overwrite", func(t *testing.T) {
		const key = "inbox/acme/once.csv"
		p, err := s.PresignPut(t.Context(), key, time.Hour, infra.PresignPutOptions{NoOverwrite: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Header.Get("If-None-Match"); got != "*" {
			t.Fatalf("header If-None-Match %q, want * (all: %v)", got, p.Header)
		}
		if code, body := send(t, p, p.Method, p.URL, data, ""); code != http.StatusOK {
			t.Fatalf("first PUT: %d %s", code, body)
		}
		if code, body := send(t, p, p.Method, p.URL, []byte("replaced"), ""); code != http.StatusPreconditionFailed {
			t.Fatalf("second PUT: %d %s, want 412", code, body)
		}
		if code, body := send(t, p, p.Method, p.URL, []byte("replaced"), "If-None-Match"); code != http.StatusForbidden {
			t.Fatalf("PUT without the signed If-None-Match: %d %s, want 403", code, body)
		}
		if got := readAll(t, s, key); got != string(data) {
			t.Fatalf("after the refused PUTs the object holds %q", got)
		}
	})

	t.Run("GET", func(t *testing.T) {
		if err := s.PutIfAbsent(t.Context(), "washed/acme/r1/rejects.csv", data); err != nil {
			t.Fatal(err)
		}
		p, err := s.PresignGet(t.Context(), "washed/acme/r1/rejects.csv", 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if p.Method != http.MethodGet {
			t.Fatalf("method %q", p.Method)
		}
		code, body := send(t, p, p.Method, p.URL, nil, "")
		if code != http.StatusOK || !bytes.Equal(body, data) {
			t.Fatalf("GET: %d %q", code, body)
		}
		other := strings.Replace(p.URL, "/rejects.csv?", "/scorecard.json?", 1)
		if code, _ := send(t, p, p.Method, other, nil, ""); code != http.StatusForbidden {
			t.Fatalf("GET of another key: %d, want 403", code)
		}
	})

	t.Run("bad arguments", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			key     string
			expires time.Duration
			want    string
		}{
			{"expiry too short", "inbox/acme/a.csv", 59 * time.Second, "outside"},
			{"expiry too long", "inbox/acme/a.csv", 7*24*time.Hour + time.Second, "outside"},
			{"zero expiry", "inbox/acme/a.csv", 0, "outside"},
			{"dot-dot key", "../a.csv", time.Hour, "invalid key"},
			{"absolute key", "/inbox/a.csv", time.Hour, "invalid key"},
			{"empty key", "", time.Hour, "invalid key"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.PresignPut(t.Context(), tc.key, tc.expires, infra.PresignPutOptions{ContentType: csv})
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("PresignPut err %v, want %q", err, tc.want)
				}
				_, err = s.PresignGet(t.Context(), tc.key, tc.expires)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("PresignGet err %v, want %q", err, tc.want)
				}
			})
		}
		// The limits themselves are accepted.
		for _, d := range []time.Duration{infra.MinPresignExpiry, infra.MaxPresignExpiry} {
			if _, err := s.PresignPut(t.Context(), "inbox/acme/a.csv", d, infra.PresignPutOptions{}); err != nil {
				t.Fatalf("expiry %v: %v", d, err)
			}
		}
	})
}
