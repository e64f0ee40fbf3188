package ramdisk_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/ramdisk"
)

const syslinuxMBR = "/usr/lib/syslinux/mbr/mbr.bin"

func readMBRBin(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(testutil.SystemFile(t, syslinuxMBR))
	require.NoError(t, err)
	require.Len(t, b, 440)
	return b
}

func fixedTime() time.Time { return time.Date(2025, 3, 4, 5, 6, 8, 0, time.Local) }

// TestWinPEImage is acceptance points 2 and 3: a 64 MiB image with the
// WinPE files and syslinux's mbr.bin passes mdir, mcopy, fsck.fat and the
// CHS/BPB checks; so it does after boot.wim is replaced by a bigger and then
// a smaller file, with the other files unchanged and mbr.bin kept.
func TestWinPEImage(t *testing.T) {
	mbrBin := readMBRBin(t)
	files := winPEFiles(t)
	d, err := ramdisk.BuildDisk(toFiles(files), &ramdisk.DiskOptions{Size: 64 << 20, MBRCode: mbrBin, ModTime: fixedTime()})
	require.NoError(t, err)
	assert.Equal(t, ramdisk.FAT32, d.BPB().Type)
	assert.Equal(t, int64(64<<20), d.Size())
	img := filepath.Join(t.TempDir(), "winpe.dd")
	require.NoError(t, d.Save(img, nil))
	checkDisk(t, img, files, mbrBin)
	vbr := readEntry1(t, img).vbr

	for i, size := range []int{3<<20 + 12345, 10_000} {
		t.Run("replace boot.wim with "+strconv.Itoa(size)+" bytes", func(t *testing.T) {
			e, err := ramdisk.OpenDiskFile(img, nil)
			require.NoError(t, err)
			assert.Empty(t, e.Warnings)
			wim := randBytes(uint64(100+i), size)
			require.NoError(t, e.ReplaceFile("sources/boot.wim", bytes.NewReader(wim), int64(len(wim))))
			require.NoError(t, e.Save(img, nil))
			require.NoError(t, e.Close())
			files["sources/boot.wim"] = wim
			checkDisk(t, img, files, mbrBin)
			assert.Equal(t, "", testutil.HexDiff(vbr, readEntry1(t, img).vbr), "boot sector unchanged by the edit")
			// And through our own reader.
			e, err = ramdisk.OpenDiskFile(img, nil)
			require.NoError(t, err)
			defer e.Close()
			for p, want := range files {
				got, err := fs.ReadFile(e, p)
				require.NoError(t, err)
				assert.True(t, bytes.Equal(want, got), "%s via OpenDisk", p)
			}
		})
	}
}

// TestBuildVariants builds images with other sizes, layouts and FAT types
// and runs the same interop checks.
func TestBuildVariants(t *testing.T) {
	small := map[string][]byte{
		"bootmgr":   randBytes(2, 70_000),
		"Boot/BCD":  randBytes(3, 16_384),
		"empty.txt": nil,
		"EFI/Microsoft/Boot/A long file name.txt": []byte("long name"),
		"a+b.txt":                     []byte("plus"),
		"a_b.txt":                     []byte("underscore"),
		"Deep/er/and/deeper/file.bin": randBytes(4, 5000),
	}
	cases := []struct {
		name string
		opts ramdisk.DiskOptions
		want ramdisk.FATType
	}{
		{"auto size", ramdisk.DiskOptions{}, ramdisk.FAT16},
		{"16 MiB FAT16", ramdisk.DiskOptions{Size: 16 << 20}, ramdisk.FAT16},
		{"48 MiB FAT32", ramdisk.DiskOptions{Size: 48 << 20}, ramdisk.FAT32},
		{"48 MiB forced FAT16", ramdisk.DiskOptions{Size: 48 << 20, FAT: ramdisk.FAT16}, ramdisk.FAT16},
		{"classic 63-sector gap, 255/63", ramdisk.DiskOptions{Size: 40 << 20, PartitionStart: 63, Geometry: ramdisk.Geometry{Heads: 255, SectorsPerTrack: 63}}, ramdisk.FAT32},
		{"odd size", ramdisk.DiskOptions{Size: 20<<20 + 512*77}, ramdisk.FAT16},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.ModTime = fixedTime()
			d, err := ramdisk.BuildDisk(toFiles(small), &c.opts)
			require.NoError(t, err)
			assert.Equal(t, c.want, d.BPB().Type)
			img := filepath.Join(t.TempDir(), "x.img")
			require.NoError(t, d.Save(img, nil))
			checkDisk(t, img, small, nil)
			if c.opts.Size == 0 {
				g := ramdisk.DefaultGeometry(d.Size() / 512)
				assert.Zero(t, d.Size()%(int64(g.Heads)*int64(g.SectorsPerTrack)*512), "auto size is whole cylinders")
				assert.Less(t, d.Size(), int64(16<<20), "auto size is small")
			}
			if c.opts.PartitionStart == 63 {
				off, err := ramdisk.ImageOffsetFromDisk(d, d.Size())
				require.NoError(t, err)
				assert.Equal(t, uint64(32256), off)
				assert.Equal(t, uint64(32256), d.ImageOffset())
			}
		})
	}
}

