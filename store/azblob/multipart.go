package azblob

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"io"
	"maps"
	"net/http"
	"sync"
	"time"

	"git-remote-object-store/internal/uriencode"
	"git-remote-object-store/store"
	"git-remote-object-store/store/internal/httpstore"
)

// Azure's block upload, shared by Put (putBlocks) and the resumable uploads of
// resume.go: stage blocks, commit a block list with the write's condition. An upload
// exists only as the uncommitted blocks staged on its blob.

// uploadIDBytes is the length of an upload's id. Each block id of an upload is its id
// (random bytes) followed by the part number as a big-endian uint64, base64-encoded: one
// length for every id (Azure wants one length per blob), and another process can tell
// this upload's blocks from any other's.
const uploadIDBytes = 16

// blockID is the id of block n of the upload whose id is prefix.
func blockID(prefix []byte, n int) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(n)))
}

// blockNumber returns the part number of block id when it belongs to the upload prefix.
func blockNumber(prefix []byte, id string) (int, bool) {
	raw, err := base64.StdEncoding.DecodeString(id)
	if err != nil || len(raw) != len(prefix)+8 || !bytes.Equal(raw[:len(prefix)], prefix) {
		return 0, false
	}
	n := binary.BigEndian.Uint64(raw[len(prefix):])
	if n < 1 || n > 50000 {
		return 0, false
	}
	return int(n), true
}

// putBlocks stages first and the rest of body as blocks of a fresh upload, Concurrency at
// a time, and commits them with the condition and the whole blob's MD5.
func (s *Store) putBlocks(ctx context.Context, key string, first []byte, body io.Reader, size int64, c store.Cond, m store.Meta) (store.Info, error) {
	prefix := make([]byte, uploadIDBytes)
	rand.Read(prefix)
	whole := md5.New()
	hashed := &hashingReader{r: body, h: whole}
	whole.Write(first)
	var mu sync.Mutex
	count := 0
	total, err := httpstore.SendParts(ctx, key, hashed, first, size, s.cfg.BlockSize, s.cfg.Concurrency, 50000, func(ctx context.Context, n int, data []byte) error {
		err := s.putBlock(ctx, key, blockID(prefix, n), data)
		mu.Lock()
		count = max(count, n)
		mu.Unlock()
		return err
	})
	if err != nil {
		return store.Info{}, err // staged blocks are never committed; Azure drops them
	}
	ids := make([]string, count)
	for i := range ids {
		ids[i] = blockID(prefix, i+1)
	}
	h := httpstore.CondHeader(c)
	maps.Copy(h, httpstore.MetaHeader(m, metaNames))
	sum := whole.Sum(nil)
	h.Set("X-Ms-Blob-Content-Md5", base64.StdEncoding.EncodeToString(sum))
	in, attempts, err := s.commitBlocks(ctx, key, ids, h, total)
	return s.http.Settle(ctx, key, in, err, attempts, c, md5Is(sum))
}

// putBlock stages data as block id of key (Put Block; Azure checks the Content-MD5).
func (s *Store) putBlock(ctx context.Context, key, id string, data []byte) error {
	_, err := s.http.Do(ctx, &httpstore.Request{Op: "put block", Method: "PUT", Key: key, Body: data, BodyMD5: true,
		Query: []uriencode.Param{{Name: "comp", Value: "block"}, {Name: "blockid", Value: id}}}, nil)
	return err
}

// commitBlocks makes key's content the blocks ids, in order (Put Block List), with the
// headers h (the condition, the blob's properties and metadata); Azure drops every
// uncommitted block of the blob the list does not name. It returns the blob's Info
// (size bytes) and the attempts made, for settle.
func (s *Store) commitBlocks(ctx context.Context, key string, ids []string, h http.Header, size int64) (store.Info, int, error) {
	var list bytes.Buffer
	list.WriteString(`<?xml version="1.0" encoding="utf-8"?><BlockList>`)
	for _, id := range ids {
		list.WriteString("<Latest>" + id + "</Latest>")
	}
	list.WriteString("</BlockList>")
	var in store.Info
	attempts, err := s.http.Do(ctx, &httpstore.Request{Op: "put block list", Method: "PUT", Key: key, Header: h, Body: list.Bytes(),
		Query: []uriencode.Param{{Name: "comp", Value: "blocklist"}}}, func(resp *http.Response) error {
		in = httpstore.InfoFromHeader(key, resp.Header, size)
		return nil
	})
	return in, attempts, err
}

// blockEntries is a Get Block List answer.
type blockEntries struct {
	Committed   []blockEntry `xml:"CommittedBlocks>Block"`
	Uncommitted []blockEntry `xml:"UncommittedBlocks>Block"`
}

type blockEntry struct {
	Name string `xml:"Name"`
	Size int64  `xml:"Size"`
}

// getBlockList reads key's block list of the given type (committed, uncommitted) and
// the server's clock from the answer's Date header.
func (s *Store) getBlockList(ctx context.Context, key, which string) (blockEntries, time.Time, error) {
	list, h, err := httpstore.DoXML[blockEntries](ctx, s.http, &httpstore.Request{Op: "get block list", Method: "GET", Key: key,
		Query: []uriencode.Param{{Name: "comp", Value: "blocklist"}, {Name: "blocklisttype", Value: which}}})
	if err != nil {
		return blockEntries{}, time.Time{}, err
	}
	date, _ := http.ParseTime(h.Get("Date"))
	return list, date, nil
}

// hashingReader feeds the bytes it reads to h (parts are read sequentially by SendParts).
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	return n, err
}
