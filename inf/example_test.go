package inf_test

import (
	"fmt"
	"strings"

	"github.com/winbootkit/winbootkit/inf"
)

const exampleINF = "[Version]\r\n" +
	"Signature = \"$Windows NT$\"\r\n" +
	"Class = SCSIAdapter\r\n" +
	"DriverVer = 01/01/2008,1.0.0.0 ; replaced at build time\r\n" +
	"\r\n" +
	"[Manufacturer]\r\n" +
	"%Vendor% = Models,NTamd64,NTamd64.10.0...16299\r\n" +
	"\r\n" +
	"[Models.NTamd64]\r\n" +
	"%Desc% = inst, PCI\\VEN_1AF4&DEV_1001\r\n" +
	"\r\n" +
	"[Models.NTamd64.10.0...16299]\r\n" +
	"%Desc% = inst, PCI\\VEN_1AF4&DEV_1042\r\n" +
	"\r\n" +
	"[inst.NT]\r\n" +
	"CopyFiles = files\r\n" +
	"\r\n" +
	"[inst.NT.Services]\r\n" +
	"AddService = demo, 2, svc\r\n" +
	"\r\n" +
	"[svc]\r\n" +
	"ServiceType = 1\r\n" +
	"StartType = 0\r\n" +
	"ErrorControl = 1\r\n" +
	"ServiceBinary = %12%\\demo.sys\r\n" +
	"\r\n" +
	"[files]\r\n" +
	"demo.sys\r\n" +
	"\r\n" +
	"[DestinationDirs]\r\n" +
	"DefaultDestDir = 12\r\n" +
	"\r\n" +
	"[Strings]\r\n" +
	"Vendor = \"Demo Corp\"\r\n" +
	"Desc = \"Demo storage controller\"\r\n" +
	"\r\n" +
	"[Strings.0407]\r\n" +
	"Vendor = \"Demo GmbH\"\r\n" +
	"Desc = \"Demo-Speichercontroller\"\r\n"

// Parse a driver INF and ask what it installs on Windows 10 2004 (amd64).
func ExampleDocument_Driver() {
	d, err := inf.Parse([]byte(exampleINF), nil)
	if err != nil {
		panic(err)
	}
	o, _ := inf.ParseOS("amd64", "10.0.19041")
	dr, err := d.Driver(o)
	if err != nil {
		panic(err)
	}
	fmt.Println("class:", dr.Version.Class, "version:", dr.Version.DriverVer)
	fmt.Println("models:", dr.Manufacturers[0].Section)
	for _, dev := range dr.Devices {
		fmt.Println("device:", dev.Description, dev.HardwareID, "->", dev.Install.Name)
	}
	for _, s := range dr.Services {
		fmt.Println("service:", s.Name, s.StartType, s.ServiceBinary)
	}
	for _, f := range dr.Files {
		fmt.Println("file:", f.Name, "to DIRID", f.DirID)
	}
	// Output:
	// class: SCSIAdapter version: 01/01/2008,1.0.0.0
	// models: Models.NTamd64.10.0...16299
	// device: Demo storage controller PCI\VEN_1AF4&DEV_1042 -> inst.NT
	// service: demo SERVICE_BOOT_START %12%\demo.sys
	// file: demo.sys to DIRID 12
}

// Edit one value; every other byte of the file stays as it was.
func ExampleLine_SetFields() {
	d, err := inf.Parse([]byte(exampleINF), nil)
	if err != nil {
		panic(err)
	}
	dv := d.Section("version").Find("driverver")
	if err := dv.SetFields("03/04/2024", "2.0.0.0"); err != nil {
		panic(err)
	}
	out := string(d.Bytes())
	fmt.Printf("%q\n", strings.SplitAfter(out, "\r\n")[3])
	fmt.Println(len(out) == len(exampleINF))
	// Output:
	// "DriverVer = 03/04/2024,2.0.0.0 ; replaced at build time\r\n"
	// true
}

// Localized strings: Windows picks one Strings section per language.
func ExampleDocument_SetLanguage() {
	d, _ := inf.Parse([]byte(exampleINF), nil)
	for _, lang := range []uint16{0x0409, 0x0407, 0x0807} {
		d.SetLanguage(lang)
		m := d.Manufacturers()[0]
		fmt.Printf("%#04x %s: %s\n", lang, d.StringsSection().Name(), m.Name)
	}
	// Output:
	// 0x0409 Strings: Demo Corp
	// 0x0407 Strings.0407: Demo GmbH
	// 0x0807 Strings.0407: Demo GmbH
}