// A DiskImage is an io.ReaderAt over its current bytes for helpers like
// ImageOffsetFromDisk.
func TestDiskReaderAt(t *testing.T) {
	d, err := ramdisk.BuildDisk([]ramdisk.File{ramdisk.FileBytes("a.txt", []byte("hello"))}, &ramdisk.DiskOptions{Size: 8 << 20})
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = d.WriteTo(&buf)
	require.NoError(t, err)
	got := make([]byte, 4096)
	n, err := d.ReadAt(got, 1<<20)
	require.NoError(t, err)
	assert.Equal(t, buf.Bytes()[1<<20:1<<20+n], got)
}

func TestUneditedOpenIsLossless(t *testing.T) {
	d, err := ramdisk.BuildDisk(toFiles(map[string][]byte{"x/y.txt": []byte("y")}), &ramdisk.DiskOptions{Size: 12 << 20, ModTime: fixedTime()})
	require.NoError(t, err)
	var a bytes.Buffer
	_, err = d.WriteTo(&a)
	require.NoError(t, err)
	// Scribble into unused space so "lossless" means more than zeros.
	raw := a.Bytes()
	copy(raw[10<<20:], "not part of any file")
	e, err := ramdisk.OpenDisk(bytes.NewReader(raw), int64(len(raw)), nil)
	require.NoError(t, err)
	var b bytes.Buffer
	_, err = e.WriteTo(&b)
	require.NoError(t, err)
	assert.Equal(t, "", testutil.HexDiff(raw, b.Bytes()))
}

func TestDeterministicBuild(t *testing.T) {
	build := func() []byte {
		d, err := ramdisk.BuildDisk(toFiles(map[string][]byte{"a/b.txt": []byte("b"), "c": nil}), &ramdisk.DiskOptions{Size: 10 << 20, ModTime: fixedTime()})
		require.NoError(t, err)
		var buf bytes.Buffer
		_, err = d.WriteTo(&buf)
		require.NoError(t, err)
		return buf.Bytes()
	}
	assert.Equal(t, "", testutil.HexDiff(build(), build()))
}

func TestEditsKeepBootCode(t *testing.T) {
	mbrBin := readMBRBin(t)
	vbrCode := bytes.Repeat([]byte{0x90}, 400)
	vbrCode[0] = 0xFA
	d, err := ramdisk.BuildDisk(toFiles(map[string][]byte{"bootmgr": []byte("x")}), &ramdisk.DiskOptions{Size: 40 << 20, MBRCode: mbrBin, VBRCode: vbrCode})
	require.NoError(t, err)
	img := filepath.Join(t.TempDir(), "a.img")
	require.NoError(t, d.Save(img, nil))
	e := readEntry1(t, img)
	require.True(t, e.fat32)
	assert.Equal(t, vbrCode, e.vbr[0x5A:0x5A+len(vbrCode)])
	assert.Equal(t, []byte{0xEB, 0x58, 0x90}, e.vbr[:3])

	o, err := ramdisk.OpenDiskFile(img, nil)
	require.NoError(t, err)
	require.NoError(t, o.AddFile("new/file.bin", bytes.NewReader(randBytes(9, 100_000)), 100_000))
	require.NoError(t, o.Remove("bootmgr"))
	require.NoError(t, o.Mkdir("Empty/Dir"))
	require.NoError(t, o.Save(img, nil))
	require.NoError(t, o.Close())
	e2 := readEntry1(t, img)
	assert.Equal(t, mbrBin, e2.bootCode)
	assert.Equal(t, e.vbr, e2.vbr, "primary boot sector unchanged")
	assert.Equal(t, e.backupVBR, e2.backupVBR, "backup boot sector unchanged")
	checkDisk(t, img, map[string][]byte{"new/file.bin": randBytes(9, 100_000)}, mbrBin)
}

