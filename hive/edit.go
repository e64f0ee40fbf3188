package hive

import (
	"errors"
	"fmt"
	"strings"
)

// Format minor versions New can create (major version is always 1).
const (
	Version13 uint32 = 3 // regf 1.3: lf lists, no big data (BCD stores, Windows XP)
	Version15 uint32 = 5 // regf 1.5: lh lists, big data (Windows XP SP2 and later)
)

// New creates an empty hive of format version 1.minor (2 to 6; Version13
// and Version15 are the usual ones) whose root key is named rootName. The
// root key gets opts.RootSecurity, or DefaultSecurityDescriptor.
func New(rootName string, minor uint32, opts *Options) (*Hive, error) {
	if minor < 2 || minor > 6 {
		return nil, fmt.Errorf("hive: cannot create version 1.%d: %w", minor, ErrUnsupported)
	}
	h := &Hive{lim: opts.limits(), now: opts.clock(), minor: minor}
	if err := h.checkKeyName(rootName); err != nil {
		return nil, err
	}
	sd := DefaultSecurityDescriptor()
	if opts != nil && opts.RootSecurity != nil {
		sd = append([]byte(nil), opts.RootSecurity...)
	}
	if err := ValidateSecurityDescriptor(sd); err != nil {
		return nil, err
	}
	h.buf = make([]byte, binsStart, binsStart+4096)
	bb := h.base()
	copy(bb.signature(), "regf")
	put32(bb.seq1(), 0)
	put32(bb.seq2(), 0)
	put32(bb.major(), 1)
	put32(bb.minor(), minor)
	put32(bb.fileFormat(), 1)
	put32(bb.clustering(), 1)
	h.starts = newBitset(0)
	raw, comp := encodeName(rootName)
	root, err := h.alloc(nkFixed + len(raw))
	if err != nil {
		return nil, err
	}
	h.root = root
	put32(h.base().rootCell(), root)
	h.initKey(root, noCell, raw, comp, keyRootFlags)
	s, err := h.alloc(skFixed + len(sd))
	if err != nil {
		return nil, err
	}
	sc := skCell(h.cellAt(s))
	copy(sc, "sk")
	put32(sc.flink(), s)
	put32(sc.blink(), s)
	put32(sc.refCount(), 1)
	put32(sc.descSize(), uint32(len(sd)))
	copy(sc[skFixed:], sd)
	put32(h.nkAt(root).security(), s)
	h.modified = true
	return h, nil
}

// checkKeyName validates a key name for writing.
func (h *Hive) checkKeyName(name string) error {
	if name == "" {
		return fmt.Errorf("hive: empty key name: %w", ErrInvalid)
	}
	if strings.ContainsRune(name, '\\') {
		return fmt.Errorf("hive: key name %q contains a backslash: %w", name, ErrInvalid)
	}
	if n := len(nameUnits(name)); n > h.lim.MaxNameLen {
		return fmt.Errorf("hive: key name of %d characters exceeds MaxNameLen: %w", n, ErrLimit)
	}
	return nil
}

// initKey fills a freshly allocated nk cell.
func (h *Hive) initKey(off, parent uint32, raw []byte, comp bool, flags uint16) {
	n := h.nkAt(off)
	copy(n.sig(), "nk")
	if comp {
		flags |= KeyCompName
	}
	put16(n.flags(), flags)
	put64(n.time(), TimeToFiletime(h.now()))
	put32(n.parent(), parent)
	put32(n.subList(), noCell)
	put32(n.volList(), noCell)
	put32(n.valList(), noCell)
	put32(n.security(), noCell)
	put32(n.class(), noCell)
	put16(n.nameLen(), uint16(len(raw)))
	copy(n[nkFixed:], raw)
}

// depth returns the nesting depth of key k below the root.
func (h *Hive) depth(k uint32) (int, error) {
	d := 0
	for k != h.root {
		n, err := h.nk(k)
		if err != nil {
			return 0, err
		}
		k = le32(n.parent())
		d++
		if d > h.lim.MaxDepth {
			return 0, fmt.Errorf("hive: key nested deeper than MaxDepth: %w", ErrLimit)
		}
	}
	return d, nil
}

