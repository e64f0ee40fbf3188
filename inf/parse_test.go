package inf_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// infFixtures lists every file under ../shared/fixtures/inf.
func infFixtures(t *testing.T) []string {
	t.Helper()
	var all []string
	for _, dir := range []string{"inf/reactos", "inf/virtio-win", "inf/wds"} {
		all = append(all, testutil.Fixtures(t, dir, "*")...)
	}
	return all
}

func optsFor(path string) *inf.ReadOptions {
	o := &inf.ReadOptions{}
	if strings.HasSuffix(path, ".oem") {
		o.Dialect = inf.TextSetup
	}
	return o
}

// TestRoundTripFixtures: every fixture parses and writes back byte for
// byte, both through the unedited fast path and through a full re-render
// of every line.
func TestRoundTripFixtures(t *testing.T) {
	for _, p := range infFixtures(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			d, err := inf.Parse(b, optsFor(p))
			require.NoError(t, err)
			testutil.EqualBytes(t, b, d.Bytes())
			var buf bytes.Buffer
			n, err := d.WriteTo(&buf)
			require.NoError(t, err)
			assert.Equal(t, int64(len(b)), n)
			testutil.EqualBytes(t, b, buf.Bytes())

			// Concatenating every line's raw bytes gives the file too.
			var cat []byte
			cat = append(cat, bomOf(d)...)
			for l := range d.Lines() {
				cat = append(cat, l.Raw()...)
			}
			cat = append(cat, d.Tail()...)
			testutil.EqualBytes(t, b, cat)
		})
	}
}

func bomOf(d *inf.Document) []byte {
	e := d.Encoding()
	if !e.BOM {
		return nil
	}
	switch e.Form {
	case inf.UTF8:
		return []byte{0xEF, 0xBB, 0xBF}
	case inf.UTF16LE:
		return []byte{0xFF, 0xFE}
	case inf.UTF16BE:
		return []byte{0xFE, 0xFF}
	}
	return nil
}

func encodeUTF16(s string, be bool) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, x := range u {
		if be {
			b[2*i], b[2*i+1] = byte(x>>8), byte(x)
		} else {
			b[2*i], b[2*i+1] = byte(x), byte(x>>8)
		}
	}
	return b
}

// stringsOf returns every key=value of every [Strings*] section, after
// decoding, as "section|key=value" lines.
func stringsOf(d *inf.Document) []string {
	var out []string
	for _, s := range d.Sections() {
		if !strings.HasPrefix(strings.ToLower(s.Name()), "strings") {
			continue
		}
		for _, l := range s.Entries() {
			out = append(out, s.Name()+"|"+l.RawKey()+"="+strings.Join(l.RawFields(), ","))
		}
	}
	return out
}

