package hive

import (
	"slices"
)

// Subkey lists. A key's subkeys are listed in one "leaf" (li: offsets; lf:
// offsets and 4-byte name hints; lh: offsets and name hashes) or, when
// there are many, in an "ri" index root whose entries are leaves. All
// entries of a list are sorted by upper-cased name, as a whole across the
// leaves of an ri, because Windows looks keys up by binary search.

const (
	sigLI = "li"
	sigLF = "lf"
	sigLH = "lh"
	sigRI = "ri"
)

// leafEntrySize returns the entry size of a leaf signature (0 if not a leaf).
func leafEntrySize(sig string) int {
	switch sig {
	case sigLI:
		return 4
	case sigLF, sigLH:
		return 8
	}
	return 0
}

func leafCapacity(sig string) int {
	if sig == sigLI {
		return maxLiEntries
	}
	return maxLeafEntries
}

// newListSig is the leaf type for a key's first list: lh from version 1.5,
// lf in 1.3 and 1.4, li before.
func (h *Hive) newListSig() string {
	switch {
	case h.minor >= 5:
		return sigLH
	case h.minor >= 3:
		return sigLF
	}
	return sigLI
}

// splitLeafSig is the leaf type under an ri: lh from version 1.5, else li.
func (h *Hive) splitLeafSig() string {
	if h.minor >= 5 {
		return sigLH
	}
	return sigLI
}

// leafSig returns the leaf signature at the start of c ("" if it is not a
// leaf), without allocating.
func leafSig(c []byte) string {
	if len(c) < 2 || c[0] != 'l' {
		return ""
	}
	switch c[1] {
	case 'i':
		return sigLI
	case 'f':
		return sigLF
	case 'h':
		return sigLH
	}
	return ""
}

// leaf returns the signature and entry count of the leaf at off, checked.
func (h *Hive) leaf(off uint32) (string, int, error) {
	c, err := h.cell(off, "subkey list")
	if err != nil {
		return "", 0, err
	}
	if len(c) < 4 {
		return "", 0, cellErr(off, "subkey list", "cell too small")
	}
	sig := leafSig(c)
	es := leafEntrySize(sig)
	if es == 0 {
		if c[0] == 'r' && c[1] == 'i' {
			return "", 0, cellErr(off, "subkey list", "ri list inside an ri list")
		}
		return "", 0, cellErr(off, "subkey list", "unknown list signature %q", c[:2])
	}
	n := int(le16(c[2:]))
	if 4+n*es > len(c) {
		return "", 0, cellErr(off, "subkey list", "%d entries exceed the cell", n)
	}
	return sig, n, nil
}

// leafEntry returns entry i of a validated leaf.
func (h *Hive) leafEntry(off uint32, sig string, i int) uint32 {
	return le32(h.cellAt(off)[4+i*leafEntrySize(sig):])
}

// listLeaves returns the leaves of the list at top (top itself when it is
// a leaf), validated, and the total number of entries.
func (h *Hive) listLeaves(top uint32) (leaves []uint32, ri bool, total int, err error) {
	c, err := h.cell(top, "subkey list")
	if err != nil {
		return nil, false, 0, err
	}
	if len(c) >= 4 && string(c[:2]) == sigRI {
		n := int(le16(c[2:]))
		if 4+4*n > len(c) {
			return nil, true, 0, cellErr(top, "ri list", "%d entries exceed the cell", n)
		}
		leaves = make([]uint32, n)
		seen := make(map[uint32]struct{}, n)
		for i := range n {
			leaves[i] = le32(c[4+4*i:])
			// A leaf listed twice would multiply the entry count (an ri of
			// 65,535 copies of a 65,535-entry leaf claims 4 billion keys in
			// half a megabyte). Windows never writes one; refuse it, so the
			// total stays bounded by the cells actually present.
			if _, dup := seen[leaves[i]]; dup {
				return nil, true, 0, cellErr(top, "ri list", "leaf %#x listed twice", leaves[i]+binsStart)
			}
			seen[leaves[i]] = struct{}{}
		}
		for _, l := range leaves {
			_, ln, err := h.leaf(l)
			if err != nil {
				return nil, true, 0, err
			}
			total += ln
		}
		return leaves, true, total, nil
	}
	_, n, err := h.leaf(top)
	if err != nil {
		return nil, false, 0, err
	}
	return []uint32{top}, false, n, nil
}

