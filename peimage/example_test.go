package peimage_test

import (
	"errors"
	"fmt"

	"github.com/winbootkit/winbootkit/peimage"
)

// pxeboot builds a stand-in for pxeboot.n12: 16-bit code (starting with a
// near jump) with the TFTP file name of the boot manager at 0x5961.
func pxeboot() []byte {
	b := make([]byte, 0x6000)
	copy(b, []byte{0xe9, 0xd5, 0x01})
	copy(b[0x5961:], "bootmgr.exe\x00")
	return b
}

// Rename the boot manager that pxeboot.n12 fetches, as a hex editor would.
func ExamplePE2PXEBoot() {
	img, err := peimage.Parse(pxeboot(), nil)
	if err != nil {
		panic(err)
	}
	rep, err := peimage.PE2PXEBoot("testmgr.exe").Apply(img, nil)
	if err != nil {
		panic(err)
	}
	fmt.Print(rep)
	_, err = img.ComputeChecksum()
	fmt.Println(img.Kind(), "- checksum applies:", !errors.Is(err, peimage.ErrNotPE))
	// Output:
	// 00005961: 62 6f 6f 74 6d 67 72 2e 65 78 65 -> 74 65 73 74 6d 67 72 2e 65 78 65  (ASCII "bootmgr.exe" -> "testmgr.exe")
	// raw image - checksum applies: false
}

func ExampleImage_Find() {
	b := pxeboot()
	copy(b[0x100:], "\\\x00B\x00O\x00O\x00T\x00\\\x00B\x00C\x00D\x00") // UTF-16LE \BOOT\BCD
	img, err := peimage.Parse(b, nil)
	if err != nil {
		panic(err)
	}
	matches, err := img.Find(`\Boot\BCD`, &peimage.FindOptions{Encoding: peimage.Both, IgnoreCase: true})
	if err != nil {
		panic(err)
	}
	for _, m := range matches {
		fmt.Printf("%#x %s %d bytes\n", m.Offset, m.Encoding, m.Length)
	}
	// Output:
	// 0x100 UTF-16LE 18 bytes
}

func ExampleImage_Replace_tooLong() {
	img, err := peimage.Parse(pxeboot(), nil)
	if err != nil {
		panic(err)
	}
	_, err = img.Replace([]peimage.Edit{{Old: "bootmgr.exe", New: "bootmgr2.exe", Encoding: peimage.ASCII}}, nil)
	var le *peimage.LengthError
	if errors.As(err, &le) {
		fmt.Println("needed", le.Needed, "available", le.Available)
	}
	// Output:
	// needed 12 available 11
}

// The checksum of a PE image: the field at e_lfanew+88 counts as zero.
func ExampleNewChecksum() {
	data := []byte("MZ...any bytes, any length, in any number of writes.")
	c := peimage.NewChecksum(8) // the CheckSum field is at offset 8 here
	c.Write(data[:7])
	c.Write(data[7:])
	fmt.Printf("%#08x\n", c.Sum32())
	// Output:
	// 0x00006080
}

// Patch a signed PE: refused by default, done after stripping the signature.
func ExampleImage_Replace_signed() {
	// A PE with a UTF-16LE "\Boot\BCD" in its section and a certificate table.
	b := buildPE(peSpec{cert: winCert(56, 0x30), fill: func(_ int, s []byte) { copy(s, utf16(`\Boot\BCD`)) }})
	img, err := peimage.Parse(b, nil)
	if err != nil {
		panic(err)
	}
	recipe := peimage.PE2Bootmgr(`\Test\BCD`)
	_, err = recipe.Apply(img, nil)
	fmt.Println("default policy refused:", errors.Is(err, peimage.ErrSigned))

	rep, err := recipe.Apply(img, &peimage.PatchOptions{Signature: peimage.SignatureStrip})
	if err != nil {
		panic(err)
	}
	fmt.Print(rep)
	fmt.Println("signed:", img.Signed(), "checksum ok:", img.VerifyChecksum() == nil)
	// Output:
	// default policy refused: true
	// 00000600: certificate table removed: 64 bytes (1 entry) at 0x600 and 0 bytes of padding; file now 1536 bytes
	// 00000118: 00 06 00 00 40 00 00 00 -> 00 00 00 00 00 00 00 00  (data directory 4 zeroed)
	// 00000400: 5c 00 42 00 6f 00 6f 00 74 00 5c 00 42 00 43 00 44 00 -> 5c 00 54 00 65 00 73 00 74 00 5c 00 42 00 43 00 44 00  (UTF-16LE "\\Boot\\BCD" -> "\\Test\\BCD", .s0 rva 0x1000)
	// 000000d8: 00 00 00 00 -> 77 af 00 00  (PE checksum 0x00000000 -> 0x0000af77)
	// signed: false checksum ok: true
}
