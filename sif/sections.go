package sif

import (
	"strconv"
	"strings"

	"github.com/winbootkit/winbootkit/inf"
)

// Section names of txtsetup.sif used by the model.
const (
	SectionSourceDisksNames    = "SourceDisksNames"
	SectionSourceDisksFiles    = "SourceDisksFiles"
	SectionWinntDirectories    = "WinntDirectories" // Windows
	SectionDirectories         = "Directories"      // ReactOS
	SectionSCSILoad            = "SCSI.Load"
	SectionSCSI                = "SCSI"
	SectionHardwareIdsDatabase = "HardwareIdsDatabase"
	SectionFileFlags           = "FileFlags"
	SectionSetupData           = "SetupData"
)

// archSection returns "name.arch", or name when arch is "".
func archSection(name string, arch inf.Arch) string {
	if arch == "" {
		return name
	}
	return name + "." + string(arch)
}

// SourceDiskName is an entry of [SourceDisksNames(.arch)]:
// id = description, tagfile, unused, subdirectory[, flags, tagfile].
type SourceDiskName struct {
	ID          string
	Description string
	TagFile     string
	Unused      string
	Subdir      string // media directory, such as \i386 or \reactos
	Flags       string
	TagFile2    string
	Line        *inf.Line
}

// SourceDisksNames returns the entries of [SourceDisksNames.arch], or of
// the undecorated section when arch is "". Values are substituted.
func (s *SIF) SourceDisksNames(arch inf.Arch) []SourceDiskName {
	lines := entries(s.doc, archSection(SectionSourceDisksNames, arch))
	var out []SourceDiskName
	if len(lines) > 0 {
		out = make([]SourceDiskName, 0, len(lines))
	}
	for _, l := range lines {
		f := l.Fields()
		out = append(out, SourceDiskName{ID: l.Key(), Description: field(f, 0), TagFile: field(f, 1),
			Unused: field(f, 2), Subdir: field(f, 3), Flags: field(f, 4), TagFile2: field(f, 5), Line: l})
	}
	return out
}

// SourceDisk returns the source disk id for arch: the entry of
// [SourceDisksNames.arch] if there is one, else of [SourceDisksNames].
func (s *SIF) SourceDisk(arch inf.Arch, id string) (SourceDiskName, bool) {
	for _, a := range []inf.Arch{arch, ""} {
		for _, d := range s.SourceDisksNames(a) {
			if strings.EqualFold(d.ID, id) {
				return d, true
			}
		}
		if a == "" {
			break
		}
	}
	return SourceDiskName{}, false
}

// Directory is an entry of [WinntDirectories] (Windows) or [Directories]
// (ReactOS): id = path relative to the Windows directory.
type Directory struct {
	ID   string
	Path string
	Line *inf.Line
}

// DirectoriesSection returns the name of the destination directory section
// the file has: WinntDirectories, else Directories ("" when neither).
func (s *SIF) DirectoriesSection() string {
	for _, n := range []string{SectionWinntDirectories, SectionDirectories} {
		if sec := s.doc.Section(n); sec != nil {
			return sec.Name()
		}
	}
	return ""
}

// Directories returns the destination directories (see DirectoriesSection).
func (s *SIF) Directories() []Directory {
	lines := entries(s.doc, s.DirectoriesSection())
	var out []Directory
	if len(lines) > 0 {
		out = make([]Directory, 0, len(lines))
	}
	for _, l := range lines {
		out = append(out, Directory{ID: l.Key(), Path: l.Field(0), Line: l})
	}
	return out
}

// Directory returns the path of a destination directory ID.
func (s *SIF) Directory(id string) (string, bool) {
	for _, d := range s.Directories() {
		if strings.EqualFold(d.ID, id) {
			return d.Path, true
		}
	}
	return "", false
}

// LoadEntry is an entry of a *.Load section such as [SCSI.Load]:
// service = file[, destination directory ID[, destination name]].
type LoadEntry struct {
	Service   string
	File      string
	DestDirID string // "" when absent (ReactOS); Windows copies the file only when it is given
	DestName  string
	Extra     []string
	Line      *inf.Line
}

