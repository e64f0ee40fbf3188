package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// The two scripts of issue 4, from public WinPE guides, as written there;
// <GUID> stands for the GUID the create command printed (the scripts'
// "for" loop that captures it).
const scriptPXE = `bcdedit -createstore BCD
bcdedit -store BCD -create {ramdiskoptions} /d "Ramdisk options"
bcdedit -store BCD -set {ramdiskoptions} ramdisksdidevice boot
bcdedit -store BCD -set {ramdiskoptions} ramdisksdipath \boot\boot.sdi
bcdedit -store BCD -create /d "WinPE 2.0" /application osloader
bcdedit -store BCD -create {bootmgr} /d "VISTA Boot Manager"
bcdedit -store BCD -set {bootmgr} timeout 15
bcdedit -store BCD -set {bootmgr} displayorder <GUID>
bcdedit -store BCD -set <GUID> systemroot \Windows
bcdedit -store BCD -set <GUID> detecthal Yes
bcdedit -store BCD -set <GUID> winpe Yes
bcdedit -store BCD -set <GUID> osdevice ramdisk=[boot]\Boot\WinPE.wim,{ramdiskoptions}
bcdedit -store BCD -set <GUID> device ramdisk=[boot]\Boot\WinPE.wim,{ramdiskoptions}
bcdedit -store BCD -set {bootmgr} nointegritychecks Yes`

const scriptDisk = `bcdedit -createstore BCD
bcdedit -store BCD -create {bootmgr} /d "Boot Manager"
bcdedit -store BCD -create /d "WinPE" -application osloader
bcdedit -store BCD -create {ramdiskoptions} /d "Ramdisk Options"
bcdedit -store BCD -set {bootmgr} device partition=C:
bcdedit -store BCD -set {bootmgr} default <GUID>
bcdedit -store BCD -set {default} device ramdisk=[C:]\winpe.wim,{ramdiskoptions}
bcdedit -store BCD -set {default} osdevice ramdisk=[C:]\winpe.wim,{ramdiskoptions}
bcdedit -store BCD -set {default} path \windows\system32\boot\winload.exe
bcdedit -store BCD -set {default} systemroot \windows
bcdedit -store BCD -set {default} detecthal yes
bcdedit -store BCD -set {default} winpe yes
bcdedit -store BCD -set {ramdiskoptions} ramdisksdidevice partition=C:
bcdedit -store BCD -set {ramdiskoptions} ramdisksdipath \boot.sdi`

const fixture = "bcd/bcd_ntloader3_bcdedit.bcd"

var createdRE = regexp.MustCompile(`^The entry (\{[0-9a-f-]{36}\}) was successfully created\.$`)

// runScript runs the script line by line through run in a new directory
// and returns the directory and the GUID the osloader create printed.
func runScript(t *testing.T, script string, drives []string) (dir, guid string) {
	t.Helper()
	dir = t.TempDir()
	chdir(t, dir)
	for _, line := range strings.Split(script, "\n") {
		line = strings.ReplaceAll(line, "<GUID>", guid)
		args := bcd.SplitCommandLine(line)
		require.Equal(t, "bcdedit", args[0])
		var stdout, stderr bytes.Buffer
		require.NoError(t, run(append(drives, args[1:]...), &stdout, &stderr), line)
		out := strings.TrimSpace(stdout.String())
		if m := createdRE.FindStringSubmatch(out); m != nil {
			guid = m[1]
		} else if !strings.HasPrefix(out, "The entry {") {
			assert.Equal(t, "The operation completed successfully.", out, line)
		}
	}
	require.NotEmpty(t, guid)
	return dir, guid
}

func chdir(t *testing.T, dir string) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.NoError(t, os.Chdir(dir))
	t.Cleanup(func() { os.Chdir(wd) })
}

