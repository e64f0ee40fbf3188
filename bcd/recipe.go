package bcd

import (
	"errors"
	"slices"
)

// Firmware selects the boot loader file a recipe points at.
type Firmware int

// Firmware types.
const (
	BIOS Firmware = iota // winload.exe
	UEFI                 // winload.efi
)

func (f Firmware) loader(winpe bool) string {
	ext := ".exe"
	if f == UEFI {
		ext = ".efi"
	}
	if winpe {
		return `\windows\system32\boot\winload` + ext
	}
	return `\Windows\system32\winload` + ext
}

// WinPE describes a WinPE ramdisk boot entry: the osloader that boots a
// WIM file as a RAM disk, the {ramdiskoptions} object with the SDI file,
// and the {bootmgr} entries that make it the default. Zero fields take the
// defaults given.
type WinPE struct {
	// ID is the loader's identifier. Default: a random GUID.
	ID GUID
	// Description of the loader. Default "Windows PE".
	Description string
	// Firmware picks the loader: BIOS winload.exe (default) or UEFI
	// winload.efi.
	Firmware Firmware
	// LoaderPath overrides the loader path. Default
	// \windows\system32\boot\winload.exe (BIOS) or .efi (UEFI).
	LoaderPath string
	// WIMPath is the WIM file on Parent. Default \sources\boot.wim.
	WIMPath string
	// SDIPath is the boot.sdi file on SDIDevice. Default \boot\boot.sdi.
	SDIPath string
	// Parent is the device holding the WIM: nil for the boot device
	// ("[boot]", for PXE and CD boot), or a DevicePartition ("[C:]").
	Parent *Device
	// SDIDevice holds the SDI file. Default: the same as Parent.
	SDIDevice *Device
	// NoIntegrityChecks sets nointegritychecks Yes on {bootmgr} and on the
	// loader.
	NoIntegrityChecks bool
	// Timeout, when not nil, sets {bootmgr}'s timeout in seconds.
	Timeout *uint64
	// BootMgrDescription is {bootmgr}'s description when the recipe
	// creates it. Default "Windows Boot Manager".
	BootMgrDescription string
}

// NewWinPEStore creates a store (see New) holding the WinPE entry r
// (see AddWinPE).
func NewWinPEStore(r *WinPE, opts *Options) (*Store, *Object, error) {
	s, err := New(opts)
	if err != nil {
		return nil, nil, err
	}
	o, err := s.AddWinPE(r)
	if err != nil {
		return nil, nil, err
	}
	return s, o, nil
}

// AddWinPE adds the WinPE ramdisk entry r to the store, with the elements
// the published bcdedit recipe sets (Microsoft's "Boot to WinPE from a PXE
// server"):
//
//	{ramdiskoptions}  (created if missing) description, ramdisksdidevice, ramdisksdipath
//	osloader          description, device and osdevice ramdisk=[PARENT]WIM,{ramdiskoptions},
//	                  path, systemroot \windows, detecthal Yes, winpe Yes
//	                  [, nointegritychecks Yes]
//	{bootmgr}         (created if missing) description; the loader is appended to
//	                  displayorder and made the default [, timeout] [, nointegritychecks Yes]
//
// It returns the loader.
func (s *Store) AddWinPE(r *WinPE) (*Object, error) {
	if r == nil {
		r = &WinPE{}
	}
	parent := r.Parent
	if parent == nil {
		parent = &Device{Kind: DeviceBoot}
	}
	sdiDev := r.SDIDevice
	if sdiDev == nil {
		sdiDev = parent
	}
	opts, err := s.ensure(RamdiskOptions, TypeDevice, "Ramdisk Options")
	if err != nil {
		return nil, err
	}
	if err := opts.Set(ElemSDIDevice, sdiDev.Clone()); err != nil {
		return nil, err
	}
	if err := opts.Set(ElemSDIPath, String(or(r.SDIPath, `\boot\boot.sdi`))); err != nil {
		return nil, err
	}
	ld, err := s.Create(r.ID, TypeOSLoader)
	if err != nil {
		return nil, err
	}
	dev := &Device{Kind: DeviceRamdisk, Options: RamdiskOptions, Path: or(r.WIMPath, `\sources\boot.wim`), Parent: parent.Clone()}
	sets := []struct {
		t ElementType
		v Value
	}{
		{ElemDescription, String(or(r.Description, "Windows PE"))},
		{ElemDevice, dev},
		{ElemPath, String(or(r.LoaderPath, r.Firmware.loader(true)))},
		{ElemOSDevice, dev.Clone()},
		{ElemSystemRoot, String(`\windows`)},
		{ElemDetectHAL, Boolean(true)},
		{ElemWinPE, Boolean(true)},
	}
	if r.NoIntegrityChecks {
		sets = append(sets, struct {
			t ElementType
			v Value
		}{ElemNoIntegrity, Boolean(true)})
	}
	for _, e := range sets {
		if err := ld.Set(e.t, e.v); err != nil {
			return nil, err
		}
	}
	bm, err := s.addToBootMgr(ld.ID(), true, or(r.BootMgrDescription, "Windows Boot Manager"))
	if err != nil {
		return nil, err
	}
	if r.Timeout != nil {
		if err := bm.Set(ElemTimeout, Integer(*r.Timeout)); err != nil {
			return nil, err
		}
	}
	if r.NoIntegrityChecks {
		if err := bm.Set(ElemNoIntegrity, Boolean(true)); err != nil {
			return nil, err
		}
	}
	return ld, nil
}