// TestRoundTripVariants builds disk.inf in other encodings and layouts and
// checks that each round-trips byte for byte and reads the same text.
func TestRoundTripVariants(t *testing.T) {
	orig := testutil.ReadFixture(t, "inf/reactos/disk.inf")
	ref, err := inf.Parse(orig, nil)
	require.NoError(t, err)
	require.Equal(t, inf.UTF8, ref.Encoding().Form)
	refStrings := stringsOf(ref)
	require.NotEmpty(t, refStrings)
	text := string(orig)
	lf := strings.ReplaceAll(text, "\r\n", "\n")

	type variant struct {
		name  string
		b     []byte
		opts  *inf.ReadOptions
		form  inf.Form
		bom   bool
		same  bool // reads exactly the same strings as the UTF-8 original
		check func(t *testing.T, d *inf.Document)
	}
	var vs []variant
	vs = append(vs,
		variant{name: "utf8 crlf", b: orig, form: inf.UTF8, same: true},
		variant{name: "utf8 lf", b: []byte(lf), form: inf.UTF8, same: true},
		variant{name: "utf8 bom", b: append([]byte{0xEF, 0xBB, 0xBF}, orig...), form: inf.UTF8, bom: true, same: true},
		variant{name: "utf16le bom", b: append([]byte{0xFF, 0xFE}, encodeUTF16(text, false)...), form: inf.UTF16LE, bom: true, same: true},
		variant{name: "utf16le no bom", b: encodeUTF16(text, false), form: inf.UTF16LE, same: true},
		variant{name: "utf16le lf", b: append([]byte{0xFF, 0xFE}, encodeUTF16(lf, false)...), form: inf.UTF16LE, bom: true, same: true},
		variant{name: "utf16be bom", b: append([]byte{0xFE, 0xFF}, encodeUTF16(text, true)...), form: inf.UTF16BE, bom: true, same: true},
		variant{name: "ctrl-z", b: append(append([]byte(nil), orig...), 0x1A), form: inf.UTF8, same: true},
		variant{name: "ctrl-z and junk", b: append(append([]byte(nil), orig...), 0x1A, 0x00, 'x', 0xFF), form: inf.ANSI},
		variant{name: "no final newline", b: []byte(strings.TrimSuffix(text, "\r\n")), form: inf.UTF8, same: true,
			check: func(t *testing.T, d *inf.Document) { assert.False(t, d.FinalNewline()) }},
		variant{name: "utf16le ctrl-z no newline", b: append(append([]byte{0xFF, 0xFE}, encodeUTF16(strings.TrimSuffix(text, "\r\n"), false)...), 0x1A, 0x00), form: inf.UTF16LE, bom: true, same: true},
		variant{name: "utf16le odd byte", b: append(append([]byte{0xFF, 0xFE}, encodeUTF16(text, false)...), 0x41), form: inf.UTF16LE, bom: true, same: true},
	)
	for _, cp := range []struct {
		name string
		enc  encoding.Encoding
	}{
		{"windows-1252", charmap.Windows1252},
		{"windows-1251", charmap.Windows1251},
		{"cp932", japanese.ShiftJIS},
	} {
		b, keep := transcode(t, text, cp.enc)
		cpEnc := cp.enc
		vs = append(vs, variant{name: cp.name, b: b, opts: &inf.ReadOptions{CodePage: cp.enc}, form: inf.ANSI,
			check: func(t *testing.T, d *inf.Document) {
				require.Equal(t, cpEnc, d.Encoding().CodePage)
				// Every line the code page can represent reads as in the original.
				i := 0
				for l := range d.Lines() {
					for _, pl := range strings.Split(l.Text(), "\n") {
						if keep[i] != "" {
							require.Equal(t, keep[i], pl, "line %d", i+1)
						}
						i++
					}
				}
				require.Equal(t, len(keep), i)
			}})
	}
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			d, err := inf.Parse(v.b, v.opts)
			require.NoError(t, err)
			testutil.EqualBytes(t, v.b, d.Bytes())
			assert.Equal(t, v.form, d.Encoding().Form)
			assert.Equal(t, v.bom, d.Encoding().BOM)
			if v.same {
				assert.Equal(t, refStrings, stringsOf(d))
				assert.Equal(t, "(Generic Disk Drives)", d.Section("Strings").Find("GenericMfg").Field(0))
			}
			if v.check != nil {
				v.check(t, d)
			}
			// An edit in the middle keeps every other byte.
			sec := d.Section("Version")
			require.NotNil(t, sec)
			l := sec.Find("DriverVer")
			require.NotNil(t, l)
			require.NoError(t, l.SetFields("01/02/2024", "9.8.7.6"))
			out := d.Bytes()
			before, after := splitAround(v.b, out)
			assert.NotContains(t, before, "DriverVer")
			assert.NotContains(t, after, "DriverVer")
			d2, err := inf.Parse(out, v.opts)
			require.NoError(t, err)
			assert.Equal(t, []string{"01/02/2024", "9.8.7.6"}, d2.Section("version").Find("driverver").Fields())
			assert.Equal(t, d.Encoding().Form, d2.Encoding().Form)
		})
	}
}

// splitAround returns the lengths of the common prefix and suffix of a and
// b as strings of the differing middle parts (for messages).
func splitAround(a, b []byte) (string, string) {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	return string(a[p : len(a)-s]), string(b[p : len(b)-s])
}

