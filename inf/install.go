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
	if s := d.installSection(base, arch); s != nil {
		return s.name, true
	}
	return "", false
}

func (d *Document) installSection(base string, arch Arch) *Section {
	if s := d.sectionOf(base, ".NT", string(arch)); s != nil {
		return s
	}
	if s := d.sectionOf(base, ".NT"); s != nil {
		return s
	}
	return d.Section(base)
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

// isKey reports whether l is an entry whose substituted key is key, as
// Section.Find and FindAll compare.
func isKey(l *Line, key string) bool {
	return l.kind == Entry && l.hasKey && strings.EqualFold(l.Key(), key)
}

// listValues returns the comma-separated values of every entry with the
// given key in the section (directives may repeat and take lists).
func listValues(s *Section, key string) []string {
	body := s.lines()
	n := 0
	for _, l := range body {
		if isKey(l, key) {
			n += len(l.fields)
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for _, l := range body {
		if !isKey(l, key) {
			continue
		}
		for i := range l.fields {
			if f := strings.TrimSpace(l.Field(i)); f != "" {
				out = append(out, f)
			}
		}
	}
	if len(out) == 0 {
		return nil
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

// reader holds what one reader call (Driver, Install, Services,
// CopyFileList) shares: its warnings, the service-install sections it
// has read, key indexes of the sections it searches, and the file-list
// sections it has resolved.
type reader struct {
	d    *Document
	arch Arch
	w    warnings
	f    finder
	svc  map[*Section]*serviceSection

	// Files: the CopyFiles values seen (sections, folded @files and
	// missing sections), those still to resolve, how many files they
	// hold, and the source and destination sections (set by planFiles).
	secSeen     map[*Section]bool
	fileSeen    map[string]bool
	missingSeen map[string]bool
	plan        []fileItem
	nfiles      int
	located     bool
	srcFiles    []*Section // [SourceDisksFiles.<arch>], [SourceDisksFiles]
	srcDisks    []*Section // [SourceDisksNames.<arch>], [SourceDisksNames]
	destDirs    *Section
}

func (d *Document) newReader(arch Arch) *reader {
	return &reader{d: d, arch: arch, w: warnings{max: d.lim.MaxWarnings}}
}

// archSections returns [base.<arch>] if present, then [base] if present.
func (d *Document) archSections(base string, arch Arch) []*Section {
	var out []*Section
	if arch != "" {
		if s := d.sectionOf(base, ".", string(arch)); s != nil {
			out = append(out, s)
		}
	}
	if s := d.Section(base); s != nil {
		out = append(out, s)
	}
	return out
}

// serviceSection is what a service-install section says.
type serviceSection struct {
	displayName, description, binary, group, startName string
	serviceType                                        ServiceType
	startType                                          StartType
	errorControl                                       ErrorControl
	dependencies, addReg, delReg                       []string
}

// serviceSection reads a service-install section, once per reader call
// however many AddService lines name it.
func (r *reader) serviceSection(is *Section) *serviceSection {
	if ss, ok := r.svc[is]; ok {
		return ss
	}
	ss := &serviceSection{}
	ss.displayName, _ = is.Value("DisplayName")
	ss.description, _ = is.Value("Description")
	v, _ := intValue(is, "ServiceType")
	ss.serviceType = ServiceType(v)
	v, ok := intValue(is, "StartType")
	ss.startType = StartType(v)
	if !ok && r.w.room() {
		r.w.list = append(r.w.list, Warning{Section: is.name, Code: "missing-start-type",
			Msg: "service-install section has no numeric StartType"})
	}
	v, _ = intValue(is, "ErrorControl")
	ss.errorControl = ErrorControl(v)
	ss.binary, _ = is.Value("ServiceBinary")
	ss.group, _ = is.Value("LoadOrderGroup")
	ss.startName, _ = is.Value("StartName")
	ss.dependencies = listValues(is, "Dependencies")
	ss.addReg = listValues(is, "AddReg")
	ss.delReg = listValues(is, "DelReg")
	if r.svc == nil {
		r.svc = make(map[*Section]*serviceSection)
	}
	r.svc[is] = ss
	return ss
}

// Services reads the AddService directives of a section (typically
// "<DDInstall>.Services") and their service-install sections.
func (d *Document) Services(section string) ([]Service, []Warning) {
	s := d.Section(section)
	if s == nil {
		return nil, nil
	}
	r := d.newReader("")
	out := r.services(s)
	return out, r.w.result()
}

func (r *reader) services(s *Section) []Service {
	body := s.lines()
	n := 0
	for _, l := range body {
		if isKey(l, "AddService") {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]Service, 0, n)
	for _, l := range body {
		if !isKey(l, "AddService") || len(l.fields) == 0 {
			continue
		}
		sv := Service{Name: l.Field(0), Line: l}
		if sv.Name == "" {
			continue
		}
		if len(l.fields) > 1 {
			v, _ := parseCInt(l.Field(1))
			sv.Flags = uint32(v)
		}
		if len(l.fields) > 2 {
			sv.InstallSection = l.Field(2)
		}
		if len(l.fields) > 3 {
			sv.EventLogSection = l.Field(3)
		}
		if sv.InstallSection != "" {
			if is := r.d.Section(sv.InstallSection); is == nil {
				if r.w.room() {
					r.w.list = append(r.w.list, Warning{Section: s.name, Line: l.Number(), Code: "missing-service-section",
						Msg: fmt.Sprintf("service-install section [%s] of service %s does not exist", sv.InstallSection, sv.Name)})
				}
			} else {
				ss := r.serviceSection(is)
				sv.DisplayName, sv.Description = ss.displayName, ss.description
				sv.ServiceType, sv.StartType, sv.ErrorControl = ss.serviceType, ss.startType, ss.errorControl
				sv.ServiceBinary, sv.LoadOrderGroup, sv.StartName = ss.binary, ss.group, ss.startName
				sv.Dependencies, sv.AddReg, sv.DelReg = ss.dependencies, ss.addReg, ss.delReg
			}
		}
		out = append(out, sv)
	}
	if len(out) == 0 {
		return nil
	}
	return out
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
// InstallSectionName) and reads its directives and companion sections. It
// fails with ErrNotFound when there is no such section, and with ErrLimit
// when substitution ran out of Limits.MaxSubstitution.
func (d *Document) Install(base string, arch Arch) (*Install, []Warning, error) {
	r := d.newReader(arch)
	in := r.install(base)
	if in == nil {
		return nil, nil, errNoInstall(base, arch)
	}
	if err := d.SubstitutionErr(); err != nil {
		return nil, nil, err
	}
	return in, r.w.result(), nil
}

func errNoInstall(base string, arch Arch) error {
	return fmt.Errorf("%w: no DDInstall section for %q on %s", ErrNotFound, base, arch)
}

// install is Install, nil when there is no DDInstall section.
func (r *reader) install(base string) *Install {
	s := r.d.installSection(base, r.arch)
	if s == nil {
		return nil
	}
	name := s.name
	in := &Install{Base: base, Name: name, FeatureScore: 0xFF}
	in.CopyFiles = listValues(s, "CopyFiles")
	in.AddReg = listValues(s, "AddReg")
	in.DelReg = listValues(s, "DelReg")
	in.Include = listValues(s, "Include")
	in.Needs = listValues(s, "Needs")
	if l := s.Find("FeatureScore"); l != nil {
		v, ok := parseCInt(l.Field(0))
		if ok && v >= 0 && v <= 0xFF {
			in.FeatureScore = uint8(v)
		} else if r.w.room() {
			r.w.list = append(r.w.list, Warning{Section: name, Line: l.Number(), Code: "bad-feature-score",
				Msg: fmt.Sprintf("FeatureScore %q is not a byte", l.Field(0))})
		}
	}
	if l := s.Find("DriverVer"); l != nil {
		dv, err := ParseDriverVer(l.Fields()...)
		if err != nil {
			r.w.add(Warning{Section: name, Line: l.Number(), Code: "bad-driverver", Msg: err.Error()})
		} else {
			in.DriverVer = &dv
		}
	}
	if ss := r.d.sectionOf(name, ".Services"); ss != nil {
		in.Services = r.services(ss)
	}
	if hw := r.d.sectionOf(name, ".HW"); hw != nil {
		in.HWAddReg = listValues(hw, "AddReg")
		in.HWDelReg = listValues(hw, "DelReg")
	}
	return in
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

// sourceDisk finds disk id in [SourceDisksNames.<arch>] then
// [SourceDisksNames].
func (r *reader) sourceDisk(id string) (SourceDisk, bool) {
	for _, s := range r.srcDisks {
		if l := r.f.find(s, id); l != nil && !l.implicitKey {
			return SourceDisk{ID: id, Description: l.Field(0), TagFile: l.Field(1), Path: l.Field(3)}, true
		}
	}
	return SourceDisk{}, false
}

// destination returns the DestinationDirs entry for a file-list section,
// falling back to DefaultDestDir.
func (r *reader) destination(section string) (int, string, bool) {
	s := r.destDirs
	if s == nil {
		return 0, "", false
	}
	for _, k := range [...]string{section, "DefaultDestDir"} {
		if k == "" {
			continue
		}
		if l := r.f.find(s, k); l != nil && !l.implicitKey {
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
// destinations and source locations. A section or @file named more than
// once is resolved once.
func (d *Document) CopyFileList(copyFiles []string, arch Arch) ([]DriverFile, []Warning) {
	r := d.newReader(arch)
	r.plan = make([]fileItem, 0, len(copyFiles))
	r.planFiles(copyFiles)
	return r.resolveFiles(false), r.w.result()
}

// fileItem is a CopyFiles value to resolve: a file-list section, or an
// @file name when s is nil.
type fileItem struct {
	s    *Section
	name string
}

// planFiles queues the CopyFiles values not seen before in this reader
// call, warning about missing sections, and counts the files they hold.
func (r *reader) planFiles(copyFiles []string) {
	if !r.located && len(copyFiles) > 0 {
		r.located = true
		r.srcFiles = r.d.archSections("SourceDisksFiles", r.arch)
		r.srcDisks = r.d.archSections("SourceDisksNames", r.arch)
		r.destDirs = r.d.Section("DestinationDirs")
	}
	for _, cf := range copyFiles {
		if strings.HasPrefix(cf, "@") {
			name := strings.TrimSpace(cf[1:])
			if seen(&r.fileSeen, name) {
				continue
			}
			r.plan = append(r.plan, fileItem{name: name})
			r.nfiles++
			continue
		}
		s := r.d.Section(cf)
		if s == nil {
			if !seen(&r.missingSeen, cf) && r.w.room() {
				r.w.list = append(r.w.list, Warning{Section: cf, Code: "missing-copyfiles-section",
					Msg: fmt.Sprintf("CopyFiles section [%s] does not exist", cf)})
			}
			continue
		}
		if r.secSeen[s] {
			continue
		}
		if r.secSeen == nil {
			r.secSeen = make(map[*Section]bool)
		}
		r.secSeen[s] = true
		r.plan = append(r.plan, fileItem{s: s})
		for _, l := range s.lines() {
			if l.kind == Entry && len(l.fields) > 0 {
				r.nfiles++
			}
		}
	}
}

// seen reports whether name (case-insensitive) is in *set, and adds it.
func seen(set *map[string]bool, name string) bool {
	if _, ok := lookupFoldKey(*set, name); ok {
		return true
	}
	if *set == nil {
		*set = make(map[string]bool)
	}
	(*set)[foldKey(name)] = true
	return false
}

// resolveFiles resolves the queued CopyFiles values, in order, into
// files; distinct keeps only the first file of each section and name.
func (r *reader) resolveFiles(distinct bool) []DriverFile {
	if r.nfiles == 0 {
		return nil
	}
	out := make([]DriverFile, 0, r.nfiles)
	type fileKey struct{ sec, name string }
	var seen map[fileKey]bool
	if distinct {
		seen = make(map[fileKey]bool)
	}
	add := func(f DriverFile, sec string, line int) {
		if distinct {
			k := fileKey{f.Section, foldKey(f.Name)}
			if seen[k] {
				return
			}
			seen[k] = true
		}
		for _, s := range r.srcFiles {
			l := r.f.find(s, f.Source)
			if l == nil {
				continue
			}
			f.Listed = true
			id := l.Field(0)
			if l.implicitKey {
				id = ""
			}
			f.SourceSubdir = l.Field(1)
			if disk, ok := r.sourceDisk(id); ok {
				f.Disk = disk
			} else {
				f.Disk.ID = id
				if r.w.room() {
					r.w.list = append(r.w.list, Warning{Section: s.name, Line: l.Number(), Code: "missing-source-disk",
						Msg: fmt.Sprintf("source disk %q of %s is not in [SourceDisksNames]", id, f.Source)})
				}
			}
			break
		}
		if !f.Listed && r.w.room() {
			r.w.list = append(r.w.list, Warning{Section: sec, Line: line, Code: "unlisted-file",
				Msg: fmt.Sprintf("%s is not listed in [SourceDisksFiles]", f.Source)})
		}
		out = append(out, f)
	}
	for _, it := range r.plan {
		if it.s == nil {
			f := DriverFile{Name: it.name, Source: it.name}
			f.DirID, f.Subdir, f.HasDest = r.destination("")
			add(f, "", 0)
			continue
		}
		s := it.s
		dir, sub, ok := r.destination(s.name)
		for _, l := range s.lines() {
			if l.kind != Entry || len(l.fields) == 0 {
				continue
			}
			name := l.Field(0)
			if name == "" {
				continue
			}
			f := DriverFile{Name: name, Source: name, Section: s.name, DirID: dir, Subdir: sub, HasDest: ok}
			if src := l.Field(1); src != "" {
				f.Source = src
			}
			if len(l.fields) > 3 {
				v, _ := parseCInt(l.Field(3))
				f.Flags = uint32(v)
			}
			add(f, s.name, l.Number())
		}
	}
	r.plan, r.nfiles = nil, 0
	if len(out) == 0 {
		return nil
	}
	return out
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
	n := 0
	for _, dv := range dr.Devices {
		n += 1 + len(dv.CompatibleIDs)
	}
	var out []string
	seen := make(map[string]bool, min(n, 1024))
	for _, dv := range dr.Devices {
		dv.eachID(func(id string) {
			if _, dup := foldLookup(seen, id); !dup {
				seen[fold(id)] = true
				if out == nil {
					out = make([]string, 0, n)
				}
				out = append(out, id)
			}
		})
	}
	return out
}

// eachID calls fn with the hardware ID and then each compatible ID, as IDs
// returns them.
func (m Model) eachID(fn func(string)) {
	if m.HardwareID != "" {
		fn(m.HardwareID)
	}
	for _, c := range m.CompatibleIDs {
		fn(c)
	}
}

// Driver works out what the INF installs on o: the models sections chosen
// for each manufacturer, their devices with resolved DDInstall sections,
// the services and the files. Problems that Windows would trip over are
// reported as warnings; an INF without [Version] or with a wrong signature
// is an error, and so is one listing more than Limits.MaxDevices devices
// or running out of Limits.MaxSubstitution (ErrLimit). A models section
// selected by several manufacturers, a DDInstall section used by several
// models lines and a file-list section named several times are each read
// once.
func (d *Document) Driver(o OS) (*Driver, error) {
	if err := d.CheckSignature(); err != nil {
		return nil, err
	}
	v, err := d.Version()
	if err != nil {
		return nil, err
	}
	r := d.newReader(o.Arch)
	dr := &Driver{OS: o, Version: v, Catalog: v.Catalog(o.Arch)}
	if v.DriverVerErr != nil {
		r.w.add(Warning{Section: "Version", Code: "bad-driverver", Msg: v.DriverVerErr.Error()})
	} else if !v.HasDriverVer {
		r.w.add(Warning{Section: "Version", Code: "missing-driverver", Msg: "no DriverVer (Windows assumes 00/00/0000)"})
	}

	// The models sections chosen, each read once however many
	// manufacturers select it, and the device count.
	mfs := d.Manufacturers()
	if len(mfs) > 0 {
		dr.Manufacturers = make([]ManufacturerChoice, len(mfs))
	}
	read := map[*Section][]Model{}
	total := 0
	for i, m := range mfs {
		ch := ManufacturerChoice{Manufacturer: m}
		if sec, _, ok := m.Select(o); ok {
			ch.Section = sec
			if s := d.Section(sec); s != nil {
				ms, done := read[s]
				if !done {
					ms = s.models()
					read[s] = ms
				}
				ch.Models = ms
			}
		}
		if total += len(ch.Models); total > d.lim.MaxDevices {
			return nil, fmt.Errorf("%w: more than %d devices (models lines, counted for each manufacturer entry that selects them)", ErrLimit, d.lim.MaxDevices)
		}
		dr.Manufacturers[i] = ch
	}
	if total > 0 {
		dr.Devices = make([]Device, 0, total)
	}

	installs := map[string]*Install{}
	var order []*Install
	nsvc := 0
	for i := range dr.Manufacturers {
		ch := &dr.Manufacturers[i]
		m := ch.Manufacturer
		for _, bad := range m.Invalid {
			if r.w.room() {
				r.w.list = append(r.w.list, Warning{Section: "Manufacturer", Line: m.Line.Number(), Code: "bad-decoration",
					Msg: fmt.Sprintf("TargetOSVersion %q is not valid (unstamped INX?)", bad)})
			}
		}
		if ch.Section != "" && d.Section(ch.Section) == nil && r.w.room() {
			r.w.list = append(r.w.list, Warning{Section: "Manufacturer", Line: m.Line.Number(), Code: "missing-models-section",
				Msg: fmt.Sprintf("models section [%s] does not exist", ch.Section)})
		}
		for _, md := range ch.Models {
			in, seen := foldLookup(installs, md.Install)
			if !seen {
				in = r.install(md.Install)
				if in == nil {
					if r.w.room() {
						r.w.list = append(r.w.list, Warning{Section: ch.Section, Line: md.Line.Number(), Code: "missing-install-section",
							Msg: errNoInstall(md.Install, o.Arch).Error()})
					}
				} else {
					order = append(order, in)
					nsvc += len(in.Services)
				}
				installs[fold(md.Install)] = in
			}
			dr.Devices = append(dr.Devices, Device{Model: md, Manufacturer: m.Name, Install: in})
		}
	}

	// Services distinct by name and files distinct by section and name,
	// in first-use order.
	seenSvc := map[string]bool{}
	for _, in := range order {
		for _, s := range in.Services {
			if _, dup := foldLookup(seenSvc, s.Name); !dup {
				seenSvc[fold(s.Name)] = true
				if dr.Services == nil {
					dr.Services = make([]Service, 0, nsvc)
				}
				dr.Services = append(dr.Services, s)
			}
		}
		r.planFiles(in.CopyFiles)
	}
	dr.Files = r.resolveFiles(true)
	if err := d.SubstitutionErr(); err != nil {
		return nil, err
	}
	dr.Warnings = slices.Clip(r.w.result())
	return dr, nil
}
