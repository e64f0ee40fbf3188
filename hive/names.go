package hive

import (
	"encoding/binary"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Registry names compare case-insensitively the way Windows compares them:
// each UTF-16 code unit is upper-cased on its own (simple case mapping, no
// expansion), then code units are compared as numbers, and a proper prefix
// sorts first. Names are stored either "compressed" (one byte per
// character, Latin-1, for names whose characters are all <= U+00FF) or as
// UTF-16LE.

var upcaseTable = sync.OnceValue(func() *[65536]uint16 {
	var t [65536]uint16
	for i := range t {
		r := rune(i)
		u := r
		if !utf16.IsSurrogate(r) {
			u = unicode.ToUpper(r)
			if u > 0xFFFF || u < 0 {
				u = r
			}
		}
		t[i] = uint16(u)
	}
	return &t
})

// nameUnits returns the UTF-16 code units of s.
func nameUnits(s string) []uint16 {
	u := make([]uint16, 0, len(s))
	for _, r := range s {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			u = append(u, uint16(r1), uint16(r2))
			continue
		}
		u = append(u, uint16(r))
	}
	return u
}

// upcaseUnits returns the upper-cased UTF-16 code units of s.
func upcaseUnits(s string) []uint16 {
	t := upcaseTable()
	u := nameUnits(s)
	for i, c := range u {
		u[i] = t[c]
	}
	return u
}

// encodeName returns the stored form of a name: Latin-1 bytes with
// compressed=true when every character fits, else UTF-16LE.
func encodeName(s string) (raw []byte, compressed bool) {
	latin := true
	for _, r := range s {
		if r > 0xFF {
			latin = false
			break
		}
	}
	if latin {
		raw = make([]byte, 0, len(s))
		for _, r := range s {
			raw = append(raw, byte(r))
		}
		return raw, true
	}
	raw = make([]byte, 0, 2*len(s))
	for _, c := range nameUnits(s) {
		raw = binary.LittleEndian.AppendUint16(raw, c)
	}
	return raw, false
}

// decodeName returns the Go string of a stored name. UTF-16 is decoded on
// 2-byte boundaries; unpaired surrogates become U+FFFD and an odd trailing
// byte is dropped.
func decodeName(raw []byte, compressed bool) string {
	if compressed {
		ascii := true
		for _, b := range raw {
			if b >= 0x80 {
				ascii = false
				break
			}
		}
		if ascii {
			return string(raw)
		}
		buf := make([]byte, 0, 2*len(raw))
		for _, b := range raw {
			buf = utf8.AppendRune(buf, rune(b))
		}
		return string(buf)
	}
	buf := make([]byte, 0, len(raw)/2)
	for i := 0; i+1 < len(raw); i += 2 {
		r := rune(binary.LittleEndian.Uint16(raw[i:]))
		if utf16.IsSurrogate(r) {
			if r < 0xDC00 && i+3 < len(raw) {
				if d := utf16.DecodeRune(r, rune(binary.LittleEndian.Uint16(raw[i+2:]))); d != utf8.RuneError {
					buf = utf8.AppendRune(buf, d)
					i += 2
					continue
				}
			}
			r = utf8.RuneError
		}
		buf = utf8.AppendRune(buf, r)
	}
	return string(buf)
}

// nameLen16 returns the length in UTF-16 code units of a stored name.
func nameLen16(raw []byte, compressed bool) int {
	if compressed {
		return len(raw)
	}
	return len(raw) / 2
}

// unitAt returns code unit i of a stored name.
func unitAt(raw []byte, compressed bool, i int) uint16 {
	if compressed {
		return uint16(raw[i])
	}
	return binary.LittleEndian.Uint16(raw[2*i:])
}

// compareStored compares a stored name with target (upper-cased units):
// -1, 0 or +1 as the stored name sorts before, equal to or after target.
func compareStored(raw []byte, compressed bool, target []uint16) int {
	t := upcaseTable()
	n := nameLen16(raw, compressed)
	m := min(n, len(target))
	if compressed {
		for i := 0; i < m; i++ {
			a, b := t[raw[i]], target[i]
			if a != b {
				if a < b {
					return -1
				}
				return 1
			}
		}
	} else {
		for i := 0; i < m; i++ {
			a, b := t[binary.LittleEndian.Uint16(raw[2*i:])], target[i]
			if a != b {
				if a < b {
					return -1
				}
				return 1
			}
		}
	}
	switch {
	case n < len(target):
		return -1
	case n > len(target):
		return 1
	}
	return 0
}

// compareStoredNames compares two stored names case-insensitively.
func compareStoredNames(a []byte, ac bool, b []byte, bc bool) int {
	t := upcaseTable()
	n, m := nameLen16(a, ac), nameLen16(b, bc)
	for i := 0; i < min(n, m); i++ {
		x, y := t[unitAt(a, ac, i)], t[unitAt(b, bc, i)]
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case n < m:
		return -1
	case n > m:
		return 1
	}
	return 0
}

// hashStored returns the lh hash of a stored name: h = 37*h + c over the
// upper-cased UTF-16 code units.
func hashStored(raw []byte, compressed bool) uint32 {
	t := upcaseTable()
	var h uint32
	for i := range nameLen16(raw, compressed) {
		h = 37*h + uint32(t[unitAt(raw, compressed, i)])
	}
	return h
}

// hintStored returns the lf name hint of a stored name: its first four
// characters as bytes, zero-padded; if one of them does not fit in a byte,
// the hint stops there and its first byte is zero.
func hintStored(raw []byte, compressed bool) [4]byte {
	var h [4]byte
	for i := range min(4, nameLen16(raw, compressed)) {
		c := unitAt(raw, compressed, i)
		if c > 0xFF {
			h[0] = 0
			break
		}
		h[i] = byte(c)
	}
	return h
}
