package ramdisk

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
)

// SDI layout. All numbers are little-endian; see doc.go for the sources.
const (
	// SDIPageSize is the unit of SDI alignment: blobs start on multiples of
	// PageAlignment × SDIPageSize bytes.
	SDIPageSize = 4096

	sdiHeaderSize = 0x200 // the checksummed header
	sdiTOCOffset  = 0x400 // first 64-byte blob record
	sdiRecordSize = 64
	// sdiMaxRecords is how many records fit in page 0 after the header.
	sdiMaxRecords = (SDIPageSize - sdiTOCOffset) / sdiRecordSize
)

var sdiMagic = []byte("$SDI")

// sdiPage is page 0 of an SDI file: the 512-byte header, 512 reserved bytes,
// then the table of blob records. Each accessor returns the field's bytes,
// so reader and writer share one definition of every offset.
type sdiPage [SDIPageSize]byte

func (p *sdiPage) signature() []byte      { return p[0x000:][:8] } // "$SDI0001"
func (p *sdiPage) mdbType() []byte        { return p[0x008:][:8] } // MDBType
func (p *sdiPage) bootCodeOffset() []byte { return p[0x010:][:8] } // BootCodeOffset
func (p *sdiPage) bootCodeSize() []byte   { return p[0x018:][:8] } // BootCodeSize
func (p *sdiPage) vendorID() []byte       { return p[0x020:][:8] } // VendorID
func (p *sdiPage) deviceID() []byte       { return p[0x028:][:8] } // DeviceID
func (p *sdiPage) deviceModel() []byte    { return p[0x030:][:16] }
func (p *sdiPage) deviceRole() []byte     { return p[0x040:][:8] }
func (p *sdiPage) runtimeGUID() []byte    { return p[0x050:][:16] }
func (p *sdiPage) runtimeOEMRev() []byte  { return p[0x060:][:8] }
func (p *sdiPage) pageAlignment() []byte  { return p[0x070:][:8] } // in pages
func (p *sdiPage) checksum() []byte       { return p[0x1F8:][:8] } // byte-sum fix-up
func (p *sdiPage) header() []byte         { return p[:sdiHeaderSize] }
func (p *sdiPage) record(i int) *sdiRecord {
	return (*sdiRecord)(p[sdiTOCOffset+i*sdiRecordSize:][:sdiRecordSize])
}

// sdiRecord is one 64-byte entry of the blob table.
type sdiRecord [sdiRecordSize]byte

func (r *sdiRecord) typ() []byte      { return r[0:][:8] }
func (r *sdiRecord) attr() []byte     { return r[8:][:8] }
func (r *sdiRecord) offset() []byte   { return r[16:][:8] }
func (r *sdiRecord) size() []byte     { return r[24:][:8] }
func (r *sdiRecord) base() []byte     { return r[32:][:8] } // base address / partition type
func (r *sdiRecord) reserved() []byte { return r[40:][:24] }

func le64(b []byte) uint64       { return binary.LittleEndian.Uint64(b) }
func put64(b []byte, v uint64)   { binary.LittleEndian.PutUint64(b, v) }
func alignUp(n, a uint64) uint64 { return (n + a - 1) / a * a }

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for len(b) > 0 {
		k := min(len(b), len(zeroBlock))
		if !bytes.Equal(b[:k], zeroBlock[:k]) {
			return false
		}
		b = b[k:]
	}
	return true
}

// byteSum is the SDI checksum rule: the sum of the bytes modulo 256.
func byteSum(b []byte) (s byte) {
	for _, c := range b {
		s += c
	}
	return s
}

// MDBType is the SDI header's media type.
type MDBType uint64

// Media types from the SDI header.
const (
	MDBUnspecified MDBType = 0
	MDBRAM         MDBType = 1
	MDBROM         MDBType = 2
)

func (t MDBType) String() string {
	switch t {
	case MDBUnspecified:
		return "unspecified"
	case MDBRAM:
		return "RAM"
	case MDBROM:
		return "ROM"
	}
	return fmt.Sprintf("MDBType(%#x)", uint64(t))
}

// BlobType is the 8-byte ASCII type of an SDI blob, without its NUL padding.
// Unknown types are kept as read.
type BlobType string

