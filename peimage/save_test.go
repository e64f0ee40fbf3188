package peimage_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/peimage"
)

// TestSaveFailureKeepsOriginal makes the write fail part-way: the original
// file must be byte-identical and no temporary file may remain.
func TestSaveFailureKeepsOriginal(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bootmgr.exe")
	orig := buildPE(peSpec{sections: 4, fill: func(_ int, s []byte) { copy(s, utf16(wideBCD)) }})
	require.NoError(t, os.WriteFile(path, orig, 0o640))

	img, err := peimage.Open(path, nil)
	require.NoError(t, err)
	_, err = peimage.PE2Bootmgr(`\Test\BCD`).Apply(img, nil)
	require.NoError(t, err)

	restore := atomicfile.FailAfter(1000)
	err = img.Save(path)
	restore()
	require.ErrorIs(t, err, atomicfile.ErrInjected)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	testutil.EqualBytes(t, orig, got)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file remains")

	require.NoError(t, img.Save(path))
	got, err = os.ReadFile(path)
	require.NoError(t, err)
	testutil.EqualBytes(t, img.Bytes(), got)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "permissions kept")
}

func TestUnmarshalBinary(t *testing.T) {
	var zero peimage.Image // usable as an empty raw image
	m, err := zero.Find("x", nil)
	require.NoError(t, err)
	assert.Empty(t, m)
	assert.Equal(t, peimage.KindRaw, zero.Kind())

	b := buildPE(peSpec{})
	var img peimage.Image
	require.NoError(t, img.UnmarshalBinary(b))
	h := img.Headers()
	h.Sections[0].Name = "changed"
	assert.Equal(t, ".s0", img.Headers().Sections[0].Name, "Headers returns a copy")
	assert.Equal(t, peimage.KindPE, img.Kind())
	require.ErrorIs(t, img.UnmarshalBinary(b[:0x50]), peimage.ErrFormat)
}
