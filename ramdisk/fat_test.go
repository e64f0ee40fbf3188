package ramdisk_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/ramdisk"
)

// fat32Image returns a small FAT32 image (partition at 1 MiB) and the
// layout values a test needs to corrupt it, read from the BPB bytes.
type fat32Layout struct {
	img                []byte
	part               int // partition offset
	fat                int // first FAT offset
	fatSize            int
	data               int // cluster 2 offset
	clusterSize        int
	rootCluster        uint32
	fileA, fileB, dirD uint32 // first clusters
}

func newFAT32(t testing.TB) fat32Layout {
	t.Helper()
	d, err := ramdisk.BuildDisk([]ramdisk.File{
		ramdisk.FileBytes("a.bin", randBytes(40, 3000)),
		ramdisk.FileBytes("b.bin", randBytes(41, 3000)),
		ramdisk.FileBytes("d/c.txt", []byte("c")),
	}, &ramdisk.DiskOptions{Size: 40 << 20, ModTime: fixedTime()})
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = d.WriteTo(&buf)
	require.NoError(t, err)
	l := fat32Layout{img: buf.Bytes(), part: 1 << 20}
	bs := l.img[l.part:]
	bps := int(binary.LittleEndian.Uint16(bs[0x0B:]))
	l.clusterSize = int(bs[0x0D]) * bps
	l.fat = l.part + int(binary.LittleEndian.Uint16(bs[0x0E:]))*bps
	l.fatSize = int(binary.LittleEndian.Uint32(bs[0x24:])) * bps
	l.data = l.fat + int(bs[0x10])*l.fatSize
	l.rootCluster = binary.LittleEndian.Uint32(bs[0x2C:])
	// Find the entries in the root directory.
	root := l.img[l.clusterOff(l.rootCluster):][:l.clusterSize]
	for i := 0; i < len(root); i += 32 {
		e := root[i : i+32]
		first := uint32(binary.LittleEndian.Uint16(e[26:])) | uint32(binary.LittleEndian.Uint16(e[20:]))<<16
		switch string(e[:11]) {
		case "A       BIN":
			l.fileA = first
		case "B       BIN":
			l.fileB = first
		case "D          ":
			l.dirD = first
		}
	}
	require.NotZero(t, l.fileA)
	require.NotZero(t, l.fileB)
	require.NotZero(t, l.dirD)
	return l
}

func (l fat32Layout) clusterOff(c uint32) int { return l.data + int(c-2)*l.clusterSize }

// setFAT writes entry c in both FATs of a copy.
func (l fat32Layout) setFAT(b []byte, c, v uint32) {
	binary.LittleEndian.PutUint32(b[l.fat+4*int(c):], v)
	binary.LittleEndian.PutUint32(b[l.fat+l.fatSize+4*int(c):], v)
}

func open(b []byte, opts *ramdisk.OpenOptions) (*ramdisk.DiskImage, error) {
	return ramdisk.OpenDisk(bytes.NewReader(b), int64(len(b)), opts)
}