// Removing files gives their clusters back (go-diskfs alone leaks them).
func TestRemoveFreesSpace(t *testing.T) {
	d, err := ramdisk.BuildDisk(nil, &ramdisk.DiskOptions{Size: 20 << 20})
	require.NoError(t, err)
	free := d.FreeBytes()
	require.NoError(t, d.AddFile("a/b/c.bin", bytes.NewReader(randBytes(5, 1<<20)), 1<<20))
	assert.Less(t, d.FreeBytes(), free-1<<20+1)
	require.NoError(t, d.Remove("a/b/c.bin"))
	require.NoError(t, d.Remove("a/b"))
	require.NoError(t, d.Remove("a"))
	assert.Equal(t, free, d.FreeBytes())
	var names []string
	files, err := d.Files()
	require.NoError(t, err)
	for _, f := range files {
		names = append(names, f.Path)
	}
	assert.Empty(t, names)
}

func TestDiskErrors(t *testing.T) {
	d, err := ramdisk.BuildDisk(toFiles(map[string][]byte{"dir/file": []byte("x")}), &ramdisk.DiskOptions{Size: 10 << 20})
	require.NoError(t, err)
	cases := []struct {
		name string
		op   func() error
		want error
	}{
		{"add existing", func() error { return d.AddFile("DIR/FILE", bytes.NewReader(nil), 0) }, ramdisk.ErrExist},
		{"add over dir", func() error { return d.AddFile("dir", bytes.NewReader(nil), 0) }, ramdisk.ErrExist},
		{"file as dir", func() error { return d.AddFile("dir/file/x", bytes.NewReader(nil), 0) }, ramdisk.ErrExist},
		{"replace missing", func() error { return d.ReplaceFile("nope", bytes.NewReader(nil), 0) }, ramdisk.ErrNotFound},
		{"remove missing", func() error { return d.Remove("nope") }, ramdisk.ErrNotFound},
		{"remove non-empty dir", func() error { return d.Remove("dir") }, ramdisk.ErrInvalidArgument},
		{"bad char", func() error { return d.AddFile("a?b", bytes.NewReader(nil), 0) }, ramdisk.ErrInvalidArgument},
		{"dot dot", func() error { return d.AddFile("../x", bytes.NewReader(nil), 0) }, ramdisk.ErrInvalidArgument},
		{"trailing dot", func() error { return d.AddFile("x.", bytes.NewReader(nil), 0) }, ramdisk.ErrInvalidArgument},
		{"leading dot", func() error { return d.AddFile(".hidden", bytes.NewReader(nil), 0) }, ramdisk.ErrUnsupported},
		{"non-ASCII", func() error { return d.AddFile("grüße.txt", bytes.NewReader(nil), 0) }, ramdisk.ErrUnsupported},
		{"too big for FAT", func() error { return d.AddFile("big", bytes.NewReader(nil), 1<<32) }, ramdisk.ErrInvalidArgument},
		{"no space", func() error { return d.AddFile("big", bytes.NewReader(make([]byte, 20<<20)), 20<<20) }, ramdisk.ErrNoSpace},
		{"empty path", func() error { return d.AddFile("/", bytes.NewReader(nil), 0) }, ramdisk.ErrInvalidArgument},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.ErrorIs(t, c.op(), c.want)
		})
	}
	var pe *ramdisk.PathError
	require.ErrorAs(t, d.Remove("nope"), &pe)
	assert.Equal(t, "remove", pe.Op)

	_, err = ramdisk.BuildDisk(toFiles(map[string][]byte{"big": make([]byte, 9<<20)}), &ramdisk.DiskOptions{Size: 8 << 20})
	require.ErrorIs(t, err, ramdisk.ErrNoSpace)
	_, err = ramdisk.BuildDisk(nil, &ramdisk.DiskOptions{Size: 2 << 20})
	require.ErrorIs(t, err, ramdisk.ErrNoSpace)
	_, err = ramdisk.BuildDisk(nil, &ramdisk.DiskOptions{Size: 20 << 20, FAT: ramdisk.FAT32})
	require.ErrorIs(t, err, ramdisk.ErrNoSpace, "too few clusters for FAT32")
	_, err = ramdisk.BuildDisk(nil, &ramdisk.DiskOptions{Size: 1000})
	require.ErrorIs(t, err, ramdisk.ErrInvalidArgument)
	_, err = ramdisk.BuildDisk(nil, &ramdisk.DiskOptions{MBRCode: make([]byte, 441)})
	require.ErrorIs(t, err, ramdisk.ErrInvalidArgument)
	_, err = ramdisk.BuildDisk(toFiles(map[string][]byte{"a": nil, "A": nil}), nil)
	require.ErrorIs(t, err, ramdisk.ErrExist)
	_, err = ramdisk.BuildDisk(nil, &ramdisk.DiskOptions{Label: "this label is too long"})
	require.ErrorIs(t, err, ramdisk.ErrInvalidArgument)
}