// createChild adds a subkey named name to key k (which must not have one).
func (h *Hive) createChild(k uint32, name string) (uint32, error) {
	if err := h.checkKeyName(name); err != nil {
		return 0, err
	}
	pn, err := h.nk(k)
	if err != nil {
		return 0, err
	}
	sk := le32(pn.security())
	if _, err := h.sk(sk); err != nil {
		return 0, fmt.Errorf("hive: parent key has no usable security descriptor: %w", err)
	}
	raw, comp := encodeName(name)
	c, err := h.alloc(nkFixed + len(raw))
	if err != nil {
		return 0, err
	}
	h.initKey(c, k, raw, comp, 0)
	put32(h.nkAt(c).security(), sk)
	if err := h.skRetain(sk); err != nil {
		return 0, err
	}
	if err := h.listInsert(k, c); err != nil {
		return 0, err
	}
	n := h.nkAt(k)
	if l := uint32(2 * nameLen16(raw, comp)); l > le32(n.maxName())&nkMaxNameMask {
		put32(n.maxName(), le32(n.maxName())&^nkMaxNameMask|l)
	}
	h.stamp(k)
	return c, nil
}

// CreateKey opens the key at path below k, creating every missing key on
// the way (a new key shares its parent's security descriptor). It is not an
// error if the key exists.
func (k *Key) CreateKey(path string) (*Key, error) {
	parts, err := splitPath(path)
	if err != nil {
		return nil, err
	}
	if _, err := k.node(); err != nil {
		return nil, err
	}
	d, err := k.h.depth(k.off)
	if err != nil {
		return nil, err
	}
	if d+len(parts) > k.h.lim.MaxDepth {
		return nil, fmt.Errorf("hive: key path %q would nest deeper than MaxDepth: %w", path, ErrLimit)
	}
	cur := k.off
	for _, p := range parts {
		c, ok, err := k.h.findChild(cur, upcaseUnits(p))
		if err != nil {
			return nil, err
		}
		if !ok {
			if c, err = k.h.createChild(cur, p); err != nil {
				return nil, err
			}
		}
		cur = c
	}
	return &Key{k.h, cur}, nil
}

// DeleteSubkey deletes the subkey named name and everything below it;
// ErrNotFound when there is none.
func (k *Key) DeleteSubkey(name string) error {
	c, err := k.Subkey(name)
	if err != nil {
		return err
	}
	return k.h.deleteTree(k.off, c.off)
}

// Delete deletes the key and everything below it. The root cannot be
// deleted (ErrInvalid).
func (k *Key) Delete() error {
	p, err := k.Parent()
	if err != nil {
		return err
	}
	if p == nil {
		return fmt.Errorf("hive: cannot delete the root key: %w", ErrInvalid)
	}
	return k.h.deleteTree(p.off, k.off)
}

// deleteTree removes key c from parent p's list and frees c and every key,
// value, list, class name and unreferenced security cell below it.
func (h *Hive) deleteTree(p, c uint32) error {
	// Collect the subtree first (parents before children), so every list
	// is read before any cell is freed.
	order := []uint32{c}
	depth := map[uint32]int{c: 0}
	for i := 0; i < len(order); i++ {
		k := order[i]
		kids, err := h.childrenOf(k)
		if err != nil {
			return err
		}
		if len(kids) > 0 && depth[k] >= h.lim.MaxDepth {
			return fmt.Errorf("hive: key nested deeper than MaxDepth: %w", ErrLimit)
		}
		for _, kid := range kids {
			depth[kid] = depth[k] + 1
		}
		order = append(order, kids...)
	}
	// Validate the values before changing anything.
	for _, k := range order {
		list, err := h.valueList(k)
		if err != nil {
			return err
		}
		for _, v := range list {
			vc, err := h.vk(v)
			if err != nil {
				return err
			}
			if _, err := h.dataCells(vc); err != nil {
				return err
			}
		}
	}
	if err := h.listRemove(p, c); err != nil {
		return err
	}
	for i := len(order) - 1; i >= 0; i-- {
		if err := h.freeKey(order[i]); err != nil {
			return err
		}
	}
	h.stamp(p)
	return nil
}

