package ramdisk_test

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/ramdisk"
)

// randBytes returns n deterministic pseudo-random bytes.
func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// winPEFiles is the file set of acceptance point 2: bootmgr (any bytes), a
// BCD store, boot.sdi and a WIM fixture.
func winPEFiles(t *testing.T) map[string][]byte {
	t.Helper()
	return map[string][]byte{
		"bootmgr":          randBytes(1, 412_000),
		"Boot/BCD":         testutil.ReadFixture(t, "bcd/bcd_ntloader3_bcdedit.bcd"),
		"Boot/boot.sdi":    testutil.ReadFixture(t, "sdi/synthetic_bootsdi_layout.sdi"),
		"sources/boot.wim": testutil.ReadFixture(t, "wim/xpress_boot.wim"),
	}
}

func toFiles(m map[string][]byte) []ramdisk.File {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []ramdisk.File
	for _, k := range keys {
		out = append(out, ramdisk.FileBytes(k, m[k]))
	}
	return out
}

// mbrEntry1 reads partition entry 1 of an image file independently of the
// package: status, type, start LBA, sector count and the raw CHS bytes.
type mbrEntry1 struct {
	status, typ      byte
	start, sectors   uint32
	startCHS, endCHS [3]byte
	bootCode         []byte
	heads, spt       uint16 // from the partition's BPB
	hidden           uint32 // BPB hidden sectors
	backupHidden     uint32 // FAT32 backup boot sector's hidden sectors
	fat32            bool
	vbr, backupVBR   []byte
}

func readEntry1(t *testing.T, img string) mbrEntry1 {
	t.Helper()
	f, err := os.Open(img)
	require.NoError(t, err)
	defer f.Close()
	sec := make([]byte, 512)
	_, err = f.ReadAt(sec, 0)
	require.NoError(t, err)
	require.Equal(t, []byte{0x55, 0xAA}, sec[510:], "MBR signature")
	e := sec[446:462]
	m := mbrEntry1{status: e[0], typ: e[4], start: binary.LittleEndian.Uint32(e[8:]), sectors: binary.LittleEndian.Uint32(e[12:]), bootCode: slices.Clone(sec[:440])}
	copy(m.startCHS[:], e[1:4])
	copy(m.endCHS[:], e[5:8])
	vbr := make([]byte, 512)
	_, err = f.ReadAt(vbr, int64(m.start)*512)
	require.NoError(t, err)
	m.vbr = vbr
	m.spt = binary.LittleEndian.Uint16(vbr[0x18:])
	m.heads = binary.LittleEndian.Uint16(vbr[0x1A:])
	m.hidden = binary.LittleEndian.Uint32(vbr[0x1C:])
	m.fat32 = binary.LittleEndian.Uint16(vbr[0x16:]) == 0
	if m.fat32 {
		bk := make([]byte, 512)
		_, err = f.ReadAt(bk, int64(m.start+6)*512)
		require.NoError(t, err)
		m.backupVBR = bk
		m.backupHidden = binary.LittleEndian.Uint32(bk[0x1C:])
	}
	return m
}

// chs computes the packed CHS bytes of an LBA for a geometry, the way the
// partition table stores them (1023/H-1/S when past cylinder 1023).
func chs(lba uint32, heads, spt uint16) [3]byte {
	c := lba / (uint32(heads) * uint32(spt))
	h := lba / uint32(spt) % uint32(heads)
	s := lba%uint32(spt) + 1
	if c > 1023 {
		c, h, s = 1023, uint32(heads)-1, uint32(spt)
	}
	return [3]byte{byte(h), byte(s) | byte(c>>8)<<6, byte(c)}
}

// checkDisk runs the interop checks of acceptance point 2 on an image file:
// mdir lists every file, mcopy extracts each one with the same SHA-256,
// fsck.fat -n accepts the partition, the CHS fields and BPB hidden sectors
// match the partition, and bytes 0-439 equal mbrCode (when given).
func checkDisk(t *testing.T, img string, files map[string][]byte, mbrCode []byte) {
	t.Helper()
	mdir := testutil.Tool(t, "mdir")
	mcopy := testutil.Tool(t, "mcopy")
	fsck := testutil.Tool(t, "fsck.fat")
	e := readEntry1(t, img)
	assert.Equal(t, byte(0x80), e.status, "partition 1 is active")
	assert.Contains(t, []byte{0x0C, 0x0E, 0x06, 0x0B}, e.typ, "FAT partition type")
	assert.Equal(t, e.start, e.hidden, "BPB hidden sectors = partition start")
	if e.fat32 {
		assert.Equal(t, e.start, e.backupHidden, "backup boot sector hidden sectors")
	}
	require.True(t, e.heads >= 1 && e.heads <= 255 && e.spt >= 1 && e.spt <= 63, "BPB geometry %d/%d", e.heads, e.spt)
	assert.Equal(t, chs(e.start, e.heads, e.spt), e.startCHS, "start CHS for LBA %d, geometry %d/%d", e.start, e.heads, e.spt)
	assert.Equal(t, chs(e.start+e.sectors-1, e.heads, e.spt), e.endCHS, "end CHS")
	if c := (e.start + e.sectors) / (uint32(e.heads) * uint32(e.spt)); c <= 1023 {
		// The partition ends on a cylinder boundary, so memdisk infers the
		// geometry from the end CHS: last head and last sector.
		assert.Equal(t, byte(e.heads-1), e.endCHS[0], "end head")
		assert.Equal(t, byte(e.spt), e.endCHS[1]&0x3F, "end sector")
	}
	if mbrCode != nil {
		assert.Equal(t, "", testutil.HexDiff(mbrCode, e.bootCode[:len(mbrCode)]), "MBR boot code")
	}
	spec := img + "@@" + strconv.FormatInt(int64(e.start)*512, 10)

	out := testutil.Run(t, mdir, "-i", spec, "-/", "-b", "::/")
	listed := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if p := strings.TrimPrefix(strings.TrimSpace(l), "::/"); p != "" && !strings.HasSuffix(p, "/") {
			listed[p] = true
		}
	}
	for p := range files {
		assert.True(t, listed[p], "mdir lists %s (got %v)", p, listed)
	}
	assert.Len(t, listed, len(files), "mdir lists exactly the files")

	dir := t.TempDir()
	for p, want := range files {
		dst := filepath.Join(dir, strings.ReplaceAll(p, "/", "_"))
		testutil.Run(t, mcopy, "-n", "-i", spec, "::/"+p, dst)
		got, err := os.ReadFile(dst)
		require.NoError(t, err)
		assert.Equal(t, sha256.Sum256(want), sha256.Sum256(got), "SHA-256 of %s via mcopy", p)
	}

	part := filepath.Join(dir, "partition.img")
	extractPartition(t, img, int64(e.start)*512, int64(e.sectors)*512, part)
	sout, serr, err := testutil.RunErr(fsck, "-n", part)
	assert.NoError(t, err, "fsck.fat -n:\n%s%s", sout, serr)
}

func extractPartition(t *testing.T, img string, off, n int64, dst string) {
	t.Helper()
	f, err := os.Open(img)
	require.NoError(t, err)
	defer f.Close()
	buf := make([]byte, n)
	_, err = f.ReadAt(buf, off)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(dst, buf, 0o644))
}

// noTempFiles asserts that dir holds only the named files.
func noTempFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	slices.Sort(got)
	slices.Sort(names)
	assert.Equal(t, names, got, "directory contents (a temporary file was left?)")
}
