package inf_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

func codes(ws []inf.Warning) map[string]int {
	m := map[string]int{}
	for _, w := range ws {
		m[w.Code]++
	}
	return m
}

func TestOEMParse(t *testing.T) {
	o, err := inf.ParseOEM(testutil.ReadFixture(t, "inf/virtio-win/txtsetup.oem"), nil)
	require.NoError(t, err)
	require.Len(t, o.Disks, 4)
	assert.Equal(t, inf.OEMDisk{Name: "d2", Description: "OEM DISK (SCSI) Win2003/32-bit", TagFile: `\disk1`, Directory: `\i386\Win2003`, Line: o.Disks[0].Line}, o.Disks[0])
	assert.Equal(t, "WNET32", o.Default("scsi"))
	require.Len(t, o.Components, 1)
	assert.Equal(t, "scsi", o.Components[0].Name)
	require.Len(t, o.Components[0].Options, 4)
	op := o.Option("SCSI", "wnet32_scsi")
	require.NotNil(t, op)
	assert.Equal(t, "Red Hat VirtIO SCSI Disk Device Win2003/32-bit", op.Description)
	require.Len(t, op.Files, 3)
	assert.Equal(t, inf.OEMFile{Type: "driver", Disk: "d4", Name: "vioscsi.sys", DriverKey: "vioscsi", Line: op.Files[0].Line}, op.Files[0])
	assert.Equal(t, "catalog", op.Files[2].Type)
	assert.Equal(t, "vioscsi", op.Service())
	require.Len(t, op.HardwareIDs, 1)
	assert.Equal(t, `PCI\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00`, op.HardwareIDs[0].ID)
	assert.Equal(t, "vioscsi", op.HardwareIDs[0].Service)
	require.Len(t, o.Configs, 4)
	c := o.Config("WNET32")
	require.NotNil(t, c)
	require.Len(t, c.Values, 1)
	v := c.Values[0]
	require.NoError(t, v.Err)
	assert.Equal(t, `Parameters\PnpInterface`, v.Subkey)
	assert.Equal(t, "5", v.Name)
	assert.Equal(t, inf.RegDWORD, v.Type)
	assert.Equal(t, []byte{1, 0, 0, 0}, v.Data)
	assert.Nil(t, o.ConfigValues(op), "the driver key vioscsi names no [Config.vioscsi]")

	for _, f := range []string{"inf/virtio-win/txtsetup-i386.oem", "inf/virtio-win/txtsetup-amd64.oem"} {
		o, err := inf.ParseOEM(testutil.ReadFixture(t, f), nil)
		require.NoError(t, err)
		require.Len(t, o.Components, 1)
		require.Len(t, o.Components[0].Options, 1)
		assert.Equal(t, "viostor", o.Components[0].Options[0].Service())
	}
}

// TestOEMLint: the virtio-win files name their [Config.*] sections after
// the option IDs instead of the DriverKey; the linter reports exactly that,
// and nothing on copies corrected with the edit API.
func TestOEMLint(t *testing.T) {
	dir := filepath.Dir(testutil.Fixture(t, "inf/virtio-win/txtsetup.oem"))
	fsys := os.DirFS(dir)
	for _, tc := range []struct {
		file    string
		configs int
		fix     func(t *testing.T, d *inf.Document)
	}{
		{"txtsetup.oem", 4, func(t *testing.T, d *inf.Document) {
			require.NoError(t, d.Section("Config.WNET32").Rename("Config.viostor"))
			require.NoError(t, d.Section("Config.WNET32_SCSI").Rename("Config.vioscsi"))
			require.NoError(t, d.Section("Config.WNET64").Remove())
			require.NoError(t, d.Section("Config.WNET64_SCSI").Remove())
		}},
		{"txtsetup-i386.oem", 1, func(t *testing.T, d *inf.Document) {
			require.NoError(t, d.Section("Config.WNET32").Rename("Config.viostor"))
		}},
		{"txtsetup-amd64.oem", 1, func(t *testing.T, d *inf.Document) {
			require.NoError(t, d.Section("Config.WNET64").Rename("Config.viostor"))
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			o, err := inf.ParseOEM(testutil.ReadFixture(t, "inf/virtio-win/"+tc.file), nil)
			require.NoError(t, err)
			ws := o.Lint(fsys)
			assert.Equal(t, map[string]int{"config-unreferenced": tc.configs}, codes(ws), "%v", ws)
			for _, w := range ws {
				assert.Positive(t, w.Line)
			}
			tc.fix(t, o.Doc)
			fixed := inf.NewOEM(o.Doc)
			assert.Empty(t, fixed.Lint(fsys))
			for _, op := range fixed.Components[0].Options {
				vals := fixed.ConfigValues(&op)
				require.Len(t, vals, 1, op.ID)
				assert.Equal(t, "5", vals[0].Name)
			}
			// The fix changed only the Config sections: LF endings kept.
			assert.NotContains(t, string(o.Doc.Bytes()), "\r")
		})
	}
}

