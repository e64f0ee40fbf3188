package sif

import (
	"strings"

	"github.com/winbootkit/winbootkit/inf"
)

// SourceDisksFile is an entry of [SourceDisksFiles(.arch)], with the 13
// positions ReactOS' txtsetup.sif documents:
//
//	file = disk_id, subdir, size, checksum, unused, unused,
//	       boot_media_id, dest_dir_id, upgrade_dispo, install_dispo,
//	       dest_filename, WinPE_disk_id, WinPE_dir_id
//
// Values are kept as strings: Windows uses tokens such as "4_", "_x" or
// "3_" in the boot-media field whose exact meaning is disputed, and
// ReactOS uses "x" there. The same file may appear more than once with
// different destinations, so entries are not unique by Name.
type SourceDisksFile struct {
	Name               string // the source file name (the entry's key)
	DiskID             string // [SourceDisksNames] id of the medium holding the file
	Subdir             string // subdirectory on that medium
	Size               string
	Checksum           string
	Unused1            string
	Unused2            string
	BootMediaID        string // boot media token: "4_", "_x", "x" (ReactOS: load in setupldr), ...
	DestDirID          string // [WinntDirectories] id of the destination ("4" = system32\drivers)
	UpgradeDisposition string // 0 always copy, 1 copy if present, 2 copy if not present, 3 never
	InstallDisposition string // same values, for a fresh installation
	DestName           string // destination file name when it differs
	WinPEDiskID        string // WinPE (MiniNT) source medium
	WinPEDirID         string // WinPE destination directory id
	Extra              []string
	Line               *inf.Line
}

// Field presets for a text-mode mass-storage driver (spec §2.3).
var (
	// FieldsXP2003 is what dockur/windows writes for XP and 2003:
	// 1,,,,,,4_,4,1,,,1,4. It is the default.
	FieldsXP2003 = SourceDisksFile{DiskID: "1", BootMediaID: "4_", DestDirID: "4", UpgradeDisposition: "1", WinPEDiskID: "1", WinPEDirID: "4"}

	// FieldsNeverCopy is IntegrateDrv's variant, 1,,,,,,4_,4,3,3,,1,4: the
	// dispositions say "never copy" because the [SCSI.Load] entry copies
	// the file already.
	FieldsNeverCopy = SourceDisksFile{DiskID: "1", BootMediaID: "4_", DestDirID: "4", UpgradeDisposition: "3", InstallDisposition: "3", WinPEDiskID: "1", WinPEDirID: "4"}

	// FieldsWin2000 is the Windows 2000 form, 1,,,,,,_x,4,1 (its setup
	// knows no WinPE fields).
	FieldsWin2000 = SourceDisksFile{DiskID: "1", BootMediaID: "_x", DestDirID: "4", UpgradeDisposition: "1"}
)

// ParseSourceDisksFile reads the fields of a [SourceDisksFiles] entry.
func ParseSourceDisksFile(name string, fields []string) SourceDisksFile {
	f := SourceDisksFile{Name: name}
	for i, p := range f.fieldPtrs() {
		*p = field(fields, i)
	}
	if len(fields) > 13 {
		f.Extra = append([]string(nil), fields[13:]...)
	}
	return f
}

func (f *SourceDisksFile) fieldPtrs() [13]*string {
	return [13]*string{&f.DiskID, &f.Subdir, &f.Size, &f.Checksum, &f.Unused1, &f.Unused2,
		&f.BootMediaID, &f.DestDirID, &f.UpgradeDisposition, &f.InstallDisposition,
		&f.DestName, &f.WinPEDiskID, &f.WinPEDirID}
}

// Fields returns the 13 positions and any extra fields, with trailing empty
// fields dropped (as txtsetup.sif writes them).
func (f SourceDisksFile) Fields() []string {
	out := make([]string, 0, 13+len(f.Extra))
	for _, p := range f.fieldPtrs() {
		out = append(out, *p)
	}
	out = append(out, f.Extra...)
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// String renders the entry as a txtsetup.sif line: "name = f1,f2,...".
func (f SourceDisksFile) String() string {
	return f.Name + " = " + strings.Join(f.Fields(), ",")
}

// SourceDisksFiles returns the entries of [SourceDisksFiles.arch], or of
// the undecorated section when arch is "", duplicates included. Values are
// substituted.
func (s *SIF) SourceDisksFiles(arch inf.Arch) []SourceDisksFile {
	lines := entries(s.doc, archSection(SectionSourceDisksFiles, arch))
	var out []SourceDisksFile
	if len(lines) > 0 {
		out = make([]SourceDisksFile, 0, len(lines))
	}
	for _, l := range lines {
		f := ParseSourceDisksFile(l.Key(), l.Fields())
		f.Line = l
		out = append(out, f)
	}
	return out
}

// FilesSection returns the [SourceDisksFiles] section a driver for arch
// goes into: [SourceDisksFiles.arch] when it lists files, else the
// undecorated [SourceDisksFiles] when it exists (ReactOS lists every file
// there and keeps [SourceDisksFiles.x86] empty), else
// [SourceDisksFiles.arch], which an edit then creates.
func (s *SIF) FilesSection(arch inf.Arch) string {
	dec := archSection(SectionSourceDisksFiles, arch)
	if sec := s.doc.Section(dec); sec != nil && len(sec.Entries()) > 0 {
		return sec.Name()
	}
	if sec := s.doc.Section(SectionSourceDisksFiles); sec != nil {
		return sec.Name()
	}
	return dec
}
