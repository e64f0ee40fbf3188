package bcd

import "strings"

// Well-known object identifiers (spec §2.4; GUIDs as bcdedit writes them,
// {resumeloadersettings} as real bcdedit output has it, not as DiscUtils).
var (
	BootMgr              = MustParseGUID("{9dea862c-5cdd-4e70-acc1-f32b344d4795}")
	FwBootMgr            = MustParseGUID("{a5a30fa2-3d06-4e9f-b5f4-a01df9d1fcba}")
	MemDiag              = MustParseGUID("{b2721d73-1db4-4c62-bf78-c548a880142d}")
	NTLdr                = MustParseGUID("{466f5a88-0af2-4f76-9038-095b170dc21c}")
	RamdiskOptions       = MustParseGUID("{ae5534e0-a924-466c-b836-758539a3ee3a}")
	GlobalSettings       = MustParseGUID("{7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}")
	BootLoaderSettings   = MustParseGUID("{6efb52bf-1766-41db-a6b3-0ee5eff72bd7}")
	ResumeLoaderSettings = MustParseGUID("{1afa9c49-16ab-4a5c-901b-212802da9460}")
	DbgSettings          = MustParseGUID("{4636856e-540f-4170-a130-a84776f4c654}")
	EMSSettings          = MustParseGUID("{0ce4991b-e6b3-4b16-b23c-5e0d9250e5d9}")
	BadMemory            = MustParseGUID("{5189b25c-5558-4bf2-bca4-289b11bd29e2}")
	HypervisorSettings   = MustParseGUID("{7ff607e0-4395-11db-b0de-0800200c9a66}")

	// Default and Current are virtual: no object has them. {default} names
	// the object {bootmgr}'s default element points at; {current} the
	// running system, which cannot be known offline.
	Default = MustParseGUID("{1cae1eb7-a0df-4d4d-9851-4860e34ef535}")
	Current = MustParseGUID("{fa926493-6f1c-4193-a414-58f0b2456d1e}")
)

type wellKnown struct {
	alias string
	id    GUID
	typ   ObjectType // type /create gives it
	title string     // section title, "" for the type's title
}

var wellKnowns = []wellKnown{
	{"{bootmgr}", BootMgr, TypeBootMgr, ""},
	{"{fwbootmgr}", FwBootMgr, TypeFwBootMgr, ""},
	{"{memdiag}", MemDiag, TypeMemDiag, ""},
	{"{ntldr}", NTLdr, TypeNTLdr, ""},
	{"{legacy}", NTLdr, TypeNTLdr, ""},
	{"{ramdiskoptions}", RamdiskOptions, TypeDevice, ""},
	{"{globalsettings}", GlobalSettings, TypeInheritLibrary, "Global Settings"},
	{"{bootloadersettings}", BootLoaderSettings, 0x20200003, "Boot Loader Settings"},
	{"{resumeloadersettings}", ResumeLoaderSettings, 0x20200004, "Resume Loader Settings"},
	{"{dbgsettings}", DbgSettings, TypeInheritLibrary, "Debugger Settings"},
	{"{emssettings}", EMSSettings, TypeInheritLibrary, "EMS Settings"},
	{"{badmemory}", BadMemory, TypeInheritLibrary, "RAM Defects"},
	{"{hypervisorsettings}", HypervisorSettings, 0x20200003, "Hypervisor Settings"},
}

// wellKnownByID returns the entry of a well-known object (the first alias).
func wellKnownByID(id GUID) (wellKnown, bool) {
	for _, w := range wellKnowns {
		if w.id == id {
			return w, true
		}
	}
	return wellKnown{}, false
}

// Alias returns the bcdedit alias of a well-known identifier ("{bootmgr}"),
// or "" when id has none. {default} and {current} are included.
func Alias(id GUID) string {
	switch id {
	case Default:
		return "{default}"
	case Current:
		return "{current}"
	}
	if w, ok := wellKnownByID(id); ok {
		return w.alias
	}
	return ""
}

// ParseID parses an identifier as bcdedit takes it: a braced GUID or an
// alias such as {bootmgr} (case-insensitive). {default} and {current}
// parse to the virtual identifiers Default and Current; Store.Resolve
// turns {default} into the object it names. Errors are *ArgError wrapping
// ErrInvalidID.
func ParseID(s string) (GUID, error) {
	switch strings.ToLower(s) {
	case "{default}":
		return Default, nil
	case "{current}":
		return Current, nil
	}
	for _, w := range wellKnowns {
		if strings.EqualFold(w.alias, s) {
			return w.id, nil
		}
	}
	if g, err := ParseGUID(s); err == nil {
		return g, nil
	}
	return GUID{}, argErr("identifier", s, ErrInvalidID, "not a {GUID} or a known alias such as {bootmgr}")
}

// WellKnownType returns the object type bcdedit gives a well-known object
// when it creates it (/create {bootmgr}), and false when id is not a
// creatable well-known identifier.
func WellKnownType(id GUID) (ObjectType, bool) {
	if w, ok := wellKnownByID(id); ok {
		return w.typ, true
	}
	return 0, false
}
