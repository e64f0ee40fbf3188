package hive

import (
	"fmt"
	"sort"
)

// Problem is one integrity problem found by Check. Offset is the file
// offset of the structure concerned (for cells, of the cell's size field).
type Problem struct {
	Offset int64
	Msg    string
}

func (p Problem) String() string { return fmt.Sprintf("%#x: %s", p.Offset, p.Msg) }

// Check verifies the hive's structure and returns the problems it finds,
// each with its file offset (nil for a sound hive). It checks:
//   - the base block: signature, version, file type and format, checksum,
//     hive bins data size, root cell;
//   - the hive bins: cells tile every bin exactly, sizes are multiples of 8;
//   - reachability: every allocated cell is referenced exactly once from the
//     root (security cells through the key nodes and their list), and every
//     reference points at the start of an allocated cell;
//   - key nodes: parent links, subkey and value counts against their lists,
//     the largest-name/class/value-name/value-data fields at least the real
//     values, no two subkeys or values with the same name;
//   - subkey lists: types valid for the version (lh only from 1.5), no ri
//     inside an ri, entries sorted by upper-cased name across the whole
//     list, lh hashes and lf hints right;
//   - values: data sizes inside their cells, big-data records where the
//     version requires them, segment counts and sizes;
//   - security cells: descriptors well formed, the flink/blink ring closed,
//     reference counts equal to the number of keys using each cell.
//
// A dirty hive (sequence numbers differ) is not a problem by itself; see
// Dirty. Check on an edited hive first brings the base block up to date,
// as a write would.
func (h *Hive) Check() []Problem {
	h.finish()
	c := &checker{h: h, seen: newBitset(int(h.binsLen / 8)), skRefs: map[uint32]uint32{}, max: h.lim.MaxProblems}
	c.base()
	c.bins()
	c.keys()
	c.security()
	c.unreachable()
	sort.SliceStable(c.out, func(i, j int) bool { return c.out[i].Offset < c.out[j].Offset })
	if c.dropped > 0 {
		c.out = append(c.out, Problem{-1, fmt.Sprintf("%d more problems not listed (MaxProblems)", c.dropped)})
	}
	return c.out
}

type checker struct {
	h       *Hive
	seen    bitset
	skRefs  map[uint32]uint32
	out     []Problem
	max     int
	dropped int
}

func (c *checker) add(off int64, format string, args ...any) {
	if len(c.out) >= c.max {
		c.dropped++
		return
	}
	c.out = append(c.out, Problem{off, fmt.Sprintf(format, args...)})
}

// addCell reports a problem at cell offset off.
func (c *checker) addCell(off uint32, format string, args ...any) {
	c.add(int64(off)+binsStart, format, args...)
}

// ref marks the cell at off as referenced by what; it reports references
// that are not allocated cells or that were already taken. It returns the
// cell data, or nil when the reference is bad.
func (c *checker) ref(off uint32, from uint32, what string) []byte {
	h := c.h
	if !h.isCell(off) {
		c.addCell(from, "%s reference %#x is not the start of a cell", what, int64(off)+binsStart)
		return nil
	}
	if h.cellSize(off) >= 0 {
		c.addCell(from, "%s reference %#x points at a free cell", what, int64(off)+binsStart)
		return nil
	}
	if c.seen.get(off >> 3) {
		c.addCell(off, "%s cell is referenced more than once (again from %#x)", what, int64(from)+binsStart)
		return nil
	}
	c.seen.set(off >> 3)
	return h.cellAt(off)
}

func (c *checker) base() {
	h := c.h
	bb := h.base()
	if !bb.checksumOK() {
		c.add(508, "base block checksum %#08x, computed %#08x", le32(bb.checksum()), bb.computeChecksum())
	}
	if t := le32(bb.fileType()); t != fileTypePrimary {
		c.add(28, "file type %d, want 0 (primary)", t)
	}
	if f := le32(bb.fileFormat()); f != 1 {
		c.add(32, "file format %d, want 1", f)
	}
	if h.minor < 2 || h.minor > 6 {
		c.add(24, "minor version %d outside 2..6", h.minor)
	}
	if s := le32(bb.binsSize()); s != h.binsLen {
		c.add(40, "hive bins data size %#x, the bins cover %#x", s, h.binsLen)
	}
	if uint64(len(h.buf)) < uint64(binsStart)+uint64(h.binsLen) {
		c.add(40, "file shorter than its hive bins")
	}
}

