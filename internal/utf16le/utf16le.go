// Package utf16le converts between Go strings and UTF-16LE bytes, the
// encoding of registry names and strings, BCD elements, WIM XML and PE
// resources. Decoding works on 2-byte boundaries only; an odd trailing byte
// is reported, never silently merged with the next field.
package utf16le

import (
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// Encode returns s as UTF-16LE without a terminator. Invalid UTF-8 bytes
// become U+FFFD.
func Encode(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	return Append(b, s)
}

// EncodeZ returns s as UTF-16LE followed by a NUL code unit.
func EncodeZ(s string) []byte {
	b := make([]byte, 0, 2*len(s)+2)
	return append(Append(b, s), 0, 0)
}

// Append appends s as UTF-16LE to b.
func Append(b []byte, s string) []byte {
	for _, r := range s {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			b = binary.LittleEndian.AppendUint16(b, uint16(r1))
			b = binary.LittleEndian.AppendUint16(b, uint16(r2))
			continue
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(r))
	}
	return b
}

// Units returns the UTF-16 code units of b (an odd trailing byte is ignored).
func Units(b []byte) []uint16 {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return u
}

// Decode returns the string that the UTF-16LE bytes b encode. Unpaired
// surrogates become U+FFFD; an odd trailing byte is ignored (use Valid to
// detect either). NUL units are kept.
func Decode(b []byte) string {
	buf := make([]byte, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u := rune(binary.LittleEndian.Uint16(b[i:]))
		if utf16.IsSurrogate(u) {
			if u < 0xDC00 && i+3 < len(b) {
				u2 := rune(binary.LittleEndian.Uint16(b[i+2:]))
				if r := utf16.DecodeRune(u, u2); r != utf8.RuneError {
					buf = utf8.AppendRune(buf, r)
					i += 2
					continue
				}
			}
			u = utf8.RuneError
		}
		buf = utf8.AppendRune(buf, u)
	}
	return string(buf)
}

// DecodeZ decodes b up to (not including) the first NUL code unit at an even
// offset, or all of b when there is none.
func DecodeZ(b []byte) string {
	return Decode(b[:NULIndex(b)])
}

// NULIndex returns the byte offset of the first NUL code unit at an even
// offset in b, or len(b) rounded down to even when there is none.
func NULIndex(b []byte) int {
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 && b[i+1] == 0 {
			return i
		}
	}
	return len(b) &^ 1
}

// Valid reports whether b has an even length and contains only well-formed
// UTF-16 (every surrogate paired), so Decode followed by Encode gives b back.
func Valid(b []byte) bool {
	if len(b)%2 != 0 {
		return false
	}
	for i := 0; i+1 < len(b); i += 2 {
		u := rune(binary.LittleEndian.Uint16(b[i:]))
		if !utf16.IsSurrogate(u) {
			continue
		}
		if u >= 0xDC00 || i+3 >= len(b) {
			return false
		}
		u2 := rune(binary.LittleEndian.Uint16(b[i+2:]))
		if u2 < 0xDC00 || u2 > 0xDFFF {
			return false
		}
		i += 2
	}
	return true
}
