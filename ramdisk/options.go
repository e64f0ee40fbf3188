package ramdisk

import (
	"fmt"
	"strconv"
	"strings"
)

// OptionKind identifies a loader option of an OsLoadOptions string (boot.ini,
// winnt.sif [SetupData]) that this package models.
type OptionKind int

// Modelled options. Everything else is OptOther and kept as written.
const (
	OptOther         OptionKind = iota // any other option, or text that is not an option
	OptRDPath                          // /RDPATH=<file>: the RAM disk image (ARC path or net(0)\file)
	OptRDImageOffset                   // /RDIMAGEOFFSET=<bytes>: where the file system starts in the image
	OptRDImageLength                   // /RDIMAGELENGTH=<bytes>: how much of the image to expose
	OptRDExportAsCD                    // /RDEXPORTASCD: expose the image as a CD (ISO images)
	OptRDExportAsHD                    // /RDEXPORTASHD: expose the image as a hard disk (community scripts)
	OptMinInt                          // /MININT: WinPE mode
	OptFastDetect                      // /FASTDETECT
	OptNoGUIBoot                       // /NOGUIBOOT
)

var optionNames = [...]string{
	OptOther:         "",
	OptRDPath:        "RDPATH",
	OptRDImageOffset: "RDIMAGEOFFSET",
	OptRDImageLength: "RDIMAGELENGTH",
	OptRDExportAsCD:  "RDEXPORTASCD",
	OptRDExportAsHD:  "RDEXPORTASHD",
	OptMinInt:        "MININT",
	OptFastDetect:    "FASTDETECT",
	OptNoGUIBoot:     "NOGUIBOOT",
}

// legacyOffsetName is the community spelling of RDIMAGEOFFSET that no
// Windows loader reads (only ReactOS's freeldr command line knows it).
const legacyOffsetName = "RDOFFSET"

func (k OptionKind) String() string {
	if k > OptOther && int(k) < len(optionNames) {
		return optionNames[k]
	}
	if k == OptOther {
		return "other"
	}
	return fmt.Sprintf("OptionKind(%d)", int(k))
}

// HasValue reports whether the option takes a value (NAME=value).
func (k OptionKind) HasValue() bool {
	return k == OptRDPath || k == OptRDImageOffset || k == OptRDImageLength
}

// numeric reports whether the option's value is a decimal byte count.
func (k OptionKind) numeric() bool { return k == OptRDImageOffset || k == OptRDImageLength }

func kindOf(name string) OptionKind {
	u := strings.ToUpper(name)
	for k, n := range optionNames {
		if n != "" && n == u {
			return OptionKind(k)
		}
	}
	return OptOther
}

// Option is one token of a boot option string.
type Option struct {
	Kind     OptionKind
	Name     string // as written, without "/" and "=" ("rdpath", "RDIMAGEOFFSET"); for text that is not an option, the whole token
	Value    string // the text after "=" ("" for switches)
	HasValue bool   // whether there was an "="
	IsOption bool   // whether the token starts with "/"
	// Legacy marks the community spelling /rdoffset=N, read as
	// RDIMAGEOFFSET (Kind is OptRDImageOffset). NTLDR ignores that name.
	Legacy bool

	lead string // whitespace before the token
	text string // the token as read; "" once edited
}

// Text is the token as it is rendered.
func (o *Option) Text() string {
	if o.text != "" {
		return o.text
	}
	if !o.IsOption {
		return o.Name
	}
	s := "/" + o.Name
	if o.HasValue {
		s += "=" + o.Value
	}
	return s
}

// Uint parses the value as the loader does: decimal digits.
func (o *Option) Uint() (uint64, error) {
	v, err := parseDecimal(o.Value)
	if err != nil {
		return 0, fmt.Errorf("ramdisk: /%s=%s: %w", o.Name, o.Value, err)
	}
	return v, nil
}

func parseDecimal(s string) (uint64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a decimal number (NTLDR reads these values with atol): %w", s, ErrInvalidArgument)
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range: %w", s, ErrInvalidArgument)
	}
	return v, nil
}

