package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/peimage"
	"github.com/winbootkit/winbootkit/ramdisk"
	"github.com/winbootkit/winbootkit/sif"
)

func writeFile(t *testing.T, p string, b []byte) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, b, 0o644))
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

func runOK(t *testing.T, args ...string) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	require.NoError(t, run(args, &out, &errOut), "stderr: %s", errOut.String())
	return out.String(), errOut.String()
}

// driverSys is the stand-in for viostor.sys on the test's driver disk.
func driverSys(t *testing.T) []byte {
	t.Helper()
	b, err := peimage.BuildPE(peimage.PESpec{Subsystem: peimage.SubsystemNative, Sections: []peimage.SectionSpec{{Data: bytes.Repeat([]byte("viostor "), 300)}}})
	require.NoError(t, err)
	return b
}

// driverDisk lays out virtio-win's txtsetup-i386.oem (from the fixtures)
// with stand-in driver files where its [Disks] entry puts them, spelled in
// another case, as on a FAT floppy.
func driverDisk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "txtsetup.oem"), testutil.ReadFixture(t, "inf/virtio-win/txtsetup-i386.oem"))
	writeFile(t, filepath.Join(dir, "disk1"), nil)
	sub := filepath.Join(dir, "I386", "WIN2003")
	writeFile(t, filepath.Join(sub, "VIOSTOR.SYS"), driverSys(t))
	writeFile(t, filepath.Join(sub, "viostor.inf"), []byte("[Version]\r\nSignature=\"$WINDOWS NT$\"\r\n"))
	writeFile(t, filepath.Join(sub, "viostor.cat"), []byte{0x30, 0x82})
	return dir
}

// setupHive is ReactOS' SETUPREG.HIV, built from its hive INFs (fixtures).
func setupHive(t *testing.T) []byte {
	t.Helper()
	var docs []*inf.Document
	for _, n := range []string{"hivesys.inf", "setupreg.inf"} {
		d, err := inf.Parse(testutil.ReadFixture(t, "inf/reactos/"+n), nil)
		require.NoError(t, err)
		docs = append(docs, d)
	}
	h, _, err := sif.BuildSetupHive(nil, docs...)
	require.NoError(t, err)
	return h.Bytes()
}

// mediaTree lays out setup media: ReactOS' txtsetup.sif and hivesys.inf
// (fixtures) and a setup hive built from its hive INFs, in I386/.
func mediaTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "I386", "TXTSETUP.SIF"), testutil.ReadFixture(t, "inf/reactos/txtsetup.sif"))
	writeFile(t, filepath.Join(root, "I386", "HIVESYS.INF"), testutil.ReadFixture(t, "inf/reactos/hivesys.inf"))
	writeFile(t, filepath.Join(root, "I386", "setupreg.hiv"), setupHive(t))
	return root
}

// virtioArgs are the arguments for virtio-win's Windows 2003 x86 option
// with its INX (stamped as virtio-win's build does).
func virtioArgs(t *testing.T, disk string) []string {
	return []string{"--oem", filepath.Join(disk, "txtsetup.oem"), "--id", "WNET32",
		"--driver-inf", testutil.Fixture(t, "inf/virtio-win/viostor.inx"),
		"--stamp", "INX_SUBSYS_VENDOR_ID=1AF4", "--stamp", "INX_PLATFORM_DRIVERS_DIR=12"}
}

// addedLines returns the lines of after that before does not have (as a
// multiset), with line endings removed.
func addedLines(before, after []byte) []string {
	count := map[string]int{}
	for _, l := range strings.Split(string(before), "\n") {
		count[strings.TrimRight(l, "\r")]++
	}
	var out []string
	for _, l := range strings.Split(string(after), "\n") {
		l = strings.TrimRight(l, "\r")
		if count[l] > 0 {
			count[l]--
			continue
		}
		out = append(out, l)
	}
	return out
}

