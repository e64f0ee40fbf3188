package hive_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/winbootkit/winbootkit/hive"
)

// Build a hive from scratch, read it back from its bytes.
func Example() {
	h, err := hive.New("SYSTEM", hive.Version15, nil)
	if err != nil {
		panic(err)
	}
	svc, err := h.Root().CreateKey(`ControlSet001\Services\viostor`)
	if err != nil {
		panic(err)
	}
	_ = svc.SetDWord("Start", 0)
	_ = svc.SetString("Group", "SCSI miniport")
	_ = svc.SetExpandString("ImagePath", `system32\drivers\viostor.sys`)

	r, err := hive.Parse(h.Bytes(), nil)
	if err != nil {
		panic(err)
	}
	k, err := r.OpenKey(`controlset001\services\VIOSTOR`)
	if err != nil {
		panic(err)
	}
	for v, err := range k.Values() {
		if err != nil {
			panic(err)
		}
		fmt.Println(v.Name(), v.Type())
	}
	start, _ := k.Value("start")
	n, _ := start.Uint32()
	fmt.Println("Start =", n)
	fmt.Println("problems:", len(r.Check()))
	// Output:
	// Start REG_DWORD
	// Group REG_SZ
	// ImagePath REG_EXPAND_SZ
	// Start = 0
	// problems: 0
}

// A hive opened and written without edits is the same file.
func ExampleParse() {
	h, _ := hive.New("ROOT", hive.Version13, &hive.Options{Now: func() time.Time { return time.Unix(0, 0) }})
	_ = h.SetRawValue(`Description`, "KeyName", uint32(hive.String), hive.EncodeString("BCD00000001"))
	file := h.Bytes()

	again, _ := hive.Parse(file, nil)
	fmt.Println(bytes.Equal(again.Bytes(), file))
	major, minor := again.Version()
	fmt.Printf("version %d.%d, dirty %v\n", major, minor, again.Dirty())
	// Output:
	// true
	// version 1.3, dirty false
}

// Keys come back in the order Windows keeps them: sorted by upper-cased name.
func ExampleKey_Subkeys() {
	h, _ := hive.New("ROOT", hive.Version15, nil)
	for _, n := range []string{"b", "_x", "A", "Zed", "a1"} {
		_ = h.CreateKey(n)
	}
	for k, err := range h.Root().Subkeys() {
		if err != nil {
			panic(err)
		}
		fmt.Print(k.Name(), " ")
	}
	fmt.Println()
	// Output:
	// A a1 b Zed _x
}

// Export a subtree as a .reg file (UTF-8 here; regedit's UTF-16LE is the
// default).
func ExampleKey_ExportReg() {
	h, _ := hive.New("SOFTWARE", hive.Version15, nil)
	_ = h.SetRawValue(`Vendor\App`, "Path", uint32(hive.String), hive.EncodeString(`C:\App`))
	_ = h.SetRawValue(`Vendor\App`, "Flags", uint32(hive.DWord), hive.EncodeDWord(3))
	_ = h.SetRawValue(`Vendor\App`, "", uint32(hive.Binary), []byte{1, 2})
	k, _ := h.OpenKey("Vendor")
	_ = k.ExportReg(os.Stdout, &hive.ExportOptions{UTF8: true})
	// Output:
	// Windows Registry Editor Version 5.00
	//
	// [HKEY_LOCAL_MACHINE\SOFTWARE\Vendor]
	//
	// [HKEY_LOCAL_MACHINE\SOFTWARE\Vendor\App]
	// "Path"="C:\\App"
	// "Flags"=dword:00000003
	// @=hex:01,02
}

// Apply a .reg file: create keys and values, delete others.
func ExampleHive_ImportReg() {
	h, _ := hive.New("SYSTEM", hive.Version15, nil)
	_ = h.CreateKey(`Old\Stuff`)
	reg := `Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SYSTEM]

[HKEY_LOCAL_MACHINE\SYSTEM\Setup]
"SystemSetupInProgress"=dword:00000001
"CmdLine"="setup -newsetup"

[-HKEY_LOCAL_MACHINE\SYSTEM\Old]
`
	if err := h.ImportReg(strings.NewReader(reg), nil); err != nil {
		panic(err)
	}
	names, _ := h.Root().SubkeyNames()
	fmt.Println(names)
	typ, data, ok, _ := h.RawValue("setup", "cmdline")
	fmt.Println(ok, hive.ValueType(typ), hive.DecodeString(data))
	// Output:
	// [Setup]
	// true REG_SZ setup -newsetup
}

// Compare two hives.
func ExampleDiff() {
	a, _ := hive.New("ROOT", hive.Version15, nil)
	b, _ := hive.New("ROOT", hive.Version13, nil)
	_ = a.SetRawValue("K", "v", uint32(hive.DWord), hive.EncodeDWord(1))
	_ = b.SetRawValue("k", "V", uint32(hive.DWord), hive.EncodeDWord(2))
	_ = b.CreateKey("Extra")
	ds, _ := hive.Diff(a.Root(), b.Root(), nil)
	fmt.Print(hive.FormatDiff(ds))
	// Output:
	// [Extra]: key only in B
	// [K] v: data differs (A: REG_DWORD, 4 bytes 01000000; B: REG_DWORD, 4 bytes 02000000)
}

// Check reports damage with file offsets.
func ExampleHive_Check() {
	h, _ := hive.New("ROOT", hive.Version15, nil)
	_ = h.CreateKey("Key")
	file := h.Bytes()
	file[508] ^= 0xFF // break the base-block checksum
	d, _ := hive.Parse(file, nil)
	for _, p := range d.Check() {
		fmt.Println(p.Offset, strings.Join(strings.Fields(p.Msg)[:3], " "))
	}
	fmt.Println(d.Dirty())
	// Output:
	// 508 base block checksum
	// true
}
