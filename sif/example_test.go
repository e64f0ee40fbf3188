package sif_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/ramdisk"
	"github.com/winbootkit/winbootkit/sif"
)

const exampleOEM = `[Disks]
d1 = "Example driver disk",\disk1,\i386

[Defaults]
scsi = EXAMPLE

[scsi]
EXAMPLE = "Example SATA Controller"

[Files.scsi.EXAMPLE]
driver = d1, exsata.sys, exsata
inf    = d1, exsata.inf

[HardwareIds.scsi.EXAMPLE]
id = "PCI\VEN_1234&DEV_5678&SUBSYS_00011234&REV_01", "exsata"
`

const exampleSIF = `[SourceDisksNames.x86]
1 = "Setup CD",cdtag,,\i386

[WinntDirectories]
4 = system32\drivers

[SourceDisksFiles.x86]
atapi.sys = 1,,,,,,3_,4,1,,,1,4

[SCSI.Load]
atapi = atapi.sys,4
`

// A driver from a txtsetup.oem goes into a txtsetup.sif; the diff shows
// what changed, and removal gives the original back.
func Example() {
	oem, err := inf.ParseOEM([]byte(exampleOEM), nil)
	if err != nil {
		log.Fatal(err)
	}
	s, err := sif.NewSlipstream(oem, &sif.SlipstreamOptions{Arch: inf.X86})
	if err != nil {
		log.Fatal(err)
	}
	t, err := sif.Parse([]byte(exampleSIF), nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := s.ApplySIF(t); err != nil {
		log.Fatal(err)
	}
	// The diff's added lines (its context lines start with a space).
	d := sif.UnifiedDiff("txtsetup.sif", "txtsetup.sif", []byte(exampleSIF), t.Bytes())
	for _, l := range strings.Split(string(d), "\n") {
		if strings.HasPrefix(l, "+") || strings.HasPrefix(l, "@@") {
			fmt.Println(l)
		}
	}
	if _, err := s.RemoveSIF(t); err != nil {
		log.Fatal(err)
	}
	fmt.Println("restored:", string(t.Bytes()) == exampleSIF)
	// Output:
	// +++ txtsetup.sif
	// @@ -6,6 +6,17 @@
	// +exsata.sys = 1,,,,,,4_,4,1,,,1,4
	// +exsata = exsata.sys,4
	// +
	// +[SCSI]
	// +exsata = "Example SATA Controller"
	// +
	// +[HardwareIdsDatabase]
	// +PCI\VEN_1234&DEV_5678&SUBSYS_00011234&REV_01 = "exsata"
	// +
	// +[FileFlags]
	// +exsata.sys = 16
	// restored: true
}

// The registry values of a slipstream, as hivesys.inf lines and in a setup
// hive.
func ExampleSlipstream_HiveLines() {
	oem, err := inf.ParseOEM([]byte(exampleOEM), nil)
	if err != nil {
		log.Fatal(err)
	}
	s, err := sif.NewSlipstream(oem, &sif.SlipstreamOptions{ClassGUID: sif.ClassGUIDSCSIAdapter})
	if err != nil {
		log.Fatal(err)
	}
	lines, err := s.HiveLines()
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range lines {
		fmt.Println(l)
	}
	h, _, err := sif.BuildSetupHive(nil)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := s.ApplyHive(h, nil); err != nil {
		log.Fatal(err)
	}
	k, err := h.OpenKey(`ControlSet001\Services\exsata`)
	if err != nil {
		log.Fatal(err)
	}
	v, err := k.Value("ImagePath")
	if err != nil {
		log.Fatal(err)
	}
	p, _ := v.StringData()
	fmt.Println(v.Type(), p)
	// Output:
	// HKLM,"SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\pci#ven_1234&dev_5678&subsys_00011234&rev_01","Service",0x00000000,"exsata"
	// HKLM,"SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\pci#ven_1234&dev_5678&subsys_00011234&rev_01","ClassGUID",0x00000000,"{4D36E97B-E325-11CE-BFC1-08002BE10318}"
	// HKLM,"SYSTEM\CurrentControlSet\Services\exsata","Type",0x00010001,1
	// HKLM,"SYSTEM\CurrentControlSet\Services\exsata","Start",0x00010001,0
	// HKLM,"SYSTEM\CurrentControlSet\Services\exsata","ErrorControl",0x00010001,1
	// HKLM,"SYSTEM\CurrentControlSet\Services\exsata","Group",0x00000000,"SCSI miniport"
	// HKLM,"SYSTEM\CurrentControlSet\Services\exsata","ImagePath",0x00020000,"system32\drivers\exsata.sys"
	// REG_EXPAND_SZ system32\drivers\exsata.sys
}

// 0PE's CHKPCI.TXT entries for every option of a txtsetup.oem.
func ExampleZeroPEEntries() {
	oem, err := inf.ParseOEM([]byte(exampleOEM), nil)
	if err != nil {
		log.Fatal(err)
	}
	entries, _ := sif.ZeroPEEntries(oem, "scsi")
	fmt.Print(strings.ReplaceAll(string(sif.FormatCHKPCI(entries)), "\r\n", "\n"))
	// Output:
	// $PCI\VEN_1234&DEV_5678&SUBSYS_00011234
	// EXSATA
}

// A winnt.sif that boots an XP-era WinPE from an ISO in a RAM disk.
func ExampleNewWinnt() {
	w, err := sif.NewWinnt(sif.WinntConfig{
		BootPath: `\WXPE\SYSTEM32\`,
		RAMDisk:  ramdisk.RAMDiskOptions{MinInt: true, FastDetect: true, ExportAsCD: true, Path: `\NETPE\NETPE.ISO`},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(strings.ReplaceAll(string(w.Bytes()), "\r\n", "\n"))
	// Output:
	// [SetupData]
	// BootDevice = "ramdisk(0)"
	// BootPath = "\WXPE\SYSTEM32\"
	// OsLoadOptions = "/minint /fastdetect /rdexportascd /rdpath=\NETPE\NETPE.ISO"
}

// Reading a winnt.sif from a community guide: /rdoffset= is understood,
// with a warning, and written as /RDIMAGEOFFSET= once the options change.
func ExampleParseWinnt() {
	w, err := sif.ParseWinnt([]byte("[SetupData]\nBootDevice = \"ramdisk(0)\"\nOsLoadOptions = \"/minint /rdpath=net(0)\\pe.sdi /rdoffset=8192\"\n"), nil)
	if err != nil {
		log.Fatal(err)
	}
	r := w.RAMDisk()
	fmt.Println(r.Path, r.ImageOffset)
	fmt.Println(len(w.Warnings), "warning")
	opts, err := w.LoadOptions()
	if err != nil {
		log.Fatal(err)
	}
	if err := opts.SetSwitch(ramdisk.OptRDExportAsHD, true); err != nil {
		log.Fatal(err)
	}
	if err := w.SetLoadOptions(opts); err != nil {
		log.Fatal(err)
	}
	o, _ := w.Value(sif.KeyOsLoadOptions)
	fmt.Println(o)
	// Output:
	// net(0)\pe.sdi 8192
	// 1 warning
	// /minint /rdpath=net(0)\pe.sdi /rdimageoffset=8192 /rdexportashd
}

// A text-mode setup hive from hive INFs, the way ReactOS builds SETUPREG.HIV.
func ExampleBuildSetupHive() {
	hivesys, err := inf.Parse([]byte(`[AddReg]
HKLM,"SYSTEM\CurrentControlSet\Services\disk","Start",0x00010001,0
HKLM,"SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\GenDisk","Service",0x00000000,"disk"
`), nil)
	if err != nil {
		log.Fatal(err)
	}
	setupreg, err := inf.Parse([]byte(`[DelReg]
HKLM,"SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase"
`), nil)
	if err != nil {
		log.Fatal(err)
	}
	h, _, err := sif.BuildSetupHive(nil, hivesys, setupreg)
	if err != nil {
		log.Fatal(err)
	}
	err = h.Root().Walk(func(path string, k *hive.Key) error {
		fmt.Printf("%q %d values\n", path, k.ValueCount())
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// "" 0 values
	// "ControlSet001" 0 values
	// "ControlSet001\\Control" 0 values
	// "ControlSet001\\Services" 0 values
	// "ControlSet001\\Services\\disk" 1 values
}
