package hive_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// hivexExport runs hivexregedit --export on a hive file.
func hivexExport(t *testing.T, path string) string {
	t.Helper()
	bin := testutil.Tool(t, "hivexregedit")
	out, errOut, err := testutil.RunErr(bin, "--export", path, `\`)
	require.NoError(t, err, errOut)
	noWarnings(t, "hivexregedit", errOut)
	return out
}

// Every fixture's content equals what hivexregedit --export prints: the
// export imported into a new hive by our importer has no difference from
// the fixture (class names aside, which .reg files do not carry), and
// hivexregedit prints the same text for both.
func TestFixturesMatchHivexExport(t *testing.T) {
	for _, p := range fixtureHives(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			orig, err := hive.Open(p, nil)
			require.NoError(t, err)
			reg := hivexExport(t, p)
			_, minor := orig.Version()
			h, err := hive.New(orig.Root().Name(), minor, nil)
			require.NoError(t, err)
			require.NoError(t, h.ImportReg(strings.NewReader(reg), nil))
			require.Empty(t, h.Check())

			ds, err := hive.Diff(orig.Root(), h.Root(), &hive.DiffOptions{IgnoreClass: true})
			require.NoError(t, err)
			assert.Empty(t, ds, hive.FormatDiff(ds))
			// Without IgnoreClass, only class names differ.
			ds, err = hive.Diff(orig.Root(), h.Root(), nil)
			require.NoError(t, err)
			for _, d := range ds {
				assert.Equal(t, hive.ClassDiffers, d.Kind, d.String())
			}

			rebuilt := saveTemp(t, h, "rebuilt")
			assert.Empty(t, lineDiff(reg, hivexExport(t, rebuilt)))
		})
	}
}

// Our own export imports back to the same content, in both encodings.
func TestExportImportRoundTrip(t *testing.T) {
	sample, _, _ := buildSample(t, hive.Version15)
	hives := map[string]*hive.Hive{"sample": sample}
	for _, rel := range []string{"hive/hive_hivex_special.hiv", "hive/hive_pyreg_unicode.hiv", "hive/regipy_SECURITY", "bcd/bcd_ntloader3_bcdedit.bcd"} {
		h, err := hive.Open(testutil.Fixture(t, rel), nil)
		require.NoError(t, err)
		hives[rel] = h
	}
	for name, src := range hives {
		for _, utf8 := range []bool{false, true} {
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				require.NoError(t, src.ExportReg(&buf, &hive.ExportOptions{UTF8: utf8}))
				if !utf8 {
					require.True(t, bytes.HasPrefix(buf.Bytes(), []byte{0xFF, 0xFE, 'W', 0}))
				}
				dst, err := hive.New("ROOT", hive.Version15, nil)
				require.NoError(t, err)
				require.NoError(t, dst.ImportReg(bytes.NewReader(buf.Bytes()), nil))
				ds, err := hive.Diff(src.Root(), dst.Root(), &hive.DiffOptions{IgnoreClass: true})
				require.NoError(t, err)
				assert.Empty(t, ds, hive.FormatDiff(ds))
			})
		}
	}
}

// hivexregedit --merge reads our export: merging it into hivex's minimal
// hive gives the same content as the source.
func TestExportReadByHivexMerge(t *testing.T) {
	src, _, _ := buildSample(t, hive.Version15)
	// hivex cannot write big-data records and wants every parent as its own
	// section; drop the 100 KB value and the 5,000 keys to keep it quick.
	require.NoError(t, src.DeleteKey("Big"))
	require.NoError(t, src.DeleteKey("Many"))
	// hivexregedit --merge reads quoted string data as Latin-1 bytes, so
	// keep that string ASCII in this UTF-8 file.
	require.NoError(t, src.SetRawValue(`Ключ\日本語`, "Имя", uint32(hive.String), hive.EncodeString("ASCII only")))
	dir := t.TempDir()
	regPath := filepath.Join(dir, "in.reg")
	var buf bytes.Buffer
	require.NoError(t, src.ExportReg(&buf, &hive.ExportOptions{Prefix: `HKEY_LOCAL_MACHINE\TEST`, UTF8: true}))
	require.NoError(t, os.WriteFile(regPath, buf.Bytes(), 0o644))
	base := filepath.Join(dir, "merged.hiv")
	require.NoError(t, os.WriteFile(base, testutil.ReadFixture(t, "hive/hive_hivex_minimal.hiv"), 0o644))
	bin := testutil.Tool(t, "hivexregedit")
	_, errOut, err := testutil.RunErr(bin, "--merge", "--prefix", `HKEY_LOCAL_MACHINE\TEST`, base, regPath)
	require.NoError(t, err, errOut)
	noWarnings(t, "hivexregedit", errOut)
	merged, err := hive.Open(base, nil)
	require.NoError(t, err)
	ds, err := hive.Diff(src.Root(), merged.Root(), &hive.DiffOptions{IgnoreClass: true})
	require.NoError(t, err)
	assert.Empty(t, ds, hive.FormatDiff(ds))
}

// The export format, kept as a golden file (UTF-8 rendition).
func TestExportGolden(t *testing.T) {
	h, err := hive.New("SYSTEM", hive.Version15, nil)
	require.NoError(t, err)
	k, err := h.Root().CreateKey(`ControlSet001\Services\viostor`)
	require.NoError(t, err)
	require.NoError(t, k.SetDWord("Start", 0))
	require.NoError(t, k.SetString("Group", `SCSI "miniport"`))
	require.NoError(t, k.SetExpandString("ImagePath", `system32\drivers\viostor.sys`))
	require.NoError(t, k.SetString("", "default"))
	require.NoError(t, k.SetMultiString("Deps", []string{"a", "b"}))
	require.NoError(t, k.SetBinary("Blob", bytes.Repeat([]byte{0xAB}, 60)))
	require.NoError(t, k.SetValue("NoNul", hive.String, []byte{'x', 0}))
	require.NoError(t, k.SetValue("ShortDword", hive.DWord, []byte{1, 2}))
	require.NoError(t, k.SetQWord("Q", 0x0102030405060708))
	_, err = h.Root().CreateKey(`ControlSet001\Ключ`)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, h.ExportReg(&buf, &hive.ExportOptions{UTF8: true}))
	testutil.Golden(t, "export.reg.golden", buf.Bytes())

	var u16 bytes.Buffer
	require.NoError(t, h.ExportReg(&u16, nil))
	dec, err := decodeUTF16(u16.Bytes()[2:])
	require.NoError(t, err)
	assert.Equal(t, strings.ReplaceAll(buf.String(), "\n", "\r\n"), dec)
}

func decodeUTF16(b []byte) (string, error) {
	h, err := hive.New("x", hive.Version15, nil)
	if err != nil {
		return "", err
	}
	// Reuse the package's REG_SZ decoder on NUL-free text.
	if err := h.Root().SetValue("t", hive.String, append(bytes.Clone(b), 0, 0)); err != nil {
		return "", err
	}
	v, err := h.Root().Value("t")
	if err != nil {
		return "", err
	}
	return v.StringData()
}

func TestImportSyntax(t *testing.T) {
	base := func() *hive.Hive {
		h, err := hive.New("ROOT", hive.Version15, nil)
		require.NoError(t, err)
		require.NoError(t, h.SetRawValue(`Keep\Sub`, "v", uint32(hive.DWord), hive.EncodeDWord(1)))
		require.NoError(t, h.SetRawValue(`Gone\Deep`, "v", uint32(hive.DWord), hive.EncodeDWord(1)))
		require.NoError(t, h.SetRawValue(`Keep`, "drop", uint32(hive.DWord), hive.EncodeDWord(1)))
		return h
	}
	t.Run("operations", func(t *testing.T) {
		h := base()
		reg := "REGEDIT4\r\n\r\n; a comment\r\n[HKEY_LOCAL_MACHINE\\X]\r\n\r\n" +
			"[-HKEY_LOCAL_MACHINE\\X\\Gone]\r\n\"ignored\"=dword:00000001\r\n" +
			"[HKEY_LOCAL_MACHINE\\X\\Keep]\r\n\"drop\"=-\r\n\"missing\"=-\r\n" +
			"\"bin\"=hex:01,02,\\\r\n  03,04\r\n" +
			"@=\"quote \\\" and backslash \\\\\"\r\n" +
			"\"t\"=hex(7):61,00,00,00,00,00\r\n" +
			"\"e\"=hex(2):\r\n" +
			"[HKEY_LOCAL_MACHINE\\X\\New\\Deeper]\r\n\"d\"=dword:0000ffff\r\n"
		require.NoError(t, h.ImportReg(strings.NewReader(reg), nil))
		_, err := h.OpenKey("Gone")
		require.ErrorIs(t, err, hive.ErrNotFound)
		tests := []struct {
			path, name string
			typ        hive.ValueType
			data       []byte
			ok         bool
		}{
			{"Keep", "drop", 0, nil, false},
			{"Keep", "bin", hive.Binary, []byte{1, 2, 3, 4}, true},
			{"Keep", "", hive.String, hive.EncodeString(`quote " and backslash \`), true},
			{"Keep", "t", hive.MultiString, []byte{'a', 0, 0, 0, 0, 0}, true},
			{"Keep", "e", hive.ExpandString, []byte{}, true},
			{`New\Deeper`, "d", hive.DWord, hive.EncodeDWord(0xFFFF), true},
			{`Keep\Sub`, "v", hive.DWord, hive.EncodeDWord(1), true},
		}
		for _, tt := range tests {
			typ, data, ok, err := h.RawValue(tt.path, tt.name)
			require.NoError(t, err)
			require.Equal(t, tt.ok, ok, "%s:%s", tt.path, tt.name)
			if ok {
				assert.Equal(t, uint32(tt.typ), typ)
				assert.Equal(t, tt.data, data)
			}
		}
		assert.Empty(t, h.Check())
	})
	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name, reg string
			opts      *hive.ImportOptions
			line      int
		}{
			{"header", "Windows Registry Editor Version 4\n[x]\n", nil, 1},
			{"value before key", regHeaderLine + "\"a\"=dword:1\n", nil, 3},
			{"bad dword", regHeaderLine + "[x]\n\"a\"=dword:xyz\n", nil, 4},
			{"bad hex", regHeaderLine + "[x]\n\"a\"=hex:1,zz\n", nil, 4},
			{"unterminated", regHeaderLine + "[x]\n\"a=dword:1\n", nil, 4},
			{"no equals", regHeaderLine + "[x]\n\"a\" dword:1\n", nil, 4},
			{"unknown data", regHeaderLine + "[x]\n\"a\"=qword:1\n", nil, 4},
			{"outside prefix", regHeaderLine + "[x]\n[y\\z]\n", nil, 4},
			{"wrong prefix", regHeaderLine + "[x]\n", &hive.ImportOptions{Prefix: "y"}, 3},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := base()
				before := h.Bytes()
				err := h.ImportReg(strings.NewReader(tt.reg), tt.opts)
				require.ErrorIs(t, err, hive.ErrFormat)
				var se *hive.SyntaxError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.line, se.Line)
				assert.Equal(t, before, h.Bytes(), "hive changed by a failed import")
			})
		}
	})
	t.Run("all or nothing", func(t *testing.T) {
		h := base()
		before := h.Bytes()
		reg := regHeaderLine + "[R]\n\"ok\"=dword:1\n[R\\" + strings.Repeat("n", 300) + "]\n"
		require.ErrorIs(t, h.ImportReg(strings.NewReader(reg), nil), hive.ErrLimit)
		assert.Equal(t, before, h.Bytes())
		_, err := h.OpenKey("ok")
		require.ErrorIs(t, err, hive.ErrNotFound)
	})
}

