package sif

import (
	"fmt"
	"path"
	"strings"

	"github.com/winbootkit/winbootkit/inf"
)

// ClassGUIDSCSIAdapter is the setup class of storage controllers
// (SCSIAdapter), the class GUID used for a scsi option when neither the
// driver INF nor the txtsetup.oem names one.
const ClassGUIDSCSIAdapter = "{4D36E97B-E325-11CE-BFC1-08002BE10318}"

// ServicesKey and CriticalDeviceKey are the hivesys.inf paths (below HKLM)
// under which a text-mode driver's registry values go.
const (
	ServicesKey       = `SYSTEM\CurrentControlSet\Services`
	CriticalDeviceKey = `SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase`
)

// SlipstreamOptions say which driver of a txtsetup.oem to integrate and how.
// The zero value (or nil) integrates the default scsi option for x86.
type SlipstreamOptions struct {
	// Component is the txtsetup.oem component. Default "scsi", the only
	// one this package integrates (mass-storage drivers).
	Component string

	// ID is the option of the component. Default: the component's
	// [Defaults] entry.
	ID string

	// Arch is the architecture of the setup media: inf.X86 (I386) or
	// inf.AMD64 (AMD64). Default inf.X86.
	Arch inf.Arch

	// DriverINF is the driver's PnP INF (an INX already stamped). When
	// given, it supplies the class GUID, the service values (type, start,
	// error control, group, image path) and the service's AddReg values.
	DriverINF *inf.Document

	// OS selects the INF's models and install sections. Default Windows
	// XP (5.1) for x86, Windows Server 2003 (5.2) for amd64.
	OS *inf.OS

	// Fields is the template of the [SourceDisksFiles] entry (its Name is
	// ignored). Default FieldsXP2003: 1,,,,,,4_,4,1,,,1,4.
	Fields *SourceDisksFile

	// FilesSection names the [SourceDisksFiles] section to use. Default:
	// chosen per file by SIF.FilesSection.
	FilesSection string

	// NoFileFlags leaves [FileFlags] alone. By default the driver gets
	// "file = 16", so that GUI-mode setup does not copy it again.
	NoFileFlags bool

	// ConfigSection names the [Config.X] section whose values go under the
	// service key. Default: the driver line's DriverKey, as text-mode
	// setup does. virtio-win's txtsetup.oem names its sections after the
	// option ID instead, which setup never applies; set ConfigSection to
	// the ID to apply them anyway.
	ConfigSection string

	// ClassGUID overrides the class GUID of the CriticalDeviceDatabase
	// entries.
	ClassGUID string

	// MediaDir is the directory of the setup media that holds the driver
	// files. Default "I386" for x86, "AMD64" for amd64 (see also
	// MediaDirFor, which reads it from a txtsetup.sif).
	MediaDir string

	// Limits bound what is accepted. Zero fields take DefaultLimits.
	Limits Limits
}

// ServiceValues are the values of a text-mode driver's service key.
type ServiceValues struct {
	Type         uint32 // 1: kernel driver
	Start        uint32 // 0: boot start
	ErrorControl uint32 // 1: normal
	Group        string // "SCSI miniport"
	ImagePath    string // system32\drivers\<file>, relative to %SystemRoot%
}

// RegValue is one registry value a slipstream writes, with its key below
// HKLM as hivesys.inf names it (SYSTEM\CurrentControlSet\...).
type RegValue struct {
	Key    string      `json:"key"`
	Name   string      `json:"name"`
	Type   inf.RegType `json:"type"`
	Data   []byte      `json:"data"`
	Origin string      `json:"origin"` // "critical-device", "service", "inf", "config"
}

// Line renders the value as a hivesys.inf [AddReg] line:
// HKLM,"key","name",flags,data.
func (v RegValue) Line() (string, error) {
	return inf.FormatRegLine("HKLM", v.Key, v.Name, v.Type, v.Data)
}

