package peimage_test

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/peimage"
)

// TestHeadersAgainstDebugPE checks what Open reports against Go's own
// debug/pe, an independent parser.
func TestHeadersAgainstDebugPE(t *testing.T) {
	tests := []struct {
		name    string
		in      func(t *testing.T) []byte
		format  peimage.Format
		machine peimage.Machine
		sub     peimage.Subsystem
	}{
		{"go 386", func(t *testing.T) []byte { return goPE(t, "386") }, peimage.PE32, peimage.MachineI386, peimage.SubsystemWindowsCUI},
		{"go amd64", func(t *testing.T) []byte { return goPE(t, "amd64") }, peimage.PE32Plus, peimage.MachineAMD64, peimage.SubsystemWindowsCUI},
		{"shim mmx64.efi.signed", func(t *testing.T) []byte { return readShim(t, "mmx64.efi.signed") }, peimage.PE32Plus, peimage.MachineAMD64, peimage.SubsystemEFIApplication},
		{"hand-built PE32", func(*testing.T) []byte { return buildPE(peSpec{sections: 3}) }, peimage.PE32, peimage.MachineI386, peimage.SubsystemEFIApplication},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.in(t)
			img, err := peimage.Parse(b, nil)
			require.NoError(t, err)
			require.Equal(t, peimage.KindPE, img.Kind())
			h := img.Headers()
			require.NotNil(t, h)
			assert.Equal(t, tt.format, h.Format)
			assert.Equal(t, tt.machine, h.Machine)
			assert.Equal(t, tt.sub, h.Subsystem)

			ref, err := pe.NewFile(bytes.NewReader(b))
			require.NoError(t, err)
			nt := int64(binary.LittleEndian.Uint32(b[0x3c:]))
			assert.Equal(t, nt, h.NTOffset)
			assert.Equal(t, nt+88, h.ChecksumOffset)
			var stored uint32
			var dir pe.DataDirectory
			switch oh := ref.OptionalHeader.(type) {
			case *pe.OptionalHeader32:
				stored, dir = oh.CheckSum, oh.DataDirectory[4]
				assert.Equal(t, nt+24+128, h.CertDirOffset)
			case *pe.OptionalHeader64:
				stored, dir = oh.CheckSum, oh.DataDirectory[4]
				assert.Equal(t, nt+24+144, h.CertDirOffset)
			}
			got, err := img.StoredChecksum()
			require.NoError(t, err)
			assert.Equal(t, stored, got)
			assert.Equal(t, peimage.Range{Offset: int64(dir.VirtualAddress), Size: int64(dir.Size)}, h.CertTable)

			var want []peimage.Section
			end := int64(0)
			for _, s := range ref.Sections {
				want = append(want, peimage.Section{Name: s.Name, VirtualAddress: s.VirtualAddress, VirtualSize: s.VirtualSize,
					Offset: int64(s.Offset), Size: int64(s.Size), Characteristics: s.Characteristics})
				end = max(end, int64(s.Offset)+int64(s.Size))
			}
			slices.SortFunc(want, func(a, b peimage.Section) int { return int(a.VirtualAddress) - int(b.VirtualAddress) })
			assert.Equal(t, want, h.Sections)
			if end < int64(len(b)) {
				assert.Equal(t, peimage.Range{Offset: end, Size: int64(len(b)) - end}, h.Overlay)
			} else {
				assert.Zero(t, h.Overlay)
			}
			assert.Empty(t, img.Warnings)
		})
	}
}

func TestLosslessWrite(t *testing.T) {
	for _, b := range [][]byte{goPE(t, "386"), buildPE(peSpec{plus: true, cert: winCert(100, 7)}), []byte("raw bytes"), nil} {
		img, err := peimage.Parse(b, nil)
		require.NoError(t, err)
		var out bytes.Buffer
		n, err := img.WriteTo(&out)
		require.NoError(t, err)
		assert.Equal(t, int64(len(b)), n)
		testutil.EqualBytes(t, b, out.Bytes())
		m, err := img.MarshalBinary()
		require.NoError(t, err)
		testutil.EqualBytes(t, b, m)
	}
}

func TestParseDoesNotAlias(t *testing.T) {
	b := buildPE(peSpec{})
	img, err := peimage.Parse(b, nil)
	require.NoError(t, err)
	b[0x400] = 0x55
	assert.Zero(t, img.Bytes()[0x400])
	out := img.Bytes()
	out[0x400] = 0x66
	assert.Zero(t, img.Bytes()[0x400])
}

