package bcd

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// SetRamdiskImage points RAM-disk boot entries at another image file, as
//
//	bcdedit /set ID device ramdisk=[boot]\Test\TestPE.wim,{ramdiskoptions}
//	bcdedit /set ID osdevice ramdisk=[boot]\Test\TestPE.wim,{ramdiskoptions}
//
// do for each entry, keeping each device's parent ([boot], a partition) and
// options object ({ramdiskoptions}, with the SDI file): this is how a copy of
// a WinPE store is made to boot a second WIM from the same server.
//
// The entries are the application objects ids ({default} works), or, when
// ids is empty, every application object whose device or osdevice element
// is a RAM disk. Of each entry, the device and osdevice elements that are
// RAM disks get the new path; other elements are not touched. It returns the
// objects it changed, in store order when ids is empty.
//
// path must start with a backslash (the image's path on the parent device,
// such as \Test\TestPE.wim) and be UTF-8 without NUL characters: an
// *ArgError wrapping ErrDeviceSyntax otherwise. An id that names no object
// wraps ErrNotFound, and so does a store with no RAM-disk entry to change.
// Every entry is checked before the first one is changed.
func (s *Store) SetRamdiskImage(path string, ids ...GUID) ([]*Object, error) {
	if !strings.HasPrefix(path, `\`) || strings.ContainsRune(path, 0) || !utf8.ValidString(path) {
		return nil, argErr("device", path, ErrDeviceSyntax, `the image path must start with \ and be UTF-8 without NUL`)
	}
	var objs []*Object
	if len(ids) == 0 {
		all, err := s.Objects()
		if err != nil {
			return nil, err
		}
		objs = all
	} else {
		for _, id := range ids {
			r, err := s.Resolve(id)
			if err != nil {
				return nil, err
			}
			o, err := s.Object(r)
			if err != nil {
				return nil, err
			}
			objs = append(objs, o)
		}
	}

	type change struct {
		o    *Object
		t    ElementType
		next *Device
	}
	var changes []change
	var changed []*Object
	for _, o := range objs {
		if !o.Type().IsApplication() {
			continue
		}
		n := len(changes)
		for _, t := range []ElementType{ElemDevice, ElemOSDevice} {
			v, err := o.Get(t)
			if err != nil {
				continue // not set, or does not decode: not a RAM disk this can change
			}
			d, ok := v.(*Device)
			if !ok || d.Kind != DeviceRamdisk {
				continue
			}
			nd := d.Clone()
			nd.Path = path
			changes = append(changes, change{o, t, nd})
		}
		if len(changes) > n {
			changed = append(changed, o)
		}
	}
	if len(changes) == 0 {
		return nil, fmt.Errorf("bcd: no RAM-disk boot entry (device or osdevice ramdisk=...) to point at %s: %w", path, ErrNotFound)
	}
	for _, c := range changes {
		if err := c.o.Set(c.t, c.next); err != nil {
			return changed, err
		}
	}
	return changed, nil
}
