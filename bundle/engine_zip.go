package bundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/store"
)

// maxSummary: CodePipeline shows at most 2048 characters of a revision summary.
const maxSummary = 2048

// putZip mirrors the pushed tree as <ref>/repo.zip for AWS CodePipeline's S3 source,
// with the commit's subject as the revision summary it displays.
func (e *Engine) putZip(ctx context.Context, u engine.Update) error {
	summary, err := e.commitSubject(u)
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(gitpack.WriteZip(e.repo, u.Src, pw)) }()
	key := u.Dst + "/" + zipName
	meta := store.Meta{
		ContentType:        "application/zip",
		ContentDisposition: fmt.Sprintf("attachment; filename=repo-%s.zip", u.Src.String()[:8]),
		User:               map[string]string{"codepipeline-artifact-revision-summary": summary},
	}
	_, err = store.PutWithMeta(ctx, e.st, key, pr, -1, store.Cond{}, meta)
	pr.CloseWithError(errors.New("upload ended"))
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	return nil
}

func (e *Engine) commitSubject(u engine.Update) (string, error) {
	_, data, err := e.repo.Read(u.Src)
	if err != nil {
		return "", fmt.Errorf("read commit %s: %w", u.Src, err)
	}
	_, msg, _ := bytes.Cut(data, []byte("\n\n"))
	subject, _, _ := bytes.Cut(msg, []byte("\n"))
	return SanitizeSummary(string(subject)), nil
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
