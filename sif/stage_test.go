package sif_test

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

// stageDisk is a virtio-win style driver disk in memory, with the file
// names in another case than txtsetup.oem spells them (as on a FAT floppy).
func stageDisk(t *testing.T) (fstest.MapFS, []byte) {
	sys := []byte("MZ stand-in viostor driver: compressible compressible compressible compressible")
	mod := time.Date(2021, 5, 6, 7, 8, 10, 0, time.UTC)
	return fstest.MapFS{
		"TXTSETUP.OEM":             {Data: testutil.ReadFixture(t, "inf/virtio-win/txtsetup-i386.oem"), ModTime: mod},
		"I386/WIN2003/VIOSTOR.SYS": {Data: sys, ModTime: mod},
		"I386/WIN2003/Viostor.Inf": {Data: []byte("[Version]\r\n"), ModTime: mod},
		"I386/WIN2003/viostor.cat": {Data: []byte{0x30, 0x00}, ModTime: mod},
	}, sys
}

func TestReadCopiesMatchesCopyFiles(t *testing.T) {
	disk, sys := stageDisk(t)
	s := newSlip(t, loadOEM(t, "inf/virtio-win/txtsetup-i386.oem"), nil)
	for _, compress := range []bool{false, true} {
		opts := &sif.CopyOptions{Compress: compress}
		staged, err := s.ReadCopies(disk, s.Copies, opts)
		require.NoError(t, err)
		require.Len(t, staged, len(s.Copies))

		// CopyFiles writes the same bytes to the same places.
		media := t.TempDir()
		_, err = s.CopyFiles(disk, media, s.Copies, opts)
		require.NoError(t, err)
		var paths []string
		for i, f := range staged {
			assert.Equal(t, s.Copies[i], f.Copy)
			got, err := os.ReadFile(filepath.Join(media, filepath.FromSlash(f.Path)))
			require.NoError(t, err, f.Path)
			testutil.EqualBytes(t, got, f.Data, f.Path)
			paths = append(paths, f.Path)
		}
		assert.ElementsMatch(t, tree(t, media), paths)

		if !compress {
			assert.Equal(t, "I386/viostor.sys", staged[0].Path)
			testutil.EqualBytes(t, sys, staged[0].Data)
			continue
		}
		// The cabinet holds the driver: 7-Zip lists and expands it.
		require.Equal(t, "I386/viostor.sy_", staged[0].Path)
		dir := t.TempDir()
		cab := filepath.Join(dir, "viostor.sy_")
		require.NoError(t, os.WriteFile(cab, staged[0].Data, 0o644))
		testutil.Run(t, testutil.Tool(t, "7zz"), "x", "-y", "-o"+filepath.Join(dir, "x"), cab)
		got, err := os.ReadFile(filepath.Join(dir, "x", "viostor.sys"))
		require.NoError(t, err)
		testutil.EqualBytes(t, sys, got)
	}
}

func TestReadCopiesErrors(t *testing.T) {
	disk, _ := stageDisk(t)
	s := newSlip(t, loadOEM(t, "inf/virtio-win/txtsetup-i386.oem"), nil)
	delete(disk, "I386/WIN2003/viostor.cat")
	staged, err := s.ReadCopies(disk, s.Copies, nil)
	require.ErrorIs(t, err, sif.ErrNotFound)
	assert.Nil(t, staged)

	disk, _ = stageDisk(t)
	bad := []sif.FileCopy{{Type: "driver", Source: "i386/Win2003/viostor.sys", Media: "../viostor.sys"}}
	_, err = s.ReadCopies(disk, bad, nil)
	require.ErrorIs(t, err, sif.ErrInvalid)

	// The limit is the slipstream's own: an oversized file is ErrLimit.
	s2 := newSlip(t, loadOEM(t, "inf/virtio-win/txtsetup-i386.oem"), &sif.SlipstreamOptions{Limits: sif.Limits{MaxDriverFileSize: 8}})
	_, err = s2.ReadCopies(disk, s2.Copies[:1], nil)
	require.ErrorIs(t, err, sif.ErrLimit)
}

func TestFoldPath(t *testing.T) {
	disk, _ := stageDisk(t)
	for in, want := range map[string]string{
		"TXTSETUP.OEM":               "TXTSETUP.OEM",
		"txtsetup.oem":               "TXTSETUP.OEM",
		`\i386\Win2003\viostor.sys\`: "I386/WIN2003/VIOSTOR.SYS",
		"I386/WIN2003/viostor.INF":   "I386/WIN2003/Viostor.Inf",
		"/":                          ".",
	} {
		got, err := sif.FoldPath(disk, in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := sif.FoldPath(disk, "i386/nothere.sys")
	require.ErrorIs(t, err, sif.ErrNotFound)
	assert.EqualError(t, err, "sif: i386/nothere.sys: "+sif.ErrNotFound.Error())
	_, err = sif.FoldPath(disk, "../etc/passwd")
	require.ErrorIs(t, err, sif.ErrInvalid)
}
