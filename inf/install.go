package inf

import (
	"fmt"
	"path"
	"slices"
	"strings"
)

// InstallSectionName returns the DDInstall section Windows uses for base on
// arch: base.NT<arch> if it exists, else base.NT, else base; ok is false
// when none exists.
func (d *Document) InstallSectionName(base string, arch Arch) (string, bool) {
	for _, n := range []string{base + ".NT" + string(arch), base + ".NT", base} {
		if s := d.Section(n); s != nil {
			return s.name, true
		}
	}
	return "", false
}

// ServiceType is the ServiceType of a service-install section.
type ServiceType uint32

// Service types (SERVICE_* in winnt.h).
const (
	ServiceKernelDriver     ServiceType = 0x1
	ServiceFileSystemDriver ServiceType = 0x2
	ServiceWin32OwnProcess  ServiceType = 0x10
	ServiceWin32Share       ServiceType = 0x20
)

func (t ServiceType) String() string {
	switch t {
	case ServiceKernelDriver:
		return "SERVICE_KERNEL_DRIVER"
	case ServiceFileSystemDriver:
		return "SERVICE_FILE_SYSTEM_DRIVER"
	case ServiceWin32OwnProcess:
		return "SERVICE_WIN32_OWN_PROCESS"
	case ServiceWin32Share:
		return "SERVICE_WIN32_SHARE_PROCESS"
	}
	return fmt.Sprintf("ServiceType(%#x)", uint32(t))
}

// StartType is the StartType of a service-install section.
type StartType uint32

// Start types.
const (
	StartBoot     StartType = 0 // SERVICE_BOOT_START: loaded by the boot loader
	StartSystem   StartType = 1 // SERVICE_SYSTEM_START
	StartAuto     StartType = 2 // SERVICE_AUTO_START
	StartDemand   StartType = 3 // SERVICE_DEMAND_START
	StartDisabled StartType = 4 // SERVICE_DISABLED
)

func (t StartType) String() string {
	switch t {
	case StartBoot:
		return "SERVICE_BOOT_START"
	case StartSystem:
		return "SERVICE_SYSTEM_START"
	case StartAuto:
		return "SERVICE_AUTO_START"
	case StartDemand:
		return "SERVICE_DEMAND_START"
	case StartDisabled:
		return "SERVICE_DISABLED"
	}
	return fmt.Sprintf("StartType(%#x)", uint32(t))
}

// ErrorControl is the ErrorControl of a service-install section.
type ErrorControl uint32

// Error control levels.
const (
	ErrorIgnore   ErrorControl = 0
	ErrorNormal   ErrorControl = 1
	ErrorSevere   ErrorControl = 2
	ErrorCritical ErrorControl = 3
)

func (e ErrorControl) String() string {
	switch e {
	case ErrorIgnore:
		return "SERVICE_ERROR_IGNORE"
	case ErrorNormal:
		return "SERVICE_ERROR_NORMAL"
	case ErrorSevere:
		return "SERVICE_ERROR_SEVERE"
	case ErrorCritical:
		return "SERVICE_ERROR_CRITICAL"
	}
	return fmt.Sprintf("ErrorControl(%#x)", uint32(e))
}

// AddServiceAssoc is the AddService flag SPSVCINST_ASSOCSERVICE: the
// service is the device's function driver.
const AddServiceAssoc = 0x00000002

// Service is an AddService directive with its service-install section.
type Service struct {
	Name            string
	Flags           uint32
	InstallSection  string
	EventLogSection string
	DisplayName     string
	Description     string
	ServiceType     ServiceType
	StartType       StartType
	ErrorControl    ErrorControl
	ServiceBinary   string // substituted; DIRID tokens such as %12% are kept
	LoadOrderGroup  string
	Dependencies    []string
	StartName       string
	AddReg, DelReg  []string // registry sections of the service-install section
	Line            *Line    // the AddService line
}

