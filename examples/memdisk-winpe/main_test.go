package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/ramdisk"
	"github.com/winbootkit/winbootkit/wim"
)

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	require.NoError(t, run(args, &out, &errOut), "memdisk-winpe %s: %s", strings.Join(args, " "), errOut.String())
	return out.String()
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}

// mcopy extracts file p from the FAT partition at offset off of img with
// mtools, an implementation independent of ours.
func mcopy(t *testing.T, img string, off int64, p string) []byte {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(p))
	testutil.Run(t, testutil.Tool(t, "mcopy"), "-n", "-i", img+"@@"+strconv.FormatInt(off, 10), "::/"+p, dst)
	return readFile(t, dst)
}

// fsckPartition runs fsck.fat -n on the partition of img (which has no
// offset option), so it checks what we wrote with dosfstools' own rules.
func fsckPartition(t *testing.T, img string, off, size int64) {
	t.Helper()
	part := filepath.Join(t.TempDir(), "part.img")
	b := readFile(t, img)
	require.GreaterOrEqual(t, int64(len(b)), off+size)
	require.NoError(t, os.WriteFile(part, b[off:off+size], 0o644))
	out := testutil.Run(t, testutil.Tool(t, "fsck.fat"), "-n", part)
	// Only the version and the summary: no finding printed.
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 2, out)
}

