package ramdisk_test

import (
	"bytes"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/ramdisk"
)

// makeSourceISO builds an El Torito ISO with xorriso: a BIOS no-emulation
// boot image (load size 4) and a UEFI FAT image, Rock Ridge and Joliet.
func makeSourceISO(t *testing.T, dir string, names ...string) (iso string, tree map[string][]byte) {
	t.Helper()
	xorriso := testutil.Tool(t, "xorriso")
	mkfs := testutil.Tool(t, "mkfs.fat")
	root := filepath.Join(dir, "tree")
	tree = map[string][]byte{
		"boot/etfsboot.com":             randBytes(20, 2048),
		"readme.txt":                    []byte("original readme\n"),
		"sources/boot.wim":              randBytes(21, 300_000),
		"Sources/Mixed Case Name.inf":   []byte("[Version]\n"),
		"deep/a/b/c/d/e/f/g/h/file.txt": []byte("deep"),
	}
	for p, b := range tree {
		full := filepath.Join(root, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, b, 0o644))
	}
	efi := filepath.Join(root, "efi", "boot", "efiboot.img")
	require.NoError(t, os.MkdirAll(filepath.Dir(efi), 0o755))
	testutil.Run(t, mkfs, "-C", efi, "1440")
	b, err := os.ReadFile(efi)
	require.NoError(t, err)
	tree["efi/boot/efiboot.img"] = b
	iso = filepath.Join(dir, "src.iso")
	args := append([]string{"-as", "mkisofs"}, names...)
	args = append(args, "-V", "WINPE_SRC", "-o", iso,
		"-b", "boot/etfsboot.com", "-no-emul-boot", "-boot-load-size", "4", "-c", "boot/boot.cat",
		"-eltorito-alt-boot", "-e", "efi/boot/efiboot.img", "-no-emul-boot", root)
	testutil.Run(t, xorriso, args...)
	return iso, tree
}

// elToritoReport returns xorriso's El Torito lines without the LBA column
// (positions change when files are added).
func elToritoReport(t *testing.T, iso string) []string {
	t.Helper()
	out := testutil.Run(t, testutil.Tool(t, "xorriso"), "-indev", iso, "-report_el_torito", "plain")
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		switch {
		case strings.HasPrefix(l, "El Torito boot img"):
			lines = append(lines, strings.Join(f[:len(f)-1], " "))
		case strings.HasPrefix(l, "El Torito img path"), strings.HasPrefix(l, "El Torito cat path"), strings.HasPrefix(l, "El Torito images"):
			lines = append(lines, strings.Join(f, " "))
		}
	}
	return lines
}

// TestISORebuild is acceptance point 4, with Rock Ridge and Joliet names,
// and with Joliet names only (as on Windows ISOs).
func TestISORebuild(t *testing.T) {
	for _, names := range [][]string{{"-R", "-J"}, {"--norock", "-J"}} {
		t.Run(strings.Join(names, " "), func(t *testing.T) { testISORebuild(t, names) })
	}
}

func testISORebuild(t *testing.T, names []string) {
	sevenZip := testutil.Tool(t, "7zz")
	dir := t.TempDir()
	src, tree := makeSourceISO(t, dir, names...)
	srcReport := elToritoReport(t, src)
	require.Len(t, srcReport, 6, "%v", srcReport)

	im, err := ramdisk.OpenISOFile(src, nil)
	require.NoError(t, err)
	defer im.Close()
	assert.Equal(t, names[0] == "-R", im.RockRidge)
	assert.True(t, im.Joliet)
	assert.Equal(t, "WINPE_SRC", im.VolumeID)
	assert.Equal(t, "boot/boot.cat", im.BootCatalog)
	require.Len(t, im.Boot, 2)
	assert.Equal(t, ramdisk.BootEntry{Platform: ramdisk.PlatformBIOS, Bootable: true, Emulation: ramdisk.EmulationNone, LoadSectors: 4, LBA: im.Boot[0].LBA, Path: "boot/etfsboot.com"}, im.Boot[0])
	assert.Equal(t, ramdisk.PlatformEFI, im.Boot[1].Platform)
	assert.Equal(t, "efi/boot/efiboot.img", im.Boot[1].Path)
	for p, want := range tree {
		got, err := fs.ReadFile(im, p)
		require.NoError(t, err, p)
		assert.True(t, bytes.Equal(want, got), "read %s", p)
	}

	changed := []byte("the readme, changed\n")
	added := randBytes(22, 123_457)
	require.NoError(t, im.ReplaceFile("readme.txt", bytes.NewReader(changed), int64(len(changed))))
	require.NoError(t, im.AddFile("drivers/viostor/viostor.sys", bytes.NewReader(added), int64(len(added))))
	out := filepath.Join(dir, "new.iso")
	var last [2]int64
	require.NoError(t, im.Save(out, &ramdisk.WriteOptions{Progress: func(d, tot int64) {
		require.Greater(t, d, last[0])
		last = [2]int64{d, tot}
	}}))
	fi, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, [2]int64{fi.Size(), fi.Size()}, last, "progress ends at the total")
	assert.Zero(t, fi.Size()%2048)

	assert.Equal(t, srcReport, elToritoReport(t, out), "same boot entries")
	vd := make([]byte, 2048)
	f, err := os.Open(out)
	require.NoError(t, err)
	_, err = f.ReadAt(vd, 17*2048)
	f.Close()
	require.NoError(t, err)
	assert.Equal(t, "\x00CD001\x01EL TORITO SPECIFICATION", string(vd[:30]), "boot record at sector 17")

	tree["readme.txt"] = changed
	tree["drivers/viostor/viostor.sys"] = added
	listing := testutil.Run(t, sevenZip, "l", "-slt", out)
	for p, want := range tree {
		assert.Contains(t, listing, "Path = "+filepath.FromSlash(p)+"\n", "7zz lists %s", p)
		_ = want
	}
	xdir := filepath.Join(dir, "x")
	testutil.Run(t, sevenZip, "x", "-o"+xdir, out)
	for p, want := range tree {
		got, err := os.ReadFile(filepath.Join(xdir, filepath.FromSlash(p)))
		require.NoError(t, err, "7zz extracted %s", p)
		assert.True(t, bytes.Equal(want, got), "7zz content of %s", p)
	}

	// And our own reader on our output.
	again, err := ramdisk.OpenISOFile(out, nil)
	require.NoError(t, err)
	defer again.Close()
	for p, want := range tree {
		got, err := fs.ReadFile(again, p)
		require.NoError(t, err, p)
		assert.True(t, bytes.Equal(want, got), "re-read %s", p)
	}
	assert.Equal(t, im.ElToritoReport(), again.ElToritoReport())
}

