package store

import (
	"context"
	"io"
	"strings"
	"time"
)

// Prefixed scopes s to the keys below prefix: every key is stored as prefix + "/" + key,
// and List reports keys with the prefix removed. An empty prefix returns s itself. The
// result offers (through CapsOf) exactly the optional interfaces s offers, scoped the
// same way: its Janitor sees only the leftovers below the prefix, its Resumer's scope
// names the prefix.
func Prefixed(s Store, prefix string) Store {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return s
	}
	return prefixed{s: s, p: prefix + "/"}
}

// prefixed is a comparable value: two Prefixed calls on the same store and prefix give
// equal stores (engine.CheckConditionalWritesOnce keys its cache by store value).
type prefixed struct {
	s Store
	p string
}

// Caps implements Capable: each optional interface of the wrapped store, behind the
// prefix. It is worked out on each call, so p stays a small comparable value.
func (p prefixed) Caps() Caps {
	in := CapsOf(p.s)
	var c Caps
	if in.MetaPutter != nil {
		c.MetaPutter = prefixedMeta{p, in.MetaPutter}
	}
	if in.Janitor != nil {
		c.Janitor = prefixedJanitor{p, in.Janitor}
	}
	if in.Resumer != nil {
		c.Resumer = prefixedResumer{p, in.Resumer}
		if _, ok := in.Resumer.(PartSummer); ok {
			c.Resumer = prefixedSummer{prefixedResumer{p, in.Resumer}}
		}
	}
	return c
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

// prefixedMeta is Prefixed's MetaPutter.
type prefixedMeta struct {
	p prefixed
	m MetaPutter
}

func (pm prefixedMeta) PutMeta(ctx context.Context, key string, body io.Reader, size int64, c Cond, m Meta) (Info, error) {
	info, err := pm.m.PutMeta(ctx, pm.p.p+key, body, size, c, m)
	return pm.p.fix(info), err
}

// prefixedJanitor is Prefixed's Janitor: leftovers are listed below the prefix with the
// prefix removed from their keys (so a leftover without a key, which belongs to the whole
// store, is never seen through a prefix), and put back before removal.
type prefixedJanitor struct {
	p prefixed
	j Janitor
}

func (pj prefixedJanitor) ListGarbage(ctx context.Context, prefix string, olderThan time.Time, fn func(Garbage) error) error {
	return pj.j.ListGarbage(ctx, pj.p.p+prefix, olderThan, func(g Garbage) error {
		if !strings.HasPrefix(g.Key, pj.p.p) {
			return nil // a backend that ignored the prefix must not leak its neighbours' leftovers
		}
		g.Key = strings.TrimPrefix(g.Key, pj.p.p)
		return fn(g)
	})
}

func (pj prefixedJanitor) RemoveGarbage(ctx context.Context, g Garbage) error {
	g.Key = pj.p.p + g.Key
	return pj.j.RemoveGarbage(ctx, g)
}

// prefixedResumer is Prefixed's Resumer: keys get the prefix, the scope names it.
type prefixedResumer struct {
	p prefixed
	r Resumer
}

func (pr prefixedResumer) PartSize() int64 { return pr.r.PartSize() }

func (pr prefixedResumer) UploadScope() string {
	return pr.r.UploadScope() + " prefix " + strings.TrimSuffix(pr.p.p, "/")
}

func (pr prefixedResumer) StartUpload(ctx context.Context, key string) (string, error) {
	return pr.r.StartUpload(ctx, pr.p.p+key)
}

func (pr prefixedResumer) UploadPart(ctx context.Context, key, id string, n int, data []byte) (Part, error) {
	return pr.r.UploadPart(ctx, pr.p.p+key, id, n, data)
}

// prefixedSummer is prefixedResumer over a PartSummer, and one itself.
type prefixedSummer struct{ prefixedResumer }

func (ps prefixedSummer) UploadPartSum(ctx context.Context, key, id string, n int, data []byte, sum [32]byte) (Part, error) {
	return ps.r.(PartSummer).UploadPartSum(ctx, ps.p.p+key, id, n, data, sum)
}

func (pr prefixedResumer) ListParts(ctx context.Context, key, id string) ([]Part, error) {
	return pr.r.ListParts(ctx, pr.p.p+key, id)
}

func (pr prefixedResumer) CompleteUpload(ctx context.Context, key, id string, parts []Part, c Cond) (Info, error) {
	info, err := pr.r.CompleteUpload(ctx, pr.p.p+key, id, parts, c)
	return pr.p.fix(info), err
}

func (pr prefixedResumer) AbortUpload(ctx context.Context, key, id string) error {
	return pr.r.AbortUpload(ctx, pr.p.p+key, id)
}