// checkImage checks a built image through our packages and through mtools,
// dosfstools, hivexregedit and wimlib, and returns the BCD bytes mcopy read.
func checkImage(t *testing.T, img string, want map[string][]byte) []byte {
	t.Helper()
	d, err := ramdisk.OpenDiskFile(img, nil)
	require.NoError(t, err)
	defer d.Close()
	off, size := d.Partition().Offset(), d.Partition().Size()

	// Files: what we put in, read back by mtools and by our reader.
	for p, b := range want {
		assert.Equal(t, sum(b), sum(mcopy(t, img, off, p)), "mcopy %s", p)
		got, err := fs.ReadFile(d, p)
		require.NoError(t, err)
		assert.Equal(t, sum(b), sum(got), "ramdisk %s", p)
	}
	listing := testutil.Run(t, testutil.Tool(t, "mdir"), "-/", "-b", "-i", img+"@@"+strconv.FormatInt(off, 10), "::")
	for _, p := range []string{"::/bootmgr", "::/Boot/BCD", "::/Boot/boot.sdi", "::/sources/boot.wim"} {
		assert.Contains(t, strings.ToLower(listing), strings.ToLower(p)+"\n", "mdir -b")
	}
	fsckPartition(t, img, off, size)

	// The store: through hivexregedit, then through the bcd package.
	bcdBytes := mcopy(t, img, off, "Boot/BCD")
	bcdFile := filepath.Join(t.TempDir(), "BCD")
	require.NoError(t, os.WriteFile(bcdFile, bcdBytes, 0o644))
	reg := testutil.HivexExport(t, bcdFile)
	const rdo = `{ae5534e0-a924-466c-b836-758539a3ee3a}`
	assert.Equal(t, `sz:\Boot\boot.sdi`, reg[`\objects\`+rdo+`\elements\32000004`]["Element"])
	def := strings.TrimPrefix(reg[`\objects\{9dea862c-5cdd-4e70-acc1-f32b344d4795}\elements\23000003`]["Element"], "sz:")
	require.NotEmpty(t, def, "bootmgr default")
	devHex, ok := strings.CutPrefix(reg[`\objects\`+def+`\elements\11000001`]["Element"], "hex(3):")
	require.True(t, ok, "device element of %s", def)
	dev, err := bcd.DecodeDevice(testutil.RegHexBytes(t, devHex))
	require.NoError(t, err)
	assert.Equal(t, bcd.DeviceRamdisk, dev.Kind)
	assert.Equal(t, `\sources\boot.wim`, dev.Path)
	assert.Equal(t, bcd.DeviceBoot, dev.Parent.Kind)
	assert.Equal(t, bcd.RamdiskOptions, dev.Options)

	s, err := bcd.Parse(bcdBytes, nil)
	require.NoError(t, err)
	assert.Empty(t, s.Check())
	o, err := s.Lookup("{default}")
	require.NoError(t, err)
	v, err := o.Get(bcd.ElemWinPE)
	require.NoError(t, err)
	assert.Equal(t, bcd.Boolean(true), v)
	rd, err := s.Lookup("{ramdiskoptions}")
	require.NoError(t, err)
	v, err = rd.Get(bcd.ElemSDIDevice)
	require.NoError(t, err)
	assert.Equal(t, bcd.DeviceBoot, v.(*bcd.Device).Kind)

	// The WIM: wimlib reads the copy mtools extracted.
	wimFile := filepath.Join(t.TempDir(), "boot.wim")
	require.NoError(t, os.WriteFile(wimFile, mcopy(t, img, off, "sources/boot.wim"), 0o644))
	info := testutil.Run(t, testutil.Tool(t, "wimlib-imagex"), "info", wimFile)
	assert.Contains(t, info, "Boot Index:     1\n")
	return bcdBytes
}

// TestEmbeddedWIM: the embedded default WIM is valid for wimlib, and our
// reader agrees with it.
func TestEmbeddedWIM(t *testing.T) {
	p := filepath.Join(t.TempDir(), "boot.wim")
	require.NoError(t, os.WriteFile(p, defaultWIM, 0o644))
	wimlib := testutil.Tool(t, "wimlib-imagex")
	testutil.Run(t, wimlib, "verify", p)
	r, err := wim.NewReader(bytes.NewReader(defaultWIM), int64(len(defaultWIM)), nil)
	require.NoError(t, err)
	var ours bytes.Buffer
	require.NoError(t, r.WriteInfo(&ours, p, 0))
	assert.Equal(t, testutil.Run(t, wimlib, "info", p), ours.String())
}

// TestDefaults runs the command without arguments: ./out gets the image and
// the two menu files, and the image holds the stand-ins and a WinPE store.
func TestDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	stdout := runOK(t)
	entries, err := os.ReadDir("out")
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"winpe.dd", "winpe.ipxe", "winpe.pxelinux.cfg"}, names)

	bcdBytes := checkImage(t, filepath.Join("out", "winpe.dd"), map[string][]byte{
		"bootmgr":          []byte(standInBootmgr),
		"sources/boot.wim": defaultWIM,
	})
	// boot.sdi: an SDI whose PART blob is a FAT16 volume fsck.fat accepts.
	d, err := ramdisk.OpenDiskFile(filepath.Join("out", "winpe.dd"), nil)
	require.NoError(t, err)
	sdiBytes, err := fs.ReadFile(d, "Boot/boot.sdi")
	require.NoError(t, err)
	require.NoError(t, d.Close())
	sdi, err := ramdisk.ParseSDI(sdiBytes, nil)
	require.NoError(t, err)
	part := sdi.Blob(ramdisk.BlobPart)
	require.NotNil(t, part)
	assert.Equal(t, uint64(0x06), part.Base)
	assert.Equal(t, int64(0x2000), part.Offset)
	partFile := filepath.Join(t.TempDir(), "part.img")
	pb, err := io.ReadAll(part.Open())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(partFile, pb, 0o644))
	testutil.Run(t, testutil.Tool(t, "fsck.fat"), "-n", partFile)

	// The listing printed is the store's, as our Enum renders the copy
	// mtools read.
	s, err := bcd.Parse(bcdBytes, nil)
	require.NoError(t, err)
	var enum bytes.Buffer
	require.NoError(t, s.Enum(&enum, "all", nil))
	assert.True(t, strings.HasSuffix(stdout, "(bcdedit /enum all):\n"+enum.String()), stdout)
	assert.Contains(t, stdout, "does not boot")

	pxe := string(readFile(t, filepath.Join("out", "winpe.pxelinux.cfg")))
	assert.Contains(t, pxe, "DEFAULT winpe\n")
	assert.Contains(t, pxe, "\n  kernel memdisk\n  initrd winpe.dd\n  append harddisk raw\n")
	assert.Equal(t, "#!ipxe\nkernel memdisk harddisk raw\ninitrd winpe.dd\nboot\n", string(readFile(t, filepath.Join("out", "winpe.ipxe"))))
}

// captureWIM makes a WIM with wimlib-imagex capture from a directory holding
// one file of size random bytes.
func captureWIM(t *testing.T, name string, size int, extra ...string) (string, []byte) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	require.NoError(t, os.MkdirAll(filepath.Join(src, "Windows", "System32"), 0o755))
	data := make([]byte, size)
	_, _ = rand.Read(data)
	require.NoError(t, os.WriteFile(filepath.Join(src, "Windows", "System32", "payload.bin"), data, 0o644))
	p := filepath.Join(t.TempDir(), "boot.wim")
	args := append([]string{"capture", src, p, name}, extra...)
	testutil.Run(t, testutil.Tool(t, "wimlib-imagex"), args...)
	return p, readFile(t, p)
}

// realParts builds an input set from real tools: a WIM from wimlib-imagex,
// a boot.sdi around a FAT12 volume from mkfs.fat, a bootmgr stand-in of
// random bytes, syslinux's mbr.bin and a FAT16 boot sector from mkfs.fat.
type realParts struct {
	bootmgr, sdi, wim, mbr, vbr string
}

func makeRealParts(t *testing.T) realParts {
	t.Helper()
	dir := t.TempDir()
	var rp realParts
	rp.wim, _ = captureWIM(t, "WinPE test", 300_000, "--boot")

	part := filepath.Join(dir, "part.img")
	testutil.Run(t, testutil.Tool(t, "mkfs.fat"), "-C", part, "3072")
	pf, err := os.Open(part)
	require.NoError(t, err)
	defer pf.Close()
	fi, err := pf.Stat()
	require.NoError(t, err)
	sdi, err := ramdisk.NewBootSDI(pf, fi.Size(), nil)
	require.NoError(t, err)
	rp.sdi = filepath.Join(dir, "boot.sdi")
	require.NoError(t, sdi.Save(rp.sdi))

	bm := make([]byte, 50_000)
	_, _ = rand.Read(bm)
	copy(bm, "\xeb\x3c\x90stand-in bootmgr")
	rp.bootmgr = filepath.Join(dir, "bootmgr")
	require.NoError(t, os.WriteFile(rp.bootmgr, bm, 0o644))

	rp.mbr = testutil.SystemFile(t, "/usr/lib/syslinux/mbr/mbr.bin")
	vbrDisk := filepath.Join(dir, "vbr.img")
	testutil.Run(t, testutil.Tool(t, "mkfs.fat"), "-C", "-F", "16", "-s", "1", vbrDisk, "8192")
	rp.vbr = filepath.Join(dir, "vbr.bin")
	require.NoError(t, os.WriteFile(rp.vbr, readFile(t, vbrDisk)[:512], 0o644))
	return rp
}

// TestRealParts builds an image from real parts with custom names, boot
// code and paths, then swaps its WIM in place and into another directory.
func TestRealParts(t *testing.T) {
	rp := makeRealParts(t)
	out := filepath.Join(t.TempDir(), "tftp")
	stdout := runOK(t, "--bootmgr", rp.bootmgr, "--sdi", rp.sdi, "--wim", rp.wim, "-o", out,
		"--name", "pe.img", "--fetch", "images/pe.img", "--label", "Test PE", "--mbr", rp.mbr, "--vbr", rp.vbr)
	assert.NotContains(t, stdout, "INT 18h")
	img := filepath.Join(out, "pe.img")
	bcdBytes := checkImage(t, img, map[string][]byte{
		"bootmgr":          readFile(t, rp.bootmgr),
		"Boot/boot.sdi":    readFile(t, rp.sdi),
		"sources/boot.wim": readFile(t, rp.wim),
	})
	s, err := bcd.Parse(bcdBytes, nil)
	require.NoError(t, err)
	o, err := s.Lookup("{default}")
	require.NoError(t, err)
	assert.Equal(t, "Test PE", o.Description())

	// Boot code: syslinux's MBR code and mkfs.fat's FAT16 boot code.
	b := readFile(t, img)
	mbr := readFile(t, rp.mbr)
	assert.Equal(t, sum(mbr), sum(b[:len(mbr)]), "MBR code")
	d, err := ramdisk.OpenDiskFile(img, nil)
	require.NoError(t, err)
	off := d.Partition().Offset()
	require.NoError(t, d.Close())
	vbr := readFile(t, rp.vbr)
	assert.Equal(t, sum(vbr[0x3E:0x1FE]), sum(b[off+0x3E:off+0x1FE]), "VBR code")
	assert.Equal(t, vbr[:3], b[off:off+3], "VBR jump")

	pxe := string(readFile(t, filepath.Join(out, "pe.pxelinux.cfg")))
	assert.Contains(t, pxe, "menu label Test PE\n  kernel memdisk\n  initrd images/pe.img\n")
	assert.Contains(t, string(readFile(t, filepath.Join(out, "pe.ipxe"))), "initrd images/pe.img\n")

	// --swap-wim into a copy: the original image is untouched.
	newWIM, newBytes := captureWIM(t, "WinPE new", 700_000, "--boot")
	before := sum(b)
	copyDir := filepath.Join(t.TempDir(), "copy")
	stdout = runOK(t, "--swap-wim", newWIM, img, "-o", copyDir)
	assert.Contains(t, stdout, "replaced sources/boot.wim in "+filepath.Join(copyDir, "pe.img"))
	assert.Equal(t, before, sum(readFile(t, img)))
	swapped := map[string][]byte{"bootmgr": readFile(t, rp.bootmgr), "Boot/BCD": bcdBytes, "sources/boot.wim": newBytes}
	checkImage(t, filepath.Join(copyDir, "pe.img"), swapped)

	// --swap-wim in place; no temporary file is left beside it.
	runOK(t, "--swap-wim", newWIM, img)
	checkImage(t, img, swapped)
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Len(t, entries, 3)
}

// TestSwapFollowsBCD: --swap-wim replaces the WIM the image's BCD boots,
// not a fixed path.
func TestSwapFollowsBCD(t *testing.T) {
	s, _, err := bcd.NewWinPEStore(&bcd.WinPE{WIMPath: `\Test\TestPE.wim`}, nil)
	require.NoError(t, err)
	old := []byte("old")
	d, err := ramdisk.BuildDisk([]ramdisk.File{
		ramdisk.FileBytes("Boot/BCD", s.Bytes()),
		ramdisk.FileBytes("Test/TestPE.wim", old),
		ramdisk.FileBytes("sources/boot.wim", old),
	}, &ramdisk.DiskOptions{Size: 40 << 20})
	require.NoError(t, err)
	img := filepath.Join(t.TempDir(), "pe.dd")
	require.NoError(t, d.Save(img, nil))
	newWIM, newBytes := captureWIM(t, "new", 1000)
	stdout := runOK(t, "--swap-wim", newWIM, img)
	assert.Contains(t, stdout, "replaced Test/TestPE.wim")
	assert.Contains(t, stdout, "warning: no image is marked bootable")
	d, err = ramdisk.OpenDiskFile(img, nil)
	require.NoError(t, err)
	defer d.Close()
	off := d.Partition().Offset()
	assert.Equal(t, sum(newBytes), sum(mcopy(t, img, off, "Test/TestPE.wim")))
	assert.Equal(t, old, mcopy(t, img, off, "sources/boot.wim"))
	fsckPartition(t, img, off, d.Partition().Size())
}

// TestErrors: each bad input fails with one line naming it, and nothing is
// written (or the image given to --swap-wim is unchanged).
func TestErrors(t *testing.T) {
	rp := makeRealParts(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.wim")
	pe := filepath.Join(dir, "bootmgr.exe")
	require.NoError(t, os.WriteFile(pe, append([]byte("MZ"), make([]byte, 200)...), 0o644))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	bigWIM, _ := captureWIM(t, "big", 5<<20, "--compress=none")

	// An image to swap into: the defaults, built in a directory of its own.
	t.Chdir(t.TempDir())
	runOK(t)
	img, err := filepath.Abs(filepath.Join("out", "winpe.dd"))
	require.NoError(t, err)
	imgSum := sum(readFile(t, img))

	build := func(bootmgr, sdi, w string) []string {
		return []string{"--bootmgr", bootmgr, "--sdi", sdi, "--wim", w}
	}
	for _, tc := range []struct {
		name string
		args []string
		bad  string // the input the message must name
	}{
		{"missing wim", build(rp.bootmgr, rp.sdi, missing), missing},
		{"missing bootmgr", build(missing, rp.sdi, rp.wim), missing},
		{"wim is an sdi", build(rp.bootmgr, rp.sdi, rp.sdi), "--wim " + rp.sdi},
		{"sdi is a wim", build(rp.bootmgr, rp.wim, rp.wim), "--sdi " + rp.wim},
		{"sdi is a directory", build(rp.bootmgr, dir, rp.wim), "--sdi " + dir},
		{"bootmgr is a wim", build(rp.wim, rp.sdi, rp.wim), "--bootmgr " + rp.wim},
		{"bootmgr is a PE", build(pe, rp.sdi, rp.wim), "--bootmgr " + pe},
		{"bootmgr is empty", build(empty, rp.sdi, rp.wim), "--bootmgr " + empty},
		{"mbr too long", append(build(rp.bootmgr, rp.sdi, rp.wim), "--mbr", rp.sdi), "--mbr " + rp.sdi},
		{"only --wim", []string{"--wim", rp.wim}, "--bootmgr"},
		{"too small", append(build(rp.bootmgr, rp.sdi, rp.wim), "--size", "1"), "--size 1"},
		{"swap: missing wim", []string{"--swap-wim", missing, img}, missing},
		{"swap: not a wim", []string{"--swap-wim", rp.sdi, img}, "--swap-wim " + rp.sdi},
		{"swap: image is a wim", []string{"--swap-wim", rp.wim, rp.wim}, "IMAGE " + rp.wim},
		{"swap: image missing", []string{"--swap-wim", rp.wim, missing}, "IMAGE " + missing},
		{"swap: does not fit", []string{"--swap-wim", bigWIM, img}, "--swap-wim " + bigWIM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			var stdout, stderr bytes.Buffer
			err := run(append(tc.args, "-o", out), &stdout, &stderr)
			if strings.HasPrefix(tc.args[0], "--swap-wim") {
				// -o makes a copy; without it the image is rewritten.
				err2 := run(tc.args, &stdout, &stderr)
				require.Error(t, err2)
				assert.Equal(t, err.Error(), err2.Error())
			}
			require.Error(t, err)
			t.Log(err)
			assert.Contains(t, err.Error(), tc.bad)
			assert.NotContains(t, err.Error(), "\n")
			assert.Empty(t, testutil.ListFiles(t, out), "output files left")
			assert.Equal(t, imgSum, sum(readFile(t, img)))
		})
	}
	entries, err := os.ReadDir("out")
	require.NoError(t, err)
	assert.Len(t, entries, 3, "no temporary file beside the image")
}

// TestWriteAll: a failing output leaves neither targets nor temporary
// files; a directory in the way is refused before anything is written.
func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	boom := errors.New("disk full")
	err := writeAll([]output{
		textOutput(filepath.Join(dir, "a.txt"), "a"),
		{path: filepath.Join(dir, "b.img"), write: func(w io.Writer) error {
			_, _ = w.Write([]byte("partial"))
			return boom
		}},
	})
	require.ErrorIs(t, err, boom)
	assert.Empty(t, testutil.ListFiles(t, dir), "output files left")

	require.NoError(t, os.Mkdir(filepath.Join(dir, "c.txt"), 0o755))
	err = writeAll([]output{textOutput(filepath.Join(dir, "a.txt"), "a"), textOutput(filepath.Join(dir, "c.txt"), "c")})
	require.Error(t, err)
	assert.Empty(t, testutil.ListFiles(t, dir), "output files left")

	require.NoError(t, writeAll([]output{textOutput(filepath.Join(dir, "a.txt"), "a")}))
	assert.Equal(t, "a", string(readFile(t, filepath.Join(dir, "a.txt"))))
}

// TestUsage: -h prints the usage and succeeds.
func TestUsage(t *testing.T) {
	out := runOK(t, "-h")
	assert.Contains(t, out, "--swap-wim NEW.wim IMAGE")
	assert.Contains(t, out, "-bootmgr")
}
