package inf_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// utf16Lines splits UTF-16LE bytes (after a BOM) into physical lines with
// their CRLF, independently of the package.
func utf16Lines(t *testing.T, b []byte) []string {
	t.Helper()
	require.True(t, bytes.HasPrefix(b, []byte{0xFF, 0xFE}))
	require.Zero(t, len(b)%2)
	u := make([]uint16, (len(b)-2)/2)
	for i := range u {
		u[i] = uint16(b[2+2*i]) | uint16(b[3+2*i])<<8
	}
	return strings.SplitAfter(string(utf16.Decode(u)), "\r\n")
}

// TestEditUTF16Netvadapter: changing DriverVer and adding a models line in
// the UTF-16LE netvadapter.inf changes only those lines; BOM, encoding and
// CRLF endings stay.
func TestEditUTF16Netvadapter(t *testing.T) {
	orig := testutil.ReadFixture(t, "inf/wds/netvadapter.inf")
	d, err := inf.Parse(orig, nil)
	require.NoError(t, err)
	require.Equal(t, inf.Encoding{Form: inf.UTF16LE, BOM: true}, d.Encoding())

	dv := d.Section("version").Find("DriverVer")
	require.NotNil(t, dv)
	require.NoError(t, dv.SetFields("03/04/2024", "10.0.26100.1"))
	models := d.Section("Msft.NT$ARCH$")
	require.NotNil(t, models)
	added, err := models.Append("%netvadapter.DeviceDesc%", "netvadapter.ndi", `pci\ven_8086&dev_1234`)
	require.NoError(t, err)
	out := d.Bytes()

	a, b := utf16Lines(t, orig), utf16Lines(t, out)
	require.Equal(t, len(a)+1, len(b))
	var changed []string
	j := 0
	for i := 0; i < len(b); i++ {
		if j < len(a) && a[j] == b[i] {
			j++
			continue
		}
		changed = append(changed, b[i])
		if strings.Contains(a[j], "DriverVer") {
			j++ // replaced line
		}
	}
	assert.Equal(t, []string{
		"DriverVer   = 03/04/2024,10.0.26100.1\r\n",
		"%netvadapter.DeviceDesc% = netvadapter.ndi,pci\\ven_8086&dev_1234\r\n",
	}, changed)
	assert.Equal(t, len(a), j)
	for _, ln := range b {
		if ln != "" {
			assert.True(t, strings.HasSuffix(ln, "\r\n") || ln == b[len(b)-1])
		}
	}
	// The new line sits right after the section's last entry.
	ents := d.Section("Msft.NT$ARCH$").Entries()
	assert.Equal(t, added, ents[len(ents)-1])

	d2, err := inf.Parse(out, nil)
	require.NoError(t, err)
	assert.Equal(t, d.Encoding(), d2.Encoding())
	v, err := d2.Version()
	require.NoError(t, err)
	assert.Equal(t, "03/04/2024,10.0.26100.1", v.DriverVer.String())
	require.NoError(t, d2.Stamp(inf.StampOptions{Arch: inf.AMD64}))
	dr, err := d2.Driver(mustOS(t, "amd64", "10.0.26100"))
	require.NoError(t, err)
	assert.Contains(t, dr.HardwareIDs(), `pci\ven_8086&dev_1234`)

	// Undoing both edits gives the original bytes back.
	require.NoError(t, added.Remove())
	require.NoError(t, dv.SetFields("06/22/2010", "6.1.7065.0"))
	testutil.EqualBytes(t, orig, d.Bytes())
}

