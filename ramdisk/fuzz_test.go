package ramdisk_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/ramdisk"
)

// eofReaderAt is an io.ReaderAt that returns io.EOF with the last bytes of
// its data (as io.ReaderAt allows), unlike bytes.Reader.
type eofReaderAt []byte

func (e eofReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(e)) {
		return 0, io.EOF
	}
	n := copy(p, e[off:])
	if off+int64(n) == int64(len(e)) {
		return n, io.EOF
	}
	return n, nil
}

// FuzzParseSDI: parsing never panics and fails with typed errors; what
// parses writes back unchanged, agrees with ReadSDIHeader, with IsSDI and
// with NewSDIReader on a reader that returns io.EOF with its last bytes, and
// survives a rebuild from its blobs.
func FuzzParseSDI(f *testing.F) {
	s := ramdisk.NewSDI(1)
	_ = s.AddBlob(ramdisk.NewBlob(ramdisk.BlobBoot, []byte{0xEB, 0xFE}))
	_ = s.AddBlob(ramdisk.NewBlob("ODD\x01", []byte("x")))
	b, _ := s.MarshalBinary()
	f.Add(b)
	boot, err := ramdisk.NewBootSDI(bytes.NewReader(randBytes(9, 4096)), 4096, &ramdisk.BootSDIOptions{PartitionType: 6})
	if err != nil {
		f.Fatal(err)
	}
	b, _ = boot.MarshalBinary()
	f.Add(b)
	for _, p := range testutil.OptionalFixtures(f, "sdi", "*.sdi") {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<20 {
			return
		}
		s, err := ramdisk.ParseSDI(in, nil)
		if ramdisk.IsSDI(bytes.NewReader(in)) != (len(in) >= 4 && string(in[:4]) == "$SDI") {
			t.Fatal("IsSDI disagrees with the magic")
		}
		if s2, err2 := ramdisk.NewSDIReader(eofReaderAt(in), int64(len(in)), nil); (s2 == nil) != (s == nil) || (err2 == nil) != (err == nil) ||
			(s != nil && len(s2.Blobs) != len(s.Blobs)) {
			t.Fatalf("ParseSDI and NewSDIReader (io.EOF with the last bytes) disagree: %v / %v", err, err2)
		}
		if s == nil {
			if err == nil || !typed(err) {
				t.Fatalf("nil SDI with error %v", err)
			}
			return
		}
		if err != nil && !errors.Is(err, ramdisk.ErrChecksum) {
			t.Fatalf("SDI returned with a non-checksum error: %v", err)
		}
		out, werr := s.MarshalBinary()
		if werr != nil || !bytes.Equal(in, out) {
			t.Fatalf("unedited write differs (%v):\n%s", werr, testutil.HexDiff(in, out))
		}
		h, herr := ramdisk.ReadSDIHeader(bytes.NewReader(in))
		if h == nil || *h != s.Header || errors.Is(herr, ramdisk.ErrChecksum) != errors.Is(err, ramdisk.ErrChecksum) {
			t.Fatalf("ReadSDIHeader disagrees: %+v %v vs %+v %v", h, herr, s.Header, err)
		}
		n := ramdisk.NewSDI(s.Header.PageAlignment)
		for _, b := range s.Blobs {
			nb := ramdisk.NewBlobReader(b.Type, b.Open(), b.Size)
			nb.Attr, nb.Base = b.Attr, b.Base
			if err := n.AddBlob(nb); err != nil {
				t.Fatal(err)
			}
		}
		if _, size, err := n.Layout(); err != nil || size > 1<<20 {
			return // a large alignment makes the rebuilt file large
		}
		re, err := n.MarshalBinary()
		if err != nil {
			return // e.g. an empty type byte string cannot be written
		}
		s2, err := ramdisk.ParseSDI(re, nil)
		if err != nil {
			t.Fatalf("rebuilt SDI does not parse: %v", err)
		}
		for i, b := range s2.Blobs {
			want := make([]byte, s.Blobs[i].Size)
			got := make([]byte, b.Size)
			_, _ = s.Blobs[i].Open().ReadAt(want, 0)
			_, _ = b.Open().ReadAt(got, 0)
			if b.Type != s.Blobs[i].Type || !bytes.Equal(want, got) {
				t.Fatalf("blob %d differs after the rebuild", i)
			}
		}
	})
}

