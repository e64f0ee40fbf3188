package hive_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

func u32(b []byte, off int64) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
func put32(b []byte, off int64, v uint32) {
	binary.LittleEndian.PutUint32(b[off:], v)
}

// firstList returns the file offset of the first cell with signature sig
// whose entry count is at least n.
func firstList(t *testing.T, b []byte, sig string, n int) int64 {
	t.Helper()
	for _, off := range cellOffsets(t, b)[sig] {
		if int(binary.LittleEndian.Uint16(b[off+6:])) >= n {
			return off
		}
	}
	t.Fatalf("no %s list with %d entries", sig, n)
	return 0
}

// nkWithValues returns the file offset of the first key node with values.
func nkWithValues(t *testing.T, b []byte) int64 {
	t.Helper()
	for _, off := range cellOffsets(t, b)["nk"] {
		if u32(b, off+4+36) > 0 {
			return off
		}
	}
	t.Fatal("no key with values")
	return 0
}

// Check finds each kind of damage, at the right offset.
func TestCheckFindsCorruption(t *testing.T) {
	bcd := testutil.ReadFixture(t, "bcd/bcd_ntloader3_bcdedit.bcd")
	sec := testutil.ReadFixture(t, "hive/regipy_SECURITY")
	amc := testutil.ReadFixture(t, "hive/regipy_amcache.hve")
	tmpl := testutil.ReadFixture(t, "bcd/bcd_bcdsys_empty_template.bcd")
	tests := []struct {
		name string
		in   []byte
		mess func(b []byte) int64 // damages b, returns the offset Check must report
	}{
		{"unsorted lf list", bcd, func(b []byte) int64 {
			lf := firstList(t, b, "lf", 2)
			var e [8]byte
			copy(e[:], b[lf+8:lf+16])
			copy(b[lf+8:lf+16], b[lf+16:lf+24])
			copy(b[lf+16:lf+24], e[:])
			return lf
		}},
		{"wrong lf hint", bcd, func(b []byte) int64 {
			lf := firstList(t, b, "lf", 1)
			b[lf+12] ^= 0x20
			return lf
		}},
		{"lh list in a 1.3 hive", bcd, func(b []byte) int64 {
			lf := firstList(t, b, "lf", 1)
			b[lf+5] = 'h'
			return lf
		}},
		{"wrong lh hash", sec, func(b []byte) int64 {
			lh := firstList(t, b, "lh", 1)
			b[lh+12]++
			return lh
		}},
		{"sk reference count", sec, func(b []byte) int64 {
			sk := cellOffsets(t, b)["sk"][0]
			put32(b, sk+4+12, u32(b, sk+4+12)+1)
			return sk
		}},
		{"sk ring broken", sec, func(b []byte) int64 {
			sks := cellOffsets(t, b)["sk"]
			require.Len(t, sks, 2)
			// The second sk's blink no longer points back at the first.
			put32(b, sks[1]+4+8, uint32(sks[1]-4096))
			return -1
		}},
		{"largest value data field too small", bcd, func(b []byte) int64 {
			nk := nkWithValues(t, b)
			put32(b, nk+4+64, 0)
			return nk
		}},
		{"largest subkey name field too small", bcd, func(b []byte) int64 {
			root := int64(4096 + u32(b, 36))
			put32(b, root+4+52, 2)
			return root
		}},
		{"allocated cell nothing references", tmpl, func(b []byte) int64 {
			f := cellOffsets(t, b)["free"][0]
			put32(b, f, uint32(-int32(u32(b, f))))
			return f
		}},
		{"subkey count", bcd, func(b []byte) int64 {
			root := int64(4096 + u32(b, 36))
			put32(b, root+4+20, u32(b, root+4+20)+1)
			return root
		}},
		{"cells do not tile", bcd, func(b []byte) int64 {
			vk := cellOffsets(t, b)["vk"][3]
			binary.LittleEndian.PutUint32(b[vk:], 0xFFFFFFF4) // -12: not a multiple of 8
			return vk
		}},
		{"big-data segment count", amc, func(b []byte) int64 {
			db := cellOffsets(t, b)["db"][0]
			b[db+6]++
			return db
		}},
		{"data size exceeds its cell", bcd, func(b []byte) int64 {
			for _, vk := range cellOffsets(t, b)["vk"] {
				if size := u32(b, vk+8); size&0x80000000 == 0 && size > 4 {
					put32(b, vk+8, size+4096)
					return int64(4096 + u32(b, vk+12))
				}
			}
			t.Fatal("no vk with cell data")
			return 0
		}},
		{"root listed as a subkey", bcd, func(b []byte) int64 {
			lf := firstList(t, b, "lf", 1)
			put32(b, lf+8, u32(b, 36))
			return int64(4096 + u32(b, 36))
		}},
		{"base block checksum", bcd, func(b []byte) int64 {
			b[508]++
			return 508
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := bytes.Clone(tt.in)
			want := tt.mess(b)
			h, err := hive.Parse(b, nil)
			require.NoError(t, err)
			probs := h.Check()
			require.NotEmpty(t, probs)
			var offs []int64
			for _, p := range probs {
				offs = append(offs, p.Offset)
			}
			assert.Contains(t, offs, want, "problems: %v", probs)
		})
	}
}

// Reading damaged structures gives typed errors with offsets, never a
// panic; the walk stops at the damage.
func TestReadErrorsTyped(t *testing.T) {
	amc := testutil.ReadFixture(t, "hive/regipy_amcache.hve")
	b := bytes.Clone(amc)
	db := cellOffsets(t, b)["db"][0]
	b[db+6] = 0xFF
	h, err := hive.Parse(b, nil)
	require.NoError(t, err)
	var got error
	_ = h.Root().Walk(func(_ string, k *hive.Key) error {
		for v, err := range k.Values() {
			require.NoError(t, err)
			if _, err := v.Data(); err != nil && got == nil {
				got = err
			}
		}
		return nil
	})
	require.ErrorIs(t, got, hive.ErrFormat)
	var fe *hive.FormatError
	require.ErrorAs(t, got, &fe)
	assert.Equal(t, db, fe.Offset)

	// A subkey count beyond the list: the walk reports it.
	bcd := testutil.ReadFixture(t, "bcd/bcd_ntloader3_bcdedit.bcd")
	b = bytes.Clone(bcd)
	root := int64(4096 + u32(b, 36))
	put32(b, root+4+20, 1000)
	h, err = hive.Parse(b, nil)
	require.NoError(t, err)
	err = h.Root().Walk(func(string, *hive.Key) error { return nil })
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, root, fe.Offset)
	assert.True(t, errors.Is(err, hive.ErrFormat))
}
