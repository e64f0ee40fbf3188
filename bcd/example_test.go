package bcd_test

import (
	"fmt"
	"os"

	"github.com/winbootkit/winbootkit/bcd"
)

// Build the store a PXE server hands to bootmgr for a WinPE image, as the
// published bcdedit recipe would, and list it.
func ExampleNewWinPEStore() {
	timeout := uint64(30)
	s, _, err := bcd.NewWinPEStore(&bcd.WinPE{
		ID:          bcd.MustParseGUID("{5a8f8d7c-0000-4000-8000-000000000001}"),
		Description: "WinPE (PXE)",
		Timeout:     &timeout,
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	// s.Save("BCD") would write it atomically.
	if err := s.Enum(os.Stdout, "all", nil); err != nil {
		fmt.Println(err)
	}
	// Output:
	//
	// Windows Boot Manager
	// --------------------
	// identifier              {bootmgr}
	// description             Windows Boot Manager
	// default                 {default}
	// displayorder            {default}
	// timeout                 30
	//
	// Windows Boot Loader
	// -------------------
	// identifier              {default}
	// device                  ramdisk=[boot]\sources\boot.wim,{ramdiskoptions}
	// path                    \windows\system32\boot\winload.exe
	// description             WinPE (PXE)
	// osdevice                ramdisk=[boot]\sources\boot.wim,{ramdiskoptions}
	// systemroot              \windows
	// detecthal               Yes
	// winpe                   Yes
	//
	// Device options
	// --------------
	// identifier              {ramdiskoptions}
	// description             Ramdisk Options
	// ramdisksdidevice        boot
	// ramdisksdipath          \boot\boot.sdi
}

// Run bcdedit command lines against a store in memory; drive letters are
// resolved by a caller-supplied map, since there are none offline.
func ExampleInterpreter_RunStore() {
	s, err := bcd.New(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	in := &bcd.Interpreter{
		Stdout:  os.Stdout,
		Drives:  bcd.DriveMap{"C:": {Style: bcd.MBR, Signature: 0x1a2b3c4d, Offset: 1 << 20}},
		NewGUID: func() bcd.GUID { return bcd.MustParseGUID("{00000000-0000-4000-8000-0000000000aa}") },
	}
	for _, line := range []string{
		`/create {bootmgr} /d "Boot Manager"`,
		`/create /d "Windows" /application osloader`,
		`/set {00000000-0000-4000-8000-0000000000aa} osdevice partition=C:`,
		`-SET {00000000-0000-4000-8000-0000000000aa} nx OptOut`,
		`/displayorder {00000000-0000-4000-8000-0000000000aa} /addlast`,
		`/enum osloader`,
	} {
		if err := in.RunStore(s, bcd.SplitCommandLine(line)); err != nil {
			fmt.Println(err)
		}
	}
	// A bad element name is an error naming it.
	err = in.RunStore(s, bcd.SplitCommandLine(`/set {bootmgr} timeuot 5`))
	fmt.Println(err)
	// Output:
	// The entry {bootmgr} was successfully created.
	// The entry {00000000-0000-4000-8000-0000000000aa} was successfully created.
	// The operation completed successfully.
	// The operation completed successfully.
	// The operation completed successfully.
	//
	// Windows Boot Loader
	// -------------------
	// identifier              {00000000-0000-4000-8000-0000000000aa}
	// description             Windows
	// osdevice                partition=C:
	// nx                      OptOut
	// bcd: element "timeuot": not a bcdedit element name or custom:XXXXXXXX
}

// Decode a device element and print it in bcdedit's syntax, with the
// partition identity written out because no drive letter is known.
func ExampleDecodeDevice() {
	d, err := bcd.ParseDevice(`ramdisk=[mbr:1a2b3c4d:1048576]\sources\boot.wim,{ramdiskoptions}`, bcd.ElemDevice, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	blob, _ := d.MarshalBinary()
	back, err := bcd.DecodeDevice(blob)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(blob), back.Kind, back.Parent.Partition.Offset)
	fmt.Println(back.Text(bcd.ElemDevice, &bcd.Syntax{Verbose: true}))
	_, err = bcd.DecodeDevice(blob[:100])
	fmt.Println(err)
	// Output:
	// 176 ramdisk 1048576
	// ramdisk=[mbr:1a2b3c4d:1048576]\sources\boot.wim,{ae5534e0-a924-466c-b836-758539a3ee3a}
	// bcd: device descriptor at offset 0x10: size 160 outside the 84 bytes left
}

// Edit one element of an existing store; every other element keeps its
// bytes.
func ExampleObject_Set() {
	s, _, err := bcd.NewWinPEStore(&bcd.WinPE{}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	bm, err := s.Lookup("{bootmgr}")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := bm.Set(bcd.ElemTimeout, bcd.Integer(5)); err != nil {
		fmt.Println(err)
	}
	v, _ := bm.Get(bcd.ElemTimeout)
	fmt.Println(v)
	err = bm.Set(bcd.ElemTimeout, bcd.String("five"))
	fmt.Println(err)
	// Output:
	// 5
	// bcd: value "bcd.String (string)": element 25000004 has format integer
}
