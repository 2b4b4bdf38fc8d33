package testenv

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Redis starts redis-server on a free loopback port without persistence
// and returns its address ("127.0.0.1:port"). The server stops when t ends.
func Redis(t testing.TB) (addr string) {
	t.Helper()
	bin := binary(t, "redis-server")
	return start(t, bin, nil, func(port int) []string {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--loglevel", "warning"}
	}, pingRedis)
}

// pingRedis sends PING and expects +PONG.
func pingRedis(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return fmt.Errorf("%w: redis answered %q", errNotReady, strings.TrimSpace(line))
	}
	return nil
}
