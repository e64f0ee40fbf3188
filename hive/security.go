package hive

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Key security ("sk") cells hold self-relative security descriptors. Keys
// share them: an sk carries a reference count (the number of key nodes
// pointing at it), and all sk cells of a hive form a circular doubly linked
// list (flink/blink), with a single sk pointing at itself.

type skCell []byte

const skFixed = 20

func (s skCell) flink() []byte    { return s[4:8] }
func (s skCell) blink() []byte    { return s[8:12] }
func (s skCell) refCount() []byte { return s[12:16] }
func (s skCell) descSize() []byte { return s[16:20] }
func (s skCell) desc() []byte     { return s[skFixed : skFixed+int(le32(s.descSize()))] }

// sk returns the key security cell at off, checked.
func (h *Hive) sk(off uint32) (skCell, error) {
	c, err := h.cell(off, "sk cell")
	if err != nil {
		return nil, err
	}
	if len(c) < skFixed || c[0] != 's' || c[1] != 'k' {
		return nil, cellErr(off, "sk cell", "not a key security record")
	}
	s := skCell(c)
	if uint64(le32(s.descSize())) > uint64(len(c)-skFixed) {
		return nil, cellErr(off, "sk cell", "descriptor size %d exceeds the cell", le32(s.descSize()))
	}
	return s, nil
}

// skRing returns the sk cells of the ring starting at start, in flink
// order, checking blink links on the way. It stops with an error on a
// broken or looping ring.
func (h *Hive) skRing(start uint32) ([]uint32, error) {
	var ring []uint32
	seen := map[uint32]bool{}
	for off := start; ; {
		s, err := h.sk(off)
		if err != nil {
			return ring, err
		}
		if seen[off] {
			return ring, cellErr(off, "sk cell", "security list loops back to %#x instead of its start", off+binsStart)
		}
		seen[off] = true
		ring = append(ring, off)
		next := le32(s.flink())
		ns, err := h.sk(next)
		if err != nil {
			return ring, err
		}
		if le32(ns.blink()) != off {
			return ring, cellErr(next, "sk cell", "blink %#x does not point back to %#x", le32(ns.blink())+binsStart, off+binsStart)
		}
		if next == start {
			return ring, nil
		}
		off = next
	}
}

// skIndexBuild indexes the descriptors of the root's security ring.
func (h *Hive) skIndexBuild() {
	if h.skByDesc != nil {
		return
	}
	h.skByDesc = map[string][]uint32{}
	start := le32(h.nkAt(h.root).security())
	ring, _ := h.skRing(start)
	for _, off := range ring {
		d := string(skCell(h.cellAt(off)).desc())
		h.skByDesc[d] = append(h.skByDesc[d], off)
	}
}

// skFor returns an sk cell holding desc: an existing one when the ring has
// it, else a new one linked into the ring.
func (h *Hive) skFor(desc []byte) (uint32, error) {
	h.skIndexBuild()
	for _, off := range h.skByDesc[string(desc)] {
		if s, err := h.sk(off); err == nil && bytes.Equal(s.desc(), desc) {
			return off, nil
		}
	}
	off, err := h.alloc(skFixed + len(desc))
	if err != nil {
		return 0, err
	}
	s := skCell(h.cellAt(off))
	copy(s, "sk")
	put32(s.descSize(), uint32(len(desc)))
	copy(s[skFixed:], desc)
	head := le32(h.nkAt(h.root).security())
	if hs, err := h.sk(head); err == nil && h.isRingMember(head) {
		// Insert before head, that is at the end of the list.
		last := le32(hs.blink())
		put32(s.flink(), head)
		put32(s.blink(), last)
		put32(skCell(h.cellAt(last)).flink(), off)
		put32(skCell(h.cellAt(head)).blink(), off)
	} else {
		put32(s.flink(), off)
		put32(s.blink(), off)
	}
	h.skByDesc[string(desc)] = append(h.skByDesc[string(desc)], off)
	return off, nil
}

// isRingMember reports whether the sk at off has valid links both ways.
func (h *Hive) isRingMember(off uint32) bool {
	s, err := h.sk(off)
	if err != nil {
		return false
	}
	f, b := le32(s.flink()), le32(s.blink())
	fs, err1 := h.sk(f)
	bs, err2 := h.sk(b)
	return err1 == nil && err2 == nil && le32(fs.blink()) == off && le32(bs.flink()) == off
}

// skRetain adds a reference to the sk at off.
func (h *Hive) skRetain(off uint32) error {
	s, err := h.sk(off)
	if err != nil {
		return err
	}
	put32(s.refCount(), le32(s.refCount())+1)
	h.touch()
	return nil
}

// skRelease drops a reference to the sk at off; at zero the sk is unlinked
// from the ring and freed.
func (h *Hive) skRelease(off uint32) error {
	s, err := h.sk(off)
	if err != nil {
		return err
	}
	rc := le32(s.refCount())
	if rc > 1 {
		put32(s.refCount(), rc-1)
		h.touch()
		return nil
	}
	f, b := le32(s.flink()), le32(s.blink())
	if f != off && h.isRingMember(off) {
		put32(skCell(h.cellAt(b)).flink(), f)
		put32(skCell(h.cellAt(f)).blink(), b)
	}
	if h.skByDesc != nil {
		d := string(s.desc())
		list := h.skByDesc[d]
		for i, o := range list {
			if o == off {
				h.skByDesc[d] = append(list[:i:i], list[i+1:]...)
				break
			}
		}
	}
	return h.free(off)
}

