package wim

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/internal/utf16le"
)

// TestHeaderLayout pins the block size and the field offsets against the
// table in wimlib's header.h (spec §1.1): each accessor starts where the
// previous one ends and the last ends at 208.
func TestHeaderLayout(t *testing.T) {
	var b headerBlock
	require.Equal(t, 208, len(b))
	fields := []struct {
		name string
		f    func(*headerBlock) []byte
		off  int
		size int
	}{
		{"magic", (*headerBlock).magic, 0x00, 8}, {"hdr_size", (*headerBlock).hdrSize, 0x08, 4},
		{"wim_version", (*headerBlock).version, 0x0C, 4}, {"wim_flags", (*headerBlock).flags, 0x10, 4},
		{"chunk_size", (*headerBlock).chunkSize, 0x14, 4}, {"guid", (*headerBlock).guid, 0x18, 16},
		{"part_number", (*headerBlock).partNumber, 0x28, 2}, {"total_parts", (*headerBlock).totalParts, 0x2A, 2},
		{"image_count", (*headerBlock).imageCount, 0x2C, 4}, {"blob_table_reshdr", (*headerBlock).blobTable, 0x30, 24},
		{"xml_data_reshdr", (*headerBlock).xmlData, 0x48, 24}, {"boot_metadata_reshdr", (*headerBlock).bootMetadata, 0x60, 24},
		{"boot_idx", (*headerBlock).bootIndex, 0x78, 4}, {"integrity_table_reshdr", (*headerBlock).integrityTable, 0x7C, 24},
		{"unused", (*headerBlock).unused, 0x94, 60},
	}
	next := 0
	for _, f := range fields {
		// Mark the accessor's bytes and find where they landed.
		b = headerBlock{}
		for i := range f.f(&b) {
			f.f(&b)[i] = 0xFF
		}
		off, n := -1, 0
		for i, c := range b {
			if c == 0xFF {
				if off < 0 {
					off = i
				}
				n++
			}
		}
		assert.Equal(t, f.off, off, f.name)
		assert.Equal(t, f.size, n, f.name)
		assert.Equal(t, next, off, "%s follows the previous field", f.name)
		next = off + n
	}
	assert.Equal(t, HeaderSize, next)
	assert.Equal(t, 0x10, flagsOffset)
}

// TestHeaderAnnotatedDump decodes the spec's annotated dump of
// lzx_2img_check.wim (spec §1.2) field by field.
func TestHeaderAnnotatedDump(t *testing.T) {
	raw := testutil.ReadFixture(t, "wim/lzx_2img_check.wim")[:HeaderSize]
	h, err := ParseHeader(raw)
	require.NoError(t, err)
	assert.Equal(t, MagicWIM, h.Magic)
	assert.Equal(t, VersionDefault, h.Version)
	assert.Equal(t, "1.13", h.Version.String())
	assert.Equal(t, FlagCompression|FlagRPFix|FlagCompressLZX, h.Flags)
	assert.Equal(t, "COMPRESSION|RP_FIX|COMPRESS_LZX", h.Flags.String())
	assert.Equal(t, uint32(0x8000), h.ChunkSize)
	assert.Equal(t, "47acc8acb2d9a4cc45c9481055513ac8", h.GUID.String())
	assert.Equal(t, uint16(1), h.PartNumber)
	assert.Equal(t, uint16(1), h.TotalParts)
	assert.Equal(t, uint32(2), h.ImageCount)
	assert.Equal(t, ResourceHeader{Size: 500, Flags: ResourceMetadata, Offset: 87865, UncompressedSize: 500}, h.BlobTable)
	assert.Equal(t, ResourceHeader{Size: 1718, Flags: ResourceMetadata, Offset: 88365, UncompressedSize: 1718}, h.XMLData)
	assert.Equal(t, ResourceHeader{Size: 310, Flags: ResourceMetadata | ResourceCompressed, Offset: 87555, UncompressedSize: 1024}, h.BootMetadata)
	assert.Equal(t, uint32(2), h.BootIndex)
	assert.Equal(t, ResourceHeader{Size: 32, Offset: 90083, UncompressedSize: 32}, h.Integrity)
	assert.Equal(t, CompressionLZX, h.Compression())
	out, err := h.MarshalBinary()
	require.NoError(t, err)
	testutil.EqualBytes(t, raw, out)
}

func TestResourceFlagsString(t *testing.T) {
	assert.Equal(t, "0", ResourceFlags(0).String())
	assert.Equal(t, "METADATA|COMPRESSED", (ResourceMetadata | ResourceCompressed).String())
	assert.Equal(t, "SOLID|0x80", (ResourceSolid | 0x80).String())
	assert.Equal(t, "RESERVED|0x100", (FlagReserved | 0x100).String())
}

