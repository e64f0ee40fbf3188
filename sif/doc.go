// Package sif edits the text-mode setup files of Windows 2000, XP and Server
// 2003 (and ReactOS) installation media and XP-era WinPE, so that they find a
// storage controller they have no driver for — virtio's viostor in a cloud
// VM, a SATA or RAID controller — without an F6 floppy, as nLite and
// IntegrateDrv do on Windows; and it writes the winnt.sif that boots such a
// WinPE over PXE from a RAM disk.
//
// # txtsetup.sif
//
// Parse and Open read a txtsetup.sif into a SIF, a typed view over the
// lossless inf.Document: [SourceDisksNames(.arch)], [SourceDisksFiles(.arch)]
// as SourceDisksFile values with the 13 named fields (duplicate keys are
// kept: the same file may be listed for two destinations), [WinntDirectories]
// or [Directories], every *.Load section, [SCSI]-style description sections,
// [HardwareIdsDatabase], [FileFlags] and [SetupData].
//
// # Slipstreaming a text-mode driver
//
// NewSlipstream resolves one option of a txtsetup.oem (parsed with
// inf.ParseOEM) for x86 or amd64 media into a Slipstream, a plan to inspect
// before anything changes. With the service name S (the driver file name F.sys
// without extension) and the option's description D, the plan holds:
//
//   - txtsetup.sif entries: "F.sys = 1,,,,,,4_,4,1,,,1,4" in
//     [SourceDisksFiles(.arch)] (the field set is a template), "S = F.sys,4"
//     in [SCSI.Load], `S = "D"` in [SCSI], `HWID = "S"` in
//     [HardwareIdsDatabase] per hardware ID, "F.sys = 16" in [FileFlags];
//   - registry values, as hivesys.inf [AddReg] lines (Slipstream.HiveLines):
//     CriticalDeviceDatabase\<hardware ID with \ as #, lower-cased> with
//     Service and ClassGUID, the service key (Type, Start, ErrorControl,
//     Group, ImagePath, from the driver INF when one is given, and the
//     service's AddReg values), and the [Config.DriverKey] values;
//   - the files to copy, with the makecab form F.sy_ (WriteCabinet writes
//     MSZIP cabinets), and 0PE's CHKPCI.TXT auto-load entries.
//
// ApplySIF, ApplyHiveINF (hivesys.inf), ApplyHive and ApplyRegistry
// (setupreg.hiv and other hives), CopyFiles and CHKPCI.Add apply it. Each
// is idempotent — a second application changes nothing — and has a Remove
// counterpart; removing a driver from a txtsetup.sif, hive INF or
// CHKPCI.TXT it was added to gives the original bytes back. A second driver
// goes in alongside the first. The rules follow IntegrateDrv,
// dockur/windows' sif.sh and the txtsetup.oem documentation (spec §2.3 of
// the project notes).
//
// # Setup hives and winnt.sif
//
// BuildSetupHive builds a text-mode setup hive (SETUPREG.HIV) from hive
// INFs the way ReactOS' mkhive does: hivesys.inf, the drivers' *_reg.inf,
// then setupreg.inf, each applying [DelReg] before [AddReg]
// (inf.ApplyHiveINF), with HKLM mapped to a configurable root.
//
// NewWinnt builds and ParseWinnt reads a winnt.sif whose [SetupData]
// boots setupldr from a RAM disk: BootDevice "ramdisk(0)", BootPath and
// OsLoadOptions, whose options are the ramdisk package's BootOptions
// (/MININT, /RDPATH=, /RDIMAGEOFFSET=, ...). The community spelling
// /rdoffset= is read as /RDIMAGEOFFSET= with a warning and never written
// by an edit.
//
// UnifiedDiff shows what an edit did, in diff -u format.
//
// # Round-tripping
//
// Parsing a txtsetup.sif, winnt.sif, hive INF or CHKPCI.TXT and writing it
// back unedited gives the input byte for byte; an edit touches only its own
// lines and writes them in the file's encoding and line-ending style. New
// sections go at the end of the file after a blank line that the edit
// always adds, so that removal can take it away again. Two things cannot be
// undone by a removal: a [HardwareIdsDatabase] entry that the slipstream
// updated in place (its old service is not recorded in the file), and an
// entry identical to the slipstream's that was there before (it is removed
// as the slipstream's). Hives are edited through the hive package, which
// rewrites only the cells it touches; removal from a hive restores its
// content, not its bytes.
//
// Every edit is all or nothing: ApplySIF, RemoveSIF, ApplyHiveINF and
// RemoveHiveINF first run on a copy of the document and change it only when
// the copy succeeded; ApplyHive does the same with a copy of the hive; and
// every file is saved through a temporary file renamed over the target, so
// a failure never leaves a half-edited file.
//
// # Security
//
// Every input is treated as hostile: txtsetup.oem, txtsetup.sif, winnt.sif,
// hive INFs, CHKPCI.TXT and the driver disk's files. Text files are read
// only up to Limits.MaxFileSize and parsed by the inf package, which bounds
// its allocations by the input and never panics; driver files are read up
// to Limits.MaxDriverFileSize; an option with more than
// Limits.MaxHardwareIDs hardware IDs, or whose slipstream would write more
// than Limits.MaxRegistryValues registry values, is refused. Names that end up in paths
// are checked: the driver file must be a plain 8.3 name, driver disk paths
// must be valid fs.FS paths (no ".."), and every destination must stay
// inside the media directory given (a txtsetup.sif naming "..\x" as its
// source directory is refused). Errors wrap the sentinels of errors.go;
// parse failures are *FormatError with the offset and line. Nothing here
// runs external programs.
//
// # Limits
//
// Limits holds the bounds, with defaults: 64 MiB per text file, 256 MiB
// per driver file, 2048 hardware IDs per option, 6144 registry values per
// slipstream. Exceeding one fails with ErrLimit. The inf package's own
// limits (line length, continuation, section count, field length) apply to
// every text file as well.
//
// [TxtSetup.oem File Format]: https://learn.microsoft.com/previous-versions/windows/hardware/drivers/ff553509(v=vs.85)
// [MS-CAB]: https://learn.microsoft.com/openspecs/exchange_server_protocols/ms-cab
// [IntegrateDrv]: https://github.com/TalAloni/IntegrateDrv
// [mkhive]: https://github.com/reactos/reactos/tree/master/sdk/tools/mkhive
package sif
