package sif_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
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

// stageTree lists every file and directory below dir with its content
// ("/" for directories).
func stageTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[filepath.ToSlash(rel)] = "/"
			return nil
		}
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	}))
	return out
}

func TestWriteStaged(t *testing.T) {
	media := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(media, "I386"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(media, "I386", "TXTSETUP.SIF"), []byte("old sif"), 0o600))
	files := []sif.StagedFile{
		{Path: "I386/TXTSETUP.SIF", Data: []byte("new sif")},
		{Path: "I386/viostor.sy_", Data: []byte("cab"), Copy: sif.FileCopy{Source: "i386/viostor.sys"}},
		{Path: "$OEM$/$1/Drivers/viostor/viostor.inf", Data: []byte("inf")},
	}
	edits, err := sif.WriteStaged(media, files, 0)
	require.NoError(t, err)
	require.Len(t, edits, 3)
	assert.Equal(t, []sif.EditKind{sif.EditUpdate, sif.EditAdd, sif.EditAdd}, []sif.EditKind{edits[0].Kind, edits[1].Kind, edits[2].Kind})
	assert.Equal(t, "i386/viostor.sys", edits[1].New)
	assert.Equal(t, map[string]string{"I386": "/", "I386/TXTSETUP.SIF": "new sif", "I386/viostor.sy_": "cab",
		"$OEM$": "/", "$OEM$/$1": "/", "$OEM$/$1/Drivers": "/", "$OEM$/$1/Drivers/viostor": "/",
		"$OEM$/$1/Drivers/viostor/viostor.inf": "inf"}, stageTree(t, media))
	fi, err := os.Stat(filepath.Join(media, "I386", "TXTSETUP.SIF"))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm(), "a replaced file keeps its mode")

	edits, err = sif.WriteStaged(media, files, 0)
	require.NoError(t, err)
	assert.Zero(t, sif.CountChanges(edits), "writing again changes nothing")
}

// A write that fails part-way (injected into the third file) takes back the
// two before it: the replaced file has its old bytes, the new file and the
// directories made for it are gone, no temporary file is left.
func TestWriteStagedRollsBack(t *testing.T) {
	media := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(media, "I386"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(media, "I386", "TXTSETUP.SIF"), []byte("old sif"), 0o644))
	before := stageTree(t, media)
	files := []sif.StagedFile{
		{Path: "I386/TXTSETUP.SIF", Data: []byte("new sif")},
		{Path: "SRS/FREQUENT/viostor.sy_", Data: []byte("cab")},
		{Path: "I386/HIVESYS.INF", Data: []byte("hivesys")},
	}
	calls := 0
	restore := atomicfile.SetFault(func(int64) error {
		calls++
		if calls == 3 {
			return atomicfile.ErrInjected
		}
		return nil
	})
	_, err := sif.WriteStaged(media, files, 0)
	restore()
	require.ErrorIs(t, err, atomicfile.ErrInjected)
	assert.Equal(t, before, stageTree(t, media))

	// A file in the way of a directory: the same.
	require.NoError(t, os.WriteFile(filepath.Join(media, "SRS"), []byte("not a directory"), 0o644))
	before = stageTree(t, media)
	_, err = sif.WriteStaged(media, files, 0)
	require.Error(t, err)
	assert.Equal(t, before, stageTree(t, media))

	// A path leaving the media tree: nothing is written.
	_, err = sif.WriteStaged(media, append(files[:1:1], sif.StagedFile{Path: "../escape", Data: []byte("x")}), 0)
	require.ErrorIs(t, err, sif.ErrInvalid)
	assert.Equal(t, before, stageTree(t, media))
}

// Setup media spell names in any case: FoldPath finds them as they are.
func ExampleFoldPath() {
	media := fstest.MapFS{"I386/TXTSETUP.SIF": {Data: []byte("[Version]\r\n")}}
	p, err := sif.FoldPath(media, `\i386\txtsetup.sif`)
	fmt.Println(p, err)
	_, err = sif.FoldPath(media, "amd64/txtsetup.sif")
	fmt.Println(err)
	// Output:
	// I386/TXTSETUP.SIF <nil>
	// sif: amd64/txtsetup.sif: sif: not found
}
