package ramdisk_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/ramdisk"
)

func TestBootOptionsRoundTrip(t *testing.T) {
	for _, in := range []string{
		"",
		"   ",
		`/minint /fastdetect /rdexportascd /rdpath=\NETPE\NETPE.ISO`,
		`/noguiboot /fastdetect /minint /rdexportascd /rdpath=bartpe.iso`,
		"  /MININT\t/RDPATH=net(0)\\maint.sdi   /RDIMAGEOFFSET=4096 /sos /maxmem=512  ",
		`/rdoffset=8192 /RdPath=x.sdi stray /=x / //double`,
		"\t/FASTDETECT\r\n",
	} {
		b, err := ramdisk.ParseBootOptions(in, nil)
		require.NoError(t, err)
		assert.Equal(t, in, b.String())
	}
}

// TestBootOptionsSIFSample is the sif acceptance shape: the PE 1.0 PXE
// sample parses to typed values and renders back unchanged; changing the
// path changes only that token; built from scratch it gives the same text.
func TestBootOptionsSIFSample(t *testing.T) {
	const in = `/minint /fastdetect /rdexportascd /rdpath=\NETPE\NETPE.ISO`
	b, err := ramdisk.ParseBootOptions(in, nil)
	require.NoError(t, err)
	assert.Empty(t, b.Warnings)
	r := b.RAMDisk()
	assert.Equal(t, ramdisk.RAMDiskOptions{Path: `\NETPE\NETPE.ISO`, ExportAsCD: true, MinInt: true, FastDetect: true}, r)

	require.NoError(t, b.SetRDPath(`\TEST\TESTPE.ISO`))
	assert.Equal(t, `/minint /fastdetect /rdexportascd /rdpath=\TEST\TESTPE.ISO`, b.String())

	n := &ramdisk.BootOptions{Lower: true}
	require.NoError(t, n.SetSwitch(ramdisk.OptMinInt, true))
	require.NoError(t, n.SetSwitch(ramdisk.OptFastDetect, true))
	require.NoError(t, n.SetSwitch(ramdisk.OptRDExportAsCD, true))
	require.NoError(t, n.SetRDPath(`\NETPE\NETPE.ISO`))
	assert.Equal(t, in, n.String())

	var a ramdisk.BootOptions
	a.Lower = true
	require.NoError(t, a.Apply(r))
	assert.Equal(t, r, a.RAMDisk())
}

func TestBootOptionsEditOneToken(t *testing.T) {
	const in = "/NOGUIBOOT  /FastDetect /MININT\t/RDPATH=a.iso /Sos /RDIMAGELENGTH=100 "
	cases := []struct {
		name string
		edit func(b *ramdisk.BootOptions) error
		want string
	}{
		{"path", func(b *ramdisk.BootOptions) error { return b.SetRDPath("b.iso") }, "/NOGUIBOOT  /FastDetect /MININT\t/RDPATH=b.iso /Sos /RDIMAGELENGTH=100 "},
		{"length", func(b *ramdisk.BootOptions) error { return b.SetRDImageLength(7) }, "/NOGUIBOOT  /FastDetect /MININT\t/RDPATH=a.iso /Sos /RDIMAGELENGTH=7 "},
		{"add offset", func(b *ramdisk.BootOptions) error { return b.SetRDImageOffset(32256) }, "/NOGUIBOOT  /FastDetect /MININT\t/RDPATH=a.iso /Sos /RDIMAGELENGTH=100 /RDIMAGEOFFSET=32256 "},
		{"switch off", func(b *ramdisk.BootOptions) error { return b.SetSwitch(ramdisk.OptFastDetect, false) }, "/NOGUIBOOT /MININT\t/RDPATH=a.iso /Sos /RDIMAGELENGTH=100 "},
		{"first off", func(b *ramdisk.BootOptions) error { return b.SetSwitch(ramdisk.OptNoGUIBoot, false) }, "/FastDetect /MININT\t/RDPATH=a.iso /Sos /RDIMAGELENGTH=100 "},
		{"switch already on", func(b *ramdisk.BootOptions) error { return b.SetSwitch(ramdisk.OptMinInt, true) }, in},
		{"other existing", func(b *ramdisk.BootOptions) error { return b.SetOther("SOS", "", false) }, in},
		{"other new", func(b *ramdisk.BootOptions) error { return b.SetOther("MAXMEM", "512", true) }, in + "/MAXMEM=512 "},
		{"other is typed", func(b *ramdisk.BootOptions) error { return b.SetOther("rdexportascd", "", false) }, in + "/RDEXPORTASCD "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := ramdisk.ParseBootOptions(in, nil)
			require.NoError(t, err)
			require.NoError(t, c.edit(b))
			assert.Equal(t, c.want, b.String())
		})
	}
}