// TestEditOperations covers what the sif package builds on: duplicate
// keys, new sections, insertion after a line or at the end of a section,
// removal, and restoring the original bytes.
func TestEditOperations(t *testing.T) {
	orig := "; header\r\n[SourceDisksFiles]\r\na.sys = 1,,,,,,4_,4,1\r\n\r\n[SCSI.Load]\r\nx = x.sys,4\r\n; trailing comment\r\n\r\n[Other]\r\nk=v"
	d, err := inf.Parse([]byte(orig), nil)
	require.NoError(t, err)
	assert.False(t, d.FinalNewline())

	sdf := d.Section("sourcedisksfiles")
	l1, err := sdf.AppendLine("viostor.sys = 1,,,,,,4_,4,1,,,1,4")
	require.NoError(t, err)
	_, err = l1.InsertAfter("viostor.sys = 1,,,,,,,1,0,0")
	require.NoError(t, err)
	assert.Len(t, sdf.FindAll("viostor.sys"), 2, "duplicate keys are kept")

	load := d.Section("SCSI.Load")
	l2, err := load.Append("viostor", "viostor.sys", "4")
	require.NoError(t, err)
	assert.Equal(t, "viostor = viostor.sys,4", l2.Text())

	scsi, err := d.AddSection("SCSI")
	require.NoError(t, err)
	_, err = scsi.AppendLine(`viostor = "Red Hat VirtIO BLOCK Disk Device Win2003/32-bit"`)
	require.NoError(t, err)
	again, err := d.AddSection("scsi")
	require.NoError(t, err)
	assert.Same(t, scsi, again, "AddSection returns an existing section")

	want := "; header\r\n[SourceDisksFiles]\r\na.sys = 1,,,,,,4_,4,1\r\nviostor.sys = 1,,,,,,4_,4,1,,,1,4\r\nviostor.sys = 1,,,,,,,1,0,0\r\n\r\n" +
		"[SCSI.Load]\r\nx = x.sys,4\r\nviostor = viostor.sys,4\r\n; trailing comment\r\n\r\n[Other]\r\nk=v\r\n\r\n[SCSI]\r\n" +
		"viostor = \"Red Hat VirtIO BLOCK Disk Device Win2003/32-bit\""
	assert.Equal(t, want, string(d.Bytes()))
	assert.False(t, d.FinalNewline(), "the missing final newline moves to the new last line")

	// Removing everything that was added restores the original bytes.
	require.NoError(t, scsi.Remove())
	require.NoError(t, l2.Remove())
	for _, l := range sdf.FindAll("viostor.sys") {
		require.NoError(t, l.Remove())
	}
	testutil.EqualBytes(t, []byte(orig), d.Bytes())
	assert.ErrorIs(t, l2.Remove(), inf.ErrRemoved)
	_, err = scsi.AppendLine("x")
	assert.ErrorIs(t, err, inf.ErrRemoved)

	// InsertBefore, Set, SetKey, Rename, then Revert.
	k := d.Section("Other").Find("k")
	_, err = k.InsertBefore("; before k")
	require.NoError(t, err)
	_, err = d.Section("Other").Set("k", "w")
	require.NoError(t, err)
	_, err = d.Section("Other").Set("new", "1")
	require.NoError(t, err)
	require.NoError(t, k.SetKey("kk"))
	other := d.Section("Other")
	require.NoError(t, other.Rename("Renamed"))
	assert.Nil(t, d.Section("Other"))
	assert.Same(t, other, d.Section("renamed"), "the section stays valid under its new name")
	assert.Equal(t, "Renamed", other.Name())
	assert.Equal(t, "; header\r\n[SourceDisksFiles]\r\na.sys = 1,,,,,,4_,4,1\r\n\r\n[SCSI.Load]\r\nx = x.sys,4\r\n; trailing comment\r\n\r\n[Renamed]\r\n; before k\r\nkk=w\r\nnew = 1", string(d.Bytes()))
	assert.True(t, d.Modified())
	require.NoError(t, d.Revert())
	assert.False(t, d.Modified())
	testutil.EqualBytes(t, []byte(orig), d.Bytes())
	assert.NotNil(t, d.Section("Other"))
	assert.ErrorIs(t, k.SetFields("z"), inf.ErrRemoved)
	testutil.EqualBytes(t, []byte(orig), d.Original())
}