// FuzzParseMBR: errors are typed; accepted tables satisfy what ParseMBR
// promises.
func FuzzParseMBR(f *testing.F) {
	good := make([]byte, 512)
	good[510], good[511] = 0x55, 0xAA
	e := good[446:]
	e[0], e[4], e[8+1], e[12+2] = 0x80, 0x0C, 0x08, 0x01 // LBA 2048, 65536 sectors
	f.Add(good, int64(64<<20))
	f.Add(make([]byte, 512), int64(1<<20))
	// syslinux's mbr.bin with the same table (when installed; always
	// under CI).
	if _, err := os.Stat(syslinuxMBR); err == nil || testutil.CI() {
		withCode := bytes.Clone(good)
		copy(withCode, readMBRBin(f))
		f.Add(withCode, int64(64<<20))
	}
	f.Fuzz(func(t *testing.T, in []byte, size int64) {
		m, err := ramdisk.ParseMBR(in, size)
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for i, p := range m.Partitions {
			if p.StartLBA == 0 || p.Sectors == 0 || p.Offset()+p.Size() > size {
				t.Fatalf("partition %d outside the disk: %+v", i, p)
			}
			for _, q := range m.Partitions[:i] {
				if p.Offset() < q.Offset()+q.Size() && q.Offset() < p.Offset()+p.Size() {
					t.Fatalf("overlap %+v %+v", p, q)
				}
			}
		}
	})
}

// FuzzParseBPB: errors are typed; accepted boot sectors describe a layout
// inside the volume.
func FuzzParseBPB(f *testing.F) {
	l := newFAT32(f)
	f.Add(l.img[l.part:l.part+512], int64(39<<20))
	d, err := ramdisk.BuildDisk(nil, &ramdisk.DiskOptions{Size: 8 << 20})
	if err != nil {
		f.Fatal(err)
	}
	sec := make([]byte, 512)
	_, _ = d.ReadAt(sec, 1<<20)
	f.Add(sec, int64(7<<20))
	f.Fuzz(func(t *testing.T, in []byte, size int64) {
		b, err := ramdisk.ParseBPB(in, size)
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if b.FirstDataSector >= b.TotalSectors || int64(b.TotalSectors)*512 > size || b.ClusterCount == 0 {
			t.Fatalf("inconsistent BPB accepted: %+v", b)
		}
		want := ramdisk.FAT32
		if b.ClusterCount <= 4084 {
			want = ramdisk.FAT12
		} else if b.ClusterCount <= 65524 {
			want = ramdisk.FAT16
		}
		if b.Type != want {
			t.Fatalf("type %v for %d clusters", b.Type, b.ClusterCount)
		}
	})
}

