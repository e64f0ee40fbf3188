package bcd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/hive"
)

// runLines runs bcdedit command lines against a new store file and
// returns the store.
func runLines(t *testing.T, drives bcd.Drives, lines ...string) *bcd.Store {
	t.Helper()
	p := filepath.Join(t.TempDir(), "BCD")
	in := &bcd.Interpreter{Drives: drives}
	require.NoError(t, in.Run([]string{"/createstore", p}))
	for _, l := range lines {
		require.NoError(t, in.Run(append([]string{"/store", p}, bcd.SplitCommandLine(l)...)), l)
	}
	s, err := bcd.Open(p, nil)
	require.NoError(t, err)
	return s
}

// The WinPE recipe writes exactly what the equivalent bcdedit command
// sequence writes, for BIOS and UEFI, [boot] and partition parents.
func TestWinPERecipeMatchesCommands(t *testing.T) {
	drives := fixtureDrives(t)
	id := "{11111111-2222-3333-4444-555555555555}"
	timeout := uint64(10)
	for _, tc := range []struct {
		name    string
		r       bcd.WinPE
		parent  string
		loader  string
		nointeg bool
	}{
		{"bios-boot", bcd.WinPE{}, "boot", `\windows\system32\boot\winload.exe`, false},
		{"uefi-boot", bcd.WinPE{Firmware: bcd.UEFI, NoIntegrityChecks: true, Timeout: &timeout}, "boot", `\windows\system32\boot\winload.efi`, true},
		{"bios-partition", bcd.WinPE{Parent: &bcd.Device{Kind: bcd.DevicePartition, Partition: drives["C:"]},
			WIMPath: `\pe\boot.wim`, SDIPath: `\pe\boot.sdi`, Description: "PE on C:"}, "C:", `\windows\system32\boot\winload.exe`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			r.ID = bcd.MustParseGUID(id)
			a, ld, err := bcd.NewWinPEStore(&r, nil)
			require.NoError(t, err)
			assert.Equal(t, r.ID, ld.ID())
			wim, sdi, desc := r.WIMPath, r.SDIPath, r.Description
			if wim == "" {
				wim = `\sources\boot.wim`
			}
			if sdi == "" {
				sdi = `\boot\boot.sdi`
			}
			if desc == "" {
				desc = "Windows PE"
			}
			dev := fmt.Sprintf(`ramdisk=[%s]%s,{ramdiskoptions}`, tc.parent, wim)
			sdiDev := "boot"
			if tc.parent != "boot" {
				sdiDev = "partition=" + tc.parent
			}
			lines := []string{
				`/create {ramdiskoptions} /d "Ramdisk Options"`,
				`/set {ramdiskoptions} ramdisksdidevice ` + sdiDev,
				`/set {ramdiskoptions} ramdisksdipath ` + sdi,
				fmt.Sprintf(`/create %s /d "%s" /application osloader`, id, desc),
				`/set ` + id + ` device ` + dev,
				`/set ` + id + ` path ` + tc.loader,
				`/set ` + id + ` osdevice ` + dev,
				`/set ` + id + ` systemroot \windows`,
				`/set ` + id + ` detecthal Yes`,
				`/set ` + id + ` winpe Yes`,
				`/create {bootmgr} /d "Windows Boot Manager"`,
				`/displayorder ` + id + ` /addlast`,
				`/default ` + id,
			}
			if tc.nointeg {
				lines = append(lines, `/set `+id+` nointegritychecks Yes`, `/set {bootmgr} nointegritychecks Yes`, `/timeout 10`)
			}
			b := runLines(t, drives, lines...)
			assert.Equal(t, elementValues(t, b.Hive()), elementValues(t, a.Hive()))
			require.Empty(t, a.Check())
			validateTools(t, saveTemp(t, a))

			// The same through the /winpe extension command.
			args := []string{"/winpe", "/id", id}
			if r.Firmware == bcd.UEFI {
				args = append(args, "/firmware", "UEFI")
			}
			if tc.nointeg {
				args = append(args, "/nointegritychecks", "/timeout", "10")
			}
			if tc.parent != "boot" {
				args = append(args, "/parent", tc.parent, "/wim", wim, "/sdi", sdi, "/d", desc)
			}
			c := runLines(t, drives, strings.Join(quoteArgs(args), " "))
			assert.Equal(t, elementValues(t, a.Hive()), elementValues(t, c.Hive()))
		})
	}
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t") {
			a = `"` + a + `"`
		}
		out[i] = a
	}
	return out
}