func TestFATHostile(t *testing.T) {
	l := newFAT32(t)
	_, err := open(l.img, nil)
	require.NoError(t, err)
	bs := l.part
	put16 := func(off int, v uint16) func([]byte) {
		return func(b []byte) { binary.LittleEndian.PutUint16(b[off:], v) }
	}
	put32 := func(off int, v uint32) func([]byte) {
		return func(b []byte) { binary.LittleEndian.PutUint32(b[off:], v) }
	}
	cases := []struct {
		name string
		mess func([]byte)
		opts *ramdisk.OpenOptions
		want error
	}{
		{"root chain cycle", func(b []byte) { l.setFAT(b, l.rootCluster, l.rootCluster) }, nil, ramdisk.ErrFormat},
		{"file chain into free cluster", func(b []byte) { l.setFAT(b, l.fileA, 0) }, nil, ramdisk.ErrFormat},
		{"file chain out of range", func(b []byte) { l.setFAT(b, l.fileA, 0x0FFFFFF0) }, nil, ramdisk.ErrFormat},
		{"cross-linked files", func(b []byte) { l.setFAT(b, l.fileA, l.fileB) }, nil, ramdisk.ErrFormat},
		{"file larger than chain", func(b []byte) {
			root := l.clusterOff(l.rootCluster)
			for i := root; i < root+l.clusterSize; i += 32 {
				if string(b[i:i+11]) == "A       BIN" {
					binary.LittleEndian.PutUint32(b[i+28:], 1<<20)
				}
			}
		}, nil, ramdisk.ErrFormat},
		{"directory loops to itself", func(b []byte) {
			d := l.clusterOff(l.dirD)
			// Turn c.txt (third slot after . and .., possibly after LFN
			// slots) into a directory pointing back at d.
			for i := d + 64; i < d+l.clusterSize; i += 32 {
				if b[i+11] != 0x0F && b[i] != 0 {
					b[i+11] = 0x10
					binary.LittleEndian.PutUint16(b[i+26:], uint16(l.dirD))
					binary.LittleEndian.PutUint16(b[i+20:], uint16(l.dirD>>16))
					return
				}
			}
		}, nil, ramdisk.ErrFormat},
		{"FAT larger than the limit", nil, &ramdisk.OpenOptions{Limits: ramdisk.Limits{MaxFATSize: 1024}}, ramdisk.ErrLimit},
		{"too deep", nil, &ramdisk.OpenOptions{Limits: ramdisk.Limits{MaxDepth: 1}}, ramdisk.ErrLimit},
		{"too many entries", nil, &ramdisk.OpenOptions{Limits: ramdisk.Limits{MaxEntries: 2}}, ramdisk.ErrLimit},
		{"bytes per sector 0", put16(bs+0x0B, 0), nil, ramdisk.ErrFormat},
		{"bytes per sector 4096", put16(bs+0x0B, 4096), nil, ramdisk.ErrUnsupported},
		{"sectors per cluster 3", func(b []byte) { b[bs+0x0D] = 3 }, nil, ramdisk.ErrFormat},
		{"no reserved sectors", put16(bs+0x0E, 0), nil, ramdisk.ErrFormat},
		{"three FATs", func(b []byte) { b[bs+0x10] = 3 }, nil, ramdisk.ErrFormat},
		{"bad media", func(b []byte) { b[bs+0x15] = 0x12 }, nil, ramdisk.ErrFormat},
		{"no total sectors", put32(bs+0x20, 0), nil, ramdisk.ErrFormat},
		{"volume past partition", put32(bs+0x20, 1<<30), nil, ramdisk.ErrFormat},
		{"FAT fills volume", put32(bs+0x24, 1<<20), nil, ramdisk.ErrFormat},
		{"FAT too small", put32(bs+0x24, 1), nil, ramdisk.ErrFormat},
		{"root cluster 0", put32(bs+0x2C, 0), nil, ramdisk.ErrFormat},
		{"root cluster past end", put32(bs+0x2C, 1<<27), nil, ramdisk.ErrFormat},
		{"FAT32 version 1", put16(bs+0x2A, 1), nil, ramdisk.ErrUnsupported},
		{"no boot signature", func(b []byte) { b[bs+510] = 0 }, nil, ramdisk.ErrFormat},
		{"no jump", func(b []byte) { b[bs] = 0 }, nil, ramdisk.ErrFormat},
		{"exFAT", func(b []byte) { copy(b[bs+3:], "EXFAT   ") }, nil, ramdisk.ErrUnsupported},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := l.img
			if c.mess != nil {
				b = messWith(l.img, c.mess)
			}
			var err error
			n := testutil.Allocated(func() { _, err = open(b, c.opts) })
			assert.LessOrEqual(t, n, uint64(maxHostileAlloc))
			require.ErrorIs(t, err, c.want)
			var fe *ramdisk.FormatError
			require.ErrorAs(t, err, &fe)
		})
	}
}

// FATs that differ can be read but not edited (go-diskfs would refuse, and
// picking one would lose data).
func TestFATsDiffer(t *testing.T) {
	l := newFAT32(t)
	b := messWith(l.img, func(b []byte) { b[l.fat+l.fatSize+4*100] = 7 })
	d, err := open(b, nil)
	require.NoError(t, err)
	require.Len(t, d.Warnings, 1)
	got, err := d.Open("a.bin")
	require.NoError(t, err)
	got.Close()
	require.ErrorIs(t, d.AddFile("x", bytes.NewReader(nil), 0), ramdisk.ErrFormat)
}

