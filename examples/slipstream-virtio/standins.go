package main

import (
	"io/fs"
	"strings"
	"testing/fstest" // an in-memory fs.FS; it does not import package testing
	"time"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/peimage"
	"github.com/winbootkit/winbootkit/sif"
)

// standInTime is the time stamp of everything the stand-ins hold, so that
// two runs give the same bytes.
var standInTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// The stand-in files were written for this example, after the layout of
// virtio-win's driver disk and of Windows XP's I386 directory; they are not
// copies of either. Text-mode setup files use CRLF line endings.

const standInOEM = `; txtsetup.oem of the winbootkit slipstream-virtio demo: a stand-in
; driver for the virtio block device (PCI 1AF4:1001), not Red Hat's.

[Disks]
d1 = "VirtIO storage stand-in disk", \disk1.tag, \xp\x86

[Defaults]
scsi = VIOSTOR_XP

[scsi]
VIOSTOR_XP = "VirtIO block storage (stand-in), Windows XP x86"

[Files.scsi.VIOSTOR_XP]
driver = d1, viostor.sys, viostor
inf    = d1, viostor.inf

[HardwareIds.scsi.VIOSTOR_XP]
id = "PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00", "viostor"
id = "PCI\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01", "viostor"

[Config.viostor]
value = Parameters\PnpInterface, 5, REG_DWORD, 1
`

const standInINF = `; viostor.inf of the winbootkit slipstream-virtio demo (a stand-in).

[Version]
Signature   = "$WINDOWS NT$"
Class       = SCSIAdapter
ClassGUID   = {4D36E97B-E325-11CE-BFC1-08002BE10318}
Provider    = %Vendor%
DriverVer   = 01/01/2024,1.0.0.0

[DestinationDirs]
DefaultDestDir = 12

[SourceDisksNames]
1 = %Disk%,,,

[SourceDisksFiles]
viostor.sys = 1

[Manufacturer]
%Vendor% = Models, NTx86

[Models.NTx86]
%Device% = viostor_inst, PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00
%Device% = viostor_inst, PCI\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01

[viostor_inst]
CopyFiles = viostor_files

[viostor_files]
viostor.sys

[viostor_inst.Services]
AddService = viostor, 0x00000002, viostor_service

[viostor_service]
ServiceType    = 1
StartType      = 0
ErrorControl   = 1
ServiceBinary  = %12%\viostor.sys
LoadOrderGroup = SCSI miniport
AddReg         = viostor_parameters

[viostor_parameters]
HKR, "Parameters", "BusType", 0x00010001, 0x00000001

[Strings]
Vendor = "winbootkit demo"
Disk   = "VirtIO storage stand-in disk"
Device = "VirtIO block storage (stand-in)"
`

const standInSIF = `; txtsetup.sif of the winbootkit slipstream-virtio demo: the sections
; of Windows XP's that a text-mode storage driver goes into (a stand-in).

[Version]
Signature = "$Windows NT$"

[SetupData]
MinorVersion = 1
DefaultPath = \WINDOWS

[SourceDisksNames.x86]
1 = %cdname%, %cdtagfile%,, \i386

[SourceDisksFiles.x86]
atapi.sys = 1,,,,,,3_,4,1,,,1,4
pciide.sys = 1,,,,,,3_,4,1,,,1,4

[WinntDirectories]
1 = "\"
2 = system32
4 = system32\drivers

[SCSI.Load]
atapi = atapi.sys,4

[SCSI]
atapi = "Standard IDE/ESDI Hard Disk Controller"

[HardwareIdsDatabase]
PCI\CC_0101 = "pciide"

[FileFlags]

[Strings]
cdname = "Windows XP Professional CD (stand-in)"
cdtagfile = "\win51ip"
`

const standInHivesys = `; hivesys.inf of the winbootkit slipstream-virtio demo (a stand-in).

[Version]
Signature = "$Windows NT$"

[AddReg]
HKLM,"SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\pci#cc_0101","Service",0x00000000,"pciide"
HKLM,"SYSTEM\CurrentControlSet\Services\atapi","ErrorControl",0x00010001,1
HKLM,"SYSTEM\CurrentControlSet\Services\atapi","Start",0x00010001,0
HKLM,"SYSTEM\CurrentControlSet\Services\atapi","Type",0x00010001,1
`

// standInHiveOptions give hives the fixed clock of the stand-ins.
func standInHiveOptions() *hive.Options {
	return &hive.Options{Now: func() time.Time { return standInTime }}
}

// standInMedia are the embedded inputs.
type standInMedia struct {
	disk, media fs.FS
	oem, inf    []byte
}

// crlf gives text the line endings of text-mode setup files.
func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

// standIns builds the embedded driver disk and setup media: the text files
// above, a small PE (peimage.BuildPE) in place of viostor.sys, and a
// SETUPREG.HIV built from the hivesys.inf as ReactOS' mkhive builds one.
func standIns() (*standInMedia, error) {
	sys, err := peimage.BuildPE(peimage.PESpec{Subsystem: peimage.SubsystemNative, Sections: []peimage.SectionSpec{
		{Name: ".text", Data: []byte{0x33, 0xc0, 0xc2, 0x08, 0x00}, Characteristics: 0x60000020}, // xor eax,eax; ret 8
		{Name: ".rdata", Data: []byte("winbootkit stand-in for viostor.sys; not a driver\x00")},
	}})
	if err != nil {
		return nil, err
	}
	hivesys := crlf(standInHivesys)
	d, err := inf.Parse(hivesys, nil)
	if err != nil {
		return nil, err
	}
	h, _, err := sif.BuildSetupHive(&sif.SetupHiveOptions{Hive: standInHiveOptions()}, d)
	if err != nil {
		return nil, err
	}
	file := func(b []byte) *fstest.MapFile {
		return &fstest.MapFile{Data: b, Mode: 0o644, ModTime: standInTime}
	}
	m := &standInMedia{
		oem: crlf(standInOEM),
		inf: crlf(standInINF),
		disk: fstest.MapFS{
			"disk1.tag":          file(nil),
			"xp/x86/viostor.sys": file(sys),
			"xp/x86/viostor.inf": file(crlf(standInINF)),
		},
		media: fstest.MapFS{
			"I386/TXTSETUP.SIF": file(crlf(standInSIF)),
			"I386/HIVESYS.INF":  file(hivesys),
			"I386/SETUPREG.HIV": file(h.Bytes()),
		},
	}
	m.disk.(fstest.MapFS)["txtsetup.oem"] = file(m.oem)
	return m, nil
}
