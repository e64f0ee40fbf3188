package inf

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// OEM is a txtsetup.oem file: the text-mode (F6) driver description read
// by Windows 2000/XP/2003 setup. It is a typed view over its Document;
// edit through Doc and call NewOEM again to refresh the view.
type OEM struct {
	Doc        *Document
	Disks      []OEMDisk
	Defaults   []OEMDefault
	Components []OEMComponent
	Configs    []OEMConfig
}

// OEMDisk is a [Disks] entry: diskN = "description", tagfile, directory.
type OEMDisk struct {
	Name        string
	Description string
	TagFile     string // root-relative path whose presence identifies the disk
	Directory   string // root-relative directory holding the disk's files
	Line        *Line
}

// OEMDefault is a [Defaults] entry: component = ID.
type OEMDefault struct {
	Component string
	ID        string
	Line      *Line
}

// OEMComponent is a hardware component section such as [scsi] or
// [computer] with its options.
type OEMComponent struct {
	Name    string
	Options []OEMOption
}

// OEMOption is one choice of a component: ID = "description", with its
// [Files.component.ID] and [HardwareIds.component.ID] sections.
type OEMOption struct {
	Component   string
	ID          string
	Description string
	Files       []OEMFile
	HardwareIDs []OEMHardwareID
	Line        *Line
}

// OEMFile is a [Files.component.ID] entry: type = disk, filename[, DriverKey].
type OEMFile struct {
	Type      string // driver, port, class, dll, inf, catalog, hal, detect, ...
	Disk      string
	Name      string
	DriverKey string // names [Config.DriverKey]
	Line      *Line
}

// OEMHardwareID is a [HardwareIds.component.ID] entry:
// id = "device ID", "service"[, "class GUID"].
type OEMHardwareID struct {
	ID        string
	Service   string
	ClassGUID string
	Line      *Line
}

// OEMConfig is a [Config.DriverKey] section.
type OEMConfig struct {
	Key    string
	Values []OEMValue
}

// OEMValue is a [Config.*] entry:
// value = subkey, value-name, REG_type, data... It is a value under
// Services\<service>\<subkey> of the driver's service.
type OEMValue struct {
	Subkey string
	Name   string
	Type   RegType
	Data   []byte // encoded registry data
	Err    error  // why the line could not be decoded (Data is then nil)
	Line   *Line
}

// knownComponents are the hardware component sections of txtsetup.oem;
// current documentation accepts only computer and scsi.
var knownComponents = []string{"computer", "display", "keyboard", "mouse", "scsi"}

// ParseOEM parses a txtsetup.oem file with the TextSetup dialect and builds
// its typed view.
func ParseOEM(b []byte, opts *ReadOptions) (*OEM, error) {
	var o ReadOptions
	if opts != nil {
		o = *opts
	}
	o.Dialect = TextSetup
	d, err := Parse(b, &o)
	if err != nil {
		return nil, err
	}
	return NewOEM(d), nil
}

// OpenOEM reads and parses a txtsetup.oem file.
func OpenOEM(path string, opts *ReadOptions) (*OEM, error) {
	var o ReadOptions
	if opts != nil {
		o = *opts
	}
	o.Dialect = TextSetup
	d, err := Open(path, &o)
	if err != nil {
		return nil, err
	}
	return NewOEM(d), nil
}

func fieldOr(f []string, i int) string {
	if i < len(f) {
		return strings.TrimSpace(f[i])
	}
	return ""
}