// Edits for setup files: new sections, duplicate keys, and a way back.
func ExampleSection_AppendLine() {
	sif := "[SourceDisksFiles]\na.sys = 1,,,,,,4_,4,1\n"
	d, _ := inf.Parse([]byte(sif), nil)
	s := d.Section("SourceDisksFiles")
	s.AppendLine("viostor.sys = 1,,,,,,4_,4,1,,,1,4")
	s.AppendLine("viostor.sys = 1,,,,,,,1,0,0") // same key twice is fine
	scsi, _ := d.AddSection("SCSI")
	scsi.AppendLine(`viostor = "Red Hat VirtIO BLOCK Disk Device"`)
	fmt.Print(string(d.Bytes()))
	d.Revert()
	fmt.Println(string(d.Bytes()) == sif)
	// Output:
	// [SourceDisksFiles]
	// a.sys = 1,,,,,,4_,4,1
	// viostor.sys = 1,,,,,,4_,4,1,,,1,4
	// viostor.sys = 1,,,,,,,1,0,0
	//
	// [SCSI]
	// viostor = "Red Hat VirtIO BLOCK Disk Device"
	// true
}

// Apply a hive INF to a registry target, mapping HKLM\SYSTEM to its root.
func ExampleApplyHiveINF() {
	hiveINF := `[Version]
Signature = "$Windows NT$"
[AddReg]
HKLM,"SYSTEM\CurrentControlSet\Services\demo","Start",0x00010001,0
HKLM,"SYSTEM\CurrentControlSet\Services\demo","ImagePath",0x00020000,"system32\drivers\demo.sys"
HKLM,"SYSTEM\CurrentControlSet\Services\demo","Group",0x00000000,"SCSI miniport"
HKLM,"SYSTEM\CurrentControlSet\Services\demo","Group",0x00000002,"ignored (NOCLOBBER)"
HKLM,"SYSTEM\CurrentControlSet\Control\ServiceGroupOrder","List",0x00010000,"Boot Bus Extender","SCSI miniport"
`
	d, _ := inf.Parse([]byte(hiveINF), nil)
	reg := inf.NewMemRegistry() // or a *hive.Hive
	opts := &inf.ApplyOptions{Roots: map[string]string{`HKLM\SYSTEM\CurrentControlSet`: "ControlSet001", `HKLM\SYSTEM`: ""}}
	rep, err := inf.ApplyHiveINF(reg, opts, d)
	if err != nil {
		panic(err)
	}
	reg.Walk(func(key string, values []inf.MemValue) error {
		for _, v := range values {
			fmt.Printf("%s %q = %s\n", key, v.Name, inf.FormatRegData(inf.RegType(v.Type), v.Data))
		}
		return nil
	})
	fmt.Println(rep.Count(inf.OutcomeKeptExisting), "kept")
	// Output:
	// ControlSet001\Control\ServiceGroupOrder "List" = REG_MULTI_SZ ["Boot Bus Extender" "SCSI miniport"]
	// ControlSet001\Services\demo "Group" = REG_SZ "SCSI miniport"
	// ControlSet001\Services\demo "ImagePath" = REG_EXPAND_SZ "system32\\drivers\\demo.sys"
	// ControlSet001\Services\demo "Start" = REG_DWORD 0x00000000
	// 1 kept
}

// Lint a txtsetup.oem whose [Config.*] section is named after the option
// instead of the driver key, the defect of the virtio-win files.
func ExampleOEM_Lint() {
	oem := `[Disks]
d1 = "Driver disk",\disk1,\
[Defaults]
scsi = W32
[scsi]
W32 = "VirtIO block device"
[Files.scsi.W32]
driver = d1, viostor.sys, viostor
[HardwareIds.scsi.W32]
id = "PCI\VEN_1AF4&DEV_1001", "viostor"
[Config.W32]
value = Parameters\PnpInterface,5,REG_DWORD,1
`
	o, _ := inf.ParseOEM([]byte(oem), nil)
	op := o.Option("scsi", o.Default("scsi"))
	fmt.Println(op.Description, "service", op.Service(), "disk dir", o.Disk("d1").Directory)
	for _, w := range o.Lint(nil) {
		fmt.Println(w.Code)
	}
	// Output:
	// VirtIO block device service viostor disk dir \
	// config-unreferenced
}

// Stamp an INX template for amd64, as stampinf does.
func ExampleDocument_Stamp() {
	inx := "[Version]\nSignature=\"$Windows NT$\"\nDriverVer=01/01/2008,0.0.0.1\n" +
		"[Manufacturer]\n%V%=M,NT$ARCH$\n[M.NT$ARCH$]\n%D%=i,PCI\\VEN_1AF4&DEV_1001&SUBSYS_0002_INX_SUBSYS_VENDOR_ID\n"
	d, _ := inf.Parse([]byte(inx), nil)
	dv, _ := inf.ParseDriverVer("06/01/2024", "100.95.104.26200")
	err := d.Stamp(inf.StampOptions{Arch: inf.AMD64, DriverVer: &dv,
		Placeholders: map[string]string{"INX_SUBSYS_VENDOR_ID": "1AF4"}})
	if err != nil {
		panic(err)
	}
	fmt.Print(string(d.Bytes()))
	// Output:
	// [Version]
	// Signature="$Windows NT$"
	// DriverVer=06/01/2024,100.95.104.26200
	// [Manufacturer]
	// %V%=M,NTamd64
	// [M.NTamd64]
	// %D%=i,PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4
}
