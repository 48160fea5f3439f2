package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
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
	return putZip(ctx, st, repo, ref, commit, store.Cond{})
}

// CreateZipMirror is PutZipMirror for a mirror found missing: create-if-absent, so a
// mirror a concurrent push writes meanwhile (of a newer commit) is kept, and losing that
// race is a success.
func CreateZipMirror(ctx context.Context, st store.Store, repo *gitpack.Repo, ref string, commit object.Hash) error {
	err := putZip(ctx, st, repo, ref, commit, store.Cond{IfNoneMatch: true})
	if store.IsPrecondition(err) {
		return nil
	}
	return err
}

func putZip(ctx context.Context, st store.Store, repo *gitpack.Repo, ref string, commit object.Hash, c store.Cond) error {
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
	_, err = store.PutWithMeta(ctx, st, key, pr, -1, c, meta)
	pr.CloseWithError(errors.New("upload ended"))
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	return nil
}

// ZipMirrored lists the refs of st that have a zip mirror (<ref>/repo.zip), in one
// listing of refs/.
func ZipMirrored(ctx context.Context, st store.Store) (map[string]bool, error) {
	out := map[string]bool{}
	err := st.List(ctx, "refs/", func(in store.Info) error {
		if ref, ok := strings.CutSuffix(in.Key, "/"+ZipName); ok {
			out[ref] = true
		}
		return nil
	})
	return out, err
}

// BackfillZipMirrors writes the missing zip mirrors of a zip=1 remote after a push: the
// mirror of each branch in refs (the remote's refs after the push) that has none and
// whose commit repo has, except the refs pushed just now (skip), whose mirrors the push
// writes anyway. git does not call the helper at all when every ref is up to date, so a
// remote that gained zip=1 after its branches were pushed gets their mirrors with the
// next push that changes anything (or from doctor --fix, ZipFindings). Tags are left to
// doctor: a remote may hold many, and their trees rarely feed a pipeline. Failures are
// warnings; the push has landed. Each mirror written is noted when verbose.
func BackfillZipMirrors(ctx context.Context, st store.Store, repo *gitpack.Repo, refs map[string]object.Hash, skip map[string]bool, warn io.Writer, verbose bool) {
	if repo == nil {
		return
	}
	var want []string
	for ref, h := range refs {
		if strings.HasPrefix(ref, "refs/heads/") && !skip[ref] && !h.IsZero() && repo.Has(h) {
			want = append(want, ref)
		}
	}
	if len(want) == 0 {
		return
	}
	have, err := ZipMirrored(ctx, st)
	if err != nil {
		fmt.Fprintf(warn, "warning: could not look for missing zip mirrors: %v\n", err)
		return
	}
	slices.Sort(want)
	for _, ref := range want {
		if have[ref] {
			continue
		}
		if err := CreateZipMirror(ctx, st, repo, ref, refs[ref]); err != nil {
			fmt.Fprintf(warn, "warning: %s has no zip mirror and writing it failed: %v\n", ref, err)
		} else if verbose {
			fmt.Fprintf(warn, "note: wrote the missing zip mirror of %s (%s)\n", ShortRef(ref), ZipKey(ref))
		}
	}
}

// ZipFindings is doctor's check of a zip=1 remote: each ref of refs (with a value) whose
// zip mirror is missing. The fix writes it (create-if-absent) when repo, the clone doctor
// runs in, has the ref's commit.
func ZipFindings(ctx context.Context, st store.Store, refs []RefInfo, repo *gitpack.Repo) ([]Finding, error) {
	have, err := ZipMirrored(ctx, st)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, r := range refs {
		if r.Hash == "" || have[r.Name] {
			continue
		}
		what := fmt.Sprintf("%s has no zip mirror (%s), though the URL says zip=1", r.Name, ZipKey(r.Name))
		h, err := object.ParseHash(r.Hash)
		if err != nil {
			out = append(out, Finding{What: what})
			continue
		}
		if repo == nil || !repo.Has(h) {
			out = append(out, Finding{What: fmt.Sprintf("%s; run doctor --fix in a clone that has commit %s to write it", what, r.Hash)})
			continue
		}
		ref := r.Name
		out = append(out, Finding{
			What: what + "; --fix writes it from this clone",
			Fix:  func(ctx context.Context) error { return CreateZipMirror(ctx, st, repo, ref, h) },
		})
	}
	return out, nil
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