// NewOEM builds the typed view of a txtsetup.oem document.
func NewOEM(d *Document) *OEM {
	o := &OEM{Doc: d}
	if s := d.Section("Disks"); s != nil {
		for _, l := range s.Entries() {
			f := l.Fields()
			o.Disks = append(o.Disks, OEMDisk{Name: l.Key(), Description: fieldOr(f, 0), TagFile: fieldOr(f, 1), Directory: fieldOr(f, 2), Line: l})
		}
	}
	if s := d.Section("Defaults"); s != nil {
		for _, l := range s.Entries() {
			o.Defaults = append(o.Defaults, OEMDefault{Component: l.Key(), ID: l.Field(0), Line: l})
		}
	}
	// Components: the known names, plus any X with [Files.X.*] sections
	// or a [Defaults] entry.
	names := map[string]string{}
	var order []string
	addName := func(n string) {
		k := strings.ToLower(n)
		if _, ok := names[k]; !ok && d.Section(n) != nil {
			names[k] = d.Section(n).Name()
			order = append(order, k)
		}
	}
	for _, n := range knownComponents {
		addName(n)
	}
	for _, df := range o.Defaults {
		addName(df.Component)
	}
	for _, s := range d.Sections() {
		if c, _, ok := splitOEMSection(s.Name(), "Files"); ok {
			addName(c)
		}
	}
	for _, k := range order {
		s := d.Section(names[k])
		comp := OEMComponent{Name: s.Name()}
		for _, l := range s.Entries() {
			op := OEMOption{Component: s.Name(), ID: l.Key(), Description: l.Field(0), Line: l}
			if l.implicitKey {
				op.Description = ""
			}
			if fs := d.Section("Files." + s.Name() + "." + op.ID); fs != nil {
				for _, fl := range fs.Entries() {
					f := fl.Fields()
					op.Files = append(op.Files, OEMFile{Type: strings.ToLower(fl.Key()), Disk: fieldOr(f, 0), Name: fieldOr(f, 1), DriverKey: fieldOr(f, 2), Line: fl})
				}
			}
			if hs := d.Section("HardwareIds." + s.Name() + "." + op.ID); hs != nil {
				for _, hl := range hs.Entries() {
					f := hl.Fields()
					op.HardwareIDs = append(op.HardwareIDs, OEMHardwareID{ID: fieldOr(f, 0), Service: fieldOr(f, 1), ClassGUID: fieldOr(f, 2), Line: hl})
				}
			}
			comp.Options = append(comp.Options, op)
		}
		o.Components = append(o.Components, comp)
	}
	for _, s := range d.Sections() {
		if len(s.Name()) <= len("Config.") || !strings.EqualFold(s.Name()[:len("Config.")], "Config.") {
			continue
		}
		c := OEMConfig{Key: s.Name()[len("Config."):]}
		for _, l := range s.Entries() {
			c.Values = append(c.Values, decodeOEMValue(l))
		}
		o.Configs = append(o.Configs, c)
	}
	return o
}

// splitOEMSection splits "Prefix.component.ID" (case-insensitive prefix).
func splitOEMSection(name, prefix string) (component, id string, ok bool) {
	if len(name) <= len(prefix)+1 || !strings.EqualFold(name[:len(prefix)+1], prefix+".") {
		return "", "", false
	}
	rest := name[len(prefix)+1:]
	component, id, ok = strings.Cut(rest, ".")
	return component, id, ok && component != "" && id != ""
}

// decodeOEMValue reads subkey, value-name, REG_type, data... with the
// [Config.*] conventions: REG_DWORD data is hexadecimal (up to 8 digits),
// REG_BINARY data is a hex string, REG_MULTI_SZ takes every data field.
func decodeOEMValue(l *Line) OEMValue {
	f := l.Fields()
	v := OEMValue{Subkey: fieldOr(f, 0), Name: fieldOr(f, 1), Line: l}
	bad := func(format string, a ...any) OEMValue {
		v.Err = fmt.Errorf("%w: "+format, append([]any{ErrValue}, a...)...)
		return v
	}
	t, ok := ParseRegType(fieldOr(f, 2))
	if !ok {
		return bad("unknown value type %q", fieldOr(f, 2))
	}
	v.Type = t
	data := f[min(3, len(f)):]
	switch t {
	case RegDWORD:
		s := strings.TrimPrefix(strings.TrimPrefix(fieldOr(data, 0), "0x"), "0X")
		if s == "" || len(s) > 8 {
			return bad("REG_DWORD %q is not 1 to 8 hex digits", fieldOr(data, 0))
		}
		n, err := hex.DecodeString(strings.Repeat("0", 8-len(s)) + s)
		if err != nil {
			return bad("REG_DWORD %q is not hexadecimal", fieldOr(data, 0))
		}
		v.Data = binary.LittleEndian.AppendUint32(nil, binary.BigEndian.Uint32(n))
	case RegSZ, RegExpandSZ:
		v.Data = EncodeSZ(fieldOr(data, 0))
	case RegMultiSZ:
		v.Data = EncodeMultiSZ(data)
	case RegBinary:
		s := strings.Join(data, "")
		s = strings.ReplaceAll(s, " ", "")
		b, err := hex.DecodeString(s)
		if err != nil {
			return bad("REG_BINARY %q is not a hex string", s)
		}
		v.Data = b
	default:
		return bad("value type %s is not supported in [Config.*]", t)
	}
	return v
}