// childrenOf returns the subkey offsets of key k in stored order, each
// checked to be a key node whose parent is k. A key listed twice is
// returned once. It records whether the list is strictly sorted.
func (h *Hive) childrenOf(k uint32) ([]uint32, error) {
	n, err := h.nk(k)
	if err != nil {
		return nil, err
	}
	count := le32(n.nSub())
	top := le32(n.subList())
	if count == 0 {
		return nil, nil
	}
	if top == noCell {
		return nil, cellErr(k, "nk cell", "%d subkeys but no subkey list", count)
	}
	leaves, ri, total, err := h.listLeaves(top)
	if err != nil {
		return nil, err
	}
	if uint32(total) != count {
		return nil, cellErr(k, "nk cell", "subkey count %d, list holds %d", count, total)
	}
	out := make([]uint32, 0, total)
	sorted := true
	var prevName []byte
	var prevComp bool
	for _, l := range leaves {
		sig, ln, _ := h.leaf(l)
		if ln == 0 && ri {
			sorted = false
		}
		for i := range ln {
			c := h.leafEntry(l, sig, i)
			cn, err := h.nk(c)
			if err != nil {
				return nil, err
			}
			if c == h.root || c == k || le32(cn.parent()) != k {
				return nil, cellErr(c, "nk cell", "listed under key %#x but its parent field is %#x", k+binsStart, le32(cn.parent())+binsStart)
			}
			name, comp := cn.name(), cn.compressed()
			if len(out) > 0 && sorted && compareStoredNames(prevName, prevComp, name, comp) >= 0 {
				sorted = false
			}
			prevName, prevComp = name, comp
			out = append(out, c)
		}
	}
	if !sorted {
		seen := make(map[uint32]bool, len(out))
		uniq := out[:0]
		for _, c := range out {
			if !seen[c] {
				seen[c] = true
				uniq = append(uniq, c)
			}
		}
		out = uniq
	}
	if h.listSorted == nil {
		h.listSorted = map[uint32]bool{}
	}
	h.listSorted[top] = sorted
	return out, nil
}

// isSorted reports whether the list of key k is strictly sorted, checking
// it once and caching the answer.
func (h *Hive) isSorted(k uint32) (bool, error) {
	top := le32(h.nkAt(k).subList())
	if s, ok := h.listSorted[top]; ok {
		return s, nil
	}
	if _, err := h.childrenOf(k); err != nil {
		return false, err
	}
	return h.listSorted[top], nil
}

// position is where a name sits in a sorted list.
type position struct {
	ri      bool
	leaf    int    // index of the leaf in the ri (0 without an ri)
	leafOff uint32 // the leaf cell
	pos     int    // entry index in the leaf
	found   bool   // the entry at pos has the name
}

