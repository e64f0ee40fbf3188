package wim

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// HeaderSize is the size of a WIM header in bytes.
const HeaderSize = 208

// Magic values at the start of a WIM header.
var (
	MagicWIM     = [8]byte{'M', 'S', 'W', 'I', 'M', 0, 0, 0} // every WIM, split part and ESD
	MagicPipable = [8]byte{'W', 'L', 'P', 'W', 'M', 0, 0, 0} // wimlib's pipable format
)

// Versions of the WIM format.
const (
	VersionDefault Version = 0x10D00 // "1.13": every WIM without solid resources
	VersionSolid   Version = 0xE00   // "0.14": solid resources and LZMS (ESD)
)

// Version is the wim_version header field.
type Version uint32

// String renders the version as major.minor ("1.13", "0.14").
func (v Version) String() string { return fmt.Sprintf("%d.%d", uint32(v)>>16, uint32(v)>>8&0xff) }

// headerBlock is the raw 208-byte header. Each accessor names a field once,
// so reader and writer share the offsets (wimlib include/wimlib/header.h).
type headerBlock [HeaderSize]byte

func (b *headerBlock) magic() []byte          { return b[0x00:][:8] }
func (b *headerBlock) hdrSize() []byte        { return b[0x08:][:4] }
func (b *headerBlock) version() []byte        { return b[0x0C:][:4] }
func (b *headerBlock) flags() []byte          { return b[0x10:][:4] }
func (b *headerBlock) chunkSize() []byte      { return b[0x14:][:4] }
func (b *headerBlock) guid() []byte           { return b[0x18:][:16] }
func (b *headerBlock) partNumber() []byte     { return b[0x28:][:2] }
func (b *headerBlock) totalParts() []byte     { return b[0x2A:][:2] }
func (b *headerBlock) imageCount() []byte     { return b[0x2C:][:4] }
func (b *headerBlock) blobTable() []byte      { return b[0x30:][:resourceHeaderSize] }
func (b *headerBlock) xmlData() []byte        { return b[0x48:][:resourceHeaderSize] }
func (b *headerBlock) bootMetadata() []byte   { return b[0x60:][:resourceHeaderSize] }
func (b *headerBlock) bootIndex() []byte      { return b[0x78:][:4] }
func (b *headerBlock) integrityTable() []byte { return b[0x7C:][:resourceHeaderSize] }
func (b *headerBlock) unused() []byte         { return b[0x94:][:60] }

// flagsOffset is where the flags field sits, for the 4-byte in-place write
// that sets WRITE_IN_PROGRESS.
const flagsOffset = 0x10

// HeaderFlags is the wim_flags header field.
type HeaderFlags uint32

// Header flags (wimlib header.h WIM_HDR_FLAG_*).
const (
	FlagReserved         HeaderFlags = 0x00000001
	FlagCompression      HeaderFlags = 0x00000002 // resources may be compressed
	FlagReadOnly         HeaderFlags = 0x00000004 // do not modify
	FlagSpanned          HeaderFlags = 0x00000008 // part of a split WIM
	FlagResourceOnly     HeaderFlags = 0x00000010 // ignored; cleared on write
	FlagMetadataOnly     HeaderFlags = 0x00000020 // ignored; cleared on write
	FlagWriteInProgress  HeaderFlags = 0x00000040 // set while a writer modifies the file
	FlagRPFix            HeaderFlags = 0x00000080 // reparse-point fixup
	FlagCompressReserved HeaderFlags = 0x00010000
	FlagCompressXPRESS   HeaderFlags = 0x00020000
	FlagCompressLZX      HeaderFlags = 0x00040000
	FlagCompressLZMS     HeaderFlags = 0x00080000 // only with VersionSolid
	FlagCompressXPRESS2  HeaderFlags = 0x00200000 // read as XPRESS
)