func TestEditStyle(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		fields []string
		want   string
	}{
		{"keeps spacing and comment", "k   =  a , b   ; note", []string{"x", "y z"}, "k   =  x, y z   ; note"},
		{"no spaces", "k=a,b", []string{"1", "2", "3"}, "k=1,2,3"},
		{"quotes what needs it", "k = a", []string{"a,b", " pad", `say "x"`, "c;d"}, `k = "a,b"," pad","say ""x""","c;d"`},
		{"keeps quoted key", `"My Key" = a`, []string{"b"}, `"My Key" = b`},
		{"no key", "  a,b", []string{"c", "d"}, "  c,d"},
		{"implicit key", "  file.sys", []string{"other.sys"}, "  other.sys"},
		{"empty value", "k = a", []string{""}, "k ="},
		{"trailing backslash quoted", "k = a", []string{`C:\dir\`}, `k = "C:\dir\"`},
		{"continued line collapses", "k = a, \\\n   b ; c", []string{"x", "y"}, "k = x, y ; c"},
		{"equals in keyless first field", "a,b", []string{"x=y", "z"}, `"x=y",z`},
		{"bracket in keyless first field", "a,b", []string{"[x", "z"}, `"[x",z`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := inf.Parse([]byte("[S]\n"+tc.in+"\n"), nil)
			require.NoError(t, err)
			l := d.Section("S").Entries()[0]
			require.NoError(t, l.SetFields(tc.fields...))
			assert.Equal(t, "[S]\n"+tc.want+"\n", string(d.Bytes()))
			d2, err := inf.Parse(d.Bytes(), nil)
			require.NoError(t, err)
			assert.Equal(t, tc.fields, d2.Section("S").Entries()[0].RawFields())
		})
	}
}

func TestEditErrors(t *testing.T) {
	d, err := inf.Parse([]byte("; c\r\n[S]\r\nk=v\r\n"), &inf.ReadOptions{CodePage: charmap.Windows1252})
	require.NoError(t, err)
	l := d.Section("S").Find("k")
	for _, bad := range []string{"a\nb", "a\rb", "a\x00", "a\x1ab"} {
		require.ErrorIs(t, l.SetFields(bad), inf.ErrInvalidText, "%q", bad)
	}
	require.ErrorIs(t, l.SetFields("Привет"), inf.ErrEncoding, "Cyrillic is not in Windows-1252")
	require.NoError(t, l.SetFields("Grüße"))
	_, err = l.InsertAfter(`x = y \`)
	require.ErrorIs(t, err, inf.ErrInvalidText, "a trailing backslash would swallow the next line")
	_, err = l.InsertAfter("[unterminated")
	require.ErrorIs(t, err, inf.ErrInvalidText)
	require.ErrorIs(t, err, inf.ErrBadSectionLine)
	first := d.Section("S").Headers()[0]
	_, err = first.InsertBefore("stray = 1")
	require.ErrorIs(t, err, inf.ErrInvalidText)
	require.ErrorIs(t, err, inf.ErrExpectedSection)
	require.ErrorIs(t, first.Remove(), inf.ErrInvalidText)
	_, err = d.AddSection("a]b")
	require.ErrorIs(t, err, inf.ErrInvalidText)
	assert.Equal(t, "; c\r\n[S]\r\nk=Grüße\r\n", string(mustDecode(t, d.Bytes())))
}

func mustDecode(t *testing.T, b []byte) []byte {
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	require.NoError(t, err)
	return out
}

func TestFormatEntry(t *testing.T) {
	assert.Equal(t, `viostor = viostor.sys,4`, inf.FormatEntry("viostor", "viostor.sys", "4"))
	assert.Equal(t, `"a=b" = "x,y"`, inf.FormatEntry("a=b", "x,y"))
	assert.Equal(t, `a,b`, inf.FormatEntry("", "a", "b"))
	assert.Equal(t, `"say ""hi"""`, inf.Quote(`say "hi"`))
}
