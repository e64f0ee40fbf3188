package ramdisk_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/ramdisk"
)

// sdiExpect is what make_sdi.py (the fixture generator) put in each
// fixture, read from the generator's source, not from our parser.
var sdiExpect = map[string]struct {
	mdb   ramdisk.MDBType
	align uint64
	blobs []struct {
		typ        ramdisk.BlobType
		off, size  int64
		base       uint64
		firstBytes []byte
	}
}{
	"synthetic_bootsdi_layout.sdi": {0, 2, []struct {
		typ        ramdisk.BlobType
		off, size  int64
		base       uint64
		firstBytes []byte
	}{{ramdisk.BlobPart, 0x2000, 64 << 10, 7, []byte{0, 0}}, {ramdisk.BlobWIM, 0x2000 + 64<<10, 0, 0, nil}}},
	"synthetic_xpe_layout.sdi": {1, 1, []struct {
		typ        ramdisk.BlobType
		off, size  int64
		base       uint64
		firstBytes []byte
	}{
		{ramdisk.BlobBoot, 0x1000, 512, 0, []byte{0xEB, 0xFE, 0x90}},
		{ramdisk.BlobLoad, 0x2000, 4096, 0, []byte("DUMMY-NTLDR")},
		{ramdisk.BlobPart, 0x3000, 32 << 10, 7, []byte{0, 0}},
	}},
}

// TestSDIFixtures is acceptance point 1: the fixtures parse, an unedited
// write and a rebuild from the blobs both give the same bytes.
func TestSDIFixtures(t *testing.T) {
	for _, p := range testutil.Fixtures(t, "sdi", "*.sdi") {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(p)
			require.NoError(t, err)
			f, err := os.Open(p)
			require.NoError(t, err)
			defer f.Close()
			s, err := ramdisk.NewSDIReader(f, int64(len(raw)), nil)
			require.NoError(t, err)
			assert.Empty(t, s.Warnings)
			require.True(t, ramdisk.IsSDI(f))

			want, ok := sdiExpect[name]
			require.True(t, ok, "fixture %s has no expectation", name)
			assert.Equal(t, want.mdb, s.Header.MDBType)
			assert.Equal(t, want.align, s.Header.PageAlignment)
			assert.Equal(t, "0001", s.Header.Version)
			require.Len(t, s.Blobs, len(want.blobs))
			for i, wb := range want.blobs {
				b := s.Blobs[i]
				assert.Equal(t, wb.typ, b.Type)
				assert.Equal(t, wb.off, b.Offset)
				assert.Equal(t, wb.size, b.Size)
				assert.Equal(t, wb.base, b.Base)
				if wb.firstBytes != nil {
					got := make([]byte, len(wb.firstBytes))
					_, err := b.Open().ReadAt(got, 0)
					require.NoError(t, err)
					assert.Equal(t, wb.firstBytes, got)
				}
			}

			out, err := s.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, "", testutil.HexDiff(raw, out), "unedited write")

			// Rebuild from the blobs alone.
			n := ramdisk.NewSDI(s.Header.PageAlignment)
			n.Header.MDBType = s.Header.MDBType
			for _, b := range s.Blobs {
				nb := ramdisk.NewBlobReader(b.Type, b.Open(), b.Size)
				nb.Attr, nb.Base = b.Attr, b.Base
				require.NoError(t, n.AddBlob(nb))
			}
			re, err := n.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, "", testutil.HexDiff(raw, re), "rebuilt from blobs")

			off, err := s.PartitionImageOffset()
			require.NoError(t, err)
			assert.Equal(t, uint64(s.Blob(ramdisk.BlobPart).Offset), off)
		})
	}
}

// Flipping any byte of the 512-byte header is reported as a checksum error
// (a byte of the magic as a format error).
func TestSDIFlippedHeaderByte(t *testing.T) {
	raw := testutil.ReadFixture(t, "sdi/synthetic_bootsdi_layout.sdi")
	for i := range 512 {
		b := bytes.Clone(raw)
		b[i] ^= 0x01
		_, err := ramdisk.ParseSDI(b, nil)
		if i < 4 {
			require.ErrorIs(t, err, ramdisk.ErrFormat, "byte %d", i)
			continue
		}
		require.ErrorIs(t, err, ramdisk.ErrChecksum, "byte %#x", i)
		var fe *ramdisk.FormatError
		require.ErrorAs(t, err, &fe)
	}
	// A checksum error alone still returns the parsed SDI, and writing it
	// again repairs the checksum.
	b := bytes.Clone(raw)
	b[0x20]++ // VendorID
	s, err := ramdisk.ParseSDI(b, nil)
	require.ErrorIs(t, err, ramdisk.ErrChecksum)
	require.NotNil(t, s)
	s.Header.VendorID = 0
	fixed, err := s.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, "", testutil.HexDiff(raw, fixed))
	h, err := ramdisk.ReadSDIHeader(bytes.NewReader(b))
	require.ErrorIs(t, err, ramdisk.ErrChecksum)
	assert.Equal(t, uint64(1), h.VendorID)
}