// The VHD recipe writes what bcdedit's vhd= commands write, with a
// partition host or [locate].
func TestVHDRecipeMatchesCommands(t *testing.T) {
	drives := fixtureDrives(t)
	id := "{99999999-2222-3333-4444-555555555555}"
	for _, tc := range []struct {
		host string
		dev  *bcd.Device
	}{
		{"C:", &bcd.Device{Kind: bcd.DevicePartition, Partition: drives["C:"]}},
		{"locate", nil},
	} {
		t.Run(tc.host, func(t *testing.T) {
			a, err := bcd.New(nil)
			require.NoError(t, err)
			ld, err := a.AddVHDBoot(&bcd.VHDBoot{ID: bcd.MustParseGUID(id), VHDPath: `\vhd\win10.vhdx`, Host: tc.dev,
				Firmware: bcd.UEFI, Default: true, Description: "Windows 10 VHD"})
			require.NoError(t, err)
			vhd := fmt.Sprintf(`vhd=[%s]\vhd\win10.vhdx`, tc.host)
			b := runLines(t, drives,
				`/create `+id+` /d "Windows 10 VHD" /application osloader`,
				`/set `+id+` device `+vhd,
				`/set `+id+` path \Windows\system32\winload.efi`,
				`/set `+id+` osdevice `+vhd,
				`/set `+id+` systemroot \Windows`,
				`/create {bootmgr} /d "Windows Boot Manager"`,
				`/displayorder `+id+` /addlast`,
				`/default `+id,
			)
			assert.Equal(t, elementValues(t, b.Hive()), elementValues(t, a.Hive()))
			v, err := ld.Get(bcd.ElemOSDevice)
			require.NoError(t, err)
			assert.Equal(t, bcd.ElemSystemRoot, v.(*bcd.Device).LocateElement)
			require.Empty(t, a.Check())
			validateTools(t, saveTemp(t, a))
		})
	}
	s, err := bcd.New(nil)
	require.NoError(t, err)
	_, err = s.AddVHDBoot(&bcd.VHDBoot{})
	require.ErrorIs(t, err, bcd.ErrInvalid)
}

// A recipe added to an existing store keeps its {bootmgr} and
// {ramdiskoptions} and appends to the display order.
func TestWinPERecipeOnExistingStore(t *testing.T) {
	s := openFixture(t, ntloader3)
	before := elementValues(t, s.Hive())
	ld, err := s.AddWinPE(&bcd.WinPE{Description: "second PE"})
	require.NoError(t, err)
	bm, err := s.Object(bcd.BootMgr)
	require.NoError(t, err)
	v, err := bm.Get(bcd.ElemDisplayOrder)
	require.NoError(t, err)
	order := v.(bcd.ObjectList)
	require.Len(t, order, 2)
	assert.Equal(t, ld.ID(), order[1])
	after := elementValues(t, s.Hive())
	for k, v := range before {
		if strings.HasPrefix(k, bcd.BootMgr.String()) && (strings.HasSuffix(k, `\24000001`) || strings.HasSuffix(k, `\23000003`)) {
			continue
		}
		if strings.HasPrefix(k, bcd.RamdiskOptions.String()) && strings.HasSuffix(k, `\32000004`) {
			continue // the fixture's SDI path is the recipe's default: unchanged bytes anyway
		}
		assert.Equal(t, v, after[k], k)
	}
	require.Empty(t, s.Check())
	// The file survives a save and reopen.
	p := saveTemp(t, s)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	h, err := hive.Parse(b, nil)
	require.NoError(t, err)
	require.Empty(t, h.Check())
}
