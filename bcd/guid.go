package bcd

import (
	"crypto/rand"
	"encoding/binary"
)

// GUID is a Windows GUID in its binary layout: Data1 (uint32), Data2 and
// Data3 (uint16) little-endian, then the 8 bytes of Data4 as they are. This
// is the layout of the AdditionalOptions field of device elements and of
// GPT disk and partition GUIDs.
//
// A GUID is also the Value of an object element (format 3), stored as the
// REG_SZ "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}".
type GUID [16]byte

// ParseGUID parses "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" (hex digits in
// either case; the braces are required, as bcdedit requires them). Errors
// are *ArgError wrapping ErrInvalidID.
func ParseGUID(s string) (GUID, error) {
	var g GUID
	if len(s) != 38 || s[0] != '{' || s[37] != '}' {
		return g, argErr("identifier", s, ErrInvalidID, "not a {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx} GUID")
	}
	var raw [16]byte
	j := 0
	for i := 1; i < 37; {
		switch i {
		case 9, 14, 19, 24:
			if s[i] != '-' {
				return g, argErr("identifier", s, ErrInvalidID, "expected '-' at position %d", i)
			}
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return g, argErr("identifier", s, ErrInvalidID, "not a hex digit at position %d", i)
		}
		raw[j] = hi<<4 | lo
		j++
		i += 2
	}
	// raw holds the digits in text order; Data1..Data3 are little-endian.
	binary.LittleEndian.PutUint32(g[0:], binary.BigEndian.Uint32(raw[0:]))
	binary.LittleEndian.PutUint16(g[4:], binary.BigEndian.Uint16(raw[4:]))
	binary.LittleEndian.PutUint16(g[6:], binary.BigEndian.Uint16(raw[6:]))
	copy(g[8:], raw[8:])
	return g, nil
}

// MustParseGUID is ParseGUID for constants; it panics on a bad GUID.
func MustParseGUID(s string) GUID {
	g, err := ParseGUID(s)
	if err != nil {
		panic(err)
	}
	return g
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// NewGUID returns a random (version 4) GUID, as bcdedit /create makes for a
// new entry.
func NewGUID() GUID {
	var g GUID
	if _, err := rand.Read(g[:]); err != nil {
		panic("bcd: crypto/rand failed: " + err.Error())
	}
	// Data3's high nibble is the version: byte 7 in the binary layout.
	g[7] = g[7]&0x0f | 0x40
	g[8] = g[8]&0x3f | 0x80 // RFC 4122 variant
	return g
}

// String returns the GUID in lower case with braces, the form bcdedit
// prints and the form of the key names under Objects.
func (g GUID) String() string {
	const digits = "0123456789abcdef"
	// Text order of the bytes: Data1..Data3 are little-endian.
	order := [16]int{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}
	var b [38]byte
	b[0], b[37] = '{', '}'
	j := 1
	for i, k := range order {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = digits[g[k]>>4], digits[g[k]&0xf]
		j += 2
	}
	return string(b[:])
}

// IsZero reports whether g is all zeros (no GUID).
func (g GUID) IsZero() bool { return g == GUID{} }

// Format returns FormatObject: a GUID is the value of an object element.
func (g GUID) Format() Format { return FormatObject }