// TestProgress is acceptance point 5's callback part: values increase
// monotonically and end at the total.
func TestProgress(t *testing.T) {
	d, err := ramdisk.BuildDisk(toFiles(map[string][]byte{"big.bin": randBytes(6, 3<<20+5)}), &ramdisk.DiskOptions{Size: 9<<20 + 512})
	require.NoError(t, err)
	var calls [][2]int64
	n, err := d.Write(io.Discard, &ramdisk.WriteOptions{Progress: func(done, total int64) { calls = append(calls, [2]int64{done, total}) }})
	require.NoError(t, err)
	require.NotEmpty(t, calls)
	for i, c := range calls {
		assert.Equal(t, d.Size(), c[1], "total")
		if i > 0 {
			assert.Greater(t, c[0], calls[i-1][0], "monotonic")
		}
	}
	assert.Equal(t, d.Size(), calls[len(calls)-1][0], "ends at the total")
	assert.Equal(t, d.Size(), n)
	assert.Greater(t, len(calls), 5)
}

// Save goes through atomicfile: a failure part-way leaves the original file
// byte-identical and no temporary file behind.
func TestSaveFailureKeepsOriginal(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "a.img")
	d, err := ramdisk.BuildDisk(toFiles(map[string][]byte{"a": []byte("first")}), &ramdisk.DiskOptions{Size: 10 << 20})
	require.NoError(t, err)
	require.NoError(t, d.Save(img, nil))
	orig, err := os.ReadFile(img)
	require.NoError(t, err)

	o, err := ramdisk.OpenDiskFile(img, nil)
	require.NoError(t, err)
	defer o.Close()
	require.NoError(t, o.ReplaceFile("a", bytes.NewReader(randBytes(7, 2<<20)), 2<<20))
	restore := atomicfile.FailAfter(3 << 20)
	err = o.Save(img, nil)
	restore()
	require.ErrorIs(t, err, atomicfile.ErrInjected)
	got, err := os.ReadFile(img)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(orig, got), "original unchanged")
	noTempFiles(t, dir, "a.img")
	// The same edit then saves fine.
	require.NoError(t, o.Save(img, nil))
}