// TestISOFromScratch gives the boot entries as the caller.
func TestISOFromScratch(t *testing.T) {
	dir := t.TempDir()
	im := ramdisk.NewISO("SCRATCH")
	bootImg := randBytes(30, 4096)
	require.NoError(t, im.AddFile("boot/loader.bin", bytes.NewReader(bootImg), int64(len(bootImg))))
	require.NoError(t, im.AddFile("sources/boot.wim", bytes.NewReader(randBytes(31, 5000)), 5000))
	require.ErrorIs(t, im.AddFile("sources/boot.wim", bytes.NewReader(nil), 0), ramdisk.ErrExist)
	im.Boot = []ramdisk.BootEntry{{Platform: ramdisk.PlatformBIOS, Bootable: true, LoadSectors: 8, Path: "boot/loader.bin"}}
	out := filepath.Join(dir, "s.iso")
	require.NoError(t, im.Save(out, nil))
	rep := elToritoReport(t, out)
	require.Len(t, rep, 3, "%v", rep)
	assert.Equal(t, "El Torito boot img : 1 BIOS y none 0x0000 0x00 8", rep[1])
	assert.Equal(t, "El Torito img path : 1 /boot/loader.bin", rep[2])

	im.Boot[0].Path = "missing"
	require.ErrorIs(t, im.Save(out, nil), ramdisk.ErrNotFound)
	noTempFiles(t, dir, "s.iso")
}

func TestISOSaveFailureKeepsOriginal(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "s.iso")
	im := ramdisk.NewISO("X")
	require.NoError(t, im.AddFile("a.txt", bytes.NewReader(randBytes(32, 100_000)), 100_000))
	require.NoError(t, os.WriteFile(out, []byte("original"), 0o644))
	// Write builds the image in a workspace under TMPDIR: it must go too.
	scratch := t.TempDir()
	t.Setenv("TMPDIR", scratch)
	for _, after := range []int64{0, 10_000, 50_000} {
		restore := atomicfile.FailAfter(after)
		err := im.Save(out, nil)
		restore()
		require.ErrorIs(t, err, atomicfile.ErrInjected)
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.Equal(t, "original", string(got))
		noTempFiles(t, dir, "s.iso")
		noTempFiles(t, scratch)
	}
}

// isoWithRecord builds a minimal ISO (PVD at 16, terminator at 17, root
// directory at 18) whose root holds the given extra record bytes.
func isoWithRecord(extra []byte) []byte {
	b := make([]byte, 20*2048)
	pvd := b[16*2048:]
	pvd[0] = 1
	copy(pvd[1:], "CD001")
	pvd[6] = 1
	binary.LittleEndian.PutUint16(pvd[128:], 2048)
	binary.LittleEndian.PutUint32(pvd[80:], 20)
	dirRec(pvd[156:], 18, 2048, 2, []byte{0})
	term := b[17*2048:]
	term[0] = 255
	copy(term[1:], "CD001")
	root := b[18*2048:]
	n := dirRec(root, 18, 2048, 2, []byte{0})
	n += dirRec(root[n:], 18, 2048, 2, []byte{1})
	copy(root[n:], extra)
	return b
}