func TestRawImages(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		opts *peimage.Options
	}{
		{"empty", nil, nil},
		{"16-bit program", append([]byte{0xe9, 0xd5, 0x01}, bytes.Repeat([]byte("startrom"), 100)...), nil},
		{"single M", []byte("M"), nil},
		{"damaged MZ opened raw", []byte("MZ but nothing else"), &peimage.Options{Raw: true}},
		{"PE opened raw", buildPE(peSpec{}), &peimage.Options{Raw: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := peimage.Parse(tt.in, tt.opts)
			require.NoError(t, err)
			assert.Equal(t, peimage.KindRaw, img.Kind())
			assert.Nil(t, img.Headers())
			assert.False(t, img.Signed())
			_, err = img.ComputeChecksum()
			require.ErrorIs(t, err, peimage.ErrNotPE)
			_, err = img.FixChecksum()
			require.ErrorIs(t, err, peimage.ErrNotPE)
			require.ErrorIs(t, img.VerifyChecksum(), peimage.ErrNotPE)
			_, err = img.StoredChecksum()
			require.ErrorIs(t, err, peimage.ErrNotPE)
			_, err = img.Certificates()
			require.ErrorIs(t, err, peimage.ErrNotPE)
			_, err = img.StripSignature()
			require.ErrorIs(t, err, peimage.ErrNotPE)
		})
	}
}

// messWith returns a copy of b changed by f.
func messWith(b []byte, f func(b []byte)) []byte {
	b = bytes.Clone(b)
	f(b)
	return b
}

func put16(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }
func put32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }

func TestBadInput(t *testing.T) {
	good := buildPE(peSpec{sections: 2})
	const nt = 0x80
	tests := []struct {
		name     string
		in       []byte
		opts     *peimage.Options
		wantErr  error
		wantOff  int64
		wantWhat string
	}{
		{"truncated DOS header", good[:0x30], nil, peimage.ErrTruncated, 0, "DOS header"},
		{"e_lfanew outside the file", messWith(good, func(b []byte) { put32(b, 0x3c, uint32(len(b))) }), nil, peimage.ErrFormat, 0x3c, "DOS header"},
		{"e_lfanew huge", messWith(good, func(b []byte) { put32(b, 0x3c, 0xfffffff0) }), nil, peimage.ErrFormat, 0x3c, "DOS header"},
		{"e_lfanew zero", messWith(good, func(b []byte) { put32(b, 0x3c, 0) }), nil, peimage.ErrFormat, 0x3c, "DOS header"},
		{"no PE signature", messWith(good, func(b []byte) { b[nt+1] = 'X' }), nil, peimage.ErrFormat, nt, "NT headers"},
		{"truncated COFF header", good[:nt+10], nil, peimage.ErrTruncated, nt + 4, "COFF header"},
		{"huge section count", messWith(good, func(b []byte) { put16(b, nt+6, 0xffff) }), nil, peimage.ErrLimit, nt + 6, "COFF header"},
		{"section count over a custom limit", good, &peimage.Options{Limits: peimage.Limits{MaxSections: 1}}, peimage.ErrLimit, nt + 6, "COFF header"},
		{"section table past the end", messWith(good, func(b []byte) { put16(b, nt+6, 90) })[:0x400], nil, peimage.ErrTruncated, nt + 24 + 224, "section table"},
		{"bad optional header magic", messWith(good, func(b []byte) { put16(b, nt+24, 0x107) }), nil, peimage.ErrFormat, nt + 24, "optional header"},
		{"optional header too small", messWith(good, func(b []byte) { put16(b, nt+20, 64) }), nil, peimage.ErrFormat, nt + 20, "COFF header"},
		{"certificate table outside the file", messWith(good, func(b []byte) {
			put32(b, nt+24+128, uint32(len(b)-8))
			put32(b, nt+24+128+4, 64)
		}), nil, peimage.ErrFormat, nt + 24 + 128, "certificate table directory"},
		{"certificate table offset wraps", messWith(good, func(b []byte) {
			put32(b, nt+24+128, 0xfffffff8)
			put32(b, nt+24+128+4, 0x10)
		}), nil, peimage.ErrFormat, nt + 24 + 128, "certificate table directory"},
		{"certificate table inside the headers", messWith(good, func(b []byte) {
			put32(b, nt+24+128, 0x10)
			put32(b, nt+24+128+4, 0x10)
		}), nil, peimage.ErrFormat, nt + 24 + 128, "certificate table directory"},
		{"rejected by the PE parser (ImageBase not 64K-aligned)", messWith(good, func(b []byte) { put32(b, nt+24+28, 0x401000) }), nil, peimage.ErrFormat, nt, "PE headers"},
		// saferwall/pe v1.6.5 ParseRichHeader indexes an empty slice when the
		// "DanS" marker directly precedes "Rich": the panic must come back as
		// an error.
		{"PE parser panics on a Rich header", messWith(good, func(b []byte) {
			copy(b[0x50:], "DanSRich\x00\x00\x00\x00")
		}), nil, peimage.ErrParserPanic, nt, "PE headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := totalAlloc()
			img, err := peimage.Parse(tt.in, tt.opts)
			require.LessOrEqual(t, totalAlloc()-before, uint64(testutil.MaxHostileAlloc))
			require.Nil(t, img)
			require.ErrorIs(t, err, tt.wantErr)
			require.ErrorIs(t, err, peimage.ErrFormat)
			var fe *peimage.FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.wantOff, fe.Offset)
			assert.Equal(t, tt.wantWhat, fe.Struct)
			assert.Contains(t, err.Error(), "0x") // messages carry offsets
			// The same input opened as raw bytes is usable.
			raw, err := peimage.Parse(tt.in, &peimage.Options{Raw: true})
			require.NoError(t, err)
			assert.Equal(t, peimage.KindRaw, raw.Kind())
		})
	}
}