func TestDiskFS(t *testing.T) {
	files := map[string][]byte{"bootmgr": []byte("b"), "Boot/BCD": []byte("bcd"), "Boot/Fonts/x.ttf": []byte("f"), "zero": nil}
	d, err := ramdisk.BuildDisk(toFiles(files), &ramdisk.DiskOptions{Size: 10 << 20})
	require.NoError(t, err)
	require.NoError(t, fstest.TestFS(d, "bootmgr", "Boot/BCD", "Boot/Fonts/x.ttf", "zero"))
	fi, err := fs.Stat(d, "boot/bcd")
	require.NoError(t, err, "names match case-insensitively")
	assert.Equal(t, int64(3), fi.Size())
	_, err = d.Open("missing")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// Images made by the real tools open, read and edit cleanly: mkfs.fat
// without a partition table (like wimlib's mkwinpeimg) and mformat on a
// partition.
func TestOpenToolImages(t *testing.T) {
	mkfs := testutil.Tool(t, "mkfs.fat")
	mcopy := testutil.Tool(t, "mcopy")
	mmd := testutil.Tool(t, "mmd")
	fsck := testutil.Tool(t, "fsck.fat")
	dir := t.TempDir()
	img := filepath.Join(dir, "super.img")
	testutil.Run(t, mkfs, "-C", "-F", "32", img, "40960")
	src := filepath.Join(dir, "hello.txt")
	require.NoError(t, os.WriteFile(src, []byte("hello from mcopy"), 0o644))
	testutil.Run(t, mmd, "-i", img, "::/Boot")
	testutil.Run(t, mcopy, "-i", img, src, "::/Boot/hello.txt")

	d, err := ramdisk.OpenDiskFile(img, nil)
	require.NoError(t, err)
	assert.Equal(t, uint64(0), d.ImageOffset())
	got, err := fs.ReadFile(d, "Boot/hello.txt")
	require.NoError(t, err)
	assert.Equal(t, "hello from mcopy", string(got))
	require.NoError(t, d.AddFile("sources/boot.wim", bytes.NewReader(randBytes(8, 777_777)), 777_777))
	require.NoError(t, d.ReplaceFile("Boot/hello.txt", bytes.NewReader([]byte("replaced")), 8))
	require.NoError(t, d.Save(img, nil))
	require.NoError(t, d.Close())
	sout, serr, err := testutil.RunErr(fsck, "-n", img)
	require.NoError(t, err, "fsck.fat -n:\n%s%s", sout, serr)
	out := filepath.Join(dir, "out.wim")
	testutil.Run(t, mcopy, "-n", "-i", img, "::/sources/boot.wim", out)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(randBytes(8, 777_777), b))
}

// TestNTFSRefused: an NTFS partition (type 7 with an NTFS boot sector) and
// an unpartitioned NTFS image are refused with ErrNTFS.
func TestNTFSRefused(t *testing.T) {
	ntfs := make([]byte, 512)
	copy(ntfs, []byte{0xEB, 0x52, 0x90})
	copy(ntfs[3:], "NTFS    ")
	binary.LittleEndian.PutUint16(ntfs[11:], 512)
	ntfs[510], ntfs[511] = 0x55, 0xAA

	disk := make([]byte, 4<<20)
	e := disk[446:]
	e[0], e[4] = 0x80, 0x07
	binary.LittleEndian.PutUint32(e[8:], 2048)
	binary.LittleEndian.PutUint32(e[12:], 4096)
	disk[510], disk[511] = 0x55, 0xAA
	copy(disk[2048*512:], ntfs)
	_, err := ramdisk.OpenDisk(bytes.NewReader(disk), int64(len(disk)), nil)
	require.ErrorIs(t, err, ramdisk.ErrNTFS)
	require.ErrorIs(t, err, ramdisk.ErrUnsupported)
	var fe *ramdisk.FormatError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, int64(2048*512+3), fe.Offset)

	super := make([]byte, 1<<20)
	copy(super, ntfs)
	_, err = ramdisk.OpenDisk(bytes.NewReader(super), int64(len(super)), nil)
	require.ErrorIs(t, err, ramdisk.ErrNTFS)
}

func TestSaveOverSourceAfterManyEdits(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "a.img")
	d, err := ramdisk.BuildDisk(nil, &ramdisk.DiskOptions{Size: 24 << 20})
	require.NoError(t, err)
	require.NoError(t, d.Save(img, nil))
	want := map[string][]byte{}
	for round := range 3 {
		o, err := ramdisk.OpenDiskFile(img, nil)
		require.NoError(t, err)
		for i := range 20 {
			p := "d" + strconv.Itoa(i%4) + "/f" + strconv.Itoa(i) + ".bin"
			b := randBytes(uint64(round*100+i), (i+1)*997)
			if _, ok := want[p]; ok {
				require.NoError(t, o.ReplaceFile(p, bytes.NewReader(b), int64(len(b))))
			} else {
				require.NoError(t, o.AddFile(p, bytes.NewReader(b), int64(len(b))))
			}
			want[p] = b
		}
		if round == 1 {
			for i := 0; i < 20; i += 3 {
				p := "d" + strconv.Itoa(i%4) + "/f" + strconv.Itoa(i) + ".bin"
				require.NoError(t, o.Remove(p))
				delete(want, p)
			}
		}
		require.NoError(t, o.Save(img, nil))
		require.NoError(t, o.Close())
	}
	checkDisk(t, img, want, nil)
	require.NotEmpty(t, want)
}

