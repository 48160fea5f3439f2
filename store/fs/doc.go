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
// old object or the new one, never a partial one. An object's ETag names its identity
// (size, modification time and inode, hashed): each write is a new file, so each write
// gets a new ETag, and reading it costs one stat instead of hashing the content.
package fs
