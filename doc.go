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
// Runnable programs that compose these packages live under examples/, each
// a thin main over the packages; see the README for the commands.
//
// Packages that do not exist yet in a given release are planned by the
// project's issues; the README lists what is available.
package winbootkit
