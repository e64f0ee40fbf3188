package hive

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf16"
)

// vkCell is the data of a key value ("vk") cell.
type vkCell []byte

const vkFixed = 20

func (v vkCell) nameLen() []byte  { return v[2:4] }   // name length in bytes, 0 for the default value
func (v vkCell) dataSize() []byte { return v[4:8] }   // data size; bit 31 = data inline in dataOff
func (v vkCell) dataOff() []byte  { return v[8:12] }  // data cell, or the data itself
func (v vkCell) typ() []byte      { return v[12:16] } // value type
func (v vkCell) flags() []byte    { return v[16:18] } // 1 = name stored as Latin-1
func (v vkCell) compressed() bool { return le16(v.flags())&vkCompName != 0 }
func (v vkCell) name() []byte     { return v[vkFixed : vkFixed+int(le16(v.nameLen()))] }

const inlineBit = 0x80000000

// size returns the data size without the inline bit, and whether the data
// is inline.
func (v vkCell) size() (uint32, bool) {
	s := le32(v.dataSize())
	return s &^ inlineBit, s&inlineBit != 0
}

// vk returns the key value at off, checked.
func (h *Hive) vk(off uint32) (vkCell, error) {
	c, err := h.cell(off, "vk cell")
	if err != nil {
		return nil, err
	}
	if len(c) < vkFixed || c[0] != 'v' || c[1] != 'k' {
		return nil, cellErr(off, "vk cell", "not a key value")
	}
	v := vkCell(c)
	if vkFixed+int(le16(v.nameLen())) > len(c) {
		return nil, cellErr(off, "vk cell", "name length %d exceeds the cell", le16(v.nameLen()))
	}
	if s, in := v.size(); in && s > 4 {
		return nil, cellErr(off, "vk cell", "inline data size %d exceeds 4", s)
	}
	return v, nil
}

// valueList returns the vk offsets of key k in stored order.
func (h *Hive) valueList(k uint32) ([]uint32, error) {
	n, err := h.nk(k)
	if err != nil {
		return nil, err
	}
	count := le32(n.nVal())
	if count == 0 {
		return nil, nil
	}
	lo := le32(n.valList())
	c, err := h.cell(lo, "value list")
	if err != nil {
		return nil, err
	}
	if uint64(count)*4 > uint64(len(c)) {
		return nil, cellErr(lo, "value list", "%d values exceed the cell", count)
	}
	out := make([]uint32, count)
	for i := range out {
		out[i] = le32(c[4*i:])
	}
	if dup, ok := h.firstDuplicate(out); ok {
		return nil, cellErr(lo, "value list", "value %#x listed twice", int64(dup)+binsStart)
	}
	return out, nil
}

// firstDuplicate reports an offset that occurs twice in offs, using a
// scratch bitset so that no allocation depends on the count.
func (h *Hive) firstDuplicate(offs []uint32) (uint32, bool) {
	if len(offs) < 2 {
		return 0, false
	}
	if len(h.scratch)*64 < int(h.binsLen/8) {
		h.scratch = newBitset(int(h.binsLen / 8))
	}
	stop := len(offs)
	for i, o := range offs {
		if o >= h.binsLen {
			continue // reported when the cell is read
		}
		if h.scratch.get(o >> 3) {
			stop = i
			break
		}
		h.scratch.set(o >> 3)
	}
	for _, o := range offs[:stop] {
		if o < h.binsLen {
			h.scratch.clear(o >> 3)
		}
	}
	if stop < len(offs) {
		return offs[stop], true
	}
	return 0, false
}

// findValue returns the index and vk offset of the value of k named target
// (upper-cased units).
func (h *Hive) findValue(k uint32, target []uint16) (int, uint32, bool, error) {
	list, err := h.valueList(k)
	if err != nil {
		return 0, 0, false, err
	}
	for i, off := range list {
		v, err := h.vk(off)
		if err != nil {
			return 0, 0, false, err
		}
		if compareStored(v.name(), v.compressed(), target) == 0 {
			return i, off, true, nil
		}
	}
	return 0, 0, false, nil
}

