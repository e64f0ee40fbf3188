package bcd_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/hive"
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
	for _, p := range testutil.OptionalFixtures(f, "bcd", "*.bcd") {
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
// Seeds: every syntax form, and the fixture stores' devices as printed.
func FuzzParseDevice(f *testing.F) {
	for _, s := range deviceSeeds {
		f.Add(s)
	}
	// The devices of the fixture stores, as bcdedit /enum /v prints them.
	for _, p := range testutil.OptionalFixtures(f, "bcd", "*.bcd") {
		for _, b := range deviceBlobsOf(f, "bcd/"+filepath.Base(p)) {
			d, err := bcd.DecodeDevice(b)
			require.NoError(f, err)
			f.Add(d.Text(bcd.ElemOSDevice, &bcd.Syntax{Verbose: true}))
		}
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

// FuzzInterpreter: any command line against a store in memory (generated,
// or a fixture store) never panics, fails only with the package's
// sentinels, and leaves a sound store that still enumerates.
func FuzzInterpreter(f *testing.F) {
	base, err := bcd.New(nil)
	require.NoError(f, err)
	in := &bcd.Interpreter{Drives: bcd.DriveMap{"C:": {Style: bcd.MBR, Signature: 1, Offset: 1 << 20}}}
	_, err = base.AddWinPE(&bcd.WinPE{Description: "PE"})
	require.NoError(f, err)
	// The commands run against the generated store or, chosen by the
	// second argument, one of the fixture stores.
	images := [][]byte{base.Bytes()}
	for _, p := range testutil.OptionalFixtures(f, "bcd", "*.bcd") {
		images = append(images, readFile(f, p))
	}
	for i, s := range interpreterSeeds {
		f.Add(s, uint8(i))
	}
	sentinels := []error{bcd.ErrUsage, bcd.ErrInvalidID, bcd.ErrUnknownElement, bcd.ErrValueType,
		bcd.ErrDeviceSyntax, bcd.ErrNotFound, bcd.ErrExists, bcd.ErrInvalid, bcd.ErrFormat, bcd.ErrLimit}
	f.Fuzz(func(t *testing.T, line string, which uint8) {
		if len(line) > 4096 {
			return
		}
		s, err := bcd.Parse(images[int(which)%len(images)], nil)
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

func readFile(tb testing.TB, p string) []byte {
	tb.Helper()
	b, err := os.ReadFile(p)
	require.NoError(tb, err)
	return b
}

// generatedStores returns stores built here: empty, the WinPE recipes (BIOS
// on [boot], UEFI on a partition with nointegritychecks and a timeout), VHD
// boot entries, an object holding a device of every kind and elements of
// every format (an unknown one included), and the interpreter's command
// lines applied one after the other.
func generatedStores(f *testing.F) [][]byte {
	var out [][]byte
	empty, err := bcd.New(nil)
	require.NoError(f, err)
	out = append(out, empty.Bytes())

	timeout := uint64(5)
	part := &bcd.Device{Kind: bcd.DevicePartition, Partition: bcd.Partition{Style: bcd.MBR, Signature: 0x1a2b3c4d, Offset: 1 << 20}}
	for _, r := range []*bcd.WinPE{{}, {Firmware: bcd.UEFI, Parent: part, NoIntegrityChecks: true, Timeout: &timeout}} {
		s, _, err := bcd.NewWinPEStore(r, nil)
		require.NoError(f, err)
		out = append(out, s.Bytes())
	}
	s, err := bcd.New(nil)
	require.NoError(f, err)
	_, err = s.AddVHDBoot(&bcd.VHDBoot{VHDPath: `\vhd\win.vhdx`, Host: part, Default: true})
	require.NoError(f, err)
	_, err = s.AddVHDBoot(&bcd.VHDBoot{VHDPath: `\x.vhd`, Firmware: bcd.UEFI})
	require.NoError(f, err)
	out = append(out, s.Bytes())

	s, err = bcd.New(nil)
	require.NoError(f, err)
	o, err := s.Create(bcd.GUID{}, bcd.TypeOSLoader)
	require.NoError(f, err)
	for i, text := range deviceSeeds {
		d, err := bcd.ParseDevice(text, bcd.ElemDevice, nil)
		require.NoError(f, err)
		require.NoError(f, o.Set(bcd.ElementType(0x11000100+i), d))
	}
	for et, v := range map[bcd.ElementType]bcd.Value{
		bcd.ElemDescription: bcd.String("every format"), bcd.ElemDefault: bcd.RamdiskOptions,
		bcd.ElemInherit: bcd.ObjectList{bcd.BootMgr, bcd.RamdiskOptions}, bcd.ElemTimeout: bcd.Integer(30),
		bcd.ElemWinPE: bcd.Boolean(true), 0x17000001: bcd.IntegerList{1, 2, 3},
		0x1f000123: bcd.Raw{Type: hive.Binary, Data: []byte{1, 2, 3}},
	} {
		require.NoError(f, o.Set(et, v))
	}
	out = append(out, s.Bytes())

	s, err = bcd.New(nil)
	require.NoError(f, err)
	in := &bcd.Interpreter{Drives: bcd.DriveMap{"C:": {Style: bcd.MBR, Signature: 1, Offset: 1 << 20}}}
	for _, line := range interpreterSeeds {
		_ = in.RunStore(s, bcd.SplitCommandLine(line))
	}
	return append(out, s.Bytes())
}

// FuzzOpenStore opens arbitrary bytes as a store. Errors must be typed
// (bcd's or the hive's sentinels). Where opening succeeds: an unedited
// write gives the input bytes; every object lists, every element decodes
// (or fails with a typed Element.Err) and every device re-encodes to its
// stored bytes; Enum all /v and Check run; and setting {bootmgr}'s
// timeout either fails with a typed error or survives a write and reopen,
// leaving every other element as it was.
func FuzzOpenStore(f *testing.F) {
	seeds := generatedStores(f)
	for _, p := range testutil.OptionalFixtures(f, "bcd", "*.bcd") {
		seeds = append(seeds, readFile(f, p))
	}
	for _, p := range testutil.OptionalFixtures(f, "hive", "*") {
		if !strings.Contains(filepath.Base(p), ".log") {
			seeds = append(seeds, readFile(f, p))
		}
	}
	for _, s := range seeds {
		// Large seeds make every minimization step slow; the big hive
		// fixtures are covered by the hive package's tests.
		if len(s) <= 64<<10 {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<20 {
			return
		}
		typed := func(what string, err error) bool {
			if err != nil && !typedErr(err) {
				t.Fatalf("%s: untyped error: %v", what, err)
			}
			return err == nil
		}
		s, err := bcd.Parse(b, nil)
		if !typed("parse", err) {
			return
		}
		var out bytes.Buffer
		if _, err := s.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s.Bytes(), b) || !bytes.Equal(out.Bytes(), b) {
			t.Fatal("unedited write differs from the input")
		}
		objs, err := s.Objects()
		typed("objects", err)
		for _, o := range objs {
			els, err := o.Elements()
			typed("elements", err)
			for _, e := range els {
				if !typed("element "+e.Type.KeyName(), e.Err) {
					continue
				}
				d, ok := e.Value.(*bcd.Device)
				if !ok {
					continue
				}
				enc, err := d.MarshalBinary()
				if err != nil {
					t.Fatalf("decoded device does not encode: %v", err)
				}
				v, err := o.Key().OpenKey(`Elements\` + e.Type.KeyName())
				if err != nil {
					t.Fatal(err)
				}
				val, err := v.Value("Element")
				if err != nil {
					t.Fatal(err)
				}
				raw, err := val.Data()
				if err != nil {
					t.Fatal(err)
				}
				testutil.EqualBytes(t, raw, enc)
			}
		}
		var sb strings.Builder
		typed("enum all /v", s.Enum(&sb, "all", &bcd.EnumOptions{Syntax: bcd.Syntax{Verbose: true}}))
		_ = s.Check()

		before, readErr := rawElements(s.Hive())
		bm, err := s.Object(bcd.BootMgr)
		if err != nil {
			bm, err = s.Create(bcd.BootMgr, bcd.TypeBootMgr)
		}
		if !typed("create {bootmgr}", err) || !typed("set timeout", bm.Set(bcd.ElemTimeout, bcd.Integer(7))) {
			return
		}
		out.Reset()
		if _, err := s.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		r, err := bcd.Parse(out.Bytes(), nil)
		if err != nil {
			t.Fatalf("edited store does not reopen: %v", err)
		}
		o, err := r.Object(bcd.BootMgr)
		if err != nil {
			t.Fatalf("edited store lost {bootmgr}: %v", err)
		}
		if v, err := o.Get(bcd.ElemTimeout); err != nil || v != bcd.Integer(7) {
			t.Fatalf("edit lost: %v %v", v, err)
		}
		if readErr != nil {
			return
		}
		after, err := rawElements(r.Hive())
		if err != nil {
			t.Fatalf("the edited store no longer reads: %v", err)
		}
		timeoutKey := strings.ToLower(bcd.BootMgr.String() + `\` + bcd.ElemTimeout.KeyName())
		for k, v := range before {
			if k != timeoutKey && !reflect.DeepEqual(after[k], v) {
				t.Fatalf("element %s changed: %v -> %v", k, v, after[k])
			}
		}
	})
}
