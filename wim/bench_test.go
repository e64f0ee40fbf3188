package wim_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/wim"
)

// metaBytes is what NewReader reads of b: header, blob table and XML.
func metaBytes(b testing.TB, in []byte) int64 {
	h, err := wim.ParseHeader(in)
	if err != nil {
		b.Fatal(err)
	}
	return int64(wim.HeaderSize + h.BlobTable.Size + h.XMLData.Size)
}

func benchmarkParse(b *testing.B, in []byte) {
	b.SetBytes(metaBytes(b, in))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := wim.NewReader(bytes.NewReader(in), int64(len(in)), nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseFixture reads header, XML and blob table of the two-image
// LZX fixture.
func BenchmarkParseFixture(b *testing.B) {
	benchmarkParse(b, testutil.ReadFixture(b, "wim/lzx_2img_check.wim"))
}

// BenchmarkParseSolid reads the solid ESD fixture (solid resource headers
// included).
func BenchmarkParseSolid(b *testing.B) {
	benchmarkParse(b, testutil.ReadFixture(b, "wim/solid.esd"))
}

// installLike builds an install.wim-shaped WIM: images with full WINDOWS
// blocks and a blob table of blobs entries (the data itself is absent:
// entries point at one shared resource).
func installLike(b testing.TB, images, blobs int) []byte {
	var x strings.Builder
	x.WriteString("<WIM>")
	for i := 1; i <= images; i++ {
		fmt.Fprintf(&x, `<IMAGE INDEX="%d"><NAME>Windows 11 Edition %d</NAME><DESCRIPTION>Windows 11 Edition %d</DESCRIPTION>`+
			`<DIRCOUNT>28879</DIRCOUNT><FILECOUNT>111139</FILECOUNT><TOTALBYTES>16467932106</TOTALBYTES><HARDLINKBYTES>7141512848</HARDLINKBYTES>`+
			`<CREATIONTIME><HIGHPART>0x01D88B8C</HIGHPART><LOWPART>0x2E8E0E2A</LOWPART></CREATIONTIME>`+
			`<LASTMODIFICATIONTIME><HIGHPART>0x01D88B8F</HIGHPART><LOWPART>0xB1E9A6B0</LOWPART></LASTMODIFICATIONTIME>`+
			`<WINDOWS><ARCH>9</ARCH><PRODUCTNAME>Microsoft® Windows® Operating System</PRODUCTNAME><EDITIONID>Education</EDITIONID>`+
			`<INSTALLATIONTYPE>Client</INSTALLATIONTYPE><SERVICINGDATA><GDRDUREVISION>0</GDRDUREVISION><PKEYCONFIGVERSION>10.0.22000.1;2016-01-01T00:00:00Z</PKEYCONFIGVERSION></SERVICINGDATA>`+
			`<PRODUCTTYPE>WinNT</PRODUCTTYPE><PRODUCTSUITE>Terminal Server</PRODUCTSUITE><LANGUAGES><LANGUAGE>en-US</LANGUAGE><DEFAULT>en-US</DEFAULT></LANGUAGES>`+
			`<VERSION><MAJOR>10</MAJOR><MINOR>0</MINOR><BUILD>22000</BUILD><SPBUILD>795</SPBUILD><SPLEVEL>0</SPLEVEL></VERSION><SYSTEMROOT>WINDOWS</SYSTEMROOT></WINDOWS>`+
			`<FLAGS>Education</FLAGS><DISPLAYNAME>Windows 11 Education</DISPLAYNAME><DISPLAYDESCRIPTION>Windows 11 Education</DISPLAYDESCRIPTION></IMAGE>`, i, i, i)
	}
	x.WriteString("<TOTALBYTES>4939845106</TOTALBYTES></WIM>")
	extra := make([]byte, 0, 50*blobs)
	for i := range blobs {
		e := make([]byte, 50)
		binary.LittleEndian.PutUint64(e[0:], 64)
		binary.LittleEndian.PutUint64(e[8:], wim.HeaderSize)
		binary.LittleEndian.PutUint64(e[16:], 64)
		binary.LittleEndian.PutUint16(e[24:], 1)
		binary.LittleEndian.PutUint32(e[26:], 1)
		h := sha1.Sum(binary.LittleEndian.AppendUint32(nil, uint32(i)))
		copy(e[30:], h[:])
		extra = append(extra, e...)
	}
	return synth{images: images, xml: x.String(), extra: extra}.bytes(b)
}

// BenchmarkParseInstallWIM reads a ten-image install.wim-shaped WIM with
// 100,000 blobs (about the size of a Windows 11 install.wim's tables).
func BenchmarkParseInstallWIM(b *testing.B) {
	benchmarkParse(b, installLike(b, 10, 100000))
}

// BenchmarkParseManyImages is adversarial: 5,000 images (11 MiB of XML).
func BenchmarkParseManyImages(b *testing.B) {
	benchmarkParse(b, installLike(b, 5000, 5000))
}

// BenchmarkWriteXMLEdit renames an image of the install-like WIM and
// serializes the XML (what a commit writes).
func BenchmarkWriteXMLEdit(b *testing.B) {
	in := installLike(b, 10, 10)
	r, err := wim.NewReader(bytes.NewReader(in), int64(len(in)), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(r.XML())))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := r.SetName(5, fmt.Sprintf("renamed %d", i)); err != nil {
			b.Fatal(err)
		}
		_ = r.XML()
	}
}

// BenchmarkVerifyIntegrity hashes 32 MiB with the integrity table.
func BenchmarkVerifyIntegrity(b *testing.B) {
	in := synth{images: 1, gap: 32 << 20}.bytes(b)
	r, err := wim.NewReader(bytes.NewReader(in), int64(len(in)), nil)
	if err != nil {
		b.Fatal(err)
	}
	r.AddIntegrity()
	var out bytes.Buffer
	if _, err := r.WriteTo(&out); err != nil {
		b.Fatal(err)
	}
	w, err := wim.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()), nil)
	if err != nil {
		b.Fatal(err)
	}
	h := w.Header()
	b.SetBytes(int64(h.BlobTableEnd()) - wim.HeaderSize)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.VerifyIntegrity(); err != nil {
			b.Fatal(err)
		}
	}
}