// SIFEntry is one entry a slipstream puts into txtsetup.sif.
type SIFEntry struct {
	// Section is the section name. For the [SourceDisksFiles] entry it is
	// "" unless SlipstreamOptions.FilesSection was given: the section is
	// then chosen per txtsetup.sif (SIF.FilesSection).
	Section string   `json:"section"`
	Key     string   `json:"key"`
	Fields  []string `json:"fields"`
	Text    string   `json:"text"` // the line as written
	role    entryRole
}

type entryRole uint8

const (
	roleFile entryRole = iota
	roleLoad
	roleDescription
	roleHardwareID
	roleFileFlags
)

// FileCopy is one file of the driver disk and where it goes.
type FileCopy struct {
	Type string `json:"type"` // driver, inf, catalog, dll, ...
	// Source is the path on the driver disk, relative to the directory of
	// txtsetup.oem, with '/' separators.
	Source string `json:"source"`
	// Media is the path on the setup media, with '/' separators:
	// I386/viostor.sys for the driver.
	Media string `json:"media"`
	// Compressed is the makecab form of Media (I386/viostor.sy_), which
	// setup expands; "" for files that are not copied that way.
	Compressed string `json:"compressed,omitempty"`
	// Install is where setup puts the file, relative to %SystemRoot%
	// (system32\drivers\viostor.sys), or the system drive for $OEM$
	// files; "" when setup does not install it.
	Install string `json:"install,omitempty"`
	Note    string `json:"note,omitempty"`
}

// PCIEntry is an auto-load entry of 0PE's CHKPCI.TXT: a PCI hardware ID
// without its &REV_xx part and the upper-cased service to load.
type PCIEntry struct {
	ID      string `json:"id"`
	Service string `json:"service"`
}

// Slipstream is the resolved integration of one text-mode mass-storage
// driver: what it adds to txtsetup.sif, to hive INFs and setup hives, which
// files it copies where, and its 0PE auto-load entries. Build it with
// NewSlipstream, inspect it, then apply it with ApplySIF, ApplyHiveINF,
// ApplyHive, CopyFiles and CHKPCI.Add; each has a Remove counterpart.
type Slipstream struct {
	Arch        inf.Arch
	Component   string
	ID          string
	Description string
	Service     string // the service name: the driver file name without extension
	DriverFile  string // the driver file name, F.sys
	DriverKey   string // the driver line's DriverKey (names [Config.DriverKey])
	Disk        string // the txtsetup.oem disk holding the driver
	HardwareIDs []string
	ClassGUID   string
	Values      ServiceValues

	Entries  []SIFEntry // txtsetup.sif entries, in the order they are applied
	Registry []RegValue // hive values, in the order they are applied
	Copies   []FileCopy
	PCI      []PCIEntry // 0PE CHKPCI.TXT entries
	Warnings []Warning

	fields       SourceDisksFile
	filesSection string
	files        []diskFile
	limits       Limits
}

// diskFile is a [Files.component.ID] entry with its disk's directory.
type diskFile struct {
	Type, Name, Dir string
	HasDisk         bool
}