func (c *checker) bins() {
	for _, d := range c.h.damaged {
		c.addCell(d, "cells do not tile the hive bin from here (bad cell size %d)", c.h.cellSize32(d))
	}
}

// cellSize32 reads a size field at any in-bounds offset.
func (h *Hive) cellSize32(off uint32) int32 {
	if int(off)+binsStart+4 > len(h.buf) {
		return 0
	}
	return int32(le32(h.buf[binsStart+int(off):]))
}

func (c *checker) keys() {
	h := c.h
	type item struct {
		off, parent uint32
		depth       int
	}
	stack := []item{{h.root, noCell, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := c.keyNode(it.off, it.parent)
		if n == nil {
			continue
		}
		kids := c.subkeys(it.off, n)
		if len(kids) > 0 && it.depth >= h.lim.MaxDepth {
			c.addCell(it.off, "keys nested deeper than %d levels", h.lim.MaxDepth)
			continue
		}
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, item{kids[i], it.off, it.depth + 1})
		}
	}
}

// keyNode checks one key node (already reached from parent) and its values,
// class and security reference; it returns the node or nil.
func (c *checker) keyNode(off, parent uint32) nkCell {
	h := c.h
	data := c.ref(off, parentOr(parent, off), "key node")
	if data == nil {
		return nil
	}
	if len(data) < nkFixed || data[0] != 'n' || data[1] != 'k' {
		c.addCell(off, "not a key node")
		return nil
	}
	n := nkCell(data)
	if nkFixed+int(le16(n.nameLen())) > len(n) {
		c.addCell(off, "key name length %d exceeds the cell", le16(n.nameLen()))
		return nil
	}
	if le16(n.nameLen()) == 0 {
		c.addCell(off, "key has an empty name")
	}
	if parent != noCell && le32(n.parent()) != parent {
		c.addCell(off, "parent field %#x, but listed under %#x", int64(le32(n.parent()))+binsStart, int64(parent)+binsStart)
	}
	// Class name.
	if cl, co := le16(n.classLen()), le32(n.class()); cl > 0 || co != noCell {
		if cd := c.ref(co, off, "class name"); cd != nil && int(cl) > len(cd) {
			c.addCell(co, "class length %d exceeds the %d-byte cell", cl, len(cd))
		}
	}
	n = h.nkAt(off)
	// Security.
	if s := le32(n.security()); s == noCell {
		c.addCell(off, "key has no security cell")
	} else {
		c.skRefs[s]++
	}
	c.values(off, n)
	return h.nkAt(off)
}

func parentOr(p, self uint32) uint32 {
	if p == noCell {
		return self
	}
	return p
}

// values checks the value list of key k.
func (c *checker) values(k uint32, n nkCell) {
	h := c.h
	count := le32(n.nVal())
	lo := le32(n.valList())
	maxName, maxData := le32(n.maxValName()), le32(n.maxValData())
	if count == 0 {
		return
	}
	ld := c.ref(lo, k, "value list")
	if ld == nil {
		return
	}
	if uint64(count)*4 > uint64(len(ld)) {
		c.addCell(lo, "%d values exceed the %d-byte value list", count, len(ld))
		return
	}
	names := map[string]bool{}
	var bigName, bigData uint32
	for i := range int(count) {
		v := le32(h.cellAt(lo)[4*i:])
		vd := c.ref(v, lo, "key value")
		if vd == nil {
			continue
		}
		if len(vd) < vkFixed || vd[0] != 'v' || vd[1] != 'k' {
			c.addCell(v, "not a key value")
			continue
		}
		vc := vkCell(vd)
		if vkFixed+int(le16(vc.nameLen())) > len(vc) {
			c.addCell(v, "value name length %d exceeds the cell", le16(vc.nameLen()))
			continue
		}
		key := string(u16bytes(upcaseStored(vc.name(), vc.compressed())))
		if names[key] {
			c.addCell(v, "second value named %q in the key", decodeName(vc.name(), vc.compressed()))
		}
		names[key] = true
		bigName = max(bigName, uint32(2*nameLen16(vc.name(), vc.compressed())))
		size, inline := vc.size()
		bigData = max(bigData, size)
		if inline {
			if size > 4 {
				c.addCell(v, "inline data size %d exceeds 4", size)
			}
			continue
		}
		if size == 0 {
			continue
		}
		c.valueData(v, le32(vc.dataOff()), size)
	}
	if bigName > maxName {
		c.addCell(k, "largest value name field %d is below the real %d", maxName, bigName)
	}
	if bigData > maxData {
		c.addCell(k, "largest value data field %d is below the real %d", maxData, bigData)
	}
}

