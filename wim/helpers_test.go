package wim_test

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/wim"
)

// synth describes a synthetic WIM: header, fake metadata resources, blob
// table, XML. wimlib-imagex info reads such a file (it never opens the
// metadata resources); verify would not.
type synth struct {
	images   int               // metadata resources and IMAGE elements
	xml      string            // whole XML document (without BOM); "" for a default one
	noBOM    bool              // omit the byte order mark
	gap      int64             // hole between the metadata resources and the blob table
	editHdr  func(*wim.Header) // last-minute header changes
	metaSize int               // bytes per fake metadata resource (default 64)
	extra    []byte            // more blob table entries after the metadata ones
}

// encodeXML returns s as UTF-16LE with a BOM.
func encodeXML(s string, bom bool) []byte {
	var b []byte
	if bom {
		b = []byte{0xFF, 0xFE}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// defaultXML is XML for n images named img1..imgN.
func defaultXML(n int, totalBytes int64) string {
	var b strings.Builder
	b.WriteString("<WIM>")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `<IMAGE INDEX="%d"><NAME>img%d</NAME><DIRCOUNT>%d</DIRCOUNT><FILECOUNT>%d</FILECOUNT><TOTALBYTES>%d</TOTALBYTES>`+
			`<CREATIONTIME><HIGHPART>0x01DD79D0</HIGHPART><LOWPART>0xA336398C</LOWPART></CREATIONTIME></IMAGE>`, i, i, i, 2*i, 1000*i)
	}
	fmt.Fprintf(&b, "<TOTALBYTES>%d</TOTALBYTES></WIM>", totalBytes)
	return b.String()
}

// layout returns the pieces of the synthetic WIM and their offsets.
type synthLayout struct {
	hdr      wim.Header
	meta     [][]byte
	metaOff  []int64
	table    []byte
	tableOff int64
	xml      []byte
	xmlOff   int64
}

func (s synth) layout() synthLayout {
	var l synthLayout
	ms := s.metaSize
	if ms == 0 {
		ms = 64
	}
	off := int64(wim.HeaderSize)
	for i := 0; i < s.images; i++ {
		m := make([]byte, ms)
		for k := range m {
			m[k] = byte(i*7 + k)
		}
		l.meta = append(l.meta, m)
		l.metaOff = append(l.metaOff, off)
		off += int64(ms)
	}
	off += s.gap
	l.tableOff = off
	for i, m := range l.meta {
		e := make([]byte, 50)
		rh := uint64(len(m)) | uint64(wim.ResourceMetadata)<<56
		binary.LittleEndian.PutUint64(e[0:], rh)
		binary.LittleEndian.PutUint64(e[8:], uint64(l.metaOff[i]))
		binary.LittleEndian.PutUint64(e[16:], uint64(len(m)))
		binary.LittleEndian.PutUint16(e[24:], 1)
		binary.LittleEndian.PutUint32(e[26:], 1)
		h := sha1.Sum(m)
		copy(e[30:], h[:])
		l.table = append(l.table, e...)
	}
	l.table = append(l.table, s.extra...)
	off += int64(len(l.table))
	l.xmlOff = off
	x := s.xml
	if x == "" {
		x = defaultXML(s.images, off)
	}
	l.xml = encodeXML(x, !s.noBOM)
	l.hdr = wim.Header{
		Magic:      wim.MagicWIM,
		HeaderSize: wim.HeaderSize,
		Version:    wim.VersionDefault,
		Flags:      wim.FlagRPFix,
		GUID:       wim.GUID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		PartNumber: 1,
		TotalParts: 1,
		ImageCount: uint32(s.images),
		BlobTable:  wim.ResourceHeader{Size: uint64(len(l.table)), Flags: wim.ResourceMetadata, Offset: uint64(l.tableOff), UncompressedSize: uint64(len(l.table))},
		XMLData:    wim.ResourceHeader{Size: uint64(len(l.xml)), Flags: wim.ResourceMetadata, Offset: uint64(l.xmlOff), UncompressedSize: uint64(len(l.xml))},
	}
	if s.editHdr != nil {
		s.editHdr(&l.hdr)
	}
	return l
}

