package wim

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// resourceHeaderSize is the on-disk size of a resource header ("reshdr").
const resourceHeaderSize = 24

// ResourceFlags are the flag byte of a resource header.
type ResourceFlags uint8

// Resource header flags (wimlib resource.h WIM_RESHDR_FLAG_*).
const (
	ResourceFree       ResourceFlags = 0x01 // unused; ignored by readers
	ResourceMetadata   ResourceFlags = 0x02 // image metadata, blob table or XML
	ResourceCompressed ResourceFlags = 0x04 // chunked with the header's codec (non-solid)
	ResourceSpanned    ResourceFlags = 0x08 // ignored by readers
	ResourceSolid      ResourceFlags = 0x10 // part of a solid run (version 0xE00 only)
)

var resourceFlagNames = []struct {
	f    ResourceFlags
	name string
}{
	{ResourceFree, "FREE"},
	{ResourceMetadata, "METADATA"},
	{ResourceCompressed, "COMPRESSED"},
	{ResourceSpanned, "SPANNED"},
	{ResourceSolid, "SOLID"},
}

// String lists the set flags by name, joined with "|"; unknown bits print in
// hex. Zero prints "0".
func (f ResourceFlags) String() string {
	if f == 0 {
		return "0"
	}
	var parts []string
	rest := f
	for _, n := range resourceFlagNames {
		if f&n.f != 0 {
			parts = append(parts, n.name)
			rest &^= n.f
		}
	}
	if rest != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint8(rest)))
	}
	return strings.Join(parts, "|")
}

// ResourceHeader locates a resource: a run of bytes in the WIM file holding
// a blob (compressed or not), the blob table, the XML or the integrity table.
type ResourceHeader struct {
	Size             uint64        `json:"size"`             // bytes stored in the WIM (56 bits on disk)
	Flags            ResourceFlags `json:"flags"`            // ResourceMetadata, ResourceCompressed, ...
	Offset           uint64        `json:"offset"`           // absolute file offset (logical offset for solid blobs)
	UncompressedSize uint64        `json:"uncompressedSize"` // size of the data once decompressed
}

// maxSize56 is the largest value the 7-byte size field holds.
const maxSize56 = 1<<56 - 1

func decodeResourceHeader(b []byte) ResourceHeader {
	v := binary.LittleEndian.Uint64(b[0:])
	return ResourceHeader{
		Size:             v & maxSize56,
		Flags:            ResourceFlags(v >> 56),
		Offset:           binary.LittleEndian.Uint64(b[8:]),
		UncompressedSize: binary.LittleEndian.Uint64(b[16:]),
	}
}

// put writes h into b[:24]. Size must fit in 56 bits (callers check).
func (h ResourceHeader) put(b []byte) {
	binary.LittleEndian.PutUint64(b[0:], h.Size&maxSize56|uint64(h.Flags)<<56)
	binary.LittleEndian.PutUint64(b[8:], h.Offset)
	binary.LittleEndian.PutUint64(b[16:], h.UncompressedSize)
}

// IsZero reports whether every field is zero (an absent resource).
func (h ResourceHeader) IsZero() bool { return h == ResourceHeader{} }

// End returns Offset+Size, and false if the sum overflows.
func (h ResourceHeader) End() (uint64, bool) {
	e := h.Offset + h.Size
	return e, e >= h.Offset
}

// String renders the header as "size@offset (usize, flags)".
func (h ResourceHeader) String() string {
	return fmt.Sprintf("%d@%d (uncompressed %d, flags %s)", h.Size, h.Offset, h.UncompressedSize, h.Flags)
}

// inFile reports whether the resource lies inside a file of the given size.
func (h ResourceHeader) inFile(size int64) bool {
	end, ok := h.End()
	return ok && size >= 0 && end <= uint64(size)
}

// Compression is a WIM compression format. The numbers are those of solid
// resource headers and of wimlib's wimlib_compression_type.
type Compression uint32

// Compression formats.
const (
	CompressionNone   Compression = 0
	CompressionXPRESS Compression = 1
	CompressionLZX    Compression = 2
	CompressionLZMS   Compression = 3
)

// String returns the name wimlib-imagex prints: "None", "XPRESS", "LZX",
// "LZMS", or "Invalid" for anything else.
func (c Compression) String() string {
	switch c {
	case CompressionNone:
		return "None"
	case CompressionXPRESS:
		return "XPRESS"
	case CompressionLZX:
		return "LZX"
	case CompressionLZMS:
		return "LZMS"
	}
	return "Invalid"
}

// MarshalText implements encoding.TextMarshaler (the String form).
func (c Compression) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler for the names String
// returns.
func (c *Compression) UnmarshalText(b []byte) error {
	for _, v := range []Compression{CompressionNone, CompressionXPRESS, CompressionLZX, CompressionLZMS} {
		if string(b) == v.String() {
			*c = v
			return nil
		}
	}
	return fmt.Errorf("%w: unknown compression %q", ErrInvalidArgument, b)
}

// chunkSizeValid reports whether chunk is a chunk size wimlib accepts for c:
// 0 for no compression, otherwise a power of two within the codec's range.
func chunkSizeValid(chunk uint32, c Compression) bool {
	var lo, hi uint32
	switch c {
	case CompressionNone:
		return chunk == 0
	case CompressionXPRESS:
		lo, hi = 4096, 65536
	case CompressionLZX:
		lo, hi = 32768, 2097152
	case CompressionLZMS:
		lo, hi = 32768, 1073741824
	default:
		return false
	}
	return chunk&(chunk-1) == 0 && chunk >= lo && chunk <= hi
}
