package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
)

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	require.NoError(t, run(args, &out, &errOut), "stderr: %s", errOut.String())
	return out.String()
}

func TestRoundtrip(t *testing.T) {
	for _, rel := range []string{"inf/wds/netvadapter.inf", "inf/reactos/hivesys.inf", "inf/wds/sdhc.inx", "inf/virtio-win/txtsetup.oem"} {
		p := testutil.Fixture(t, rel)
		want, err := os.ReadFile(p)
		require.NoError(t, err)
		testutil.EqualBytes(t, want, []byte(runOK(t, "roundtrip", p)), rel)
	}
}

func TestDump(t *testing.T) {
	p := testutil.Fixture(t, "inf/reactos/disk.inf")
	out := runOK(t, "dump", "--lang", "0x0419", p)
	assert.Contains(t, out, "strings [Strings.0419]")
	assert.Contains(t, out, "[GenericMfg]")
	var js struct {
		Encoding string
		Sections []struct {
			Name    string
			Entries []struct {
				Key    *string
				Fields []string
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(runOK(t, "dump", "--json", p)), &js))
	assert.Equal(t, "UTF-8", js.Encoding)
	found := false
	for _, s := range js.Sections {
		if s.Name == "GenericMfg" {
			found = true
			require.NotNil(t, s.Entries[0].Key)
			assert.Equal(t, "Disk Drive", *s.Entries[0].Key, "keys are substituted")
			assert.Equal(t, []string{"disk_Inst", "GenDisk"}, s.Entries[0].Fields)
		}
	}
	assert.True(t, found)

	// A Windows-1251 file read with --codepage.
	dir := t.TempDir()
	cyr := filepath.Join(dir, "cyr.inf")
	require.NoError(t, os.WriteFile(cyr, []byte("[Strings]\r\nk = \"\xcf\xf0\xe8\xe2\xe5\xf2\"\r\n"), 0o644))
	assert.Contains(t, runOK(t, "dump", "--codepage", "1251", cyr), `"Привет"`)
}

func TestDriver(t *testing.T) {
	p := testutil.Fixture(t, "inf/virtio-win/viostor.inx")
	out := runOK(t, "driver", "--arch", "x86", "--set", "INX_SUBSYS_VENDOR_ID=1AF4", "--set", "INX_PLATFORM_DRIVERS_DIR=12", p)
	assert.Contains(t, out, "class:     SCSIAdapter")
	assert.Contains(t, out, `hwid:      PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00`)
	assert.Contains(t, out, "service:   viostor type=SERVICE_KERNEL_DRIVER start=SERVICE_BOOT_START")
	assert.Contains(t, out, "models:    INX_COMPANY: VioStor.NTx86", "unset placeholders stay")
	assert.Contains(t, out, "file:      viostor.sys (from viostor.sys) -> DIRID 12")

	var js driverJSON
	tp := testutil.Fixture(t, "inf/wds/toastpkg.inf")
	require.NoError(t, json.Unmarshal([]byte(runOK(t, "driver", "--json", "--os", "10.0.16299", tp)), &js))
	assert.Equal(t, []string{`{b85b7c50-6a01-11d2-b841-00c04fad5171}\MsToaster`}, js.HardwareIDs)
	js = driverJSON{}
	require.NoError(t, json.Unmarshal([]byte(runOK(t, "driver", "--json", "--os", "10.0.15063", tp)), &js))
	assert.Empty(t, js.HardwareIDs)
	assert.Equal(t, []string{"Toast'R'Us: (none applies)"}, js.Models)
}

func TestOEM(t *testing.T) {
	p := testutil.Fixture(t, "inf/virtio-win/txtsetup.oem")
	out := runOK(t, "oem", p)
	assert.Contains(t, out, `option:   [scsi] WNET32 "Red Hat VirtIO BLOCK Disk Device Win2003/32-bit" service viostor`)
	assert.Contains(t, out, `hwid:   PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00 -> viostor`)
	assert.Equal(t, 4, strings.Count(out, "(config-unreferenced)"))
	var js oemJSON
	require.NoError(t, json.Unmarshal([]byte(runOK(t, "oem", "--json", p)), &js))
	assert.Len(t, js.Options, 4)
	assert.Len(t, js.Warnings, 4)
	assert.Equal(t, "WNET32", js.Defaults["SCSI"])
}

func TestAudit(t *testing.T) {
	src := testutil.ReadFixture(t, "inf/virtio-win/viostor.inx")
	dir := t.TempDir()
	for _, pkg := range []struct{ dir, ver string }{{"bootwim", "01/01/2020,100.80.0.0"}, {"winpedriver", "02/02/2022,100.90.0.0"}} {
		d := filepath.Join(dir, pkg.dir)
		require.NoError(t, os.MkdirAll(d, 0o755))
		b := strings.Replace(string(src), "DriverVer=01/01/2008,0.0.0.1", "DriverVer="+pkg.ver, 1)
		require.NoError(t, os.WriteFile(filepath.Join(d, "viostor.inx"), []byte(b), 0o644))
	}
	out := runOK(t, "audit", "--set", "INX_SUBSYS_VENDOR_ID=1AF4", dir)
	assert.Contains(t, out, "2 packages, 1 drivers, 1 with differing versions")
	assert.Contains(t, out, "viostor (viostor.sys): VERSIONS DIFFER")
	assert.Contains(t, out, filepath.Join(dir, "winpedriver", "viostor.inx")+" rank 0x00ff0000 02/02/2022,100.90.0.0")
	// The sample drivers of the fixtures audit without conflicts.
	out = runOK(t, "audit", filepath.Dir(testutil.Fixture(t, "inf/wds/toastpkg.inf")))
	assert.Contains(t, out, "0 with differing versions")
}

func TestErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{
		nil, {"bogus"}, {"dump"}, {"dump", "/nonexistent.inf"}, {"driver", "--arch", "mips", "x.inf"},
		{"dump", "--codepage", "1", "x.inf"}, {"audit"}, {"driver", "--set", "noequals", "x.inf"},
	} {
		assert.Error(t, run(args, &out, &errOut), "%q", args)
	}
	bad := filepath.Join(t.TempDir(), "bad.inf")
	require.NoError(t, os.WriteFile(bad, []byte("stray\r\n[S]\r\n"), 0o644))
	assert.Error(t, run([]string{"dump", bad}, &out, &errOut))
	assert.Contains(t, runOK(t, "help"), "usage")
}