// /rdoffset= is read as RDIMAGEOFFSET with a warning; an unedited render
// keeps it, an edit or Normalize writes /RDIMAGEOFFSET=.
func TestBootOptionsLegacyOffset(t *testing.T) {
	const in = "/minint /rdpath=x.sdi /rdoffset=8192"
	b, err := ramdisk.ParseBootOptions(in, nil)
	require.NoError(t, err)
	require.Len(t, b.Warnings, 1)
	assert.Contains(t, b.Warnings[0].Msg, "not a Windows option")
	assert.Equal(t, int64(strings.Index(in, "/rdoffset")), b.Warnings[0].Offset)
	v, ok := b.RDImageOffset()
	assert.True(t, ok)
	assert.Equal(t, uint64(8192), v)
	opts := b.Options()
	assert.Equal(t, ramdisk.OptRDImageOffset, opts[2].Kind)
	assert.True(t, opts[2].Legacy)
	assert.Equal(t, in, b.String(), "unedited render keeps the input")

	e, _ := ramdisk.ParseBootOptions(in, nil)
	require.NoError(t, e.SetRDImageOffset(8192))
	assert.Equal(t, "/minint /rdpath=x.sdi /rdimageoffset=8192", e.String())

	u, _ := ramdisk.ParseBootOptions("/MININT /RDOFFSET=36352", nil)
	assert.Equal(t, 1, u.Normalize())
	assert.Equal(t, "/MININT /RDIMAGEOFFSET=36352", u.String())
	assert.Equal(t, 0, u.Normalize())
}

func TestBootOptionsWarningsAndErrors(t *testing.T) {
	b, err := ramdisk.ParseBootOptions("/rdpath=a /RDPATH=b /rdimageoffset=0x7000 /minint=1 /rdimagelength stray /RDEXPORTASCD /RDEXPORTASHD", nil)
	require.NoError(t, err)
	assert.Len(t, b.Warnings, 6, "%v", b.Warnings)
	p, _ := b.RDPath()
	assert.Equal(t, "a", p, "first occurrence wins, as in the loader")
	_, ok := b.RDImageOffset()
	assert.False(t, ok, "hex is not read")

	_, err = ramdisk.ParseBootOptions(strings.Repeat("/x ", 30000), nil)
	require.ErrorIs(t, err, ramdisk.ErrLimit)
	_, err = ramdisk.ParseBootOptions(strings.Repeat("/x ", 30), &ramdisk.ReadOptions{Limits: ramdisk.Limits{MaxOptionsLen: 10}})
	require.ErrorIs(t, err, ramdisk.ErrLimit)

	var n ramdisk.BootOptions
	require.ErrorIs(t, n.SetRDPath("a b"), ramdisk.ErrInvalidArgument)
	require.ErrorIs(t, n.Set(ramdisk.OptRDImageOffset, "12k"), ramdisk.ErrInvalidArgument)
	require.ErrorIs(t, n.Set(ramdisk.OptMinInt, "1"), ramdisk.ErrInvalidArgument)
	require.ErrorIs(t, n.SetSwitch(ramdisk.OptRDPath, true), ramdisk.ErrInvalidArgument)
	require.ErrorIs(t, n.SetOther("a=b", "", false), ramdisk.ErrInvalidArgument)
	assert.Equal(t, "", n.String())
	assert.Equal(t, "RDIMAGEOFFSET", ramdisk.OptRDImageOffset.String())
}

func TestBCDSettings(t *testing.T) {
	b, err := ramdisk.ParseBootOptions("/RDEXPORTASCD /RDIMAGEOFFSET=8192 /RDIMAGELENGTH=3161088 /RDPATH=x", nil)
	require.NoError(t, err)
	got := b.RAMDisk().BCDSettings()
	assert.Equal(t, []ramdisk.BCDSetting{
		{Name: "ramdiskimageoffset", ID: 0x35000001, Value: "8192"},
		{Name: "ramdiskimagelength", ID: 0x35000005, Value: "3161088"},
		{Name: "exportascd", ID: 0x36000006, Value: "Yes"},
	}, got)
	ids := map[uint32]bool{}
	for _, e := range ramdisk.RAMDiskBCDElements {
		assert.False(t, ids[e.ID], "unique IDs")
		ids[e.ID] = true
		assert.Equal(t, uint32(0x3), e.ID>>28, "device object element class")
	}
}

// RDIMAGEOFFSET helpers: from an SDI's PART blob and from a disk image's
// first partition (32256 for a 63-sector gap).
func TestImageOffsetHelpers(t *testing.T) {
	d, err := ramdisk.BuildDisk(nil, &ramdisk.DiskOptions{Size: 16 << 20, PartitionStart: 63})
	require.NoError(t, err)
	off, err := ramdisk.ImageOffsetFromDisk(d, d.Size())
	require.NoError(t, err)
	assert.Equal(t, uint64(32256), off)

	var b ramdisk.BootOptions
	require.NoError(t, b.SetRDImageOffset(off))
	assert.Equal(t, "/RDIMAGEOFFSET=32256", b.String())

	s := ramdisk.NewSDI(2)
	require.NoError(t, s.AddBlob(ramdisk.NewBlob(ramdisk.BlobBoot, make([]byte, 100))))
	require.NoError(t, s.AddBlob(ramdisk.NewBlob(ramdisk.BlobPart, make([]byte, 100))))
	so, err := s.PartitionImageOffset()
	require.NoError(t, err)
	assert.Equal(t, uint64(0x4000), so)
	_, err = ramdisk.NewSDI(1).PartitionImageOffset()
	require.ErrorIs(t, err, ramdisk.ErrNotFound)
	_, err = ramdisk.ImageOffsetFromDisk(strings.NewReader(strings.Repeat("\x00", 512)), 512)
	require.ErrorIs(t, err, ramdisk.ErrFormat)
}
