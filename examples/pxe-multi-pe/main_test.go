package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/peimage"
	"github.com/winbootkit/winbootkit/ramdisk"
	"github.com/winbootkit/winbootkit/sif"
)

// goSource is a Windows program holding the strings the recipes patch:
// UTF-16LE \Boot\BCD (bootmgr.exe) and ASCII winnt.sif and \I386\
// (setupldr.exe).
const goSource = `package main

import "os"

var bcd = [...]uint16{'\\', 'B', 'o', 'o', 't', '\\', 'B', 'C', 'D', 0}

var names = []string{"winnt.sif", "\\I386\\SYSTEM32\\"}

func main() {
	os.Stdout.WriteString(names[0] + names[1])
	println(bcd[1])
}
`

var (
	goPEMu  sync.Mutex
	goPEBin []byte
)

// goPE returns a 32-bit Windows program built with GOOS=windows GOARCH=386,
// built once per test binary.
func goPE(t *testing.T) []byte {
	t.Helper()
	goPEMu.Lock()
	defer goPEMu.Unlock()
	if goPEBin != nil {
		return bytes.Clone(goPEBin)
	}
	gotool := testutil.Tool(t, "go")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module standin\n\ngo 1.21\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(goSource), 0o644))
	cmd := exec.Command(gotool, "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", "standin.exe", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=386", "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	b, err := os.ReadFile(filepath.Join(dir, "standin.exe"))
	require.NoError(t, err)
	goPEBin = b
	return bytes.Clone(b)
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// rawNBP is a stand-in for a 16-bit boot program that fetches name.
func rawNBP(name string) []byte {
	b := bytes.Repeat([]byte{0x90}, 0x1800)
	b[0], b[1], b[2] = 0xe9, 0xd5, 0x01
	copy(b[0x1561:], name+"\x00")
	return b
}

// tftpRoot lays out a TFTP root from real parts: the Go-built PE as
// bootmgr.exe and setupldr.exe, a store made by the bcd package, an SDI
// made by the ramdisk package, raw stand-ins for pxeboot.n12 and
// startrom.n12. Names are spelled as on a real Linux TFTP root (one boot/
// directory; case differs from what the command asks for).
func tftpRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	store, _, err := bcd.NewWinPEStore(&bcd.WinPE{Description: "WinPE x86", WIMPath: `\Boot\boot.wim`}, nil)
	require.NoError(t, err)
	part := bytes.Repeat([]byte{0xf6}, 32<<10)
	sdi, err := ramdisk.NewBootSDI(bytes.NewReader(part), int64(len(part)), &ramdisk.BootSDIOptions{PartitionType: 7})
	require.NoError(t, err)
	sdiBytes, err := sdi.MarshalBinary()
	require.NoError(t, err)
	pe := goPE(t)
	for rel, data := range map[string][]byte{
		"boot/PXEboot.n12": rawNBP("bootmgr.exe"),
		"BOOTMGR.EXE":      pe,
		"boot/BCD":         store.Bytes(),
		"boot/boot.sdi":    sdiBytes,
		"startrom.n12":     rawNBP("NTLDR"),
		"setupldr.exe":     pe,
	} {
		writeFile(t, filepath.Join(root, rel), data)
	}
	return root
}

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

// checkRename checks that patched is orig with every occurrence of old
// replaced by new (same length) and nothing else changed, apart from the
// PE checksum field when isPE.
func checkRename(t *testing.T, orig, patched []byte, old, new []byte, isPE bool) {
	t.Helper()
	require.Len(t, patched, len(orig))
	n := bytes.Count(orig, old)
	require.Positive(t, n)
	want := bytes.ReplaceAll(orig, old, new)
	if isPE {
		field := int(binary.LittleEndian.Uint32(orig[0x3c:])) + 88
		copy(want[field:field+4], patched[field:field+4])
	}
	testutil.EqualBytes(t, want, patched)
}

