// Package pack is git's pack and pack-index format, free of any storage: entry headers,
// delta instructions, and random access to a pack through its version-2 index.
//
// Pack (gitformat-pack):
//
//	"PACK" | version uint32 BE (2) | count uint32 BE
//	entries: header (1TTTSSSS, then 7 size bits per byte while bit 7 is set, little-endian)
//	         OFS_DELTA: base distance (7 bits per byte, big-endian, +1 per continuation)
//	         REF_DELTA: raw base id
//	         zlib data (the object, or the delta against the base)
//	trailer: hash of everything before it
//
// Index v2:
//
//	"\377tOc" | 2 | fan-out 256 × uint32 BE | N sorted ids | N CRC-32 | N uint32 offsets
//	(MSB set: index into the table of uint64 offsets that follows) | pack hash | idx hash
//
// Delta data: source size and target size as little-endian base-128 varints, then
// instructions: 1xxxxxxx copy (bits 0–3 select offset bytes, 4–6 size bytes; size 0
// means 0x10000), 0xxxxxxx insert that many literal bytes; 0x00 is invalid.
//
// Everything read is outside input: sizes, offsets, counts and chain depths are bounded,
// and zlib always reads through an io.ByteReader so it never consumes the next entry.
package pack