// Security descriptor validation: a self-relative SECURITY_DESCRIPTOR whose
// owner, group, SACL and DACL lie inside it.

const (
	seSelfRelative = 0x8000
	seDACLPresent  = 0x0004
	seSACLPresent  = 0x0010
	seDACLProtect  = 0x1000
)

// ValidateSecurityDescriptor checks that sd is a well-formed self-relative
// security descriptor (revision 1, SE_SELF_RELATIVE set, every SID and ACL
// inside the buffer). It returns an error wrapping ErrInvalid otherwise.
func ValidateSecurityDescriptor(sd []byte) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("hive: security descriptor: %s: %w", fmt.Sprintf(format, args...), ErrInvalid)
	}
	if len(sd) < 20 {
		return bad("%d bytes, at least 20 needed", len(sd))
	}
	if sd[0] != 1 {
		return bad("revision %d", sd[0])
	}
	ctl := le16(sd[2:])
	if ctl&seSelfRelative == 0 {
		return bad("not self-relative (control %#04x)", ctl)
	}
	sid := func(off uint32, what string) error {
		if off == 0 {
			return nil
		}
		if uint64(off)+8 > uint64(len(sd)) {
			return bad("%s at %d outside the descriptor", what, off)
		}
		n := int(sd[off+1])
		if sd[off] != 1 || uint64(off)+8+4*uint64(n) > uint64(len(sd)) {
			return bad("bad %s SID at %d", what, off)
		}
		return nil
	}
	acl := func(off uint32, what string) error {
		if off == 0 {
			return nil
		}
		if uint64(off)+8 > uint64(len(sd)) {
			return bad("%s at %d outside the descriptor", what, off)
		}
		size := uint64(le16(sd[off+2:]))
		count := int(le16(sd[off+4:]))
		if size < 8 || uint64(off)+size > uint64(len(sd)) {
			return bad("%s of %d bytes at %d outside the descriptor", what, size, off)
		}
		p := uint64(8)
		for i := range count {
			if p+4 > size {
				return bad("%s ACE %d outside the ACL", what, i)
			}
			as := uint64(le16(sd[uint64(off)+p+2:]))
			if as < 4 || p+as > size {
				return bad("%s ACE %d of %d bytes outside the ACL", what, i, as)
			}
			p += as
		}
		return nil
	}
	if err := sid(le32(sd[4:]), "owner"); err != nil {
		return err
	}
	if err := sid(le32(sd[8:]), "group"); err != nil {
		return err
	}
	if err := acl(le32(sd[12:]), "SACL"); err != nil {
		return err
	}
	return acl(le32(sd[16:]), "DACL")
}

// Well-known SIDs and access masks for DefaultSecurityDescriptor.
var (
	sidSystem         = []byte{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}                // S-1-5-18
	sidAdministrators = []byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0} // S-1-5-32-544
	sidUsers          = []byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x21, 2, 0, 0} // S-1-5-32-545
)

const (
	keyAllAccess = 0xF003F // KEY_ALL_ACCESS
	keyRead      = 0x20019 // KEY_READ
	aceInheritCI = 0x02    // CONTAINER_INHERIT_ACE
)

// DefaultSecurityDescriptor returns the descriptor New gives a root key:
// owner Administrators, group SYSTEM, and a protected DACL granting full
// control to SYSTEM and Administrators and read access to Users, inherited
// by subkeys (SDDL O:BAG:SYD:P(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;BU)).
func DefaultSecurityDescriptor() []byte {
	type ace struct {
		mask uint32
		sid  []byte
	}
	aces := []ace{{keyAllAccess, sidSystem}, {keyAllAccess, sidAdministrators}, {keyRead, sidUsers}}
	var dacl []byte
	for _, a := range aces {
		dacl = append(dacl, 0, aceInheritCI)
		dacl = binary.LittleEndian.AppendUint16(dacl, uint16(8+len(a.sid)))
		dacl = binary.LittleEndian.AppendUint32(dacl, a.mask)
		dacl = append(dacl, a.sid...)
	}
	hdr := []byte{2, 0, 0, 0, byte(len(aces)), 0, 0, 0}
	put16(hdr[2:], uint16(8+len(dacl)))
	dacl = append(hdr, dacl...)
	sd := make([]byte, 20, 20+len(dacl)+len(sidAdministrators)+len(sidSystem))
	sd[0] = 1
	put16(sd[2:], seSelfRelative|seDACLPresent|seDACLProtect)
	put32(sd[16:], 20)
	sd = append(sd, dacl...)
	put32(sd[4:], uint32(len(sd)))
	sd = append(sd, sidAdministrators...)
	put32(sd[8:], uint32(len(sd)))
	sd = append(sd, sidSystem...)
	return sd
}