// fixtureValues returns the Element values of the bcdedit-made fixture by
// "{object}\type" and the object types by object key name.
func storeValues(t *testing.T, path string) (els map[string]regVal, types map[string]uint32) {
	t.Helper()
	h, err := hive.Open(path, nil)
	require.NoError(t, err)
	objs, err := h.OpenKey("Objects")
	require.NoError(t, err)
	els, types = map[string]regVal{}, map[string]uint32{}
	for o, err := range objs.Subkeys() {
		require.NoError(t, err)
		d, err := o.OpenKey("Description")
		require.NoError(t, err)
		tv, err := d.Value("Type")
		require.NoError(t, err)
		require.Equal(t, hive.DWord, tv.Type())
		types[o.Name()], err = tv.Uint32()
		require.NoError(t, err)
		ek, err := o.Subkey("Elements")
		require.NoError(t, err)
		for e, err := range ek.Subkeys() {
			require.NoError(t, err)
			v, err := e.Value("Element")
			require.NoError(t, err)
			data, err := v.Data()
			require.NoError(t, err)
			els[o.Name()+`\`+e.Name()] = regVal{v.Type(), data}
		}
	}
	return els, types
}

type regVal struct {
	typ  hive.ValueType
	data []byte
}

func utf16z(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return append(b, 0, 0)
}

func utf16Decode(b []byte) []rune {
	var u []uint16
	for i := 0; i+1 < len(b); i += 2 {
		if c := binary.LittleEndian.Uint16(b[i:]); c != 0 {
			u = append(u, c)
		}
	}
	return utf16.Decode(u)
}

func le32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }

// Acceptance 3: the two WinPE scripts run line by line; the stores pass
// the interop tools and hive.Check, use the fixture's encodings for every
// element kind, and /enum prints what the commands set.
func TestScripts(t *testing.T) {
	fix := testutil.Fixture(t, fixture)
	fixEls, fixTypes := storeValues(t, fix)

	// What the bcdedit-made fixture uses, per element format: registry
	// type, and the data sizes of fixed-size formats.
	fixRegType := map[bcd.Format]hive.ValueType{}
	fixSize := map[bcd.Format]map[int]bool{}
	var fixRamdisk, fixPartition, fixBoot []byte
	for k, v := range fixEls {
		et, ok := bcd.ParseElementKey(k[strings.IndexByte(k, '\\')+1:])
		require.True(t, ok, k)
		f := et.Format()
		if prev, seen := fixRegType[f]; seen {
			require.Equal(t, prev, v.typ, "the fixture is consistent for %v", f)
		}
		fixRegType[f] = v.typ
		if fixSize[f] == nil {
			fixSize[f] = map[int]bool{}
		}
		fixSize[f][len(v.data)] = true
		if f == bcd.FormatDevice {
			switch le32(v.data, 0x10) { // device type (spec §2.5)
			case 0:
				fixRamdisk = v.data
			case 5:
				fixBoot = v.data
			case 6:
				fixPartition = v.data
			}
		}
	}
	require.NotNil(t, fixRamdisk)
	require.NotNil(t, fixBoot)
	require.NotNil(t, fixPartition)
	assert.Equal(t, map[int]bool{8: true}, fixSize[bcd.FormatInteger])
	assert.Equal(t, map[int]bool{1: true}, fixSize[bcd.FormatBoolean])
	// The fixture's forms of an object reference and a one-entry object
	// list: UTF-16 "{guid}" and a NUL; the same and a second NUL.
	fixDefault := fixEls[`{9dea862c-5cdd-4e70-acc1-f32b344d4795}\23000003`]
	fixOrder := fixEls[`{9dea862c-5cdd-4e70-acc1-f32b344d4795}\24000001`]
	require.NotNil(t, fixDefault.data)
	assert.Equal(t, append(bytes.Clone(fixDefault.data), 0, 0), fixOrder.data)
	assert.Equal(t, utf16z(string(utf16Decode(fixDefault.data))), fixDefault.data)

	// C: is the fixture's partition (read from its partition device).
	fixPart, err := bcd.DecodeDevice(fixPartition)
	require.NoError(t, err)
	drives := []string{"--drive", "C:=" + fixPart.Partition.String()}

	// expectRamdisk builds the ramdisk blob bcdedit writes for path on a
	// parent descriptor, from the fixture's ramdisk blob: its first 0x44
	// bytes (options GUID, block I/O header and ramdisk fields, file path
	// header), the parent, the path; the two size fields recomputed.
	expectRamdisk := func(parent []byte, path string) []byte {
		b := append(append(bytes.Clone(fixRamdisk[:0x44]), parent...), utf16z(path)...)
		binary.LittleEndian.PutUint32(b[0x18:], uint32(len(b)-0x10))
		binary.LittleEndian.PutUint32(b[0x3c:], uint32(len(b)-0x38))
		return b
	}

	for _, sc := range []struct {
		name, script string
		want         func(guid string) map[string][]byte // element → exact data
		enum         []string
	}{
		{"pxe", scriptPXE, func(g string) map[string][]byte {
			rd := expectRamdisk(fixBoot[16:], `\Boot\WinPE.wim`)
			return map[string][]byte{
				`{ae5534e0-a924-466c-b836-758539a3ee3a}\12000004`: utf16z("Ramdisk options"),
				`{ae5534e0-a924-466c-b836-758539a3ee3a}\31000003`: fixBoot,
				`{ae5534e0-a924-466c-b836-758539a3ee3a}\32000004`: utf16z(`\boot\boot.sdi`),
				g + `\12000004`: utf16z("WinPE 2.0"),
				`{9dea862c-5cdd-4e70-acc1-f32b344d4795}\12000004`: utf16z("VISTA Boot Manager"),
				`{9dea862c-5cdd-4e70-acc1-f32b344d4795}\25000004`: {15, 0, 0, 0, 0, 0, 0, 0},
				`{9dea862c-5cdd-4e70-acc1-f32b344d4795}\24000001`: append(utf16z(g), 0, 0),
				g + `\22000002`: utf16z(`\Windows`),
				g + `\26000010`: {1},
				g + `\26000022`: {1},
				g + `\21000001`: rd,
				g + `\11000001`: rd,
				`{9dea862c-5cdd-4e70-acc1-f32b344d4795}\16000048`: {1},
			}
		}, []string{
			"description             VISTA Boot Manager",
			"nointegritychecks       Yes",
			"displayorder            <GUID>",
			"timeout                 15",
			"identifier              <GUID>",
			`device                  ramdisk=[boot]\Boot\WinPE.wim,{ramdiskoptions}`,
			`osdevice                ramdisk=[boot]\Boot\WinPE.wim,{ramdiskoptions}`,
			"description             WinPE 2.0",
			`systemroot              \Windows`,
			"detecthal               Yes",
			"winpe                   Yes",
			"identifier              {ramdiskoptions}",
			"description             Ramdisk options",
			"ramdisksdidevice        boot",
			`ramdisksdipath          \boot\boot.sdi`,
		}},
		{"disk", scriptDisk, func(g string) map[string][]byte {
			rd := expectRamdisk(fixPartition[16:], `\winpe.wim`)
			return map[string][]byte{
				`{9dea862c-5cdd-4e70-acc1-f32b344d4795}\12000004`: utf16z("Boot Manager"),
				g + `\12000004`: utf16z("WinPE"),
				`{ae5534e0-a924-466c-b836-758539a3ee3a}\12000004`: utf16z("Ramdisk Options"),
				`{9dea862c-5cdd-4e70-acc1-f32b344d4795}\11000001`: fixPartition,
				`{9dea862c-5cdd-4e70-acc1-f32b344d4795}\23000003`: utf16z(g),
				g + `\11000001`: rd,
				g + `\21000001`: rd,
				g + `\12000002`: utf16z(`\windows\system32\boot\winload.exe`),
				g + `\22000002`: utf16z(`\windows`),
				g + `\26000010`: {1},
				g + `\26000022`: {1},
				`{ae5534e0-a924-466c-b836-758539a3ee3a}\31000003`: fixPartition,
				`{ae5534e0-a924-466c-b836-758539a3ee3a}\32000004`: utf16z(`\boot.sdi`),
			}
		}, []string{
			"description             Boot Manager",
			"device                  partition=C:",
			"default                 {default}",
			"identifier              {default}",
			`device                  ramdisk=[C:]\winpe.wim,{ramdiskoptions}`,
			`path                    \windows\system32\boot\winload.exe`,
			`osdevice                ramdisk=[C:]\winpe.wim,{ramdiskoptions}`,
			`systemroot              \windows`,
			"detecthal               Yes",
			"winpe                   Yes",
			"ramdisksdidevice        partition=C:",
			`ramdisksdipath          \boot.sdi`,
		}},
	} {
		t.Run(sc.name, func(t *testing.T) {
			dir, guid := runScript(t, sc.script, drives)
			path := filepath.Join(dir, "BCD")

			// Interop: the real tools read the store without complaint.
			for _, tool := range [][]string{{"regfinfo", path}, {"regfexport", path}, {"hivexregedit", "--export", path, `\`}} {
				out, errOut, err := testutil.RunErr(testutil.Tool(t, tool[0]), tool[1:]...)
				require.NoError(t, err, "%s: %s", tool[0], errOut)
				require.Empty(t, strings.TrimSpace(errOut), tool[0])
				require.NotContains(t, out, "ERROR", tool[0])
				if tool[0] == "hivexregedit" {
					require.Contains(t, out, `[\Objects\`+guid+`\Elements\26000022]`)
				}
			}
			h, err := hive.Open(path, nil)
			require.NoError(t, err)
			require.Empty(t, h.Check())

			els, types := storeValues(t, path)
			// Every element uses the fixture's registry type for its format
			// and, for fixed-size formats, one of the fixture's sizes.
			for k, v := range els {
				et, ok := bcd.ParseElementKey(k[strings.IndexByte(k, '\\')+1:])
				require.True(t, ok)
				f := et.Format()
				require.Contains(t, fixRegType, f, k)
				assert.Equal(t, fixRegType[f], v.typ, k)
				if f == bcd.FormatInteger || f == bcd.FormatBoolean || f == bcd.FormatObject {
					assert.True(t, fixSize[f][len(v.data)], "%s: %d bytes, the fixture uses %v", k, len(v.data), fixSize[f])
				}
			}
			// Exact bytes of what the commands set.
			want := sc.want(guid)
			assert.Len(t, els, len(want))
			for k, w := range want {
				require.Contains(t, els, k)
				testutil.EqualBytes(t, w, els[k].data, k)
			}
			// Object types are the fixture's for the same objects and kinds.
			assert.Equal(t, fixTypes["{9dea862c-5cdd-4e70-acc1-f32b344d4795}"], types["{9dea862c-5cdd-4e70-acc1-f32b344d4795}"])
			assert.Equal(t, fixTypes["{ae5534e0-a924-466c-b836-758539a3ee3a}"], types["{ae5534e0-a924-466c-b836-758539a3ee3a}"])
			assert.Equal(t, fixTypes["{19260817-6666-8888-abcd-000000000000}"], types[guid], "osloader")
			assert.Len(t, types, 3)

			// /enum prints what the commands set.
			var stdout, stderr bytes.Buffer
			require.NoError(t, run(append(drives, "/store", "BCD", "/enum", "all"), &stdout, &stderr))
			for _, l := range sc.enum {
				assert.Contains(t, stdout.String(), "\n"+strings.ReplaceAll(l, "<GUID>", guid)+"\n")
			}
		})
	}
}

// The extension commands build the recipes.
func TestRecipeCommands(t *testing.T) {
	dir := t.TempDir()
	chdir(t, dir)
	var out, errOut bytes.Buffer
	must := func(args ...string) string {
		t.Helper()
		out.Reset()
		require.NoError(t, run(args, &out, &errOut), strings.Join(args, " "))
		return out.String()
	}
	must("/createstore", "BCD")
	msg := must("/store", "BCD", "/winpe", "/d", "PE", "/firmware", "uefi", "/nointegritychecks", "/timeout", "5")
	require.Regexp(t, createdRE, strings.TrimSpace(msg))
	must("--drive", "C:=mbr:1a2b3c4d:1048576", "/store", "BCD", "/vhdboot", `[C:]\vhd\win.vhdx`, "/d", "VHD", "/default")
	enum := must("--drive=C:=mbr:1a2b3c4d:1048576", "/store", "BCD", "/enum", "all")
	for _, l := range []string{
		`path                    \windows\system32\boot\winload.efi`,
		`device                  ramdisk=[boot]\sources\boot.wim,{ramdiskoptions}`,
		`device                  vhd=[C:]\vhd\win.vhdx`,
		`osdevice                vhd=[C:]\vhd\win.vhdx`,
		"timeout                 5",
		"nointegritychecks       Yes",
		"identifier              {default}",
		"description             VHD",
	} {
		assert.Contains(t, enum, "\n"+l+"\n")
	}
}

// Failures exit with one error line naming the argument.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	chdir(t, dir)
	var out, errOut bytes.Buffer
	require.NoError(t, run([]string{"/createstore", "BCD"}, &out, &errOut))
	require.NoError(t, run([]string{"/store", "BCD", "/create", "{bootmgr}", "/d", "x"}, &out, &errOut))
	for _, tc := range []struct {
		args []string
		arg  string
	}{
		{[]string{"/store", "BCD", "/set", "{bogus}", "timeout", "1"}, "{bogus}"},
		{[]string{"/store", "BCD", "/create", "/d", "x"}, "/create"},
		{[]string{"/store", "BCD", "/set", "{bootmgr}", "nosuchname", "1"}, "nosuchname"},
		{[]string{"--drive", "C:=ntfs:1", "/store", "BCD"}, "ntfs:1"},
		{[]string{"--drive"}, "--drive"},
	} {
		err := run(tc.args, &out, &errOut)
		require.Error(t, err, fmt.Sprint(tc.args))
		if tc.arg != "" {
			assert.Contains(t, err.Error(), tc.arg)
		}
		assert.NotContains(t, err.Error(), "\n")
	}
	// BCDEDIT_DRIVES works like --drive.
	t.Setenv("BCDEDIT_DRIVES", "C:=mbr:00000001:2048;D:=mbr:00000002:4096")
	require.NoError(t, run([]string{"/store", "BCD", "/set", "{bootmgr}", "device", "partition=D:"}, &out, &errOut))
	out.Reset()
	require.NoError(t, run([]string{"/store", "BCD", "/enum", "bootmgr"}, &out, &errOut))
	assert.Contains(t, out.String(), "device                  partition=D:\n")
}

// Every command of run that writes a file (an edit saving the store,
// /createstore, /export, /import, the recipe extensions) writes it through
// internal/atomicfile: a write failing part-way leaves every file of the
// directory byte-identical, creates nothing new, leaves no temporary file,
// and is reported as a one-line error.
func TestSaveFailures(t *testing.T) {
	dir := t.TempDir()
	chdir(t, dir)
	var out, errOut bytes.Buffer
	require.NoError(t, run([]string{"/createstore", "BCD"}, &out, &errOut))
	require.NoError(t, run([]string{"/store", "BCD", "/create", "{bootmgr}", "/d", "Boot Manager"}, &out, &errOut))
	require.NoError(t, run([]string{"/store", "BCD", "/export", "copy.bcd"}, &out, &errOut))
	require.NoError(t, os.WriteFile("other.bcd", []byte("previous contents"), 0o644))
	files := func() map[string]string {
		out := map[string]string{}
		ents, err := os.ReadDir(".")
		require.NoError(t, err)
		for _, e := range ents {
			b, err := os.ReadFile(e.Name())
			require.NoError(t, err)
			out[e.Name()] = string(b)
		}
		return out
	}
	before := files()
	for _, line := range []string{
		`bcdedit /store BCD /timeout 99`,
		`bcdedit /store BCD /set {bootmgr} description "x y"`,
		`bcdedit --drive C:=mbr:1a2b3c4d:1048576 /store BCD /set {bootmgr} device partition=C:`,
		`bcdedit /store BCD /winpe /d PE /firmware uefi`,
		`bcdedit --drive C:=mbr:1a2b3c4d:1048576 /store BCD /vhdboot [C:]\x.vhd /default`,
		`bcdedit /store BCD /export other.bcd`,
		`bcdedit /store BCD /import copy.bcd`,
		`bcdedit /createstore NEW`,
	} {
		for _, after := range []int64{0, 100, 4096} {
			restore := atomicfile.FailAfter(after)
			err := run(bcd.SplitCommandLine(line)[1:], &out, &errOut)
			restore()
			require.ErrorIs(t, err, atomicfile.ErrInjected, line)
			assert.NotContains(t, err.Error(), "\n")
			assert.Equal(t, before, files(), "%s failing after %d bytes changed the directory", line, after)
		}
	}
}
