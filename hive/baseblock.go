package hive

import (
	"encoding/binary"
	"time"
)

// baseBlock is the 4096-byte file header ("base block"). Each accessor
// returns the bytes of one field, so every offset is written once and
// shared by the reader, the writer and the log replayer.
type baseBlock [4096]byte

func (b *baseBlock) signature() []byte  { return b[0:4] }     // "regf"
func (b *baseBlock) seq1() []byte       { return b[4:8] }     // primary sequence number
func (b *baseBlock) seq2() []byte       { return b[8:12] }    // secondary sequence number
func (b *baseBlock) timestamp() []byte  { return b[12:20] }   // last written FILETIME
func (b *baseBlock) major() []byte      { return b[20:24] }   // major version, 1
func (b *baseBlock) minor() []byte      { return b[24:28] }   // minor version, 2..6
func (b *baseBlock) fileType() []byte   { return b[28:32] }   // 0 primary, 1/2 old log, 6 new log
func (b *baseBlock) fileFormat() []byte { return b[32:36] }   // 1 direct memory load
func (b *baseBlock) rootCell() []byte   { return b[36:40] }   // root nk cell offset
func (b *baseBlock) binsSize() []byte   { return b[40:44] }   // hive bins data size
func (b *baseBlock) clustering() []byte { return b[44:48] }   // clustering factor, 1
func (b *baseBlock) fileName() []byte   { return b[48:112] }  // UTF-16LE, last 31 characters of the path
func (b *baseBlock) checksum() []byte   { return b[508:512] } // XOR-32 of bytes 0..507

// File types of the base block.
const (
	fileTypePrimary = 0
	fileTypeLogOld  = 1
	fileTypeLogNT   = 2 // Windows NT/2000 log
	fileTypeLogNew  = 6
)

// computeChecksum returns the XOR-32 checksum of the first 508 bytes, with
// the fix-ups Windows applies: 0xFFFFFFFF becomes 0xFFFFFFFE and 0 becomes 1.
func (b *baseBlock) computeChecksum() uint32 {
	var x uint32
	for i := 0; i < 508; i += 4 {
		x ^= binary.LittleEndian.Uint32(b[i:])
	}
	switch x {
	case 0xFFFFFFFF:
		x = 0xFFFFFFFE
	case 0:
		x = 1
	}
	return x
}

func (b *baseBlock) checksumOK() bool {
	return binary.LittleEndian.Uint32(b.checksum()) == b.computeChecksum()
}

// hbinHeader is the 32-byte header of a hive bin.
type hbinHeader [32]byte

func (h *hbinHeader) signature() []byte { return h[0:4] }   // "hbin"
func (h *hbinHeader) offset() []byte    { return h[4:8] }   // offset of this bin in the bins data
func (h *hbinHeader) size() []byte      { return h[8:12] }  // multiple of 4096
func (h *hbinHeader) timestamp() []byte { return h[20:28] } // FILETIME, first bin only

const hbinHeaderSize = 32

func le16(b []byte) uint16     { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32     { return binary.LittleEndian.Uint32(b) }
func le64(b []byte) uint64     { return binary.LittleEndian.Uint64(b) }
func put16(b []byte, v uint16) { binary.LittleEndian.PutUint16(b, v) }
func put32(b []byte, v uint32) { binary.LittleEndian.PutUint32(b, v) }
func put64(b []byte, v uint64) { binary.LittleEndian.PutUint64(b, v) }

// FILETIME: 100-ns intervals since 1601-01-01 UTC.
const filetimeEpochDelta = 116444736000000000 // 1601 → 1970 in 100 ns

// FiletimeToTime converts a Windows FILETIME to a UTC time.Time.
func FiletimeToTime(ft uint64) time.Time {
	if ft == 0 {
		return time.Time{}
	}
	d := int64(ft - filetimeEpochDelta)
	if ft < filetimeEpochDelta {
		d = -int64(filetimeEpochDelta - ft)
	}
	return time.Unix(d/10_000_000, (d%10_000_000)*100).UTC()
}

// TimeToFiletime converts t to a Windows FILETIME (0 for the zero time or
// times before 1601).
func TimeToFiletime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	s := t.Unix()
	if s < -11644473600 {
		return 0
	}
	return uint64(s+11644473600)*10_000_000 + uint64(t.Nanosecond()/100)
}

// Header is the decoded base block of a hive.
type Header struct {
	Sequence1, Sequence2 uint32    // equal in a clean hive
	LastWritten          time.Time // UTC
	Major, Minor         uint32    // format version, 1.3 or 1.5 for most hives
	FileType             uint32    // 0 for a primary file
	FileFormat           uint32    // 1
	RootCell             uint32    // cell offset of the root key
	BinsSize             uint32    // size of the hive bins data
	ClusteringFactor     uint32
	FileName             string // debugging copy of the last 31 characters of the path
	Checksum             uint32 // as stored
	ChecksumOK           bool   // Checksum matches the computed one
}

func (b *baseBlock) header() Header {
	return Header{
		Sequence1:        le32(b.seq1()),
		Sequence2:        le32(b.seq2()),
		LastWritten:      FiletimeToTime(le64(b.timestamp())),
		Major:            le32(b.major()),
		Minor:            le32(b.minor()),
		FileType:         le32(b.fileType()),
		FileFormat:       le32(b.fileFormat()),
		RootCell:         le32(b.rootCell()),
		BinsSize:         le32(b.binsSize()),
		ClusteringFactor: le32(b.clustering()),
		FileName:         decodeName(b.fileName()[:utf16NUL(b.fileName())], false),
		Checksum:         le32(b.checksum()),
		ChecksumOK:       b.checksumOK(),
	}
}

// utf16NUL returns the byte index of the first NUL code unit in b.
func utf16NUL(b []byte) int {
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 && b[i+1] == 0 {
			return i
		}
	}
	return len(b) &^ 1
}