// pefileChecks runs pefile on files: verify_checksum and the size of the
// certificate directory of each.
func pefileChecks(t *testing.T, paths ...string) map[string][2]any {
	t.Helper()
	py := testutil.PythonModule(t, "pefile")
	script := `import sys, json, pefile
for f in sys.argv[1:]:
    pe = pefile.PE(f, fast_load=True)
    print(json.dumps([pe.verify_checksum(), pe.OPTIONAL_HEADER.DATA_DIRECTORY[4].Size]))
`
	out := testutil.Run(t, py, append([]string{"-c", script}, paths...)...)
	res := map[string][2]any{}
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var v [2]any
		require.NoError(t, json.Unmarshal([]byte(line), &v))
		res[paths[i]] = v
	}
	require.Len(t, res, len(paths))
	return res
}

// checkPE2 checks the files of image tag (WIM path wim) written to out
// against the inputs in in: through the packages, pefile and hivexregedit.
func checkPE2(t *testing.T, in, out, pxeRel, mgrRel, bcdRel, tag, wim string) {
	t.Helper()
	low := strings.ToLower(tag)
	checkRename(t, readFile(t, filepath.Join(in, pxeRel)), readFile(t, filepath.Join(out, low, "pxe"+low+".0")),
		[]byte("bootmgr.exe"), []byte(low+"mgr.exe"+strings.Repeat("\x00", 4-len(low))), false)

	mgrOut := filepath.Join(out, low+"mgr.exe")
	newBCD := append(utf16le(`\`+tag+`\BCD`), make([]byte, 2*(4-len(tag)))...)
	checkRename(t, readFile(t, filepath.Join(in, mgrRel)), readFile(t, mgrOut), utf16le(`\Boot\BCD`), newBCD, true)
	img, err := peimage.Open(mgrOut, nil)
	require.NoError(t, err)
	require.NoError(t, img.VerifyChecksum())
	assert.Equal(t, [2]any{true, float64(0)}, pefileChecks(t, mgrOut)[mgrOut], "pefile: checksum verified, no certificate table")

	// The store: through the bcd package...
	storeOut := filepath.Join(out, tag, "BCD")
	s, err := bcd.Open(storeOut, nil)
	require.NoError(t, err)
	require.Empty(t, s.Check())
	ld, err := s.Lookup("{default}")
	require.NoError(t, err)
	want := `ramdisk=[boot]\` + strings.ReplaceAll(wim, "/", `\`) + `,{ramdiskoptions}`
	for _, e := range []bcd.ElementType{bcd.ElemDevice, bcd.ElemOSDevice} {
		v, err := ld.Get(e)
		require.NoError(t, err)
		assert.Equal(t, want, v.(*bcd.Device).Text(e, nil))
	}
	bm, err := s.Lookup("{bootmgr}")
	require.NoError(t, err)
	v, err := bm.Get(bcd.ElemNoIntegrity)
	require.NoError(t, err)
	assert.Equal(t, bcd.Boolean(true), v)

	// ... and through hivexregedit: the copy differs from the original in
	// the loader's device and osdevice and the new {bootmgr} element only.
	before, after := testutil.HivexExportRaw(t, filepath.Join(in, bcdRel)), testutil.HivexExportRaw(t, storeOut)
	var diff []string
	for k, v := range after {
		if before[k] != v {
			diff = append(diff, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			diff = append(diff, k)
		}
	}
	loader := `[\Objects\` + ld.ID().String() + `\Elements\`
	assert.ElementsMatch(t, []string{
		loader + `11000001] "Element"`,
		loader + `21000001] "Element"`,
		`[\Objects\{9dea862c-5cdd-4e70-acc1-f32b344d4795}\Elements\16000048] "Element"`,
	}, diff)
	assert.Equal(t, "hex(3):01", after[`[\Objects\{9dea862c-5cdd-4e70-acc1-f32b344d4795}\Elements\16000048] "Element"`])
}

// checkPE1 checks the WinPE 1.x files of loader name written to out.
func checkPE1(t *testing.T, in, out, name string) {
	t.Helper()
	checkRename(t, readFile(t, filepath.Join(in, "startrom.n12")), readFile(t, filepath.Join(out, name+"rom.0")),
		[]byte("NTLDR"), []byte(name), false)
	ldrOut := filepath.Join(out, name)
	ldr := readFile(t, ldrOut)
	orig := readFile(t, filepath.Join(in, "setupldr.exe"))
	want := orig
	for _, r := range [][2]string{{"winnt.sif", name + ".sif"}, {"WINNT.SIF", name + ".sif"}, {"I386", "WXPE"}, {"i386", "WXPE"}} {
		want = bytes.ReplaceAll(want, []byte(r[0]), []byte(r[1]))
		want = bytes.ReplaceAll(want, utf16le(r[0]), utf16le(r[1]))
	}
	field := int(binary.LittleEndian.Uint32(orig[0x3c:])) + 88
	copy(want[field:field+4], ldr[field:field+4])
	testutil.EqualBytes(t, want, ldr)
	assert.Equal(t, [2]any{true, float64(0)}, pefileChecks(t, ldrOut)[ldrOut])

	w, err := sif.OpenWinnt(filepath.Join(out, name+".sif"), nil)
	require.NoError(t, err)
	assert.Equal(t, "ramdisk(0)", w.BootDevice())
	assert.Equal(t, `\WXPE\SYSTEM32\`, w.BootPath())
	r := w.RAMDisk()
	assert.Equal(t, ramdisk.RAMDiskOptions{Path: "WXPE.ISO", ExportAsCD: true, MinInt: true, FastDetect: true}, r)
	assert.Empty(t, w.Warnings)
}

func TestEmbeddedDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	stdout, stderr := runOK(t)
	assert.Empty(t, stderr)
	out := "out"
	assert.Equal(t, []string{"Boot/BCD", "Test/BCD", "boot/boot.sdi", "boot/pxeboot.n12", "bootmgr.exe", "menu.lst/default",
		"netpe", "netpe.sif", "netperom.0", "pxelinux.cfg/default", "setupldr.exe", "startrom.n12", "test/pxetest.0", "testmgr.exe"}, testutil.ListFiles(t, out))

	// The stand-ins are what the recipes expect: a raw program, a PE, a
	// store, an SDI.
	mgr, err := peimage.Open(filepath.Join(out, "bootmgr.exe"), nil)
	require.NoError(t, err)
	assert.Equal(t, peimage.KindPE, mgr.Kind())
	sdi, err := os.Open(filepath.Join(out, "boot", "boot.sdi"))
	require.NoError(t, err)
	defer sdi.Close()
	_, err = ramdisk.ReadSDIHeader(sdi)
	require.NoError(t, err)

	checkPE2(t, out, out, "boot/pxeboot.n12", "bootmgr.exe", "Boot/BCD", "Test", "Test/TestPE.wim")
	checkPE1(t, out, out, "netpe")
	all := pefileChecks(t, filepath.Join(out, "bootmgr.exe"), filepath.Join(out, "setupldr.exe"))
	for p, v := range all {
		assert.Equal(t, true, v[0], "pefile verifies the stand-in %s", p)
	}

	// What it prints: the tree, then the new store as bcdedit lists it.
	for _, s := range []string{"out/\n", "├── Test/\n│   └── BCD ", "└── testmgr.exe ", `\Boot\BCD -> \Test\BCD, checksum fixed`,
		"Test/BCD (bcdedit /store Test/BCD /enum all):\n\nWindows Boot Manager\n--------------------\nidentifier              {bootmgr}\n",
		"device                  ramdisk=[boot]\\Test\\TestPE.wim,{ramdiskoptions}\n", "nointegritychecks       Yes\n"} {
		assert.Contains(t, stdout, s)
	}
	px := string(readFile(t, filepath.Join(out, "pxelinux.cfg", "default")))
	for _, s := range []string{"  pxe boot/pxeboot.n12\n", "  kernel test/pxetest.0\n", "  kernel netperom.0\n"} {
		assert.Contains(t, px, s)
	}
	g4 := string(readFile(t, filepath.Join(out, "menu.lst", "default")))
	assert.Contains(t, g4, "chainloader --raw (pd)/test/pxetest.0\n")

	// A second run gives the same bytes (the stand-ins carry no time), and
	// replaces its own menus.
	first := map[string][]byte{}
	for _, f := range testutil.ListFiles(t, out) {
		first[f] = readFile(t, filepath.Join(out, f))
	}
	stdout2, _ := runOK(t)
	assert.Equal(t, stdout, stdout2)
	for f, b := range first {
		testutil.EqualBytes(t, b, readFile(t, filepath.Join(out, f)), f)
	}
}

func TestRealParts(t *testing.T) {
	root := tftpRoot(t)
	out := filepath.Join(t.TempDir(), "out")
	stdout, stderr := runOK(t, "--wim", "Test/TestPE.wim", "--wim", `Lab\Lab.wim`, "--pe1", "netpe", "-o", out, root)
	assert.Equal(t, []string{"Lab/BCD", "Test/BCD", "lab/pxelab.0", "labmgr.exe", "menu.lst/default", "netpe", "netpe.sif",
		"netperom.0", "pxelinux.cfg/default", "test/pxetest.0", "testmgr.exe"}, testutil.ListFiles(t, out))
	checkPE2(t, root, out, "boot/PXEboot.n12", "BOOTMGR.EXE", "boot/BCD", "Test", "Test/TestPE.wim")
	checkPE2(t, root, out, "boot/PXEboot.n12", "BOOTMGR.EXE", "boot/BCD", "Lab", "Lab/Lab.wim")
	checkPE1(t, root, out, "netpe")
	assert.Contains(t, stdout, "Lab/BCD (bcdedit /store Lab/BCD /enum all):")
	// The images are not in the root: the command says so, once each.
	assert.Equal(t, 3, strings.Count(stderr, "is not in the TFTP root yet"), stderr)
	assert.Contains(t, stderr, filepath.Join(root, "Test", "TestPE.wim"))

	// Installing into the root itself works, and never touches the inputs.
	writeFile(t, filepath.Join(root, "Test", "TestPE.wim"), []byte("a WIM would be here"))
	before := map[string][]byte{}
	for _, f := range testutil.ListFiles(t, root) {
		before[f] = readFile(t, filepath.Join(root, f))
	}
	_, stderr = runOK(t, "--wim", "Test/TestPE.wim", "-o", root, root)
	assert.Empty(t, stderr)
	for f, b := range before {
		testutil.EqualBytes(t, b, readFile(t, filepath.Join(root, f)), f)
	}
	checkPE2(t, root, root, "boot/PXEboot.n12", "BOOTMGR.EXE", "boot/BCD", "Test", "Test/TestPE.wim")
}

// signedBootmgr returns Debian's signed MokManager with one UTF-16LE
// string overwritten by \Boot\BCD: a real Authenticode-signed PE32+ (the
// signature no longer matches, but the certificate table is intact) that
// the recipe finds something to patch in.
func signedBootmgr(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(testutil.SystemFile(t, "/usr/lib/shim/mmx64.efi.signed"))
	require.NoError(t, err)
	img, err := peimage.Parse(b, nil)
	require.NoError(t, err)
	require.True(t, img.Signed())
	at := bytes.Index(b, utf16le(`\EFI\BOOT`))
	require.Positive(t, at)
	copy(b[at:], utf16le(`\Boot\BCD`))
	return b
}

func TestSignedBootmgr(t *testing.T) {
	root := tftpRoot(t)
	writeFile(t, filepath.Join(root, "BOOTMGR.EXE"), signedBootmgr(t))
	out := filepath.Join(t.TempDir(), "out")

	var so, se bytes.Buffer
	err := run([]string{"--wim", "Test/TestPE.wim", "-o", out, root}, &so, &se)
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(root, "BOOTMGR.EXE"))
	assert.Contains(t, err.Error(), "--strip-signature")
	assert.NotContains(t, err.Error(), "\n")
	assert.Nil(t, testutil.ListFiles(t, out), "nothing written")

	runOK(t, "--wim", "Test/TestPE.wim", "--strip-signature", "-o", out, root)
	mgr := filepath.Join(out, "testmgr.exe")
	img, err := peimage.Open(mgr, nil)
	require.NoError(t, err)
	assert.False(t, img.Signed())
	require.NoError(t, img.VerifyChecksum())
	m, err := img.Find(`\Test\BCD`, &peimage.FindOptions{Encoding: peimage.UTF16LE})
	require.NoError(t, err)
	assert.Len(t, m, 1)
	assert.Equal(t, [2]any{true, float64(0)}, pefileChecks(t, mgr)[mgr], "pefile: checksum verified, certificate table gone")
}

func TestInputErrors(t *testing.T) {
	pe := goPE(t)
	storeBytes := func() []byte {
		s, _, err := bcd.NewWinPEStore(nil, nil)
		require.NoError(t, err)
		return s.Bytes()
	}()
	for name, tc := range map[string]struct {
		edit  func(root string)
		args  []string
		names string // what the one-line error must name
	}{
		"missing bootmgr":    {edit: func(r string) { os.Remove(filepath.Join(r, "BOOTMGR.EXE")) }, names: "bootmgr.exe: missing"},
		"missing startrom":   {edit: func(r string) { os.Remove(filepath.Join(r, "startrom.n12")) }, names: "startrom.n12: missing"},
		"bootmgr is a store": {edit: func(r string) { writeFile(t, filepath.Join(r, "BOOTMGR.EXE"), storeBytes) }, names: "BOOTMGR.EXE: wrong type of file"},
		"bootmgr is a directory": {edit: func(r string) {
			os.Remove(filepath.Join(r, "BOOTMGR.EXE"))
			os.Mkdir(filepath.Join(r, "BOOTMGR.EXE"), 0o755)
		}, names: "BOOTMGR.EXE: is a directory"},
		"pxeboot is a PE":      {edit: func(r string) { writeFile(t, filepath.Join(r, "boot", "PXEboot.n12"), pe) }, names: "PXEboot.n12: wrong type of file"},
		"pxeboot without name": {edit: func(r string) { writeFile(t, filepath.Join(r, "boot", "PXEboot.n12"), rawNBP("other.exe")) }, names: "PXEboot.n12: wrong type of file"},
		"BCD is not a store":   {edit: func(r string) { writeFile(t, filepath.Join(r, "boot", "BCD"), pe) }, names: "BCD: wrong type of file"},
		"SDI is not an SDI":    {edit: func(r string) { writeFile(t, filepath.Join(r, "boot", "boot.sdi"), storeBytes) }, names: "boot.sdi: wrong type of file"},
		"setupldr is raw":      {edit: func(r string) { writeFile(t, filepath.Join(r, "setupldr.exe"), rawNBP("winnt.sif")) }, names: "setupldr.exe: wrong type of file"},
		"startrom is empty":    {edit: func(r string) { writeFile(t, filepath.Join(r, "startrom.n12"), nil) }, names: "startrom.n12: is empty"},
		"store has no ramdisk": {edit: func(r string) {
			s, err := bcd.New(nil)
			require.NoError(t, err)
			writeFile(t, filepath.Join(r, "boot", "BCD"), s.Bytes())
		}, names: "BCD: bcd: no RAM-disk boot entry"},
		"wim without dir":  {args: []string{"--wim", "TestPE.wim"}, names: "--wim TestPE.wim"},
		"wim tag too long": {args: []string{"--wim", "Tests/TestPE.wim"}, names: "--wim Tests/TestPE.wim"},
		"wim tag Boot":     {args: []string{"--wim", "boot/x.wim"}, names: "--wim boot/x.wim"},
		"wim twice":        {args: []string{"--wim", "a/x.wim", "--wim", "A/y.wim"}, names: "--wim A/y.wim"},
		"not a wim":        {args: []string{"--wim", "a/x.iso"}, names: "--wim a/x.iso"},
		"pe1 name":         {args: []string{"--pe1", "netpe2"}, names: "--pe1 netpe2"},
		"pe1 dir":          {args: []string{"--pe1", "netpe", "--pe1-dir", "XP"}, names: "--pe1-dir XP"},
		"pe1 image":        {args: []string{"--pe1", "netpe", "--pe1-image", "pe.img"}, names: "--pe1-image pe.img"},
		"two roots":        {args: []string{"--wim", "a/x.wim", "extra"}, names: "one TFTP root at most"},
	} {
		t.Run(name, func(t *testing.T) {
			root := tftpRoot(t)
			if tc.edit != nil {
				tc.edit(root)
			}
			args := tc.args
			if args == nil {
				args = []string{"--wim", "Test/TestPE.wim", "--pe1", "netpe"}
			}
			out := filepath.Join(t.TempDir(), "out")
			var so, se bytes.Buffer
			err := run(append(args, "-o", out, root), &so, &se)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.names)
			assert.NotContains(t, err.Error(), "\n")
			assert.Nil(t, testutil.ListFiles(t, out), "no output files")
			assert.Empty(t, so.String())
		})
	}

	// A TFTP root that is not a directory.
	f := filepath.Join(t.TempDir(), "file")
	writeFile(t, f, []byte("x"))
	err := run([]string{"--wim", "a/x.wim", f}, &bytes.Buffer{}, &bytes.Buffer{})
	require.ErrorContains(t, err, "TFTP root "+f+": not a directory")
}

// A write that fails part-way takes back what the run wrote: new files are
// removed, a file it replaced gets its old content back.
func TestWriteFailureRollsBack(t *testing.T) {
	root := tftpRoot(t)
	out := t.TempDir()
	writeFile(t, filepath.Join(out, "testmgr.exe"), []byte("an older testmgr.exe"))
	writeFile(t, filepath.Join(out, "Test"), []byte("a file where the directory Test/ must go"))
	err := run([]string{"--wim", "Test/TestPE.wim", "-o", out, root}, &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(out, "Test", "BCD"))
	assert.Equal(t, []string{"Test", "testmgr.exe"}, testutil.ListFiles(t, out), "test/pxetest.0 and test/ removed")
	assert.Equal(t, "an older testmgr.exe", string(readFile(t, filepath.Join(out, "testmgr.exe"))))
	ents, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Len(t, ents, 2, "no temporary files or directories left")
}

// A menu this command did not write is never replaced.
func TestForeignMenu(t *testing.T) {
	root := tftpRoot(t)
	out := t.TempDir()
	menu := filepath.Join(out, "pxelinux.cfg", "default")
	writeFile(t, menu, []byte("default local\nlabel local\n  localboot 0\n"))
	err := run([]string{"--wim", "Test/TestPE.wim", "-o", out, root}, &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), menu+": exists and was not written by pxe-multi-pe")
	assert.Equal(t, []string{"pxelinux.cfg/default"}, testutil.ListFiles(t, out))
	assert.Equal(t, "default local\nlabel local\n  localboot 0\n", string(readFile(t, menu)))
}

func TestUsage(t *testing.T) {
	stdout, _ := runOK(t, "-h")
	assert.True(t, strings.HasPrefix(stdout, "usage: pxe-multi-pe"), stdout)
	assert.Contains(t, stdout, "-strip-signature")
	var se bytes.Buffer
	err := run([]string{"--nope"}, &bytes.Buffer{}, &se)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "\n")
	assert.Empty(t, se.String())
	require.ErrorContains(t, run([]string{t.TempDir()}, &bytes.Buffer{}, &bytes.Buffer{}), "nothing to do")
}
