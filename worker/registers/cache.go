package registers

import (
	"context"
	"strconv"
	"strings"
	"sync"
)

// Cache shares loaded register versions between runs of one process:
// each version (source, register, files) is loaded once, by the first run
// that needs it, while concurrent runs wait for that load. Only the newest
// version of each register of each source is kept. Safe for concurrent
// use; the zero value is ready.
type Cache struct {
	mu      sync.Mutex
	entries map[string]*cacheEntry // by source + register
}

type cacheEntry struct {
	version string        // the files (and sizes) the value was loaded from
	done    chan struct{} // closed when value/err are set
	value   *loaded
	err     error
}

// get returns the register slot's value for version, loading it once.
// A failed load is not kept: the next run tries again.
func (c *Cache) get(ctx context.Context, slot, version string, load func() (*loaded, error)) (*loaded, error) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*cacheEntry{}
	}
	e := c.entries[slot]
	if e != nil && e.version == version {
		c.mu.Unlock()
		select {
		case <-e.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err != nil {
			return c.get(ctx, slot, version, load)
		}
		return e.value, nil
	}
	e = &cacheEntry{version: version, done: make(chan struct{})}
	c.entries[slot] = e
	c.mu.Unlock()

	e.value, e.err = load()
	if e.err != nil {
		c.mu.Lock()
		if c.entries[slot] == e {
			delete(c.entries, slot)
		}
		c.mu.Unlock()
	}
	close(e.done)
	return e.value, e.err
}

// Len is the number of register versions held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// cacheKey names a register version: its files, with their sizes where the
// source can tell them, so a file replaced under the same name reloads.
func cacheKey(ctx context.Context, src Source, id, name string, files []file) (string, error) {
	var b strings.Builder
	sz, _ := src.(sizer)
	for _, f := range files {
		b.WriteString(f.Key)
		if sz != nil {
			n, err := sz.Size(ctx, f.Key)
			if err != nil {
				return "", err
			}
			b.WriteByte(':')
			b.WriteString(strconv.FormatInt(n, 10))
		}
		b.WriteByte('\x00')
	}
	return b.String(), nil
}
