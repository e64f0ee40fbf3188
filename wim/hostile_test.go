package wim_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/wim"
)

func newReader(b []byte, opts *wim.ReadOptions) (*wim.Reader, error) {
	return wim.NewReader(bytes.NewReader(b), int64(len(b)), opts)
}

// messWith returns a copy of b changed by f.
func messWith(b []byte, f func(b []byte)) []byte {
	c := append([]byte(nil), b...)
	f(c)
	return c
}

func put32(off int, v uint32) func([]byte) {
	return func(b []byte) { binary.LittleEndian.PutUint32(b[off:], v) }
}

func put64(off int, v uint64) func([]byte) {
	return func(b []byte) { binary.LittleEndian.PutUint64(b[off:], v) }
}

func TestHostileHeader(t *testing.T) {
	good := synth{images: 2}.bytes(t)
	_, err := newReader(good, nil)
	require.NoError(t, err)
	l := synth{images: 2}.layout()
	const (
		offFlags, offChunk, offParts, offCount = 0x10, 0x14, 0x28, 0x2C
		offBlob, offXML, offBoot, offInteg     = 0x30, 0x48, 0x60, 0x7C
	)
	tests := []struct {
		name string
		mess func([]byte)
		opts *wim.ReadOptions
		want error
	}{
		{"bad magic", func(b []byte) { b[0] = 'X' }, nil, wim.ErrFormat},
		{"header size 0x60", put32(0x08, 0x60), nil, wim.ErrFormat},
		{"unknown version", put32(0x0C, 0x10900), nil, wim.ErrUnsupported},
		{"part 2 of 1", put32(offParts, 2|1<<16), nil, wim.ErrFormat},
		{"zero parts", put32(offParts, 1), nil, wim.ErrFormat},
		{"image count 0", put32(offCount, 0), nil, wim.ErrFormat},
		{"image count 3", put32(offCount, 3), nil, wim.ErrFormat},
		{"image count 100000", put32(offCount, 100000), nil, wim.ErrLimit},
		{"image count 0xFFFFFFFF", put32(offCount, 0xFFFFFFFF), nil, wim.ErrLimit},
		{"COMPRESSION without a codec", put32(offFlags, uint32(wim.FlagCompression)), nil, wim.ErrFormat},
		{"two codecs", put32(offFlags, uint32(wim.FlagCompression|wim.FlagCompressLZX|wim.FlagCompressXPRESS)), nil, wim.ErrFormat},
		{"LZMS in version 0x10d00", func(b []byte) {
			put32(offFlags, uint32(wim.FlagCompression|wim.FlagCompressLZMS))(b)
			put32(offChunk, 131072)(b)
		}, nil, wim.ErrFormat},
		{"XPRESS chunk 12345", func(b []byte) {
			put32(offFlags, uint32(wim.FlagCompression|wim.FlagCompressXPRESS))(b)
			put32(offChunk, 12345)(b)
		}, nil, wim.ErrFormat},
		{"uncompressed with a chunk size", put32(offChunk, 32768), nil, wim.ErrFormat},
		{"XML claims 4 GiB", func(b []byte) {
			put64(offXML, 4<<30|uint64(wim.ResourceMetadata)<<56)(b)
			put64(offXML+16, 4<<30)(b)
		}, nil, wim.ErrFormat},
		{"XML over the limit", nil, &wim.ReadOptions{Limits: wim.Limits{MaxXMLSize: 16}}, wim.ErrLimit},
		{"XML offset outside the file", put64(offXML+8, 1<<40), nil, wim.ErrFormat},
		{"XML offset overflows", put64(offXML+8, ^uint64(0)-4), nil, wim.ErrFormat},
		{"XML compressed", func(b []byte) { b[offXML+7] |= byte(wim.ResourceCompressed) }, nil, wim.ErrUnsupported},
		{"XML sizes differ", put64(offXML+16, uint64(len(l.xml)-2)), nil, wim.ErrFormat},
		{"blob table outside the file", put64(offBlob+8, uint64(len(good))), nil, wim.ErrFormat},
		{"blob table over the limit", nil, &wim.ReadOptions{Limits: wim.Limits{MaxBlobTableSize: 50}}, wim.ErrLimit},
		{"boot metadata outside the file", func(b []byte) {
			put64(offBoot, 10)(b)
			put64(offBoot+8, uint64(len(good)))(b)
		}, nil, wim.ErrFormat},
		{"integrity table outside the file", func(b []byte) {
			put64(offInteg, 32)(b)
			put64(offInteg+8, 1<<62)(b)
		}, nil, wim.ErrFormat},
		{"no blob table and no XML", func(b []byte) {
			put64(offBlob+16, 0)(b)
			put64(offXML+16, 0)(b)
		}, nil, wim.ErrFormat},
		{"blob entry outside the file", put64(int(l.tableOff)+8, 1<<50), nil, wim.ErrFormat},
		{"blob entry end overflows", put64(int(l.tableOff)+8, ^uint64(0)-8), nil, wim.ErrFormat},
		{"metadata with two references", put32(int(l.tableOff)+26, 2), nil, wim.ErrFormat},
		{"uncompressed blob sizes differ", put64(int(l.tableOff)+16, 1), nil, wim.ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := good
			if tc.mess != nil {
				in = messWith(good, tc.mess)
			}
			var err error
			n := testutil.Allocated(func() { _, err = newReader(in, tc.opts) })
			assert.LessOrEqual(t, n, uint64(64<<20))
			require.ErrorIs(t, err, tc.want)
			var fe *wim.FormatError
			require.ErrorAs(t, err, &fe)
		})
	}
	t.Run("shorter than a header", func(t *testing.T) {
		_, err := newReader(good[:100], nil)
		require.ErrorIs(t, err, wim.ErrFormat)
		_, err = wim.ParseHeader(good[:100])
		require.ErrorIs(t, err, wim.ErrFormat)
	})
}