// Blob types found in SDI files.
const (
	BlobBoot BlobType = "BOOT" // real-mode boot code (startrom.com style)
	BlobLoad BlobType = "LOAD" // the loader (NTLDR)
	BlobPart BlobType = "PART" // a partition image; Base holds the MBR type
	BlobDisk BlobType = "DISK" // a whole disk image
	BlobWIM  BlobType = "WIM"  // a WIM; empty in Windows' boot.sdi
)

// SDIHeader is the typed view of the 512-byte SDI header.
type SDIHeader struct {
	Version        string  // the 4 characters after "$SDI"; "0001"
	MDBType        MDBType // media type
	BootCodeOffset uint64  // copy of the BOOT blob's offset (derived on write)
	BootCodeSize   uint64  // copy of the BOOT blob's size (derived on write)
	VendorID       uint64
	DeviceID       uint64
	DeviceModel    [16]byte // a GUID
	DeviceRole     uint64
	RuntimeGUID    [16]byte
	RuntimeOEMRev  uint64
	PageAlignment  uint64 // blob alignment in 4 KiB pages
	Checksum       uint64 // the stored checksum field (derived on write)
}

// Alignment is the blob alignment in bytes (PageAlignment × 4096).
func (h *SDIHeader) Alignment() uint64 { return h.PageAlignment * SDIPageSize }

func (h *SDIHeader) read(p *sdiPage) {
	h.Version = string(p.signature()[4:8])
	h.MDBType = MDBType(le64(p.mdbType()))
	h.BootCodeOffset = le64(p.bootCodeOffset())
	h.BootCodeSize = le64(p.bootCodeSize())
	h.VendorID = le64(p.vendorID())
	h.DeviceID = le64(p.deviceID())
	copy(h.DeviceModel[:], p.deviceModel())
	h.DeviceRole = le64(p.deviceRole())
	copy(h.RuntimeGUID[:], p.runtimeGUID())
	h.RuntimeOEMRev = le64(p.runtimeOEMRev())
	h.PageAlignment = le64(p.pageAlignment())
	h.Checksum = le64(p.checksum())
}

func (h *SDIHeader) write(p *sdiPage) {
	copy(p.signature(), sdiMagic)
	v := (h.Version + "0001")[:4]
	if h.Version == "" {
		v = "0001"
	}
	copy(p.signature()[4:], v)
	put64(p.mdbType(), uint64(h.MDBType))
	put64(p.bootCodeOffset(), h.BootCodeOffset)
	put64(p.bootCodeSize(), h.BootCodeSize)
	put64(p.vendorID(), h.VendorID)
	put64(p.deviceID(), h.DeviceID)
	copy(p.deviceModel(), h.DeviceModel[:])
	put64(p.deviceRole(), h.DeviceRole)
	copy(p.runtimeGUID(), h.RuntimeGUID[:])
	put64(p.runtimeOEMRev(), h.RuntimeOEMRev)
	put64(p.pageAlignment(), h.PageAlignment)
	// Byte-sum rule (verified on Windows' boot.sdi): the low byte of the
	// checksum field makes the 512 header bytes sum to 0 modulo 256.
	put64(p.checksum(), 0)
	sum := byteSum(p.header())
	h.Checksum = uint64(-sum)
	put64(p.checksum(), h.Checksum)
}

// Blob is one entry of an SDI's blob table with its data.
type Blob struct {
	Type   BlobType
	Attr   uint64
	Base   uint64 // base address; for PART the MBR partition type (7 = NTFS)
	Offset int64  // offset in the file (set by the reader and by WriteTo)
	Size   int64  // data size in bytes

	data     io.ReaderAt // nil for an empty blob
	rawType  [8]byte     // the type bytes as read, kept for unknown types
	reserved [24]byte    // reserved record bytes, kept
	edited   bool        // data replaced since parsing
}

// NewBlob returns a blob holding data (not copied: the blob aliases it).
func NewBlob(t BlobType, data []byte) *Blob {
	return NewBlobReader(t, bytes.NewReader(data), int64(len(data)))
}