// appendData appends the data of value v (at vk offset off) to dst.
func (h *Hive) appendData(dst []byte, off uint32, v vkCell) ([]byte, error) {
	size, inline := v.size()
	if inline {
		return append(dst, v.dataOff()[:size]...), nil
	}
	if size == 0 {
		return dst, nil
	}
	if int64(size) > h.lim.MaxValueSize {
		return dst, limitErr(off, "vk cell", "data size %d exceeds MaxValueSize", size)
	}
	if size > h.binsLen {
		return dst, cellErr(off, "vk cell", "data size %d exceeds the hive bins", size)
	}
	doff := le32(v.dataOff())
	c, err := h.cell(doff, "value data")
	if err != nil {
		return dst, err
	}
	if h.minor >= 4 && size > maxSegment && len(c) >= 8 && c[0] == 'd' && c[1] == 'b' {
		return h.appendBigData(dst, doff, size)
	}
	if int(size) > len(c) {
		return dst, cellErr(doff, "value data", "data size %d exceeds the %d-byte cell", size, len(c))
	}
	return append(dst, c[:size]...), nil
}

// dataCells returns the cells holding a value's data (none when inline).
func (h *Hive) dataCells(v vkCell) ([]uint32, error) {
	size, inline := v.size()
	if inline || size == 0 {
		return nil, nil
	}
	doff := le32(v.dataOff())
	c, err := h.cell(doff, "value data")
	if err != nil {
		return nil, err
	}
	if h.minor >= 4 && size > maxSegment && len(c) >= 8 && c[0] == 'd' && c[1] == 'b' {
		segs, list, err := h.bigSegments(doff, size)
		if err != nil {
			return nil, err
		}
		return append([]uint32{doff, list}, segs...), nil
	}
	return []uint32{doff}, nil
}

// writeData stores data and returns the vk data size and offset fields.
func (h *Hive) writeData(data []byte) (sizeField, offField uint32, err error) {
	n := len(data)
	if n <= 4 {
		var b [4]byte
		copy(b[:], data)
		return inlineBit | uint32(n), binary.LittleEndian.Uint32(b[:]), nil
	}
	if h.minor >= 4 && n > maxSegment {
		off, err := h.writeBigData(data)
		return uint32(n), off, err
	}
	off, err := h.newCell(data)
	return uint32(n), off, err
}

// freeData frees the cells holding the data of the value at vk offset off.
func (h *Hive) freeData(off uint32) error {
	cells, err := h.dataCells(h.cellAt(off))
	if err != nil {
		return err
	}
	for _, c := range cells {
		if err := h.free(c); err != nil {
			return err
		}
	}
	return nil
}

// replaceData stores new data for the value at vk offset off, reusing its
// data cell in place when both old and new data fit in one cell.
func (h *Hive) replaceData(off uint32, data []byte) error {
	v := vkCell(h.cellAt(off))
	size, inline := v.size()
	single := len(data) > 4 && !(h.minor >= 4 && len(data) > maxSegment)
	if single && !inline && size > 0 {
		cells, err := h.dataCells(v)
		if err != nil {
			return err
		}
		if len(cells) == 1 {
			nc, err := h.realloc(cells[0], len(data))
			if err != nil {
				return err
			}
			c := h.cellAt(nc)
			copy(c, data)
			clear(c[len(data):])
			v = vkCell(h.cellAt(off))
			put32(v.dataSize(), uint32(len(data)))
			put32(v.dataOff(), nc)
			h.touch()
			return nil
		}
	}
	if err := h.freeData(off); err != nil {
		return err
	}
	sf, of, err := h.writeData(data)
	if err != nil {
		return err
	}
	v = vkCell(h.cellAt(off))
	put32(v.dataSize(), sf)
	put32(v.dataOff(), of)
	h.touch()
	return nil
}

// Value is one value of a key: a handle to its vk cell. It stays valid
// until the value or its key is deleted.
type Value struct {
	h   *Hive
	off uint32
}

func (v Value) cell() (vkCell, error) {
	if v.h == nil {
		return nil, fmt.Errorf("hive: zero Value: %w", ErrInvalid)
	}
	return v.h.vk(v.off)
}

// Name returns the value name ("" for the default value).
func (v Value) Name() string {
	c, err := v.cell()
	if err != nil {
		return ""
	}
	return decodeName(c.name(), c.compressed())
}

// Type returns the value type.
func (v Value) Type() ValueType {
	c, err := v.cell()
	if err != nil {
		return None
	}
	return ValueType(le32(c.typ()))
}

// Size returns the size of the data in bytes.
func (v Value) Size() int {
	c, err := v.cell()
	if err != nil {
		return 0
	}
	s, _ := c.size()
	return int(s)
}