// TestTruncatedEverywhere cuts a PE at every offset through its headers (so
// at every field boundary of the DOS header, COFF header, optional header
// and section table): each cut either parses or fails with a *FormatError,
// never panics, and allocates at most 64 MiB.
func TestTruncatedEverywhere(t *testing.T) {
	for _, b := range [][]byte{buildPE(peSpec{sections: 2}), buildPE(peSpec{plus: true, cert: winCert(40, 1)})} {
		tableEnd := 0x80 + 24 + int(binary.LittleEndian.Uint16(b[0x80+20:])) + 40*int(binary.LittleEndian.Uint16(b[0x80+6:]))
		for n := 2; n <= len(b); n++ {
			before := totalAlloc()
			img, err := peimage.Parse(b[:n], nil)
			require.LessOrEqual(t, totalAlloc()-before, uint64(testutil.MaxHostileAlloc), "cut at %#x", n)
			if n < tableEnd {
				var fe *peimage.FormatError
				require.ErrorAs(t, err, &fe, "cut at %#x", n)
				continue
			}
			if err != nil {
				var fe *peimage.FormatError
				require.ErrorAs(t, err, &fe, "cut at %#x", n)
				continue
			}
			assert.Equal(t, int64(n), img.Size())
		}
	}
}

func TestFileSizeLimit(t *testing.T) {
	b := buildPE(peSpec{})
	_, err := peimage.Parse(b, &peimage.Options{Limits: peimage.Limits{MaxFileSize: 100}})
	require.ErrorIs(t, err, peimage.ErrLimit)
	p := writeTemp(t, "big.exe", b)
	_, err = peimage.Open(p, &peimage.Options{Limits: peimage.Limits{MaxFileSize: 100}})
	require.ErrorIs(t, err, peimage.ErrLimit)
	img, err := peimage.Open(p, nil)
	require.NoError(t, err)
	testutil.EqualBytes(t, b, img.Bytes())
}

func TestWarnings(t *testing.T) {
	// A certificate table followed by other data.
	b := append(buildPE(peSpec{cert: winCert(16, 2)}), "trailing"...)
	img, err := peimage.Parse(b, nil)
	require.NoError(t, err)
	require.Len(t, img.Warnings, 1)
	assert.Equal(t, int64(0x600), img.Warnings[0].Offset)
	_, err = img.StripSignature()
	require.ErrorIs(t, err, peimage.ErrUnsupported)

	// Directory 4 with an offset but no size: unsigned, with a warning.
	b = messWith(buildPE(peSpec{}), func(b []byte) { put32(b, 0x80+24+128, 0x400) })
	img, err = peimage.Parse(b, nil)
	require.NoError(t, err)
	assert.False(t, img.Signed())
	require.Len(t, img.Warnings, 1)
	assert.Equal(t, int64(0x80+24+128), img.Warnings[0].Offset)
}

func TestEnumStrings(t *testing.T) {
	assert.Equal(t, "AMD64", peimage.MachineAMD64.String())
	assert.Equal(t, "Machine(0x1234)", peimage.Machine(0x1234).String())
	assert.Equal(t, "EFI application", peimage.SubsystemEFIApplication.String())
	assert.Equal(t, "Subsystem(0x63)", peimage.Subsystem(99).String())
	assert.Equal(t, "PE32+", peimage.PE32Plus.String())
	assert.Equal(t, "Format(0x107)", peimage.Format(0x107).String())
	assert.Equal(t, "PKCS#7 SignedData", peimage.CertTypePKCSSignedData.String())
	assert.Equal(t, "CertType(0x9)", peimage.CertType(9).String())
	assert.Equal(t, "2.0", peimage.CertRevision2.String())
	assert.Equal(t, "CertRevision(0x300)", peimage.CertRevision(0x300).String())
	assert.Equal(t, "BIOS bootmgr", peimage.KindBIOSBootmgr.String())
	assert.Equal(t, "Kind(9)", peimage.Kind(9).String())
	assert.Equal(t, "ASCII+UTF-16LE", peimage.Both.String())
	assert.Equal(t, "keep", peimage.SignatureKeep.String())
}