// TestWarnings covers conditions wimlib accepts with a warning.
func TestWarnings(t *testing.T) {
	good := synth{images: 2}.bytes(t)
	l := synth{images: 2}.layout()
	for _, tc := range []struct {
		name      string
		mess      func([]byte)
		images    int
		bootIndex int
	}{
		{"boot index above the image count", put32(0x78, 7), 2, 0},
		{"write in progress", put32(0x10, uint32(wim.FlagRPFix|wim.FlagWriteInProgress)), 2, 0},
		{"unreferenced metadata", put32(int(l.tableOff)+26, 0), 1, 0},
		{"table not a multiple of 50", func(b []byte) {
			put64(0x30, uint64(len(l.table)+3)|uint64(wim.ResourceMetadata)<<56)(b)
			put64(0x30+16, uint64(len(l.table)+3))(b)
		}, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := newReader(messWith(good, tc.mess), nil)
			require.NoError(t, err)
			assert.NotEmpty(t, r.Warnings())
			assert.Equal(t, tc.images, r.ImageCount())
			assert.Equal(t, tc.bootIndex, r.BootIndex())
		})
	}
	r, err := newReader(synth{images: 1, noBOM: true}.bytes(t), nil)
	require.NoError(t, err)
	assert.NotEmpty(t, r.Warnings(), "XML without BOM")
}

func nested(depth int) string {
	return `<WIM><IMAGE INDEX="1">` + strings.Repeat("<a>", depth) + strings.Repeat("</a>", depth) + `</IMAGE></WIM>`
}

func manyImages(n int) string {
	var b strings.Builder
	b.WriteString("<WIM>")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `<IMAGE INDEX="%d"/>`, i)
	}
	b.WriteString("</WIM>")
	return b.String()
}

