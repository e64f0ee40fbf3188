package sif_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

// TestConfigValues: [Config.DriverKey] values go under the service key, as
// the spec's worked example renders them; virtio-win's [Config.<ID>]
// sections apply only when asked for; bad values are warnings.
func TestConfigValues(t *testing.T) {
	fixture := string(testutil.ReadFixture(t, "inf/virtio-win/txtsetup-i386.oem"))
	pnp := `HKLM,"SYSTEM\CurrentControlSet\Services\viostor\Parameters\PnpInterface","5",0x00010001,1`

	renamed := strings.Replace(fixture, "[Config.WNET32]", "[Config.viostor]", 1)
	s := newSlip(t, parseOEM(t, renamed), nil)
	lines, err := s.HiveLines()
	require.NoError(t, err)
	assert.Contains(t, lines, pnp, "spec §2.3 worked example")
	assert.NotContains(t, codesOf(s.Warnings), "config-unreferenced")

	s = newSlip(t, parseOEM(t, fixture), nil)
	lines, err = s.HiveLines()
	require.NoError(t, err)
	assert.NotContains(t, lines, pnp, "setup never applies [Config.WNET32]")
	s = newSlip(t, parseOEM(t, fixture), &sif.SlipstreamOptions{ConfigSection: "WNET32"})
	lines, err = s.HiveLines()
	require.NoError(t, err)
	assert.Contains(t, lines, pnp)
	s = newSlip(t, parseOEM(t, fixture), &sif.SlipstreamOptions{ConfigSection: "NOPE"})
	assert.Contains(t, codesOf(s.Warnings), "config-missing")

	bad := strings.Replace(renamed, "REG_DWORD,1", "REG_DWORD,zz", 1)
	s = newSlip(t, parseOEM(t, bad), nil)
	assert.Contains(t, codesOf(s.Warnings), "bad-config-value")
	for _, v := range s.Registry {
		assert.NotEqual(t, "config", v.Origin)
	}

	// The txtsetup.oem's value wins over the driver INF's for the same name.
	withINF := newSlip(t, parseOEM(t, strings.Replace(renamed, "REG_DWORD,1", "REG_DWORD,7", 1)),
		&sif.SlipstreamOptions{DriverINF: stampedINF(t, "inf/virtio-win/viostor.inx", inf.X86)})
	n := 0
	for _, v := range withINF.Registry {
		if v.Name == "5" {
			n++
			assert.Equal(t, []byte{7, 0, 0, 0}, v.Data)
			assert.Equal(t, "config", v.Origin)
		}
	}
	assert.Equal(t, 1, n)
}

// TestOpenAndStrings: the file readers, error and edit texts, JSON.
func TestOpenAndStrings(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	s, err := sif.Open(write("txtsetup.sif", exampleSIF), nil)
	require.NoError(t, err)
	_, err = s.Document().Section("SCSI.Load").Append("x", "x.sys")
	require.NoError(t, err)
	assert.True(t, s.Modified())
	require.NoError(t, s.Revert())
	assert.Equal(t, exampleSIF, string(s.Original()))
	assert.False(t, s.Modified())
	w, err := sif.OpenWinnt(write("winnt.sif", pe10Sample), nil)
	require.NoError(t, err)
	assert.Equal(t, "ramdisk(0)", w.BootDevice())
	d, err := sif.OpenHiveINF(write("hivesys.inf", "[AddReg]\r\nHKLM,\"SYSTEM\\x\",\"v\",0x00010001,1\r\n"), nil)
	require.NoError(t, err)
	assert.NotNil(t, d.Section("AddReg"))
	_, err = sif.OpenHiveINF(write("big.inf", "[AddReg]\r\n"), &sif.ReadOptions{Limits: sif.Limits{MaxFileSize: 3}})
	require.ErrorIs(t, err, sif.ErrLimit)
	_, err = sif.OpenHiveINF(write("bad.inf", "x=1\r\n"), nil)
	require.ErrorIs(t, err, sif.ErrFormat)
	assert.Contains(t, err.Error(), "line 1")

	_, err = sif.ParseWinnt([]byte("[SetupData]\r\n[bad\r\n"), nil)
	var fe *sif.FormatError
	require.ErrorAs(t, err, &fe)
	assert.Contains(t, fe.Error(), "winnt.sif line 2")

	e := sif.Edit{Kind: sif.EditUpdate, File: "txtsetup.sif", Section: "HardwareIdsDatabase", Line: 3, Old: "a = b", New: "a = c", Note: "n"}
	assert.Equal(t, "update txtsetup.sif [HardwareIdsDatabase] line 3: a = b -> a = c (n)", e.String())
	js, err := json.Marshal(e)
	require.NoError(t, err)
	assert.Contains(t, string(js), `"kind":"update"`)
	assert.Equal(t, "EditKind(99)", sif.EditKind(99).String())
	ee := &sif.EntryError{File: "txtsetup.sif", Section: "SCSI.Load", Line: 2, Text: "a = b", Err: sif.ErrConflict, Msg: "m"}
	assert.Contains(t, ee.Error(), `[SCSI.Load] line 2 "a = b": m`)
	assert.Equal(t, `txtsetup.oem [scsi] line 4: msg (code)`, sif.Warning{Code: "code", File: "txtsetup.oem", Section: "scsi", Line: 4, Msg: "msg"}.String())
	assert.Equal(t, `msg (code)`, sif.Warning{Code: "code", Msg: "msg"}.String())

	slip := newSlip(t, parseOEM(t, exampleOEM), nil)
	js, err = json.Marshal(slip)
	require.NoError(t, err)
	assert.Contains(t, string(js), `"Service":"exsata"`)
	var plan strings.Builder
	require.NoError(t, slip.WriteText(&plan))
	assert.Contains(t, plan.String(), `[SCSI.Load] exsata = exsata.sys,4`)
	assert.Contains(t, plan.String(), "$PCI\\VEN_1234&DEV_5678&SUBSYS_00011234\n  EXSATA")
}