func TestMBRHostile(t *testing.T) {
	good := make([]byte, 512)
	good[510], good[511] = 0x55, 0xAA
	entry := func(i int, status, typ byte, start, n uint32) func([]byte) {
		return func(b []byte) {
			e := b[446+16*i:]
			e[0], e[4] = status, typ
			binary.LittleEndian.PutUint32(e[8:], start)
			binary.LittleEndian.PutUint32(e[12:], n)
		}
	}
	withOne := messWith(good, entry(0, 0x80, 0x0C, 2048, 4096))
	m, err := ramdisk.ParseMBR(withOne, 8<<20)
	require.NoError(t, err)
	require.Len(t, m.Partitions, 1)
	assert.Equal(t, int64(2048*512), m.Partitions[0].Offset())

	cases := []struct {
		name string
		in   []byte
		size int64
		want error
	}{
		{"short", good[:100], 1 << 20, ramdisk.ErrFormat},
		{"no signature", make([]byte, 512), 1 << 20, ramdisk.ErrFormat},
		{"bad status", messWith(good, entry(1, 0x81, 0x0C, 2048, 1)), 8 << 20, ramdisk.ErrFormat},
		{"starts at 0", messWith(good, entry(0, 0, 0x0C, 0, 10)), 8 << 20, ramdisk.ErrFormat},
		{"no sectors", messWith(good, entry(0, 0, 0x0C, 10, 0)), 8 << 20, ramdisk.ErrFormat},
		{"past end", messWith(good, entry(0, 0, 0x0C, 2048, 1<<31)), 8 << 20, ramdisk.ErrFormat},
		{"overlap", messWith(withOne, entry(1, 0, 0x06, 4000, 100)), 8 << 20, ramdisk.ErrFormat},
		{"GPT", messWith(good, entry(0, 0, 0xEE, 1, 100)), 8 << 20, ramdisk.ErrUnsupported},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			n := testutil.Allocated(func() { _, err = ramdisk.ParseMBR(c.in, c.size) })
			assert.LessOrEqual(t, n, uint64(maxHostileAlloc))
			require.ErrorIs(t, err, c.want)
			var fe *ramdisk.FormatError
			require.ErrorAs(t, err, &fe)
		})
	}
	// OpenDisk on such disks.
	img := make([]byte, 8<<20)
	copy(img, withOne)
	_, err = open(img, nil)
	require.ErrorIs(t, err, ramdisk.ErrFormat, "partition without a FAT boot sector")
	empty := make([]byte, 1<<20)
	copy(empty, good)
	_, err = open(empty, nil)
	require.ErrorIs(t, err, ramdisk.ErrNotFound)
	_, err = open(make([]byte, 1000), nil)
	require.ErrorIs(t, err, ramdisk.ErrFormat)
	ext := messWith(img, entry(0, 0, 0x05, 2048, 4096))
	_, err = open(ext, nil)
	require.ErrorIs(t, err, ramdisk.ErrUnsupported)
}

func TestGeometryCHS(t *testing.T) {
	g := ramdisk.Geometry{Heads: 255, SectorsPerTrack: 63}
	assert.Equal(t, ramdisk.CHS{Cylinder: 0, Head: 1, Sector: 1}, g.CHS(63))
	assert.Equal(t, ramdisk.CHS{Cylinder: 1023, Head: 254, Sector: 63}, g.CHS(100_000_000))
	assert.Equal(t, ramdisk.Geometry{Heads: 64, SectorsPerTrack: 32}, ramdisk.DefaultGeometry(131072))
	assert.Equal(t, ramdisk.Geometry{Heads: 255, SectorsPerTrack: 63}, ramdisk.DefaultGeometry(4<<21))
}

// The two go-diskfs defects fsck.fat reports, checked on the bytes: the
// ".." entry of a first-level FAT32 directory names cluster 0, and a
// zero-length file has no cluster.
func TestDotDotAndEmptyFile(t *testing.T) {
	d, err := ramdisk.BuildDisk([]ramdisk.File{ramdisk.FileBytes("dir/sub/x", []byte("x")), ramdisk.FileBytes("empty", nil)}, &ramdisk.DiskOptions{Size: 40 << 20})
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = d.WriteTo(&buf)
	require.NoError(t, err)
	b := d.BPB()
	require.Equal(t, ramdisk.FAT32, b.Type)
	img := buf.Bytes()
	part := int(d.ImageOffset())
	cs := int(b.ClusterSize())
	data := part + int(b.FirstDataSector)*512
	cl := func(e []byte) uint32 {
		return uint32(binary.LittleEndian.Uint16(e[26:])) | uint32(binary.LittleEndian.Uint16(e[20:]))<<16
	}
	entry := func(dirCluster uint32, short string) []byte {
		dir := img[data+int(dirCluster-2)*cs:][:cs]
		for i := 0; i < cs; i += 32 {
			if string(dir[i:i+11]) == short {
				return dir[i : i+32]
			}
		}
		t.Fatalf("no %q in cluster %d", short, dirCluster)
		return nil
	}
	dirE := entry(b.RootCluster, "DIR        ")
	assert.Equal(t, uint32(0), cl(entry(cl(dirE), "..         ")), "'..' of a first-level directory")
	subE := entry(cl(dirE), "SUB        ")
	assert.Equal(t, cl(dirE), cl(entry(cl(subE), "..         ")), "'..' of a second-level directory")
	emptyE := entry(b.RootCluster, "EMPTY      ")
	assert.Zero(t, cl(emptyE), "zero-length file has no cluster")
	assert.Zero(t, binary.LittleEndian.Uint32(emptyE[28:]))
}