// TestCNumber checks strtoull semantics as wimlib's node_get_number applies
// them (C11 7.22.1.4; spec §1.7). TestInteropXMLValues checks the same
// strings against wimlib itself.
func TestCNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		base int
		want uint64
	}{
		{"7", 10, 7}, {" 7", 10, 7}, {"\t\n\v\f\r7", 10, 7}, {"7 ", 10, 0}, {"", 10, 0}, {" ", 10, 0},
		{"+7", 10, 7}, {"-1", 10, 0}, {"-2", 10, math.MaxUint64 - 1}, {"0x10", 10, 0}, {"12a", 10, 0},
		{"18446744073709551614", 10, math.MaxUint64 - 1}, {"18446744073709551615", 10, 0}, {"18446744073709551616", 10, 0},
		{"0x1F", 16, 31}, {"0X1f", 16, 31}, {"1f", 16, 31}, {"0x", 16, 0}, {"0xg", 16, 0}, {"-0x1", 16, 0},
		{"0x01DD79D0", 16, 0x01DD79D0}, {"ffffffffffffffff", 16, 0}, {"１", 10, 0},
	} {
		assert.Equal(t, tc.want, cNumber(tc.in, tc.base), "%q base %d", tc.in, tc.base)
	}
}

func TestFiletimeString(t *testing.T) {
	// 0x01DD79D0A336398C is CREATIONTIME of the fixtures; wimlib prints it
	// as in wiminfo_lzx_2img_check.txt.
	assert.Equal(t, "Sat Nov 21 15:54:48 2026 UTC", Filetime(0x01DD79D0A336398C).String())
	assert.Equal(t, "Mon Jan 01 00:00:00 1601 UTC", Filetime(0).String())
	assert.Equal(t, "Thu Jan 01 00:00:00 1970 UTC", Filetime(filetimeEpochDelta*1e7).String())
}

// TestXMLRoundTrip parses documents with every construct the processor
// keeps and checks that the bytes come back unchanged, both through the
// unedited fast path and through re-serializing the tree.
func TestXMLRoundTrip(t *testing.T) {
	docs := map[string][]byte{
		"wimlib style":   append([]byte{0xFF, 0xFE}, utf16le.Encode(`<WIM><IMAGE INDEX="1"><NAME>a</NAME></IMAGE><TOTALBYTES>5</TOTALBYTES></WIM>`+"\n")...),
		"no BOM":         utf16le.Encode(`<WIM><IMAGE INDEX="1"/></WIM>`),
		"everything":     append([]byte{0xFF, 0xFE}, utf16le.Encode("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<!DOCTYPE WIM [<!ELEMENT WIM ANY>]>\r\n<!-- c -->\r\n<WIM >\r\n  <IMAGE INDEX = '1' X=\"&quot;&#65;\" >\r\n    <NAME>a &amp; b &#x10348;\r\n</NAME><?pi x?><![CDATA[ <raw> ]]><EMPTY  />\r\n  </IMAGE >\r\n</WIM >\r\n<!-- end -->\r\n")...),
		"lone surrogate": append(append(append([]byte{0xFF, 0xFE}, utf16le.Encode(`<WIM><IMAGE INDEX="1"><NAME>`)...), 0x00, 0xD8), utf16le.Encode(`</NAME></IMAGE></WIM>`)...),
	}
	for name, src := range docs {
		t.Run(name, func(t *testing.T) {
			d, err := parseXML(src, 0, DefaultLimits.withDefaults())
			require.NoError(t, err)
			testutil.EqualBytes(t, src, d.bytes(), "fast path")
			d.dirty = true
			testutil.EqualBytes(t, src, d.bytes(), "tree")
			imgs, err := d.imageElements(0, DefaultLimits)
			require.NoError(t, err)
			require.Len(t, imgs, 1)
		})
	}
}

