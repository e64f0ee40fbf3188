package wim

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sort"
)

// blobEntrySize is the on-disk size of a blob table entry:
// reshdr(24) | part_number u16 | refcnt u32 | sha1[20].
const blobEntrySize = 50

// solidResourceMagic is the uncompressed size that marks a solid-run entry
// as describing a solid resource rather than a blob.
const solidResourceMagic = 0x100000000

// solidHeaderSize is the size of the header at the start of a solid
// resource: res_usize u64, chunk_size u32, compression u32.
const solidHeaderSize = 16

// EntryKind says what a blob table entry describes.
type EntryKind uint8

// Kinds of blob table entries.
const (
	EntryBlob          EntryKind = iota // a file blob in its own resource
	EntryMetadata                       // an image's metadata resource
	EntrySolidResource                  // a solid resource holding several blobs
	EntrySolidBlob                      // a blob inside a solid resource
)

func (k EntryKind) String() string {
	switch k {
	case EntryBlob:
		return "blob"
	case EntryMetadata:
		return "metadata"
	case EntrySolidResource:
		return "solid resource"
	case EntrySolidBlob:
		return "solid blob"
	}
	return fmt.Sprintf("EntryKind(%d)", uint8(k))
}

// MarshalText implements encoding.TextMarshaler (the String form).
func (k EntryKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Ignored says why a reader skips a blob table entry (as wimlib does).
type Ignored uint8

// Reasons an entry is skipped.
const (
	NotIgnored            Ignored = iota
	IgnoredZeroHash               // all-zero SHA-1
	IgnoredEmpty                  // zero-size blob
	IgnoredWrongPart              // belongs to another part of a split WIM
	IgnoredDuplicate              // a second entry with the same SHA-1
	IgnoredUnusedMetadata         // a metadata entry with reference count 0
	IgnoredExtraMetadata          // more metadata entries than images, or metadata in a part other than 1
)

func (i Ignored) String() string {
	switch i {
	case NotIgnored:
		return ""
	case IgnoredZeroHash:
		return "zero hash"
	case IgnoredEmpty:
		return "empty"
	case IgnoredWrongPart:
		return "other part"
	case IgnoredDuplicate:
		return "duplicate"
	case IgnoredUnusedMetadata:
		return "unreferenced metadata"
	case IgnoredExtraMetadata:
		return "extra metadata"
	}
	return fmt.Sprintf("Ignored(%d)", uint8(i))
}

// MarshalText implements encoding.TextMarshaler (the String form).
func (i Ignored) MarshalText() ([]byte, error) { return []byte(i.String()), nil }

// SHA1 is a blob's SHA-1 message digest.
type SHA1 [20]byte

// String renders the digest in lowercase hex.
func (s SHA1) String() string { return hex.EncodeToString(s[:]) }

// MarshalText implements encoding.TextMarshaler (the String form).
func (s SHA1) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler for 40 hex digits.
func (s *SHA1) UnmarshalText(b []byte) error { return unhex(s[:], b) }

// IsZero reports whether every byte is zero.
func (s SHA1) IsZero() bool { return s == SHA1{} }

// BlobEntry is one entry of the blob table, as stored plus what a reader
// derives from it. Together with the reader's io.ReaderAt it is everything
// needed to read the blob's bytes: a non-solid entry locates its resource
// directly; a solid blob lies at OffsetInResource in the uncompressed data of
// SolidResources()[Solid].
type BlobEntry struct {
	Resource   ResourceHeader `json:"resource"`
	PartNumber uint16         `json:"partNumber"`
	RefCount   uint32         `json:"refCount"`
	Hash       SHA1           `json:"hash"`

	Kind             EntryKind `json:"kind"`
	Ignored          Ignored   `json:"ignored,omitempty"`
	Size             uint64    `json:"size"`             // uncompressed size of the blob (0 for a solid resource entry)
	Solid            int       `json:"solid"`            // index into SolidResources(), or -1
	OffsetInResource uint64    `json:"offsetInResource"` // solid blobs: offset in the resource's uncompressed data
	Image            int       `json:"image,omitempty"`  // metadata entries: the 1-based image it belongs to, 0 if none
}

// SolidResource is a solid resource: several blobs compressed together,
// with the codec and chunk size in a 16-byte header inside the resource.
type SolidResource struct {
	Entry            int         `json:"entry"`  // index of its entry in the blob table
	Offset           uint64      `json:"offset"` // file offset of the resource (its 16-byte header)
	StoredSize       uint64      `json:"storedSize"`
	UncompressedSize uint64      `json:"uncompressedSize"`
	ChunkSize        uint32      `json:"chunkSize"`
	Compression      Compression `json:"compression"`
	Blobs            int         `json:"blobs"` // blob entries assigned to it
}

// Totals summarises the blob table.
type Totals struct {
	Entries           int    `json:"entries"`           // entries in the table
	Blobs             int    `json:"blobs"`             // file blobs a reader uses (solid or not)
	MetadataResources int    `json:"metadataResources"` // metadata entries mapped to images
	SolidResources    int    `json:"solidResources"`
	Ignored           int    `json:"ignored"`           // entries a reader skips
	UncompressedBytes uint64 `json:"uncompressedBytes"` // sum of the used blobs' sizes, metadata included
	StoredBytes       uint64 `json:"storedBytes"`       // bytes of this file's resources: non-solid blobs, metadata and solid resources
}

// blobTable is the parsed table.
type blobTable struct {
	entries  []BlobEntry
	solid    []SolidResource
	metadata []int // entry index for each image, in table order
	warnings []Warning
	runEnds  []uint64 // cumulative uncompressed ends of the current solid run's resources
}

// parseBlobTable decodes the table in buf (read from file offset off) the
// way wimlib's read_blob_table does. Solid resource headers are read from r.
func parseBlobTable(buf []byte, off int64, h *Header, r io.ReaderAt, size int64) (*blobTable, error) {
	n := len(buf) / blobEntrySize
	t := &blobTable{entries: make([]BlobEntry, n)}
	if len(buf)%blobEntrySize != 0 {
		t.warnings = append(t.warnings, Warning{off, fmt.Sprintf("blob table size %d is not a multiple of %d; the last %d bytes are ignored", len(buf), blobEntrySize, len(buf)%blobEntrySize)})
	}
	seen := make(map[SHA1]struct{}, n)
	runStart := -1 // index in t.solid of the current run's first resource
	runEnd := 0    // one past its last resource
	runFirst := 0  // index of the run's first entry
	var empty, wrongPart, dups, extraMeta int
	for i := range t.entries {
		b := buf[i*blobEntrySize:][:blobEntrySize]
		eoff := off + int64(i*blobEntrySize)
		e := &t.entries[i]
		e.Resource = decodeResourceHeader(b)
		e.PartNumber = binary.LittleEndian.Uint16(b[24:])
		e.RefCount = binary.LittleEndian.Uint32(b[26:])
		copy(e.Hash[:], b[30:50])
		e.Solid = -1
		rh := e.Resource
		if h.Version == VersionDefault {
			rh.Flags &^= ResourceSolid // wimlib ignores SOLID outside version 0xE00
		}
		if rh.Flags&ResourceSolid != 0 {
			if runStart < 0 {
				var err error
				if runStart, runEnd, err = t.loadSolidRun(buf, i, off, h, r, size); err != nil {
					return nil, err
				}
				runFirst = i
			}
			if rh.UncompressedSize == solidResourceMagic {
				e.Kind = EntrySolidResource
				continue
			}
			e.Kind = EntrySolidBlob
			e.Size = rh.Size
			if err := t.assignSolid(e, runStart, runEnd, eoff); err != nil {
				return nil, err
			}
		} else {
			if runStart >= 0 {
				if err := t.checkSolidRun(t.entries[runFirst:i], runStart, runEnd, off); err != nil {
					return nil, err
				}
				runStart = -1
			}
			if rh.Flags&ResourceCompressed == 0 && rh.Size != rh.UncompressedSize {
				return nil, formatErr(eoff, "blob table", ErrFormat, "entry %d: uncompressed resource with stored size %d != size %d", i, rh.Size, rh.UncompressedSize)
			}
			e.Size = rh.UncompressedSize
			if rh.Flags&ResourceMetadata != 0 {
				e.Kind = EntryMetadata
			}
		}
		switch {
		case e.Hash.IsZero():
			e.Ignored = IgnoredZeroHash
			continue
		case e.Size == 0:
			e.Ignored = IgnoredEmpty
			empty++
			continue
		case e.PartNumber != h.PartNumber:
			e.Ignored = IgnoredWrongPart
			wrongPart++
			continue
		}
		if e.Kind == EntrySolidBlob && rh.Flags&ResourceMetadata != 0 {
			return nil, formatErr(eoff, "blob table", ErrUnsupported, "entry %d: image metadata in a solid resource", i)
		}
		if e.Kind != EntryMetadata && e.Kind != EntrySolidBlob {
			if !rh.inFile(size) {
				return nil, formatErr(eoff, "blob table", ErrFormat, "entry %d: resource %s lies outside the %d-byte file", i, rh, size)
			}
		}
		if e.Kind == EntryMetadata {
			switch {
			case e.RefCount == 0:
				e.Ignored = IgnoredUnusedMetadata
			case e.RefCount != 1:
				return nil, formatErr(eoff, "blob table", ErrFormat, "entry %d: metadata resource with reference count %d", i, e.RefCount)
			case h.PartNumber != 1 || len(t.metadata) == int(h.ImageCount):
				e.Ignored = IgnoredExtraMetadata
				extraMeta++
			case !rh.inFile(size):
				return nil, formatErr(eoff, "blob table", ErrFormat, "entry %d: metadata resource %s lies outside the %d-byte file", i, rh, size)
			default:
				t.metadata = append(t.metadata, i)
				e.Image = len(t.metadata)
			}
			continue
		}
		if _, ok := seen[e.Hash]; ok {
			e.Ignored = IgnoredDuplicate
			dups++
			continue
		}
		seen[e.Hash] = struct{}{}
		if e.Solid >= 0 {
			t.solid[e.Solid].Blobs++
		}
	}
	if runStart >= 0 {
		if err := t.checkSolidRun(t.entries[runFirst:], runStart, runEnd, off); err != nil {
			return nil, err
		}
	}
	for _, w := range []struct {
		n   int
		msg string
	}{
		{dups, "duplicate blobs ignored"},
		{empty, "empty blobs ignored"},
		{wrongPart, "blobs of other parts ignored"},
		{extraMeta, "metadata resources beyond the image count (or outside part 1) ignored"},
	} {
		if w.n > 0 {
			t.warnings = append(t.warnings, Warning{off, fmt.Sprintf("%d %s", w.n, w.msg)})
		}
	}
	return t, nil
}

// loadSolidRun records the solid resources of the run of SOLID entries that
// starts at entry i, reading each resource's 16-byte header.
func (t *blobTable) loadSolidRun(buf []byte, i int, off int64, h *Header, r io.ReaderAt, size int64) (start, end int, err error) {
	start = len(t.solid)
	n := len(buf) / blobEntrySize
	for k := i; k < n; k++ {
		rh := decodeResourceHeader(buf[k*blobEntrySize:])
		if rh.Flags&ResourceSolid == 0 {
			break
		}
		if rh.UncompressedSize != solidResourceMagic {
			continue
		}
		eoff := off + int64(k*blobEntrySize)
		if !rh.inFile(size) || rh.Size < solidHeaderSize {
			return 0, 0, formatErr(eoff, "blob table", ErrFormat, "entry %d: solid resource %s lies outside the %d-byte file", k, rh, size)
		}
		var sh [solidHeaderSize]byte
		if _, err := r.ReadAt(sh[:], int64(rh.Offset)); err != nil {
			return 0, 0, fmt.Errorf("wim: reading solid resource header at %#x: %w", rh.Offset, err)
		}
		t.solid = append(t.solid, SolidResource{
			Entry:            k,
			Offset:           rh.Offset,
			StoredSize:       rh.Size,
			UncompressedSize: binary.LittleEndian.Uint64(sh[0:]),
			ChunkSize:        binary.LittleEndian.Uint32(sh[8:]),
			Compression:      Compression(binary.LittleEndian.Uint32(sh[12:])),
		})
		t.entries[k].Solid = len(t.solid) - 1
	}
	if len(t.solid) == start {
		return 0, 0, formatErr(off+int64(i*blobEntrySize), "blob table", ErrFormat, "entry %d: solid run without a solid resource entry", i)
	}
	// Cumulative ends of the run's resources in the logical offset space;
	// a sum that overflows saturates, so nothing beyond it can fit.
	t.runEnds = t.runEnds[:0]
	var cum uint64
	for _, s := range t.solid[start:] {
		var ok bool
		if cum, ok = addOK(cum, s.UncompressedSize); !ok {
			cum = ^uint64(0)
		}
		t.runEnds = append(t.runEnds, cum)
	}
	return start, len(t.solid), nil
}

// assignSolid places a solid blob in the resources of its run. Its offset
// counts from the start of the run's first resource, as if the run's
// resources were one (what WIMGAPI expects): it belongs to the first
// resource whose cumulative end covers it, found by binary search over the
// run's cumulative sizes (t.runEnds).
func (t *blobTable) assignSolid(e *BlobEntry, start, end int, eoff int64) error {
	off := e.Resource.Offset
	last, ok := addOK(off, e.Size)
	if ok {
		k := sort.Search(end-start, func(k int) bool { return t.runEnds[k] >= last })
		if k < end-start {
			base := uint64(0)
			if k > 0 {
				base = t.runEnds[k-1]
			}
			if off >= base {
				e.Solid = start + k
				e.OffsetInResource = off - base
				return nil
			}
		}
	}
	return formatErr(eoff, "blob table", ErrFormat, "solid blob at logical offset %d (size %d) fits in no solid resource of its run", e.Resource.Offset, e.Size)
}

// addOK returns a+b and whether it did not overflow.
func addOK(a, b uint64) (uint64, bool) { return a + b, a+b >= a }

// checkSolidRun rejects overlapping blobs inside a resource of the run, as
// wimlib's validate_resource does.
func (t *blobTable) checkSolidRun(run []BlobEntry, start, end int, off int64) error {
	type span struct{ a, b uint64 }
	per := make(map[int][]span, end-start)
	for i := range run {
		e := &run[i]
		if e.Kind == EntrySolidBlob && e.Solid >= start && e.Solid < end && e.Ignored == NotIgnored {
			per[e.Solid] = append(per[e.Solid], span{e.OffsetInResource, e.OffsetInResource + e.Size})
		}
	}
	for k, spans := range per {
		slices.SortFunc(spans, func(x, y span) int {
			switch {
			case x.a < y.a:
				return -1
			case x.a > y.a:
				return 1
			}
			return 0
		})
		for i := 1; i < len(spans); i++ {
			if spans[i].a < spans[i-1].b {
				return formatErr(off+int64(t.solid[k].Entry*blobEntrySize), "blob table", ErrFormat, "blobs overlap inside the solid resource at %#x", t.solid[k].Offset)
			}
		}
	}
	return nil
}

// totals sums the table.
func (t *blobTable) totals() Totals {
	s := Totals{Entries: len(t.entries), SolidResources: len(t.solid)}
	for i := range t.entries {
		e := &t.entries[i]
		if e.Kind == EntrySolidResource {
			continue
		}
		if e.Ignored != NotIgnored {
			s.Ignored++
			continue
		}
		s.UncompressedBytes += e.Size
		switch e.Kind {
		case EntryMetadata:
			s.MetadataResources++
			s.StoredBytes += e.Resource.Size
		case EntryBlob:
			s.Blobs++
			s.StoredBytes += e.Resource.Size
		case EntrySolidBlob:
			s.Blobs++
		}
	}
	for _, r := range t.solid {
		s.StoredBytes += r.StoredSize
	}
	return s
}