// Option returns the option id of component (case-insensitive), or nil.
func (o *OEM) Option(component, id string) *OEMOption {
	for i := range o.Components {
		if !strings.EqualFold(o.Components[i].Name, component) {
			continue
		}
		for j := range o.Components[i].Options {
			if strings.EqualFold(o.Components[i].Options[j].ID, id) {
				return &o.Components[i].Options[j]
			}
		}
	}
	return nil
}

// Default returns the [Defaults] ID of component ("" when none).
func (o *OEM) Default(component string) string {
	for _, d := range o.Defaults {
		if strings.EqualFold(d.Component, component) {
			return d.ID
		}
	}
	return ""
}

// Disk returns the [Disks] entry with the given name, or nil.
func (o *OEM) Disk(name string) *OEMDisk {
	for i := range o.Disks {
		if strings.EqualFold(o.Disks[i].Name, name) {
			return &o.Disks[i]
		}
	}
	return nil
}

// Config returns [Config.key], or nil.
func (o *OEM) Config(key string) *OEMConfig {
	for i := range o.Configs {
		if strings.EqualFold(o.Configs[i].Key, key) {
			return &o.Configs[i]
		}
	}
	return nil
}

// Driver returns the option's first driver line (text-mode setup honours
// only the first one), or nil.
func (op *OEMOption) Driver() *OEMFile {
	for i := range op.Files {
		if op.Files[i].Type == "driver" {
			return &op.Files[i]
		}
	}
	return nil
}