// BootOptions is an OsLoadOptions-style string ("/minint /fastdetect
// /rdexportascd /rdpath=\NETPE\NETPE.ISO") as an ordered list of tokens.
// Rendering an unedited list gives the input exactly (case, spacing, unknown
// options); an edit changes only its own token. The zero value is an empty
// list, ready to use.
//
// The community spelling /rdoffset=N is accepted as RDIMAGEOFFSET with a
// warning. An unedited render keeps it as written (the input is the user's;
// the warning says Windows ignores it); setting the image offset, or
// Normalize, rewrites that token as /RDIMAGEOFFSET=N, so the package never
// produces /rdoffset itself.
type BootOptions struct {
	// Lower makes options added by the setters lower-case (/minint), as in
	// most winnt.sif samples; otherwise they are upper-case (/MININT), as
	// Windows documents them. ParseBootOptions sets it when every option of
	// the input is lower-case. Edited tokens keep the case they had.
	Lower    bool
	Warnings []Warning

	opts  []*Option
	trail string // whitespace after the last token
}

// ParseBootOptions splits s into tokens at spaces and tabs. Nothing is
// rejected: odd input gives warnings (Offset is the token's byte offset).
// Only a string longer than MaxOptionsLen fails, with ErrLimit.
func ParseBootOptions(s string, opts *ReadOptions) (*BootOptions, error) {
	lim := opts.limits()
	if len(s) > lim.MaxOptionsLen {
		return nil, fmt.Errorf("ramdisk: boot option string of %d bytes exceeds the limit of %d: %w", len(s), lim.MaxOptionsLen, ErrLimit)
	}
	b := &BootOptions{}
	seen := map[OptionKind]bool{}
	i := 0
	for i < len(s) {
		j := i
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j == len(s) {
			b.trail = s[i:]
			break
		}
		k := j
		for k < len(s) && !isSpace(s[k]) {
			k++
		}
		o := parseToken(s[j:k])
		o.lead = s[i:j]
		b.check(o, j, seen)
		b.opts = append(b.opts, o)
		i = k
	}
	// Options added later follow the input's style: lower-case when every
	// option in it is written in lower case.
	lower, hasOpt := true, false
	for _, o := range b.opts {
		if o.IsOption {
			hasOpt = true
			lower = lower && o.Name == strings.ToLower(o.Name)
		}
	}
	b.Lower = hasOpt && lower
	if b.Has(OptRDExportAsCD) && b.Has(OptRDExportAsHD) {
		b.warn(0, "both /RDEXPORTASCD and /RDEXPORTASHD are given")
	}
	return b, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func parseToken(t string) *Option {
	o := &Option{text: t}
	if len(t) < 2 || t[0] != '/' {
		o.Name = t
		return o
	}
	o.IsOption = true
	body := t[1:]
	if name, val, ok := strings.Cut(body, "="); ok {
		o.Name, o.Value, o.HasValue = name, val, true
	} else {
		o.Name = body
	}
	o.Kind = kindOf(o.Name)
	if o.Kind == OptOther && o.HasValue && strings.EqualFold(o.Name, legacyOffsetName) {
		o.Kind, o.Legacy = OptRDImageOffset, true
	}
	return o
}

func (b *BootOptions) warn(off int, format string, args ...any) {
	b.Warnings = append(b.Warnings, Warning{Offset: int64(off), Msg: fmt.Sprintf(format, args...)})
}

func (b *BootOptions) check(o *Option, off int, seen map[OptionKind]bool) {
	if o.Kind == OptOther {
		if !o.IsOption {
			b.warn(off, "token %q is not an option (it does not start with /)", o.Name)
		}
		return
	}
	if o.Legacy {
		b.warn(off, "/%s= is not a Windows option (NTLDR ignores it); read as /RDIMAGEOFFSET=%s", o.Name, o.Value)
	}
	if seen[o.Kind] {
		b.warn(off, "/%s appears again; the loader uses the first occurrence", o.Kind)
	}
	seen[o.Kind] = true
	switch {
	case o.Kind.HasValue() && !o.HasValue:
		b.warn(off, "/%s has no value", o.Name)
	case !o.Kind.HasValue() && o.HasValue:
		b.warn(off, "/%s is a switch but has the value %q", o.Name, o.Value)
	case o.Kind.numeric():
		if _, err := parseDecimal(o.Value); err != nil {
			b.warn(off, "/%s=%s: %v", o.Name, o.Value, err)
		}
	}
}

// String renders the options.
func (b *BootOptions) String() string {
	var sb strings.Builder
	for _, o := range b.opts {
		sb.WriteString(o.lead)
		sb.WriteString(o.Text())
	}
	sb.WriteString(b.trail)
	return sb.String()
}

// Options returns copies of the tokens in order.
func (b *BootOptions) Options() []Option {
	out := make([]Option, len(b.opts))
	for i, o := range b.opts {
		out[i] = *o
	}
	return out
}

func (b *BootOptions) first(k OptionKind) *Option {
	for _, o := range b.opts {
		if o.Kind == k {
			return o
		}
	}
	return nil
}

// Has reports whether an option of kind k is present.
func (b *BootOptions) Has(k OptionKind) bool { return b.first(k) != nil }

// Value returns the value of the first option of kind k.
func (b *BootOptions) Value(k OptionKind) (string, bool) {
	if o := b.first(k); o != nil && o.HasValue {
		return o.Value, true
	}
	return "", false
}

// RDPath returns the /RDPATH= value.
func (b *BootOptions) RDPath() (string, bool) { return b.Value(OptRDPath) }

// RDImageOffset returns the /RDIMAGEOFFSET= value (or a /rdoffset= value).
// ok is false when the option is absent or not a decimal number.
func (b *BootOptions) RDImageOffset() (uint64, bool) { return b.uint(OptRDImageOffset) }

// RDImageLength returns the /RDIMAGELENGTH= value.
func (b *BootOptions) RDImageLength() (uint64, bool) { return b.uint(OptRDImageLength) }

func (b *BootOptions) uint(k OptionKind) (uint64, bool) {
	o := b.first(k)
	if o == nil {
		return 0, false
	}
	v, err := o.Uint()
	return v, err == nil
}

func (b *BootOptions) name(k OptionKind) string {
	if b.Lower {
		return strings.ToLower(optionNames[k])
	}
	return optionNames[k]
}

// Set sets the value of a valued option (RDPATH, RDIMAGEOFFSET,
// RDIMAGELENGTH): the first token of that kind is changed in place (it
// keeps its spelling, except that /rdoffset becomes /RDIMAGEOFFSET), or a
// new token is appended.
func (b *BootOptions) Set(k OptionKind, value string) error {
	if !k.HasValue() {
		return fmt.Errorf("ramdisk: /%v takes no value: %w", k, ErrInvalidArgument)
	}
	if strings.ContainsAny(value, " \t\r\n") {
		return fmt.Errorf("ramdisk: /%v value %q contains white space, which ends an option: %w", k, value, ErrInvalidArgument)
	}
	if k.numeric() {
		if _, err := parseDecimal(value); err != nil {
			return err
		}
	}
	if o := b.first(k); o != nil {
		if o.Legacy {
			o.Name, o.Legacy = renameLike(o.Name, optionNames[k]), false
		}
		o.Value, o.HasValue, o.text = value, true, ""
		return nil
	}
	b.append(&Option{Kind: k, Name: b.name(k), Value: value, HasValue: true, IsOption: true})
	return nil
}

// renameLike returns name in the case style of like: lower-case if like is
// all lower-case, else upper-case.
func renameLike(like, name string) string {
	if like == strings.ToLower(like) {
		return strings.ToLower(name)
	}
	return name
}

// SetRDPath sets /RDPATH=.
func (b *BootOptions) SetRDPath(p string) error { return b.Set(OptRDPath, p) }

// SetRDImageOffset sets /RDIMAGEOFFSET= (replacing a /rdoffset= token).
func (b *BootOptions) SetRDImageOffset(n uint64) error {
	return b.Set(OptRDImageOffset, strconv.FormatUint(n, 10))
}

// SetRDImageLength sets /RDIMAGELENGTH=.
func (b *BootOptions) SetRDImageLength(n uint64) error {
	return b.Set(OptRDImageLength, strconv.FormatUint(n, 10))
}

// SetSwitch turns a switch (MININT, FASTDETECT, NOGUIBOOT, RDEXPORTASCD,
// RDEXPORTASHD) on, appending it when absent, or off, removing every token
// of that kind.
func (b *BootOptions) SetSwitch(k OptionKind, on bool) error {
	if k == OptOther || k.HasValue() || int(k) >= len(optionNames) {
		return fmt.Errorf("ramdisk: %v is not a switch: %w", k, ErrInvalidArgument)
	}
	if !on {
		b.Remove(k)
		return nil
	}
	if !b.Has(k) {
		b.append(&Option{Kind: k, Name: b.name(k), IsOption: true})
	}
	return nil
}

func (b *BootOptions) append(o *Option) {
	if len(b.opts) > 0 || b.trail != "" {
		o.lead = " "
	}
	if len(b.opts) == 0 && b.trail != "" {
		o.lead, b.trail = b.trail, ""
	}
	b.opts = append(b.opts, o)
}

// Remove deletes every token of kind k with the white space before it, and
// reports whether there was one. White space at the very start of the
// string is kept.
func (b *BootOptions) Remove(k OptionKind) bool {
	var out []*Option
	var lead *string // leading white space of a removed first token
	found := false
	for _, o := range b.opts {
		if o.Kind == k {
			found = true
			if len(out) == 0 && lead == nil {
				l := o.lead
				lead = &l
			}
			continue
		}
		if lead != nil {
			o.lead, lead = *lead, nil
		}
		out = append(out, o)
	}
	if lead != nil {
		b.trail = *lead + b.trail
	}
	b.opts = out
	return found
}

// SetOther sets an option this package does not model, by name (matched
// case-insensitively): "SOS" with hasValue false gives /SOS, "MAXMEM",
// "512", true gives /MAXMEM=512. An existing token is changed in place.
func (b *BootOptions) SetOther(name, value string, hasValue bool) error {
	if name == "" || strings.ContainsAny(name, " \t\r\n=/") || strings.ContainsAny(value, " \t\r\n") {
		return fmt.Errorf("ramdisk: bad option %q=%q: %w", name, value, ErrInvalidArgument)
	}
	if k := kindOf(name); k != OptOther {
		if k.HasValue() {
			return b.Set(k, value)
		}
		return b.SetSwitch(k, true)
	}
	for _, o := range b.opts {
		if o.Kind == OptOther && o.IsOption && strings.EqualFold(o.Name, name) {
			o.Value, o.HasValue, o.text = value, hasValue, ""
			return nil
		}
	}
	b.append(&Option{Name: name, Value: value, HasValue: hasValue, IsOption: true})
	return nil
}

// Normalize rewrites every /rdoffset=N token as /RDIMAGEOFFSET=N (in the
// token's case style) and reports how many it changed.
func (b *BootOptions) Normalize() int {
	n := 0
	for _, o := range b.opts {
		if o.Legacy {
			o.Name, o.Legacy, o.text = renameLike(o.Name, optionNames[OptRDImageOffset]), false, ""
			n++
		}
	}
	return n
}

// RAMDiskOptions is the typed view of the RAM-disk related options.
type RAMDiskOptions struct {
	Path           string // /RDPATH=
	ImageOffset    uint64 // /RDIMAGEOFFSET= (or /rdoffset=)
	HasImageOffset bool
	ImageLength    uint64 // /RDIMAGELENGTH=
	HasImageLength bool
	ExportAsCD     bool // /RDEXPORTASCD
	ExportAsHD     bool // /RDEXPORTASHD
	MinInt         bool // /MININT
	FastDetect     bool // /FASTDETECT
	NoGUIBoot      bool // /NOGUIBOOT
}

// RAMDisk returns the typed values of the modelled options.
func (b *BootOptions) RAMDisk() RAMDiskOptions {
	var r RAMDiskOptions
	r.Path, _ = b.RDPath()
	r.ImageOffset, r.HasImageOffset = b.RDImageOffset()
	r.ImageLength, r.HasImageLength = b.RDImageLength()
	r.ExportAsCD = b.Has(OptRDExportAsCD)
	r.ExportAsHD = b.Has(OptRDExportAsHD)
	r.MinInt = b.Has(OptMinInt)
	r.FastDetect = b.Has(OptFastDetect)
	r.NoGUIBoot = b.Has(OptNoGUIBoot)
	return r
}

// Apply makes the options match r: switches are added or removed, values
// set (a zero Path, or Has... false, removes the option). Tokens that are
// already right are not touched.
func (b *BootOptions) Apply(r RAMDiskOptions) error {
	sw := []struct {
		k  OptionKind
		on bool
	}{{OptMinInt, r.MinInt}, {OptFastDetect, r.FastDetect}, {OptNoGUIBoot, r.NoGUIBoot}, {OptRDExportAsCD, r.ExportAsCD}, {OptRDExportAsHD, r.ExportAsHD}}
	for _, s := range sw {
		if b.Has(s.k) != s.on {
			if err := b.SetSwitch(s.k, s.on); err != nil {
				return err
			}
		}
	}
	setVal := func(k OptionKind, have bool, v string) error {
		if !have {
			b.Remove(k)
			return nil
		}
		if cur, ok := b.Value(k); ok && cur == v && !b.first(k).Legacy {
			return nil
		}
		return b.Set(k, v)
	}
	if err := setVal(OptRDPath, r.Path != "", r.Path); err != nil {
		return err
	}
	if err := setVal(OptRDImageOffset, r.HasImageOffset, strconv.FormatUint(r.ImageOffset, 10)); err != nil {
		return err
	}
	return setVal(OptRDImageLength, r.HasImageLength, strconv.FormatUint(r.ImageLength, 10))
}

// BCDElement describes an element of the Vista+ BCD {ramdiskoptions} device
// object, the successor of the NTLDR options (BcdDeviceObjectElementTypes).
type BCDElement struct {
	Name   string     // bcdedit name
	ID     uint32     // element type
	Format string     // "integer", "boolean", "device", "string"
	Option OptionKind // the NTLDR option with the same meaning, or OptOther
}

// RAMDiskBCDElements lists the {ramdiskoptions} elements. IDs are from
// Microsoft's BcdDeviceObjectElementTypes; ramdisksdidevice and
// ramdisksdipath appear in Microsoft's examples, the other bcdedit names
// were not verified against bcdedit /? TYPES DEVOBJECT. TftpBlockSize and
// TftpWindowSize carry format 6 (boolean) in their IDs although they hold
// integers, as Microsoft lists them.
var RAMDiskBCDElements = []BCDElement{
	{"ramdiskimageoffset", 0x35000001, "integer", OptRDImageOffset},
	{"ramdisktftpclientport", 0x35000002, "integer", OptOther},
	{"ramdisksdidevice", 0x31000003, "device", OptOther},
	{"ramdisksdipath", 0x32000004, "string", OptOther},
	{"ramdiskimagelength", 0x35000005, "integer", OptRDImageLength},
	{"exportascd", 0x36000006, "boolean", OptRDExportAsCD},
	{"ramdisktftpblocksize", 0x36000007, "integer", OptOther},
	{"ramdisktftpwindowsize", 0x36000008, "integer", OptOther},
}

// BCDSetting is one element and value, as bcdedit /set would take them.
type BCDSetting struct {
	Name  string // bcdedit element name
	ID    uint32
	Value string // decimal for integers, "Yes" for booleans
}

// BCDSettings maps the options with a BCD counterpart to {ramdiskoptions}
// settings: RDIMAGEOFFSET, RDIMAGELENGTH, RDEXPORTASCD. (RDPATH has none: in
// BCD the image path is part of the osdevice, ramdisk=[boot]\path,{guid}.)
func (r RAMDiskOptions) BCDSettings() []BCDSetting {
	var out []BCDSetting
	for _, e := range RAMDiskBCDElements {
		switch {
		case e.Option == OptRDImageOffset && r.HasImageOffset:
			out = append(out, BCDSetting{e.Name, e.ID, strconv.FormatUint(r.ImageOffset, 10)})
		case e.Option == OptRDImageLength && r.HasImageLength:
			out = append(out, BCDSetting{e.Name, e.ID, strconv.FormatUint(r.ImageLength, 10)})
		case e.Option == OptRDExportAsCD && r.ExportAsCD:
			out = append(out, BCDSetting{e.Name, e.ID, "Yes"})
		}
	}
	return out
}
