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
// its typed view. Besides Parse's errors, it fails with ErrLimit when
// %strkey% substitution ran out of Limits.MaxSubstitution.
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
	return newOEMChecked(d)
}

// newOEMChecked is NewOEM, failing when substitution ran out of budget
// (see Document.SubstitutionErr).
func newOEMChecked(d *Document) (*OEM, error) {
	o := NewOEM(d)
	if err := d.SubstitutionErr(); err != nil {
		return nil, err
	}
	return o, nil
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
	return newOEMChecked(d)
}

func fieldOr(f []string, i int) string {
	if i < len(f) {
		return strings.TrimSpace(f[i])
	}
	return ""
}

// trimmedField is fieldOr(l.Fields(), i) without building the slice.
func trimmedField(l *Line, i int) string { return strings.TrimSpace(l.Field(i)) }

// entries counts the entry lines of s.
func (s *Section) entries() int {
	n := 0
	for _, l := range s.lines() {
		if l.kind == Entry {
			n++
		}
	}
	return n
}

// NewOEM builds the typed view of a txtsetup.oem document.
func NewOEM(d *Document) *OEM {
	o := &OEM{Doc: d}
	if s := d.Section("Disks"); s != nil && s.entries() > 0 {
		o.Disks = make([]OEMDisk, 0, s.entries())
		for _, l := range s.lines() {
			if l.kind == Entry {
				o.Disks = append(o.Disks, OEMDisk{Name: l.Key(), Description: trimmedField(l, 0), TagFile: trimmedField(l, 1), Directory: trimmedField(l, 2), Line: l})
			}
		}
	}
	if s := d.Section("Defaults"); s != nil && s.entries() > 0 {
		o.Defaults = make([]OEMDefault, 0, s.entries())
		for _, l := range s.lines() {
			if l.kind == Entry {
				o.Defaults = append(o.Defaults, OEMDefault{Component: l.Key(), ID: l.Field(0), Line: l})
			}
		}
	}
	// Components: the known names, plus any X with [Files.X.*] sections
	// or a [Defaults] entry.
	seen := map[*Section]bool{}
	var order []*Section
	addName := func(n string) {
		if s := d.Section(n); s != nil && !seen[s] {
			seen[s] = true
			order = append(order, s)
		}
	}
	for _, n := range knownComponents {
		addName(n)
	}
	for _, df := range o.Defaults {
		addName(df.Component)
	}
	d.index()
	for _, s := range d.sections {
		if c, _, ok := splitOEMSection(s.name, "Files"); ok {
			addName(c)
		}
	}
	for _, s := range order {
		comp := OEMComponent{Name: s.Name()}
		if n := s.entries(); n > 0 {
			comp.Options = make([]OEMOption, 0, n)
		}
		for _, l := range s.lines() {
			if l.kind != Entry {
				continue
			}
			op := OEMOption{Component: s.Name(), ID: l.Key(), Description: l.Field(0), Line: l}
			if l.implicitKey {
				op.Description = ""
			}
			if fs := d.sectionOf("Files.", s.Name(), ".", op.ID); fs != nil && fs.entries() > 0 {
				op.Files = make([]OEMFile, 0, fs.entries())
				for _, fl := range fs.lines() {
					if fl.kind == Entry {
						op.Files = append(op.Files, OEMFile{Type: strings.ToLower(fl.Key()), Disk: trimmedField(fl, 0), Name: trimmedField(fl, 1), DriverKey: trimmedField(fl, 2), Line: fl})
					}
				}
			}
			if hs := d.sectionOf("HardwareIds.", s.Name(), ".", op.ID); hs != nil && hs.entries() > 0 {
				op.HardwareIDs = make([]OEMHardwareID, 0, hs.entries())
				for _, hl := range hs.lines() {
					if hl.kind == Entry {
						op.HardwareIDs = append(op.HardwareIDs, OEMHardwareID{ID: trimmedField(hl, 0), Service: trimmedField(hl, 1), ClassGUID: trimmedField(hl, 2), Line: hl})
					}
				}
			}
			comp.Options = append(comp.Options, op)
		}
		o.Components = append(o.Components, comp)
	}
	for _, s := range d.sections {
		if len(s.Name()) <= len("Config.") || !strings.EqualFold(s.Name()[:len("Config.")], "Config.") {
			continue
		}
		c := OEMConfig{Key: s.Name()[len("Config."):]}
		if n := s.entries(); n > 0 {
			c.Values = make([]OEMValue, 0, n)
		}
		for _, l := range s.lines() {
			if l.kind == Entry {
				c.Values = append(c.Values, decodeOEMValue(l))
			}
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
	bad := func(format string, arg any) OEMValue {
		v.Err = &valueError{format, arg}
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

// valueError is an ErrValue whose message is formatted only when asked,
// so that a file of many bad lines costs little.
type valueError struct {
	format string
	arg    any
}

func (e *valueError) Error() string { return ErrValue.Error() + ": " + fmt.Sprintf(e.format, e.arg) }

func (e *valueError) Unwrap() error { return ErrValue }

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
	for _, part := range [...]string{base, ext} {
		for i := 0; i < len(part); i++ {
			switch c := part[i]; {
			case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			case strings.IndexByte("!#$%&'()-@^_`{}~", c) >= 0:
			default:
				return false
			}
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
	w := o.Doc.newWarnings()
	// warn keeps a warning; callers check w.room() first, so that the
	// message of a warning past Limits.MaxWarnings is not built.
	warn := func(l *Line, sec, code, msg string) {
		x := Warning{Section: sec, Code: code, Msg: msg}
		if l != nil {
			x.Line = l.Number()
			if l.Section() != nil {
				x.Section = l.Section().Name()
			}
		}
		w.list = append(w.list, x)
	}
	// Disks, and option IDs per component, by folded name: what o.Disk
	// and o.Option find, without searching the lists for every line.
	disks := make(map[string]bool, len(o.Disks))
	for _, dk := range o.Disks {
		disks[foldKey(dk.Name)] = true
	}
	options := map[string]map[string]bool{}
	for _, c := range o.Components {
		k := foldKey(c.Name)
		ids := options[k]
		if ids == nil {
			ids = make(map[string]bool, len(c.Options))
			options[k] = ids
		}
		for _, op := range c.Options {
			ids[foldKey(op.ID)] = true
		}
	}
	referenced := map[string]bool{}
	fileTypes := map[string]bool{"driver": true, "port": true, "class": true, "dll": true, "inf": true,
		"catalog": true, "hal": true, "detect": true}
	for _, c := range o.Components {
		if !strings.EqualFold(c.Name, "scsi") && !strings.EqualFold(c.Name, "computer") && w.room() {
			warn(nil, c.Name, "unsupported-component", fmt.Sprintf("component [%s] is not one current Windows documents (computer, scsi)", c.Name))
		}
		isSCSI := strings.EqualFold(c.Name, "scsi")
		for i := range c.Options {
			op := &c.Options[i]
			if len(op.Files) == 0 && w.room() {
				warn(op.Line, "", "no-files", fmt.Sprintf("option %s has no [%s] section", op.ID, "Files."+c.Name+"."+op.ID))
			}
			drivers := 0
			for _, f := range op.Files {
				if !fileTypes[f.Type] && w.room() {
					warn(f.Line, "", "unknown-file-type", fmt.Sprintf("file type %q is not one text-mode setup knows", f.Type))
				}
				if _, ok := lookupFoldKey(disks, f.Disk); !ok && w.room() {
					warn(f.Line, "", "undefined-disk", fmt.Sprintf("disk %q is not in [Disks]", f.Disk))
				}
				if !Is83(f.Name) && w.room() {
					warn(f.Line, "", "not-8.3", fmt.Sprintf("file name %q is not an 8.3 name", f.Name))
				}
				if f.Type != "driver" {
					continue
				}
				drivers++
				if f.DriverKey != "" {
					if _, ok := lookupFoldKey(referenced, f.DriverKey); !ok {
						referenced[foldKey(f.DriverKey)] = true
					}
				} else if isSCSI && w.room() {
					warn(f.Line, "", "driver-key-missing", "driver line has no DriverKey (required for scsi)")
				}
			}
			switch {
			case drivers == 0 && len(op.Files) > 0:
				if w.room() {
					warn(op.Line, "", "no-driver", fmt.Sprintf("option %s has no driver line", op.ID))
				}
			case drivers > 1:
				if w.room() {
					warn(op.Line, "", "multiple-drivers", fmt.Sprintf("option %s has %d driver lines; text-mode setup honours only the first", op.ID, drivers))
				}
			}
			svc := op.Service()
			if isSCSI && len(op.HardwareIDs) == 0 && w.room() {
				warn(op.Line, "", "no-hardware-ids", fmt.Sprintf("option %s has no [HardwareIds.%s.%s] section", op.ID, c.Name, op.ID))
			}
			for _, h := range op.HardwareIDs {
				if svc != "" && !strings.EqualFold(h.Service, svc) && w.room() {
					warn(h.Line, "", "service-mismatch", fmt.Sprintf("service %q differs from the driver file's base name %q; setup uses %q", h.Service, svc, svc))
				}
			}
		}
	}
	for _, c := range o.Configs {
		if _, ok := lookupFoldKey(referenced, c.Key); !ok && w.room() {
			var l *Line
			if s := o.Doc.sectionOf("Config.", c.Key); s != nil {
				if hs := s.Headers(); len(hs) > 0 {
					l = hs[0]
				}
			}
			warn(l, "Config."+c.Key, "config-unreferenced", fmt.Sprintf("[Config.%s] is not named as DriverKey by any driver line, so setup never applies it", c.Key))
		}
		for _, v := range c.Values {
			if v.Err != nil && w.room() {
				warn(v.Line, "", "bad-config-value", v.Err.Error())
			}
		}
	}
	for _, df := range o.Defaults {
		ids, _ := lookupFoldKey(options, df.Component)
		if _, ok := lookupFoldKey(ids, df.ID); !ok && w.room() {
			warn(df.Line, "", "undefined-default", fmt.Sprintf("default %s = %s names no option", df.Component, df.ID))
		}
	}
	for _, dk := range o.Disks {
		tag := strings.TrimLeft(strings.ReplaceAll(dk.TagFile, `\`, "/"), "/")
		if tag == "" {
			if w.room() {
				warn(dk.Line, "", "tag-file-missing", fmt.Sprintf("disk %s has no tag file", dk.Name))
			}
			continue
		}
		if !Is83(path.Base(tag)) && w.room() {
			warn(dk.Line, "", "not-8.3", fmt.Sprintf("tag file %q is not an 8.3 name", dk.TagFile))
		}
		if fsys != nil && !existsFold(fsys, tag) && w.room() {
			warn(dk.Line, "", "tag-file-missing", fmt.Sprintf("tag file %q of disk %s does not exist", dk.TagFile, dk.Name))
		}
	}
	return w.result()
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
