// Package testenv starts real servers for tests: redis-server, versitygw
// (an S3 gateway on a posix folder) and fauxqs (an SQS emulator), each on
// a free port, stopped when the test ends. A missing binary skips the test, or
// fails it when the environment variable CI is "true", so CI cannot go
// green without exercising the servers.
//
// CI installs the binaries with:
//
//	apt-get install -y redis-server
//	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//	npm ci in a copy of .ci/fauxqs, linked into GOPATH/bin (see .ci/test)
package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"go/build"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds how long a server may take to accept requests.
const startTimeout = 15 * time.Second

// binary finds name on PATH, in $GOBIN or in $GOPATH/bin; if it is
// missing it skips t, or fails it under CI=true.
func binary(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	dirs := []string{os.Getenv("GOBIN")}
	for _, gp := range filepath.SplitList(build.Default.GOPATH) {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("testenv: %s not found on PATH or in GOPATH/bin (CI=true)", name)
	}
	t.Skipf("testenv: %s not installed", name)
	return ""
}

// Binary is the path of the tool name that a test runs (curl, say): it
// skips t where the tool is missing, and fails it under CI=true.
func Binary(t testing.TB, name string) string { return binary(t, name) }

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// syncBuffer collects a server's output for failure messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 64<<10 {
		return len(p), nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs a server on a free port and waits until ready(addr) succeeds.
// args builds the command line for the port. A server that exits before it
// is ready (a port taken in between) is retried on another port.
func start(t testing.TB, bin string, env []string, args func(port int) []string, ready func(addr string) error) string {
	t.Helper()
	var lastErr error
	for range 3 {
		port := freePort(t)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		cmd := exec.Command(bin, args(port)...)
		cmd.Env = append(os.Environ(), env...)
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		setDeathSignal(cmd)
		if err := cmd.Start(); err != nil {
			t.Fatalf("testenv: start %s: %v", filepath.Base(bin), err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if err := waitReady(addr, ready, exited); err != nil {
			cmd.Process.Kill()
			<-exited
			lastErr = fmt.Errorf("%w\n%s", err, out.String())
			continue
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			<-exited
		})
		return addr
	}
	t.Fatalf("testenv: %s did not start: %v", filepath.Base(bin), lastErr)
	return ""
}

func waitReady(addr string, ready func(string) error, exited <-chan error) error {
	deadline := time.Now().Add(startTimeout)
	for {
		err := ready(addr)
		if err == nil {
			return nil
		}
		select {
		case werr := <-exited:
			return fmt.Errorf("exited before ready: %v", werr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %w", startTimeout, err)
		}
	}
}

var errNotReady = errors.New("not ready")