// sum512 is the checksum rule from the spec, computed independently.
func sum512(b []byte) byte {
	var s byte
	for _, c := range b[:512] {
		s += c
	}
	return s
}

// TestSDICreateLayout checks created SDIs field by field against the layout
// rules of the spec (wim_sdi.md §4.1).
func TestSDICreateLayout(t *testing.T) {
	cases := []struct {
		name  string
		align uint64
		sizes []int64
	}{
		{"one page", 1, []int64{512, 4096, 5000, 0}},
		{"two pages", 2, []int64{100, 8192, 1}},
		{"four pages, empty first", 4, []int64{0, 70000}},
		{"no blobs", 3, nil},
	}
	types := []ramdisk.BlobType{ramdisk.BlobBoot, ramdisk.BlobLoad, ramdisk.BlobPart, ramdisk.BlobWIM}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ramdisk.NewSDI(c.align)
			var datas [][]byte
			for i, n := range c.sizes {
				d := randBytes(uint64(i), int(n))
				datas = append(datas, d)
				b := ramdisk.NewBlob(types[i%len(types)], d)
				b.Attr, b.Base = uint64(i), uint64(10+i)
				require.NoError(t, s.AddBlob(b))
			}
			out, err := s.MarshalBinary()
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(out), 4096)
			assert.Equal(t, "$SDI0001", string(out[:8]))
			assert.Zero(t, sum512(out), "checksum rule")
			assert.Equal(t, c.align, binary.LittleEndian.Uint64(out[0x70:]))
			alignBytes := int64(c.align) * 4096
			pos := (4096 + alignBytes - 1) / alignBytes * alignBytes
			end := int64(4096)
			for i, n := range c.sizes {
				rec := out[0x400+64*i:][:64]
				assert.Equal(t, string(types[i%len(types)]), string(bytes.TrimRight(rec[:8], "\x00")))
				assert.Equal(t, uint64(i), binary.LittleEndian.Uint64(rec[8:]), "attr")
				off := int64(binary.LittleEndian.Uint64(rec[16:]))
				assert.Equal(t, pos, off, "blob %d offset", i)
				assert.Zero(t, off%alignBytes, "aligned")
				assert.Equal(t, n, int64(binary.LittleEndian.Uint64(rec[24:])), "size")
				assert.Equal(t, uint64(10+i), binary.LittleEndian.Uint64(rec[32:]), "base")
				assert.Equal(t, datas[i], out[off:off+n])
				if types[i%len(types)] == ramdisk.BlobBoot {
					assert.Equal(t, uint64(off), binary.LittleEndian.Uint64(out[0x10:]), "BootCodeOffset")
					assert.Equal(t, uint64(n), binary.LittleEndian.Uint64(out[0x18:]), "BootCodeSize")
				}
				end = max(end, off+n)
				pos = (off + n + alignBytes - 1) / alignBytes * alignBytes
			}
			assert.Equal(t, end, int64(len(out)), "file ends at the last blob")
			assert.True(t, allZeroBytes(out[0x400+64*len(c.sizes):0x1000]), "table ends with a zero record")
			s2, err := ramdisk.ParseSDI(out, nil)
			require.NoError(t, err)
			assert.Empty(t, s2.Warnings)
			assert.Len(t, s2.Blobs, len(c.sizes))
		})
	}
}

func allZeroBytes(b []byte) bool { return len(bytes.Trim(b, "\x00")) == 0 }