// bytes builds the synthetic WIM in memory.
func (s synth) bytes(t testing.TB) []byte {
	t.Helper()
	l := s.layout()
	hb, err := l.hdr.MarshalBinary()
	require.NoError(t, err)
	out := make([]byte, l.xmlOff+int64(len(l.xml)))
	copy(out, hb)
	for i, m := range l.meta {
		copy(out[l.metaOff[i]:], m)
	}
	copy(out[l.tableOff:], l.table)
	copy(out[l.xmlOff:], l.xml)
	return out
}

// writeSparse writes the synthetic WIM to path with WriteAt, so a large gap
// stays a hole.
func (s synth) writeSparse(t testing.TB, path string) int64 {
	t.Helper()
	l := s.layout()
	hb, err := l.hdr.MarshalBinary()
	require.NoError(t, err)
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.WriteAt(hb, 0)
	require.NoError(t, err)
	for i, m := range l.meta {
		_, err = f.WriteAt(m, l.metaOff[i])
		require.NoError(t, err)
	}
	_, err = f.WriteAt(l.table, l.tableOff)
	require.NoError(t, err)
	_, err = f.WriteAt(l.xml, l.xmlOff)
	require.NoError(t, err)
	return l.xmlOff + int64(len(l.xml))
}

// writeTemp writes b to a new file in a test directory and returns its path.
func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// copyFixture copies a WIM fixture to a writable temporary file.
func copyFixture(t testing.TB, rel string) string {
	t.Helper()
	return writeTemp(t, filepath.Base(rel), testutil.ReadFixture(t, rel))
}

// wimFixtures lists every WIM, ESD and SWM in the shared fixtures.
func wimFixtures(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, g := range []string{"*.wim", "*.esd", "*.swm"} {
		out = append(out, testutil.Fixtures(t, "wim", g)...)
	}
	return out
}

// wimlibOut is the parsed output of wimlib-imagex info.
type wimlibOut struct {
	wim    map[string]string   // "WIM Information" keys
	images []map[string]string // one map per image block
	order  [][]string          // keys of each image block, in printed order
}

// parseWimlibInfo splits "Key:   value" lines into the WIM section and one
// map per image (a block starts at "Index:").
func parseWimlibInfo(t testing.TB, out string) wimlibOut {
	t.Helper()
	w := wimlibOut{wim: map[string]string{}}
	inImages := false
	for _, line := range strings.Split(out, "\n") {
		switch {
		case line == "Available Images:" || strings.HasPrefix(line, "Information for Image"):
			inImages = true
			continue
		case line == "" || strings.HasPrefix(line, "---") || line == "WIM Information:":
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		require.True(t, ok, "unexpected wimlib line %q", line)
		v = strings.TrimLeft(v, " ")
		if !inImages {
			w.wim[k] = v
			continue
		}
		if k == "Index" {
			w.images = append(w.images, map[string]string{})
			w.order = append(w.order, nil)
		}
		require.NotEmpty(t, w.images, "image field before Index: %q", line)
		w.images[len(w.images)-1][k] = v
		w.order[len(w.order)-1] = append(w.order[len(w.order)-1], k)
	}
	return w
}

// parseWimlibHeader parses "Key = value" lines and the flag lines of
// wimlib-imagex info --header.
func parseWimlibHeader(t testing.TB, out string) (map[string]string, []string) {
	t.Helper()
	m := map[string]string{}
	var flags []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f, ok := strings.CutPrefix(line, "    WIM_HDR_FLAG_"); ok {
			flags = append(flags, strings.TrimSuffix(f, " is set"))
			continue
		}
		k, v, ok := strings.Cut(line, " = ")
		require.True(t, ok, "unexpected header line %q", line)
		m[strings.TrimSpace(k)] = v
	}
	return m, flags
}

// wimlib runs wimlib-imagex and returns stdout, failing the test on a
// non-zero exit.
func wimlib(t testing.TB, args ...string) string {
	t.Helper()
	return testutil.Run(t, testutil.Tool(t, "wimlib-imagex"), args...)
}

// wimlibErr runs wimlib-imagex and returns its output (stdout then stderr)
// and the error from running it.
func wimlibErr(t testing.TB, args ...string) (string, error) {
	t.Helper()
	out, errOut, err := testutil.RunErr(testutil.Tool(t, "wimlib-imagex"), args...)
	return out + errOut, err
}

func openFile(t testing.TB, path string) *wim.File {
	t.Helper()
	f, err := wim.Open(path, nil)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}
