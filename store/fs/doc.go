// Package fs is the local-directory backend: a directory used as a bucket, for
// fs+file:// remotes (a USB disk, an NFS share, an air-gapped transfer folder) and as the
// embedded default that needs no server.
//
// An object with key "a/b/c" is the file <root>/a/b/c, so the directory stays readable
// by people and ordinary tools. The backend's own state lives in <root>/.gros/ (a key may
// not start with ".gros"): tmp/ holds uploads in flight, and the file "lock" serialises
// the check-and-rename of every write with flock(2), so conditional writes hold across
// processes and the lock vanishes with a crashed process.
//
// Writes go to a temporary file, are fsynced, then renamed into place: a reader sees the
// old object or the new one, never a partial one. An object's ETag is the SHA-256 of its
// content, computed while it is written and kept in a user xattr on the file (set before
// the rename, so tag and content land together); reading it costs one getxattr, never a
// re-hash. On a file system without user xattrs the ETag falls back to a hash of the
// file's identity (size, modification time, inode), which still changes on every write.
package fs