// Offset returns the file offset of the value's vk cell (its size field).
func (v Value) Offset() int64 { return int64(v.off) + binsStart }

// Data returns a copy of the raw data bytes.
func (v Value) Data() ([]byte, error) { return v.AppendData([]byte{}) }

// AppendData appends the raw data bytes to dst, so a walk can reuse one
// buffer.
func (v Value) AppendData(dst []byte) ([]byte, error) {
	c, err := v.cell()
	if err != nil {
		return dst, err
	}
	return v.h.appendData(dst, v.off, c)
}

// StringData decodes REG_SZ, REG_EXPAND_SZ or REG_LINK data: UTF-16LE up
// to the first NUL (a missing NUL or an odd trailing byte is tolerated).
func (v Value) StringData() (string, error) {
	d, err := v.Data()
	if err != nil {
		return "", err
	}
	switch t := v.Type(); t {
	case String, ExpandString, Link:
	default:
		return "", fmt.Errorf("hive: value %q is %v, not a string: %w", v.Name(), t, ErrInvalid)
	}
	return DecodeString(d), nil
}

// Strings decodes REG_MULTI_SZ data (see DecodeMultiString).
func (v Value) Strings() ([]string, error) {
	d, err := v.Data()
	if err != nil {
		return nil, err
	}
	if t := v.Type(); t != MultiString {
		return nil, fmt.Errorf("hive: value %q is %v, not REG_MULTI_SZ: %w", v.Name(), t, ErrInvalid)
	}
	return DecodeMultiString(d), nil
}

// Uint32 decodes REG_DWORD (little-endian) or REG_DWORD_BIG_ENDIAN data.
// The data must be exactly 4 bytes.
func (v Value) Uint32() (uint32, error) {
	d, err := v.Data()
	if err != nil {
		return 0, err
	}
	t := v.Type()
	if (t != DWord && t != DWordBigEndian) || len(d) != 4 {
		return 0, fmt.Errorf("hive: value %q is %v with %d bytes, not a DWORD: %w", v.Name(), t, len(d), ErrInvalid)
	}
	if t == DWordBigEndian {
		return binary.BigEndian.Uint32(d), nil
	}
	return binary.LittleEndian.Uint32(d), nil
}

// Uint64 decodes REG_QWORD data (exactly 8 bytes), or a REG_DWORD widened.
func (v Value) Uint64() (uint64, error) {
	d, err := v.Data()
	if err != nil {
		return 0, err
	}
	switch t := v.Type(); {
	case t == QWord && len(d) == 8:
		return binary.LittleEndian.Uint64(d), nil
	case t == DWord || t == DWordBigEndian:
		x, err := v.Uint32()
		return uint64(x), err
	default:
		return 0, fmt.Errorf("hive: value %q is %v with %d bytes, not a QWORD: %w", v.Name(), t, len(d), ErrInvalid)
	}
}

// DecodeString decodes UTF-16LE string data up to the first NUL code unit.
// A missing terminator and an odd trailing byte are tolerated; unpaired
// surrogates become U+FFFD.
func DecodeString(b []byte) string {
	return decodeName(b[:utf16NUL(b)], false)
}

// DecodeMultiString decodes REG_MULTI_SZ data: strings separated by NUL,
// ending at an empty string (the final double NUL). A missing final
// terminator is tolerated.
func DecodeMultiString(b []byte) []string {
	var out []string
	for len(b) >= 2 {
		i := utf16NUL(b)
		if i == 0 {
			break
		}
		out = append(out, decodeName(b[:i], false))
		if i+2 > len(b) {
			break
		}
		b = b[i+2:]
	}
	return out
}

// EncodeString returns s as REG_SZ data: UTF-16LE and a NUL.
func EncodeString(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u)+2)
	for i, c := range u {
		put16(b[2*i:], c)
	}
	return b
}

// EncodeMultiString returns ss as REG_MULTI_SZ data: each string and a NUL,
// then a final NUL. Empty strings cannot be represented and are an error.
func EncodeMultiString(ss []string) ([]byte, error) {
	var b bytes.Buffer
	for _, s := range ss {
		if s == "" {
			return nil, fmt.Errorf("hive: REG_MULTI_SZ cannot hold an empty string: %w", ErrInvalid)
		}
		b.Write(EncodeString(s))
	}
	b.Write([]byte{0, 0})
	return b.Bytes(), nil
}