func TestSDIEdit(t *testing.T) {
	raw := testutil.ReadFixture(t, "sdi/synthetic_xpe_layout.sdi")
	s, err := ramdisk.ParseSDI(raw, nil)
	require.NoError(t, err)
	require.NoError(t, s.ReplaceBlob(ramdisk.BlobLoad, bytes.NewReader(make([]byte, 9000)), 9000))
	require.NoError(t, s.RemoveBlob(ramdisk.BlobBoot))
	require.NoError(t, s.AddBlob(ramdisk.NewBlob(ramdisk.BlobWIM, nil)))
	require.ErrorIs(t, s.RemoveBlob(ramdisk.BlobDisk), ramdisk.ErrNotFound)
	require.ErrorIs(t, s.ReplaceBlob(ramdisk.BlobDisk, nil, 0), ramdisk.ErrNotFound)
	out, err := s.MarshalBinary()
	require.NoError(t, err)
	s2, err := ramdisk.ParseSDI(out, nil)
	require.NoError(t, err)
	require.Len(t, s2.Blobs, 3)
	assert.Equal(t, []ramdisk.BlobType{ramdisk.BlobLoad, ramdisk.BlobPart, ramdisk.BlobWIM}, []ramdisk.BlobType{s2.Blobs[0].Type, s2.Blobs[1].Type, s2.Blobs[2].Type})
	assert.Equal(t, int64(0x1000), s2.Blobs[0].Offset)
	assert.Equal(t, int64(0x4000), s2.Blobs[1].Offset, "9000 bytes round up to 3 pages")
	assert.Zero(t, s2.Header.BootCodeOffset, "no BOOT blob any more")
	off, err := s.PartitionImageOffset()
	require.NoError(t, err)
	assert.Equal(t, uint64(0x4000), off)

	// Extract a blob to a file.
	dir := t.TempDir()
	p := filepath.Join(dir, "part.bin")
	require.NoError(t, s2.Blob(ramdisk.BlobPart).Save(p))
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, raw[0x3000:0x3000+32<<10], got)
}

func TestSDISaveFailureKeepsOriginal(t *testing.T) {
	raw := testutil.ReadFixture(t, "sdi/synthetic_bootsdi_layout.sdi")
	dir := t.TempDir()
	p := filepath.Join(dir, "boot.sdi")
	require.NoError(t, os.WriteFile(p, raw, 0o644))
	s, err := ramdisk.ParseSDI(raw, nil)
	require.NoError(t, err)
	s.Header.PageAlignment = 1
	for _, save := range []func() error{
		func() error { return s.Save(p) },
		func() error { return s.Blob(ramdisk.BlobPart).Save(p) },
	} {
		restore := atomicfile.FailAfter(5000)
		err = save()
		restore()
		require.ErrorIs(t, err, atomicfile.ErrInjected)
		got, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Equal(t, "", testutil.HexDiff(raw, got))
		noTempFiles(t, dir, "boot.sdi")
	}
	require.NoError(t, s.Save(p))
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, len(raw)-4096, len(got), "alignment 1 saves the 4 KiB gap")
}

// TestBootSDI builds a boot.sdi-style SDI around FAT partition images made
// by mkfs.fat and checks the layout and the detected partition type.
func TestBootSDI(t *testing.T) {
	mkfs := testutil.Tool(t, "mkfs.fat")
	for _, c := range []struct {
		args []string
		typ  uint64
	}{{[]string{"-F", "16"}, 0x06}, {[]string{"-F", "32"}, 0x0C}, {[]string{"-F", "12"}, 0x01}} {
		img := filepath.Join(t.TempDir(), "part.img")
		size := "40000"
		if c.typ == 0x01 {
			size = "3000"
		}
		testutil.Run(t, mkfs, append(append([]string{"-C"}, c.args...), img, size)...)
		part, err := os.ReadFile(img)
		require.NoError(t, err)
		s, err := ramdisk.NewBootSDI(bytes.NewReader(part), int64(len(part)), nil)
		require.NoError(t, err)
		out, err := s.MarshalBinary()
		require.NoError(t, err)
		s2, err := ramdisk.ParseSDI(out, nil)
		require.NoError(t, err)
		require.Len(t, s2.Blobs, 2)
		assert.Equal(t, uint64(2), s2.Header.PageAlignment)
		p, w := s2.Blobs[0], s2.Blobs[1]
		assert.Equal(t, ramdisk.BlobPart, p.Type)
		assert.Equal(t, int64(0x2000), p.Offset)
		assert.Equal(t, c.typ, p.Base, "partition type for %v", c.args)
		assert.Equal(t, part, out[0x2000:0x2000+len(part)])
		assert.Equal(t, ramdisk.BlobWIM, w.Type)
		assert.Zero(t, w.Size)
		assert.Equal(t, int64(len(out)), w.Offset, "empty WIM record at the end of the file")
		assert.Zero(t, w.Offset%8192)
		off, err := s2.PartitionImageOffset()
		require.NoError(t, err)
		assert.Equal(t, uint64(0x2000), off)
	}
	_, err := ramdisk.NewBootSDI(bytes.NewReader(make([]byte, 4096)), 4096, nil)
	require.ErrorIs(t, err, ramdisk.ErrInvalidArgument, "zero image needs an explicit type")
	s, err := ramdisk.NewBootSDI(bytes.NewReader(make([]byte, 4096)), 4096, &ramdisk.BootSDIOptions{PartitionType: 7, PageAlignment: 1})
	require.NoError(t, err)
	assert.Equal(t, uint64(7), s.Blobs[0].Base)
}

