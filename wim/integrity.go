package wim

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"io"
)

// IntegrityChunkSize is the chunk size of integrity tables this package
// writes (and wimlib's default): 10 MiB.
const IntegrityChunkSize = 10 << 20

// integrityHeaderSize is size u32 | num_entries u32 | chunk_size u32.
const integrityHeaderSize = 12

// IntegrityTable holds the SHA-1 of each chunk of the bytes
// [208, end of blob table).
type IntegrityTable struct {
	ChunkSize uint32
	Hashes    []SHA1
}

// MarshalBinary returns the on-disk form of the table.
func (t *IntegrityTable) MarshalBinary() ([]byte, error) {
	n := len(t.Hashes)
	b := make([]byte, integrityHeaderSize+20*n)
	binary.LittleEndian.PutUint32(b[0:], uint32(len(b)))
	binary.LittleEndian.PutUint32(b[4:], uint32(n))
	binary.LittleEndian.PutUint32(b[8:], t.ChunkSize)
	for i, h := range t.Hashes {
		copy(b[integrityHeaderSize+20*i:], h[:])
	}
	return b, nil
}

// integrityRange returns how many bytes after the header the integrity
// table covers: up to the end of the blob table.
func integrityRange(h *Header) (uint64, error) {
	end, ok := h.BlobTable.End()
	if !ok || end < HeaderSize {
		return 0, formatErr(0x30, "header", ErrFormat, "blob table %s ends before the header does", h.BlobTable)
	}
	return end - HeaderSize, nil
}

func chunkCount(checked uint64, chunk uint32) uint64 {
	return (checked + uint64(chunk) - 1) / uint64(chunk)
}

// parseIntegrityTable checks b the way wimlib does: the size field equals
// the resource size and 12+20*n, the chunk size is not 0, and n covers
// exactly checked bytes.
func parseIntegrityTable(b []byte, off int64, checked uint64) (*IntegrityTable, error) {
	if len(b) < integrityHeaderSize {
		return nil, formatErr(off, "integrity table", ErrFormat, "%d bytes is shorter than its 12-byte header", len(b))
	}
	size := binary.LittleEndian.Uint32(b[0:])
	n := binary.LittleEndian.Uint32(b[4:])
	chunk := binary.LittleEndian.Uint32(b[8:])
	switch {
	case uint64(size) != uint64(len(b)) || uint64(size) != integrityHeaderSize+20*uint64(n):
		return nil, formatErr(off, "integrity table", ErrFormat, "size field %d, %d entries, resource of %d bytes", size, n, len(b))
	case chunk == 0:
		return nil, formatErr(off+8, "integrity table", ErrFormat, "chunk size 0")
	case uint64(n) != chunkCount(checked, chunk):
		return nil, formatErr(off+4, "integrity table", ErrFormat, "%d entries of %d bytes do not cover the %d checked bytes", n, chunk, checked)
	}
	t := &IntegrityTable{ChunkSize: chunk, Hashes: make([]SHA1, n)}
	for i := range t.Hashes {
		copy(t.Hashes[i][:], b[integrityHeaderSize+20*i:])
	}
	return t, nil
}

// IntegrityTable reads and checks the integrity table the header points at.
// It returns an error wrapping ErrNotFound when there is none.
func (rd *Reader) IntegrityTable() (*IntegrityTable, error) {
	h := &rd.origHdr
	if !h.HasIntegrity() {
		return nil, fmt.Errorf("%w: the WIM has no integrity table", ErrNotFound)
	}
	checked, err := integrityRange(h)
	if err != nil {
		return nil, err
	}
	b, err := rd.readResource(h.Integrity, "integrity table", 0x7C, rd.limits.MaxIntegrityTableSize)
	if err != nil {
		return nil, err
	}
	return parseIntegrityTable(b, int64(h.Integrity.Offset), checked)
}

// VerifyIntegrity checks the bytes [208, end of blob table) against the
// integrity table. A mismatch returns an *IntegrityError naming the first
// chunk that differs (it wraps ErrChecksum); no table returns an error
// wrapping ErrNotFound. It reads the covered bytes once, through a small
// buffer.
func (rd *Reader) VerifyIntegrity() error {
	t, err := rd.IntegrityTable()
	if err != nil {
		return err
	}
	checked, err := integrityRange(&rd.origHdr)
	if err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	off := uint64(HeaderSize)
	for i, want := range t.Hashes {
		n := min(uint64(t.ChunkSize), HeaderSize+checked-off)
		got, err := hashRange(rd.r, off, n, buf)
		if err != nil {
			return err
		}
		if got != want {
			return &IntegrityError{Chunk: i, Chunks: len(t.Hashes), Offset: int64(off), Size: int64(n)}
		}
		off += n
	}
	return nil
}

func hashRange(r io.ReaderAt, off, n uint64, buf []byte) (SHA1, error) {
	h := sha1.New()
	if _, err := io.CopyBuffer(h, io.NewSectionReader(r, int64(off), int64(n)), buf); err != nil {
		return SHA1{}, fmt.Errorf("wim: reading %d bytes at %#x: %w", n, off, err)
	}
	var s SHA1
	h.Sum(s[:0])
	return s, nil
}

// computeIntegrity hashes [208, 208+checked) of r in chunks of chunk bytes.
// It fails if the bytes are not all there.
func computeIntegrity(r io.ReaderAt, checked uint64, chunk uint32) (*IntegrityTable, error) {
	n := chunkCount(checked, chunk)
	t := &IntegrityTable{ChunkSize: chunk, Hashes: make([]SHA1, 0, min(n, 1<<16))}
	buf := make([]byte, 64<<10)
	for off := uint64(HeaderSize); off < HeaderSize+checked; off += uint64(chunk) {
		s, err := hashRange(r, off, min(uint64(chunk), HeaderSize+checked-off), buf)
		if err != nil {
			return nil, err
		}
		t.Hashes = append(t.Hashes, s)
	}
	return t, nil
}

// integrityChange is a pending change to the integrity table.
type integrityChange uint8

const (
	integrityKeep    integrityChange = iota // keep a table if there is one
	integrityRebuild                        // add one, or recompute the present one
	integrityRemove                         // drop it
)

// AddIntegrity asks the next save (Commit, WriteTo) to write an integrity
// table with 10 MiB chunks, replacing any present one with a freshly
// computed table. Computing it reads the whole WIM once.
func (rd *Reader) AddIntegrity() { rd.integrity = integrityRebuild }

// RemoveIntegrity asks the next save to drop the integrity table.
func (rd *Reader) RemoveIntegrity() { rd.integrity = integrityRemove }
