// Package remote turns what the user typed into a working remote: it parses every URL
// form of docs/architecture.md, "Remote URLs" (s3+https, s3+http, az+https, az+http,
// fs+file, and awslabs' s3:// and s3+zip://), validates the query options, opens the
// backend, detects which engine the bucket already uses, and hands the helper an Engine.
package remote
