package infra

import (
	"context"
	"io"
	"iter"
	"strings"
)

// prefixStore is the decorator WithPrefix returns.
type prefixStore struct {
	s      Store
	prefix string // ends with "/"
}

func (p *prefixStore) key(k string) (string, error) {
	if err := validKey(k); err != nil {
		return "", err
	}
	return p.prefix + k, nil
}

func (p *prefixStore) URL() string {
	return strings.TrimSuffix(p.s.URL(), "/") + "/" + strings.TrimSuffix(p.prefix, "/")
}

func (p *prefixStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	k, err := p.key(key)
	if err != nil {
		return nil, err
	}
	return p.s.Open(ctx, k)
}

func (p *prefixStore) OpenRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	k, err := p.key(key)
	if err != nil {
		return nil, err
	}
	return p.s.OpenRange(ctx, k, offset, length)
}

func (p *prefixStore) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	k, err := p.key(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	o, err := p.s.Stat(ctx, k)
	o.Key = strings.TrimPrefix(o.Key, p.prefix)
	return o, err
}

func (p *prefixStore) Size(ctx context.Context, key string) (int64, error) {
	k, err := p.key(key)
	if err != nil {
		return 0, err
	}
	return p.s.Size(ctx, k)
}

func (p *prefixStore) List(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error] {
	return func(yield func(ObjectInfo, error) bool) {
		for o, err := range p.s.List(ctx, p.prefix+prefix) {
			o.Key = strings.TrimPrefix(o.Key, p.prefix)
			if !yield(o, err) {
				return
			}
		}
	}
}

func (p *prefixStore) ListKeys(ctx context.Context, prefix string) ([]string, error) {
	keys, err := p.s.ListKeys(ctx, p.prefix+prefix)
	for i, k := range keys {
		keys[i] = strings.TrimPrefix(k, p.prefix)
	}
	return keys, err
}

func (p *prefixStore) Create(ctx context.Context, key string) (io.WriteCloser, error) {
	k, err := p.key(key)
	if err != nil {
		return nil, err
	}
	return p.s.Create(ctx, k)
}

func (p *prefixStore) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	k, err := p.key(key)
	if err != nil {
		return err
	}
	return p.s.PutIfAbsent(ctx, k, data)
}

func (p *prefixStore) Delete(ctx context.Context, key string) error {
	k, err := p.key(key)
	if err != nil {
		return err
	}
	return p.s.Delete(ctx, k)
}

var _ Store = (*prefixStore)(nil)