// messWith returns a copy of b changed by f.
func messWith(b []byte, f func(b []byte)) []byte {
	c := bytes.Clone(b)
	f(c)
	return c
}

// fixSum makes a mutated header's checksum right again, so the structural
// error is the one reported.
func fixSum(b []byte) {
	binary.LittleEndian.PutUint64(b[0x1F8:], 0)
	var s byte
	for _, c := range b[:512] {
		s += c
	}
	b[0x1F8] = -s
}

func TestSDIHostile(t *testing.T) {
	raw := testutil.ReadFixture(t, "sdi/synthetic_xpe_layout.sdi")
	rec := func(i, field int) int { return 0x400 + 64*i + field }
	put := func(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ramdisk.ErrFormat},
		{"short", raw[:4095], ramdisk.ErrFormat},
		{"no magic", messWith(raw, func(b []byte) { copy(b, "$XDI") }), ramdisk.ErrFormat},
		{"alignment 0", messWith(raw, func(b []byte) { put(b, 0x70, 0); fixSum(b) }), ramdisk.ErrFormat},
		{"alignment huge", messWith(raw, func(b []byte) { put(b, 0x70, 1<<40); fixSum(b) }), ramdisk.ErrLimit},
		{"blob past end", messWith(raw, func(b []byte) { put(b, rec(2, 24), 1<<20) }), ramdisk.ErrFormat},
		{"offset overflow", messWith(raw, func(b []byte) { put(b, rec(2, 16), 1<<63); put(b, rec(2, 24), 1<<63) }), ramdisk.ErrFormat},
		{"size max", messWith(raw, func(b []byte) { put(b, rec(2, 24), ^uint64(0)) }), ramdisk.ErrFormat},
		{"misaligned", messWith(raw, func(b []byte) { put(b, rec(1, 16), 0x2100) }), ramdisk.ErrFormat},
		{"overlap", messWith(raw, func(b []byte) { put(b, rec(1, 16), 0x1000) }), ramdisk.ErrFormat},
		{"in header page", messWith(raw, func(b []byte) { put(b, rec(0, 16), 0) }), ramdisk.ErrFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			n := testutil.Allocated(func() { _, err = ramdisk.ParseSDI(c.in, nil) })
			assert.LessOrEqual(t, n, uint64(maxHostileAlloc))
			require.ErrorIs(t, err, c.want)
			var fe *ramdisk.FormatError
			require.ErrorAs(t, err, &fe)
		})
	}
	// Odd but valid: warnings, not errors.
	b := messWith(raw, func(b []byte) { copy(b[4:], "0002"); fixSum(b) })
	s, err := ramdisk.ParseSDI(append(b, 1, 2, 3), nil)
	require.NoError(t, err)
	assert.Len(t, s.Warnings, 2, "version and trailing bytes: %v", s.Warnings)
	assert.False(t, ramdisk.IsSDI(bytes.NewReader([]byte("$SD"))))
	_, err = ramdisk.ReadSDIHeader(bytes.NewReader(raw[:100]))
	require.ErrorIs(t, err, ramdisk.ErrFormat)
	full := ramdisk.NewSDI(1)
	for range 48 {
		require.NoError(t, full.AddBlob(ramdisk.NewBlob("X", nil)))
	}
	require.ErrorIs(t, full.AddBlob(ramdisk.NewBlob("X", nil)), ramdisk.ErrLimit)
	_, err = ramdisk.NewSDI(0).MarshalBinary()
	require.ErrorIs(t, err, ramdisk.ErrInvalidArgument)
}

func TestSDIString(t *testing.T) {
	raw := testutil.ReadFixture(t, "sdi/synthetic_xpe_layout.sdi")
	s, err := ramdisk.ParseSDI(raw, nil)
	require.NoError(t, err)
	testutil.Golden(t, "sdi_xpe_info.golden", []byte(s.String()))
}