// BinaryName returns the file name of ServiceBinary (`%12%\viostor.sys`
// -> "viostor.sys").
func (s Service) BinaryName() string {
	b := strings.ReplaceAll(s.ServiceBinary, `\`, "/")
	return path.Base(b)
}

// listValues returns the comma-separated values of every entry with the
// given key in the section (directives may repeat and take lists).
func listValues(s *Section, key string) []string {
	var out []string
	for _, l := range s.FindAll(key) {
		for _, f := range l.Fields() {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	}
	return out
}

// intValue reads key's first field as an integer (strtol base 0).
func intValue(s *Section, key string) (uint32, bool) {
	l := s.Find(key)
	if l == nil {
		return 0, false
	}
	v, ok := parseCInt(l.Field(0))
	return uint32(v), ok
}

// Services reads the AddService directives of a section (typically
// "<DDInstall>.Services") and their service-install sections.
func (d *Document) Services(section string) ([]Service, []Warning) {
	s := d.Section(section)
	if s == nil {
		return nil, nil
	}
	var out []Service
	var warns []Warning
	for _, l := range s.FindAll("AddService") {
		f := l.Fields()
		if len(f) == 0 || f[0] == "" {
			continue
		}
		sv := Service{Name: f[0], Line: l}
		if len(f) > 1 {
			v, _ := parseCInt(f[1])
			sv.Flags = uint32(v)
		}
		if len(f) > 2 {
			sv.InstallSection = f[2]
		}
		if len(f) > 3 {
			sv.EventLogSection = f[3]
		}
		if sv.InstallSection != "" {
			is := d.Section(sv.InstallSection)
			if is == nil {
				warns = append(warns, Warning{Section: s.name, Line: l.Number(), Code: "missing-service-section",
					Msg: fmt.Sprintf("service-install section [%s] of service %s does not exist", sv.InstallSection, sv.Name)})
			} else {
				sv.DisplayName, _ = is.Value("DisplayName")
				sv.Description, _ = is.Value("Description")
				v, _ := intValue(is, "ServiceType")
				sv.ServiceType = ServiceType(v)
				v, ok := intValue(is, "StartType")
				sv.StartType = StartType(v)
				if !ok {
					warns = append(warns, Warning{Section: is.name, Code: "missing-start-type",
						Msg: "service-install section has no numeric StartType"})
				}
				v, _ = intValue(is, "ErrorControl")
				sv.ErrorControl = ErrorControl(v)
				sv.ServiceBinary, _ = is.Value("ServiceBinary")
				sv.LoadOrderGroup, _ = is.Value("LoadOrderGroup")
				sv.StartName, _ = is.Value("StartName")
				sv.Dependencies = listValues(is, "Dependencies")
				sv.AddReg = listValues(is, "AddReg")
				sv.DelReg = listValues(is, "DelReg")
			}
		}
		out = append(out, sv)
	}
	return out, warns
}

// Install is a resolved DDInstall section and its companions.
type Install struct {
	Base         string     // the name used in the models section
	Name         string     // the decorated section chosen for the architecture
	CopyFiles    []string   // CopyFiles values: file-list sections and @file names
	AddReg       []string   // AddReg sections
	DelReg       []string   // DelReg sections
	Include      []string   // Include INFs
	Needs        []string   // Needs sections
	FeatureScore uint8      // 0xFF when not given
	DriverVer    *DriverVer // a DriverVer in the DDInstall section overrides [Version]
	Services     []Service  // AddService directives of Name.Services
	HWAddReg     []string   // AddReg of Name.HW
	HWDelReg     []string   // DelReg of Name.HW
}

// Install resolves the DDInstall section base for arch (see
// InstallSectionName) and reads its directives and companion sections.
func (d *Document) Install(base string, arch Arch) (*Install, []Warning, error) {
	name, ok := d.InstallSectionName(base, arch)
	if !ok {
		return nil, nil, fmt.Errorf("%w: no DDInstall section for %q on %s", ErrNotFound, base, arch)
	}
	s := d.Section(name)
	in := &Install{Base: base, Name: name, FeatureScore: 0xFF}
	in.CopyFiles = listValues(s, "CopyFiles")
	in.AddReg = listValues(s, "AddReg")
	in.DelReg = listValues(s, "DelReg")
	in.Include = listValues(s, "Include")
	in.Needs = listValues(s, "Needs")
	var warns []Warning
	if l := s.Find("FeatureScore"); l != nil {
		v, ok := parseCInt(l.Field(0))
		if ok && v >= 0 && v <= 0xFF {
			in.FeatureScore = uint8(v)
		} else {
			warns = append(warns, Warning{Section: name, Line: l.Number(), Code: "bad-feature-score",
				Msg: fmt.Sprintf("FeatureScore %q is not a byte", l.Field(0))})
		}
	}
	if l := s.Find("DriverVer"); l != nil {
		dv, err := ParseDriverVer(l.Fields()...)
		if err != nil {
			warns = append(warns, Warning{Section: name, Line: l.Number(), Code: "bad-driverver", Msg: err.Error()})
		} else {
			in.DriverVer = &dv
		}
	}
	svc, w := d.Services(name + ".Services")
	in.Services = svc
	warns = append(warns, w...)
	if hw := d.Section(name + ".HW"); hw != nil {
		in.HWAddReg = listValues(hw, "AddReg")
		in.HWDelReg = listValues(hw, "DelReg")
	}
	return in, warns, nil
}

// SourceDisk is an entry of [SourceDisksNames(.arch)]:
// diskid = description[,tagfile[,unused[,path[,flags[,tagfile]]]]].
type SourceDisk struct {
	ID          string
	Description string
	TagFile     string
	Path        string
}

// DriverFile is one file a driver package installs.
type DriverFile struct {
	Name         string     // destination file name
	Source       string     // source file name (Name unless renamed)
	Section      string     // file-list section ("" for CopyFiles=@file)
	Flags        uint32     // COPYFLG_* of the file-list line
	DirID        int        // destination DIRID (DestinationDirs, else DefaultDestDir)
	Subdir       string     // destination subdirectory
	HasDest      bool       // a destination was found
	Disk         SourceDisk // the source disk, when listed
	SourceSubdir string     // subdirectory from [SourceDisksFiles]
	Listed       bool       // the file is in [SourceDisksFiles(.arch)]
}

// SourcePath returns the file's path inside the driver package, relative
// to the INF's directory, with '/' separators.
func (f DriverFile) SourcePath() string {
	var parts []string
	for _, p := range []string{f.Disk.Path, f.SourceSubdir, f.Source} {
		p = strings.Trim(strings.ReplaceAll(p, `\`, "/"), "/")
		if p != "" && p != "." {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

// sectionFor returns [base.<arch>] if present, else [base].
func (d *Document) sectionFor(base string, arch Arch) []*Section {
	var out []*Section
	if arch != "" {
		if s := d.Section(base + "." + string(arch)); s != nil {
			out = append(out, s)
		}
	}
	if s := d.Section(base); s != nil {
		out = append(out, s)
	}
	return out
}

// sourceDisk finds disk id in [SourceDisksNames.<arch>] then
// [SourceDisksNames].
func (d *Document) sourceDisk(id string, arch Arch) (SourceDisk, bool) {
	for _, s := range d.sectionFor("SourceDisksNames", arch) {
		if l := s.Find(id); l != nil && !l.implicitKey {
			f := l.Fields()
			sd := SourceDisk{ID: id}
			get := func(i int) string {
				if i < len(f) {
					return f[i]
				}
				return ""
			}
			sd.Description, sd.TagFile, sd.Path = get(0), get(1), get(3)
			return sd, true
		}
	}
	return SourceDisk{}, false
}

// destination returns the DestinationDirs entry for a file-list section,
// falling back to DefaultDestDir.
func (d *Document) destination(section string) (int, string, bool) {
	s := d.Section("DestinationDirs")
	if s == nil {
		return 0, "", false
	}
	for _, k := range []string{section, "DefaultDestDir"} {
		if k == "" {
			continue
		}
		if l := s.Find(k); l != nil && !l.implicitKey {
			v, ok := parseCInt(l.Field(0))
			if ok {
				return int(v), l.Field(1), true
			}
		}
	}
	return 0, "", false
}

// CopyFileList resolves CopyFiles values (file-list sections and @file
// names) into the files a driver package needs on arch, with their
// destinations and source locations.
func (d *Document) CopyFileList(copyFiles []string, arch Arch) ([]DriverFile, []Warning) {
	var out []DriverFile
	var warns []Warning
	add := func(f DriverFile, sec string, line int) {
		for _, s := range d.sectionFor("SourceDisksFiles", arch) {
			if l := s.Find(f.Source); l != nil {
				f.Listed = true
				id := l.Field(0)
				if l.implicitKey {
					id = ""
				}
				f.SourceSubdir = l.Field(1)
				if disk, ok := d.sourceDisk(id, arch); ok {
					f.Disk = disk
				} else {
					f.Disk.ID = id
					warns = append(warns, Warning{Section: s.name, Line: l.Number(), Code: "missing-source-disk",
						Msg: fmt.Sprintf("source disk %q of %s is not in [SourceDisksNames]", id, f.Source)})
				}
				break
			}
		}
		if !f.Listed {
			warns = append(warns, Warning{Section: sec, Line: line, Code: "unlisted-file",
				Msg: fmt.Sprintf("%s is not listed in [SourceDisksFiles]", f.Source)})
		}
		out = append(out, f)
	}
	for _, cf := range copyFiles {
		if strings.HasPrefix(cf, "@") {
			name := strings.TrimSpace(cf[1:])
			f := DriverFile{Name: name, Source: name}
			f.DirID, f.Subdir, f.HasDest = d.destination("")
			add(f, "", 0)
			continue
		}
		s := d.Section(cf)
		if s == nil {
			warns = append(warns, Warning{Section: cf, Code: "missing-copyfiles-section",
				Msg: fmt.Sprintf("CopyFiles section [%s] does not exist", cf)})
			continue
		}
		dir, sub, ok := d.destination(s.name)
		for _, l := range s.Entries() {
			fl := l.Fields()
			if len(fl) == 0 || fl[0] == "" {
				continue
			}
			f := DriverFile{Name: fl[0], Source: fl[0], Section: s.name, DirID: dir, Subdir: sub, HasDest: ok}
			if len(fl) > 1 && fl[1] != "" {
				f.Source = fl[1]
			}
			if len(fl) > 3 {
				v, _ := parseCInt(fl[3])
				f.Flags = uint32(v)
			}
			add(f, s.name, l.Number())
		}
	}
	return out, warns
}

// ManufacturerChoice is the models section chosen for one manufacturer.
type ManufacturerChoice struct {
	Manufacturer Manufacturer
	Section      string  // "" when no section applies
	Models       []Model // lines of Section
}

// Device is one models line with its resolved DDInstall section.
type Device struct {
	Model
	Manufacturer string
	Install      *Install // nil when the DDInstall section is missing
}

// Driver is what an INF installs on one OS.
type Driver struct {
	OS            OS
	Version       *VersionInfo
	Catalog       string
	Manufacturers []ManufacturerChoice
	Devices       []Device
	Services      []Service    // distinct by name, in first-use order
	Files         []DriverFile // distinct by section and name
	Warnings      []Warning
}

// HardwareIDs returns every hardware and compatible ID the driver's models
// lines list, in order, without duplicates (case-insensitive).
func (dr *Driver) HardwareIDs() []string {
	var out []string
	seen := map[string]bool{}
	for _, dv := range dr.Devices {
		for _, id := range dv.IDs() {
			k := strings.ToLower(id)
			if !seen[k] {
				seen[k] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// Driver works out what the INF installs on o: the models sections chosen
// for each manufacturer, their devices with resolved DDInstall sections,
// the services and the files. Problems that Windows would trip over are
// reported as warnings; an INF without [Version] or with a wrong signature
// is an error.
func (d *Document) Driver(o OS) (*Driver, error) {
	if err := d.CheckSignature(); err != nil {
		return nil, err
	}
	v, err := d.Version()
	if err != nil {
		return nil, err
	}
	dr := &Driver{OS: o, Version: v, Catalog: v.Catalog(o.Arch)}
	if v.DriverVerErr != nil {
		dr.Warnings = append(dr.Warnings, Warning{Section: "Version", Code: "bad-driverver", Msg: v.DriverVerErr.Error()})
	} else if !v.HasDriverVer {
		dr.Warnings = append(dr.Warnings, Warning{Section: "Version", Code: "missing-driverver", Msg: "no DriverVer (Windows assumes 00/00/0000)"})
	}
	installs := map[string]*Install{}
	seenSvc := map[string]bool{}
	seenFile := map[string]bool{}
	for _, m := range d.Manufacturers() {
		for _, bad := range m.Invalid {
			dr.Warnings = append(dr.Warnings, Warning{Section: "Manufacturer", Line: m.Line.Number(), Code: "bad-decoration",
				Msg: fmt.Sprintf("TargetOSVersion %q is not valid (unstamped INX?)", bad)})
		}
		ch := ManufacturerChoice{Manufacturer: m}
		if sec, _, ok := m.Select(o); ok {
			ch.Section = sec
			if d.Section(sec) == nil {
				dr.Warnings = append(dr.Warnings, Warning{Section: "Manufacturer", Line: m.Line.Number(), Code: "missing-models-section",
					Msg: fmt.Sprintf("models section [%s] does not exist", sec)})
			}
			ch.Models = d.Models(sec)
		}
		dr.Manufacturers = append(dr.Manufacturers, ch)
		for _, md := range ch.Models {
			dv := Device{Model: md, Manufacturer: m.Name}
			k := strings.ToLower(md.Install)
			in, seen := installs[k]
			if !seen {
				var w []Warning
				in, w, err = d.Install(md.Install, o.Arch)
				if err != nil {
					dr.Warnings = append(dr.Warnings, Warning{Section: ch.Section, Line: md.Line.Number(), Code: "missing-install-section", Msg: err.Error()})
					in = nil
				}
				dr.Warnings = append(dr.Warnings, w...)
				installs[k] = in
				if in != nil {
					for _, s := range in.Services {
						if !seenSvc[strings.ToLower(s.Name)] {
							seenSvc[strings.ToLower(s.Name)] = true
							dr.Services = append(dr.Services, s)
						}
					}
					files, fw := d.CopyFileList(in.CopyFiles, o.Arch)
					dr.Warnings = append(dr.Warnings, fw...)
					for _, f := range files {
						fk := strings.ToLower(f.Section + "\x00" + f.Name)
						if !seenFile[fk] {
							seenFile[fk] = true
							dr.Files = append(dr.Files, f)
						}
					}
				}
			}
			dv.Install = in
			dr.Devices = append(dr.Devices, dv)
		}
	}
	dr.Warnings = slices.Clip(dr.Warnings)
	return dr, nil
}