// LoadSections returns the names of the sections whose name ends in
// ".Load" ([SCSI.Load], [BootBusExtenders.Load], ...), in file order.
func (s *SIF) LoadSections() []string {
	var out []string
	for _, sec := range s.doc.Sections() {
		if n := sec.Name(); len(n) > len(".Load") && strings.EqualFold(n[len(n)-len(".Load"):], ".Load") {
			out = append(out, n)
		}
	}
	return out
}

// Load returns the entries of a *.Load section (nil when it is missing).
func (s *SIF) Load(section string) []LoadEntry {
	lines := entries(s.doc, section)
	var out []LoadEntry
	if len(lines) > 0 {
		out = make([]LoadEntry, 0, len(lines))
	}
	for _, l := range lines {
		f := l.Fields()
		e := LoadEntry{Service: l.Key(), File: field(f, 0), DestDirID: field(f, 1), DestName: field(f, 2), Line: l}
		if len(f) > 3 {
			e.Extra = append([]string(nil), f[3:]...)
		}
		out = append(out, e)
	}
	return out
}

// Description is an entry of a section such as [SCSI] that names what a
// key stands for: key = "description".
type Description struct {
	Key   string
	Value string
	Line  *inf.Line
}

// Descriptions returns the entries of a description section such as [SCSI].
func (s *SIF) Descriptions(section string) []Description {
	lines := entries(s.doc, section)
	var out []Description
	if len(lines) > 0 {
		out = make([]Description, 0, len(lines))
	}
	for _, l := range lines {
		out = append(out, Description{Key: l.Key(), Value: l.Field(0), Line: l})
	}
	return out
}

// HardwareIDEntry is an entry of [HardwareIdsDatabase]:
// hardware ID = "service"[, class GUID].
type HardwareIDEntry struct {
	ID        string
	Service   string
	ClassGUID string
	Line      *inf.Line
}

// HardwareIDs returns the entries of [HardwareIdsDatabase].
func (s *SIF) HardwareIDs() []HardwareIDEntry {
	lines := entries(s.doc, SectionHardwareIdsDatabase)
	var out []HardwareIDEntry
	if len(lines) > 0 {
		out = make([]HardwareIDEntry, 0, len(lines))
	}
	for _, l := range lines {
		out = append(out, HardwareIDEntry{ID: l.Key(), Service: l.Field(0), ClassGUID: l.Field(1), Line: l})
	}
	return out
}

// FileFlag is an entry of [FileFlags]: file = flags. Flags 16 tells
// GUI-mode setup that text-mode setup already handled the file.
type FileFlag struct {
	File  string
	Flags string
	Line  *inf.Line
}

// Value returns the flags as a number (decimal or 0x hex).
func (f FileFlag) Value() (uint32, bool) {
	v, err := strconv.ParseUint(strings.TrimSpace(f.Flags), 0, 32)
	return uint32(v), err == nil
}

// FileFlags returns the entries of [FileFlags].
func (s *SIF) FileFlags() []FileFlag {
	lines := entries(s.doc, SectionFileFlags)
	var out []FileFlag
	if len(lines) > 0 {
		out = make([]FileFlag, 0, len(lines))
	}
	for _, l := range lines {
		out = append(out, FileFlag{File: l.Key(), Flags: l.Field(0), Line: l})
	}
	return out
}

// SetupData returns the first field of the [SetupData] entry key (such as
// OsLoadOptions, DefaultPath or MinorVersion), substituted.
func (s *SIF) SetupData(key string) (string, bool) {
	sec := s.doc.Section(SectionSetupData)
	if sec == nil {
		return "", false
	}
	return sec.Value(key)
}

func entries(d *inf.Document, section string) []*inf.Line {
	if section == "" {
		return nil
	}
	sec := d.Section(section)
	if sec == nil {
		return nil
	}
	return sec.Entries()
}

func field(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}
