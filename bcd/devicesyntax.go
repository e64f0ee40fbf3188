package bcd

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Drives maps drive letters to partitions and back. Offline there are no
// drive letters, so the caller says which partition "C:" means (for
// parsing "partition=C:") and, optionally, which letter a partition
// should print as.
type Drives interface {
	// Partition returns the partition mounted at drive ("C:", upper case).
	Partition(drive string) (Partition, error)
	// Drive returns the drive ("C:") of p, or false when it has none.
	Drive(p Partition) (string, bool)
}

// DriveMap is a Drives backed by a map from drive ("C:") to partition.
type DriveMap map[string]Partition

// Partition returns the partition of drive (case-insensitive).
func (m DriveMap) Partition(drive string) (Partition, error) {
	if p, ok := m[strings.ToUpper(drive)]; ok {
		return p, nil
	}
	if p, ok := m[strings.ToLower(drive)]; ok {
		return p, nil
	}
	return Partition{}, fmt.Errorf("bcd: no partition for drive %s: %w", drive, ErrNotFound)
}

// Drive returns the drive of p; when several drives map to p, the
// alphabetically first.
func (m DriveMap) Drive(p Partition) (string, bool) {
	best := ""
	for k, v := range m {
		if v == p && (best == "" || strings.ToUpper(k) < best) {
			best = strings.ToUpper(k)
		}
	}
	return best, best != ""
}

// Syntax configures how devices and identifiers are parsed and printed.
// The zero value and nil mean: no drive letters, aliases for well-known
// identifiers.
type Syntax struct {
	// Drives resolves "C:" when parsing and names partitions when
	// printing. Without it, partitions print as their identity
	// (mbr:SIG:OFFSET, gpt:{DISK}:{PART}) and drive letters do not parse.
	Drives Drives
	// Verbose prints identifiers as GUIDs even when they have an alias,
	// as bcdedit /v does.
	Verbose bool
}

// DefaultLocateElement returns the element a locate or VHD device in
// element elem searches by when none is given: the path (0x12000002) for
// device, the system root (0x22000002) for osdevice, the SDI path for
// ramdisksdidevice and the boot-status log path for bootstatdevice
// (Microsoft Learn, BcdObject.SetVhdDeviceElement: "the application path
// is used to locate a boot device and the system root element to locate
// an operating system device"). It returns 0 for other elements.
func DefaultLocateElement(elem ElementType) ElementType {
	switch elem {
	case 0, ElemDevice:
		return ElemPath
	case ElemOSDevice:
		return ElemSystemRoot
	case ElemSDIDevice:
		return ElemSDIPath
	case 0x11000043:
		return 0x12000044
	}
	return 0
}

// ParseDevice parses bcdedit's device syntax for element elem (0 means a
// device element):
//
//	boot
//	partition=C:                      (a drive letter, through sx.Drives)
//	partition=mbr:1a2b3c4d:1048576    (MBR disk signature in hex, start offset in bytes)
//	partition=gpt:{disk}:{partition}  (GPT disk GUID, unique partition GUID)
//	ramdisk=[PARENT]\path\boot.wim,{ramdiskoptions}
//	vhd=[PARENT]\path\disk.vhd[,locate=custom:XXXXXXXX]
//	file=[PARENT]\path\file
//	locate[=custom:XXXXXXXX]
//
// PARENT is boot, locate, a drive letter or a partition identity. The
// locate element of vhd and locate defaults to DefaultLocateElement(elem).
// Keywords are case-insensitive. Errors are *ArgError wrapping
// ErrDeviceSyntax.
func ParseDevice(s string, elem ElementType, sx *Syntax) (*Device, error) {
	if sx == nil {
		sx = &Syntax{}
	}
	bad := func(format string, args ...any) (*Device, error) {
		return nil, argErr("device", s, ErrDeviceSyntax, format, args...)
	}
	// A trailing ",{id}" names the options object (ramdisk=...,{ramdiskoptions}).
	var options GUID
	body := s
	if i := strings.LastIndexByte(s, ','); i >= 0 && strings.HasPrefix(s[i+1:], "{") {
		id, err := ParseID(s[i+1:])
		if err != nil || id == Default || id == Current {
			return bad("%q is not an options object identifier", s[i+1:])
		}
		options, body = id, s[:i]
	}
	d, err := parseDeviceBody(s, body, elem, sx)
	if err != nil {
		return nil, err
	}
	d.Options = options
	return d, nil
}

