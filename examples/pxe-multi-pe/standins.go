package main

import (
	"bytes"
	"encoding/binary"
	"io/fs"
	"testing/fstest" // an in-memory fs.FS; it does not import package testing
	"time"
	"unicode/utf16"

	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/peimage"
	"github.com/winbootkit/winbootkit/ramdisk"
)

// standInTime is the time stamp of everything the stand-ins hold, so that
// two runs give the same bytes.
var standInTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// standInLoader is the identifier of the WinPE entry of the stand-in store.
var standInLoader = bcd.MustParseGUID("{7e57b007-0000-4000-8000-000000000001}")

// standIns builds the embedded TFTP root: stand-ins for the WinPE 2.0+
// files (pxeboot.n12, bootmgr.exe, Boot/BCD, boot.sdi) and the WinPE 1.x
// files (startrom.n12, setupldr.exe). None is a Microsoft file: the boot
// programs are raw bytes or small PEs made by peimage.BuildPE holding the
// names the recipes patch, the store is made by bcd.NewWinPEStore and the
// SDI by ramdisk.NewBootSDI. They are returned as a file system and as
// outputs, so that they are written next to the results.
func standIns() (fs.FS, []output, error) {
	mgr, err := peimage.BuildPE(peimage.PESpec{Sections: []peimage.SectionSpec{
		{Name: ".text", Data: []byte{0xc3}, Characteristics: 0x60000020},
		{Name: ".rdata", Data: cat([]byte("winbootkit stand-in for bootmgr.exe\x00\x00\x00\x00\x00"), utf16z(`\Boot\BCD`))},
	}})
	if err != nil {
		return nil, nil, err
	}
	ldr, err := peimage.BuildPE(peimage.PESpec{Subsystem: peimage.SubsystemNative, Sections: []peimage.SectionSpec{
		{Name: ".text", Data: []byte{0xc3}, Characteristics: 0x60000020},
		{Name: ".rdata", Data: cat([]byte("winbootkit stand-in for setupldr.exe\x00\x00\x00\x00winnt.sif\x00\x00\x00\\I386\\\x00\x00"),
			utf16z(`\i386\SYSTEM32\`))},
	}})
	if err != nil {
		return nil, nil, err
	}
	store, _, err := bcd.NewWinPEStore(&bcd.WinPE{
		ID:          standInLoader,
		Description: "WinPE",
		WIMPath:     `\Boot\boot.wim`,
		SDIPath:     `\boot\boot.sdi`,
	}, standInStoreOptions())
	if err != nil {
		return nil, nil, err
	}
	sdi, err := standInSDI()
	if err != nil {
		return nil, nil, err
	}
	files := []output{
		{inPXEBoot, nbp("pxeboot.n12", "bootmgr.exe"), "stand-in: 16-bit PXE program naming bootmgr.exe"},
		{inBootmgr, mgr, `stand-in: PE (peimage.BuildPE) naming \Boot\BCD in UTF-16LE`},
		{inBCD, store.Bytes(), `stand-in: store (bcd.NewWinPEStore) booting \Boot\boot.wim`},
		{inSDI, sdi, "stand-in: SDI (ramdisk.NewBootSDI)"},
		{inStartrom, nbp("startrom.n12", "NTLDR"), "stand-in: 16-bit PXE program naming NTLDR"},
		{inSetupldr, ldr, "stand-in: PE (peimage.BuildPE) naming winnt.sif and I386"},
	}
	fsys := fstest.MapFS{}
	for _, f := range files {
		fsys[f.rel] = &fstest.MapFile{Data: f.data, Mode: 0o644, ModTime: standInTime}
	}
	return fsys, files, nil
}

// standInStoreOptions give stores the fixed clock of the stand-ins.
func standInStoreOptions() *bcd.Options {
	return &bcd.Options{Hive: &hive.Options{Now: func() time.Time { return standInTime }}}
}

// nbp returns a stand-in for a 16-bit network boot program: a near jump
// over a notice, and the file name it fetches by TFTP further on.
func nbp(what, fetches string) []byte {
	b := make([]byte, 0x400)
	b[0], b[1] = 0xeb, 0x3e // jmp short over the notice
	copy(b[0x10:], "winbootkit stand-in for "+what+"; not a boot program\x00")
	copy(b[0x200:], fetches+"\x00")
	return b
}

// standInSDI returns a boot.sdi in the layout of Windows' one: a PART
// blob (here 64 KiB of zeros standing in for the NTFS volume, typed 7 as
// Windows' is) and an empty WIM record.
func standInSDI() ([]byte, error) {
	part := make([]byte, 64<<10)
	s, err := ramdisk.NewBootSDI(bytes.NewReader(part), int64(len(part)), &ramdisk.BootSDIOptions{PartitionType: 7})
	if err != nil {
		return nil, err
	}
	return s.MarshalBinary()
}

// utf16z encodes s as UTF-16LE with a terminating NUL.
func utf16z(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s + "\x00")) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
