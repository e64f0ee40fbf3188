// Package winbootkit is a pure-Go SDK for the files that boot Windows and
// WinPE, for people who write PXE servers, imaging pipelines and VM builders
// in Go and test them on Linux, where bcdedit, DISM and regedit do not exist.
//
// The module is a set of independent packages, one per file format:
//
//   - [github.com/winbootkit/winbootkit/hive]: registry hives (regf): read,
//     edit, create, check, replay logs, .reg import and export. Serves offline
//     driver injection into a WinPE SYSTEM hive and text-mode setupreg.hiv.
//   - [github.com/winbootkit/winbootkit/bcd]: BCD stores with bcdedit parity
//     and WinPE RAM-disk and VHD boot recipes. Serves PXE, memdisk and VHD boot.
//   - [github.com/winbootkit/winbootkit/inf]: lossless INF/INX/OEM files,
//     driver-package semantics and registry INF application. Serves driver
//     audits for boot.wim and $WinPEDriver$.
//   - [github.com/winbootkit/winbootkit/sif]: txtsetup.sif and winnt.sif,
//     text-mode storage driver slipstreaming. Serves XP/2003 setup media and
//     XP-era WinPE booted from a RAM disk.
//   - [github.com/winbootkit/winbootkit/peimage]: patching names inside boot
//     binaries, PE checksums and Authenticode tables. Serves multi-image PXE.
//   - [github.com/winbootkit/winbootkit/ramdisk]: SDI containers, RAM-disk
//     options, bootable FAT disk images and ISO rebuilds. Serves memdisk and
//     RAM-disk boot.
//   - [github.com/winbootkit/winbootkit/wim]: WIM headers, XML image
//     information, boot index and integrity. Serves choosing and describing
//     the images of a boot.wim.
//
// Runnable programs under examples/ compose these packages for whole jobs;
// each is a thin main over the public API that runs on built-in stand-ins
// when given no arguments:
//
//   - examples/pxe-multi-pe: several WinPE images from one PXE server
//     (peimage, bcd, sif, ramdisk).
//   - examples/slipstream-virtio: a text-mode storage driver into XP/2003
//     media or an ISO (inf, sif, hive, ramdisk).
//   - examples/winpe-drivers: one driver version across boot.wim and
//     $WinPEDriver$, with drvload scripts and unattend DriverPaths (inf).
//   - examples/memdisk-winpe: a memdisk-bootable WinPE disk image, and
//     swapping the WIM inside one (ramdisk, bcd, wim).
//   - examples/wimboot-vhd: VHD boot entries in a WIMBoot layout and the
//     boot index of a multi-image WIM (bcd, wim).
//
// One tool per package follows the command users know: bcdedit, regtool,
// inftool, slipstream, pepatch, sditool and wiminfo.
package winbootkit