func TestHostileXML(t *testing.T) {
	for _, tc := range []struct {
		name   string
		xml    string
		images int
		opts   *wim.ReadOptions
		want   error
	}{
		{"100,000 images in the XML", manyImages(100000), 1, nil, wim.ErrLimit},
		{"100,000 images, header agrees", manyImages(100000), 100000, nil, wim.ErrLimit},
		{"nested 100,000 deep", nested(100000), 1, nil, wim.ErrLimit},
		{"nested beyond a lower limit", nested(20), 1, &wim.ReadOptions{Limits: wim.Limits{MaxXMLDepth: 10}}, wim.ErrLimit},
		{"too many nodes", manyImages(50), 50, &wim.ReadOptions{Limits: wim.Limits{MaxXMLNodes: 20}}, wim.ErrLimit},
		{"not closed", `<WIM><IMAGE INDEX="1">`, 1, nil, wim.ErrFormat},
		{"mismatched end tag", `<WIM><IMAGE INDEX="1"></IMAGEX></WIM>`, 1, nil, wim.ErrFormat},
		{"root is not WIM", `<WOM><IMAGE INDEX="1"/></WOM>`, 1, nil, wim.ErrFormat},
		{"two roots", `<WIM><IMAGE INDEX="1"/></WIM><WIM/>`, 1, nil, wim.ErrFormat},
		{"text after root", `<WIM><IMAGE INDEX="1"/></WIM>x`, 1, nil, wim.ErrFormat},
		{"no INDEX", `<WIM><IMAGE/></WIM>`, 1, nil, wim.ErrFormat},
		{"INDEX 0", `<WIM><IMAGE INDEX="0"/></WIM>`, 1, nil, wim.ErrFormat},
		{"duplicate INDEX", `<WIM><IMAGE INDEX="1"/><IMAGE INDEX="1"/></WIM>`, 2, nil, wim.ErrFormat},
		{"INDEX gap", `<WIM><IMAGE INDEX="1"/><IMAGE INDEX="3"/></WIM>`, 2, nil, wim.ErrFormat},
		{"huge INDEX", `<WIM><IMAGE INDEX="99999999999999999999"/></WIM>`, 1, nil, wim.ErrFormat},
		{"unknown entity", `<WIM><IMAGE INDEX="1"><NAME>&foo;</NAME></IMAGE></WIM>`, 1, nil, wim.ErrFormat},
		{"NUL character reference", `<WIM><IMAGE INDEX="1"><NAME>&#0;</NAME></IMAGE></WIM>`, 1, nil, wim.ErrFormat},
		{"surrogate character reference", `<WIM><IMAGE INDEX="1"><NAME>&#xD800;</NAME></IMAGE></WIM>`, 1, nil, wim.ErrFormat},
		{"duplicate attribute", `<WIM><IMAGE INDEX="1" INDEX="1"/></WIM>`, 1, nil, wim.ErrFormat},
		{"unquoted attribute", `<WIM><IMAGE INDEX=1/></WIM>`, 1, nil, wim.ErrFormat},
		{"unterminated comment", `<WIM><!-- <IMAGE INDEX="1"/></WIM>`, 1, nil, wim.ErrFormat},
		{"encrypted ESD", `<WIM><ESD><ENCRYPTED/></ESD><IMAGE INDEX="1"/></WIM>`, 1, nil, wim.ErrUnsupported},
		{"empty", ``, 1, nil, wim.ErrFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := synth{images: 1, xml: tc.xml, editHdr: func(h *wim.Header) { h.ImageCount = uint32(tc.images) }}
			if tc.xml == "" {
				s.xml = " "
			}
			in := s.bytes(t)
			var err error
			n := testutil.Allocated(func() { _, err = newReader(in, tc.opts) })
			assert.LessOrEqual(t, n, uint64(64<<20))
			require.ErrorIs(t, err, tc.want)
			var fe *wim.FormatError
			require.ErrorAs(t, err, &fe)
		})
	}
	t.Run("odd length", func(t *testing.T) {
		b := synth{images: 1}.bytes(t)
		l := synth{images: 1}.layout()
		b = messWith(b, func(b []byte) {
			put64(0x48, uint64(len(l.xml)-1)|uint64(wim.ResourceMetadata)<<56)(b)
			put64(0x48+16, uint64(len(l.xml)-1))(b)
		})
		_, err := newReader(b, nil)
		require.ErrorIs(t, err, wim.ErrFormat)
	})
}

