package peimage_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/peimage"
)

// totalAlloc returns the bytes allocated so far (runtime.MemStats.TotalAlloc).
func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// useAll does with an image what a caller would: list certificates, search
// and checksum. Errors must be typed.
func useAll(t *testing.T, img *peimage.Image) {
	t.Helper()
	if _, err := img.Certificates(); err != nil && !errors.Is(err, peimage.ErrNotPE) {
		require.ErrorIs(t, err, peimage.ErrFormat)
	}
	if _, err := img.Find("MZ", &peimage.FindOptions{Encoding: peimage.Both, IgnoreCase: true}); err != nil {
		require.ErrorIs(t, err, peimage.ErrLimit)
	}
	if _, err := img.ComputeChecksum(); err != nil {
		require.ErrorIs(t, err, peimage.ErrNotPE)
		require.Equal(t, peimage.KindRaw, img.Kind())
	}
}

// TestHostilePE reads PE files whose headers claim huge counts and sizes,
// point outside the file, or whose certificate table loops or holds tens of
// thousands of entries: each is refused with a typed error or opened, and
// nothing allocates more than 64 MiB.
func TestHostilePE(t *testing.T) {
	const nt, coff, opt = 0x80, 0x84, 0x98
	const sec = opt + 224 // PE32 section table
	good := buildPE(peSpec{sections: 2})
	// 1 MiB of 8-byte certificate entries.
	var manyCerts []byte
	for len(manyCerts) < 1<<20-0x800 {
		manyCerts = append(manyCerts, winCert(0, 1)...)
	}
	// A table whose first entry claims to be as long as the file.
	longCert := messWith(winCert(8, 1), func(b []byte) { binary.LittleEndian.PutUint32(b, 0xFFFFFFF8) })
	tests := []struct {
		name    string
		in      []byte
		wantErr error // nil: the image opens
	}{
		{"NumberOfSections 0xFFFF", messWith(good, func(b []byte) { put16(b, coff+2, 0xFFFF) }), peimage.ErrLimit},
		{"SizeOfOptionalHeader 0xFFFF", messWith(good, func(b []byte) { put16(b, coff+16, 0xFFFF) }), peimage.ErrTruncated},
		{"NumberOfRvaAndSizes 0xFFFFFFFF", messWith(good, func(b []byte) { put32(b, opt+92, 0xFFFFFFFF) }), nil},
		{"COFF symbol count 0xFFFFFFFF", messWith(good, func(b []byte) { put32(b, coff+8, 0x400); put32(b, coff+12, 0xFFFFFFFF) }), nil},
		{"COFF symbol table outside the file", messWith(good, func(b []byte) { put32(b, coff+8, 0xFFFFFFF0); put32(b, coff+12, 1) }), nil},
		{"long section name outside the file", messWith(good, func(b []byte) {
			copy(b[sec:sec+8], "/9999999")
			put32(b, coff+8, 0x400)
			put32(b, coff+12, 1)
		}), nil},
		{"section raw data outside the file", messWith(good, func(b []byte) { put32(b, sec+16, 0xFFFFFFFF); put32(b, sec+20, 0xFFFFFF00) }), nil},
		{"section virtual size 4 GiB", messWith(good, func(b []byte) { put32(b, sec+8, 0xFFFFFFFF) }), nil},
		{"SizeOfImage and SizeOfHeaders 4 GiB", messWith(good, func(b []byte) { put32(b, opt+56, 0xFFFFFFFF); put32(b, opt+60, 0xFFFFFFFF) }), nil},
		{"e_lfanew past the end", messWith(good, func(b []byte) { put32(b, 0x3c, 0xFFFFFFFC) }), peimage.ErrFormat},
		{"certificate table offset past the end", messWith(buildPE(peSpec{cert: winCert(8, 1)}), func(b []byte) {
			put32(b, opt+128, 0xFFFFFFF0)
		}), peimage.ErrFormat},
		{"certificate table size 4 GiB", messWith(buildPE(peSpec{cert: winCert(8, 1)}), func(b []byte) {
			put32(b, opt+132, 0xFFFFFFF8)
		}), peimage.ErrFormat},
		{"certificate entry claims 4 GiB", buildPE(peSpec{cert: longCert}), nil},
		{"131,000 certificate entries", buildPE(peSpec{cert: manyCerts}), nil},
		{"certificate entry of length 0 (would not advance)", buildPE(peSpec{cert: make([]byte, 64)}), nil},
		{"1 MiB of MZ", bytes.Repeat([]byte("MZ"), 1<<19), peimage.ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.LessOrEqual(t, len(tt.in), 1<<20)
			before := totalAlloc()
			img, err := peimage.Parse(tt.in, nil)
			if err == nil {
				useAll(t, img)
			} else {
				var fe *peimage.FormatError
				require.ErrorAs(t, err, &fe)
				if raw, err := peimage.Parse(tt.in, &peimage.Options{Raw: true}); assert.NoError(t, err) {
					useAll(t, raw)
				}
			}
			got := totalAlloc() - before
			t.Logf("%d bytes: allocated %.1f MiB, %v", len(tt.in), float64(got)/(1<<20), err)
			assert.LessOrEqual(t, got, uint64(testutil.MaxHostileAlloc))
			if tt.wantErr == nil {
				require.NoError(t, err)
				if certs, err := img.Certificates(); img.Signed() && tt.name != "131,000 certificate entries" {
					// The damaged tables: reported, not fatal.
					require.ErrorIs(t, err, peimage.ErrFormat)
					assert.Empty(t, certs)
				} else if img.Signed() {
					require.ErrorIs(t, err, peimage.ErrLimit)
					assert.Len(t, certs, peimage.DefaultLimits.MaxCertificates)
				}
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}