// lineDiff describes the first line where two texts differ ("" if equal).
func lineDiff(want, got string) string {
	if want == got {
		return ""
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n- %.300s\n+ %.300s", i+1, w, g)
		}
	}
	return "texts differ"
}

const regHeaderLine = "Windows Registry Editor Version 5.00\n\n"

func TestDiff(t *testing.T) {
	a, err := hive.New("A", hive.Version15, nil)
	require.NoError(t, err)
	b, err := hive.New("B", hive.Version13, nil)
	require.NoError(t, err)
	for _, h := range []*hive.Hive{a, b} {
		require.NoError(t, h.SetRawValue(`Same\Key`, "v", uint32(hive.DWord), hive.EncodeDWord(1)))
	}
	require.NoError(t, a.SetRawValue(`same\key`, "t", uint32(hive.DWord), hive.EncodeDWord(1)))
	require.NoError(t, b.SetRawValue(`Same\Key`, "T", uint32(hive.Binary), hive.EncodeDWord(1)))
	require.NoError(t, a.SetRawValue(`Same`, "d", uint32(hive.Binary), []byte{1}))
	require.NoError(t, b.SetRawValue(`Same`, "D", uint32(hive.Binary), []byte{2}))
	require.NoError(t, a.SetRawValue(`OnlyA\Sub`, "x", uint32(hive.Binary), nil))
	require.NoError(t, b.CreateKey(`OnlyB`))
	require.NoError(t, a.SetRawValue(``, "va", uint32(hive.Binary), nil))
	require.NoError(t, b.SetRawValue(``, "vb", uint32(hive.Binary), nil))
	k, err := a.OpenKey("Same")
	require.NoError(t, err)
	require.NoError(t, k.SetClass("c"))

	ds, err := hive.Diff(a.Root(), b.Root(), nil)
	require.NoError(t, err)
	var got []string
	for _, d := range ds {
		got = append(got, d.Kind.String()+" "+d.Path+":"+d.Value)
	}
	assert.Equal(t, []string{
		"value only in A :va",
		"value only in B :vb",
		"key only in A OnlyA:",
		"key only in B OnlyB:",
		"class differs Same:",
		"data differs Same:d",
		"type differs Same\\Key:t",
	}, got)
	ds, err = hive.Diff(a.Root(), a.Root(), nil)
	require.NoError(t, err)
	assert.Empty(t, ds)
}