// VHDBoot describes a native VHD boot entry: an osloader whose device and
// osdevice are a virtual disk file.
type VHDBoot struct {
	// ID is the loader's identifier. Default: a random GUID.
	ID GUID
	// Description of the loader. Default "Windows (VHD)".
	Description string
	// VHDPath is the virtual disk file on Host, such as \vhd\win.vhdx
	// (required).
	VHDPath string
	// Host is the partition holding the file ("[C:]"); nil means
	// "[locate]": the boot manager searches for it.
	Host *Device
	// Firmware picks the loader: BIOS winload.exe (default) or UEFI
	// winload.efi.
	Firmware Firmware
	// LoaderPath overrides the loader path. Default
	// \Windows\system32\winload.exe (BIOS) or .efi (UEFI).
	LoaderPath string
	// SystemRoot is the Windows directory inside the VHD. Default \Windows.
	SystemRoot string
	// Default makes the entry {bootmgr}'s default.
	Default bool
}

// AddVHDBoot adds the VHD boot entry r: an osloader with description,
// device vhd=[HOST]PATH (located through path, 0x12000002), osdevice
// vhd=[HOST]PATH (located through systemroot, 0x22000002), path and
// systemroot, appended to {bootmgr}'s displayorder ({bootmgr} is created
// when missing) and made its default when r.Default is set. It returns
// the loader.
func (s *Store) AddVHDBoot(r *VHDBoot) (*Object, error) {
	if r == nil || r.VHDPath == "" {
		return nil, argErr("vhd path", "", ErrInvalid, "VHDBoot needs a VHDPath")
	}
	host := r.Host
	if host == nil {
		host = &Device{Kind: DeviceLocate}
	}
	ld, err := s.Create(r.ID, TypeOSLoader)
	if err != nil {
		return nil, err
	}
	dev := &Device{Kind: DeviceVHD, Path: r.VHDPath, Parent: host.Clone(), LocateElement: ElemPath}
	osdev := &Device{Kind: DeviceVHD, Path: r.VHDPath, Parent: host.Clone(), LocateElement: ElemSystemRoot}
	for _, e := range []struct {
		t ElementType
		v Value
	}{
		{ElemDescription, String(or(r.Description, "Windows (VHD)"))},
		{ElemDevice, dev},
		{ElemPath, String(or(r.LoaderPath, r.Firmware.loader(false)))},
		{ElemOSDevice, osdev},
		{ElemSystemRoot, String(or(r.SystemRoot, `\Windows`))},
	} {
		if err := ld.Set(e.t, e.v); err != nil {
			return nil, err
		}
	}
	if _, err := s.addToBootMgr(ld.ID(), r.Default, "Windows Boot Manager"); err != nil {
		return nil, err
	}
	return ld, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ensure returns the object id, creating it with type t and description
// desc when it does not exist.
func (s *Store) ensure(id GUID, t ObjectType, desc string) (*Object, error) {
	o, err := s.Object(id)
	if err == nil {
		return o, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if o, err = s.Create(id, t); err != nil {
		return nil, err
	}
	return o, o.Set(ElemDescription, String(desc))
}

// addToBootMgr appends id to {bootmgr}'s displayorder (creating {bootmgr}
// when missing) and, when makeDefault is set, makes it the default.
func (s *Store) addToBootMgr(id GUID, makeDefault bool, desc string) (*Object, error) {
	bm, err := s.ensure(BootMgr, TypeBootMgr, desc)
	if err != nil {
		return nil, err
	}
	var order ObjectList
	if v, err := bm.Get(ElemDisplayOrder); err == nil {
		order, _ = v.(ObjectList)
	}
	if !slices.Contains(order, id) {
		if err := bm.Set(ElemDisplayOrder, append(slices.Clone(order), id)); err != nil {
			return nil, err
		}
	}
	if makeDefault {
		if err := bm.Set(ElemDefault, id); err != nil {
			return nil, err
		}
	}
	return bm, nil
}