// NewBlobReader returns a blob whose size bytes are read from r when the SDI
// is written.
func NewBlobReader(t BlobType, r io.ReaderAt, size int64) *Blob {
	b := &Blob{Type: t, Size: size, data: r, edited: true}
	if size == 0 {
		b.data = nil
	}
	return b
}

// Open returns a reader for the blob's data.
func (b *Blob) Open() *io.SectionReader {
	if b.data == nil {
		return io.NewSectionReader(bytes.NewReader(nil), 0, 0)
	}
	return io.NewSectionReader(b.data, 0, b.Size)
}

// SetData replaces the blob's data with size bytes read from r.
func (b *Blob) SetData(r io.ReaderAt, size int64) {
	b.data, b.Size, b.edited = r, size, true
	if size == 0 {
		b.data = nil
	}
}

// Save writes the blob's data to the file path (atomically: a failure leaves
// an existing file unchanged).
func (b *Blob) Save(path string) error {
	return atomicfile.Write(path, 0, func(w io.Writer) error {
		_, err := io.Copy(w, b.Open())
		return err
	})
}

// typeBytes is the 8-byte on-disk type: the bytes read when the type was not
// changed, else the name NUL-padded.
func (b *Blob) typeBytes() [8]byte {
	if typeName(b.rawType[:]) == b.Type && b.rawType != [8]byte{} {
		return b.rawType
	}
	var t [8]byte
	copy(t[:], b.Type)
	return t
}

func typeName(raw []byte) BlobType { return BlobType(strings.TrimRight(string(raw), "\x00")) }

// SDI is a parsed or new SDI (System Deployment Image) file: a header, a table
// of blob records, and the blobs. Large files are read through an
// io.ReaderAt; blob data is only read when written or opened.
type SDI struct {
	Header   SDIHeader
	Blobs    []*Blob
	Warnings []Warning

	page     sdiPage     // page 0 as read (reserved bytes are kept on rewrite)
	src      io.ReaderAt // the parsed file, nil for a new SDI
	srcSize  int64
	origHdr  SDIHeader
	origBlob []Blob // field copies of the parsed blobs, to detect edits
	origPtr  []*Blob
}

var _ io.WriterTo = (*SDI)(nil)

// ReadOptions configures the readers. A nil pointer means defaults.
type ReadOptions struct {
	Limits Limits // zero fields take DefaultLimits
}

func (o *ReadOptions) limits() Limits {
	if o == nil {
		return DefaultLimits
	}
	return o.Limits.withDefaults()
}

// IsSDI reports whether r starts with the SDI signature "$SDI". It reads 4
// bytes.
func IsSDI(r io.ReaderAt) bool {
	var b [4]byte
	n, _ := r.ReadAt(b[:], 0)
	return n == 4 && bytes.Equal(b[:], sdiMagic)
}

// ReadSDIHeader reads and checks only the 512-byte header: the magic and the
// checksum. A checksum mismatch returns the header and an error wrapping
// ErrChecksum.
func ReadSDIHeader(r io.ReaderAt) (*SDIHeader, error) {
	var p sdiPage
	if n, err := r.ReadAt(p.header(), 0); n < sdiHeaderSize {
		return nil, formatErr(int64(n), "sdi header", ErrFormat, "file too short for the 512-byte header (%v)", err)
	}
	if !bytes.Equal(p.signature()[:4], sdiMagic) {
		return nil, formatErr(0, "sdi header", ErrFormat, "no $SDI signature (got %q)", p.signature()[:4])
	}
	h := &SDIHeader{}
	h.read(&p)
	if s := byteSum(p.header()); s != 0 {
		return h, formatErr(0x1F8, "sdi header", ErrChecksum, "header bytes sum to %#02x modulo 256, want 0", s)
	}
	return h, nil
}

// ParseSDI parses an SDI held in memory. The blobs alias b.
func ParseSDI(b []byte, opts *ReadOptions) (*SDI, error) {
	return NewSDIReader(bytes.NewReader(b), int64(len(b)), opts)
}