// NewSlipstream resolves the integration of a txtsetup.oem option. It
// fails, changing nothing anywhere, when the option does not exist
// (ErrNotFound), has no driver line (ErrNoDriver), names a driver file that
// is not an 8.3 name or a component other than scsi (ErrInvalid), or lists
// more hardware IDs or writes more registry values than the limits
// (ErrLimit). Questionable but usable input gives Warnings.
func NewSlipstream(oem *inf.OEM, opts *SlipstreamOptions) (*Slipstream, error) {
	var o SlipstreamOptions
	if opts != nil {
		o = *opts
	}
	if oem == nil || oem.Doc == nil {
		return nil, fmt.Errorf("sif: no txtsetup.oem given: %w", ErrInvalid)
	}
	s := &Slipstream{limits: o.Limits.withDefaults(), filesSection: o.FilesSection}
	if o.Component == "" {
		o.Component = "scsi"
	}
	if !strings.EqualFold(o.Component, "scsi") {
		return nil, fmt.Errorf("sif: component %q: only scsi (mass-storage) drivers can be slipstreamed: %w", o.Component, ErrInvalid)
	}
	switch o.Arch {
	case "":
		o.Arch = inf.X86
	case inf.X86, inf.AMD64:
	default:
		return nil, fmt.Errorf("sif: architecture %q: text-mode setup media exist for x86 and amd64 only: %w", o.Arch, ErrInvalid)
	}
	s.Arch = o.Arch
	if o.ID == "" {
		o.ID = oem.Default(o.Component)
		if o.ID == "" {
			return nil, fmt.Errorf("sif: txtsetup.oem has no [Defaults] entry for %s and no ID was given (options: %s): %w",
				o.Component, optionList(oem, o.Component), ErrNotFound)
		}
	}
	op := oem.Option(o.Component, o.ID)
	if op == nil {
		return nil, fmt.Errorf("sif: txtsetup.oem offers no %s option %q (options: %s): %w",
			o.Component, o.ID, optionList(oem, o.Component), ErrNotFound)
	}
	s.Component, s.ID, s.Description = op.Component, op.ID, strings.TrimSpace(op.Description)
	dr := op.Driver()
	if dr == nil {
		return nil, fmt.Errorf("sif: option %s has no driver line in [Files.%s.%s]: %w", op.ID, op.Component, op.ID, ErrNoDriver)
	}
	if err := check83(dr.Name); err != nil {
		return nil, err
	}
	s.DriverFile, s.DriverKey, s.Disk = dr.Name, dr.DriverKey, dr.Disk
	s.Service = op.Service()
	if !strings.EqualFold(path.Ext(dr.Name), ".sys") {
		s.warn("driver-extension", "", "driver file %q does not end in .sys", dr.Name)
	}
	if s.Description == "" {
		s.Description = s.ID
		s.warn("no-description", op.Component, "option %s has no description; its ID is used", op.ID)
	}
	if len(op.HardwareIDs) > s.limits.MaxHardwareIDs {
		return nil, fmt.Errorf("sif: option %s lists %d hardware IDs, over the limit of %d: %w",
			op.ID, len(op.HardwareIDs), s.limits.MaxHardwareIDs, ErrLimit)
	}
	seen := map[string]bool{}
	for _, h := range op.HardwareIDs {
		id := strings.TrimSpace(h.ID)
		switch {
		case id == "":
			s.warn("empty-hardware-id", "HardwareIds."+op.Component+"."+op.ID, "an entry has no hardware ID; skipped")
			continue
		case !plainKey(id):
			s.warn("bad-hardware-id", "HardwareIds."+op.Component+"."+op.ID,
				"hardware ID %q has characters a txtsetup.sif key cannot hold as they are; skipped", id)
			continue
		case seen[strings.ToUpper(id)]:
			continue
		}
		seen[strings.ToUpper(id)] = true
		s.HardwareIDs = append(s.HardwareIDs, id)
		if h.ClassGUID != "" && s.ClassGUID == "" {
			s.ClassGUID = h.ClassGUID
		}
	}
	if len(s.HardwareIDs) == 0 {
		s.warn("no-hardware-ids", "", "option %s lists no hardware IDs: setup loads the driver but no device is matched to it", op.ID)
	}
	s.lintOEM(oem, op)
	s.checkArch(oem, dr)

	s.Values = ServiceValues{Type: 1, Start: 0, ErrorControl: 1, Group: "SCSI miniport", ImagePath: `system32\drivers\` + s.DriverFile}
	var infValues []RegValue
	if o.DriverINF != nil {
		var err error
		if infValues, err = s.fromINF(o.DriverINF, o.OS); err != nil {
			return nil, err
		}
	}
	if o.ClassGUID != "" {
		s.ClassGUID = o.ClassGUID
	}
	if s.ClassGUID == "" {
		s.ClassGUID = ClassGUIDSCSIAdapter
		s.warn("class-guid-assumed", "", "no class GUID in the driver INF or txtsetup.oem; using SCSIAdapter %s", ClassGUIDSCSIAdapter)
	}

	s.fields = FieldsXP2003
	if o.Fields != nil {
		s.fields = *o.Fields
		s.fields.Extra = append([]string(nil), o.Fields.Extra...)
	}
	s.fields.Name, s.fields.Line = s.DriverFile, nil
	s.buildEntries(!o.NoFileFlags)
	s.buildRegistry(infValues, s.configValues(oem, op, dr, o.ConfigSection))
	if len(s.Registry) > s.limits.MaxRegistryValues {
		return nil, fmt.Errorf("sif: option %s writes %d registry values, over the limit of %d: %w",
			op.ID, len(s.Registry), s.limits.MaxRegistryValues, ErrLimit)
	}
	mediaDir := o.MediaDir
	if mediaDir == "" {
		mediaDir = defaultMediaDir(s.Arch)
	}
	for _, f := range op.Files {
		df := diskFile{Type: f.Type, Name: f.Name}
		if d := oem.Disk(f.Disk); d != nil {
			df.Dir, df.HasDisk = strings.Trim(strings.ReplaceAll(d.Directory, `\`, "/"), "/"), true
		}
		s.files = append(s.files, df)
	}
	s.Copies = s.CopyPlan(mediaDir)
	s.PCI, _ = pciEntries(s.HardwareIDs, s.Service)
	return s, nil
}

// plainKey reports whether id reads back as itself when written as the
// key of an INF line: no character the INF syntax gives a meaning to
// (= , ; " % and control characters), no leading [ (a section header).
// Real hardware IDs (PCI\VEN_1AF4&DEV_1001&...) are plain.
func plainKey(id string) bool {
	if strings.HasPrefix(id, "[") {
		return false
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`=,;"%`, r) {
			return false
		}
	}
	return true
}

