package peimage_test

import (
	"bytes"
	"debug/pe"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/peimage"
)

// refSection locates off with debug/pe: section name and RVA.
func refSection(t *testing.T, b []byte, off int64) (string, uint32) {
	t.Helper()
	f, err := pe.NewFile(bytes.NewReader(b))
	require.NoError(t, err)
	for _, s := range f.Sections {
		if off >= int64(s.Offset) && off < int64(s.Offset)+int64(s.Size) {
			return s.Name, s.VirtualAddress + uint32(off-int64(s.Offset))
		}
	}
	return "", 0
}

func TestFindInGoPE(t *testing.T) {
	for _, arch := range []string{"386", "amd64"} {
		t.Run(arch, func(t *testing.T) {
			b := goPE(t, arch)
			img, err := peimage.Parse(b, nil)
			require.NoError(t, err)
			tests := []struct {
				name string
				s    string
				opts *peimage.FindOptions
				want map[int64]peimage.Encoding // expected offsets, found independently
			}{
				{"ASCII", asciiMgr, &peimage.FindOptions{Encoding: peimage.ASCII}, offsets(b, []byte(asciiMgr), peimage.ASCII)},
				{"UTF-16LE", wideBCD, &peimage.FindOptions{Encoding: peimage.UTF16LE}, offsets(b, utf16(wideBCD), peimage.UTF16LE)},
				{"both, default options", wideBCD, nil, offsets(b, utf16(wideBCD), peimage.UTF16LE)},
				{"case differs, case-sensitive", "BOOTMGR.EXE", nil, nil},
				{"case differs, ignore case", "BOOTMGR.EXE", &peimage.FindOptions{IgnoreCase: true}, offsets(b, []byte(asciiMgr), peimage.ASCII)},
				{"both encodings, ignore case", "WinNT.Sif", &peimage.FindOptions{IgnoreCase: true},
					merge(offsets(b, []byte(asciiSIF), peimage.ASCII), offsets(b, utf16(wideSIF), peimage.UTF16LE))},
				{"dir, both, ignore case", asciiDir, &peimage.FindOptions{Encoding: peimage.Both, IgnoreCase: true},
					merge(offsets(b, []byte(asciiDir), peimage.ASCII), offsets(b, utf16(wideDir), peimage.UTF16LE))},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got, err := img.Find(tt.s, tt.opts)
					require.NoError(t, err)
					if tt.want != nil {
						require.NotEmpty(t, tt.want, "the test program embeds %q", tt.s)
					}
					require.Len(t, got, len(tt.want))
					for i, m := range got {
						if i > 0 {
							assert.Less(t, got[i-1].Offset, m.Offset, "file order")
						}
						require.Contains(t, tt.want, m.Offset)
						assert.Equal(t, tt.want[m.Offset], m.Encoding)
						assert.Equal(t, len(tt.s)*m.Encoding.UnitSize(), m.Length)
						name, rva := refSection(t, b, m.Offset)
						assert.Equal(t, name, m.Section)
						assert.Equal(t, rva, m.RVA)
						assert.GreaterOrEqual(t, m.SectionIndex, 0)
						assert.False(t, m.InCertTable || m.InOverlay || m.InHeaders)
					}
				})
			}
		})
	}
}

// offsets finds pat in b naively (every start, case-sensitive).
func offsets(b, pat []byte, e peimage.Encoding) map[int64]peimage.Encoding {
	m := map[int64]peimage.Encoding{}
	for i := 0; i+len(pat) <= len(b); i++ {
		if bytes.Equal(b[i:i+len(pat)], pat) {
			m[int64(i)] = e
		}
	}
	return m
}

func merge(a, b map[int64]peimage.Encoding) map[int64]peimage.Encoding {
	for k, v := range b {
		a[k] = v
	}
	return a
}

func TestFindLocations(t *testing.T) {
	b := buildPE(peSpec{sections: 2, cert: winCert(32, 'C'), fill: func(i int, s []byte) {
		copy(s[0x10:], "in section")
	}})
	// The overlay here is just the certificate table; put a marker in it.
	copy(b[len(b)-16:], "CERTMARK")
	img, err := peimage.Parse(b, nil)
	require.NoError(t, err)

	got, err := img.Find("in section", &peimage.FindOptions{Encoding: peimage.ASCII})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, peimage.Match{Offset: 0x410, Length: 10, Encoding: peimage.ASCII, Section: ".s0", SectionIndex: 0, RVA: 0x1010}, got[0])
	assert.Equal(t, peimage.Match{Offset: 0x610, Length: 10, Encoding: peimage.ASCII, Section: ".s1", SectionIndex: 1, RVA: 0x2010}, got[1])

	got, err = img.Find("MZ", nil)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.True(t, got[0].InHeaders)
	assert.Equal(t, -1, got[0].SectionIndex)

	got, err = img.Find("certmark", &peimage.FindOptions{IgnoreCase: true})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.True(t, got[0].InCertTable)
	assert.True(t, got[0].InOverlay, "the certificate table is part of the overlay")
	assert.Contains(t, got[0].String(), "in certificate table")

	// Appended data after an unsigned image is overlay, not certificate table.
	img, err = peimage.Parse(append(buildPE(peSpec{}), "OVERLAY!"...), nil)
	require.NoError(t, err)
	got, err = img.Find("OVERLAY!", nil)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.True(t, got[0].InOverlay)
	assert.False(t, got[0].InCertTable)
}

