package peimage_test

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/peimage"
)

// checksumOf feeds b to NewChecksum in chunks cut at the given points.
func checksumOf(b []byte, field int64, cuts ...int) uint32 {
	c := peimage.NewChecksum(field)
	prev := 0
	for _, cut := range cuts {
		c.Write(b[prev:cut])
		prev = cut
	}
	c.Write(b[prev:])
	return c.Sum32()
}

func TestChecksumAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ones := bytes.Repeat([]byte{0xff}, 64)
	tests := []struct {
		name  string
		in    []byte
		field int64
	}{
		{"empty", nil, -1},
		{"one byte", []byte{0x01}, -1},
		{"one byte in field", []byte{0x01}, 0},
		{"all zero", make([]byte, 100), 10},
		{"all zero but the field", append(append(make([]byte, 10), 1, 2, 3, 4), make([]byte, 7)...), 10},
		{"sum is a multiple of 0xffff", ones, -1},
		{"0xff odd length", ones[:63], 5},
		{"field at odd offset", []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3},
		{"field at offset 2 mod 4", bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 20), 6},
		{"field past the end", []byte{9, 8, 7}, 2},
	}
	for i := range 200 {
		n := rng.IntN(300)
		b := make([]byte, n)
		for j := range b {
			if rng.IntN(3) > 0 { // leave a third zero, like real files
				b[j] = byte(rng.Uint32())
			}
		}
		tests = append(tests, struct {
			name  string
			in    []byte
			field int64
		}{"random " + string(rune('a'+i%26)), b, int64(rng.IntN(n+8)) - 4})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := ref16(tt.in, tt.field)
			assert.Equal(t, want, checksumOf(tt.in, tt.field), "one write")
			// Every single cut point, and a few random multi-cuts.
			for cut := 0; cut <= len(tt.in); cut++ {
				require.Equal(t, want, checksumOf(tt.in, tt.field, cut), "cut at %d", cut)
			}
			if len(tt.in) > 2 {
				a := rng.IntN(len(tt.in))
				b := a + rng.IntN(len(tt.in)-a)
				assert.Equal(t, want, checksumOf(tt.in, tt.field, a, b), "cuts at %d, %d", a, b)
			}
		})
	}
}

func TestChecksumHashInterface(t *testing.T) {
	b := []byte("MZ some bytes of a file, odd length!")
	c := peimage.NewChecksum(4)
	c.Write(b)
	want := ref16(b, 4)
	assert.Equal(t, binary.BigEndian.AppendUint32([]byte("x"), want), c.Sum([]byte("x")))
	assert.Equal(t, 4, c.Size())
	assert.Positive(t, c.BlockSize())
	c.Reset()
	assert.Equal(t, ref16(nil, 4), c.Sum32())
	c.Write(b)
	assert.Equal(t, want, c.Sum32(), "Reset keeps the field offset")
}

// TestChecksumPefileOsslsigncode compares the checksum with pefile's
// generate_checksum() and osslsigncode's on Go-built PE32/PE32+ files and on
// every Debian shim EFI binary, signed and unsigned.
func TestChecksumPefileOsslsigncode(t *testing.T) {
	files := []string{
		writeTemp(t, "go386.exe", goPE(t, "386")),
		writeTemp(t, "goamd64.exe", goPE(t, "amd64")),
	}
	files = append(files, shimFiles(t)...)
	py := pefile(t, files...)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			img, err := peimage.Open(f, nil)
			require.NoError(t, err)
			got, err := img.ComputeChecksum()
			require.NoError(t, err)
			assert.Equal(t, py[f].Generated, got, "pefile generate_checksum()")
			assert.Equal(t, osslChecksum(t, f), got, "osslsigncode")
			if stored, _ := img.StoredChecksum(); stored != 0 {
				// Debian's shim binaries carry a correct checksum.
				assert.Equal(t, stored, got, "stored")
				assert.NoError(t, img.VerifyChecksum())
			}
		})
	}
}