// TestXMLEdits checks edits on elements written as empty-element tags and
// the escaping of new text.
func TestXMLEdits(t *testing.T) {
	src := append([]byte{0xFF, 0xFE}, utf16le.Encode(`<WIM><IMAGE INDEX="1" /><!-- keep --><UNKNOWN z="1"><B/>text</UNKNOWN></WIM>`)...)
	d, err := parseXML(src, 0, DefaultLimits)
	require.NoError(t, err)
	imgs, err := d.imageElements(0, DefaultLimits)
	require.NoError(t, err)
	steps, err := parsePropertyPath("WINDOWS/VERSION/BUILD")
	require.NoError(t, err)
	require.NoError(t, d.setProperty(imgs[0], steps, "19041"))
	name, _ := parsePropertyPath("NAME")
	require.NoError(t, d.setProperty(imgs[0], name, "a<b>&c\r\nd"))
	want := append([]byte{0xFF, 0xFE}, utf16le.Encode(`<WIM><IMAGE INDEX="1" ><WINDOWS><VERSION><BUILD>19041</BUILD></VERSION></WINDOWS><NAME>a&lt;b&gt;&amp;c&#13;`+"\n"+`d</NAME></IMAGE><!-- keep --><UNKNOWN z="1"><B/>text</UNKNOWN></WIM>`)...)
	testutil.EqualBytes(t, want, d.bytes())
	d2, err := parseXML(d.bytes(), 0, DefaultLimits)
	require.NoError(t, err)
	imgs2, err := d2.imageElements(0, DefaultLimits)
	require.NoError(t, err)
	info := imageInfo(imgs2[0], 1)
	assert.Equal(t, "a<b>&c\r\nd", info.Name, "text survives a round trip, CR included")
	assert.Equal(t, uint64(19041), info.Windows.Version.Build)
	require.NoError(t, d2.setProperty(imgs2[0], name, ""))
	assert.Empty(t, imageInfo(imgs2[0], 1).Name)
}

// TestUnknownElementsKept edits a document full of elements the package
// does not model: they stay, in their order, byte for byte.
func TestUnknownElementsKept(t *testing.T) {
	before := `<WIM><ZFIRST/><IMAGE INDEX="1"><SERVICINGDATA><GDRDUREVISION>0</GDRDUREVISION></SERVICINGDATA>` +
		`<NAME>old</NAME><X-VENDOR a="b">v</X-VENDOR><WINDOWS><ARCH>9</ARCH><NEWTHING>n</NEWTHING></WINDOWS></IMAGE><AFTER/></WIM>`
	after := `<WIM><ZFIRST/><IMAGE INDEX="1"><SERVICINGDATA><GDRDUREVISION>0</GDRDUREVISION></SERVICINGDATA>` +
		`<NAME>new</NAME><X-VENDOR a="b">v</X-VENDOR><WINDOWS><ARCH>9</ARCH><NEWTHING>n</NEWTHING><EDITIONID>Pro</EDITIONID></WINDOWS></IMAGE><AFTER/></WIM>`
	d, err := parseXML(utf16le.Encode(before), 0, DefaultLimits)
	require.NoError(t, err)
	imgs, err := d.imageElements(0, DefaultLimits)
	require.NoError(t, err)
	for _, kv := range [][2]string{{"NAME", "new"}, {"WINDOWS/EDITIONID", "Pro"}} {
		steps, err := parsePropertyPath(kv[0])
		require.NoError(t, err)
		require.NoError(t, d.setProperty(imgs[0], steps, kv[1]))
	}
	testutil.EqualBytes(t, utf16le.Encode(after), d.bytes())
}

func TestTextUnmarshal(t *testing.T) {
	var g GUID
	require.NoError(t, g.UnmarshalText([]byte("47acc8acb2d9a4cc45c9481055513ac8")))
	assert.Equal(t, "47acc8acb2d9a4cc45c9481055513ac8", g.String())
	require.ErrorIs(t, g.UnmarshalText([]byte("47ac")), ErrInvalidArgument)
	require.ErrorIs(t, g.UnmarshalText([]byte("zz"+strings.Repeat("0", 30))), ErrInvalidArgument)
	var s SHA1
	require.NoError(t, s.UnmarshalText([]byte(strings.Repeat("ab", 20))))
	var c Compression
	require.NoError(t, c.UnmarshalText([]byte("LZMS")))
	assert.Equal(t, CompressionLZMS, c)
	require.ErrorIs(t, c.UnmarshalText([]byte("zstd")), ErrInvalidArgument)
}

func TestIntegrityTableParse(t *testing.T) {
	tbl := &IntegrityTable{ChunkSize: 4096, Hashes: make([]SHA1, 3)}
	b, err := tbl.MarshalBinary()
	require.NoError(t, err)
	_, err = parseIntegrityTable(b, 0, 3*4096)
	require.NoError(t, err)
	for name, mess := range map[string]func([]byte) []byte{
		"short":          func(b []byte) []byte { return b[:8] },
		"size field":     func(b []byte) []byte { binary.LittleEndian.PutUint32(b, 1); return b },
		"entries":        func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 4); return b },
		"chunk size 0":   func(b []byte) []byte { binary.LittleEndian.PutUint32(b[8:], 0); return b },
		"wrong coverage": func(b []byte) []byte { binary.LittleEndian.PutUint32(b[8:], 1<<20); return b },
	} {
		_, err := parseIntegrityTable(mess(append([]byte(nil), b...)), 0, 3*4096)
		require.ErrorIs(t, err, ErrFormat, name)
	}
}
