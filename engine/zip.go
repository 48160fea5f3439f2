package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/store"
)

// ZipName is the zip mirror's file name under a ref's key (?zip=1).
const ZipName = "repo.zip"

// maxSummary: CodePipeline shows at most 2048 characters of a revision summary.
const maxSummary = 2048

// ZipKey is where the zip mirror of ref lives.
func ZipKey(ref string) string { return ref + "/" + ZipName }

// PutZipMirror mirrors commit's tree as <ref>/repo.zip for AWS CodePipeline's S3 source,
// streamed, with the commit's subject as the revision summary CodePipeline displays.
// Both engines write it after a push lands, the same way.
func PutZipMirror(ctx context.Context, st store.Store, repo *gitpack.Repo, ref string, commit object.Hash) error {
	_, data, err := repo.Read(commit)
	if err != nil {
		return fmt.Errorf("read commit %s: %w", commit, err)
	}
	_, msg, _ := bytes.Cut(data, []byte("\n\n"))
	subject, _, _ := bytes.Cut(msg, []byte("\n"))
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(gitpack.WriteZip(repo, commit, pw)) }()
	key := ZipKey(ref)
	meta := store.Meta{
		ContentType:        "application/zip",
		ContentDisposition: fmt.Sprintf("attachment; filename=repo-%s.zip", commit.String()[:8]),
		User:               map[string]string{"codepipeline-artifact-revision-summary": SanitizeSummary(string(subject))},
	}
	_, err = store.PutWithMeta(ctx, st, key, pr, -1, store.Cond{}, meta)
	pr.CloseWithError(errors.New("upload ended"))
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	return nil
}

// SanitizeSummary makes text safe as HTTP metadata on every backend: printable ASCII
// only (S3 and Azure reject or mangle anything else), trimmed and bounded.
func SanitizeSummary(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r == '\t':
			b.WriteByte(' ')
		default:
			b.WriteByte('?')
		}
		if b.Len() >= maxSummary {
			break
		}
	}
	return strings.TrimSpace(b.String())
}