// EncodeDWord returns REG_DWORD data.
func EncodeDWord(x uint32) []byte { return binary.LittleEndian.AppendUint32(nil, x) }

// EncodeQWord returns REG_QWORD data.
func EncodeQWord(x uint64) []byte { return binary.LittleEndian.AppendUint64(nil, x) }

// setValue creates or overwrites value name of key k.
func (h *Hive) setValue(k uint32, name string, typ uint32, data []byte) error {
	if _, err := h.nk(k); err != nil {
		return err
	}
	target := upcaseUnits(name)
	if len(target) > h.lim.MaxValueNameLen {
		return fmt.Errorf("hive: value name of %d characters exceeds MaxValueNameLen: %w", len(target), ErrLimit)
	}
	if int64(len(data)) > h.lim.MaxValueSize || uint64(len(data)) >= inlineBit {
		return fmt.Errorf("hive: value data of %d bytes exceeds MaxValueSize: %w", len(data), ErrLimit)
	}
	_, off, found, err := h.findValue(k, target)
	if err != nil {
		return err
	}
	if found {
		v := vkCell(h.cellAt(off))
		old, err := h.appendData(nil, off, v)
		if err != nil {
			return err
		}
		if le32(v.typ()) == typ && bytes.Equal(old, data) {
			return nil
		}
		if err := h.replaceData(off, data); err != nil {
			return err
		}
		put32(vkCell(h.cellAt(off)).typ(), typ)
	} else {
		raw, comp := encodeName(name)
		if off, err = h.alloc(vkFixed + len(raw)); err != nil {
			return err
		}
		sf, of, err := h.writeData(data)
		if err != nil {
			return err
		}
		v := vkCell(h.cellAt(off))
		copy(v, "vk")
		put16(v.nameLen(), uint16(len(raw)))
		put32(v.dataSize(), sf)
		put32(v.dataOff(), of)
		put32(v.typ(), typ)
		if comp {
			put16(v.flags(), vkCompName)
		}
		copy(v[vkFixed:], raw)
		if err := h.appendValueRef(k, off); err != nil {
			return err
		}
	}
	n := h.nkAt(k)
	if l := uint32(2 * len(target)); l > le32(n.maxValName()) {
		put32(n.maxValName(), l)
	}
	if l := uint32(len(data)); l > le32(n.maxValData()) {
		put32(n.maxValData(), l)
	}
	h.stamp(k)
	return nil
}

// appendValueRef adds vk offset v at the end of k's value list.
func (h *Hive) appendValueRef(k, v uint32) error {
	n := h.nkAt(k)
	count := le32(n.nVal())
	lo := le32(n.valList())
	var err error
	if count == 0 {
		if lo != noCell && h.isCell(lo) && h.cellSize(lo) < 0 {
			if err := h.free(lo); err != nil {
				return err
			}
		}
		lo, err = h.alloc(4)
	} else {
		lo, err = h.ensureCap(lo, 4*int(count+1), 0)
	}
	if err != nil {
		return err
	}
	put32(h.cellAt(lo)[4*count:], v)
	n = h.nkAt(k)
	put32(n.valList(), lo)
	put32(n.nVal(), count+1)
	return nil
}

// deleteValueAt removes value i (vk offset off) from key k.
func (h *Hive) deleteValueAt(k uint32, i int, off uint32) error {
	if err := h.freeData(off); err != nil {
		return err
	}
	if err := h.free(off); err != nil {
		return err
	}
	n := h.nkAt(k)
	count := int(le32(n.nVal()))
	lo := le32(n.valList())
	if count == 1 {
		if err := h.free(lo); err != nil {
			return err
		}
		n = h.nkAt(k)
		put32(n.valList(), noCell)
	} else {
		c := h.cellAt(lo)
		copy(c[4*i:4*(count-1)], c[4*(i+1):4*count])
		put32(c[4*(count-1):], 0)
	}
	put32(n.nVal(), uint32(count-1))
	h.stamp(k)
	return nil
}

// stamp sets the last-written time of key k to now.
func (h *Hive) stamp(k uint32) {
	put64(h.nkAt(k).time(), TimeToFiletime(h.now()))
	h.touch()
}

// keyTime returns the last-written time of a key node.
func keyTime(n nkCell) time.Time { return FiletimeToTime(le64(n.time())) }
