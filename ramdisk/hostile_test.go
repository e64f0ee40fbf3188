package ramdisk_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/ramdisk"
)

// maxHostileAlloc is the heap a hostile input of at most 1 MiB (or a
// larger image whose hostile part is its first structures) may make the
// package allocate.
const maxHostileAlloc = 64 << 20

// typed reports whether err wraps one of the package's sentinels.
func typed(err error) bool {
	for _, s := range []error{ramdisk.ErrFormat, ramdisk.ErrChecksum, ramdisk.ErrLimit, ramdisk.ErrUnsupported, ramdisk.ErrNotFound} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// requireHostile runs open, which must fail with a typed error wrapping
// want (through a *FormatError), allocating at most 64 MiB.
func requireHostile(t *testing.T, want error, open func() error) {
	t.Helper()
	var err error
	n := testutil.Allocated(func() { err = open() })
	require.ErrorIs(t, err, want)
	var fe *ramdisk.FormatError
	require.ErrorAs(t, err, &fe)
	assert.LessOrEqual(t, n, uint64(maxHostileAlloc), "allocated %d bytes", n)
}

// Field boundaries of the first structures, from their specifications.
var (
	sdiHeaderFields = []int{0, 8, 0x10, 0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x60, 0x68, 0x70, 0x78, 0x1F8, 0x200}
	sdiRecordFields = []int{0, 8, 16, 24, 32, 40, 64}
	mbrFields       = []int{0, 440, 444, 446, 447, 450, 451, 454, 458, 462, 478, 494, 510, 511}
	bpbFields       = []int{0, 3, 0x0B, 0x0D, 0x0E, 0x10, 0x11, 0x13, 0x15, 0x16, 0x18, 0x1A, 0x1C, 0x20, 0x24, 0x28, 0x2A, 0x2C, 0x30, 0x32, 0x34, 0x40, 0x41, 0x42, 0x43, 0x47, 0x52, 0x5A, 510, 511}
	isoVDFields     = []int{0, 1, 6, 7, 8, 40, 72, 80, 88, 120, 124, 128, 132, 140, 144, 148, 152, 156, 190, 318, 446, 574, 702, 739, 776, 813, 830, 847, 864, 881, 882, 883, 1395}
	isoDirFields    = []int{0, 1, 2, 6, 10, 14, 18, 25, 26, 27, 28, 32, 33}
)

// TestHostileSDITruncated cuts an SDI at every field boundary of its
// header and blob records, and inside each blob: every cut fails with a
// typed error and a bounded heap.
func TestHostileSDITruncated(t *testing.T) {
	s := ramdisk.NewSDI(1)
	require.NoError(t, s.AddBlob(ramdisk.NewBlob(ramdisk.BlobBoot, bytes.Repeat([]byte{0xEB, 0xFE}, 100))))
	require.NoError(t, s.AddBlob(ramdisk.NewBlob(ramdisk.BlobPart, randBytes(7, 10000))))
	good, err := s.MarshalBinary()
	require.NoError(t, err)
	parsed, err := ramdisk.ParseSDI(good, nil)
	require.NoError(t, err)
	var cuts []int
	cuts = append(cuts, sdiHeaderFields...)
	for i := range len(parsed.Blobs) {
		for _, f := range sdiRecordFields {
			cuts = append(cuts, 0x400+64*i+f)
		}
	}
	for _, b := range parsed.Blobs {
		cuts = append(cuts, int(b.Offset), int(b.Offset+b.Size/2), int(b.Offset+b.Size-1))
	}
	for _, n := range cuts {
		t.Run(fmt.Sprintf("cut at %#x", n), func(t *testing.T) {
			in := good[:n]
			requireHostile(t, ramdisk.ErrFormat, func() error { _, err := ramdisk.ParseSDI(in, nil); return err })
			if n < 512 {
				_, err := ramdisk.ReadSDIHeader(bytes.NewReader(in))
				require.ErrorIs(t, err, ramdisk.ErrFormat)
			}
		})
	}
}

// TestHostileMBRTruncated cuts the MBR sector at every field boundary, and
// zeroes the first partition entry of a partitioned disk from each field
// boundary on: ParseMBR and OpenDisk fail with typed errors, bounded heap.
func TestHostileMBRTruncated(t *testing.T) {
	d, err := ramdisk.BuildDisk([]ramdisk.File{ramdisk.FileBytes("a.txt", []byte("a"))}, &ramdisk.DiskOptions{Size: 8 << 20})
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = d.WriteTo(&buf)
	require.NoError(t, err)
	img := buf.Bytes()
	require.NotZero(t, d.ImageOffset(), "a partitioned disk")
	for _, f := range mbrFields {
		t.Run(fmt.Sprintf("sector cut at %d", f), func(t *testing.T) {
			requireHostile(t, ramdisk.ErrFormat, func() error { _, err := ramdisk.ParseMBR(img[:f], int64(len(img))); return err })
		})
		if f < 446 || f >= 462 {
			continue // only the first entry is used; the others are empty
		}
		t.Run(fmt.Sprintf("first entry zeroed from %d", f), func(t *testing.T) {
			in := bytes.Clone(img)
			clear(in[f:510])
			var err error
			n := testutil.Allocated(func() { _, err = open(in, nil) })
			require.True(t, typed(err), "untyped: %v", err)
			assert.LessOrEqual(t, n, uint64(maxHostileAlloc))
		})
	}
}

// TestHostileFATTruncated cuts the boot sector at every BPB field boundary
// (ParseBPB), zeroes it from each boundary up to its signature (OpenDisk:
// an error while a required field is lost, else a typed error or a volume
// that reads), and cuts the disk image after each of its first structures
// (MBR, boot sector, reserved sectors, each FAT, the first data cluster):
// each fails with a typed error and a bounded heap. FAT16 (8 MiB) and
// FAT32 (40 MiB).
func TestHostileFATTruncated(t *testing.T) {
	small, err := ramdisk.BuildDisk([]ramdisk.File{ramdisk.FileBytes("a.txt", []byte("a"))}, &ramdisk.DiskOptions{Size: 8 << 20})
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = small.WriteTo(&buf)
	require.NoError(t, err)
	for _, img := range [][]byte{buf.Bytes(), newFAT32(t).img} {
		d, err := open(img, nil)
		require.NoError(t, err)
		part := int(d.ImageOffset())
		bpb := d.BPB()
		size := int64(len(img) - part)
		sector := img[part : part+512]
		name := bpb.Type.String()
		required := 0x18 // the fields up to the FAT size must be there
		if bpb.Type == ramdisk.FAT32 {
			required = 0x30 // and up to the root cluster
		}
		for _, f := range bpbFields {
			t.Run(fmt.Sprintf("%s boot sector cut at %#x", name, f), func(t *testing.T) {
				requireHostile(t, ramdisk.ErrFormat, func() error { _, err := ramdisk.ParseBPB(sector[:f], size); return err })
			})
			if f < 0x0B || f >= 510 {
				continue
			}
			t.Run(fmt.Sprintf("%s BPB zeroed from %#x", name, f), func(t *testing.T) {
				in := bytes.Clone(img)
				clear(in[part+f : part+510])
				if f < required {
					requireHostile(t, ramdisk.ErrFormat, func() error { _, err := open(in, nil); return err })
					return
				}
				// Geometry, hidden sectors, FSInfo, the extended boot
				// record: a volume without them still reads.
				var err error
				n := testutil.Allocated(func() { _, err = open(in, nil) })
				require.True(t, err == nil || typed(err), "untyped: %v", err)
				assert.LessOrEqual(t, n, uint64(maxHostileAlloc))
			})
		}
		fat := part + int(bpb.ReservedSectors)*512
		fatBytes := int(bpb.ClusterSize()) // at least a cluster into each FAT
		for _, n := range []int{512, part, part + 512, fat - 512, fat, fat + fatBytes, part + int(bpb.FirstDataSector)*512, part + int(bpb.FirstDataSector)*512 + int(bpb.ClusterSize())} {
			t.Run(fmt.Sprintf("%s image cut at %#x", name, n), func(t *testing.T) {
				requireHostile(t, ramdisk.ErrFormat, func() error { _, err := open(img[:n], nil); return err })
			})
		}
	}
}

// TestHostileISOTruncated cuts an ISO image at every field boundary of its
// primary volume descriptor, of the terminator and of the root directory's
// first records: each fails with a typed error and a bounded heap.
func TestHostileISOTruncated(t *testing.T) {
	rec := make([]byte, 64)
	rec = rec[:dirRec(rec, 19, 5, 0, []byte("A.TXT;1"))]
	good := isoWithRecord(rec)
	copy(good[19*2048:], "hello")
	_, err := ramdisk.OpenISO(bytes.NewReader(good), int64(len(good)), nil)
	require.NoError(t, err)
	var cuts []int
	for _, f := range isoVDFields {
		cuts = append(cuts, 16*2048+f)
	}
	cuts = append(cuts, 17*2048, 17*2048+1, 17*2048+6)
	for _, rec := range []int{0, 34, 68} { // ".", "..", A.TXT
		for _, f := range isoDirFields {
			cuts = append(cuts, 18*2048+rec+f)
		}
	}
	cuts = append(cuts, 19*2048, 19*2048+2)
	for _, n := range cuts {
		t.Run(fmt.Sprintf("cut at %#x", n), func(t *testing.T) {
			in := good[:n]
			requireHostile(t, ramdisk.ErrFormat, func() error {
				_, err := ramdisk.OpenISO(bytes.NewReader(in), int64(len(in)), nil)
				return err
			})
		})
	}
}