// headerFlagNames is in the order wimlib-imagex info --header lists them.
var headerFlagNames = []struct {
	f    HeaderFlags
	name string
}{
	{FlagReserved, "RESERVED"},
	{FlagCompression, "COMPRESSION"},
	{FlagReadOnly, "READONLY"},
	{FlagSpanned, "SPANNED"},
	{FlagResourceOnly, "RESOURCE_ONLY"},
	{FlagMetadataOnly, "METADATA_ONLY"},
	{FlagWriteInProgress, "WRITE_IN_PROGRESS"},
	{FlagRPFix, "RP_FIX"},
	{FlagCompressReserved, "COMPRESS_RESERVED"},
	{FlagCompressLZX, "COMPRESS_LZX"},
	{FlagCompressXPRESS, "COMPRESS_XPRESS"},
	{FlagCompressLZMS, "COMPRESS_LZMS"},
	{FlagCompressXPRESS2, "COMPRESS_XPRESS_2"},
}

// Names returns the names of the set flags in wimlib's order ("COMPRESSION",
// "RP_FIX", ...). Unknown bits are returned as one hex string.
func (f HeaderFlags) Names() []string {
	var names []string
	rest := f
	for _, n := range headerFlagNames {
		if f&n.f != 0 {
			names = append(names, n.name)
			rest &^= n.f
		}
	}
	if rest != 0 {
		names = append(names, fmt.Sprintf("%#x", uint32(rest)))
	}
	return names
}

// String joins Names with "|" ("0" when no flag is set).
func (f HeaderFlags) String() string {
	if f == 0 {
		return "0"
	}
	return strings.Join(f.Names(), "|")
}

const compressBits = FlagCompressXPRESS | FlagCompressLZX | FlagCompressLZMS | FlagCompressXPRESS2

// GUID is the 16-byte identifier all parts of a split WIM share.
type GUID [16]byte

// String renders the raw bytes in lowercase hex, as wimlib-imagex prints them.
func (g GUID) String() string { return hex.EncodeToString(g[:]) }

// MarshalText implements encoding.TextMarshaler (the String form).
func (g GUID) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler for 32 hex digits.
func (g *GUID) UnmarshalText(b []byte) error { return unhex(g[:], b) }

// unhex decodes exactly len(dst) bytes of hex.
func unhex(dst, src []byte) error {
	if hex.DecodedLen(len(src)) != len(dst) {
		return fmt.Errorf("%w: want %d hex digits, have %d", ErrInvalidArgument, 2*len(dst), len(src))
	}
	if _, err := hex.Decode(dst, src); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	return nil
}

// Header is the typed WIM header. For a pipable WIM it is the header at the
// end of the file (the one at the start has zero resource headers), with the
// magic of the start header, as wimlib reads it.
type Header struct {
	Magic        [8]byte
	HeaderSize   uint32 // always 208
	Version      Version
	Flags        HeaderFlags
	ChunkSize    uint32 // 0 when uncompressed
	GUID         GUID
	PartNumber   uint16 // 1-based
	TotalParts   uint16
	ImageCount   uint32
	BlobTable    ResourceHeader // the "lookup table"
	XMLData      ResourceHeader
	BootMetadata ResourceHeader // copy of the boot image's metadata resource header, or zero
	BootIndex    uint32         // 1-based; 0 means none
	Integrity    ResourceHeader // zero when there is no integrity table
	Unused       [60]byte       // zero in files written by wimlib; kept as read
}

// parseHeaderBlock decodes the fields without validating them.
func parseHeaderBlock(b *headerBlock) Header {
	var h Header
	copy(h.Magic[:], b.magic())
	h.HeaderSize = binary.LittleEndian.Uint32(b.hdrSize())
	h.Version = Version(binary.LittleEndian.Uint32(b.version()))
	h.Flags = HeaderFlags(binary.LittleEndian.Uint32(b.flags()))
	h.ChunkSize = binary.LittleEndian.Uint32(b.chunkSize())
	copy(h.GUID[:], b.guid())
	h.PartNumber = binary.LittleEndian.Uint16(b.partNumber())
	h.TotalParts = binary.LittleEndian.Uint16(b.totalParts())
	h.ImageCount = binary.LittleEndian.Uint32(b.imageCount())
	h.BlobTable = decodeResourceHeader(b.blobTable())
	h.XMLData = decodeResourceHeader(b.xmlData())
	h.BootMetadata = decodeResourceHeader(b.bootMetadata())
	h.BootIndex = binary.LittleEndian.Uint32(b.bootIndex())
	h.Integrity = decodeResourceHeader(b.integrityTable())
	copy(h.Unused[:], b.unused())
	return h
}