func TestFindInSignedShim(t *testing.T) {
	img, err := peimage.Open(shimFile(t, "mmx64.efi.signed"), nil)
	require.NoError(t, err)
	h := img.Headers()
	got, err := img.Find("Debian Secure Boot", &peimage.FindOptions{Encoding: peimage.ASCII})
	require.NoError(t, err)
	require.NotEmpty(t, got)
	for _, m := range got {
		assert.Equal(t, h.CertTable.Contains(m.Offset), m.InCertTable, "offset %#x", m.Offset)
	}
	got, err = img.Find("MokManager", &peimage.FindOptions{Encoding: peimage.UTF16LE})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, int64(0x73720), got[0].Offset) // offset from python: bytes.find
	assert.False(t, got[0].InCertTable)
}

// TestFindDifferential compares Find with a naive search on random inputs:
// leftmost, non-overlapping matches; ASCII letters fold only when asked; in
// UTF-16LE only units below 0x100 whose low byte is a letter fold.
func TestFindDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("aAbB.\\\x00\x01zZ\xc3\xa9\xff\xfd")
	words := []string{"ab", "AB", "a.b", "\\B", "zz", "a", ".", "aBzA.", "Ab\\", "é", "aé", "\xffa", "日本", "\xff"}
	for range 500 {
		data := make([]byte, rng.IntN(200))
		for i := range data {
			data[i] = alphabet[rng.IntN(len(alphabet))]
		}
		img, err := peimage.Parse(data, nil)
		require.NoError(t, err)
		w := words[rng.IntN(len(words))]
		fold := rng.IntN(2) == 0
		for _, e := range []peimage.Encoding{peimage.ASCII, peimage.UTF16LE} {
			got, err := img.Find(w, &peimage.FindOptions{Encoding: e, IgnoreCase: fold})
			require.NoError(t, err)
			want := naiveFind(data, encode(w, e), e, fold)
			var offs []int64
			for _, m := range got {
				offs = append(offs, m.Offset)
			}
			require.Equal(t, want, offs, "find %q (%s, fold %v) in %q", w, e, fold, data)
		}
	}
}

func encode(s string, e peimage.Encoding) []byte {
	if e == peimage.UTF16LE {
		return utf16(s)
	}
	return []byte(s)
}

func naiveFind(data, pat []byte, e peimage.Encoding, fold bool) []int64 {
	eq := func(i int, d byte) bool {
		c := pat[i]
		if d == c {
			return true
		}
		letter := (c|0x20) >= 'a' && (c|0x20) <= 'z'
		if !fold || !letter || (e == peimage.UTF16LE && (i%2 == 1 || pat[i+1] != 0)) {
			return false
		}
		return d|0x20 == c|0x20
	}
	var out []int64
	for i := 0; i+len(pat) <= len(data); {
		ok := true
		for j := range pat {
			if !eq(j, data[i+j]) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, int64(i))
			i += len(pat)
		} else {
			i++
		}
	}
	return out
}

func TestFindUTF16FoldsOnlyASCII(t *testing.T) {
	// U+0141 (Ł) is 41 01; U+0161 (š) is 61 01: their low bytes differ only
	// in case, but they are not ASCII letters and must not fold.
	img, err := peimage.Parse(utf16("xšx"), nil)
	require.NoError(t, err)
	got, err := img.Find("Ł", &peimage.FindOptions{Encoding: peimage.UTF16LE, IgnoreCase: true})
	require.NoError(t, err)
	assert.Empty(t, got)
	got, err = img.Find("XŠX", &peimage.FindOptions{Encoding: peimage.UTF16LE, IgnoreCase: true})
	require.NoError(t, err)
	assert.Empty(t, got, "Š/š are not folded")
	got, err = img.Find("XšX", &peimage.FindOptions{Encoding: peimage.UTF16LE, IgnoreCase: true})
	require.NoError(t, err)
	assert.Len(t, got, 1)
}

func TestFindLimitsAndErrors(t *testing.T) {
	img, err := peimage.Parse(bytes.Repeat([]byte("A"), 1000), &peimage.Options{Limits: peimage.Limits{MaxMatches: 10}})
	require.NoError(t, err)
	_, err = img.Find("a", &peimage.FindOptions{IgnoreCase: true})
	require.ErrorIs(t, err, peimage.ErrLimit)
	got, err := img.Find("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", nil)
	require.NoError(t, err)
	assert.Len(t, got, 10)
	_, err = img.Find("", nil)
	require.ErrorIs(t, err, peimage.ErrNotFound)
	_, err = img.Find("A", &peimage.FindOptions{Encoding: 8})
	require.Error(t, err)
}
