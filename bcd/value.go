package bcd

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/utf16le"
)

// Value is the decoded data of an element. Its dynamic type is one of
// String, GUID (an object reference), ObjectList, Integer, Boolean,
// IntegerList, *Device, or Raw (data kept as stored because it does not
// decode as the element's format, or the format is unknown).
type Value interface {
	// Format returns the element format the value belongs to (0 for Raw).
	Format() Format
}

// String is the value of a string element (REG_SZ).
type String string

// Format returns FormatString.
func (String) Format() Format { return FormatString }

// ObjectList is the value of an object-list element (REG_MULTI_SZ of
// braced GUIDs): displayorder, inherit, recoverysequence, ...
type ObjectList []GUID

// Format returns FormatObjectList.
func (ObjectList) Format() Format { return FormatObjectList }

// Integer is the value of an integer element (REG_BINARY, 8 bytes
// little-endian as bcdedit writes; shorter data, as offreg.dll writes, is
// read zero-extended).
type Integer uint64

// Format returns FormatInteger.
func (Integer) Format() Format { return FormatInteger }

// Boolean is the value of a boolean element (REG_BINARY, one byte 0 or 1).
type Boolean bool

// Format returns FormatBoolean.
func (Boolean) Format() Format { return FormatBoolean }

// IntegerList is the value of an integer-list element (REG_BINARY of
// 8-byte little-endian integers).
type IntegerList []uint64

// Format returns FormatIntegerList.
func (IntegerList) Format() Format { return FormatIntegerList }

// Raw is an element value kept exactly as stored: registry type and data.
type Raw struct {
	Type hive.ValueType
	Data []byte
}

// Format returns 0: a Raw value has no decoded format.
func (Raw) Format() Format { return 0 }

// guidEntrySize is the size of a "{GUID}" entry of a REG_MULTI_SZ object
// list: 38 UTF-16 code units and the NUL.
const guidEntrySize = 2 * (38 + 1)

// decodeValue decodes the registry data of element t. A value that does
// not fit the element's format comes back as Raw with the reason.
func decodeValue(t ElementType, typ hive.ValueType, data []byte, lim Limits) (Value, error) {
	raw := Raw{Type: typ, Data: data}
	bad := func(format string, args ...any) (Value, error) {
		return raw, fmt.Errorf("bcd: element %s: %s: %w", t.KeyName(), fmt.Sprintf(format, args...), ErrFormat)
	}
	switch t.Format() {
	case FormatDevice:
		if typ != hive.Binary {
			return bad("device data of type %v, want REG_BINARY", typ)
		}
		d, err := decodeDevice(data, lim)
		if err != nil {
			return raw, err
		}
		return d, nil
	case FormatString:
		if typ != hive.String && typ != hive.ExpandString {
			return bad("string data of type %v, want REG_SZ", typ)
		}
		return String(hive.DecodeString(data)), nil
	case FormatObject:
		if typ != hive.String {
			return bad("object data of type %v, want REG_SZ", typ)
		}
		g, err := ParseGUID(hive.DecodeString(data))
		if err != nil {
			return bad("object data is not a {GUID}")
		}
		return g, nil
	case FormatObjectList:
		if typ != hive.MultiString {
			return bad("object list of type %v, want REG_MULTI_SZ", typ)
		}
		// The strings of the REG_MULTI_SZ one at a time, as
		// hive.DecodeMultiString reads them (up to an empty string), so a
		// hostile list of many short strings fails at the first without
		// all of them decoded; capacity is bounded by the bytes present.
		list := make(ObjectList, 0, min(len(data)/guidEntrySize, 1024))
		for b := data; len(b) >= 2; {
			i := utf16le.NULIndex(b)
			if i == 0 {
				break
			}
			s := hive.DecodeString(b[:min(i, guidEntrySize)])
			g, err := ParseGUID(s)
			if err != nil || i != guidEntrySize-2 {
				if i > guidEntrySize {
					s += "..."
				}
				return bad("object list entry %q is not a {GUID}", s)
			}
			list = append(list, g)
			if i+2 > len(b) {
				break
			}
			b = b[i+2:]
		}
		return list, nil
	case FormatInteger:
		switch {
		case typ == hive.Binary && len(data) >= 1 && len(data) <= 8:
			var b [8]byte
			copy(b[:], data)
			return Integer(binary.LittleEndian.Uint64(b[:])), nil
		case typ == hive.QWord && len(data) == 8:
			return Integer(binary.LittleEndian.Uint64(data)), nil
		case typ == hive.DWord && len(data) == 4:
			return Integer(binary.LittleEndian.Uint32(data)), nil
		}
		return bad("integer data of type %v and %d bytes", typ, len(data))
	case FormatBoolean:
		if (typ != hive.Binary && typ != hive.DWord) || len(data) < 1 || len(data) > 8 {
			return bad("boolean data of type %v and %d bytes", typ, len(data))
		}
		for _, c := range data {
			if c != 0 {
				return Boolean(true), nil
			}
		}
		return Boolean(false), nil
	case FormatIntegerList:
		if typ != hive.Binary || len(data)%8 != 0 {
			return bad("integer list of type %v and %d bytes", typ, len(data))
		}
		list := make(IntegerList, len(data)/8)
		for i := range list {
			list[i] = binary.LittleEndian.Uint64(data[8*i:])
		}
		return list, nil
	}
	return raw, nil
}

// encodeValue returns the registry type and data bcdedit writes for value v
// of element t. The value's Go type must match the element's format (Raw
// is written as it is; a *Device needs a device element).
func encodeValue(t ElementType, v Value) (hive.ValueType, []byte, error) {
	if r, ok := v.(Raw); ok {
		return r.Type, append([]byte(nil), r.Data...), nil
	}
	if v == nil || v.Format() != t.Format() {
		got := "nil"
		if v != nil {
			got = fmt.Sprintf("%T (%v)", v, v.Format())
		}
		return 0, nil, argErr("value", got, ErrValueType, "element %s has format %v", t.KeyName(), t.Format())
	}
	switch v := v.(type) {
	case *Device:
		b, err := v.MarshalBinary()
		return hive.Binary, b, err
	case String:
		return hive.String, utf16le.EncodeZ(string(v)), nil
	case GUID:
		return hive.String, utf16le.EncodeZ(v.String()), nil
	case ObjectList:
		// bcdedit writes an empty list as a single NUL (spec §2.1).
		if len(v) == 0 {
			return hive.MultiString, []byte{0, 0}, nil
		}
		ss := make([]string, len(v))
		for i, g := range v {
			ss[i] = g.String()
		}
		b, err := hive.EncodeMultiString(ss)
		return hive.MultiString, b, err
	case Integer:
		return hive.Binary, binary.LittleEndian.AppendUint64(nil, uint64(v)), nil
	case Boolean:
		if v {
			return hive.Binary, []byte{1}, nil
		}
		return hive.Binary, []byte{0}, nil
	case IntegerList:
		b := make([]byte, 0, 8*len(v))
		for _, x := range v {
			b = binary.LittleEndian.AppendUint64(b, x)
		}
		return hive.Binary, b, nil
	}
	return 0, nil, argErr("value", fmt.Sprintf("%T", v), ErrValueType, "not a bcd value type")
}

// hexBytes renders b as space-separated hex pairs.
func hexBytes(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "%02x", c)
	}
	return sb.String()
}
