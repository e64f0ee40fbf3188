package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

func runOK(t *testing.T, args ...string) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	require.NoError(t, run(args, &out, &errOut), "stderr: %s", errOut.String())
	return out.String(), errOut.String()
}

// driverDisk lays out a driver disk in a temporary directory: the
// virtio-win txtsetup-i386.oem (read from the fixtures at run time) and
// stand-in driver files where its [Disks] entry puts them.
func driverDisk(t *testing.T) (oem string, sys []byte) {
	dir := t.TempDir()
	oem = filepath.Join(dir, "txtsetup.oem")
	require.NoError(t, os.WriteFile(oem, testutil.ReadFixture(t, "inf/virtio-win/txtsetup-i386.oem"), 0o644))
	sub := filepath.Join(dir, "i386", "Win2003")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	sys = []byte("MZ stand-in for viostor.sys")
	require.NoError(t, os.WriteFile(filepath.Join(sub, "viostor.sys"), sys, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(sub, "viostor.inf"), []byte("[Version]\r\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(sub, "viostor.cat"), []byte{0x30}, 0o644))
	return oem, sys
}

// setupHive writes ReactOS' SETUPREG.HIV, built from its hive INFs.
func setupHive(t *testing.T) string {
	var docs []*inf.Document
	for _, n := range []string{"hivesys.inf", "setupreg.inf"} {
		d, err := inf.Parse(testutil.ReadFixture(t, "inf/reactos/"+n), nil)
		require.NoError(t, err)
		docs = append(docs, d)
	}
	h, _, err := sif.BuildSetupHive(nil, docs...)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "setupreg.hiv")
	require.NoError(t, sif.SaveHive(h, p, 0))
	return p
}

func TestDryRun(t *testing.T) {
	oem, _ := driverDisk(t)
	sifPath := testutil.Fixture(t, "inf/reactos/txtsetup.sif")
	stdout, stderr := runOK(t, "--oem", oem, "--sif", sifPath, "--dry-run", "--setup-hive", setupHive(t))
	assert.True(t, strings.HasPrefix(stdout, "--- a/txtsetup.sif\n+++ b/txtsetup.sif\n"), stdout)
	for _, l := range []string{`viostor.sys = 1,,,,,,4_,4,1,,,1,4`, `viostor = viostor.sys,4`, `[SCSI]`,
		`PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00 = "viostor"`, `viostor.sys = 16`} {
		assert.Contains(t, stdout, "\n+"+l+"\r\n")
	}
	assert.Contains(t, stderr, `ControlSet001\Services\viostor`[len("ControlSet001"):])
	assert.Contains(t, stderr, "copy i386/Win2003/viostor.sys -> reactos/viostor.sys")

	// The diff is a patch that turns the original into the edited file.
	dir := t.TempDir()
	orig := testutil.ReadFixture(t, "inf/reactos/txtsetup.sif")
	a := filepath.Join(dir, "txtsetup.sif")
	require.NoError(t, os.WriteFile(a, orig, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.diff"), []byte(stdout), 0o644))
	testutil.Run(t, testutil.Tool(t, "patch"), "-s", "-p1", "-d", dir, "-i", "p.diff")
	got, err := os.ReadFile(a)
	require.NoError(t, err)
	doc, err := sif.Parse(orig, nil)
	require.NoError(t, err)
	s, err := sif.NewSlipstream(mustOEM(t, oem), nil)
	require.NoError(t, err)
	_, err = s.ApplySIF(doc)
	require.NoError(t, err)
	testutil.EqualBytes(t, doc.Bytes(), got)
}

func mustOEM(t *testing.T, p string) *inf.OEM {
	o, err := inf.OpenOEM(p, nil)
	require.NoError(t, err)
	return o
}

func TestApplyAndRemove(t *testing.T) {
	oem, sys := driverDisk(t)
	sifPath := testutil.Fixture(t, "inf/reactos/txtsetup.sif")
	hivesys := testutil.Fixture(t, "inf/reactos/hivesys.inf")
	hivePath := setupHive(t)
	chk := filepath.Join(t.TempDir(), "CHKPCI.TXT") // does not exist yet
	out := t.TempDir()
	stdout, _ := runOK(t, "--oem", oem, "--id", "WNET32", "--arch", "x86", "--sif", sifPath,
		"--driver-inf", testutil.Fixture(t, "inf/virtio-win/viostor.inx"),
		"--stamp", "INX_SUBSYS_VENDOR_ID=1AF4", "--stamp", "INX_PLATFORM_DRIVERS_DIR=12",
		"--hivesys", hivesys, "--setup-hive", hivePath, "--chkpci", chk, "--compress", "--out", out)
	assert.Contains(t, stdout, "added viostor.sys (WNET32)")

	edited, err := os.ReadFile(filepath.Join(out, "txtsetup.sif"))
	require.NoError(t, err)
	assert.Contains(t, string(edited), "\r\nviostor.sys = 16\r\n")
	h, err := hive.Open(filepath.Join(out, "setupreg.hiv"), nil)
	require.NoError(t, err)
	typ, data, ok, err := h.RawValue(`ControlSet001\Control\CriticalDeviceDatabase\pci#ven_1af4&dev_1001&subsys_00021af4&rev_00`, "ClassGUID")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, uint32(1), typ)
	assert.Equal(t, inf.EncodeSZ("{4D36E97B-E325-11CE-BFC1-08002BE10318}"), data)
	c, err := os.ReadFile(filepath.Join(out, "CHKPCI.TXT"))
	require.NoError(t, err)
	assert.Equal(t, "$PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4\r\nVIOSTOR\r\n", string(c))
	cab := filepath.Join(out, "reactos", "viostor.sy_")
	x := testutil.Run(t, testutil.Tool(t, "7zz"), "x", "-so", cab)
	testutil.EqualBytes(t, sys, []byte(x))
	_, err = os.Stat(filepath.Join(out, "$OEM$", "$1", "Drivers", "viostor", "viostor.inf"))
	require.NoError(t, err)
	plan, err := os.ReadFile(filepath.Join(out, "plan.txt"))
	require.NoError(t, err)
	assert.Contains(t, string(plan), "service viostor: Type 1, Start 0, ErrorControl 1")

	// Remove, with the same options, reading the edited copies: the text
	// files come back byte for byte.
	out2 := t.TempDir()
	runOK(t, "--oem", oem, "--driver-inf", testutil.Fixture(t, "inf/virtio-win/viostor.inx"),
		"--stamp", "INX_SUBSYS_VENDOR_ID=1AF4", "--stamp", "INX_PLATFORM_DRIVERS_DIR=12",
		"--sif", filepath.Join(out, "txtsetup.sif"), "--hivesys", filepath.Join(out, "hivesys.inf"),
		"--setup-hive", filepath.Join(out, "setupreg.hiv"), "--chkpci", filepath.Join(out, "CHKPCI.TXT"),
		"--no-copy", "--remove", "--out", out2)
	for name, want := range map[string]string{"txtsetup.sif": sifPath, "hivesys.inf": hivesys} {
		got, err := os.ReadFile(filepath.Join(out2, name))
		require.NoError(t, err)
		orig, err := os.ReadFile(want)
		require.NoError(t, err)
		testutil.EqualBytes(t, orig, got, name)
	}
	c, err = os.ReadFile(filepath.Join(out2, "CHKPCI.TXT"))
	require.NoError(t, err)
	assert.Empty(t, c)
	h2, err := hive.Open(filepath.Join(out2, "setupreg.hiv"), nil)
	require.NoError(t, err)
	base, err := hive.Open(hivePath, nil)
	require.NoError(t, err)
	d, err := hive.Diff(base.Root(), h2.Root(), nil)
	require.NoError(t, err)
	assert.Empty(t, d)

	runOK(t, "--oem", oem, "--sif", sifPath, "--remove", "--out", out)
	_, err = os.Stat(cab)
	require.ErrorIs(t, err, os.ErrNotExist, "--remove deletes the copied driver from --out")
}

func TestErrors(t *testing.T) {
	oem, _ := driverDisk(t)
	sifPath := testutil.Fixture(t, "inf/reactos/txtsetup.sif")
	out := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		name string
		args []string
		is   error
	}{
		{"no oem", []string{"--sif", sifPath, "--dry-run"}, nil},
		{"no out", []string{"--oem", oem, "--sif", sifPath}, nil},
		{"bad arch", []string{"--oem", oem, "--sif", sifPath, "--arch", "mips", "--dry-run"}, nil},
		{"unknown ID", []string{"--oem", oem, "--sif", sifPath, "--id", "NOPE", "--dry-run"}, sif.ErrNotFound},
		{"bad stamp", []string{"--oem", oem, "--sif", sifPath, "--stamp", "x", "--dry-run"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var o, e bytes.Buffer
			err := run(tc.args, &o, &e)
			require.Error(t, err)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
		})
	}
	// A missing driver file stops the run before anything is written.
	require.NoError(t, os.Remove(filepath.Join(filepath.Dir(oem), "i386", "Win2003", "viostor.sys")))
	var o, e bytes.Buffer
	err := run([]string{"--oem", oem, "--sif", sifPath, "--out", out}, &o, &e)
	require.ErrorIs(t, err, sif.ErrNotFound)
	ents, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Empty(t, ents)
}

// generatedMedia writes a driver disk (a txtsetup.oem with one scsi option
// and its files), a txtsetup.sif, a hivesys.inf and a setup hive, all
// built here, and returns the arguments that slipstream them into out.
func generatedMedia(t *testing.T, out string) []string {
	dir := t.TempDir()
	write := func(rel, text string) string {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	oem := write("disk/txtsetup.oem", "[Disks]\r\nd1 = \"Driver disk\",\\tag,\\i386\r\n[Defaults]\r\nscsi = EX\r\n"+
		"[scsi]\r\nEX = \"Example controller\"\r\n[Files.scsi.EX]\r\ndriver = d1, exsata.sys, exsata\r\ninf = d1, exsata.inf\r\n"+
		"[HardwareIds.scsi.EX]\r\nid = \"PCI\\VEN_1234&DEV_5678&REV_01\", \"exsata\"\r\n")
	write("disk/i386/exsata.sys", "MZ stand-in driver")
	write("disk/i386/exsata.inf", "[Version]\r\n")
	sifPath := write("media/txtsetup.sif", "[SourceDisksNames.x86]\r\n1 = \"CD\",cdtag,,\\i386\r\n[WinntDirectories]\r\n4 = system32\\drivers\r\n"+
		"[SourceDisksFiles.x86]\r\natapi.sys = 1,,,,,,3_,4,1,,,1,4\r\n[SCSI.Load]\r\natapi = atapi.sys,4\r\n")
	hivesys := write("media/hivesys.inf", "[Version]\r\nSignature = \"$Windows NT$\"\r\n\r\n[AddReg]\r\nHKLM,\"SYSTEM\\Setup\",\"x\",0x00010001,1\r\n")
	h, _, err := sif.BuildSetupHive(nil)
	require.NoError(t, err)
	hivePath := filepath.Join(dir, "media", "setupreg.hiv")
	require.NoError(t, sif.SaveHive(h, hivePath, 0))
	return []string{"--oem", oem, "--sif", sifPath, "--hivesys", hivesys, "--setup-hive", hivePath,
		"--chkpci", filepath.Join(dir, "media", "CHKPCI.TXT"), "--out", out}
}

// files returns every file below dir (slash paths) with its content.
func files(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	}))
	return out
}