func defaultMediaDir(a inf.Arch) string {
	if a == inf.AMD64 {
		return "AMD64"
	}
	return "I386"
}

func optionList(oem *inf.OEM, component string) string {
	var ids []string
	for _, c := range oem.Components {
		if strings.EqualFold(c.Name, component) {
			for _, op := range c.Options {
				ids = append(ids, op.ID)
			}
		}
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

func check83(name string) error {
	if strings.ContainsAny(name, `\/:`) {
		return fmt.Errorf("sif: driver file %q must be a plain file name: %w", name, ErrInvalid)
	}
	if !inf.Is83(name) {
		return fmt.Errorf("sif: driver file %q is not an 8.3 name (text-mode setup copies only 8.3 names): %w", name, ErrInvalid)
	}
	return nil
}

func (s *Slipstream) warn(code, section, format string, args ...any) {
	s.Warnings = append(s.Warnings, Warning{Code: code, Section: section, Msg: fmt.Sprintf(format, args...)})
}

// lintOEM keeps the txtsetup.oem lint findings that concern the option.
func (s *Slipstream) lintOEM(oem *inf.OEM, op *inf.OEMOption) {
	var diskLine int
	if d := oem.Disk(s.Disk); d != nil && d.Line != nil {
		diskLine = d.Line.Number()
	}
	for _, w := range oem.Lint(nil) {
		sec := w.Section
		last := sec[strings.LastIndexByte(sec, '.')+1:]
		mine := strings.EqualFold(last, op.ID) ||
			(op.Line != nil && w.Line == op.Line.Number() && strings.EqualFold(sec, op.Component)) ||
			(strings.EqualFold(sec, "Disks") && w.Line == diskLine && diskLine > 0)
		if mine {
			s.Warnings = append(s.Warnings, Warning{Code: w.Code, File: "txtsetup.oem", Section: w.Section, Line: w.Line, Msg: w.Msg})
		}
	}
}

// checkArch warns when the driver disk's directory names the other
// architecture.
func (s *Slipstream) checkArch(oem *inf.OEM, dr *inf.OEMFile) {
	d := oem.Disk(dr.Disk)
	if d == nil {
		return
	}
	dir := strings.ToLower(strings.ReplaceAll(d.Directory, `\`, "/"))
	has := func(names ...string) bool {
		for _, c := range strings.Split(dir, "/") {
			for _, n := range names {
				if c == n {
					return true
				}
			}
		}
		return false
	}
	if (s.Arch == inf.X86 && has("amd64", "x64")) || (s.Arch == inf.AMD64 && has("i386", "x86")) {
		s.warn("arch-mismatch", "Disks", "disk %s directory %q looks like another architecture than %s", d.Name, d.Directory, s.Arch)
	}
}

// fromINF reads the class GUID, the service values and the service's
// AddReg values from the driver INF.
func (s *Slipstream) fromINF(d *inf.Document, osp *inf.OS) ([]RegValue, error) {
	o := inf.OS{Arch: s.Arch, Major: 5, Minor: 1}
	if s.Arch == inf.AMD64 {
		o.Minor = 2
	}
	if osp != nil {
		o = *osp
	}
	dr, err := d.Driver(o)
	if err != nil {
		return nil, fmt.Errorf("sif: driver INF: %w", err)
	}
	for _, w := range dr.Warnings {
		s.Warnings = append(s.Warnings, Warning{Code: "inf-" + w.Code, File: "driver INF", Section: w.Section, Line: w.Line, Msg: w.Msg})
	}
	if dr.Version != nil && dr.Version.ClassGUID != "" {
		s.ClassGUID = dr.Version.ClassGUID
	}
	var svc *inf.Service
	for i := range dr.Services {
		if strings.EqualFold(dr.Services[i].Name, s.Service) {
			svc = &dr.Services[i]
			break
		}
	}
	if svc == nil {
		s.warn("inf-no-service", "", "the driver INF installs no service %q on %s; default service values are used", s.Service, o)
		return nil, nil
	}
	s.Values.Type = uint32(svc.ServiceType)
	s.Values.Start = uint32(svc.StartType)
	s.Values.ErrorControl = uint32(svc.ErrorControl)
	if svc.LoadOrderGroup != "" {
		s.Values.Group = svc.LoadOrderGroup
	}
	if svc.StartType != inf.StartBoot {
		s.warn("inf-not-boot-start", "", "the driver INF gives service %s StartType %d; a text-mode storage driver must be boot-start (0)", svc.Name, svc.StartType)
	}
	if p, ok := imagePath(svc.ServiceBinary); ok {
		if !strings.EqualFold(path.Base(strings.ReplaceAll(p, `\`, "/")), s.DriverFile) {
			s.warn("inf-binary-mismatch", "", "the driver INF's ServiceBinary %q is not the txtsetup.oem driver file %s", svc.ServiceBinary, s.DriverFile)
		}
		s.Values.ImagePath = p
	} else if svc.ServiceBinary != "" {
		s.warn("inf-binary-path", "", "ServiceBinary %q is not under a known directory ID; ImagePath %s is used", svc.ServiceBinary, s.Values.ImagePath)
	}
	var out []RegValue
	base := ServicesKey + `\` + s.Service
	for _, sec := range svc.AddReg {
		ops, err := d.RegOps(sec, false)
		if err != nil {
			s.warn("inf-addreg", sec, "service AddReg section: %v", err)
			continue
		}
		for _, op := range ops {
			if op.Kind != inf.OpSetValue {
				continue
			}
			if !strings.EqualFold(op.Root, "HKR") {
				s.warn("inf-addreg-root", sec, "line %d writes to %s, not below the service key; not integrated", lineNumber(op.Line), op.Root)
				continue
			}
			key := base
			if sub := strings.Trim(op.Subkey, `\`); sub != "" {
				key += `\` + sub
			}
			out = append(out, RegValue{Key: key, Name: op.ValueName, Type: op.Type, Data: op.Data, Origin: "inf"})
		}
	}
	return out, nil
}

func lineNumber(l *inf.Line) int {
	if l == nil {
		return 0
	}
	return l.Number()
}

// imagePath turns an INF ServiceBinary such as %12%\viostor.sys into the
// ImagePath text-mode setup writes, relative to %SystemRoot%.
func imagePath(bin string) (string, bool) {
	id, rest, ok := inf.SplitDIRID(bin)
	if !ok || rest == "" {
		return "", false
	}
	switch id {
	case inf.DIRIDDrivers:
		return `system32\drivers\` + rest, true
	case inf.DIRIDSystem32:
		return `system32\` + rest, true
	case inf.DIRIDWindows:
		return rest, true
	}
	return "", false
}

// configValues returns the [Config.X] values of the driver, under its
// service key.
func (s *Slipstream) configValues(oem *inf.OEM, op *inf.OEMOption, dr *inf.OEMFile, section string) []RegValue {
	var vals []inf.OEMValue
	name := section
	if section != "" {
		c := oem.Config(section)
		if c == nil {
			s.warn("config-missing", "Config."+section, "txtsetup.oem has no [Config.%s] section", section)
			return nil
		}
		vals = c.Values
	} else {
		vals = oem.ConfigValues(op)
		name = dr.DriverKey
	}
	var out []RegValue
	for _, v := range vals {
		if v.Err != nil {
			s.warn("bad-config-value", "Config."+name, "line %d: %v; skipped", lineNumber(v.Line), v.Err)
			continue
		}
		key := ServicesKey + `\` + s.Service
		if sub := strings.Trim(v.Subkey, `\`); sub != "" {
			key += `\` + sub
		}
		out = append(out, RegValue{Key: key, Name: v.Name, Type: v.Type, Data: v.Data, Origin: "config"})
	}
	return out
}

// CriticalDeviceID turns a hardware ID into its CriticalDeviceDatabase key
// name: '\' becomes '#', and the name is lower-cased
// (PCI\VEN_1AF4&DEV_1001 -> pci#ven_1af4&dev_1001).
func CriticalDeviceID(hwid string) string {
	return strings.ToLower(strings.ReplaceAll(hwid, `\`, "#"))
}

func (s *Slipstream) buildEntries(fileFlags bool) {
	q := inf.Quote
	add := func(role entryRole, sec, key string, fields []string, text string) {
		s.Entries = append(s.Entries, SIFEntry{Section: sec, Key: key, Fields: fields, Text: text, role: role})
	}
	ff := s.fields.Fields()
	add(roleFile, s.filesSection, s.DriverFile, ff, s.DriverFile+" = "+strings.Join(ff, ","))
	add(roleLoad, SectionSCSILoad, s.Service, []string{s.DriverFile, "4"}, s.Service+" = "+s.DriverFile+",4")
	add(roleDescription, SectionSCSI, s.Service, []string{s.Description}, s.Service+" = "+q(s.Description))
	for _, id := range s.HardwareIDs {
		add(roleHardwareID, SectionHardwareIdsDatabase, id, []string{s.Service}, id+" = "+q(s.Service))
	}
	if fileFlags {
		add(roleFileFlags, SectionFileFlags, s.DriverFile, []string{"16"}, s.DriverFile+" = 16")
	}
}

func (s *Slipstream) buildRegistry(infValues, config []RegValue) {
	var all []RegValue
	for _, id := range s.HardwareIDs {
		key := CriticalDeviceKey + `\` + CriticalDeviceID(id)
		all = append(all,
			RegValue{Key: key, Name: "Service", Type: inf.RegSZ, Data: inf.EncodeSZ(s.Service), Origin: "critical-device"},
			RegValue{Key: key, Name: "ClassGUID", Type: inf.RegSZ, Data: inf.EncodeSZ(s.ClassGUID), Origin: "critical-device"})
	}
	svc := ServicesKey + `\` + s.Service
	dw := func(n uint32) []byte { return []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)} }
	all = append(all,
		RegValue{Key: svc, Name: "Type", Type: inf.RegDWORD, Data: dw(s.Values.Type), Origin: "service"},
		RegValue{Key: svc, Name: "Start", Type: inf.RegDWORD, Data: dw(s.Values.Start), Origin: "service"},
		RegValue{Key: svc, Name: "ErrorControl", Type: inf.RegDWORD, Data: dw(s.Values.ErrorControl), Origin: "service"},
		RegValue{Key: svc, Name: "Group", Type: inf.RegSZ, Data: inf.EncodeSZ(s.Values.Group), Origin: "service"},
		RegValue{Key: svc, Name: "ImagePath", Type: inf.RegExpandSZ, Data: inf.EncodeSZ(s.Values.ImagePath), Origin: "service"})
	all = append(all, infValues...)
	all = append(all, config...)
	// One value per key and name: a later source (the txtsetup.oem's
	// [Config]) overrides an earlier one, in the place of the first.
	idx := map[string]int{}
	for _, v := range all {
		k := strings.ToLower(v.Key) + "\x00" + strings.ToLower(v.Name)
		if i, ok := idx[k]; ok {
			s.Registry[i] = v
			continue
		}
		idx[k] = len(s.Registry)
		s.Registry = append(s.Registry, v)
	}
}

// HiveLines returns the registry values as hivesys.inf [AddReg] lines.
func (s *Slipstream) HiveLines() ([]string, error) {
	out := make([]string, 0, len(s.Registry))
	for _, v := range s.Registry {
		l, err := v.Line()
		if err != nil {
			return nil, fmt.Errorf("sif: value %s\\%s: %w", v.Key, v.Name, err)
		}
		out = append(out, l)
	}
	return out, nil
}

// CopyPlan lists the option's files with their places on the setup media
// below mediaDir (such as "I386", or "reactos" for ReactOS media; see
// MediaDirFor). The driver goes into mediaDir, where text-mode setup finds
// it through [SourceDisksFiles] and [SCSI.Load]; the other files (INF,
// catalog, ...) go into $OEM$\$1\Drivers\<service>, for GUI-mode setup's
// OemPnPDriversPath.
func (s *Slipstream) CopyPlan(mediaDir string) []FileCopy {
	mediaDir = strings.Trim(strings.ReplaceAll(mediaDir, `\`, "/"), "/")
	join := func(a, b string) string {
		if a == "" {
			return b
		}
		return a + "/" + b
	}
	var out []FileCopy
	driverDone := false
	for _, f := range s.files {
		c := FileCopy{Type: f.Type, Source: join(f.Dir, f.Name)}
		if f.Type == "driver" && !driverDone {
			driverDone = true
			c.Media = join(mediaDir, f.Name)
			c.Compressed = join(mediaDir, CompressedName(f.Name))
			c.Install = `system32\drivers\` + f.Name
		} else {
			c.Media = "$OEM$/$1/Drivers/" + s.Service + "/" + f.Name
			c.Install = `\Drivers\` + s.Service + `\` + f.Name
			c.Note = `for GUI-mode setup: set OemPnPDriversPath=Drivers\` + s.Service + ` (and OemPreinstall=Yes) in winnt.sif [Unattended]`
			if f.Type == "driver" {
				c.Note = "text-mode setup honours only the first driver line; " + c.Note
			}
		}
		out = append(out, c)
	}
	return out
}

// MediaDirFor returns the media directory of source disk diskID (default
// "1") for arch as the txtsetup.sif names it in [SourceDisksNames.arch] or
// [SourceDisksNames] (\reactos on ReactOS media, \i386 on Windows media),
// without its slashes. ok is false when the SIF does not list the disk.
func MediaDirFor(t *SIF, arch inf.Arch, diskID string) (string, bool) {
	if diskID == "" {
		diskID = "1"
	}
	d, ok := t.SourceDisk(arch, diskID)
	if !ok {
		return "", false
	}
	dir := strings.Trim(strings.ReplaceAll(d.Subdir, `\`, "/"), "/ ")
	return dir, true
}

// CompressedName returns the name makecab gives a compressed file: the last
// character of the extension replaced by '_' (viostor.sys -> viostor.sy_),
// or '_' appended to a shorter extension (a.in -> a.in_; name -> name._).
func CompressedName(name string) string {
	ext := path.Ext(name)
	switch {
	case ext == "":
		return name + "._"
	case len(ext) < 4:
		return name + "_"
	}
	return name[:len(name)-1] + "_"
}

// pciEntries derives CHKPCI.TXT entries from hardware IDs: PCI IDs only,
// without &REV_xx, upper-cased, one per distinct ID.
func pciEntries(ids []string, service string) ([]PCIEntry, []string) {
	var out []PCIEntry
	var skipped []string
	seen := map[string]bool{}
	for _, id := range ids {
		p, ok := PCIID(id)
		if !ok {
			skipped = append(skipped, id)
			continue
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, PCIEntry{ID: p, Service: strings.ToUpper(service)})
	}
	return out, skipped
}

// PCIID returns a PCI hardware ID as 0PE's CHKPCI.TXT lists it: upper-case,
// without the &REV_xx part (PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00 ->
// PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4). ok is false for IDs that are not
// PCI\ IDs.
func PCIID(hwid string) (string, bool) {
	u := strings.ToUpper(strings.TrimSpace(hwid))
	if !strings.HasPrefix(u, `PCI\`) || len(u) == len(`PCI\`) {
		return "", false
	}
	parts := strings.Split(u[len(`PCI\`):], "&")
	keep := parts[:0]
	for _, p := range parts {
		if !strings.HasPrefix(p, "REV_") {
			keep = append(keep, p)
		}
	}
	if len(keep) == 0 {
		return "", false
	}
	return `PCI\` + strings.Join(keep, "&"), true
}

// ZeroPEEntries returns the CHKPCI.TXT entries of every option of a
// txtsetup.oem component (default "scsi"): for each PCI hardware ID, the ID
// without &REV_xx and the option's upper-cased service, one entry per
// distinct ID in file order. An ID that two options map to different
// services keeps the first and gives a warning. An option listing more
// than DefaultLimits.MaxHardwareIDs IDs is skipped with a warning, and
// after maxWarnings warnings one more says how many were left out.
func ZeroPEEntries(oem *inf.OEM, component string) ([]PCIEntry, []Warning) {
	if component == "" {
		component = "scsi"
	}
	var out []PCIEntry
	var ws []Warning
	omitted := 0
	warn := func(code, format string, args ...any) {
		if len(ws) >= maxWarnings {
			omitted++
			return
		}
		ws = append(ws, Warning{Code: code, File: "txtsetup.oem", Msg: fmt.Sprintf(format, args...)})
	}
	at := map[string]int{}
	for _, c := range oem.Components {
		if !strings.EqualFold(c.Name, component) {
			continue
		}
		for i := range c.Options {
			op := &c.Options[i]
			svc := op.Service()
			if svc == "" {
				warn("no-driver", "option %s has no driver line; skipped", op.ID)
				continue
			}
			if n := len(op.HardwareIDs); n > DefaultLimits.MaxHardwareIDs {
				warn("too-many-ids", "option %s lists %d hardware IDs, over the limit of %d; skipped", op.ID, n, DefaultLimits.MaxHardwareIDs)
				continue
			}
			ids := make([]string, len(op.HardwareIDs))
			for j, h := range op.HardwareIDs {
				ids[j] = h.ID
			}
			es, skipped := pciEntries(ids, svc)
			for _, id := range skipped {
				if strings.TrimSpace(id) != "" {
					warn("not-pci", "option %s: %s is not a PCI ID; 0PE matches PCI IDs only", op.ID, id)
				}
			}
			for _, e := range es {
				if j, ok := at[e.ID]; ok {
					if out[j].Service != e.Service {
						warn("pci-conflict", "%s: option %s loads %s, an earlier option %s; the first is kept", e.ID, op.ID, e.Service, out[j].Service)
					}
					continue
				}
				at[e.ID] = len(out)
				out = append(out, e)
			}
		}
	}
	if omitted > 0 {
		ws = append(ws, Warning{Code: "warnings-omitted", File: "txtsetup.oem", Msg: fmt.Sprintf("%d more warnings left out", omitted)})
	}
	return out, ws
}

// maxWarnings is the most warnings of one kind of list ZeroPEEntries
// returns before summing up the rest, so that a hostile file cannot make
// it allocate a message per line.
const maxWarnings = 100