// locate binary-searches the sorted list at top for target (upper-cased).
// Only the leaves and keys it touches are read.
func (h *Hive) locate(top uint32, target []uint16) (position, error) {
	c, err := h.cell(top, "subkey list")
	if err != nil {
		return position{}, err
	}
	p := position{leafOff: top}
	cmp := func(l uint32, sig string, i int) (int, error) {
		n, err := h.nk(h.leafEntry(l, sig, i))
		if err != nil {
			return 0, err
		}
		return compareStored(n.name(), n.compressed(), target), nil
	}
	if len(c) >= 4 && c[0] == 'r' && c[1] == 'i' {
		p.ri = true
		n := int(le16(c[2:]))
		if n == 0 || 4+4*n > len(c) {
			return p, cellErr(top, "ri list", "%d entries in a %d-byte cell", n, len(c))
		}
		entry := func(i int) uint32 { return le32(h.cellAt(top)[4+4*i:]) }
		// First leaf whose last entry is >= target.
		lo, hi := 0, n
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			l := entry(m)
			sig, ln, err := h.leaf(l)
			if err != nil {
				return p, err
			}
			r := -1
			if ln > 0 {
				if r, err = cmp(l, sig, ln-1); err != nil {
					return p, err
				}
			}
			if r < 0 {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo == n {
			p.leaf, p.leafOff = n-1, entry(n-1)
			_, ln, err := h.leaf(p.leafOff)
			p.pos = ln
			return p, err
		}
		p.leaf, p.leafOff = lo, entry(lo)
	}
	sig, n, err := h.leaf(p.leafOff)
	if err != nil {
		return p, err
	}
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		r, err := cmp(p.leafOff, sig, m)
		if err != nil {
			return p, err
		}
		if r < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	p.pos = lo
	if lo < n {
		r, err := cmp(p.leafOff, sig, lo)
		if err != nil {
			return p, err
		}
		p.found = r == 0
	}
	return p, nil
}

// findChild looks up the subkey of k named target (upper-cased units).
func (h *Hive) findChild(k uint32, target []uint16) (uint32, bool, error) {
	n, err := h.nk(k)
	if err != nil {
		return 0, false, err
	}
	if le32(n.nSub()) == 0 {
		return 0, false, nil
	}
	sorted, err := h.isSorted(k)
	if err != nil {
		return 0, false, err
	}
	if !sorted {
		kids, err := h.childrenOf(k)
		if err != nil {
			return 0, false, err
		}
		for _, c := range kids {
			cn := h.nkAt(c)
			if compareStored(cn.name(), cn.compressed(), target) == 0 {
				return c, true, nil
			}
		}
		return 0, false, nil
	}
	p, err := h.locate(le32(n.subList()), target)
	if err != nil || !p.found {
		return 0, false, err
	}
	l := p.leafOff
	sig, _, _ := h.leaf(l)
	c := h.leafEntry(l, sig, p.pos)
	if cn := h.nkAt(c); c == h.root || c == k || le32(cn.parent()) != k {
		return 0, false, cellErr(c, "nk cell", "listed under key %#x but its parent field is %#x", k+binsStart, le32(cn.parent())+binsStart)
	}
	return c, true, nil
}

// putLeafEntry writes entry i of leaf l (signature sig) for child c.
func (h *Hive) putLeafEntry(l uint32, sig string, i int, c uint32) {
	cl := h.cellAt(l)
	es := leafEntrySize(sig)
	e := cl[4+i*es:]
	put32(e, c)
	n := h.nkAt(c)
	switch sig {
	case sigLF:
		hint := hintStored(n.name(), n.compressed())
		copy(e[4:8], hint[:])
	case sigLH:
		put32(e[4:], hashStored(n.name(), n.compressed()))
	}
}

// newLeaf writes a leaf of type sig listing children and returns it.
func (h *Hive) newLeaf(sig string, children []uint32) (uint32, error) {
	es := leafEntrySize(sig)
	l, err := h.alloc(4 + es*len(children))
	if err != nil {
		return 0, err
	}
	c := h.cellAt(l)
	copy(c, sig)
	put16(c[2:], uint16(len(children)))
	for i, ch := range children {
		h.putLeafEntry(l, sig, i, ch)
	}
	return l, nil
}

// leafChildren returns the entries of a validated leaf.
func (h *Hive) leafChildren(l uint32) []uint32 {
	sig, n, _ := h.leaf(l)
	out := make([]uint32, n)
	for i := range n {
		out[i] = h.leafEntry(l, sig, i)
	}
	return out
}

// buildList writes a new subkey list for children (already sorted) and
// returns its top cell: one leaf when they fit, else an ri of leaves.
func (h *Hive) buildList(children []uint32) (uint32, error) {
	sig := h.newListSig()
	if len(children) <= leafCapacity(sig) {
		return h.newLeaf(sig, children)
	}
	sig = h.splitLeafSig()
	per := leafCapacity(sig) / 2
	var leaves []uint32
	for i := 0; i < len(children); i += per {
		l, err := h.newLeaf(sig, children[i:min(i+per, len(children))])
		if err != nil {
			return 0, err
		}
		leaves = append(leaves, l)
	}
	ri, err := h.alloc(4 + 4*len(leaves))
	if err != nil {
		return 0, err
	}
	c := h.cellAt(ri)
	copy(c, sigRI)
	put16(c[2:], uint16(len(leaves)))
	for i, l := range leaves {
		put32(c[4+4*i:], l)
	}
	return ri, nil
}

// freeList frees a subkey list structure (the ri and its leaves).
func (h *Hive) freeList(top uint32) error {
	leaves, ri, _, err := h.listLeaves(top)
	if err != nil {
		return err
	}
	if ri {
		for _, l := range leaves {
			if err := h.free(l); err != nil {
				return err
			}
		}
	}
	return h.free(top)
}

// sortChildren sorts key offsets by name the registry way (stable).
func (h *Hive) sortChildren(kids []uint32) {
	slices.SortStableFunc(kids, func(a, b uint32) int {
		na, nb := h.nkAt(a), h.nkAt(b)
		return compareStoredNames(na.name(), na.compressed(), nb.name(), nb.compressed())
	})
}

// rebuildList replaces the list of key k with a sorted one over children.
func (h *Hive) rebuildList(k uint32, children []uint32) error {
	old := le32(h.nkAt(k).subList())
	h.sortChildren(children)
	var top uint32 = noCell
	if len(children) > 0 {
		var err error
		if top, err = h.buildList(children); err != nil {
			return err
		}
	}
	if old != noCell && le32(h.nkAt(k).nSub()) > 0 {
		if err := h.freeList(old); err != nil {
			return err
		}
	}
	n := h.nkAt(k)
	put32(n.subList(), top)
	put32(n.nSub(), uint32(len(children)))
	if top != noCell {
		h.markSorted(top)
	}
	return nil
}

func (h *Hive) markSorted(top uint32) {
	if h.listSorted == nil {
		h.listSorted = map[uint32]bool{}
	}
	h.listSorted[top] = true
}

// listInsert adds child c (a key node whose parent is k) to k's list in
// sorted position. The caller has checked that the name is not present.
func (h *Hive) listInsert(k, c uint32) error {
	n := h.nkAt(k)
	count := le32(n.nSub())
	if count == 0 || le32(n.subList()) == noCell {
		l, err := h.newLeaf(h.newListSig(), []uint32{c})
		if err != nil {
			return err
		}
		n = h.nkAt(k)
		if old := le32(n.subList()); count == 0 && old != noCell && old != l {
			// An empty list left behind by another writer.
			if _, _, total, err := h.listLeaves(old); err == nil && total == 0 {
				if err := h.freeList(old); err != nil {
					return err
				}
			}
			n = h.nkAt(k)
		}
		put32(n.subList(), l)
		put32(n.nSub(), 1)
		h.markSorted(l)
		return nil
	}
	sorted, err := h.isSorted(k)
	if err != nil {
		return err
	}
	if !sorted {
		kids, err := h.childrenOf(k)
		if err != nil {
			return err
		}
		return h.rebuildList(k, append(kids, c))
	}
	cn := h.nkAt(c)
	target := upcaseStored(cn.name(), cn.compressed())
	top := le32(n.subList())
	p, err := h.locate(top, target)
	if err != nil {
		return err
	}
	l := p.leafOff
	sig, ln, _ := h.leaf(l)
	if ln+1 > leafCapacity(sig) {
		if err := h.splitLeaf(k, p); err != nil {
			return err
		}
		top = le32(h.nkAt(k).subList())
		if p, err = h.locate(top, target); err != nil {
			return err
		}
		l = p.leafOff
		sig, ln, _ = h.leaf(l)
	}
	es := leafEntrySize(sig)
	nl, err := h.ensureCap(l, 4+es*(ln+1), 4+es*leafCapacity(sig))
	if err != nil {
		return err
	}
	if nl != l {
		h.replaceListRef(k, p, nl)
	}
	cl := h.cellAt(nl)
	copy(cl[4+(p.pos+1)*es:4+(ln+1)*es], cl[4+p.pos*es:4+ln*es])
	put16(cl[2:], uint16(ln+1))
	h.putLeafEntry(nl, sig, p.pos, c)
	n = h.nkAt(k)
	put32(n.nSub(), count+1)
	h.markSorted(le32(n.subList()))
	return nil
}

// replaceListRef points whatever referenced leaf p.leafOff (the key or its
// ri) at nl instead.
func (h *Hive) replaceListRef(k uint32, p position, nl uint32) {
	old := p.leafOff
	if !p.ri {
		delete(h.listSorted, old)
		put32(h.nkAt(k).subList(), nl)
		h.markSorted(nl)
		return
	}
	top := le32(h.nkAt(k).subList())
	put32(h.cellAt(top)[4+4*p.leaf:], nl)
}

// splitLeaf splits the full leaf at p: a top-level leaf becomes an ri of
// two leaves, a leaf under an ri becomes two leaves.
func (h *Hive) splitLeaf(k uint32, p position) error {
	l := p.leafOff
	kids := h.leafChildren(l)
	half := len(kids) / 2
	if !p.ri {
		sig := h.splitLeafSig()
		a, err := h.newLeaf(sig, kids[:half])
		if err != nil {
			return err
		}
		b, err := h.newLeaf(sig, kids[half:])
		if err != nil {
			return err
		}
		ri, err := h.alloc(4 + 8)
		if err != nil {
			return err
		}
		c := h.cellAt(ri)
		copy(c, sigRI)
		put16(c[2:], 2)
		put32(c[4:], a)
		put32(c[8:], b)
		if err := h.free(l); err != nil {
			return err
		}
		put32(h.nkAt(k).subList(), ri)
		h.markSorted(ri)
		return nil
	}
	sig, _, _ := h.leaf(l)
	b, err := h.newLeaf(sig, kids[half:])
	if err != nil {
		return err
	}
	put16(h.cellAt(l)[2:], uint16(half))
	top := le32(h.nkAt(k).subList())
	rn := int(le16(h.cellAt(top)[2:]))
	ntop, err := h.ensureCap(top, 4+4*(rn+1), 0)
	if err != nil {
		return err
	}
	c := h.cellAt(ntop)
	copy(c[4+4*(p.leaf+2):4+4*(rn+1)], c[4+4*(p.leaf+1):4+4*rn])
	put32(c[4+4*(p.leaf+1):], b)
	put16(c[2:], uint16(rn+1))
	if ntop != top {
		put32(h.nkAt(k).subList(), ntop)
	}
	h.markSorted(ntop)
	return nil
}

// listRemove removes child c from k's subkey list.
func (h *Hive) listRemove(k, c uint32) error {
	n := h.nkAt(k)
	count := le32(n.nSub())
	top := le32(n.subList())
	if count == 0 || top == noCell {
		return cellErr(k, "nk cell", "removing a subkey from an empty list")
	}
	leaves, ri, _, err := h.listLeaves(top)
	if err != nil {
		return err
	}
	li, pos := -1, -1
	if s, _ := h.isSorted(k); s {
		cn := h.nkAt(c)
		p, err := h.locate(top, upcaseStored(cn.name(), cn.compressed()))
		if err != nil {
			return err
		}
		if p.found {
			sig, _, _ := h.leaf(p.leafOff)
			if h.leafEntry(p.leafOff, sig, p.pos) == c {
				li, pos = p.leaf, p.pos
			}
		}
	}
	if li < 0 {
	search:
		for i, l := range leaves {
			sig, ln, _ := h.leaf(l)
			for j := range ln {
				if h.leafEntry(l, sig, j) == c {
					li, pos = i, j
					break search
				}
			}
		}
	}
	if li < 0 {
		return cellErr(k, "nk cell", "subkey %#x is not in the list", c+binsStart)
	}
	l := leaves[li]
	sig, ln, _ := h.leaf(l)
	es := leafEntrySize(sig)
	if ln == 1 {
		if err := h.free(l); err != nil {
			return err
		}
		if ri {
			rc := h.cellAt(top)
			rn := int(le16(rc[2:]))
			if rn == 1 {
				if err := h.free(top); err != nil {
					return err
				}
				top = noCell
			} else {
				copy(rc[4+4*li:4+4*(rn-1)], rc[4+4*(li+1):4+4*rn])
				put32(rc[4+4*(rn-1):], 0)
				put16(rc[2:], uint16(rn-1))
			}
		} else {
			top = noCell
		}
	} else {
		cl := h.cellAt(l)
		copy(cl[4+pos*es:4+(ln-1)*es], cl[4+(pos+1)*es:4+ln*es])
		clear(cl[4+(ln-1)*es : 4+ln*es])
		put16(cl[2:], uint16(ln-1))
	}
	n = h.nkAt(k)
	put32(n.subList(), top)
	put32(n.nSub(), count-1)
	h.touch()
	return nil
}

// upcaseStored returns the upper-cased code units of a stored name.
func upcaseStored(raw []byte, compressed bool) []uint16 {
	t := upcaseTable()
	u := make([]uint16, nameLen16(raw, compressed))
	for i := range u {
		u[i] = t[unitAt(raw, compressed, i)]
	}
	return u
}
