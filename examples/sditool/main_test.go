package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/ramdisk"
)

func TestInfo(t *testing.T) {
	var out, errb bytes.Buffer
	require.NoError(t, run([]string{"info", testutil.Fixture(t, "sdi/synthetic_bootsdi_layout.sdi")}, &out, &errb))
	testutil.Golden(t, "info_bootsdi.golden", out.Bytes())
}

func TestCreateInfoExtract(t *testing.T) {
	mkfs := testutil.Tool(t, "mkfs.fat")
	dir := t.TempDir()
	part := filepath.Join(dir, "part.img")
	testutil.Run(t, mkfs, "-C", "-F", "16", part, "20000")
	sdi := filepath.Join(dir, "boot.sdi")
	var out, errb bytes.Buffer
	require.NoError(t, run([]string{"create", sdi, "--part", part, "--align", "2"}, &out, &errb))
	assert.Contains(t, out.String(), "PART type 0x06 at 0x2000")
	assert.Contains(t, out.String(), "rdimageoffset 8192")

	out.Reset()
	require.NoError(t, run([]string{"info", sdi}, &out, &errb))
	assert.Contains(t, out.String(), "blob 0  PART    attr 0x0 offset 0x2000")
	assert.Contains(t, out.String(), "blob 1  WIM ")

	back := filepath.Join(dir, "back.img")
	require.NoError(t, run([]string{"extract", sdi, "part", back}, &out, &errb))
	want, err := os.ReadFile(part)
	require.NoError(t, err)
	got, err := os.ReadFile(back)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, got), "extracted PART equals the image")

	require.NoError(t, run([]string{"create", filepath.Join(dir, "x.sdi"), "--align", "1", "--type", "7", "--part", part}, &out, &errb))
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.sdi")
	raw := bytes.Clone(testutil.ReadFixture(t, "sdi/synthetic_xpe_layout.sdi"))
	raw[0x20]++
	require.NoError(t, os.WriteFile(bad, raw, 0o644))
	var out, errb bytes.Buffer
	err := run([]string{"info", bad}, &out, &errb)
	require.ErrorIs(t, err, ramdisk.ErrChecksum)
	assert.Contains(t, out.String(), "blob 2  PART", "info is shown before the error")

	for _, args := range [][]string{
		nil,
		{"nope"},
		{"info"},
		{"create", "out.sdi"},
		{"create", "out.sdi", "--part", filepath.Join(dir, "missing")},
		{"create", filepath.Join(dir, "o.sdi"), "--part", bad, "--type", "zz"},
		{"extract", bad, "DISK", filepath.Join(dir, "o")},
		{"extract", filepath.Join(dir, "missing"), "PART", "o"},
	} {
		require.Error(t, run(args, &out, &errb), "%v", args)
	}
	err = run([]string{"create", filepath.Join(dir, "o.sdi"), "--part", filepath.Join(dir, "bad.sdi")}, &out, &errb)
	require.True(t, errors.Is(err, ramdisk.ErrInvalidArgument), "an image without a boot sector needs --type: %v", err)
	out.Reset()
	require.NoError(t, run([]string{"help"}, &out, &errb))
	assert.True(t, strings.HasPrefix(out.String(), "usage:"))
}

// A save that fails part-way (create, extract, each over an existing file)
// leaves that file byte-identical and no temporary file.
func TestSaveFailureKeepsOriginal(t *testing.T) {
	dir := t.TempDir()
	// A FAT16 partition: the volume of a disk image built in memory.
	d, err := ramdisk.BuildDisk([]ramdisk.File{ramdisk.FileBytes("a.txt", []byte("a"))}, &ramdisk.DiskOptions{Size: 8 << 20})
	require.NoError(t, err)
	var img bytes.Buffer
	_, err = d.WriteTo(&img)
	require.NoError(t, err)
	part := filepath.Join(dir, "part.img")
	require.NoError(t, os.WriteFile(part, img.Bytes()[d.ImageOffset():], 0o644))
	sdi := filepath.Join(dir, "boot.sdi")
	require.NoError(t, run([]string{"create", sdi, "--part", part}, &bytes.Buffer{}, &bytes.Buffer{}))
	out := filepath.Join(dir, "out.img")
	previous := bytes.Repeat([]byte("previous output "), 1000)
	require.NoError(t, os.WriteFile(out, previous, 0o644))
	sdiBytes, err := os.ReadFile(sdi)
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		args   []string
		target string
		before []byte
	}{
		{"create", []string{"create", sdi, "--part", part, "--align", "1"}, sdi, sdiBytes},
		{"extract", []string{"extract", sdi, "part", out}, out, previous},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, after := range []int64{0, 100, 5000} {
				restore := atomicfile.FailAfter(after)
				err := run(tc.args, &bytes.Buffer{}, &bytes.Buffer{})
				restore()
				require.ErrorIs(t, err, atomicfile.ErrInjected)
				got, err := os.ReadFile(tc.target)
				require.NoError(t, err)
				testutil.EqualBytes(t, tc.before, got)
				ents, err := os.ReadDir(dir)
				require.NoError(t, err)
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				assert.ElementsMatch(t, []string{"part.img", "boot.sdi", "out.img"}, names, "temporary file left behind")
			}
			require.NoError(t, run(tc.args, &bytes.Buffer{}, &bytes.Buffer{}))
		})
	}
}