// freeKey frees one key node and what only it references; its subkeys must
// already be gone (their list cells are freed here).
func (h *Hive) freeKey(k uint32) error {
	list, err := h.valueList(k)
	if err != nil {
		return err
	}
	for _, v := range list {
		if err := h.freeData(v); err != nil {
			return err
		}
		if err := h.free(v); err != nil {
			return err
		}
	}
	n := h.nkAt(k)
	if le32(n.nVal()) > 0 {
		if err := h.free(le32(n.valList())); err != nil {
			return err
		}
	}
	n = h.nkAt(k)
	if top := le32(n.subList()); le32(n.nSub()) > 0 && top != noCell {
		if err := h.freeList(top); err != nil {
			return err
		}
	}
	n = h.nkAt(k)
	if co := le32(n.class()); co != noCell && le16(n.classLen()) > 0 {
		if err := h.free(co); err != nil {
			return err
		}
	}
	n = h.nkAt(k)
	if s := le32(n.security()); s != noCell {
		if err := h.skRelease(s); err != nil {
			return err
		}
	}
	return h.free(k)
}

// SetValue creates or overwrites the value name ("" is the default value)
// with type t and a copy of data. Setting the same type and data again
// changes nothing. An existing value keeps the case of its name.
func (k *Key) SetValue(name string, t ValueType, data []byte) error {
	return k.h.setValue(k.off, name, uint32(t), data)
}

// SetString sets a REG_SZ value.
func (k *Key) SetString(name, s string) error { return k.SetValue(name, String, EncodeString(s)) }

// SetExpandString sets a REG_EXPAND_SZ value.
func (k *Key) SetExpandString(name, s string) error {
	return k.SetValue(name, ExpandString, EncodeString(s))
}

// SetMultiString sets a REG_MULTI_SZ value.
func (k *Key) SetMultiString(name string, ss []string) error {
	b, err := EncodeMultiString(ss)
	if err != nil {
		return err
	}
	return k.SetValue(name, MultiString, b)
}

// SetDWord sets a REG_DWORD value.
func (k *Key) SetDWord(name string, x uint32) error { return k.SetValue(name, DWord, EncodeDWord(x)) }

// SetQWord sets a REG_QWORD value.
func (k *Key) SetQWord(name string, x uint64) error { return k.SetValue(name, QWord, EncodeQWord(x)) }

// SetBinary sets a REG_BINARY value.
func (k *Key) SetBinary(name string, b []byte) error { return k.SetValue(name, Binary, b) }

// DeleteValue deletes the value name; ErrNotFound when there is none.
func (k *Key) DeleteValue(name string) error {
	if _, err := k.node(); err != nil {
		return err
	}
	i, off, ok, err := k.h.findValue(k.off, upcaseUnits(name))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("hive: value %q: %w", name, ErrNotFound)
	}
	if _, err := k.h.dataCells(k.h.cellAt(off)); err != nil {
		return err
	}
	return k.h.deleteValueAt(k.off, i, off)
}

// Rename changes the key's name. The receiver follows the key if it has to
// move to a larger cell. A sibling with the same name is ErrExists.
func (k *Key) Rename(name string) error {
	h := k.h
	if err := h.checkKeyName(name); err != nil {
		return err
	}
	n, err := k.node()
	if err != nil {
		return err
	}
	isRoot := k.off == h.root
	var parent uint32
	if !isRoot {
		parent = le32(n.parent())
		c, ok, err := h.findChild(parent, upcaseUnits(name))
		if err != nil {
			return err
		}
		if ok && c != k.off {
			return fmt.Errorf("hive: key %q: %w", name, ErrExists)
		}
	}
	kids, err := h.childrenOf(k.off)
	if err != nil {
		return err
	}
	if !isRoot {
		if err := h.listRemove(parent, k.off); err != nil {
			return err
		}
	}
	raw, comp := encodeName(name)
	off, err := h.realloc(k.off, nkFixed+len(raw))
	if err != nil {
		return err
	}
	n = h.nkAt(off)
	flags := le16(n.flags()) &^ KeyCompName
	if comp {
		flags |= KeyCompName
	}
	put16(n.flags(), flags)
	put16(n.nameLen(), uint16(len(raw)))
	copy(n[nkFixed:], raw)
	clear(n[nkFixed+len(raw):])
	if off != k.off {
		for _, c := range kids {
			put32(h.nkAt(c).parent(), off)
		}
		if isRoot {
			h.root = off
			put32(h.base().rootCell(), off)
		}
		k.off = off
	}
	h.stamp(off)
	if !isRoot {
		if err := h.listInsert(parent, off); err != nil {
			return err
		}
		pn := h.nkAt(parent)
		if l := uint32(2 * nameLen16(raw, comp)); l > le32(pn.maxName())&nkMaxNameMask {
			put32(pn.maxName(), le32(pn.maxName())&^nkMaxNameMask|l)
		}
		h.stamp(parent)
	}
	return nil
}