// transcode encodes text line by line in enc; a line the code page cannot
// represent is replaced by an ASCII comment. It returns the bytes and, per
// physical line, the expected decoded text ("" for replaced lines).
func transcode(t *testing.T, text string, enc encoding.Encoding) ([]byte, []string) {
	t.Helper()
	var out []byte
	var keep []string
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	represented := 0
	for _, ln := range lines {
		body := strings.TrimRight(ln, "\r\n")
		eol := ln[len(body):]
		b, err := enc.NewEncoder().Bytes([]byte(body))
		if err == nil {
			if back, _ := enc.NewDecoder().Bytes(b); string(back) != body {
				err = encoding.ErrInvalidUTF8
			}
		}
		if err != nil {
			out = append(out, ";unrepresentable"...)
			keep = append(keep, "")
		} else {
			out = append(out, b...)
			keep = append(keep, body)
			if !isASCII(body) {
				represented++
			}
		}
		out = append(out, eol...)
	}
	require.Positive(t, represented, "the variant must hold non-ASCII text")
	return out, keep
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestWriteFileAtomic: a failing save leaves the original file intact and
// no temporary file behind; a good one writes the edited bytes.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.inf")
	orig := []byte("[Version]\r\nSignature=\"$Windows NT$\"\r\nDriverVer=01/01/2000,1.0.0.0\r\n")
	require.NoError(t, os.WriteFile(p, orig, 0o600))
	d, err := inf.Open(p, nil)
	require.NoError(t, err)
	require.NoError(t, d.Section("Version").Find("DriverVer").SetFields("02/02/2002", "2.0.0.0"))

	for _, n := range []int64{0, 10, int64(len(orig)) - 1} {
		restore := atomicfile.FailAfter(n)
		err = d.WriteFile(p, 0)
		restore()
		require.ErrorIs(t, err, atomicfile.ErrInjected)
		got, err := os.ReadFile(p)
		require.NoError(t, err)
		testutil.EqualBytes(t, orig, got)
		ents, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, ents, 1, "no temporary file may remain")
	}
	require.NoError(t, d.WriteFile(p, 0))
	got, err := os.ReadFile(p)
	require.NoError(t, err)
	testutil.EqualBytes(t, d.Bytes(), got)
	assert.Contains(t, string(got), "DriverVer=02/02/2002,2.0.0.0\r\n")
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "permissions of the replaced file are kept")
}

func TestDetectEncoding(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		cp   encoding.Encoding
		want inf.Form
		bom  bool
	}{
		{"empty", nil, nil, inf.ANSI, false},
		{"ascii", []byte("[a]\r\n"), nil, inf.ANSI, false},
		{"utf8 no bom", []byte("[a]\r\nk=Grüße\r\n"), nil, inf.UTF8, false},
		{"utf8 with cp given", []byte("[a]\r\nk=Grüße\r\n"), charmap.Windows1252, inf.ANSI, false},
		{"latin1 bytes", []byte("[a]\r\nk=Gr\xfc\xdfe\r\n"), nil, inf.ANSI, false},
		{"utf8 bom", []byte("\xEF\xBB\xBF[a]"), nil, inf.UTF8, true},
		{"utf16le bom", []byte("\xFF\xFE[\x00"), nil, inf.UTF16LE, true},
		{"utf16be bom", []byte("\xFE\xFF\x00["), nil, inf.UTF16BE, true},
		{"utf16le sniffed", encodeUTF16("[Version]\r\n", false), nil, inf.UTF16LE, false},
		{"utf16be sniffed", encodeUTF16("[Version]\r\n", true), nil, inf.UTF16BE, false},
		{"one NUL is not utf16", []byte("[a]\r\nk=a\x00b\r\n"), nil, inf.ANSI, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := inf.DetectEncoding(tc.in, tc.cp)
			assert.Equal(t, tc.want, e.Form)
			assert.Equal(t, tc.bom, e.BOM)
		})
	}
}

// TestDumpGolden renders a generated document with Dump and as JSON and
// compares with testdata/*.golden (go test -update rewrites them).
func TestDumpGolden(t *testing.T) {
	d, err := inf.Parse([]byte(exampleINF), &inf.ReadOptions{Language: 0x0407})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, d.Dump(&buf))
	testutil.Golden(t, "example.dump.golden", buf.Bytes())
	js, err := json.MarshalIndent(d.Summary(), "", "  ")
	require.NoError(t, err)
	testutil.Golden(t, "example.json.golden", append(js, '\n'))
}
