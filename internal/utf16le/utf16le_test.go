package utf16le

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []byte
	}{
		{"empty", "", []byte{}},
		{"ascii", "AB", []byte{'A', 0, 'B', 0}},
		{"latin1", "é", []byte{0xe9, 0}},
		{"above U+00FF", "Ā", []byte{0x00, 0x01}},
		{"surrogate pair", "😀", []byte{0x3d, 0xd8, 0x00, 0xde}},
		{"embedded NUL", "a\x00b", []byte{'a', 0, 0, 0, 'b', 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Encode(tc.in)
			assert.Equal(t, tc.want, got)
			assert.True(t, Valid(got))
			assert.Equal(t, tc.in, Decode(got))
			assert.Equal(t, append(append([]byte{}, tc.want...), 0, 0), EncodeZ(tc.in))
		})
	}
}

func TestDecodeOddAndBroken(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		want  string
		valid bool
	}{
		{"odd trailing byte", []byte{'A', 0, 'B'}, "A", false},
		{"lone high surrogate at end", []byte{'A', 0, 0x3d, 0xd8}, "A\uFFFD", false},
		{"lone low surrogate", []byte{0x00, 0xde, 'A', 0}, "\uFFFDA", false},
		{"high then non-low", []byte{0x3d, 0xd8, 'A', 0}, "\uFFFDA", false},
		// "AĀB": a NUL byte at an odd offset must not end the string.
		{"odd-offset zero byte", []byte{'A', 0, 0x00, 0x01, 'B', 0}, "AĀB", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Decode(tc.in))
			assert.Equal(t, tc.valid, Valid(tc.in))
		})
	}
}

func TestDecodeZ(t *testing.T) {
	assert.Equal(t, "AĀB", DecodeZ([]byte{'A', 0, 0x00, 0x01, 'B', 0, 0, 0, 'C', 0}))
	assert.Equal(t, 6, NULIndex([]byte{'A', 0, 0x00, 0x01, 'B', 0, 0, 0}))
	assert.Equal(t, 2, NULIndex([]byte{'A', 0, 0}))
	assert.Equal(t, "", DecodeZ(nil))
	assert.Equal(t, []uint16{0x41, 0x100}, Units([]byte{'A', 0, 0, 1, 9}))
}