// NewSDIReader parses the SDI of the given size read from r. Only page 0 is
// read now; blob data is read from r when needed, so r must stay valid while
// the SDI is used.
//
// A header checksum mismatch with an otherwise valid file returns the SDI and
// an error wrapping ErrChecksum (use errors.Is to go on).
func NewSDIReader(r io.ReaderAt, size int64, opts *ReadOptions) (*SDI, error) {
	lim := opts.limits()
	s := &SDI{src: r, srcSize: size}
	if size < SDIPageSize {
		return nil, formatErr(0, "sdi header", ErrFormat, "file of %d bytes is shorter than one %d-byte page", size, SDIPageSize)
	}
	if n, err := r.ReadAt(s.page[:], 0); n < SDIPageSize {
		return nil, formatErr(int64(n), "sdi header", ErrFormat, "short read of page 0: %v", err)
	}
	p := &s.page
	if !bytes.Equal(p.signature()[:4], sdiMagic) {
		return nil, formatErr(0, "sdi header", ErrFormat, "no $SDI signature (got %q)", p.signature()[:4])
	}
	s.Header.read(p)
	if s.Header.Version != "0001" {
		s.warn(4, "version %q is not 0001 (syslinux and iPXE accept it)", s.Header.Version)
	}
	var csumErr error
	if sum := byteSum(p.header()); sum != 0 {
		csumErr = formatErr(0x1F8, "sdi header", ErrChecksum, "header bytes sum to %#02x modulo 256, want 0", sum)
	}
	if err := s.parseTOC(lim); err != nil {
		if csumErr != nil {
			return nil, fmt.Errorf("%w; %w", csumErr, err)
		}
		return nil, err
	}
	s.origHdr = s.Header
	for _, b := range s.Blobs {
		s.origBlob = append(s.origBlob, *b)
		s.origPtr = append(s.origPtr, b)
	}
	return s, csumErr
}

func (s *SDI) warn(off int64, format string, args ...any) {
	s.Warnings = append(s.Warnings, Warning{Offset: off, Msg: fmt.Sprintf(format, args...)})
}

func (s *SDI) parseTOC(lim Limits) error {
	pa := s.Header.PageAlignment
	if pa == 0 {
		return formatErr(0x70, "sdi header", ErrFormat, "PageAlignment is 0")
	}
	if pa > lim.MaxPageAlignment {
		return formatErr(0x70, "sdi header", ErrLimit, "PageAlignment %d pages exceeds the limit of %d", pa, lim.MaxPageAlignment)
	}
	align := pa * SDIPageSize
	size := uint64(s.srcSize)
	var end uint64 = SDIPageSize // highest byte used so far, for overlap checks
	var prevOff uint64
	for i := range sdiMaxRecords {
		rec := s.page.record(i)
		recOff := int64(sdiTOCOffset + i*sdiRecordSize)
		if allZero(rec.typ()) {
			if !allZero(rec[:]) {
				s.warn(recOff, "blob table ends at a record with a zero type but other non-zero fields")
			}
			break
		}
		b := &Blob{
			Attr:   le64(rec.attr()),
			Base:   le64(rec.base()),
			Offset: int64(le64(rec.offset())),
			Size:   int64(le64(rec.size())),
		}
		copy(b.rawType[:], rec.typ())
		copy(b.reserved[:], rec.reserved())
		b.Type = typeName(b.rawType[:])
		off, sz := le64(rec.offset()), le64(rec.size())
		if !printable(b.rawType[:]) {
			s.warn(recOff, "blob %d has a non-ASCII type %q", i, b.rawType[:])
		}
		if off > size || sz > size-off {
			return formatErr(recOff, "sdi blob table", ErrFormat, "blob %d (%s) at %#x size %#x ends past the end of the %d-byte file", i, b.Type, off, sz, size)
		}
		if off%align != 0 {
			return formatErr(recOff, "sdi blob table", ErrFormat, "blob %d (%s) offset %#x is not a multiple of the %#x-byte page alignment", i, b.Type, off, align)
		}
		if off < SDIPageSize && sz > 0 {
			return formatErr(recOff, "sdi blob table", ErrFormat, "blob %d (%s) at %#x overlaps the header page", i, b.Type, off)
		}
		if sz > 0 {
			if off < prevOff || off < end {
				return formatErr(recOff, "sdi blob table", ErrFormat, "blob %d (%s) at %#x overlaps or precedes the previous blob, which ends at %#x", i, b.Type, off, end)
			}
			end = off + sz
			prevOff = off
			b.data = io.NewSectionReader(s.src, int64(off), int64(sz))
		} else {
			b.Offset = int64(off)
		}
		s.Blobs = append(s.Blobs, b)
	}
	if boot := s.Blob(BlobBoot); boot != nil {
		if uint64(boot.Offset) != s.Header.BootCodeOffset || uint64(boot.Size) != s.Header.BootCodeSize {
			s.warn(0x10, "header BootCode %#x+%#x differs from the BOOT blob %#x+%#x", s.Header.BootCodeOffset, s.Header.BootCodeSize, boot.Offset, boot.Size)
		}
	} else if s.Header.BootCodeOffset != 0 || s.Header.BootCodeSize != 0 {
		s.warn(0x10, "header names boot code at %#x+%#x but there is no BOOT blob", s.Header.BootCodeOffset, s.Header.BootCodeSize)
	}
	last := uint64(SDIPageSize)
	for _, b := range s.Blobs {
		last = max(last, uint64(b.Offset)+uint64(b.Size))
	}
	if last < size {
		s.warn(int64(last), "%d bytes after the last blob belong to no blob (kept unless the SDI is rewritten)", size-last)
	}
	return nil
}

