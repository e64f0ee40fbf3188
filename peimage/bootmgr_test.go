package peimage_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/peimage"
)

// realMode returns n bytes that look like a 16-bit boot program: a near jump
// (E9 D5 01, as the BIOS bootmgr and other loaders start) and filler code.
func realMode(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	copy(b, []byte{0xe9, 0xd5, 0x01, 0xeb, 0x04, 0x90})
	// No accidental "MZ" in the filler.
	for i := bytes.Index(b, []byte("MZ")); i >= 0; i = bytes.Index(b, []byte("MZ")) {
		b[i] = 'm'
	}
	return b
}

// TestRawPXEBootImage: a raw image built like pxeboot.n12, with the ASCII
// "bootmgr.exe" at 0x5961 (the offset the erpxe recipe patches), is found
// and patched at that offset; its checksum does not apply.
func TestRawPXEBootImage(t *testing.T) {
	b := realMode(0x6000, 7)
	copy(b[0x5961:], "bootmgr.exe\x00")
	img, err := peimage.Parse(b, nil)
	require.NoError(t, err)
	require.Equal(t, peimage.KindRaw, img.Kind())

	got, err := img.Find("bootmgr.exe", nil)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, peimage.Match{Offset: 0x5961, Length: 11, Encoding: peimage.ASCII, SectionIndex: -1}, got[0])

	rep, err := peimage.PE2PXEBoot("testmgr.exe").Apply(img, nil)
	require.NoError(t, err)
	require.Len(t, rep.Changes, 1)
	assert.Equal(t, int64(0x5961), rep.Changes[0].Offset)
	assert.Nil(t, rep.Checksum)
	want := bytes.Clone(b)
	copy(want[0x5961:], "testmgr.exe")
	testutil.EqualBytes(t, want, img.Bytes())

	_, err = img.ComputeChecksum()
	require.ErrorIs(t, err, peimage.ErrNotPE)
	_, err = img.FixChecksum()
	require.ErrorIs(t, err, peimage.ErrNotPE)
}

// biosBootmgr builds a stand-in for the BIOS bootmgr from its published
// layout: 16-bit loader, a PE stub at 0x6848 (as in the Windows 10 dump on
// the ipxe-devel list), then compressed data; lznt1 makes the payload start
// like an LZNT1 stream whose first chunk begins with the literals "MZ".
func biosBootmgr(lznt1 bool) []byte {
	const stubOff = 0x6848
	b := realMode(stubOff, 11)
	stub := buildPE(peSpec{fill: func(_ int, s []byte) { copy(s, "bootmgr stub") }})
	b = append(b, stub...)
	payload := realMode(40<<10, 12)
	payload[0] = 0x5a // no jump here: just compressed-looking bytes
	if lznt1 {
		copy(payload, []byte{0xff, 0xbf, 0x00, 'M', 'Z'}) // chunk header 0xbfff, flags 0
	}
	return append(b, payload...)
}

func TestBIOSBootmgr(t *testing.T) {
	for _, tt := range []struct {
		name        string
		lznt1       bool
		compression string
	}{
		{"LZNT1 (Windows 7)", true, peimage.CompressionLZNT1},
		{"unidentified (Windows 8+ XPRESS Huffman)", false, peimage.CompressionUnknown},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := biosBootmgr(tt.lznt1)
			img, err := peimage.Parse(b, nil)
			require.NoError(t, err)
			require.Equal(t, peimage.KindBIOSBootmgr, img.Kind())
			bm := img.Bootmgr()
			require.NotNil(t, bm)
			assert.Equal(t, int64(0x6848), bm.StubOffset)
			assert.Equal(t, int64(0x600), bm.StubSize)
			assert.Equal(t, int64(0x6848+0x600), bm.PayloadOffset)
			assert.Equal(t, tt.compression, bm.Compression)

			_, err = img.ComputeChecksum()
			require.ErrorIs(t, err, peimage.ErrBIOSBootmgr)
			require.ErrorIs(t, err, peimage.ErrNotPE)
			_, err = img.Certificates()
			require.ErrorIs(t, err, peimage.ErrBIOSBootmgr)

			// The BCD path lives in the compressed bootmgr.exe: not found,
			// and the error says why.
			_, err = peimage.PE2Bootmgr(`\Test\BCD`).Apply(img, nil)
			require.ErrorIs(t, err, peimage.ErrNotFound)
			require.ErrorIs(t, err, peimage.ErrBIOSBootmgr)
			testutil.EqualBytes(t, b, img.Bytes())

			// Raw patching of the uncompressed parts still works, with a warning.
			rep, err := img.Replace([]peimage.Edit{{Old: "bootmgr stub", New: "patched"}}, nil)
			require.NoError(t, err)
			assert.Len(t, rep.Changes, 1)
			assert.NotEmpty(t, rep.Warnings)
		})
	}
}

func TestNotBIOSBootmgr(t *testing.T) {
	stub := buildPE(peSpec{})
	tests := []struct {
		name string
		in   []byte
	}{
		// An embedded PE that reaches the end of the file is an uncompressed
		// loader (ntldr, setupldr.bin), not a compressed boot manager.
		{"uncompressed embedded PE", append(realMode(0x3000, 3), stub...)},
		{"no embedded PE", realMode(64<<10, 4)},
		{"does not start with a jump", messWith(biosBootmgr(true), func(b []byte) { b[0] = 0x90 })},
		{"small", realMode(100, 5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := peimage.Parse(tt.in, nil)
			require.NoError(t, err)
			assert.Equal(t, peimage.KindRaw, img.Kind())
			assert.Nil(t, img.Bootmgr())
		})
	}
}
