package sif_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

// TestCabinet7zip: 7-Zip lists, tests (it verifies the CFDATA checksums)
// and extracts our cabinets, with the stored name, size and time.
func TestCabinet7zip(t *testing.T) {
	bin := testutil.Tool(t, "7zz")
	r := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 70001)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	mt := time.Date(2019, 4, 1, 12, 34, 56, 0, time.UTC)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"one byte", []byte{7}},
		{"one block", bytes.Repeat([]byte("viostor "), 4096)},
		{"block and a byte", bytes.Repeat([]byte{0xAA}, 32769)},
		{"incompressible", random},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			n, err := sif.WriteCabinet(&b, "viostor.sys", tc.data, mt)
			require.NoError(t, err)
			assert.Equal(t, int64(b.Len()), n)
			p := filepath.Join(t.TempDir(), "viostor.sy_")
			require.NoError(t, os.WriteFile(p, b.Bytes(), 0o644))
			out := testutil.Run(t, bin, "t", p)
			assert.Contains(t, out, "Everything is Ok")
			list := testutil.Run(t, bin, "l", "-slt", p)
			assert.Contains(t, list, "Path = viostor.sys\n")
			assert.Contains(t, list, "Method = MSZip")
			assert.Contains(t, list, "Modified = 2019-04-01 12:34:56")
			got := testutil.Run(t, bin, "x", "-so", p)
			testutil.EqualBytes(t, tc.data, []byte(got))
		})
	}
	_, err := sif.WriteCabinet(&bytes.Buffer{}, "", nil, mt)
	require.ErrorIs(t, err, sif.ErrInvalid)
}

func TestCompressedName(t *testing.T) {
	for in, want := range map[string]string{"viostor.sys": "viostor.sy_", "a.in": "a.in_", "x.c": "x.c_", "name": "name._", "a.b.dll": "a.b.dl_"} {
		assert.Equal(t, want, sif.CompressedName(in))
	}
	assert.False(t, strings.Contains(sif.CompressedName("viostor.sys"), "."+"sys"))
}