// smallFATImage is a 360 KiB FAT12 floppy-style image with a directory and
// two files, made by mkfs.fat and mtools.
func smallFATImage(f *testing.F) []byte {
	mkfs := testutil.Tool(f, "mkfs.fat")
	mmd := testutil.Tool(f, "mmd")
	mcopy := testutil.Tool(f, "mcopy")
	dir := f.TempDir()
	img := filepath.Join(dir, "f.img")
	testutil.Run(f, mkfs, "-C", img, "360")
	src := filepath.Join(dir, "a long name.txt")
	if err := os.WriteFile(src, randBytes(50, 3000), 0o644); err != nil {
		f.Fatal(err)
	}
	testutil.Run(f, mmd, "-i", img, "::/DIR")
	testutil.Run(f, mcopy, "-i", img, src, "::/DIR/a long name.txt")
	testutil.Run(f, mcopy, "-i", img, src, "::/B.TXT")
	b, err := os.ReadFile(img)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// fat12Floppy builds a 360 KiB FAT12 floppy image by hand from the FAT
// specification (independently of the package): boot sector with BPB, two
// FATs, a 112-entry root directory holding A.TXT ("a", cluster 2).
func fat12Floppy() []byte {
	b := make([]byte, 720*512)
	bs := b[:512]
	copy(bs, []byte{0xEB, 0x3C, 0x90})
	copy(bs[3:], "MSDOS5.0")
	binary.LittleEndian.PutUint16(bs[0x0B:], 512) // bytes per sector
	bs[0x0D] = 2                                  // sectors per cluster
	binary.LittleEndian.PutUint16(bs[0x0E:], 1)   // reserved sectors
	bs[0x10] = 2                                  // FATs
	binary.LittleEndian.PutUint16(bs[0x11:], 112) // root entries
	binary.LittleEndian.PutUint16(bs[0x13:], 720) // total sectors
	bs[0x15] = 0xFD                               // media
	binary.LittleEndian.PutUint16(bs[0x16:], 2)   // sectors per FAT
	binary.LittleEndian.PutUint16(bs[0x18:], 9)   // sectors per track
	binary.LittleEndian.PutUint16(bs[0x1A:], 2)   // heads
	bs[0x26] = 0x29                               // extended boot signature
	copy(bs[0x2B:], "FLOPPY     FAT12   ")
	bs[510], bs[511] = 0x55, 0xAA
	for _, fat := range []int{1, 3} {
		t := b[fat*512:]
		copy(t, []byte{0xFD, 0xFF, 0xFF, 0xFF, 0x0F}) // media, end of chain; cluster 2 ends its chain
	}
	root := b[5*512:]
	copy(root, "A       TXT")
	root[11] = 0x20                             // archive
	binary.LittleEndian.PutUint16(root[26:], 2) // first cluster
	binary.LittleEndian.PutUint32(root[28:], 1) // size
	b[12*512] = 'a'                             // cluster 2: sector 12
	return b
}

// FuzzOpenDisk: opening never panics and fails with typed errors; what
// opens agrees with ImageOffsetFromDisk, writes back unchanged, every file
// reads, and an added file gives an image that opens again.
func FuzzOpenDisk(f *testing.F) {
	// A 360 KiB FAT12 floppy built here, and one made by mkfs.fat and
	// mtools (when installed; always under CI).
	f.Add(fat12Floppy())
	if _, err := exec.LookPath("mkfs.fat"); err == nil || testutil.CI() {
		f.Add(smallFATImage(f))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 2<<20 {
			return
		}
		d, err := ramdisk.OpenDisk(bytes.NewReader(in), int64(len(in)), nil)
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if off, err := ramdisk.ImageOffsetFromDisk(bytes.NewReader(in), int64(len(in))); err == nil && off != d.ImageOffset() {
			t.Fatalf("ImageOffsetFromDisk %d, OpenDisk %d", off, d.ImageOffset())
		}
		var out bytes.Buffer
		if _, err := d.WriteTo(&out); err != nil || !bytes.Equal(in, out.Bytes()) {
			t.Fatalf("unedited write differs: %v", err)
		}
		files, err := d.Files()
		if err != nil {
			t.Fatalf("Files after a successful open: %v", err)
		}
		for _, fi := range files {
			if fi.Dir {
				continue
			}
			if b, err := fs.ReadFile(d, fi.Path); err == nil && int64(len(b)) != fi.Size {
				t.Fatalf("%s: read %d of %d bytes", fi.Path, len(b), fi.Size)
			}
		}
		if err := d.AddFile("FUZZ/NEW.TXT", bytes.NewReader([]byte("new")), 3); err != nil {
			return
		}
		out.Reset()
		if _, err := d.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		d2, err := ramdisk.OpenDisk(bytes.NewReader(out.Bytes()), int64(out.Len()), nil)
		if err != nil {
			t.Fatalf("edited image does not open: %v", err)
		}
		if b, err := fs.ReadFile(d2, "FUZZ/NEW.TXT"); err != nil || string(b) != "new" {
			t.Fatalf("added file: %q %v", b, err)
		}
	})
}

// FuzzOpenISO: opening never panics and fails with typed errors, and every
// listed file reads with its size.
func FuzzOpenISO(f *testing.F) {
	f.Add(isoWithRecord(nil))
	ok := isoWithRecord(nil)
	dirRec(ok[18*2048+68:], 19, 5, 0, []byte("A.TXT;1"))
	f.Add(ok)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<20 {
			return
		}
		im, err := ramdisk.OpenISO(bytes.NewReader(in), int64(len(in)), nil)
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, fi := range im.Files() {
			if fi.Dir {
				continue
			}
			b, err := fs.ReadFile(im, fi.Path)
			if err != nil || int64(len(b)) != fi.Size {
				t.Fatalf("%s: %d of %d bytes, %v", fi.Path, len(b), fi.Size, err)
			}
		}
	})
}

// FuzzParseBootOptions: rendering gives the input back, and re-parsing the
// rendering gives the same tokens.
func FuzzParseBootOptions(f *testing.F) {
	for _, s := range []string{
		`/minint /fastdetect /rdexportascd /rdpath=\NETPE\NETPE.ISO`,
		"  /RDPATH=net(0)\\x.sdi\t/RDIMAGEOFFSET=4096 /rdoffset=8192 stray /= / ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		b, err := ramdisk.ParseBootOptions(in, nil)
		if err != nil {
			return
		}
		if b.String() != in {
			t.Fatalf("render %q != input %q", b.String(), in)
		}
		b2, err := ramdisk.ParseBootOptions(b.String(), nil)
		if err != nil || len(b2.Options()) != len(b.Options()) {
			t.Fatalf("re-parse differs: %v", err)
		}
		b.Normalize()
		b3, err := ramdisk.ParseBootOptions(b.String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range b3.Options() {
			if o.Legacy {
				t.Fatalf("legacy token after Normalize: %q", b.String())
			}
		}
		if b3.RAMDisk() != b.RAMDisk() {
			t.Fatalf("typed values change after Normalize: %+v vs %+v", b3.RAMDisk(), b.RAMDisk())
		}
	})
}
