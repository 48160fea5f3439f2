// Package lfs is the git-lfs standalone custom transfer agent: git-lfs runs it (as
// `git-remote-object-store lfs-agent`) and speaks line-delimited JSON to it, and it moves
// LFS objects between the working repository and <prefix>/lfs/<oid> on the same bucket
// as the git data (the layout awslabs/git-remote-s3 uses). It also writes the git config
// that points git-lfs at it for one remote only.
package lfs