// valueData checks the data cells of a value of size bytes at doff.
func (c *checker) valueData(v, doff, size uint32) {
	h := c.h
	dd := c.ref(doff, v, "value data")
	if dd == nil {
		return
	}
	isDB := len(dd) >= dbFixed && dd[0] == 'd' && dd[1] == 'b'
	if h.minor >= 4 && size > maxSegment {
		if !isDB {
			if int(size) > len(dd) {
				c.addCell(doff, "data size %d exceeds the %d-byte cell", size, len(dd))
			}
			c.addCell(v, "data of %d bytes in one cell; version 1.%d needs a big-data record", size, h.minor)
			return
		}
		count := int(le16(dd[2:]))
		need := int((uint64(size) + maxSegment - 1) / maxSegment)
		if count != need {
			c.addCell(doff, "%d segments for %d bytes (want %d)", count, size, need)
		}
		list := le32(dd[4:])
		ld := c.ref(list, doff, "big-data segment list")
		if ld == nil {
			return
		}
		if 4*count > len(ld) {
			c.addCell(list, "%d segments exceed the %d-byte list", count, len(ld))
			return
		}
		left := size
		for i := range count {
			s := le32(h.cellAt(list)[4*i:])
			sd := c.ref(s, list, "big-data segment")
			take := min(left, maxSegment)
			left -= take
			if sd != nil && uint32(len(sd)) < take {
				c.addCell(s, "segment of %d bytes, %d needed", len(sd), take)
			}
		}
		return
	}
	if int(size) > len(dd) {
		c.addCell(doff, "data size %d exceeds the %d-byte cell", size, len(dd))
	}
}

func u16bytes(u []uint16) []byte {
	b := make([]byte, 2*len(u))
	for i, x := range u {
		put16(b[2*i:], x)
	}
	return b
}

// subkeys checks the subkey list of key k and returns the child offsets to
// visit (each a key node cell not yet seen).
func (c *checker) subkeys(k uint32, n nkCell) []uint32 {
	h := c.h
	count := le32(n.nSub())
	top := le32(n.subList())
	maxName, maxClass := le32(n.maxName())&nkMaxNameMask, le32(n.maxClass())
	if count == 0 && top == noCell {
		return nil
	}
	if top == noCell {
		c.addCell(k, "%d subkeys but no subkey list", count)
		return nil
	}
	td := c.ref(top, k, "subkey list")
	if td == nil {
		return nil
	}
	var leaves []uint32
	if len(td) >= 4 && string(td[:2]) == sigRI {
		rn := int(le16(td[2:]))
		if 4+4*rn > len(td) {
			c.addCell(top, "%d entries exceed the %d-byte ri list", rn, len(td))
			return nil
		}
		if rn == 0 {
			c.addCell(top, "empty ri list")
		}
		for i := range rn {
			l := le32(h.cellAt(top)[4+4*i:])
			if c.ref(l, top, "subkey leaf") != nil {
				leaves = append(leaves, l)
			}
		}
	} else {
		leaves = []uint32{top}
	}
	var kids []uint32
	var prev nkCell
	var prevOff uint32
	var bigName, bigClass uint32
	for _, l := range leaves {
		ld := h.cellAt(l)
		if len(ld) < 4 {
			c.addCell(l, "subkey list cell too small")
			continue
		}
		sig := leafSig(ld)
		es := leafEntrySize(sig)
		if es == 0 {
			if ld[0] == 'r' && ld[1] == 'i' {
				c.addCell(l, "ri list inside an ri list")
			} else {
				c.addCell(l, "unknown subkey list signature %q", ld[:2])
			}
			continue
		}
		if sig == sigLH && h.minor < 5 {
			c.addCell(l, "lh list in a version 1.%d hive (lh needs 1.5)", h.minor)
		}
		ln := int(le16(ld[2:]))
		if 4+ln*es > len(ld) {
			c.addCell(l, "%d entries exceed the %d-byte list", ln, len(ld))
			continue
		}
		if ln == 0 && l != top {
			c.addCell(l, "empty leaf under an ri list")
		}
		for i := range ln {
			e := h.cellAt(l)[4+i*es:]
			co := le32(e)
			var hashOrHint uint32
			if es == 8 {
				hashOrHint = le32(e[4:])
			}
			cn, err := h.nk(co)
			if err != nil {
				c.addCell(l, "entry %d: %v", i, err)
				continue
			}
			kids = append(kids, co)
			name, comp := cn.name(), cn.compressed()
			switch sig {
			case sigLH:
				if want := hashStored(name, comp); want != hashOrHint {
					c.addCell(l, "entry %d (%q): hash %#08x, want %#08x", i, decodeName(name, comp), hashOrHint, want)
				}
			case sigLF:
				want := hintStored(name, comp)
				got := h.cellAt(l)[4+i*es+4 : 4+i*es+8]
				// When a character of the first four does not fit in a
				// byte, only the zero first byte is specified.
				if want[0] == 0 && got[0] == 0 {
					break
				}
				if string(got) != string(want[:]) {
					c.addCell(l, "entry %d (%q): name hint %x, want %x", i, decodeName(name, comp), got, want[:])
				}
			}
			if prev != nil && compareStoredNames(prev.name(), prev.compressed(), name, comp) >= 0 {
				c.addCell(l, "entry %d (%q) does not sort after %q (%#x)", i, decodeName(name, comp), decodeName(prev.name(), prev.compressed()), int64(prevOff)+binsStart)
			}
			prev, prevOff = cn, co
			bigName = max(bigName, uint32(2*nameLen16(name, comp)))
			bigClass = max(bigClass, uint32(le16(cn.classLen())))
		}
	}
	if uint32(len(kids)) != count {
		c.addCell(k, "subkey count %d, the list holds %d", count, len(kids))
	}
	if bigName > maxName {
		c.addCell(k, "largest subkey name field %d is below the real %d", maxName, bigName)
	}
	if bigClass > maxClass {
		c.addCell(k, "largest subkey class field %d is below the real %d", maxClass, bigClass)
	}
	// Children already seen (listed twice, or cycles) are reported by ref
	// when visited; drop them here so they are not walked again.
	out := kids[:0]
	for _, co := range kids {
		if co == h.root {
			c.addCell(co, "the root key is listed as a subkey of %#x", int64(k)+binsStart)
			continue
		}
		if c.seen.get(co >> 3) {
			c.addCell(co, "key listed more than once")
			continue
		}
		out = append(out, co)
	}
	return out
}

