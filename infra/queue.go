package infra

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/hibiken/asynq"
)

// RedisConfig locates the Redis that holds the task queues. It can hold a
// password: never log it whole.
type RedisConfig struct {
	// Addr is host:port. Empty: "127.0.0.1:6379".
	Addr string
	// Username is the ACL user. Empty: the default user.
	Username string
	// Password authenticates the connection. Empty: none.
	Password string
	// DB is the database number. 0: database 0.
	DB int
	// TLS connects with TLS, verifying the server against the system
	// roots and the host name of Addr. False: plain TCP.
	TLS bool
}

// ParseRedisURL reads "redis://[user:password@]host[:port][/db]";
// "rediss://" turns on TLS.
func ParseRedisURL(s string) (RedisConfig, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Error quotes the whole URL, password included: drop it.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return RedisConfig{}, fmt.Errorf("redis url: %w", err)
	}
	var c RedisConfig
	switch u.Scheme {
	case "redis":
	case "rediss":
		c.TLS = true
	default:
		return RedisConfig{}, fmt.Errorf("redis url: scheme %q is not redis or rediss", u.Scheme)
	}
	c.Addr = u.Host
	if u.Port() == "" && u.Host != "" {
		c.Addr = net.JoinHostPort(u.Hostname(), "6379")
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		if c.DB, err = strconv.Atoi(db); err != nil || c.DB < 0 {
			return RedisConfig{}, fmt.Errorf("redis url: database %q is not a number", db)
		}
	}
	return c, nil
}

// ClientOpt is the Asynq connection option for c.
func (c RedisConfig) ClientOpt() asynq.RedisClientOpt {
	addr := c.Addr
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	opt := asynq.RedisClientOpt{Addr: addr, Username: c.Username, Password: c.Password, DB: c.DB}
	if c.TLS {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		opt.TLSConfig = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	return opt
}

// NewQueueClient returns an Asynq client that enqueues tasks; Close it.
func NewQueueClient(c RedisConfig) *asynq.Client { return asynq.NewClient(c.ClientOpt()) }

// NewQueueServer returns an Asynq server that runs handlers with cfg
// (cfg.Queues: jobs.Queues()).
func NewQueueServer(c RedisConfig, cfg asynq.Config) *asynq.Server {
	return asynq.NewServer(c.ClientOpt(), cfg)
}

// NewQueueInspector returns an Asynq inspector for queue statistics and
// task management; Close it.
func NewQueueInspector(c RedisConfig) *asynq.Inspector { return asynq.NewInspector(c.ClientOpt()) }
