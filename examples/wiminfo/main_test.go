package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/wim"
)

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	require.NoError(t, run(args, &out, &errOut), "wiminfo %s: %s", strings.Join(args, " "), errOut.String())
	return out.String()
}

func copyFixture(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), filepath.Base(rel))
	require.NoError(t, os.WriteFile(p, testutil.ReadFixture(t, "wim/"+rel), 0o644))
	return p
}

// TestInfoMatchesWimlib: the default output, --header and IMAGE (by number
// and by name) print what wimlib-imagex info prints.
func TestInfoMatchesWimlib(t *testing.T) {
	wimlib := testutil.Tool(t, "wimlib-imagex")
	for _, rel := range []string{"lzx_2img_check.wim", "solid.esd", "pipable.wim", "split2.swm", "edited_props.wim"} {
		t.Run(rel, func(t *testing.T) {
			p := testutil.Fixture(t, "wim/"+rel)
			assert.Equal(t, testutil.Run(t, wimlib, "info", p), runOK(t, p))
			assert.Equal(t, testutil.Run(t, wimlib, "info", "--header", p), runOK(t, "--header", p))
			assert.Equal(t, testutil.Run(t, wimlib, "info", p, "1"), runOK(t, p, "1"))
		})
	}
	p := testutil.Fixture(t, "wim/lzx_2img_check.wim")
	assert.Equal(t, testutil.Run(t, wimlib, "info", p, "Image Two"), runOK(t, p, "Image Two"))
}

func TestJSONAndXML(t *testing.T) {
	p := testutil.Fixture(t, "wim/lzx_2img_check.wim")
	var got jsonOut
	require.NoError(t, json.Unmarshal([]byte(runOK(t, "--json", p)), &got))
	f, err := wim.Open(p, nil)
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, f.Header().GUID, got.Header.GUID)
	assert.Equal(t, 2, got.Header.ImageCount)
	assert.Equal(t, 2, got.Header.BootIndex)
	assert.Equal(t, []string{"COMPRESSION", "RP_FIX", "COMPRESS_LZX"}, got.Header.Flags)
	require.Len(t, got.Images, 2)
	for i, im := range f.Images() {
		assert.Equal(t, im.Info(), got.Images[i])
	}
	assert.Equal(t, f.Totals(), got.Totals)

	xml := runOK(t, "--xml", p)
	assert.True(t, strings.HasPrefix(xml, "<WIM><IMAGE INDEX=\"1\"><NAME>Image One</NAME>"), xml)
	dism := runOK(t, "--dism", p)
	assert.Contains(t, dism, "Index : 2\nName : Image Two\nDescription : second\nSize : 48,916 bytes\n")
}

// TestEditAndCheck edits a copy in place, checks the result with wimlib,
// then corrupts a byte and checks that --check names the chunk.
func TestEditAndCheck(t *testing.T) {
	wimlib := testutil.Tool(t, "wimlib-imagex")
	p := copyFixture(t, "xpress_boot.wim")
	out := runOK(t, p, "1", "--boot", "0", "--name", "WinPE x64", "--description", "edited",
		"--property", "WINDOWS/VERSION/BUILD=19041", "--property", "FLAGS=WindowsPE", "--add-integrity")
	assert.Contains(t, out, "Information for Image 1\n")
	assert.Contains(t, out, "Name:                   WinPE x64\n")
	testutil.Run(t, wimlib, "verify", p)
	info := testutil.Run(t, wimlib, "info", p)
	for _, want := range []string{"Boot Index:     0\n", "Name:                   WinPE x64\n", "Description:            edited\n",
		"Build:                  19041\n", "Flags:                  WindowsPE\n", "Attributes:     Integrity info, Relative path junction\n"} {
		assert.Contains(t, info, want)
	}
	assert.Contains(t, runOK(t, "--check", p), "Integrity check of "+p+": OK")

	b, err := os.ReadFile(p)
	require.NoError(t, err)
	b[5000] ^= 1
	bad := filepath.Join(t.TempDir(), "bad.wim")
	require.NoError(t, os.WriteFile(bad, b, 0o644))
	err = run([]string{"--check", bad}, &bytes.Buffer{}, &bytes.Buffer{})
	var ie *wim.IntegrityError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, 0, ie.Chunk)

	runOK(t, p, "--remove-integrity", "--boot", "1")
	assert.Contains(t, testutil.Run(t, wimlib, "info", p), "Attributes:     Relative path junction\n")
	testutil.Run(t, wimlib, "verify", p)
}