// SetClass sets the key's class name; "" removes it.
func (k *Key) SetClass(class string) error {
	h := k.h
	n, err := k.node()
	if err != nil {
		return err
	}
	b := encodeClass(class)
	if len(b) > 0xFFFF {
		return fmt.Errorf("hive: class name of %d bytes is too long: %w", len(b), ErrLimit)
	}
	co := le32(n.class())
	has := co != noCell && le16(n.classLen()) > 0
	if has {
		if _, err := h.cell(co, "class name"); err != nil {
			return err
		}
	}
	switch {
	case len(b) == 0 && has:
		if err := h.free(co); err != nil {
			return err
		}
		co = noCell
	case len(b) > 0 && has:
		if co, err = h.realloc(co, len(b)); err != nil {
			return err
		}
		c := h.cellAt(co)
		copy(c, b)
		clear(c[len(b):])
	case len(b) > 0:
		if co, err = h.newCell(b); err != nil {
			return err
		}
	default:
		co = noCell
	}
	n = h.nkAt(k.off)
	put32(n.class(), co)
	put16(n.classLen(), uint16(len(b)))
	h.stamp(k.off)
	if k.off != h.root {
		pn := h.nkAt(le32(n.parent()))
		if l := uint32(len(b)); l > le32(pn.maxClass()) {
			put32(pn.maxClass(), l)
		}
	}
	return nil
}

// SetSecurity sets the key's security descriptor (self-relative; checked
// with ValidateSecurityDescriptor). Keys with equal descriptors share one
// sk cell; reference counts and the sk list are kept up to date, and an sk
// no longer used is freed.
func (k *Key) SetSecurity(sd []byte) error {
	h := k.h
	if err := ValidateSecurityDescriptor(sd); err != nil {
		return err
	}
	n, err := k.node()
	if err != nil {
		return err
	}
	old := le32(n.security())
	if s, err := h.sk(old); err == nil && string(s.desc()) == string(sd) {
		return nil
	}
	nw, err := h.skFor(sd)
	if err != nil {
		return err
	}
	if err := h.skRetain(nw); err != nil {
		return err
	}
	put32(h.nkAt(k.off).security(), nw)
	if _, err := h.sk(old); err == nil {
		if err := h.skRelease(old); err != nil {
			return err
		}
	}
	h.stamp(k.off)
	return nil
}

// Path-based editing on the hive, relative to the root key. These methods
// implement the registry-target interfaces of the inf and sif packages.

// CreateKey creates the key at path below the root, with any missing
// intermediate keys; an existing key is not an error.
func (h *Hive) CreateKey(path string) error {
	_, err := h.Root().CreateKey(path)
	return err
}

// SetRawValue creates the key at path if needed and creates or overwrites
// its value name ("" is the default value) with type typ and data.
func (h *Hive) SetRawValue(path, name string, typ uint32, data []byte) error {
	k, err := h.Root().CreateKey(path)
	if err != nil {
		return err
	}
	return k.SetValue(name, ValueType(typ), data)
}

// RawValue returns the type and a copy of the data of value name of the key
// at path. ok is false, with a nil error, when the key or value is missing.
func (h *Hive) RawValue(path, name string) (typ uint32, data []byte, ok bool, err error) {
	k, err := h.OpenKey(path)
	if errors.Is(err, ErrNotFound) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, err
	}
	v, err := k.Value(name)
	if errors.Is(err, ErrNotFound) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, err
	}
	data, err = v.Data()
	if err != nil {
		return 0, nil, false, err
	}
	return uint32(v.Type()), data, true, nil
}

// DeleteValue deletes value name of the key at path; a missing key or value
// is not an error.
func (h *Hive) DeleteValue(path, name string) error {
	k, err := h.OpenKey(path)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := k.DeleteValue(name); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// DeleteKey deletes the key at path and everything below it; a missing key
// is not an error. The root ("") cannot be deleted (ErrInvalid).
func (h *Hive) DeleteKey(path string) error {
	parts, err := splitPath(path)
	if err != nil {
		return err
	}
	if len(parts) == 0 {
		return fmt.Errorf("hive: cannot delete the root key: %w", ErrInvalid)
	}
	k, err := h.OpenKey(path)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return k.Delete()
}