func printable(b []byte) bool {
	t := bytes.TrimRight(b, "\x00")
	for _, c := range t {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// NewSDI returns an empty SDI with the given page alignment (in 4 KiB pages;
// Windows' boot.sdi uses 2, XP Embedded's sdimgr 1).
func NewSDI(pageAlignment uint64) *SDI {
	return &SDI{Header: SDIHeader{Version: "0001", PageAlignment: pageAlignment}}
}

// Blob returns the first blob of type t, or nil.
func (s *SDI) Blob(t BlobType) *Blob {
	for _, b := range s.Blobs {
		if b.Type == t {
			return b
		}
	}
	return nil
}

// AddBlob appends b to the blob table.
func (s *SDI) AddBlob(b *Blob) error {
	if len(s.Blobs) >= sdiMaxRecords {
		return fmt.Errorf("ramdisk: SDI blob table is full (%d records): %w", sdiMaxRecords, ErrLimit)
	}
	s.Blobs = append(s.Blobs, b)
	return nil
}

// RemoveBlob removes the first blob of type t.
func (s *SDI) RemoveBlob(t BlobType) error {
	for i, b := range s.Blobs {
		if b.Type == t {
			s.Blobs = append(s.Blobs[:i:i], s.Blobs[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("ramdisk: SDI has no %s blob: %w", t, ErrNotFound)
}

// ReplaceBlob replaces the data of the first blob of type t.
func (s *SDI) ReplaceBlob(t BlobType, r io.ReaderAt, size int64) error {
	b := s.Blob(t)
	if b == nil {
		return fmt.Errorf("ramdisk: SDI has no %s blob: %w", t, ErrNotFound)
	}
	b.SetData(r, size)
	return nil
}

// edited reports whether anything changed since parsing (a new SDI counts as
// edited).
func (s *SDI) edited() bool {
	if s.src == nil || s.Header != s.origHdr || len(s.Blobs) != len(s.origPtr) {
		return true
	}
	for i, b := range s.Blobs {
		o := &s.origBlob[i]
		if b != s.origPtr[i] || b.edited || b.Type != o.Type || b.Attr != o.Attr || b.Base != o.Base ||
			b.Size != o.Size || b.Offset != o.Offset || b.reserved != o.reserved {
			return true
		}
	}
	return false
}

// Layout returns the offset each blob gets when the SDI is rewritten, and the
// total file size: the first blob starts on the first alignment boundary at
// or after page 1, each following blob on the next boundary after the
// previous one, and the file ends right after the last blob (an empty last
// blob, like boot.sdi's WIM record, ends it on a boundary).
func (s *SDI) Layout() (offsets []int64, size int64, err error) {
	pa := s.Header.PageAlignment
	if pa == 0 {
		return nil, 0, fmt.Errorf("ramdisk: SDI PageAlignment is 0: %w", ErrInvalidArgument)
	}
	if pa > 1<<32 {
		return nil, 0, fmt.Errorf("ramdisk: SDI PageAlignment %d is too large: %w", pa, ErrInvalidArgument)
	}
	if len(s.Blobs) > sdiMaxRecords {
		return nil, 0, fmt.Errorf("ramdisk: %d blobs do not fit in the %d-record table: %w", len(s.Blobs), sdiMaxRecords, ErrLimit)
	}
	align := pa * SDIPageSize
	pos := alignUp(SDIPageSize, align)
	end := uint64(SDIPageSize)
	for _, b := range s.Blobs {
		if b.Size < 0 {
			return nil, 0, fmt.Errorf("ramdisk: blob %s has negative size: %w", b.Type, ErrInvalidArgument)
		}
		offsets = append(offsets, int64(pos))
		end = max(end, pos+uint64(b.Size))
		pos = alignUp(pos+uint64(b.Size), align)
		if pos > 1<<62 {
			return nil, 0, fmt.Errorf("ramdisk: SDI too large: %w", ErrLimit)
		}
	}
	return offsets, int64(end), nil
}

// WriteTo writes the SDI. An SDI parsed and not edited is copied from its
// source byte for byte. Otherwise the blobs are laid out again (see Layout),
// BootCodeOffset/Size and the checksum are derived, and the record and
// header bytes not modelled are kept from the original. After a rewrite the
// blobs' Offset fields hold their new positions.
func (s *SDI) WriteTo(w io.Writer) (int64, error) {
	if !s.edited() {
		return io.Copy(w, io.NewSectionReader(s.src, 0, s.srcSize))
	}
	offs, total, err := s.Layout()
	if err != nil {
		return 0, err
	}
	p := s.page // keep reserved header bytes; the table is rebuilt
	clear(p[sdiTOCOffset:])
	s.Header.BootCodeOffset, s.Header.BootCodeSize = 0, 0
	for i, b := range s.Blobs {
		rec := p.record(i)
		t := b.typeBytes()
		if allZero(t[:]) {
			return 0, fmt.Errorf("ramdisk: blob %d has an empty type: %w", i, ErrInvalidArgument)
		}
		copy(rec.typ(), t[:])
		put64(rec.attr(), b.Attr)
		put64(rec.offset(), uint64(offs[i]))
		put64(rec.size(), uint64(b.Size))
		put64(rec.base(), b.Base)
		copy(rec.reserved(), b.reserved[:])
		if b.Type == BlobBoot && s.Header.BootCodeOffset == 0 && s.Header.BootCodeSize == 0 {
			s.Header.BootCodeOffset, s.Header.BootCodeSize = uint64(offs[i]), uint64(b.Size)
		}
	}
	s.Header.write(&p)
	cw := &countWriter{w: w}
	if _, err := cw.Write(p[:min(int64(SDIPageSize), total)]); err != nil {
		return cw.n, err
	}
	for i, b := range s.Blobs {
		if err := writeZeros(cw, offs[i]-cw.n); err != nil {
			return cw.n, err
		}
		if n, err := io.Copy(cw, b.Open()); err != nil {
			return cw.n, err
		} else if n != b.Size {
			return cw.n, fmt.Errorf("ramdisk: blob %s: read %d of %d bytes: %w", b.Type, n, b.Size, io.ErrUnexpectedEOF)
		}
	}
	if err := writeZeros(cw, total-cw.n); err != nil {
		return cw.n, err
	}
	for i, b := range s.Blobs {
		b.Offset = offs[i]
	}
	return cw.n, nil
}

// MarshalBinary returns the bytes WriteTo writes.
func (s *SDI) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save writes the SDI to path atomically: on any failure an existing file is
// left unchanged. Saving over the file the SDI was read from is allowed.
func (s *SDI) Save(path string) error {
	return atomicfile.Write(path, 0, func(w io.Writer) error {
		_, err := s.WriteTo(w)
		return err
	})
}

// BootSDIOptions configures NewBootSDI. A nil pointer means defaults.
type BootSDIOptions struct {
	// PageAlignment in 4 KiB pages. Default 2, as in Windows' boot.sdi.
	PageAlignment uint64
	// PartitionType is the MBR type stored in the PART record. Default: 7
	// (NTFS) for an NTFS boot sector, 0x0C for FAT32, 0x06 for FAT16, 0x01
	// for FAT12, as read from the image; an image that is none of these
	// needs an explicit value.
	PartitionType byte
}

// NewBootSDI builds an SDI with the layout of Windows' boot.sdi: one PART blob
// holding the partition image (size bytes read from part), then an empty WIM
// record at the end of the file.
func NewBootSDI(part io.ReaderAt, size int64, opts *BootSDIOptions) (*SDI, error) {
	var o BootSDIOptions
	if opts != nil {
		o = *opts
	}
	if o.PageAlignment == 0 {
		o.PageAlignment = 2
	}
	if o.PartitionType == 0 {
		var bs [512]byte
		if n, _ := part.ReadAt(bs[:], 0); n == len(bs) {
			o.PartitionType = detectPartitionType(bs[:])
		}
		if o.PartitionType == 0 {
			return nil, fmt.Errorf("ramdisk: the partition image holds no NTFS or FAT boot sector; give BootSDIOptions.PartitionType: %w", ErrInvalidArgument)
		}
	}
	s := NewSDI(o.PageAlignment)
	p := NewBlobReader(BlobPart, part, size)
	p.Base = uint64(o.PartitionType)
	s.Blobs = []*Blob{p, NewBlob(BlobWIM, nil)}
	return s, nil
}

// PartitionImageOffset returns the RDIMAGEOFFSET for booting the SDI: the
// offset of its PART blob (or DISK blob when there is no PART).
func (s *SDI) PartitionImageOffset() (uint64, error) {
	b := s.Blob(BlobPart)
	if b == nil {
		b = s.Blob(BlobDisk)
	}
	if b == nil {
		return 0, fmt.Errorf("ramdisk: SDI has no PART or DISK blob: %w", ErrNotFound)
	}
	if s.edited() {
		offs, _, err := s.Layout()
		if err != nil {
			return 0, err
		}
		for i, x := range s.Blobs {
			if x == b {
				return uint64(offs[i]), nil
			}
		}
	}
	return uint64(b.Offset), nil
}

// String renders the header and blob table as text, one field per line (the
// format of sditool info).
func (s *SDI) String() string {
	var sb strings.Builder
	h := &s.Header
	fmt.Fprintf(&sb, "signature       $SDI%s\n", h.Version)
	fmt.Fprintf(&sb, "mdb type        %d (%s)\n", uint64(h.MDBType), h.MDBType)
	fmt.Fprintf(&sb, "boot code       offset %#x size %#x\n", h.BootCodeOffset, h.BootCodeSize)
	fmt.Fprintf(&sb, "vendor/device   %#x/%#x\n", h.VendorID, h.DeviceID)
	fmt.Fprintf(&sb, "device model    %x\n", h.DeviceModel)
	fmt.Fprintf(&sb, "device role     %#x\n", h.DeviceRole)
	fmt.Fprintf(&sb, "runtime guid    %x rev %#x\n", h.RuntimeGUID, h.RuntimeOEMRev)
	fmt.Fprintf(&sb, "page alignment  %d (%d bytes)\n", h.PageAlignment, h.Alignment())
	fmt.Fprintf(&sb, "checksum        %#02x\n", h.Checksum)
	fmt.Fprintf(&sb, "blobs           %d\n", len(s.Blobs))
	for i, b := range s.Blobs {
		fmt.Fprintf(&sb, "blob %-2d %-4s    attr %#x offset %#x size %#x base %#x\n", i, b.Type, b.Attr, b.Offset, b.Size, b.Base)
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(&sb, "warning         %s\n", w)
	}
	return sb.String()
}

// countWriter counts bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

var zeroBlock [64 << 10]byte

// writeZeros writes n zero bytes (nothing when n <= 0).
func writeZeros(w io.Writer, n int64) error {
	for n > 0 {
		k := min(n, int64(len(zeroBlock)))
		if _, err := w.Write(zeroBlock[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}