// regExport runs hivexregedit --export on a hive file.
func regExport(t *testing.T, p string) string {
	t.Helper()
	return strings.ReplaceAll(testutil.Run(t, testutil.Tool(t, "hivexregedit"), "--export", p, `\`), "\r\n", "\n")
}

// checkVirtio checks the media files written for virtio-win's WNET32 option
// (in out, from the media in in): through the packages, and with
// hivexregedit and 7-Zip.
func checkVirtio(t *testing.T, in, out string, compressed bool) {
	t.Helper()
	// txtsetup.sif: exactly the lines of the project's worked example
	// (spec §2.3), added to the existing sections.
	before := readFile(t, filepath.Join(in, "I386", "TXTSETUP.SIF"))
	after := readFile(t, filepath.Join(out, "I386", "TXTSETUP.SIF"))
	assert.ElementsMatch(t, []string{
		`viostor.sys = 1,,,,,,4_,4,1,,,1,4`,
		`viostor = viostor.sys,4`,
		`viostor = "Red Hat VirtIO BLOCK Disk Device Win2003/32-bit"`,
		`PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00 = "viostor"`,
		`viostor.sys = 16`,
	}, onlyEntries(addedLines(before, after)))
	t2, err := sif.Parse(after, nil)
	require.NoError(t, err)
	var load []string
	for _, e := range t2.Load("SCSI.Load") {
		load = append(load, e.Service+"="+e.File+","+e.DestDirID)
	}
	assert.Contains(t, load, "viostor=viostor.sys,4")

	// hivesys.inf: the CriticalDeviceDatabase and service lines.
	hb := readFile(t, filepath.Join(in, "I386", "HIVESYS.INF"))
	ha := readFile(t, filepath.Join(out, "I386", "HIVESYS.INF"))
	added := addedLines(hb, ha)
	assert.Contains(t, added, `HKLM,"SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\pci#ven_1af4&dev_1001&subsys_00021af4&rev_00","Service",0x00000000,"viostor"`)
	assert.Contains(t, added, `HKLM,"SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\pci#ven_1af4&dev_1001&subsys_00021af4&rev_00","ClassGUID",0x00000000,"{4D36E97B-E325-11CE-BFC1-08002BE10318}"`)
	assert.Contains(t, added, `HKLM,"SYSTEM\CurrentControlSet\Services\viostor","Start",0x00010001,0`)

	// setupreg.hiv, as hivexregedit reads it.
	reg := regExport(t, filepath.Join(out, "I386", "setupreg.hiv"))
	for _, s := range []string{
		"[\\ControlSet001\\Control\\CriticalDeviceDatabase\\pci#ven_1af4&dev_1001&subsys_00021af4&rev_00]\n",
		"\"Service\"=hex(1):76,00,69,00,6f,00,73,00,74,00,6f,00,72,00,00,00\n",
		"[\\ControlSet001\\Services\\viostor]\n",
		"\"Start\"=dword:00000000\n",
		"\"Type\"=dword:00000001\n",
	} {
		assert.Contains(t, reg, s)
	}
	h, err := hive.Open(filepath.Join(out, "I386", "setupreg.hiv"), nil)
	require.NoError(t, err)
	assert.Empty(t, h.Check())

	// The driver: plain, or a cabinet 7-Zip expands to it.
	sys := driverSys(t)
	if compressed {
		x := testutil.Run(t, testutil.Tool(t, "7zz"), "x", "-so", filepath.Join(out, "I386", "viostor.sy_"))
		testutil.EqualBytes(t, sys, []byte(x))
	} else {
		testutil.EqualBytes(t, sys, readFile(t, filepath.Join(out, "I386", "viostor.sys")))
	}
}

// onlyEntries drops blank lines and section headers.
func onlyEntries(lines []string) []string {
	var out []string
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "[") {
			out = append(out, l)
		}
	}
	return out
}

func TestEmbeddedDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	stdout, _ := runOK(t)
	assert.Equal(t, []string{"$OEM$/$1/Drivers/viostor/viostor.inf", "I386/HIVESYS.INF", "I386/SETUPREG.HIV", "I386/TXTSETUP.SIF",
		"I386/viostor.sy_", "SRS/CHKPCI.TXT", "SRS/FREQUENT/viostor.sy_"}, testutil.ListFiles(t, "out"))
	sm, err := standIns()
	require.NoError(t, err)
	sysWant, err := fs.ReadFile(sm.disk, "xp/x86/viostor.sys")
	require.NoError(t, err)
	for _, cab := range []string{"out/I386/viostor.sy_", "out/SRS/FREQUENT/viostor.sy_"} {
		x := testutil.Run(t, testutil.Tool(t, "7zz"), "x", "-so", cab)
		testutil.EqualBytes(t, sysWant, []byte(x), cab)
	}
	origSIF, err := fs.ReadFile(sm.media, "I386/TXTSETUP.SIF")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		`viostor.sys = 1,,,,,,4_,4,1,,,1,4`, `viostor = viostor.sys,4`,
		`viostor = "VirtIO block storage (stand-in), Windows XP x86"`,
		`PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00 = "viostor"`,
		`PCI\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01 = "viostor"`, `viostor.sys = 16`,
	}, onlyEntries(addedLines(origSIF, readFile(t, "out/I386/TXTSETUP.SIF"))))

	// The setup hive: the service from the stand-in INF, the config value
	// of txtsetup.oem, one CriticalDeviceDatabase key per hardware ID.
	reg := regExport(t, "out/I386/SETUPREG.HIV")
	for _, s := range []string{
		"[\\ControlSet001\\Services\\viostor]\n", "\"Group\"=hex(1):", "[\\ControlSet001\\Services\\viostor\\Parameters]\n\"BusType\"=dword:00000001\n",
		"[\\ControlSet001\\Services\\viostor\\Parameters\\PnpInterface]\n\"5\"=dword:00000001\n",
		"[\\ControlSet001\\Control\\CriticalDeviceDatabase\\pci#ven_1af4&dev_1042&subsys_11001af4&rev_01]\n",
		"[\\ControlSet001\\Services\\atapi]\n", // what the stand-in hive had
	} {
		assert.Contains(t, reg, s)
	}
	assert.Equal(t, "$PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4\r\nVIOSTOR\r\n$PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4\r\nVIOSTOR\r\n",
		string(readFile(t, "out/SRS/CHKPCI.TXT")))

	// What it prints: the files and the diffs of the text files.
	for _, s := range []string{"written to out:\n", "  I386/viostor.sy_ ", "--- a/I386/TXTSETUP.SIF\n+++ b/I386/TXTSETUP.SIF\n",
		"+viostor = viostor.sys,4\n", "--- a/I386/HIVESYS.INF\n", "I386/SETUPREG.HIV", "values set in 5 keys below ControlSet001"} {
		assert.Contains(t, stdout, s)
	}
	assert.NotContains(t, stdout, "\r")

	// A second run: the same bytes.
	first := map[string][]byte{}
	for _, f := range testutil.ListFiles(t, "out") {
		first[f] = readFile(t, filepath.Join("out", f))
	}
	stdout2, _ := runOK(t)
	assert.Equal(t, stdout, stdout2)
	for f, b := range first {
		testutil.EqualBytes(t, b, readFile(t, filepath.Join("out", f)), f)
	}
}

func TestTreeMode(t *testing.T) {
	disk := driverDisk(t)
	media := mediaTree(t)
	out := filepath.Join(t.TempDir(), "out")
	_, stderr := runOK(t, append(virtioArgs(t, disk), "--media", media, "-o", out)...)
	// virtio-win names its [Config.X] after the option, so setup never
	// applies it: the linter says so (the INX gives the class GUID).
	assert.Equal(t, 1, strings.Count(stderr, "warning:"), stderr)
	assert.Contains(t, stderr, "config-unreferenced")
	assert.Equal(t, []string{"$OEM$/$1/Drivers/viostor/viostor.cat", "$OEM$/$1/Drivers/viostor/viostor.inf",
		"I386/HIVESYS.INF", "I386/TXTSETUP.SIF", "I386/setupreg.hiv", "I386/viostor.sys"}, testutil.ListFiles(t, out))
	checkVirtio(t, media, out, false)

	// In place, compressed, a second time: the text files do not change
	// again; the cabinet is added.
	sifOnce := readFile(t, filepath.Join(out, "I386", "TXTSETUP.SIF"))
	runOK(t, append(virtioArgs(t, disk), "--media", out, "-o", out, "--compress")...)
	testutil.EqualBytes(t, sifOnce, readFile(t, filepath.Join(out, "I386", "TXTSETUP.SIF")))
	checkVirtio(t, media, out, true)
}

// isoTree builds the setup ISO of the test with xorriso: the media tree
// and a no-emulation El Torito boot image.
func isoTree(t *testing.T) string {
	t.Helper()
	media := mediaTree(t)
	writeFile(t, filepath.Join(media, "BOOT", "etfs.bin"), append([]byte{0xeb, 0xfe}, make([]byte, 2046)...))
	iso := filepath.Join(t.TempDir(), "in.iso")
	testutil.Run(t, testutil.Tool(t, "xorriso"), "-as", "mkisofs", "-quiet", "-R", "-J", "-V", "XPSETUP", "-o", iso,
		"-b", "BOOT/etfs.bin", "-no-emul-boot", "-boot-load-size", "4", media)
	return iso
}

// elTorito returns the boot image lines of xorriso -report_el_torito plain,
// without the LBA column (the rebuilt image puts files elsewhere).
func elTorito(t *testing.T, iso string) []string {
	t.Helper()
	out := testutil.Run(t, testutil.Tool(t, "xorriso"), "-indev", iso, "-report_el_torito", "plain")
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "El Torito boot img"):
			f := strings.Fields(l)
			lines = append(lines, strings.Join(f[:len(f)-1], " "))
		case strings.HasPrefix(l, "El Torito img path"):
			lines = append(lines, strings.Join(strings.Fields(l), " "))
		}
	}
	require.NotEmpty(t, lines, out)
	return lines
}

func TestISOMode(t *testing.T) {
	disk := driverDisk(t)
	in := isoTree(t)
	inBytes := readFile(t, in)
	outISO := filepath.Join(t.TempDir(), "out.iso")
	stdout, _ := runOK(t, append(virtioArgs(t, disk), "--iso", in, "--out-iso", outISO, "--compress", "--chkpci", "SRS/CHKPCI.TXT")...)
	testutil.EqualBytes(t, inBytes, readFile(t, in), "the input ISO is not touched")
	assert.Contains(t, stdout, "El Torito boot entries kept:\n1 BIOS y none")

	// xorriso sees the same boot entry; 7-Zip lists the new files.
	assert.Equal(t, elTorito(t, in), elTorito(t, outISO))
	list := testutil.Run(t, testutil.Tool(t, "7zz"), "l", "-slt", outISO)
	var paths []string
	for _, m := range regexp.MustCompile(`(?m)^Path = (.*)$`).FindAllStringSubmatch(list, -1) {
		paths = append(paths, m[1])
	}
	for _, p := range []string{"I386/TXTSETUP.SIF", "I386/HIVESYS.INF", "I386/setupreg.hiv", "I386/viostor.sy_",
		"$OEM$/$1/Drivers/viostor/viostor.inf", "SRS/CHKPCI.TXT", "SRS/FREQUENT/viostor.sy_", "BOOT/etfs.bin"} {
		assert.Contains(t, paths, p)
	}

	// The files in the ISO are what tree mode writes for the same inputs.
	x := t.TempDir()
	testutil.Run(t, testutil.Tool(t, "7zz"), "x", "-y", "-o"+x, outISO)
	checkVirtio(t, mediaTree(t), x, true)
	tree := filepath.Join(t.TempDir(), "tree")
	runOK(t, append(virtioArgs(t, disk), "--media", mediaTree(t), "-o", tree, "--compress", "--chkpci", "SRS/CHKPCI.TXT")...)
	for _, f := range testutil.ListFiles(t, tree) {
		if strings.HasSuffix(f, ".hiv") {
			continue // a hive carries the time of its edit
		}
		testutil.EqualBytes(t, readFile(t, filepath.Join(tree, f)), readFile(t, filepath.Join(x, f)), f)
	}
	assert.Equal(t, "$PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4\r\nVIOSTOR\r\n", string(readFile(t, filepath.Join(x, "SRS", "CHKPCI.TXT"))))

	// The rebuilt ISO reads back through the ramdisk package too.
	im, err := ramdisk.OpenISOFile(outISO, nil)
	require.NoError(t, err)
	defer im.Close()
	require.Len(t, im.Boot, 1)
	assert.Equal(t, "BOOT/etfs.bin", im.Boot[0].Path)
}

func TestErrors(t *testing.T) {
	disk := driverDisk(t)
	oem := filepath.Join(disk, "txtsetup.oem")
	for name, tc := range map[string]struct {
		edit  func(media string)
		args  func(media string) []string
		names string
	}{
		"missing oem": {args: func(m string) []string { return []string{"--oem", filepath.Join(disk, "nope.oem"), "--media", m} }, names: "--oem " + filepath.Join(disk, "nope.oem") + ": no such file"},
		"oem is a PE": {args: func(m string) []string {
			return []string{"--oem", filepath.Join(disk, "I386", "WIN2003", "VIOSTOR.SYS"), "--media", m}
		}, names: "VIOSTOR.SYS: wrong type of file"},
		"unknown id": {args: func(m string) []string { return []string{"--oem", oem, "--id", "NOPE", "--media", m} }, names: oem + ": "},
		"inf is a sif": {args: func(m string) []string {
			return []string{"--oem", oem, "--driver-inf", filepath.Join(m, "I386", "TXTSETUP.SIF"), "--media", m}
		}, names: "TXTSETUP.SIF: wrong type of file"},
		"missing media":  {args: func(m string) []string { return []string{"--oem", oem, "--media", filepath.Join(m, "nope")} }, names: "--media " + "%M/nope"},
		"media is I386":  {args: func(m string) []string { return []string{"--oem", oem, "--media", filepath.Join(m, "I386")} }, names: "holds TXTSETUP.SIF itself"},
		"no txtsetup":    {edit: func(m string) { os.Remove(filepath.Join(m, "I386", "TXTSETUP.SIF")) }, names: "no I386/TXTSETUP.SIF"},
		"amd64 media":    {args: func(m string) []string { return []string{"--oem", oem, "--arch", "amd64", "--media", m} }, names: "no AMD64/TXTSETUP.SIF"},
		"sif is binary":  {edit: func(m string) { writeFile(t, filepath.Join(m, "I386", "TXTSETUP.SIF"), driverSys(t)) }, names: "TXTSETUP.SIF: wrong type of file"},
		"hive is text":   {edit: func(m string) { writeFile(t, filepath.Join(m, "I386", "setupreg.hiv"), []byte("[AddReg]\r\n")) }, names: "setupreg.hiv: wrong type of file"},
		"hivesys binary": {edit: func(m string) { writeFile(t, filepath.Join(m, "I386", "HIVESYS.INF"), setupHive(t)) }, names: "HIVESYS.INF: wrong type of file"},
		"missing driver": {args: func(m string) []string {
			d := driverDisk(t)
			os.Remove(filepath.Join(d, "I386", "WIN2003", "viostor.cat"))
			return []string{"--oem", filepath.Join(d, "txtsetup.oem"), "--media", m}
		}, names: "viostor.cat"},
		"not an iso": {args: func(m string) []string {
			return []string{"--oem", oem, "--iso", filepath.Join(m, "I386", "setupreg.hiv"), "--out-iso", filepath.Join(m, "o.iso")}
		}, names: "setupreg.hiv: wrong type of file"},
		"same iso":    {args: func(m string) []string { return []string{"--oem", oem, "--iso", "x.iso", "--out-iso", "./x.iso"} }, names: "--out-iso ./x.iso: must differ"},
		"bad arch":    {args: func(m string) []string { return []string{"--oem", oem, "--arch", "mips", "--media", m} }, names: "--arch mips"},
		"no media":    {args: func(m string) []string { return []string{"--oem", oem} }, names: "--media DIR"},
		"both modes":  {args: func(m string) []string { return []string{"--oem", oem, "--media", m, "--iso", "x.iso"} }, names: "not both"},
		"bad stamp":   {args: func(m string) []string { return []string{"--stamp", "x"} }, names: "KEY=VALUE"},
		"bad chkpci":  {args: func(m string) []string { return []string{"--oem", oem, "--media", m, "--chkpci", "../x"} }, names: "--chkpci ../x"},
		"extra words": {args: func(m string) []string { return []string{"--oem", oem, "--media", m, "extra"} }, names: `"extra"`},
	} {
		t.Run(name, func(t *testing.T) {
			media := mediaTree(t)
			if tc.edit != nil {
				tc.edit(media)
			}
			args := []string{"--oem", oem, "--media", media}
			if tc.args != nil {
				args = tc.args(media)
			}
			out := filepath.Join(t.TempDir(), "out")
			if !contains(args, "--iso") {
				args = append(args, "-o", out)
			}
			var so, se bytes.Buffer
			err := run(args, &so, &se)
			require.Error(t, err)
			assert.Contains(t, err.Error(), strings.ReplaceAll(tc.names, "%M", media))
			assert.NotContains(t, err.Error(), "\n")
			assert.Nil(t, testutil.ListFiles(t, out), "no output files")
			assert.NoFileExists(t, filepath.Join(media, "o.iso"))
			assert.Empty(t, so.String())
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A write that fails part-way takes back what the run wrote.
func TestWriteFailureRollsBack(t *testing.T) {
	disk := driverDisk(t)
	media := mediaTree(t)
	out := t.TempDir()
	writeFile(t, filepath.Join(out, "I386", "TXTSETUP.SIF"), []byte("an older copy"))
	writeFile(t, filepath.Join(out, "SRS"), []byte("a file where the directory SRS/ must go"))
	var so, se bytes.Buffer
	err := run(append(virtioArgs(t, disk), "--media", media, "-o", out, "--chkpci", "SRS/CHKPCI.TXT"), &so, &se)
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(out, "SRS", "CHKPCI.TXT"))
	assert.Equal(t, []string{"I386/TXTSETUP.SIF", "SRS"}, testutil.ListFiles(t, out))
	assert.Equal(t, "an older copy", string(readFile(t, filepath.Join(out, "I386", "TXTSETUP.SIF"))))
	_, err = os.Stat(filepath.Join(out, "$OEM$"))
	assert.ErrorIs(t, err, os.ErrNotExist, "directories made by the run are removed")
}

func TestUsage(t *testing.T) {
	stdout, _ := runOK(t, "-h")
	assert.True(t, strings.HasPrefix(stdout, "usage: slipstream-virtio"), stdout)
	assert.Contains(t, stdout, "-out-iso")
	err := run([]string{"--nope"}, &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "\n")
}

// Windows Server 2003 x64 media: the driver goes into AMD64 and
// [SourceDisksFiles.amd64].
func TestTreeModeAMD64(t *testing.T) {
	disk := t.TempDir()
	writeFile(t, filepath.Join(disk, "txtsetup.oem"), testutil.ReadFixture(t, "inf/virtio-win/txtsetup-amd64.oem"))
	sys := driverSys(t)
	for name, data := range map[string][]byte{"viostor.sys": sys, "viostor.inf": []byte("[Version]\r\n"), "viostor.cat": {0x30}} {
		writeFile(t, filepath.Join(disk, "amd64", "Win2003", name), data)
	}
	media := t.TempDir()
	sifText := "[Version]\r\nSignature = \"$Windows NT$\"\r\n\r\n[SourceDisksNames.amd64]\r\n1 = \"CD\",\\cdtag,,\\amd64\r\n\r\n" +
		"[SourceDisksFiles.amd64]\r\natapi.sys = 1,,,,,,3_,4,1,,,1,4\r\n\r\n[SCSI.Load]\r\natapi = atapi.sys,4\r\n"
	writeFile(t, filepath.Join(media, "amd64", "txtsetup.sif"), []byte(sifText))
	out := filepath.Join(t.TempDir(), "out")
	_, stderr := runOK(t, "--oem", filepath.Join(disk, "txtsetup.oem"), "--arch", "amd64", "--media", media, "-o", out)
	assert.Contains(t, stderr, "neither HIVESYS.INF nor SETUPREG.HIV")
	assert.Equal(t, []string{"$OEM$/$1/Drivers/viostor/viostor.cat", "$OEM$/$1/Drivers/viostor/viostor.inf",
		"amd64/txtsetup.sif", "amd64/viostor.sys"}, testutil.ListFiles(t, out))
	testutil.EqualBytes(t, sys, readFile(t, filepath.Join(out, "amd64", "viostor.sys")))
	s, err := sif.Parse(readFile(t, filepath.Join(out, "amd64", "txtsetup.sif")), nil)
	require.NoError(t, err)
	var names []string
	for _, f := range s.SourceDisksFiles(inf.AMD64) {
		names = append(names, f.Name)
	}
	assert.Equal(t, []string{"atapi.sys", "viostor.sys"}, names)
}
