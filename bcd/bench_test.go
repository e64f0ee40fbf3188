package bcd_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// manyObjects builds a store of n WinPE loaders (each with a ramdisk
// device, eight elements) sharing {ramdiskoptions}, all in {bootmgr}'s
// displayorder.
func manyObjects(tb testing.TB, n int) []byte {
	tb.Helper()
	s, _, err := bcd.NewWinPEStore(&bcd.WinPE{}, nil)
	require.NoError(tb, err)
	ld, err := s.Lookup("{default}")
	require.NoError(tb, err)
	var order bcd.ObjectList
	for i := range n {
		o, err := s.Copy(ld.ID(), bcd.GUID{})
		require.NoError(tb, err)
		require.NoError(tb, o.Set(bcd.ElemDescription, bcd.String(fmt.Sprintf("PE %d", i))))
		dev := &bcd.Device{Kind: bcd.DeviceRamdisk, Options: bcd.RamdiskOptions, Path: fmt.Sprintf(`\pe\%d.wim`, i), Parent: &bcd.Device{Kind: bcd.DeviceBoot}}
		require.NoError(tb, o.Set(bcd.ElemDevice, dev))
		require.NoError(tb, o.Set(bcd.ElemOSDevice, dev))
		order = append(order, o.ID())
	}
	bm, err := s.Lookup("{bootmgr}")
	require.NoError(tb, err)
	require.NoError(tb, bm.Set(bcd.ElemDisplayOrder, order))
	return s.Bytes()
}

func benchOpenEnum(b *testing.B, in []byte) {
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		s, err := bcd.Parse(in, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Enum(io.Discard, "all", &bcd.EnumOptions{Syntax: bcd.Syntax{Verbose: true}}); err != nil {
			b.Fatal(err)
		}
	}
}

// Open a store and render Enum all /v: the biggest fixture store.
func BenchmarkOpenEnumFixture(b *testing.B) {
	benchOpenEnum(b, testutil.ReadFixture(b, ntloader3))
}

// The same on a generated store of 1,000 loaders.
func BenchmarkOpenEnum1000Objects(b *testing.B) {
	benchOpenEnum(b, manyObjects(b, 1000))
}

// Adversarial width: 10,000 loaders in one Objects key and one
// displayorder list (quadratic paths would show here).
func BenchmarkOpenEnum10000Objects(b *testing.B) {
	benchOpenEnum(b, manyObjects(b, 10000))
}

func BenchmarkDecodeDeviceVHD(b *testing.B) {
	d, err := bcd.ParseDevice(`vhd=[mbr:1a2b3c4d:1048576]\vhd\windows-10-enterprise.vhdx`, bcd.ElemDevice, nil)
	require.NoError(b, err)
	blob, err := d.MarshalBinary()
	require.NoError(b, err)
	b.SetBytes(int64(len(blob)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bcd.DecodeDevice(blob); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeDeviceRamdisk(b *testing.B) {
	d, err := bcd.ParseDevice(`ramdisk=[boot]\sources\boot.wim,{ramdiskoptions}`, bcd.ElemDevice, nil)
	require.NoError(b, err)
	blob, err := d.MarshalBinary()
	require.NoError(b, err)
	b.SetBytes(int64(len(blob)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}

// Create a WinPE store and serialize it.
func BenchmarkWriteWinPEStore(b *testing.B) {
	b.ReportAllocs()
	var n int
	for b.Loop() {
		s, _, err := bcd.NewWinPEStore(&bcd.WinPE{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		n = len(s.Bytes())
	}
	b.SetBytes(int64(n))
}

// One bcdedit /set through the interpreter on a store in memory.
func BenchmarkInterpreterSet(b *testing.B) {
	s, _, err := bcd.NewWinPEStore(&bcd.WinPE{}, nil)
	require.NoError(b, err)
	in := &bcd.Interpreter{}
	args := []string{"/set", "{default}", "osdevice", `ramdisk=[boot]\sources\boot.wim,{ramdiskoptions}`}
	b.ReportAllocs()
	for b.Loop() {
		if err := in.RunStore(s, args); err != nil {
			b.Fatal(err)
		}
	}
}