// Service returns the service name text-mode setup uses for the option:
// the driver file name without its extension.
func (op *OEMOption) Service() string {
	dr := op.Driver()
	if dr == nil {
		return ""
	}
	b := path.Base(strings.ReplaceAll(dr.Name, `\`, "/"))
	return strings.TrimSuffix(b, path.Ext(b))
}

// ConfigValues returns the [Config.DriverKey] values that apply to the
// option's driver (nil when there is no such section).
func (o *OEM) ConfigValues(op *OEMOption) []OEMValue {
	dr := op.Driver()
	if dr == nil || dr.DriverKey == "" {
		return nil
	}
	if c := o.Config(dr.DriverKey); c != nil {
		return c.Values
	}
	return nil
}

// Is83 reports whether name is a valid 8.3 (MS-DOS) file name: up to eight
// characters, optionally a dot and up to three more, from the characters
// FAT short names allow.
func Is83(name string) bool {
	base, ext, dot := strings.Cut(name, ".")
	if base == "" || len(base) > 8 || len(ext) > 3 || (dot && ext == "") || strings.Contains(ext, ".") {
		return false
	}
	for _, c := range []byte(base + ext) {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'()-@^_`{}~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Lint checks the file for mistakes text-mode setup trips over and returns
// warnings. With fsys (the directory holding txtsetup.oem, which is the
// root of the driver disk), it also checks that each disk's tag file
// exists.
//
// Codes: config-unreferenced ([Config.X] that no driver line names as
// DriverKey: setup never applies it), driver-key-missing,
// service-mismatch (a HardwareIds service that differs from the driver
// file's base name), no-driver, multiple-drivers, no-files,
// no-hardware-ids, undefined-disk, undefined-default, not-8.3,
// tag-file-missing, bad-config-value, unknown-file-type,
// unsupported-component.
func (o *OEM) Lint(fsys fs.FS) []Warning {
	var ws []Warning
	warn := func(l *Line, sec, code, format string, a ...any) {
		w := Warning{Section: sec, Code: code, Msg: fmt.Sprintf(format, a...)}
		if l != nil {
			w.Line = l.Number()
			if l.Section() != nil {
				w.Section = l.Section().Name()
			}
		}
		ws = append(ws, w)
	}
	referenced := map[string]bool{}
	fileTypes := map[string]bool{"driver": true, "port": true, "class": true, "dll": true, "inf": true,
		"catalog": true, "hal": true, "detect": true}
	for _, c := range o.Components {
		if !strings.EqualFold(c.Name, "scsi") && !strings.EqualFold(c.Name, "computer") {
			warn(nil, c.Name, "unsupported-component", "component [%s] is not one current Windows documents (computer, scsi)", c.Name)
		}
		isSCSI := strings.EqualFold(c.Name, "scsi")
		for i := range c.Options {
			op := &c.Options[i]
			filesSec := "Files." + c.Name + "." + op.ID
			if len(op.Files) == 0 {
				warn(op.Line, "", "no-files", "option %s has no [%s] section", op.ID, filesSec)
			}
			drivers := 0
			for _, f := range op.Files {
				if !fileTypes[f.Type] {
					warn(f.Line, "", "unknown-file-type", "file type %q is not one text-mode setup knows", f.Type)
				}
				if o.Disk(f.Disk) == nil {
					warn(f.Line, "", "undefined-disk", "disk %q is not in [Disks]", f.Disk)
				}
				if !Is83(f.Name) {
					warn(f.Line, "", "not-8.3", "file name %q is not an 8.3 name", f.Name)
				}
				if f.Type != "driver" {
					continue
				}
				drivers++
				if f.DriverKey != "" {
					referenced[strings.ToLower(f.DriverKey)] = true
				} else if isSCSI {
					warn(f.Line, "", "driver-key-missing", "driver line has no DriverKey (required for scsi)")
				}
			}
			switch {
			case drivers == 0 && len(op.Files) > 0:
				warn(op.Line, "", "no-driver", "option %s has no driver line", op.ID)
			case drivers > 1:
				warn(op.Line, "", "multiple-drivers", "option %s has %d driver lines; text-mode setup honours only the first", op.ID, drivers)
			}
			svc := op.Service()
			if isSCSI && len(op.HardwareIDs) == 0 {
				warn(op.Line, "", "no-hardware-ids", "option %s has no [HardwareIds.%s.%s] section", op.ID, c.Name, op.ID)
			}
			for _, h := range op.HardwareIDs {
				if svc != "" && !strings.EqualFold(h.Service, svc) {
					warn(h.Line, "", "service-mismatch", "service %q differs from the driver file's base name %q; setup uses %q", h.Service, svc, svc)
				}
			}
		}
	}
	for _, c := range o.Configs {
		if !referenced[strings.ToLower(c.Key)] {
			var l *Line
			if s := o.Doc.Section("Config." + c.Key); s != nil {
				l = s.Headers()[0]
			}
			warn(l, "Config."+c.Key, "config-unreferenced", "[Config.%s] is not named as DriverKey by any driver line, so setup never applies it", c.Key)
		}
		for _, v := range c.Values {
			if v.Err != nil {
				warn(v.Line, "", "bad-config-value", "%v", v.Err)
			}
		}
	}
	for _, df := range o.Defaults {
		if o.Option(df.Component, df.ID) == nil {
			warn(df.Line, "", "undefined-default", "default %s = %s names no option", df.Component, df.ID)
		}
	}
	for _, dk := range o.Disks {
		tag := strings.TrimLeft(strings.ReplaceAll(dk.TagFile, `\`, "/"), "/")
		if tag == "" {
			warn(dk.Line, "", "tag-file-missing", "disk %s has no tag file", dk.Name)
			continue
		}
		if !Is83(path.Base(tag)) {
			warn(dk.Line, "", "not-8.3", "tag file %q is not an 8.3 name", dk.TagFile)
		}
		if fsys != nil && !existsFold(fsys, tag) {
			warn(dk.Line, "", "tag-file-missing", "tag file %q of disk %s does not exist", dk.TagFile, dk.Name)
		}
	}
	return ws
}

// existsFold reports whether p exists in fsys, comparing each path
// component case-insensitively (driver disks are FAT).
func existsFold(fsys fs.FS, p string) bool {
	if _, err := fs.Stat(fsys, p); err == nil {
		return true
	}
	dir := "."
	for _, c := range strings.Split(p, "/") {
		ents, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return false
		}
		found := ""
		for _, e := range ents {
			if strings.EqualFold(e.Name(), c) {
				found = e.Name()
				break
			}
		}
		if found == "" {
			return false
		}
		dir = path.Join(dir, found)
	}
	return true
}