// TestChecksumMisalignedField: with e_lfanew % 4 == 2 the CheckSum field
// straddles two dwords. pefile and saferwall/pe skip the wrong bytes there;
// the result must equal the 16-bit reference (osslsigncode agrees).
func TestChecksumMisalignedField(t *testing.T) {
	for _, arch := range []string{"386", "amd64"} {
		t.Run(arch, func(t *testing.T) {
			b := shiftNTHeaders(t, goPE(t, arch), 2)
			require.Equal(t, uint32(2), binary.LittleEndian.Uint32(b[0x3c:])%4)
			field := checksumField(b)
			binary.LittleEndian.PutUint32(b[field:], 0xdeadbeef)
			img, err := peimage.Parse(b, nil)
			require.NoError(t, err)
			require.Equal(t, field, img.Headers().ChecksumOffset)
			got, err := img.ComputeChecksum()
			require.NoError(t, err)
			assert.Equal(t, ref16(b, field), got, "16-bit reference")
			assert.Equal(t, osslChecksum(t, writeTemp(t, "misaligned.exe", b)), got, "osslsigncode")
			var ce *peimage.ChecksumError
			require.ErrorAs(t, img.VerifyChecksum(), &ce)
			assert.Equal(t, uint32(0xdeadbeef), ce.Stored)
		})
	}
}

// TestChecksumOddLength: an odd final byte counts as a low byte and the full
// length is added. osslsigncode drops it; the result must equal the 16-bit
// reference (pefile agrees).
func TestChecksumOddLength(t *testing.T) {
	b := append(goPE(t, "amd64"), 0x01)
	img, err := peimage.Parse(b, nil)
	require.NoError(t, err)
	got, err := img.ComputeChecksum()
	require.NoError(t, err)
	assert.Equal(t, ref16(b, checksumField(b)), got, "16-bit reference")
	f := writeTemp(t, "odd.exe", b)
	assert.Equal(t, pefile(t, f)[f].Generated, got, "pefile")
}

// shiftNTHeaders moves the NT headers and section table of a PE by delta
// bytes into the zero slack before the first section's data.
func shiftNTHeaders(t *testing.T, b []byte, delta int) []byte {
	t.Helper()
	nt := int(binary.LittleEndian.Uint32(b[0x3c:]))
	nsec := int(binary.LittleEndian.Uint16(b[nt+6:]))
	optSize := int(binary.LittleEndian.Uint16(b[nt+20:]))
	end := nt + 24 + optSize + 40*nsec
	require.Equal(t, make([]byte, delta), b[end:end+delta], "no slack after the section table")
	out := bytes.Clone(b)
	copy(out[nt+delta:], b[nt:end])
	clear(out[nt : nt+delta])
	binary.LittleEndian.PutUint32(out[0x3c:], uint32(nt+delta))
	return out
}

func TestFixChecksum(t *testing.T) {
	b := goPE(t, "386")
	img, err := peimage.Parse(b, nil)
	require.NoError(t, err)
	var ce *peimage.ChecksumError
	require.ErrorAs(t, img.VerifyChecksum(), &ce, "Go writes CheckSum 0")
	require.ErrorIs(t, img.VerifyChecksum(), peimage.ErrChecksum)
	fix, err := img.FixChecksum()
	require.NoError(t, err)
	assert.Equal(t, peimage.ChecksumFix{Offset: checksumField(b), Old: 0, New: ref16(b, checksumField(b))}, fix)
	require.NoError(t, img.VerifyChecksum())
	got := img.Bytes()
	f := writeTemp(t, "fixed.exe", got)
	assert.True(t, pefile(t, f)[f].Verified, "pefile verify_checksum()")
	// Only the field changed.
	binary.LittleEndian.PutUint32(got[fix.Offset:], 0)
	assert.Equal(t, b, got)
}