func TestOEMLintFindings(t *testing.T) {
	src := `# comment with a hash
[Disks]
d1 = "Disk",\missing.tag,\
d2 = "Disk",\longtagname.file,\

[Defaults]
scsi = NOPE

[scsi]
A = "Adapter A"
B = "Adapter B"

[display]
X = "unsupported"

[Files.scsi.A]
driver = d1, aaaa.sys, akey
driver = d1, second.sys, akey
weird  = d9, toolongname.sys

[HardwareIds.scsi.A]
id = "PCI\VEN_1&DEV_2", "other"

[Files.scsi.B]
driver = d1, b.sys

[Config.akey]
value = Parameters,Bad,REG_DWORD,123456789
value = Parameters,T,REG_FOO,1
value = ,Bin,REG_BINARY,0102ff
`
	o, err := inf.ParseOEM([]byte(src), nil)
	require.NoError(t, err)
	ws := o.Lint(os.DirFS(t.TempDir()))
	assert.Equal(t, map[string]int{
		"tag-file-missing":      2,
		"not-8.3":               2,
		"undefined-default":     1,
		"unsupported-component": 1,
		"no-files":              1, // display X
		"multiple-drivers":      1,
		"unknown-file-type":     1,
		"undefined-disk":        1,
		"service-mismatch":      1,
		"driver-key-missing":    1,
		"no-hardware-ids":       1,
		"bad-config-value":      2,
	}, codes(ws), "%v", ws)
	v := o.Config("akey").Values[2]
	require.NoError(t, v.Err)
	assert.Equal(t, []byte{1, 2, 0xff}, v.Data)
}

func TestIs83(t *testing.T) {
	for name, want := range map[string]bool{
		"viostor.sys": true, "disk1": true, "A_B-C.x": true, "12345678.123": true,
		"123456789.sys": false, "a.sysx": false, "a.b.c": false, "": false, ".sys": false,
		"a b.sys": false, "a+b.sys": false, "x.": false,
	} {
		assert.Equal(t, want, inf.Is83(name), name)
	}
}

func TestFormatRegLine(t *testing.T) {
	for _, tc := range []struct {
		t    inf.RegType
		data []byte
		want string
	}{
		{inf.RegSZ, inf.EncodeSZ("pci"), `HKLM,"S\K","Service",0x00000000,"pci"`},
		{inf.RegExpandSZ, inf.EncodeSZ(`%SystemRoot%\x`), `HKLM,"S\K","Service",0x00020000,"%%SystemRoot%%\x"`},
		{inf.RegMultiSZ, inf.EncodeMultiSZ([]string{"a", `b"c`}), `HKLM,"S\K","Service",0x00010000,"a","b""c"`},
		{inf.RegDWORD, []byte{1, 0, 0, 0}, `HKLM,"S\K","Service",0x00010001,1`},
		{inf.RegBinary, []byte{0xde, 0xad}, `HKLM,"S\K","Service",0x00000001,de,ad`},
		{inf.RegNone, nil, `HKLM,"S\K","Service",0x00020001`},
		{inf.RegResourceRequirementsList, []byte{1}, `HKLM,"S\K","Service",0x000a0001,01`},
	} {
		got, err := inf.FormatRegLine("HKLM", `S\K`, "Service", tc.t, tc.data)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got)
		// It reads back as the same value.
		d, err := inf.Parse([]byte("[AddReg]\n"+got+"\n"), nil)
		require.NoError(t, err)
		op, err := inf.ParseRegLine(d.Section("AddReg").Entries()[0], false)
		require.NoError(t, err)
		assert.Equal(t, tc.t, op.Type, got)
		assert.Equal(t, len(tc.data), len(op.Data), got)
		if len(tc.data) > 0 {
			assert.Equal(t, tc.data, op.Data, got)
		}
	}
	_, err := inf.FormatRegLine("HKLM", "K", "V", inf.RegDWORD, []byte{1})
	require.ErrorIs(t, err, inf.ErrValue)
	_, err = inf.FormatRegLine("HKLM", "K", "V", inf.RegMultiSZ, inf.EncodeMultiSZ([]string{"a", "", "b"}))
	require.ErrorIs(t, err, inf.ErrValue)
}