// security checks the sk ring and reference counts.
func (c *checker) security() {
	h := c.h
	rs := le32(h.nkAt(h.root).security())
	if _, err := h.sk(rs); err != nil {
		c.addCell(h.root, "root security cell: %v", err)
		return
	}
	ring, err := h.skRing(rs)
	if err != nil {
		c.add(-1, "security cell list: %v", err)
	}
	inRing := map[uint32]bool{}
	for _, s := range ring {
		inRing[s] = true
		if c.seen.get(s >> 3) {
			c.addCell(s, "security cell listed twice in the security list")
			continue
		}
		c.seen.set(s >> 3)
		sc := skCell(h.cellAt(s))
		if err := ValidateSecurityDescriptor(sc.desc()); err != nil {
			c.addCell(s, "%v", err)
		}
		if got, want := le32(sc.refCount()), c.skRefs[s]; got != want {
			c.addCell(s, "reference count %d, %d keys use it", got, want)
		}
	}
	refs := make([]uint32, 0, len(c.skRefs))
	for s := range c.skRefs {
		refs = append(refs, s)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i] < refs[j] })
	for _, s := range refs {
		if inRing[s] {
			continue
		}
		if _, err := h.sk(s); err != nil {
			c.addCell(s, "security reference used by %d keys: %v", c.skRefs[s], err)
			continue
		}
		c.addCell(s, "security cell used by %d keys is not in the security list", c.skRefs[s])
		c.seen.set(s >> 3)
	}
}

// unreachable reports allocated cells nothing references.
func (c *checker) unreachable() {
	h := c.h
	for off := uint32(0); off < h.binsLen; {
		size := le32(h.buf[binsStart+int(off)+8:])
		end := off + size
		for p := off + hbinHeaderSize; p < end; {
			if !h.starts.get(p >> 3) {
				break // damaged rest of the bin, already reported
			}
			s := h.cellSize(p)
			abs := uint32(s)
			if s < 0 {
				abs = uint32(-s)
				if !c.seen.get(p >> 3) {
					what := "data"
					if d := h.cellAt(p); len(d) >= 2 {
						switch string(d[:2]) {
						case "nk", "vk", "sk", "lf", "lh", "li", "ri", "db":
							what = string(d[:2])
						}
					}
					c.addCell(p, "allocated %s cell of %d bytes is not referenced", what, abs)
				}
			}
			p += abs
		}
		off = end
	}
}
