package store

import (
	"context"
	"io"
	"strings"
)

// Prefixed scopes s to the keys below prefix: every key is stored as prefix + "/" + key,
// and List reports keys with the prefix removed. An empty prefix returns s itself. The
// result implements MetaPutter, Janitor and Resumer exactly when s does; its Janitor sees
// only the leftovers below the prefix (see prefixedJanitor), its Resumer's scope names the
// prefix (see prefixedResumer).
func Prefixed(s Store, prefix string) (out Store) {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return s
	}
	p := prefixed{s: s, p: prefix + "/"}
	if _, ok := s.(Resumer); ok {
		defer func() { out = withResumer(out, p) }()
	}
	_, meta := s.(MetaPutter)
	_, janitor := s.(Janitor)
	switch {
	case meta && janitor:
		return prefixedMetaJanitor{prefixedMeta{p}}
	case meta:
		return prefixedMeta{p}
	case janitor:
		return prefixedJanitor{p}
	}
	return p
}

type prefixed struct {
	s Store
	p string
}

func (p prefixed) fix(info Info) Info {
	info.Key = strings.TrimPrefix(info.Key, p.p)
	return info
}

func (p prefixed) Get(ctx context.Context, key string, r *Range) (io.ReadCloser, Info, error) {
	rc, info, err := p.s.Get(ctx, p.p+key, r)
	return rc, p.fix(info), err
}

func (p prefixed) Head(ctx context.Context, key string) (Info, error) {
	info, err := p.s.Head(ctx, p.p+key)
	return p.fix(info), err
}

func (p prefixed) Put(ctx context.Context, key string, body io.Reader, size int64, c Cond) (Info, error) {
	info, err := p.s.Put(ctx, p.p+key, body, size, c)
	return p.fix(info), err
}

func (p prefixed) Delete(ctx context.Context, key string) error {
	return p.s.Delete(ctx, p.p+key)
}

func (p prefixed) List(ctx context.Context, prefix string, fn func(Info) error) error {
	return p.s.List(ctx, p.p+prefix, func(info Info) error { return fn(p.fix(info)) })
}

type prefixedMeta struct{ prefixed }

func (p prefixedMeta) PutMeta(ctx context.Context, key string, body io.Reader, size int64, c Cond, m Meta) (Info, error) {
	info, err := p.s.(MetaPutter).PutMeta(ctx, p.p+key, body, size, c, m)
	return p.fix(info), err
}
