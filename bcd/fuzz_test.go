package bcd_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

var deviceSeeds = []string{
	"boot", "locate", "locate=custom:22000002", "partition=mbr:43da9ab1:525336576",
	"partition=gpt:{11111111-2222-3333-4444-555555555555}:{66666666-7777-8888-9999-aaaaaaaaaaaa}",
	`ramdisk=[boot]\sources\boot.wim,{ramdiskoptions}`, `ramdisk=[mbr:1:1048576]\x.wim,{ramdiskoptions}`,
	`ramdisk=[locate]\x.wim`, `vhd=[mbr:1:2]\a.vhd`, `vhd=[locate]\b.vhdx,locate=custom:22000002`,
	`file=[boot]\f.img`,
}

// FuzzDecodeDevice: decoding never panics; a blob that decodes encodes
// back to the same bytes and prints; one that does not gets ErrFormat or
// ErrLimit.
func FuzzDecodeDevice(f *testing.F) {
	for _, p := range testutil.Fixtures(f, "bcd", "*.bcd") {
		for _, b := range deviceBlobsOf(f, "bcd/"+filepath.Base(p)) {
			f.Add(b)
		}
	}
	for _, s := range deviceSeeds {
		d, err := bcd.ParseDevice(s, 0, nil)
		require.NoError(f, err, s)
		b, err := d.MarshalBinary()
		require.NoError(f, err)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := bcd.DecodeDevice(data)
		if err != nil {
			if !errors.Is(err, bcd.ErrFormat) && !errors.Is(err, bcd.ErrLimit) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		got, err := d.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded device does not encode: %v", err)
		}
		testutil.EqualBytes(t, data, got)
		txt := d.Text(bcd.ElemDevice, &bcd.Syntax{Verbose: true})
		// What prints in bcdedit syntax parses back to the same device.
		if d.Kind != bcd.DeviceUnknown && parentsKnown(d) && !strings.ContainsAny(d.Path, ",\x00") {
			back, err := bcd.ParseDevice(txt, bcd.ElemDevice, nil)
			if err == nil && !back.Equal(d) {
				t.Fatalf("%q parses to %v", txt, back)
			}
		}
	})
}

func parentsKnown(d *bcd.Device) bool {
	for p := d.Parent; p != nil; p = p.Parent {
		if p.Kind != bcd.DeviceBoot && p.Kind != bcd.DevicePartition && p.Kind != bcd.DeviceLocate {
			return false
		}
		if p.Kind == bcd.DeviceLocate && p.LocateElement != 0 {
			return false
		}
	}
	return true
}

// deviceBlobsOf is deviceBlobs for any testing.TB.
func deviceBlobsOf(tb testing.TB, rel string) [][]byte {
	var out [][]byte
	for k, v := range elementValues(tb, openFixture(tb, rel).Hive()) {
		_, el, _ := strings.Cut(k, `\`)
		if et, ok := bcd.ParseElementKey(el); ok && et.Format() == bcd.FormatDevice {
			out = append(out, v.Data)
		}
	}
	return out
}

// FuzzParseDevice: the device syntax parser never panics; what parses
// encodes, decodes to an equal device and prints text that parses to it.
func FuzzParseDevice(f *testing.F) {
	for _, s := range deviceSeeds {
		f.Add(s)
	}
	f.Add("partition=C:")
	f.Add(`ramdisk=[C:]\x.wim,{12345678-1234-1234-1234-123456789abc}`)
	drives := bcd.DriveMap{"C:": {Style: bcd.MBR, Signature: 1, Offset: 1 << 20}}
	sx := &bcd.Syntax{Drives: drives}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := bcd.ParseDevice(s, bcd.ElemOSDevice, sx)
		if err != nil {
			if !errors.Is(err, bcd.ErrDeviceSyntax) {
				t.Fatalf("%q: error is not ErrDeviceSyntax: %v", s, err)
			}
			return
		}
		b, err := d.MarshalBinary()
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		back, err := bcd.DecodeDevice(b)
		if err != nil || !back.Equal(d) {
			t.Fatalf("%q: decodes to %v, %v", s, back, err)
		}
		txt := d.Text(bcd.ElemOSDevice, sx)
		again, err := bcd.ParseDevice(txt, bcd.ElemOSDevice, sx)
		if err != nil || !again.Equal(d) {
			t.Fatalf("%q prints %q which parses to %v, %v", s, txt, again, err)
		}
	})
}

var interpreterSeeds = []string{
	`/create {ramdiskoptions} /d "Ramdisk options"`,
	`/set {ramdiskoptions} ramdisksdidevice boot`,
	`/set {ramdiskoptions} ramdisksdipath \boot\boot.sdi`,
	`/create /d "WinPE 2.0" /application osloader`,
	`/create {bootmgr} /d "VISTA Boot Manager"`,
	`/set {bootmgr} timeout 15`,
	`/set {default} osdevice ramdisk=[boot]\Boot\WinPE.wim,{ramdiskoptions}`,
	`/set {default} device ramdisk=[C:]\winpe.wim,{ramdiskoptions}`,
	`/set {default} nx OptIn`,
	`/set {default} badmemorylist 1 2 3`,
	`/set {default} inherit {bootloadersettings} {globalsettings}`,
	`/set {bootmgr} displayorder {default} /addfirst`,
	`/deletevalue {default} winpe`,
	`/delete {default} /cleanup`,
	`/delete {bootmgr} /f /nocleanup`,
	`/displayorder {default} /remove`,
	`/toolsdisplayorder {memdiag}`,
	`/bootsequence {default}`,
	`/default {default}`,
	`/timeout 0x10`,
	`/copy {default} /d copy`,
	`/enum all /v`,
	`/v`,
	`/winpe /d PE /firmware uefi /nointegritychecks /timeout 3`,
	`/vhdboot [C:]\x.vhd /default`,
	`/create /d x /inherit osloader`,
	`-SET {DEFAULT} WINPE NO`,
}

// FuzzInterpreter: any command line against a store in memory never
// panics, fails only with the package's sentinels, and leaves a sound
// store that still enumerates.
func FuzzInterpreter(f *testing.F) {
	for _, s := range interpreterSeeds {
		f.Add(s)
	}
	base, err := bcd.New(nil)
	require.NoError(f, err)
	in := &bcd.Interpreter{Drives: bcd.DriveMap{"C:": {Style: bcd.MBR, Signature: 1, Offset: 1 << 20}}}
	_, err = base.AddWinPE(&bcd.WinPE{Description: "PE"})
	require.NoError(f, err)
	image := base.Bytes()
	sentinels := []error{bcd.ErrUsage, bcd.ErrInvalidID, bcd.ErrUnknownElement, bcd.ErrValueType,
		bcd.ErrDeviceSyntax, bcd.ErrNotFound, bcd.ErrExists, bcd.ErrInvalid, bcd.ErrFormat, bcd.ErrLimit}
	f.Fuzz(func(t *testing.T, line string) {
		if len(line) > 4096 {
			return
		}
		s, err := bcd.Parse(image, nil)
		require.NoError(t, err)
		err = in.RunStore(s, bcd.SplitCommandLine(line))
		if err != nil {
			known := false
			for _, e := range sentinels {
				known = known || errors.Is(err, e)
			}
			if !known {
				t.Fatalf("%q: error wraps no sentinel: %v", line, err)
			}
		}
		if problems := s.Check(); len(problems) > 0 {
			t.Fatalf("%q left problems: %v", line, problems)
		}
		var sb strings.Builder
		require.NoError(t, s.Enum(&sb, "all", nil))
	})
}