func parseDeviceBody(s, body string, elem ElementType, sx *Syntax) (*Device, error) {
	bad := func(format string, args ...any) (*Device, error) {
		return nil, argErr("device", s, ErrDeviceSyntax, format, args...)
	}
	key, val, hasVal := strings.Cut(body, "=")
	switch strings.ToLower(key) {
	case "boot":
		if hasVal {
			return bad("boot takes no value")
		}
		return &Device{Kind: DeviceBoot}, nil
	case "locate":
		d := &Device{Kind: DeviceLocate, LocateElement: DefaultLocateElement(elem)}
		if hasVal {
			t, ok := parseCustomLocate(val)
			if !ok {
				return bad("locate takes =custom:XXXXXXXX (an element type in hex)")
			}
			d.LocateElement = t
		}
		if d.LocateElement == 0 {
			return bad("element %s has no default locate element; write locate=custom:XXXXXXXX", elem.KeyName())
		}
		return d, nil
	case "partition":
		if !hasVal {
			return bad("partition needs =C: or =mbr:SIG:OFFSET or =gpt:{DISK}:{PART}")
		}
		p, err := parsePartitionRef(s, val, sx)
		if err != nil {
			return nil, err
		}
		return &Device{Kind: DevicePartition, Partition: p}, nil
	case "ramdisk", "vhd", "file":
		if !hasVal {
			return bad("%s needs =[PARENT]\\path", strings.ToLower(key))
		}
	default:
		return bad("not boot, partition=, ramdisk=, vhd=, file= or locate")
	}
	kind := map[string]DeviceKind{"ramdisk": DeviceRamdisk, "vhd": DeviceVHD, "file": DeviceFile}[strings.ToLower(key)]
	if !strings.HasPrefix(val, "[") {
		return bad("the path must start with a [PARENT] such as [boot] or [C:]")
	}
	end := strings.IndexByte(val, ']')
	if end < 0 {
		return bad("missing ] after the parent")
	}
	parent, err := parseParent(s, val[1:end], sx)
	if err != nil {
		return nil, err
	}
	d := &Device{Kind: kind, Parent: parent}
	rest := val[end+1:]
	switch kind {
	case DeviceVHD:
		d.LocateElement = DefaultLocateElement(elem)
		// An index into rest: strings.ToLower may change the length of
		// text that is not valid UTF-8, so only ASCII letters are folded.
		if i := strings.LastIndex(asciiLower(rest), ",locate="); i >= 0 {
			t, ok := parseCustomLocate(rest[i+len(",locate="):])
			if !ok {
				return bad("locate= takes custom:XXXXXXXX (an element type in hex)")
			}
			d.LocateElement, rest = t, rest[:i]
		}
		if d.LocateElement == 0 {
			return bad("element %s has no default locate element; add ,locate=custom:XXXXXXXX", elem.KeyName())
		}
	}
	if rest == "" {
		return bad("no path after the parent")
	}
	if strings.ContainsRune(rest, 0) || !utf8.ValidString(rest) {
		return bad("the path has a NUL character or is not UTF-8")
	}
	d.Path = rest
	return d, nil
}

// asciiLower returns s with the ASCII letters A-Z in lower case: the same
// length as s, byte for byte.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// parseCustomLocate parses "custom:XXXXXXXX".
func parseCustomLocate(s string) (ElementType, bool) {
	h, ok := strings.CutPrefix(strings.ToLower(s), "custom:")
	if !ok {
		return 0, false
	}
	h = strings.TrimPrefix(h, "0x")
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil || h == "" {
		return 0, false
	}
	return ElementType(v), true
}

// parseParent parses the text inside [ ] of a file-backed device.
func parseParent(whole, s string, sx *Syntax) (*Device, error) {
	switch strings.ToLower(s) {
	case "boot":
		return &Device{Kind: DeviceBoot}, nil
	case "locate":
		return &Device{Kind: DeviceLocate}, nil
	}
	p, err := parsePartitionRef(whole, s, sx)
	if err != nil {
		return nil, err
	}
	return &Device{Kind: DevicePartition, Partition: p}, nil
}