// block encodes h into its 208-byte form.
func (h Header) block() *headerBlock {
	var b headerBlock
	copy(b.magic(), h.Magic[:])
	binary.LittleEndian.PutUint32(b.hdrSize(), h.HeaderSize)
	binary.LittleEndian.PutUint32(b.version(), uint32(h.Version))
	binary.LittleEndian.PutUint32(b.flags(), uint32(h.Flags))
	binary.LittleEndian.PutUint32(b.chunkSize(), h.ChunkSize)
	copy(b.guid(), h.GUID[:])
	binary.LittleEndian.PutUint16(b.partNumber(), h.PartNumber)
	binary.LittleEndian.PutUint16(b.totalParts(), h.TotalParts)
	binary.LittleEndian.PutUint32(b.imageCount(), h.ImageCount)
	h.BlobTable.put(b.blobTable())
	h.XMLData.put(b.xmlData())
	h.BootMetadata.put(b.bootMetadata())
	binary.LittleEndian.PutUint32(b.bootIndex(), h.BootIndex)
	h.Integrity.put(b.integrityTable())
	copy(b.unused(), h.Unused[:])
	return &b
}

// MarshalBinary returns the 208-byte on-disk form of h. ParseHeader of a
// header then MarshalBinary gives back the same bytes.
func (h Header) MarshalBinary() ([]byte, error) {
	for _, r := range []ResourceHeader{h.BlobTable, h.XMLData, h.BootMetadata, h.Integrity} {
		if r.Size > maxSize56 {
			return nil, fmt.Errorf("%w: resource size %d does not fit in 56 bits", ErrInvalidArgument, r.Size)
		}
	}
	b := h.block()
	return b[:], nil
}

// Pipable reports whether the header carries wimlib's pipable magic.
func (h Header) Pipable() bool { return h.Magic == MagicPipable }

// Split reports whether the WIM is one part of a split set.
func (h Header) Split() bool { return h.TotalParts != 1 }

// Compression returns the compression format the flags select, choosing as
// wimlib does when several bits are set (LZX, then XPRESS, then LZMS); a
// header that passed ParseHeader has exactly one. Without FlagCompression it
// is CompressionNone.
func (h Header) Compression() Compression {
	switch {
	case h.Flags&FlagCompression == 0:
		return CompressionNone
	case h.Flags&FlagCompressLZX != 0:
		return CompressionLZX
	case h.Flags&(FlagCompressXPRESS|FlagCompressXPRESS2) != 0:
		return CompressionXPRESS
	case h.Flags&FlagCompressLZMS != 0:
		return CompressionLZMS
	}
	return Compression(0xFFFFFFFF)
}

// HasIntegrity reports whether the header points at an integrity table
// (wimlib tests the offset).
func (h Header) HasIntegrity() bool { return h.Integrity.Offset != 0 }

// BlobTableEnd is the end of the blob table: the integrity table covers the
// bytes [208, BlobTableEnd).
func (h Header) BlobTableEnd() uint64 { return h.BlobTable.Offset + h.BlobTable.Size }

// ParseHeader decodes and validates a 208-byte header. It checks what does
// not depend on the rest of the file: magic, header size, version, part
// numbers, image count against DefaultLimits.MaxImages, exactly one
// compression flag when FlagCompression is set, LZMS only with version 0xE00,
// and a chunk size valid for the codec. Errors are *FormatError values
// wrapping ErrFormat, ErrUnsupported or ErrLimit.
func ParseHeader(b []byte) (*Header, error) {
	return parseHeader(b, DefaultLimits)
}

func parseHeader(b []byte, lim Limits) (*Header, error) {
	if len(b) < HeaderSize {
		return nil, formatErr(0, "header", ErrFormat, "need %d bytes, have %d", HeaderSize, len(b))
	}
	var blk headerBlock
	copy(blk[:], b)
	h := parseHeaderBlock(&blk)
	if h.Magic != MagicWIM && h.Magic != MagicPipable {
		return nil, formatErr(0, "header", ErrFormat, "bad magic %q: not a WIM file", h.Magic[:])
	}
	if err := h.validate(lim); err != nil {
		return nil, err
	}
	return &h, nil
}

