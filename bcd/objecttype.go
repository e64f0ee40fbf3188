package bcd

import (
	"fmt"
	"strings"
)

// ObjectType is the type of a BCD object, the REG_DWORD
// Objects\{id}\Description\Type. Its top 4 bits say what the object is
// (1 application, 2 inherit, 3 device). For applications, bits 20–23 are
// the image type (1 firmware, 2 boot application, 3 legacy loader, 4 real
// mode) and the low 20 bits the application type; for inherit objects,
// bits 20–23 are the class that may inherit (1 library: any application,
// 2 one application type given in the low bits, 3 device). Sources: ReactOS
// boot/environ/include/bcd.h (BcdObjectType) and Microsoft Learn
// ("BcdObject.Type").
type ObjectType uint32

// Object types bcdedit creates.
const (
	TypeFwBootMgr  ObjectType = 0x10100001 // firmware boot manager ({fwbootmgr})
	TypeBootMgr    ObjectType = 0x10100002 // Windows Boot Manager ({bootmgr})
	TypeOSLoader   ObjectType = 0x10200003 // Windows Boot Loader (winload)
	TypeResume     ObjectType = 0x10200004 // resume from hibernation (winresume)
	TypeMemDiag    ObjectType = 0x10200005 // Windows Memory Tester ({memdiag})
	TypeNTLdr      ObjectType = 0x10300006 // legacy NTLDR ({ntldr})
	TypeSetup      ObjectType = 0x10300007 // legacy setup loader (setupldr)
	TypeBootSector ObjectType = 0x10400008 // real-mode boot sector
	TypeStartup    ObjectType = 0x10400009 // real-mode startup application
	TypeFirmware   ObjectType = 0x101fffff // firmware boot entry in a UEFI system store

	TypeInheritLibrary ObjectType = 0x20100000 // settings any application inherits ({globalsettings})
	TypeInheritDevice  ObjectType = 0x20300000 // settings device objects inherit
	TypeDevice         ObjectType = 0x30000000 // device options ({ramdiskoptions})
)

// Application types, the low 20 bits of an application object type.
const (
	appFwBootMgr  = 1
	appBootMgr    = 2
	appOSLoader   = 3
	appResume     = 4
	appMemDiag    = 5
	appNTLdr      = 6
	appSetup      = 7
	appBootSector = 8
	appStartup    = 9
)

// appNames are the names bcdedit's /application and /inherit take.
var appNames = []struct {
	name string
	typ  ObjectType
}{
	{"fwbootmgr", TypeFwBootMgr},
	{"bootmgr", TypeBootMgr},
	{"osloader", TypeOSLoader},
	{"resume", TypeResume},
	{"memdiag", TypeMemDiag},
	{"ntldr", TypeNTLdr},
	{"setup", TypeSetup},
	{"bootsector", TypeBootSector},
	{"startup", TypeStartup},
}

// ApplicationType returns the object type of the application named name
// (case-insensitive): osloader, resume, startup, bootsector, fwbootmgr,
// bootmgr, memdiag, ntldr or setup. Errors wrap ErrValueType.
func ApplicationType(name string) (ObjectType, error) {
	for _, a := range appNames {
		if strings.EqualFold(a.name, name) {
			return a.typ, nil
		}
	}
	return 0, argErr("application type", name, ErrValueType,
		"not one of osloader, resume, startup, bootsector, fwbootmgr, bootmgr, memdiag, ntldr, setup")
}

// InheritType returns the type of an inherit object for the class named
// name: "" for library settings any application inherits (0x20100000),
// "device" for device settings (0x20300000), or an application name (see
// ApplicationType) for settings only that application type inherits
// (0x202000xx).
func InheritType(name string) (ObjectType, error) {
	if name == "" {
		return TypeInheritLibrary, nil
	}
	if strings.EqualFold(name, "device") {
		return TypeInheritDevice, nil
	}
	t, err := ApplicationType(name)
	if err != nil {
		return 0, argErr("inherit type", name, ErrValueType, "not an application type or \"device\"")
	}
	return 0x20200000 | t&0xfffff, nil
}

// IsApplication reports whether t is an application object type.
func (t ObjectType) IsApplication() bool { return t>>28 == 1 }

// IsInherit reports whether t is an inherit (settings) object type.
func (t ObjectType) IsInherit() bool { return t>>28 == 2 }

// IsDevice reports whether t is a device object type.
func (t ObjectType) IsDevice() bool { return t>>28 == 3 }

// appType returns the application type that selects the class-2 element
// names of an object of type t (0 when none does): the application type of
// an application, or of an inherit object for one application type.
func (t ObjectType) appType() uint32 {
	switch {
	case t.IsApplication():
		return uint32(t) & 0xfffff
	case t.IsInherit() && t>>20&0xf == 2:
		return uint32(t) & 0xfffff
	}
	return 0
}

// String returns the bcdedit name of an application type ("osloader"),
// "inherit", "inherit osloader", "inherit device", "device", or the number
// in hex.
func (t ObjectType) String() string {
	for _, a := range appNames {
		if a.typ == t {
			return a.name
		}
	}
	switch {
	case t == TypeFirmware:
		return "firmware"
	case t == TypeInheritLibrary:
		return "inherit"
	case t == TypeInheritDevice:
		return "inherit device"
	case t.IsInherit() && t>>20&0xf == 2:
		for _, a := range appNames {
			if uint32(a.typ)&0xfffff == uint32(t)&0xfffff {
				return "inherit " + a.name
			}
		}
	case t == TypeDevice:
		return "device"
	}
	return fmt.Sprintf("%#08x", uint32(t))
}

// title returns the section title bcdedit /enum prints for an object.
// The titles of {bootmgr} and osloader objects are confirmed in published
// bcdedit output; the others follow bcdedit's wording as documented on
// third-party pages and are not verified against a Windows machine.
func title(id GUID, t ObjectType) string {
	if w, ok := wellKnownByID(id); ok && w.title != "" {
		return w.title
	}
	switch t {
	case TypeFwBootMgr:
		return "Firmware Boot Manager"
	case TypeBootMgr:
		return "Windows Boot Manager"
	case TypeOSLoader:
		return "Windows Boot Loader"
	case TypeResume:
		return "Resume from Hibernate"
	case TypeMemDiag:
		return "Windows Memory Tester"
	case TypeNTLdr:
		return "Windows Legacy OS Loader"
	case TypeSetup:
		return "Windows Setup"
	case TypeBootSector:
		return "Real-mode Boot Sector"
	case TypeStartup:
		return "Real-mode Startup Application"
	case TypeDevice:
		return "Device options"
	}
	switch {
	case t.IsApplication():
		return fmt.Sprintf("Firmware Application (%08x)", uint32(t))
	case t.IsInherit():
		return "Inherit Settings"
	}
	return fmt.Sprintf("Object (%08x)", uint32(t))
}