func dirRec(b []byte, lba, size uint32, flags byte, name []byte) int {
	l := 33 + len(name)
	if l%2 != 0 {
		l++
	}
	b[0] = byte(l)
	binary.LittleEndian.PutUint32(b[2:], lba)
	binary.BigEndian.PutUint32(b[6:], lba)
	binary.LittleEndian.PutUint32(b[10:], size)
	binary.BigEndian.PutUint32(b[14:], size)
	b[25] = flags
	b[32] = byte(len(name))
	copy(b[33:], name)
	return l
}

func TestISOHostile(t *testing.T) {
	rec := func(lba, size uint32, flags byte, name string) []byte {
		b := make([]byte, 64)
		n := dirRec(b, lba, size, flags, []byte(name))
		return b[:n]
	}
	ok := isoWithRecord(rec(19, 5, 0, "A.TXT;1"))
	copy(ok[19*2048:], "hello")
	im, err := ramdisk.OpenISO(bytes.NewReader(ok), int64(len(ok)), nil)
	require.NoError(t, err)
	got, err := fs.ReadFile(im, "A.TXT")
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got))

	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ramdisk.ErrFormat},
		{"no CD001", messWith(ok, func(b []byte) { b[16*2048+1] = 'X' }), ramdisk.ErrFormat},
		{"no terminator", messWith(ok, func(b []byte) { b[17*2048] = 3 }), ramdisk.ErrFormat},
		{"file outside", isoWithRecord(rec(19, 1<<30, 0, "A.TXT;1")), ramdisk.ErrFormat},
		{"record too long", isoWithRecord([]byte{200, 0}), ramdisk.ErrFormat},
		{"record too short", isoWithRecord([]byte{20, 0}), ramdisk.ErrFormat},
		{"name past record", isoWithRecord(messWith(rec(19, 1, 0, "AB"), func(b []byte) { b[32] = 60 })), ramdisk.ErrFormat},
		{"dot dot name", isoWithRecord(rec(19, 1, 0, "..")), ramdisk.ErrFormat},
		{"slash name", isoWithRecord(rec(19, 1, 0, "a/b")), ramdisk.ErrFormat},
		{"directory cycle", isoWithRecord(rec(18, 2048, 2, "LOOP")), ramdisk.ErrFormat},
		{"huge directory", isoWithRecord(rec(19, 1<<31, 2, "BIG")), ramdisk.ErrFormat},
		{"duplicate name", isoWithRecord(append(rec(19, 1, 0, "A"), rec(19, 1, 0, "A")...)), ramdisk.ErrFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			n := testutil.Allocated(func() { _, err = ramdisk.OpenISO(bytes.NewReader(c.in), int64(len(c.in)), nil) })
			assert.LessOrEqual(t, n, uint64(maxHostileAlloc))
			require.ErrorIs(t, err, c.want)
		})
	}
	_, err = ramdisk.OpenISO(bytes.NewReader(ok), int64(len(ok)), &ramdisk.OpenOptions{Limits: ramdisk.Limits{MaxDirSize: 100}})
	require.ErrorIs(t, err, ramdisk.ErrLimit)
}

// A BIOS boot image and catalog hidden from the tree (as oscdimg does for
// Windows ISOs) are carried over as hidden data.
func TestISOHiddenBootImage(t *testing.T) {
	sevenZip := testutil.Tool(t, "7zz")
	dir := t.TempDir()
	src, tree := makeSourceISO(t, dir, "-R", "-J", "-hide", "etfsboot.com", "-hide-joliet", "etfsboot.com",
		"-hide", "boot.cat", "-hide-joliet", "boot.cat")
	im, err := ramdisk.OpenISOFile(src, nil)
	require.NoError(t, err)
	defer im.Close()
	require.Len(t, im.Boot, 2)
	assert.Equal(t, "", im.Boot[0].Path, "hidden image")
	assert.Equal(t, "", im.BootCatalog, "hidden catalog")
	_, err = fs.Stat(im, "boot/etfsboot.com")
	require.ErrorIs(t, err, fs.ErrNotExist)
	out := filepath.Join(dir, "new.iso")
	require.NoError(t, im.Save(out, nil))
	imgLines := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			if strings.HasPrefix(l, "El Torito boot img") {
				out = append(out, l)
			}
		}
		return out
	}
	assert.Equal(t, imgLines(elToritoReport(t, src)), imgLines(elToritoReport(t, out)))
	xdir := filepath.Join(dir, "x")
	testutil.Run(t, sevenZip, "x", "-o"+xdir, out)
	got, err := os.ReadFile(filepath.Join(xdir, "[BOOT]", "1-Boot-NoEmul.img"))
	require.NoError(t, err)
	assert.Equal(t, tree["boot/etfsboot.com"], got, "BIOS boot image carried over")
	_, err = os.Stat(filepath.Join(xdir, "boot", "etfsboot.com"))
	require.ErrorIs(t, err, fs.ErrNotExist, "still hidden")
}
