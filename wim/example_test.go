package wim_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"unicode/utf16"

	"github.com/winbootkit/winbootkit/wim"
)

// exampleWIM builds a small two-image WIM in memory: a header, one stand-in
// metadata resource per image, the blob table and the XML. (Real WIMs come
// from wimlib-imagex capture or DISM; this one is enough to read and edit
// the descriptive parts.)
func exampleWIM() []byte {
	xml := `<WIM><IMAGE INDEX="1"><NAME>WinPE x86</NAME>` +
		`<TOTALBYTES>1500000000</TOTALBYTES><WINDOWS><ARCH>0</ARCH></WINDOWS></IMAGE>` +
		`<IMAGE INDEX="2"><NAME>WinPE x64</NAME><DESCRIPTION>64-bit</DESCRIPTION><TOTALBYTES>1700000000</TOTALBYTES>` +
		`<WINDOWS><ARCH>9</ARCH><VERSION><MAJOR>10</MAJOR><BUILD>22621</BUILD></VERSION></WINDOWS></IMAGE></WIM>`
	xmlBytes := []byte{0xFF, 0xFE} // UTF-16LE with a byte order mark
	for _, u := range utf16.Encode([]rune(xml)) {
		xmlBytes = binary.LittleEndian.AppendUint16(xmlBytes, u)
	}
	var file, table []byte
	file = make([]byte, wim.HeaderSize)
	var meta [2]wim.ResourceHeader
	for i := range meta {
		data := bytes.Repeat([]byte{byte(i + 1)}, 32) // stand-in metadata resource
		meta[i] = wim.ResourceHeader{Size: 32, Flags: wim.ResourceMetadata, Offset: uint64(len(file)), UncompressedSize: 32}
		file = append(file, data...)
		e := make([]byte, 50)
		binary.LittleEndian.PutUint64(e[0:], meta[i].Size|uint64(meta[i].Flags)<<56)
		binary.LittleEndian.PutUint64(e[8:], meta[i].Offset)
		binary.LittleEndian.PutUint64(e[16:], meta[i].UncompressedSize)
		binary.LittleEndian.PutUint16(e[24:], 1) // part number
		binary.LittleEndian.PutUint32(e[26:], 1) // reference count
		sum := sha1.Sum(data)
		copy(e[30:], sum[:])
		table = append(table, e...)
	}
	h := wim.Header{
		Magic: wim.MagicWIM, HeaderSize: wim.HeaderSize, Version: wim.VersionDefault, Flags: wim.FlagRPFix,
		PartNumber: 1, TotalParts: 1, ImageCount: 2, BootIndex: 1, BootMetadata: meta[0],
		BlobTable: wim.ResourceHeader{Size: uint64(len(table)), Flags: wim.ResourceMetadata, Offset: uint64(len(file)), UncompressedSize: uint64(len(table))},
	}
	file = append(file, table...)
	h.XMLData = wim.ResourceHeader{Size: uint64(len(xmlBytes)), Flags: wim.ResourceMetadata, Offset: uint64(len(file)), UncompressedSize: uint64(len(xmlBytes))}
	file = append(file, xmlBytes...)
	hb, err := h.MarshalBinary()
	if err != nil {
		log.Fatal(err)
	}
	copy(file, hb)
	return file
}

func ExampleNewReader() {
	b := exampleWIM()
	r, err := wim.NewReader(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("boot index:", r.BootIndex())
	for _, im := range r.Images() {
		info := im.Info()
		fmt.Printf("%d: %s (%s)\n", info.Index, info.Name, info.Windows.Arch)
	}
	// Output:
	// boot index: 1
	// 1: WinPE x86 (x86)
	// 2: WinPE x64 (x86_64)
}

// Edits change the in-memory document; WriteTo (or SaveAs, or Commit on a
// File opened with OpenForEdit) writes the edited WIM.
func ExampleReader_SetImageProperty() {
	b := exampleWIM()
	r, err := wim.NewReader(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := r.SetBootIndex(2); err != nil {
		log.Fatal(err)
	}
	if err := r.SetImageProperty(2, "WINDOWS/VERSION/BUILD", "26100"); err != nil {
		log.Fatal(err)
	}
	if err := r.SetFlags(2, "WindowsPE"); err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := r.WriteTo(&out); err != nil {
		log.Fatal(err)
	}

	edited, err := wim.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()), nil)
	if err != nil {
		log.Fatal(err)
	}
	im, _ := edited.Image(2)
	build, _, _ := im.Property("WINDOWS/VERSION/BUILD")
	fmt.Println("boot index:", edited.BootIndex(), "boot metadata at", edited.Header().BootMetadata.Offset)
	fmt.Println("build:", build, "flags:", im.Info().Flags)
	// Output:
	// boot index: 2 boot metadata at 240
	// build: 26100 flags: WindowsPE
}

func ExampleReader_WriteDISMInfo() {
	b := exampleWIM()
	r, err := wim.NewReader(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := r.WriteDISMInfo(os.Stdout, `D:\sources\boot.wim`); err != nil {
		log.Fatal(err)
	}
	// Output:
	// Details for image : D:\sources\boot.wim
	//
	// Index : 1
	// Name : WinPE x86
	// Description : <undefined>
	// Size : 1,500,000,000 bytes
	//
	// Index : 2
	// Name : WinPE x64
	// Description : 64-bit
	// Size : 1,700,000,000 bytes
}

func ExampleReader_WriteInfo() {
	b := exampleWIM()
	r, err := wim.NewReader(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := r.WriteInfo(os.Stdout, "boot.wim", 2); err != nil {
		log.Fatal(err)
	}
	// Output:
	// Information for Image 2
	// -----------------------
	// Index:                  2
	// Name:                   WinPE x64
	// Description:            64-bit
	// Directory Count:        0
	// File Count:             0
	// Total Bytes:            1700000000
	// Hard Link Bytes:        0
	// Creation Time:          Mon Jan 01 00:00:00 1601 UTC
	// Last Modification Time: Mon Jan 01 00:00:00 1601 UTC
	// Architecture:           x86_64
	// Major Version:          10
	// Minor Version:          0
	// Build:                  22621
	// Service Pack Build:     0
	// Service Pack Level:     0
	// WIMBoot compatible:     no
}

func ExampleParseHeader() {
	h, err := wim.ParseHeader(exampleWIM())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h.Version, h.Flags, h.Compression(), h.ImageCount, "images")
	// Output:
	// 1.13 RP_FIX None 2 images
}

// A corrupted header comes back as a *FormatError with the offset, wrapping
// a sentinel to test with errors.Is.
func ExampleFormatError() {
	b := exampleWIM()
	b[0x2A] = 0 // total parts = 0
	_, err := wim.NewReader(bytes.NewReader(b), int64(len(b)), nil)
	fmt.Println(err)
	// Output:
	// wim: header at 0x28: part 1 of 0
}