func TestOutputLeavesFileUnchanged(t *testing.T) {
	wimlib := testutil.Tool(t, "wimlib-imagex")
	p := copyFixture(t, "lzx_2img_check.wim")
	orig, err := os.ReadFile(p)
	require.NoError(t, err)
	dst := filepath.Join(t.TempDir(), "copy.wim")
	runOK(t, p, "2", "--name", "Copy", "--output", dst)
	after, err := os.ReadFile(p)
	require.NoError(t, err)
	testutil.EqualBytes(t, orig, after)
	testutil.Run(t, wimlib, "verify", dst)
	assert.Contains(t, testutil.Run(t, wimlib, "info", dst, "2"), "Name:                   Copy\n")

	// A failing --output leaves no file behind.
	missingDir := filepath.Join(t.TempDir(), "no", "such", "dir", "x.wim")
	require.Error(t, run([]string{p, "2", "--name", "x", "--output", missingDir}, &bytes.Buffer{}, &bytes.Buffer{}))
	_, err = os.Stat(missingDir)
	require.True(t, os.IsNotExist(err))
}

func TestErrors(t *testing.T) {
	notWIM := filepath.Join(t.TempDir(), "text.wim")
	require.NoError(t, os.WriteFile(notWIM, bytes.Repeat([]byte("not a wim "), 50), 0o644))
	split := copyFixture(t, "split.swm")
	good := copyFixture(t, "lzx_2img_check.wim")
	orig, err := os.ReadFile(good)
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		args []string
		want error
	}{
		{"no arguments", nil, nil},
		{"too many arguments", []string{good, "1", "2"}, nil},
		{"missing file", []string{filepath.Join(t.TempDir(), "none.wim")}, os.ErrNotExist},
		{"not a WIM", []string{notWIM}, wim.ErrFormat},
		{"edit a split part", []string{split, "1", "--name", "x"}, wim.ErrUnsupported},
		{"no such image", []string{good, "7"}, wim.ErrNotFound},
		{"no such image name", []string{good, "Nope"}, wim.ErrNotFound},
		{"name without image", []string{good, "--name", "x"}, nil},
		{"bad property", []string{good, "1", "--property", "novalue"}, nil},
		{"illegal property path", []string{good, "1", "--property", "A//B=1"}, wim.ErrInvalidArgument},
		{"name in use", []string{good, "2", "--name", "Image One"}, wim.ErrNameInUse},
		{"both integrity flags", []string{good, "--add-integrity", "--remove-integrity"}, nil},
		{"boot out of range", []string{good, "--boot", "3"}, wim.ErrNotFound},
		{"output without edit", []string{good, "--output", filepath.Join(t.TempDir(), "o.wim")}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(tc.args, &out, &errOut)
			require.Error(t, err)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
			}
			assert.NotContains(t, err.Error(), "\n", "one-line error")
		})
	}
	after, err := os.ReadFile(good)
	require.NoError(t, err)
	testutil.EqualBytes(t, orig, after, "failed edits leave the file unchanged")
}

// A --output save that fails part-way leaves the existing output file
// byte-identical, the source unchanged and no temporary file. (An in-place
// edit follows wimlib's in-place protocol instead; the wim package tests a
// failure at each of its steps.)
func TestSaveFailureKeepsOriginal(t *testing.T) {
	src := copyFixture(t, "lzx_2img_check.wim")
	orig, err := os.ReadFile(src)
	require.NoError(t, err)
	dir := t.TempDir()
	dst := filepath.Join(dir, "out.wim")
	before := bytes.Repeat([]byte("previous output "), 1000)
	require.NoError(t, os.WriteFile(dst, before, 0o644))
	for _, after := range []int64{0, 100, 5000} {
		restore := atomicfile.FailAfter(after)
		err := run([]string{src, "1", "--name", "x", "--output", dst}, &bytes.Buffer{}, &bytes.Buffer{})
		restore()
		require.ErrorIs(t, err, atomicfile.ErrInjected)
		got, err := os.ReadFile(dst)
		require.NoError(t, err)
		testutil.EqualBytes(t, before, got)
		ents, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, ents, 1, "temporary file left behind")
		got, err = os.ReadFile(src)
		require.NoError(t, err)
		testutil.EqualBytes(t, orig, got)
	}
	runOK(t, src, "1", "--name", "x", "--output", dst)
	r, err := wim.Open(dst, nil)
	require.NoError(t, err)
	defer r.Close()
	assert.Equal(t, "x", r.Images()[0].Info().Name)
}