// validate checks every field but the magic.
func (h Header) validate(lim Limits) error {
	if h.HeaderSize != HeaderSize {
		return formatErr(0x08, "header", ErrFormat, "header size %d, want %d", h.HeaderSize, HeaderSize)
	}
	if h.Version != VersionDefault && h.Version != VersionSolid {
		return formatErr(0x0C, "header", ErrUnsupported, "unknown version %#x (want 0x10d00 or 0xe00)", uint32(h.Version))
	}
	if h.TotalParts == 0 || h.PartNumber == 0 || h.PartNumber > h.TotalParts {
		return formatErr(0x28, "header", ErrFormat, "part %d of %d", h.PartNumber, h.TotalParts)
	}
	if uint64(h.ImageCount) > uint64(lim.MaxImages) {
		return formatErr(0x2C, "header", ErrLimit, "image count %d exceeds limit %d", h.ImageCount, lim.MaxImages)
	}
	if h.Flags&FlagCompression != 0 {
		n := 0
		for _, f := range []HeaderFlags{FlagCompressXPRESS, FlagCompressLZX, FlagCompressLZMS, FlagCompressXPRESS2} {
			if h.Flags&f != 0 {
				n++
			}
		}
		if n != 1 {
			return formatErr(0x10, "header", ErrFormat, "flags %s: COMPRESSION needs exactly one COMPRESS_* flag, found %d", h.Flags, n)
		}
	}
	c := h.Compression()
	if c == CompressionLZMS && h.Version != VersionSolid {
		return formatErr(0x10, "header", ErrFormat, "LZMS compression needs version 0xe00, have %#x", uint32(h.Version))
	}
	if !chunkSizeValid(h.ChunkSize, c) {
		return formatErr(0x14, "header", ErrFormat, "chunk size %d is not valid for %s", h.ChunkSize, c)
	}
	return nil
}

// ReadHeader reads and validates the header of the WIM in r (size bytes), a
// cheap probe that reads 208 bytes (416 for a pipable WIM, whose real header
// is at the end of the file). It also checks that the blob table, XML,
// boot-metadata and integrity resources lie inside the file.
func ReadHeader(r io.ReaderAt, size int64) (*Header, error) {
	return readHeader(r, size, DefaultLimits)
}

func readHeader(r io.ReaderAt, size int64, lim Limits) (*Header, error) {
	if size < HeaderSize {
		return nil, formatErr(0, "header", ErrFormat, "file of %d bytes is shorter than a header", size)
	}
	var blk headerBlock
	if _, err := r.ReadAt(blk[:], 0); err != nil {
		return nil, fmt.Errorf("wim: reading header: %w", err)
	}
	magic := [8]byte(blk.magic())
	var hdrOff int64
	if magic == MagicPipable {
		// A pipable WIM repeats the complete header at the end of the
		// file; wimlib reads that one when the input is seekable.
		hdrOff = size - HeaderSize
		if _, err := r.ReadAt(blk[:], hdrOff); err != nil {
			return nil, fmt.Errorf("wim: reading pipable end header: %w", err)
		}
	} else if magic != MagicWIM {
		return nil, formatErr(0, "header", ErrFormat, "bad magic %q: not a WIM file", magic[:])
	}
	h := parseHeaderBlock(&blk)
	h.Magic = magic
	if err := h.validate(lim); err != nil {
		var fe *FormatError
		if ok := asFormatError(err, &fe); ok {
			fe.Offset += hdrOff
		}
		return nil, err
	}
	if h.BlobTable.UncompressedSize == 0 && h.XMLData.UncompressedSize == 0 {
		return nil, formatErr(hdrOff+0x30, "header", ErrFormat, "no blob table and no XML: the WIM is incomplete")
	}
	for _, f := range []struct {
		name string
		off  int64
		rh   ResourceHeader
	}{
		{"blob table", 0x30, h.BlobTable},
		{"XML data", 0x48, h.XMLData},
		{"boot metadata", 0x60, h.BootMetadata},
		{"integrity table", 0x7C, h.Integrity},
	} {
		if !f.rh.inFile(size) {
			return nil, formatErr(hdrOff+f.off, "header", ErrFormat, "%s resource %s lies outside the %d-byte file", f.name, f.rh, size)
		}
	}
	return &h, nil
}

func asFormatError(err error, target **FormatError) bool {
	fe, ok := err.(*FormatError)
	if ok {
		*target = fe
	}
	return ok
}
