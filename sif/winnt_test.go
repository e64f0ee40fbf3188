package sif_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/ramdisk"
	"github.com/winbootkit/winbootkit/sif"
)

// pe10Sample is the PE 1.0 PXE sample of issue 6 acceptance 3, in the
// layout of spec §2.4 (BartPE's pe2usb writes the same three lines).
const pe10Sample = "[SetupData]\r\n" +
	"BootDevice = \"ramdisk(0)\"\r\n" +
	"BootPath = \"\\WXPE\\SYSTEM32\\\"\r\n" +
	"OsLoadOptions = \"/minint /fastdetect /rdexportascd /rdpath=\\NETPE\\NETPE.ISO\"\r\n"

// TestWinntBuild is issue 6 acceptance 3: building, re-rendering, editing
// one option, and /rdoffset=.
func TestWinntBuild(t *testing.T) {
	w, err := sif.NewWinnt(sif.WinntConfig{
		BootPath: `\WXPE\SYSTEM32\`,
		RAMDisk:  ramdisk.RAMDiskOptions{MinInt: true, FastDetect: true, ExportAsCD: true, Path: `\NETPE\NETPE.ISO`},
	})
	require.NoError(t, err)
	assert.Equal(t, pe10Sample, string(w.Bytes()))
	assert.Empty(t, w.Warnings)

	p, err := sif.ParseWinnt([]byte(pe10Sample), nil)
	require.NoError(t, err)
	testutil.EqualBytes(t, []byte(pe10Sample), p.Bytes(), "parse and render changes nothing")
	assert.Equal(t, "ramdisk(0)", p.BootDevice())
	assert.Equal(t, `\WXPE\SYSTEM32\`, p.BootPath())
	assert.Equal(t, ramdisk.RAMDiskOptions{MinInt: true, FastDetect: true, ExportAsCD: true, Path: `\NETPE\NETPE.ISO`}, p.RAMDisk())

	opts, err := p.LoadOptions()
	require.NoError(t, err)
	require.NoError(t, opts.SetRDPath(`\NETPE\OTHER.ISO`))
	require.NoError(t, p.SetLoadOptions(opts))
	want := strings.Replace(pe10Sample, `/rdpath=\NETPE\NETPE.ISO`, `/rdpath=\NETPE\OTHER.ISO`, 1)
	testutil.EqualBytes(t, []byte(want), p.Bytes(), "only the rdpath token changes")
	require.NoError(t, p.SetLoadOptions(opts))
	testutil.EqualBytes(t, []byte(want), p.Bytes(), "setting the same options again changes nothing")
}

func TestWinntRdoffset(t *testing.T) {
	in := "[SetupData]\r\nBootDevice = \"ramdisk(0)\"\r\nBootPath = \"\\I386\\SYSTEM32\\\"\r\n" +
		"OsLoadOptions = \"/minint /rdpath=net(0)\\pe.sdi /rdoffset=8192\" ; from a guide\r\n"
	w, err := sif.ParseWinnt([]byte(in), nil)
	require.NoError(t, err)
	testutil.EqualBytes(t, []byte(in), w.Bytes(), "parsing keeps the user's bytes")
	r := w.RAMDisk()
	assert.True(t, r.HasImageOffset)
	assert.Equal(t, uint64(8192), r.ImageOffset)
	opts, err := w.LoadOptions()
	require.NoError(t, err)
	off, ok := opts.RDImageOffset()
	assert.True(t, ok)
	assert.Equal(t, uint64(8192), off)
	var codes []string
	for _, wn := range w.Warnings {
		codes = append(codes, wn.Code)
		assert.Contains(t, wn.Msg, "rdoffset", "the warning names the option")
	}
	assert.Equal(t, []string{"load-options"}, codes)

	// Any edit of the options writes /RDIMAGEOFFSET=, never /rdoffset=.
	require.NoError(t, opts.SetSwitch(ramdisk.OptFastDetect, true))
	require.NoError(t, w.SetLoadOptions(opts))
	assert.Contains(t, string(w.Bytes()), `/minint /rdpath=net(0)\pe.sdi /rdimageoffset=8192 /fastdetect" ; from a guide`+"\r\n")
	assert.NotContains(t, strings.ToLower(string(w.Bytes())), "/rdoffset")
	assert.Empty(t, w.Warnings)

	w2, err := sif.ParseWinnt([]byte(in), nil)
	require.NoError(t, err)
	n, err := w2.Normalize()
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, strings.Replace(in, "/rdoffset=", "/rdimageoffset=", 1), string(w2.Bytes()))
}

func TestWinntEdit(t *testing.T) {
	w, err := sif.ParseWinnt([]byte("[Unattended]\nOemPreinstall = Yes\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"no-setupdata"}, codesOf(w.Warnings))
	require.NoError(t, w.SetBootDevice("ramdisk(0)"))
	require.NoError(t, w.SetBootPath(`\MININT\SYSTEM32\`))
	opts, err := sif.BuildLoadOptions(ramdisk.RAMDiskOptions{MinInt: true, Path: `\BOOT.ISO`, ExportAsCD: true,
		HasImageOffset: true, ImageOffset: 36352, NoGUIBoot: true}, true)
	require.NoError(t, err)
	require.NoError(t, w.SetLoadOptions(opts))
	assert.Equal(t, "[Unattended]\nOemPreinstall = Yes\n\n[SetupData]\nBootDevice = \"ramdisk(0)\"\nBootPath = \"\\MININT\\SYSTEM32\\\"\n"+
		"OsLoadOptions = \"/MININT /NOGUIBOOT /RDEXPORTASCD /RDPATH=\\BOOT.ISO /RDIMAGEOFFSET=36352\"\n", string(w.Bytes()))
	assert.Empty(t, w.Warnings)
	require.ErrorIs(t, w.SetBootPath("a\nb"), sif.ErrInvalid)

	// An unquoted BootPath ending in '\' does not continue onto the next line.
	u, err := sif.ParseWinnt([]byte("[SetupData]\r\nBootPath = \\I386\\SYSTEM32\\\r\nBootDevice = ramdisk(0)\r\n"), nil)
	require.NoError(t, err)
	assert.Equal(t, `\I386\SYSTEM32\`, u.BootPath())
	assert.Equal(t, "ramdisk(0)", u.BootDevice())
	assert.Equal(t, []string{"no-rdpath"}, codesOf(u.Warnings))
}

func codesOf(ws []sif.Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Code)
	}
	return out
}
