package bcd

import (
	"fmt"
	"strconv"
	"strings"
)

// ElementType identifies an element: class<<28 | format<<24 | subtype
// (Microsoft Learn "BcdElementType"; phnt MAKE_BCDE_DATA_TYPE). The class
// is 1 library (any application), 2 application (meaning depends on the
// application type: 0x23000003 is DefaultObject in {bootmgr} and
// AssociatedResumeObject in an osloader), 3 device, 4 setup template.
// Element key names are the type in 8 lower-case hex digits.
type ElementType uint32

// Element types used by this package's recipes and commands.
const (
	ElemDevice           ElementType = 0x11000001 // device (library ApplicationDevice)
	ElemPath             ElementType = 0x12000002 // path (library ApplicationPath)
	ElemDescription      ElementType = 0x12000004 // description
	ElemLocale           ElementType = 0x12000005 // locale
	ElemInherit          ElementType = 0x14000006 // inherit
	ElemRecoverySequence ElementType = 0x14000008 // recoverysequence
	ElemNoIntegrity      ElementType = 0x16000048 // nointegritychecks
	ElemDisplayOrder     ElementType = 0x24000001 // displayorder ({bootmgr})
	ElemBootSequence     ElementType = 0x24000002 // bootsequence ({bootmgr})
	ElemDefault          ElementType = 0x23000003 // default ({bootmgr})
	ElemTimeout          ElementType = 0x25000004 // timeout ({bootmgr})
	ElemToolsOrder       ElementType = 0x24000010 // toolsdisplayorder ({bootmgr})
	ElemOSDevice         ElementType = 0x21000001 // osdevice (osloader)
	ElemSystemRoot       ElementType = 0x22000002 // systemroot (osloader)
	ElemDetectHAL        ElementType = 0x26000010 // detecthal (osloader)
	ElemWinPE            ElementType = 0x26000022 // winpe (osloader)
	ElemSDIDevice        ElementType = 0x31000003 // ramdisksdidevice (device object)
	ElemSDIPath          ElementType = 0x32000004 // ramdisksdipath (device object)
)

// Format is the data format of an element (bits 24–27 of its type), which
// fixes its registry encoding (spec §2.1).
type Format uint8

// Element formats.
const (
	FormatDevice      Format = 1 // REG_BINARY device descriptor
	FormatString      Format = 2 // REG_SZ
	FormatObject      Format = 3 // REG_SZ "{guid}"
	FormatObjectList  Format = 4 // REG_MULTI_SZ of "{guid}"
	FormatInteger     Format = 5 // REG_BINARY uint64 (8 bytes written)
	FormatBoolean     Format = 6 // REG_BINARY one byte 0/1
	FormatIntegerList Format = 7 // REG_BINARY n × uint64
)

var formatNames = [...]string{"", "device", "string", "object", "object list", "integer", "boolean", "integer list"}

func (f Format) String() string {
	if int(f) < len(formatNames) && f != 0 {
		return formatNames[f]
	}
	return "format " + strconv.Itoa(int(f))
}

// Class returns the element class (bits 28–31).
func (t ElementType) Class() uint32 { return uint32(t) >> 28 }

// Format returns the data format (bits 24–27).
func (t ElementType) Format() Format { return Format(uint32(t) >> 24 & 0xf) }

// Subtype returns the low 24 bits.
func (t ElementType) Subtype() uint32 { return uint32(t) & 0xffffff }

// KeyName returns the name of the element's key: 8 lower-case hex digits,
// as bcdedit writes it.
func (t ElementType) KeyName() string { return fmt.Sprintf("%08x", uint32(t)) }

// ParseElementKey parses an element key name (8 hex digits, either case).
func ParseElementKey(s string) (ElementType, bool) {
	if len(s) != 8 {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return 0, false
	}
	return ElementType(v), true
}

type elementGroup uint8

// Element groups: the enumerations of the constant table, one per object
// class whose elements share a numbering.
const (
	groupLibrary elementGroup = iota
	groupBootMgr
	groupOSLoader
	groupResume
	groupMemDiag
	groupDevice
	groupTemplate
	groupNone
)

type elementEntry struct {
	t     ElementType
	name  string
	group elementGroup
}

// group returns the element group that names element t in an object of
// type obj: the library group for class 1, the application's group for
// class 2 (boot manager, OS loader, resume, memory tester), the device
// group for class 3, the template group for class 4, else groupNone.
func group(obj ObjectType, t ElementType) elementGroup {
	switch t.Class() {
	case 1:
		return groupLibrary
	case 2:
		switch obj.appType() {
		case appFwBootMgr, appBootMgr:
			return groupBootMgr
		case appOSLoader:
			return groupOSLoader
		case appResume:
			return groupResume
		case appMemDiag:
			return groupMemDiag
		}
	case 3:
		return groupDevice
	case 4:
		return groupTemplate
	}
	return groupNone
}

// Name returns the name of element t in the element table (from phnt
// ntbcd.h and Microsoft Learn, spec §2.2) as it applies to an object of
// type obj, such as "BcdOSLoaderObject_AssociatedResumeObject" for
// 0x23000003 in an osloader, or "" when the table has none.
func (t ElementType) Name(obj ObjectType) string {
	g := group(obj, t)
	for _, e := range elementTable {
		if e.t == t && e.group == g {
			return e.name
		}
	}
	return ""
}

// String returns every table name of t joined by "|" (a class-2 number
// can have several, one per application type), or the number in hex when
// the table has none.
func (t ElementType) String() string {
	var names []string
	for _, e := range elementTable {
		if e.t == t {
			names = append(names, e.name)
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf("%#08x", uint32(t))
	}
	return strings.Join(names, "|")
}

// FriendlyName returns the bcdedit name of element t in an object of type
// obj ("timeout", "osdevice"), or "custom:xxxxxxxx" (the type in hex, as
// bcdedit prints elements it has no name for).
func FriendlyName(obj ObjectType, t ElementType) string {
	if n, ok := friendlyName(obj, t); ok {
		return n
	}
	return "custom:" + t.KeyName()
}

func friendlyName(obj ObjectType, t ElementType) (string, bool) {
	g := group(obj, t)
	for _, f := range friendlyTable {
		if f.t == t && f.group == g {
			return f.name, true
		}
	}
	return "", false
}

// ParseElementName returns the element type a bcdedit element name
// stands for in an object of type obj (case-insensitive): a friendly name
// valid for the object's class, or custom:XXXXXXXX (hex, with or without
// 0x). Errors are *ArgError wrapping ErrUnknownElement.
func ParseElementName(obj ObjectType, name string) (ElementType, error) {
	low := strings.ToLower(name)
	if hexPart, ok := strings.CutPrefix(low, "custom:"); ok {
		hexPart = strings.TrimPrefix(hexPart, "0x")
		v, err := strconv.ParseUint(hexPart, 16, 32)
		if err != nil || hexPart == "" {
			return 0, argErr("element", name, ErrUnknownElement, "custom: needs an element type in hex")
		}
		return ElementType(v), nil
	}
	for _, f := range friendlyTable {
		if f.name == low && f.group == group(obj, f.t) {
			return f.t, nil
		}
	}
	for _, f := range friendlyTable {
		if f.name == low {
			return 0, argErr("element", name, ErrUnknownElement, "does not apply to an object of type %v", obj)
		}
	}
	return 0, argErr("element", name, ErrUnknownElement, "not a bcdedit element name or custom:XXXXXXXX")
}