// A replace that does not fit fails before the old file is removed.
func TestReplaceNoSpaceKeepsFile(t *testing.T) {
	d, err := ramdisk.BuildDisk(toFiles(map[string][]byte{"a.bin": randBytes(70, 1<<20)}), &ramdisk.DiskOptions{Size: 8 << 20})
	require.NoError(t, err)
	err = d.ReplaceFile("a.bin", bytes.NewReader(make([]byte, 9<<20)), 9<<20)
	require.ErrorIs(t, err, ramdisk.ErrNoSpace)
	got, err := fs.ReadFile(d, "a.bin")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(randBytes(70, 1<<20), got))
	// Replacing with a file that only fits once the old one is gone works.
	free := d.FreeBytes()
	big := randBytes(71, int(free)+512<<10)
	require.NoError(t, d.ReplaceFile("a.bin", bytes.NewReader(big), int64(len(big))))
	got, err = fs.ReadFile(d, "a.bin")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(big, got))
}

// An edit that go-diskfs fails part-way is rolled back: the image writes
// the same bytes as before the call and stays editable.
func TestFailedEditRollsBack(t *testing.T) {
	build := func() *ramdisk.DiskImage {
		d, err := ramdisk.BuildDisk(toFiles(map[string][]byte{"a/b.txt": []byte("b")}), &ramdisk.DiskOptions{Size: 10 << 20, ModTime: fixedTime()})
		require.NoError(t, err)
		return d
	}
	image := func(d *ramdisk.DiskImage) []byte {
		var buf bytes.Buffer
		_, err := d.WriteTo(&buf)
		require.NoError(t, err)
		return buf.Bytes()
	}
	name := func(i int) string { return fmt.Sprintf("a long file name number %03d.txt", i) }
	// The FAT16 root directory holds 512 entries and each long name takes
	// four: find the add that go-diskfs fails (after allocating a cluster).
	d := build()
	n := -1
	for i := range 400 {
		if err := d.AddFile(name(i), bytes.NewReader([]byte("x")), 1); err != nil {
			n = i
			break
		}
	}
	require.Positive(t, n, "the root directory fills up")

	d = build()
	for i := range n {
		require.NoError(t, d.AddFile(name(i), bytes.NewReader([]byte("x")), 1))
	}
	before := image(d)
	require.Error(t, d.AddFile(name(n), bytes.NewReader([]byte("x")), 1))
	assert.Equal(t, "", testutil.HexDiff(before, image(d)), "rolled back")
	require.NoError(t, d.Remove("a/b.txt"))
	require.NoError(t, d.AddFile("a/c.txt", bytes.NewReader([]byte("c")), 1))
	got, err := fs.ReadFile(d, "a/c.txt")
	require.NoError(t, err)
	assert.Equal(t, "c", string(got))
}

// OpenDiskFile and OpenISOFile report a missing file and a file that is not
// an image, and Close may be called twice.
func TestOpenFileErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.img")
	require.NoError(t, os.WriteFile(junk, bytes.Repeat([]byte{0xF6}, 64<<10), 0o644))
	d, err := ramdisk.BuildDisk(nil, &ramdisk.DiskOptions{Size: 8 << 20})
	require.NoError(t, err)
	disk := filepath.Join(dir, "disk.img")
	require.NoError(t, d.Save(disk, nil))
	iso := filepath.Join(dir, "x.iso")
	require.NoError(t, ramdisk.NewISO("X").Save(iso, nil))

	_, err = ramdisk.OpenDiskFile(filepath.Join(dir, "missing"), nil)
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = ramdisk.OpenISOFile(filepath.Join(dir, "missing"), nil)
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = ramdisk.OpenDiskFile(junk, nil)
	require.ErrorIs(t, err, ramdisk.ErrFormat)
	_, err = ramdisk.OpenISOFile(junk, nil)
	require.ErrorIs(t, err, ramdisk.ErrFormat)

	od, err := ramdisk.OpenDiskFile(disk, nil)
	require.NoError(t, err)
	require.NoError(t, od.Close())
	require.NoError(t, od.Close())
	oi, err := ramdisk.OpenISOFile(iso, nil)
	require.NoError(t, err)
	require.NoError(t, oi.Close())
	require.NoError(t, oi.Close())
}
