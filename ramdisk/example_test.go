package ramdisk_test

import (
	"bytes"
	"fmt"
	"io/fs"

	"github.com/winbootkit/winbootkit/ramdisk"
)

// Parse winnt.sif OsLoadOptions, read the typed values, change one option.
func ExampleParseBootOptions() {
	b, err := ramdisk.ParseBootOptions(`/minint /fastdetect /rdexportascd /rdpath=\NETPE\NETPE.ISO`, nil)
	if err != nil {
		panic(err)
	}
	r := b.RAMDisk()
	fmt.Println(r.Path, r.MinInt, r.ExportAsCD)
	_ = b.SetRDPath(`\TEST\TESTPE.ISO`)
	_ = b.SetSwitch(ramdisk.OptNoGUIBoot, true)
	fmt.Println(b)
	// Output:
	// \NETPE\NETPE.ISO true true
	// /minint /fastdetect /rdexportascd /rdpath=\TEST\TESTPE.ISO /noguiboot
}

// /rdoffset= from community guides is read as RDIMAGEOFFSET with a warning
// and rewritten as /RDIMAGEOFFSET= by Normalize.
func ExampleBootOptions_Normalize() {
	b, _ := ramdisk.ParseBootOptions("/MININT /RDPATH=net(0)\\pe.sdi /RDOFFSET=8192", nil)
	off, _ := b.RDImageOffset()
	fmt.Println(off, b.Warnings[0].Msg)
	b.Normalize()
	fmt.Println(b)
	// Output:
	// 8192 /RDOFFSET= is not a Windows option (NTLDR ignores it); read as /RDIMAGEOFFSET=8192
	// /MININT /RDPATH=net(0)\pe.sdi /RDIMAGEOFFSET=8192
}

// Build an SDI with the layout of Windows' boot.sdi around a partition
// image, and compute its RDIMAGEOFFSET.
func ExampleNewBootSDI() {
	part := make([]byte, 64<<10) // a blank partition image
	s, err := ramdisk.NewBootSDI(bytes.NewReader(part), int64(len(part)), &ramdisk.BootSDIOptions{PartitionType: 7})
	if err != nil {
		panic(err)
	}
	b, _ := s.MarshalBinary()
	off, _ := s.PartitionImageOffset()
	fmt.Println(len(b), off)
	for _, blob := range s.Blobs {
		fmt.Printf("%s offset %#x size %#x\n", blob.Type, blob.Offset, blob.Size)
	}
	// Output:
	// 73728 8192
	// PART offset 0x2000 size 0x10000
	// WIM offset 0x12000 size 0x0
}

// Build a memdisk-bootable disk image in memory, then swap a file.
func ExampleBuildDisk() {
	files := []ramdisk.File{
		ramdisk.FileBytes("bootmgr", []byte("bootmgr")),
		ramdisk.FileBytes("Boot/BCD", []byte("a BCD store")),
		ramdisk.FileBytes("sources/boot.wim", make([]byte, 100_000)),
	}
	d, err := ramdisk.BuildDisk(files, &ramdisk.DiskOptions{Size: 48 << 20})
	if err != nil {
		panic(err)
	}
	p := d.Partition()
	fmt.Println(d.BPB().Type, p.StartLBA, p.StartCHS, p.EndCHS, d.ImageOffset())
	newWIM := make([]byte, 250_000)
	if err := d.ReplaceFile("sources/boot.wim", bytes.NewReader(newWIM), int64(len(newWIM))); err != nil {
		panic(err)
	}
	_ = fs.WalkDir(d, ".", func(path string, e fs.DirEntry, err error) error {
		if info, _ := e.Info(); !e.IsDir() {
			fmt.Println(path, info.Size())
		}
		return err
	})
	// Output:
	// FAT32 2048 1/0/1 47/63/32 1048576
	// Boot/BCD 11
	// bootmgr 7
	// sources/boot.wim 250000
}

// The menu entry that boots such an image over PXE with memdisk.
func ExamplePXELinuxMenu() {
	s, _ := ramdisk.PXELinuxMenu(ramdisk.MenuEntry{Label: "WinPE", Image: "winpe.dd"})
	fmt.Print(s)
	// Output:
	// label winpe
	//   menu label WinPE
	//   kernel memdisk
	//   initrd winpe.dd
	//   append harddisk raw
}

// RDIMAGEOFFSET for a disk image with the classic 63-sector gap.
func ExampleImageOffsetFromDisk() {
	d, _ := ramdisk.BuildDisk(nil, &ramdisk.DiskOptions{Size: 16 << 20, PartitionStart: 63})
	off, _ := ramdisk.ImageOffsetFromDisk(d, d.Size())
	var b ramdisk.BootOptions
	_ = b.SetRDImageOffset(off)
	fmt.Println(b.String())
	// Output:
	// /RDIMAGEOFFSET=32256
}
