package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/wim"
)

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	require.NoError(t, run(args, &out, &errOut), "wimboot-vhd %s: %s", strings.Join(args, " "), errOut.String())
	return out.String()
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}

// vhdEntry is what hivexregedit shows of one VHD boot entry.
type vhdEntry struct {
	id, desc, loader string
	dev, osdev       *bcd.Device
}

// vhdEntries reads the osloader objects with VHD devices from the export,
// decoding the device blobs hivexregedit printed.
func vhdEntries(t *testing.T, reg map[string]map[string]string) map[string]vhdEntry {
	t.Helper()
	out := map[string]vhdEntry{}
	for key := range reg {
		id, ok := strings.CutPrefix(key, `\objects\`)
		if !ok || strings.Contains(id, `\`) {
			continue
		}
		el := func(e string) string { return reg[key+`\elements\`+e]["Element"] }
		devHex, ok := strings.CutPrefix(el("11000001"), "hex(3):")
		if !ok || reg[key+`\description`]["Type"] != "dword:10200003" {
			continue
		}
		dev, err := bcd.DecodeDevice(testutil.RegHexBytes(t, devHex))
		require.NoError(t, err)
		if dev.Kind != bcd.DeviceVHD {
			continue
		}
		osHex, ok := strings.CutPrefix(el("21000001"), "hex(3):")
		require.True(t, ok, "osdevice of %s", id)
		osdev, err := bcd.DecodeDevice(testutil.RegHexBytes(t, osHex))
		require.NoError(t, err)
		e := vhdEntry{id: id, desc: strings.TrimPrefix(el("12000004"), "sz:"), loader: strings.TrimPrefix(el("12000002"), "sz:"), dev: dev, osdev: osdev}
		out[dev.Path] = e
	}
	return out
}

const bootmgrKey = `\objects\{9dea862c-5cdd-4e70-acc1-f32b344d4795}`

// wimlibBootIndex is the boot index wimlib-imagex info prints.
func wimlibBootIndex(t *testing.T, p string) string {
	t.Helper()
	for _, l := range strings.Split(testutil.Run(t, testutil.Tool(t, "wimlib-imagex"), "info", p), "\n") {
		if v, ok := strings.CutPrefix(l, "Boot Index:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no boot index in wimlib-imagex info %s", p)
	return ""
}

// TestEmbeddedWIM: the embedded default WIM is valid for wimlib, and our
// reader agrees with it.
func TestEmbeddedWIM(t *testing.T) {
	p := filepath.Join(t.TempDir(), "install.wim")
	require.NoError(t, os.WriteFile(p, defaultWIM, 0o644))
	wimlib := testutil.Tool(t, "wimlib-imagex")
	testutil.Run(t, wimlib, "verify", p)
	r, err := wim.NewReader(bytes.NewReader(defaultWIM), int64(len(defaultWIM)), nil)
	require.NoError(t, err)
	var ours bytes.Buffer
	require.NoError(t, r.WriteInfo(&ours, p, 0))
	assert.Equal(t, testutil.Run(t, wimlib, "info", p), ours.String())
}

// TestDefaults runs the command without arguments.
func TestDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	stdout := runOK(t)
	entries, err := os.ReadDir("out")
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, "BCD", entries[0].Name())
	assert.Equal(t, "install.wim", entries[1].Name())

	// The WIM: boot index 2 for wimlib, everything else as embedded.
	w := filepath.Join("out", "install.wim")
	testutil.Run(t, testutil.Tool(t, "wimlib-imagex"), "verify", w)
	assert.Equal(t, "2", wimlibBootIndex(t, w))
	orig := filepath.Join(t.TempDir(), "orig.wim")
	require.NoError(t, os.WriteFile(orig, defaultWIM, 0o644))
	for _, im := range []string{"1", "2"} {
		assert.Equal(t, testutil.Run(t, "wimlib-imagex", "info", orig, im), testutil.Run(t, "wimlib-imagex", "info", w, im))
	}
	f, err := wim.Open(w, nil)
	require.NoError(t, err)
	defer f.Close()
	var dism bytes.Buffer
	require.NoError(t, f.WriteDISMInfo(&dism, "install.wim"))
	assert.Contains(t, stdout, "(dism /Get-WimInfo):\n"+dism.String()+"boot index: 2 (Windows x64 (stand-in))\n")

	// The store, through hivexregedit: two VHD entries found through
	// [locate], the x64 one the default.
	reg := testutil.HivexExport(t, filepath.Join("out", "BCD"))
	vhds := vhdEntries(t, reg)
	require.Len(t, vhds, 2)
	x86, x64 := vhds[`\wimboot\x86.vhd`], vhds[`\wimboot\x64.vhd`]
	assert.Equal(t, "Windows x86 (stand-in) (VHD)", x86.desc)
	assert.Equal(t, "Windows x64 (stand-in) (VHD)", x64.desc)
	for _, e := range []vhdEntry{x86, x64} {
		assert.Equal(t, bcd.DeviceLocate, e.dev.Parent.Kind)
		assert.Equal(t, bcd.ElemPath, e.dev.LocateElement)
		assert.Equal(t, bcd.ElemSystemRoot, e.osdev.LocateElement)
		assert.Equal(t, e.dev.Path, e.osdev.Path)
		assert.Equal(t, `\Windows\system32\winload.exe`, e.loader)
	}
	assert.Equal(t, "sz:"+x64.id, reg[bootmgrKey+`\elements\23000003`]["Element"])

	// The listing printed is the store's, as Enum renders the file.
	s, err := bcd.Open(filepath.Join("out", "BCD"), nil)
	require.NoError(t, err)
	assert.Empty(t, s.Check())
	var enum bytes.Buffer
	require.NoError(t, s.Enum(&enum, "", nil))
	assert.True(t, strings.HasSuffix(stdout, "(bcdedit /enum):\n"+enum.String()), stdout)
	assert.Contains(t, enum.String(), `vhd=[locate]\wimboot\x64.vhd`)
}

// realWIM makes a three-image WIM with wimlib-imagex (capture, append, and
// WINDOWS/ARCH set through --image-property): x86, x64 and arm64.
func realWIM(t *testing.T) string {
	t.Helper()
	wimlib := testutil.Tool(t, "wimlib-imagex")
	p := filepath.Join(t.TempDir(), "install.wim")
	for i, im := range []struct{ name, arch string }{{"Win x86", "0"}, {"Win x64", "9"}, {"Win arm64", "12"}} {
		src := filepath.Join(t.TempDir(), "src")
		require.NoError(t, os.MkdirAll(filepath.Join(src, "Windows"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(src, "Windows", "win.ini"), []byte(im.name), 0o644))
		cmd := "append"
		if i == 0 {
			cmd = "capture"
		}
		testutil.Run(t, wimlib, cmd, src, p, im.name, "--wimboot")
		testutil.Run(t, wimlib, "info", p, strconv.Itoa(i+1), "--image-property", "WINDOWS/ARCH="+im.arch)
	}
	return p
}

// TestRealParts adds entries for three VHDs on a GPT partition with a drive
// letter to a store made by the bcd package, and sets the boot index of a
// WIM made by wimlib-imagex, first into a copy, then in place.
func TestRealParts(t *testing.T) {
	w := realWIM(t)
	pe, peObj, err := bcd.NewWinPEStore(&bcd.WinPE{Description: "Existing PE"}, nil)
	require.NoError(t, err)
	store := filepath.Join(t.TempDir(), "BCD")
	require.NoError(t, pe.Save(store))
	wimSum, storeSum := sum(readFile(t, w)), sum(readFile(t, store))
	before := testutil.HivexExport(t, store)

	const disk, part = "{11111111-2222-3333-4444-555555555555}", "{66666666-7777-8888-9999-aaaaaaaaaaaa}"
	out := filepath.Join(t.TempDir(), "out")
	stdout := runOK(t, "--wim", w, "--store", store, "--boot-index", "Win x64", "-o", out,
		"--host", "D:=gpt:"+disk+":"+part, "--firmware", "uefi",
		"--vhd", `x86=\wimboot\x86.vhd`, "--vhd", `x64=\wimboot\x64.vhdx`, "--vhd", `arm64=\wimboot\a.vhdx@3`)
	assert.Equal(t, wimSum, sum(readFile(t, w)), "input WIM unchanged")
	assert.Equal(t, storeSum, sum(readFile(t, store)), "input store unchanged")
	assert.Contains(t, stdout, `vhd=[D:]\wimboot\x64.vhdx`)

	// The copy of the store keeps every key and value of the input.
	reg := testutil.HivexExport(t, filepath.Join(out, "BCD"))
	for k, vals := range before {
		if k == bootmgrKey+`\elements\23000003` || k == bootmgrKey+`\elements\24000001` {
			continue // default and displayorder change
		}
		assert.Equal(t, vals, reg[k], k)
	}
	vhds := vhdEntries(t, reg)
	require.Len(t, vhds, 3)
	wantDisk, wantPart := bcd.MustParseGUID(disk), bcd.MustParseGUID(part)
	for p, desc := range map[string]string{`\wimboot\x86.vhd`: "Win x86 (VHD)", `\wimboot\x64.vhdx`: "Win x64 (VHD)", `\wimboot\a.vhdx`: "Win arm64 (VHD)"} {
		e, ok := vhds[p]
		require.True(t, ok, p)
		assert.Equal(t, desc, e.desc)
		assert.Equal(t, `\Windows\system32\winload.efi`, e.loader)
		for _, d := range []*bcd.Device{e.dev, e.osdev} {
			require.Equal(t, bcd.DevicePartition, d.Parent.Kind)
			assert.Equal(t, bcd.GPT, d.Parent.Partition.Style)
			assert.Equal(t, wantDisk, d.Parent.Partition.DiskGUID)
			assert.Equal(t, wantPart, d.Parent.Partition.PartitionGUID)
		}
	}
	assert.Equal(t, "sz:"+vhds[`\wimboot\x64.vhdx`].id, reg[bootmgrKey+`\elements\23000003`]["Element"])
	order := reg[bootmgrKey+`\elements\24000001`]["Element"]
	assert.True(t, strings.HasPrefix(order, "hex(7):"), order)
	s, err := bcd.Open(filepath.Join(out, "BCD"), nil)
	require.NoError(t, err)
	assert.Empty(t, s.Check())
	bm, err := s.Lookup("{bootmgr}")
	require.NoError(t, err)
	v, err := bm.Get(bcd.ElemDisplayOrder)
	require.NoError(t, err)
	require.Len(t, v, 4)
	assert.Equal(t, peObj.ID(), v.(bcd.ObjectList)[0])

	// The WIM copy: boot index 2 for wimlib, the rest unchanged.
	cp := filepath.Join(out, "install.wim")
	testutil.Run(t, testutil.Tool(t, "wimlib-imagex"), "verify", cp)
	assert.Equal(t, "2", wimlibBootIndex(t, cp))
	assert.Equal(t, testutil.Run(t, "wimlib-imagex", "info", w, "3"), testutil.Run(t, "wimlib-imagex", "info", cp, "3"))

	// Without --boot-index only the store is written.
	out2 := filepath.Join(t.TempDir(), "out")
	runOK(t, "--wim", w, "-o", out2)
	entries, err := os.ReadDir(out2)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "BCD", entries[0].Name())

	// --commit changes the WIM in place and writes only the store.
	out3 := filepath.Join(t.TempDir(), "out")
	stdout = runOK(t, "--wim", w, "--boot-index", "3", "--commit", "-o", out3)
	assert.Contains(t, stdout, "changed in place: boot index 0 -> 3")
	assert.Equal(t, "3", wimlibBootIndex(t, w))
	testutil.Run(t, testutil.Tool(t, "wimlib-imagex"), "verify", w)
	entries, err = os.ReadDir(out3)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	vhds = vhdEntries(t, testutil.HivexExport(t, filepath.Join(out3, "BCD")))
	assert.Equal(t, bcd.DeviceLocate, vhds[`\wimboot\x64.vhd`].dev.Parent.Kind)
}

// TestErrors: each bad input fails with one line naming it, and nothing is
// written; the input WIM is unchanged.
func TestErrors(t *testing.T) {
	w := realWIM(t)
	dir := t.TempDir()
	s, err := bcd.New(nil)
	require.NoError(t, err)
	store := filepath.Join(dir, "BCD")
	require.NoError(t, s.Save(store))
	missing := filepath.Join(dir, "missing")
	wimSum := sum(readFile(t, w))
	for _, tc := range []struct {
		name string
		args []string
		bad  string
	}{
		{"missing wim", []string{"--wim", missing}, "--wim " + missing},
		{"wim is a store", []string{"--wim", store}, "--wim " + store},
		{"wim is a directory", []string{"--wim", dir}, "--wim " + dir},
		{"missing store", []string{"--wim", w, "--store", missing}, "--store " + missing},
		{"store is a wim", []string{"--wim", w, "--store", w}, "--store " + w},
		{"bad boot index", []string{"--wim", w, "--boot-index", "9", "--commit"}, "--boot-index 9"},
		{"no image of the arch", []string{"--wim", w, "--vhd", `x86=\a.vhd@Nope`}, `x86=\a.vhd@Nope`},
		{"drive without partition", []string{"--wim", w, "--host", "D:"}, "--host D:"},
		{"bad partition", []string{"--wim", w, "--host", "E:=mbr:zz:1"}, "--host E:=mbr:zz:1"},
		{"bad vhd flag", []string{"--wim", w, "--vhd", "x64"}, "-vhd"},
		{"bad firmware", []string{"--wim", w, "--firmware", "efi"}, "--firmware"},
		{"store without wim", []string{"--store", store}, "--store"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			var stdout, stderr bytes.Buffer
			err := run(append(tc.args, "-o", out), &stdout, &stderr)
			require.Error(t, err)
			t.Log(err)
			assert.Contains(t, err.Error(), tc.bad)
			assert.NotContains(t, err.Error(), "\n")
			_ = filepath.WalkDir(out, func(p string, e fs.DirEntry, err error) error {
				if err == nil && !e.IsDir() {
					t.Errorf("unexpected output file %s", p)
				}
				return nil
			})
			assert.Equal(t, wimSum, sum(readFile(t, w)))
		})
	}
}

// TestUsage: -h prints the usage and succeeds.
func TestUsage(t *testing.T) {
	out := runOK(t, "-h")
	assert.Contains(t, out, "--vhd ARCH=PATH[@IMAGE]")
}
