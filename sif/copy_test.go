package sif_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

// driverDisk builds a virtio-win style driver disk: txtsetup.oem at the
// root, the files in i386\Win2003 (upper-case on disk, as on a FAT floppy).
func driverDisk(t *testing.T) (string, []byte) {
	dir := t.TempDir()
	oem := testutil.ReadFixture(t, "inf/virtio-win/txtsetup-i386.oem")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "TXTSETUP.OEM"), oem, 0o644))
	sub := filepath.Join(dir, "I386", "WIN2003")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	sys := []byte("MZ fake viostor driver, compressible compressible compressible")
	for name, data := range map[string][]byte{"VIOSTOR.SYS": sys, "viostor.inf": []byte("[Version]\r\n"), "viostor.cat": {0x30}} {
		require.NoError(t, os.WriteFile(filepath.Join(sub, name), data, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "disk1"), nil, 0o644))
	return dir, sys
}

func TestCopyFiles(t *testing.T) {
	disk, sys := driverDisk(t)
	s := newSlip(t, loadOEM(t, "inf/virtio-win/txtsetup-i386.oem"), nil)
	require.Len(t, s.Copies, 3)
	assert.Equal(t, sif.FileCopy{Type: "driver", Source: "i386/Win2003/viostor.sys", Media: "I386/viostor.sys",
		Compressed: "I386/viostor.sy_", Install: `system32\drivers\viostor.sys`}, s.Copies[0])
	assert.Equal(t, "$OEM$/$1/Drivers/viostor/viostor.inf", s.Copies[1].Media)

	media := t.TempDir()
	edits, err := s.CopyFiles(os.DirFS(disk), media, s.Copies, nil)
	require.NoError(t, err)
	assert.Equal(t, 3, sif.CountChanges(edits))
	got, err := os.ReadFile(filepath.Join(media, "I386", "viostor.sys"))
	require.NoError(t, err)
	testutil.EqualBytes(t, sys, got)
	assert.Equal(t, []string{"$OEM$/$1/Drivers/viostor/viostor.cat", "$OEM$/$1/Drivers/viostor/viostor.inf", "I386/viostor.sys"}, tree(t, media))
	edits, err = s.CopyFiles(os.DirFS(disk), media, s.Copies, nil)
	require.NoError(t, err)
	assert.Zero(t, sif.CountChanges(edits), "copying again changes nothing")

	// Compressed: only the cabinet, which 7-Zip expands to the driver.
	cmedia := t.TempDir()
	_, err = s.CopyFiles(os.DirFS(disk), cmedia, s.Copies[:1], &sif.CopyOptions{Compress: true, ModTime: time.Date(2020, 1, 2, 3, 4, 6, 0, time.UTC)})
	require.NoError(t, err)
	assert.Equal(t, []string{"I386/viostor.sy_"}, tree(t, cmedia))
	out := testutil.Run(t, testutil.Tool(t, "7zz"), "x", "-so", filepath.Join(cmedia, "I386", "viostor.sy_"))
	testutil.EqualBytes(t, sys, []byte(out))

	// The media directory a txtsetup.sif names.
	dir, ok := sif.MediaDirFor(loadSIF(t, testutil.ReadFixture(t, "inf/reactos/txtsetup.sif")), inf.X86, "1")
	require.True(t, ok)
	assert.Equal(t, "reactos/viostor.sys", s.CopyPlan(dir)[0].Media)

	edits, err = s.RemoveCopies(media, s.Copies)
	require.NoError(t, err)
	assert.Equal(t, 3, sif.CountChanges(edits))
	assert.Empty(t, tree(t, media))
}

func TestCopyFilesErrors(t *testing.T) {
	disk, _ := driverDisk(t)
	s := newSlip(t, loadOEM(t, "inf/virtio-win/txtsetup-i386.oem"), nil)
	media := t.TempDir()
	require.NoError(t, os.Remove(filepath.Join(disk, "I386", "WIN2003", "viostor.cat")))
	_, err := s.CopyFiles(os.DirFS(disk), media, s.Copies, nil)
	require.ErrorIs(t, err, sif.ErrNotFound)
	assert.Empty(t, tree(t, media), "nothing is written when a file is missing")

	_, err = s.CopyFiles(os.DirFS(disk), media, s.CopyPlan("../outside"), nil)
	require.ErrorIs(t, err, sif.ErrInvalid)

	small := newSlip(t, loadOEM(t, "inf/virtio-win/txtsetup-i386.oem"), &sif.SlipstreamOptions{Limits: sif.Limits{MaxDriverFileSize: 10}})
	_, err = small.CopyFiles(os.DirFS(disk), media, small.Copies[:1], nil)
	require.ErrorIs(t, err, sif.ErrLimit)
	assert.Empty(t, tree(t, media))
}

// tree lists the regular files below dir, '/'-separated and sorted.
func tree(t *testing.T, dir string) []string {
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	}))
	sort.Strings(out)
	return out
}

// TestSaveFailures: every function that saves a file goes through
// internal/atomicfile; a write that fails part-way leaves the original
// byte-identical and no temporary file behind.
func TestSaveFailures(t *testing.T) {
	orig := testutil.ReadFixture(t, "inf/reactos/txtsetup.sif")
	slip := newSlip(t, loadOEM(t, "inf/virtio-win/txtsetup-i386.oem"), nil)
	edited := loadSIF(t, orig)
	_, err := slip.ApplySIF(edited)
	require.NoError(t, err)
	w, err := sif.NewWinnt(sif.WinntConfig{})
	require.NoError(t, err)
	c, err := sif.ParseCHKPCI(nil, nil)
	require.NoError(t, err)
	c.Add(slip.PCI)
	h, _, err := sif.BuildSetupHive(nil)
	require.NoError(t, err)
	disk, _ := driverDisk(t)

	saves := map[string]func(path string) error{
		"SIF.WriteFile":    func(p string) error { return edited.WriteFile(p, 0) },
		"Winnt.WriteFile":  func(p string) error { return w.WriteFile(p, 0) },
		"CHKPCI.WriteFile": func(p string) error { return c.WriteFile(p, 0) },
		"SaveHive":         func(p string) error { return sif.SaveHive(h, p, 0) },
		"WritePlan":        func(p string) error { return slip.WritePlan(p, nil, 0) },
		"CopyFiles": func(p string) error {
			_, err := slip.CopyFiles(os.DirFS(disk), filepath.Dir(p), []sif.FileCopy{{Source: "I386/WIN2003/VIOSTOR.SYS", Media: filepath.Base(p)}}, nil)
			return err
		},
	}
	for name, save := range saves {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "target")
			before := []byte("the original content, longer than the failure point\n")
			require.NoError(t, os.WriteFile(p, before, 0o644))
			restore := atomicfile.FailAfter(8)
			err := save(p)
			restore()
			require.ErrorIs(t, err, atomicfile.ErrInjected)
			got, rerr := os.ReadFile(p)
			require.NoError(t, rerr)
			testutil.EqualBytes(t, before, got, "the original is untouched")
			ents, rerr := os.ReadDir(dir)
			require.NoError(t, rerr)
			require.Len(t, ents, 1, "no temporary file remains")
			require.NoError(t, save(p), "without the fault the save works")
			got, rerr = os.ReadFile(p)
			require.NoError(t, rerr)
			assert.False(t, errors.Is(rerr, fs.ErrNotExist))
			assert.NotEqual(t, before, got)
		})
	}
}