// parsePartitionRef parses a drive letter or a partition identity.
func parsePartitionRef(whole, s string, sx *Syntax) (Partition, error) {
	if len(s) == 2 && s[1] == ':' && isLetter(s[0]) {
		drive := strings.ToUpper(s)
		if sx.Drives == nil {
			return Partition{}, argErr("device", whole, ErrDeviceSyntax,
				"drive %s needs a drive resolver (Syntax.Drives); write the partition as mbr:SIG:OFFSET or gpt:{DISK}:{PART}", drive)
		}
		p, err := sx.Drives.Partition(drive)
		if err != nil {
			return Partition{}, &ArgError{Kind: "device", Arg: whole, Msg: fmt.Sprintf("drive %s: %v", drive, err), Err: ErrDeviceSyntax}
		}
		return p, nil
	}
	p, err := ParsePartition(s)
	if err != nil {
		return Partition{}, argErr("device", whole, ErrDeviceSyntax, "%q is not a drive letter, mbr:SIG:OFFSET or gpt:{DISK}:{PART}", s)
	}
	return p, nil
}

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// ParsePartition parses the explicit partition identity syntax:
// "mbr:SIG:OFFSET" (disk signature as up to 8 hex digits, partition start
// in bytes as decimal or 0x hex) or "gpt:{DISK-GUID}:{PARTITION-GUID}".
// Errors are *ArgError wrapping ErrDeviceSyntax.
func ParsePartition(s string) (Partition, error) {
	bad := func(format string, args ...any) (Partition, error) {
		return Partition{}, argErr("partition", s, ErrDeviceSyntax, format, args...)
	}
	style, rest, ok := strings.Cut(s, ":")
	if !ok {
		return bad("want mbr:SIG:OFFSET or gpt:{DISK}:{PART}")
	}
	switch strings.ToLower(style) {
	case "mbr":
		sig, off, ok := strings.Cut(rest, ":")
		if !ok {
			return bad("want mbr:SIG:OFFSET")
		}
		sig = strings.TrimPrefix(strings.ToLower(sig), "0x")
		sv, err := strconv.ParseUint(sig, 16, 32)
		if err != nil || sig == "" {
			return bad("disk signature %q is not up to 8 hex digits", sig)
		}
		var ov uint64
		if h, isHex := strings.CutPrefix(strings.ToLower(off), "0x"); isHex {
			ov, err = strconv.ParseUint(h, 16, 64)
		} else {
			ov, err = strconv.ParseUint(off, 10, 64)
		}
		if err != nil {
			return bad("offset %q is not a byte offset", off)
		}
		return Partition{Style: MBR, Signature: uint32(sv), Offset: ov}, nil
	case "gpt":
		if len(rest) != 38+1+38 || rest[38] != ':' {
			return bad("want gpt:{DISK-GUID}:{PARTITION-GUID}")
		}
		disk, err1 := ParseGUID(rest[:38])
		part, err2 := ParseGUID(rest[39:])
		if err1 != nil || err2 != nil {
			return bad("want gpt:{DISK-GUID}:{PARTITION-GUID}")
		}
		return Partition{Style: GPT, DiskGUID: disk, PartitionGUID: part}, nil
	}
	return bad("want mbr:SIG:OFFSET or gpt:{DISK}:{PART}")
}

// idText prints an identifier as bcdedit does: its alias unless verbose.
func idText(id GUID, verbose bool) string {
	if !verbose {
		if a := Alias(id); a != "" {
			return a
		}
	}
	return id.String()
}

// Text returns d in bcdedit's device syntax for element elem (0 means a
// device element), the form ParseDevice reads: partitions as drive letters
// when sx.Drives knows them, else as identities; options objects as
// aliases unless sx.Verbose; a locate element only when it is not the
// default for elem. A DeviceUnknown prints as "unknown:" and its
// descriptor in hex.
func (d *Device) Text(elem ElementType, sx *Syntax) string {
	if sx == nil {
		sx = &Syntax{}
	}
	var s string
	switch d.Kind {
	case DeviceBoot:
		s = "boot"
	case DevicePartition:
		s = "partition=" + partitionText(d.Partition, sx)
	case DeviceRamdisk, DeviceFile, DeviceVHD:
		s = d.Kind.String() + "=[" + parentText(d.Parent, sx) + "]" + d.Path
		if d.Kind == DeviceVHD && d.LocateElement != DefaultLocateElement(elem) {
			s += fmt.Sprintf(",locate=custom:%08x", uint32(d.LocateElement))
		}
	case DeviceLocate:
		s = "locate"
		if d.LocateElement != DefaultLocateElement(elem) {
			s += fmt.Sprintf("=custom:%08x", uint32(d.LocateElement))
		}
	default:
		s = "unknown:" + strings.ReplaceAll(hexBytes(d.Raw), " ", "")
	}
	if !d.Options.IsZero() {
		s += "," + idText(d.Options, sx.Verbose)
	}
	return s
}

// String returns d.Text(0, nil).
func (d *Device) String() string { return d.Text(0, nil) }

func partitionText(p Partition, sx *Syntax) string {
	if sx.Drives != nil {
		if drive, ok := sx.Drives.Drive(p); ok {
			return drive
		}
	}
	return p.String()
}

func parentText(p *Device, sx *Syntax) string {
	if p == nil {
		return ""
	}
	switch p.Kind {
	case DeviceBoot:
		return "boot"
	case DeviceLocate:
		return "locate"
	case DevicePartition:
		return partitionText(p.Partition, sx)
	}
	return p.Text(0, sx)
}
