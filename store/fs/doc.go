// Package fs is the local-directory backend: a directory used as a bucket, for
// fs+file:// remotes (a USB disk, an NFS share, an air-gapped transfer folder) and as the
// embedded default that needs no server.
//
// An object with key "a/b/c" is the file <root>/a/b/c, so the directory stays readable
// by people and ordinary tools. The backend's own state lives in <root>/.gros/ (a key may
// not start with ".gros"): tmp/ holds uploads in flight, and the file "lock" serialises
// the check-and-rename of every write and every delete with an OS file lock (flock(2);
// LockFileEx on Windows), so conditional writes hold across processes and the lock
// vanishes with a crashed process.
//
// Writes go to a temporary file, are fsynced, then renamed into place: a reader sees the
// old object or the new one, never a partial one. On Windows the rename is
// MoveFileEx(MOVEFILE_REPLACE_EXISTING) and readers open objects with FILE_SHARE_DELETE,
// so a replace goes through while someone reads (a rename blocked by another program's
// handle is retried for a few seconds). An object's ETag is the SHA-256 of its
// content, computed while it is written and kept in a user xattr on the file (set before
// the rename, so tag and content land together); on a file system without user xattrs,
// and on Windows, it is a hash of the file's identity (size, modification time, file
// id), which still changes on every write. Every ETag is read through the open file,
// never through the path, so the ETag a reader gets is that of the bytes it reads even
// while a writer renames a new version into place; that is what makes If-Match a real
// compare-and-swap.
//
// Nothing is created until the first write, and then only below a parent directory that
// exists: a mistyped path or an unmounted disk is an error (ErrNoRoot), never a new
// directory tree. Files and directories are created with the process's umask, so a
// group-writable umask gives a bucket a team can share.
//
// Git allows ref names that some file systems cannot store or cannot tell apart. On
// Windows a key that is not a valid file name there (a device name such as CON, a
// trailing dot or space, one of < > : " | ? * or a control character, bytes that are not
// UTF-8) is refused with ErrBadKey; elsewhere such keys are stored as before. Where names
// differing only in case are one file (the default on macOS and Windows, probed once at
// the first write), a write or delete that would reach an existing file or directory
// under another spelling is refused with ErrCaseCollision rather than replace or remove
// another key's object.
package fs