// Every file run writes (the driver copies, the edited txtsetup.sif,
// hivesys.inf, setup hive and CHKPCI.TXT, plan.txt) goes through
// internal/atomicfile: a write failing part-way into any one of them stops
// the run with a one-line error and leaves that file byte-identical and no
// temporary file anywhere.
func TestSaveFailures(t *testing.T) {
	out := t.TempDir()
	args := generatedMedia(t, out)
	runOK(t, args...)
	written := files(t, out)
	require.Len(t, written, 7, "%v", written)
	for _, target := range sortedKeys(written) {
		t.Run(target, func(t *testing.T) {
			// Old copies in --out, which the run replaces.
			for p := range written {
				require.NoError(t, os.WriteFile(filepath.Join(out, filepath.FromSlash(p)), []byte("previous "+p), 0o644))
			}
			before := files(t, out)
			dir, base := filepath.Split(filepath.Join(out, filepath.FromSlash(target)))
			restore := atomicfile.SetFault(func(int64) error {
				// Fail the writes into target's temporary file.
				ents, err := os.ReadDir(dir)
				require.NoError(t, err)
				for _, e := range ents {
					if strings.HasPrefix(e.Name(), "."+base+".tmp") {
						return atomicfile.ErrInjected
					}
				}
				return nil
			})
			var stdout, stderr bytes.Buffer
			err := run(args, &stdout, &stderr)
			restore()
			require.ErrorIs(t, err, atomicfile.ErrInjected)
			assert.NotContains(t, err.Error(), "\n")
			after := files(t, out)
			testutil.EqualBytes(t, []byte(before[target]), []byte(after[target]), "the file whose write failed changed")
			for p := range after {
				assert.False(t, strings.Contains(p, ".tmp"), "temporary file %s left", p)
			}
			assert.Equal(t, sortedKeys(before), sortedKeys(after))
		})
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
