package bcd

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/utf16le"
)

// Registry data decodes by the element's format; data that does not fit
// is kept as Raw with an ErrFormat reason.
func TestDecodeValue(t *testing.T) {
	guid := "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"
	for _, tc := range []struct {
		name string
		t    ElementType
		typ  hive.ValueType
		data []byte
		want Value // nil: Raw with an error
	}{
		{"string", 0x12000004, hive.String, utf16le.EncodeZ("x"), String("x")},
		{"string no NUL", 0x12000004, hive.String, utf16le.Encode("xy"), String("xy")},
		{"string as binary", 0x12000004, hive.Binary, []byte{1}, nil},
		{"object", 0x23000003, hive.String, utf16le.EncodeZ(guid), BootMgr},
		{"object not a guid", 0x23000003, hive.String, utf16le.EncodeZ("nope"), nil},
		{"object as multi", 0x23000003, hive.MultiString, utf16le.EncodeZ(guid), nil},
		{"list", 0x24000001, hive.MultiString, append(utf16le.EncodeZ(guid), 0, 0), ObjectList{BootMgr}},
		{"list empty", 0x24000001, hive.MultiString, []byte{0, 0}, ObjectList{}},
		{"list bad entry", 0x24000001, hive.MultiString, append(utf16le.EncodeZ("x"), 0, 0), nil},
		{"list as sz", 0x24000001, hive.String, utf16le.EncodeZ(guid), nil},
		{"integer", 0x25000004, hive.Binary, []byte{1, 2, 3, 4, 5, 6, 7, 8}, Integer(0x0807060504030201)},
		{"integer 1 byte", 0x15000011, hive.Binary, []byte{0}, Integer(0)},
		{"integer 3 bytes", 0x15000014, hive.Binary, []byte{0x00, 0xc2, 0x01}, Integer(115200)},
		{"integer qword", 0x25000004, hive.QWord, []byte{5, 0, 0, 0, 0, 0, 0, 0}, Integer(5)},
		{"integer dword", 0x25000004, hive.DWord, []byte{5, 0, 0, 0}, Integer(5)},
		{"integer empty", 0x25000004, hive.Binary, nil, nil},
		{"integer 9 bytes", 0x25000004, hive.Binary, make([]byte, 9), nil},
		{"boolean", 0x26000022, hive.Binary, []byte{1}, Boolean(true)},
		{"boolean false", 0x26000022, hive.Binary, []byte{0}, Boolean(false)},
		{"boolean 4 bytes", 0x26000022, hive.DWord, []byte{0, 1, 0, 0}, Boolean(true)},
		{"boolean empty", 0x26000022, hive.Binary, nil, nil},
		{"boolean as sz", 0x26000022, hive.String, []byte{1, 0}, nil},
		{"integer list", 0x17000077, hive.Binary, []byte{0x75, 0, 0, 0x15, 0, 0, 0, 0}, IntegerList{0x15000075}},
		{"integer list ragged", 0x17000077, hive.Binary, []byte{1, 2, 3}, nil},
		{"device as sz", 0x11000001, hive.String, []byte{1, 0}, nil},
		{"device truncated", 0x11000001, hive.Binary, make([]byte, 20), nil},
		{"format 0", 0x10000001, hive.Binary, []byte{7}, Raw{Type: hive.Binary, Data: []byte{7}}},
		{"format 8", 0x18000001, hive.Binary, []byte{7}, Raw{Type: hive.Binary, Data: []byte{7}}},
	} {
		v, err := decodeValue(tc.t, tc.typ, tc.data, DefaultLimits)
		if tc.want == nil {
			require.ErrorIs(t, err, ErrFormat, tc.name)
			assert.Equal(t, Raw{Type: tc.typ, Data: tc.data}, v, tc.name)
			continue
		}
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, v, tc.name)
		if _, raw := v.(Raw); raw {
			continue
		}
		// Values encode back as bcdedit writes them, and decode to the same.
		typ, data, err := encodeValue(tc.t, v)
		require.NoError(t, err, tc.name)
		back, err := decodeValue(tc.t, typ, data, DefaultLimits)
		require.NoError(t, err, tc.name)
		assert.Equal(t, v, back, tc.name)
		if tc.t.Format() == FormatInteger {
			assert.Len(t, data, 8, tc.name)
		}
	}
	// A value of the wrong Go type for the element.
	_, _, err := encodeValue(0x25000004, String("x"))
	require.ErrorIs(t, err, ErrValueType)
	_, _, err = encodeValue(0x25000004, nil)
	require.ErrorIs(t, err, ErrValueType)
}
