// Package azblob is the Azure Blob Storage backend: a store.Store over net/http, signed
// by package azauth (Shared Key, SAS or an Entra ID token). Small objects go up with Put
// Blob; large or unknown-size ones as blocks (equal-length ids, bounded buffers, retried
// one by one) committed by Put Block List, which carries the write's condition so the
// blob appears whole or not at all. Path-style endpoints (Azurite, IP addresses) and
// host-style accounts are both configuration.
//
// What it shares with the S3 backend (building, sending and retrying requests, reading
// answers, the shape of a write) is package store/internal/httpstore; what is here is
// Azure's own: its URLs and headers, its signing, its error codes and XML.
package azblob