func attrs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `b%d="" `, i)
	}
	return b.String()
}

// TestHostileAllocation reads 1 MiB inputs built to make a parser allocate
// (a megabyte of tiny elements, attributes, references, a deep tree, a blob
// table of solid entries): each must allocate at most 64 MiB.
func TestHostileAllocation(t *testing.T) {
	const size = 1 << 20
	fill := func(unit string) string {
		return `<WIM><IMAGE INDEX="1">` + strings.Repeat(unit, size/2/len(unit)) + `</IMAGE></WIM>`
	}
	cases := map[string][]byte{
		"tiny elements": synth{images: 1, xml: fill("<a/>")}.bytes(t),
		"attributes":    synth{images: 1, xml: `<WIM><IMAGE INDEX="1"><a ` + attrs(size/24) + `/></IMAGE></WIM>`}.bytes(t),
		"references":    synth{images: 1, xml: fill("&#x10348;&amp;")}.bytes(t),
		"text":          synth{images: 1, xml: fill("x")}.bytes(t),
		"deep":          synth{images: 1, xml: nested(size / 8)}.bytes(t),
		"many images":   synth{images: 1, xml: manyImages(size / 40)}.bytes(t),
	}
	// A blob table filling the megabyte with solid blob entries, all in one
	// solid resource (whose 16-byte header is the first fake metadata
	// resource's bytes).
	var table []byte
	res := make([]byte, 50)
	binary.LittleEndian.PutUint64(res[0:], 64|uint64(wim.ResourceSolid)<<56)
	binary.LittleEndian.PutUint64(res[8:], uint64(wim.HeaderSize))
	binary.LittleEndian.PutUint64(res[16:], 0x100000000)
	table = append(table, res...)
	for i := 0; len(table)+50 <= size; i++ {
		e := make([]byte, 50)
		binary.LittleEndian.PutUint64(e[0:], 1|uint64(wim.ResourceSolid)<<56)
		binary.LittleEndian.PutUint64(e[8:], uint64(i))
		binary.LittleEndian.PutUint16(e[24:], 1)
		binary.LittleEndian.PutUint32(e[26:], 1)
		binary.LittleEndian.PutUint32(e[30:], uint32(i+1))
		table = append(table, e...)
	}
	big := synth{images: 1, extra: table, editHdr: func(h *wim.Header) { h.Version = wim.VersionSolid }}.bytes(t)
	cases["solid blob table"] = big

	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			var err error
			n := testutil.Allocated(func() { _, err = newReader(in, nil) })
			t.Logf("input %d bytes, allocated %.1f MiB, err %v", len(in), float64(n)/(1<<20), err)
			assert.LessOrEqual(t, n, uint64(64<<20))
			if name != "deep" && name != "many images" {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

// TestSparse4GiB reads a WIM whose blob table and XML sit past 4 GiB in a
// sparse file: the reader must touch only the header, blob table and XML,
// allocating under 8 MiB in under 50 ms. wimlib reads the same file.
func TestSparse4GiB(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sparse.wim")
	size := synth{images: 2, gap: 4 << 30}.writeSparse(t, p)
	require.Greater(t, size, int64(4<<30))
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	if _, err := wim.NewReader(f, size, nil); err != nil { // warm the page cache
		require.NoError(t, err)
	}
	var r *wim.Reader
	var took time.Duration
	n := testutil.Allocated(func() {
		start := time.Now()
		r, err = wim.NewReader(f, size, nil)
		took = time.Since(start)
	})
	require.NoError(t, err)
	t.Logf("file %d bytes: allocated %d bytes in %v", size, n, took)
	assert.Less(t, n, uint64(8<<20))
	assert.Less(t, took, 50*time.Millisecond)
	assert.Equal(t, 2, r.ImageCount())
	assert.Equal(t, uint64(size-int64(len(synth{images: 2, gap: 4 << 30}.layout().xml))), r.TotalBytes())
	compareWithWimlib(t, p)
}

// Field boundaries of the first structures, from the WIM format
// description: the 208-byte header and a 50-byte blob table entry.
var (
	headerFields    = []int{0, 8, 12, 16, 20, 24, 40, 42, 44, 48, 72, 96, 120, 124, 148, wim.HeaderSize}
	blobEntryFields = []int{0, 7, 8, 16, 24, 26, 30, 50}
)

// hostileRead reads in and asserts a typed *FormatError wrapping want,
// with at most 64 MiB allocated.
func hostileRead(t *testing.T, in []byte, want error) {
	t.Helper()
	var err error
	n := testutil.Allocated(func() { _, err = newReader(in, nil) })
	require.ErrorIs(t, err, want)
	var fe *wim.FormatError
	require.ErrorAs(t, err, &fe)
	assert.LessOrEqual(t, n, uint64(64<<20))
}

// TestHostileWIMTruncated cuts a WIM at every field boundary of its header
// and of its first blob table entry (the file, and the blob table's size),
// and cuts its XML at every element boundary: each cut fails with a typed
// error (a short blob table is read with a warning, as wimlib does), with a
// bounded heap.
func TestHostileWIMTruncated(t *testing.T) {
	good := synth{images: 1}.bytes(t)
	l := synth{images: 1}.layout()
	for _, f := range headerFields[:len(headerFields)-1] {
		t.Run(fmt.Sprintf("file cut in the header at %d", f), func(t *testing.T) {
			hostileRead(t, good[:f], wim.ErrFormat)
			_, err := wim.ParseHeader(good[:f])
			require.ErrorIs(t, err, wim.ErrFormat)
		})
	}
	for _, f := range blobEntryFields[:len(blobEntryFields)-1] {
		t.Run(fmt.Sprintf("file cut in the blob table at %d", f), func(t *testing.T) {
			hostileRead(t, good[:l.tableOff+int64(f)], wim.ErrFormat)
		})
		// A blob table ending inside an entry is read as wimlib reads it:
		// the partial entry is ignored, with a warning, and the image whose
		// metadata it held is not counted.
		t.Run(fmt.Sprintf("blob table cut at %d", f), func(t *testing.T) {
			in := messWith(good, func(b []byte) {
				put64(0x30, uint64(f)|uint64(wim.ResourceMetadata)<<56)(b)
				put64(0x30+16, uint64(f))(b)
			})
			var r *wim.Reader
			var err error
			n := testutil.Allocated(func() { r, err = newReader(in, nil) })
			require.NoError(t, err)
			assert.NotEmpty(t, r.Warnings())
			assert.Empty(t, r.Blobs())
			assert.Equal(t, 0, r.ImageCount())
			assert.LessOrEqual(t, n, uint64(64<<20))
		})
	}
	xml := l.xml
	for i := 0; i < len(xml); i += 2 {
		if xml[i] != '<' || xml[i+1] != 0 {
			continue
		}
		for _, cut := range []int{i, i + 2} { // before '<' and after it
			t.Run(fmt.Sprintf("XML cut at %d", cut), func(t *testing.T) {
				hostileRead(t, messWith(good, func(b []byte) {
					put64(0x48, uint64(cut)|uint64(wim.ResourceMetadata)<<56)(b)
					put64(0x48+16, uint64(cut))(b)
				}), wim.ErrFormat)
			})
		}
	}
}
