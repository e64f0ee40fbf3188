package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/internal/utf16le"
)

// runOK runs the command and fails the test on an error.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	require.NoError(t, run(args, &out, &errOut), "pepatch %s\nstderr: %s", strings.Join(args, " "), errOut.String())
	return out.String()
}

// runErr runs the command and returns its error and output.
func runErr(args ...string) (string, error) {
	var out, errOut bytes.Buffer
	err := run(args, &out, &errOut)
	return out.String() + errOut.String(), err
}

// shim returns a file from Debian's shim packages (skipped locally, failed
// under CI when missing).
func shim(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(testutil.SystemFile(t, "/usr/lib/shim/"+name))
	require.NoError(t, err)
	return b
}

func write(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

// pxeboot is a raw 16-bit image with the boot manager's name at 0x5961.
func pxeboot() []byte {
	b := make([]byte, 0x6000)
	copy(b, []byte{0xe9, 0xd5, 0x01})
	copy(b[0x5961:], "bootmgr.exe\x00")
	copy(b[0x100:], utf16le.Encode("-dash"))
	return b
}

func TestUsage(t *testing.T) {
	_, err := runErr()
	require.Error(t, err)
	_, err = runErr("frobnicate")
	require.Error(t, err)
	assert.Contains(t, runOK(t, "help"), "strip-signature IN OUT")
	_, err = runErr("find", "only-one-arg")
	require.Error(t, err)
	_, err = runErr("find", "f", "s", "--ascii", "--utf16")
	require.Error(t, err)
	_, err = runErr("replace", "a", "b", "c", "d", "--signature", "maybe")
	require.Error(t, err)
	_, err = runErr("info", filepath.Join(t.TempDir(), "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestRawImage(t *testing.T) {
	dir := t.TempDir()
	in := write(t, dir, "pxeboot.n12", pxeboot())

	out := runOK(t, "info", in)
	assert.Contains(t, out, "raw image")
	assert.Contains(t, out, "no checksum")

	out = runOK(t, "find", in, "BOOTMGR.EXE", "-i")
	assert.Contains(t, out, "0x0000005961  ASCII")
	assert.Contains(t, out, "1 match of")

	// Flags before the files, and "--" for a string starting with "-".
	out = runOK(t, "find", "--utf16", in, "--", "-DASH")
	assert.Contains(t, out, "0 matches")
	out = runOK(t, "find", "-i", "--utf16", in, "--", "-DASH")
	assert.Contains(t, out, "0x0000000100  UTF-16LE")

	outFile := filepath.Join(dir, "pxetest.0")
	out = runOK(t, "replace", in, outFile, "bootmgr.exe", "testmgr.exe", "--ascii", "--count", "1", "--offset", "0x5961")
	assert.Contains(t, out, "00005961: 62 6f 6f 74 6d 67 72 2e 65 78 65 -> 74 65 73 74 6d 67 72 2e 65 78 65")
	want := pxeboot()
	copy(want[0x5961:], "testmgr.exe")
	testutil.EqualBytes(t, want, read(t, outFile))
	testutil.EqualBytes(t, pxeboot(), read(t, in), "input untouched")

	_, err := runErr("replace", in, outFile, "bootmgr.exe", "bootmanager.exe")
	require.ErrorContains(t, err, "only 11 bytes are available")
	_, err = runErr("checksum", in)
	require.ErrorContains(t, err, "not a PE image")
}

func TestChecksumFix(t *testing.T) {
	dir := t.TempDir()
	good := shim(t, "mmx64.efi")
	assert.Contains(t, runOK(t, "checksum", write(t, dir, "mm.efi", good)), "checksum 0x000e5776 ok")

	bad := bytes.Clone(good)
	binary.LittleEndian.PutUint32(bad[0xd8:], 0)
	p := write(t, dir, "bad.efi", bad)
	out, err := runErr("checksum", p)
	require.ErrorContains(t, err, "--fix")
	assert.Contains(t, out, "stored checksum 0x00000000, computed 0x000e5776")
	testutil.EqualBytes(t, bad, read(t, p), "not written without --fix")

	out = runOK(t, "checksum", p, "--fix")
	assert.Contains(t, out, "0x00000000 -> 0x000e5776")
	testutil.EqualBytes(t, good, read(t, p))

	// pefile agrees.
	py := testutil.PythonModule(t, "pefile")
	res := testutil.Run(t, py, "-c", "import sys, pefile; print(pefile.PE(sys.argv[1], fast_load=True).verify_checksum())", p)
	assert.Equal(t, "True", strings.TrimSpace(res))
}

func TestSignedFile(t *testing.T) {
	dir := t.TempDir()
	in := write(t, dir, "mmx64.efi.signed", shim(t, "mmx64.efi.signed"))
	out := filepath.Join(dir, "out.efi")

	info := runOK(t, "info", in)
	assert.Contains(t, info, "certificate table:")
	assert.Contains(t, info, "entry 0:")
	assert.Contains(t, info, "PKCS#7 SignedData")

	_, err := runErr("replace", in, out, "MokManager", "MokMgr", "--utf16")
	require.ErrorContains(t, err, "Authenticode-signed")
	assert.NoFileExists(t, out)

	res := runOK(t, "replace", in, out, "MokManager", "MokMgr", "--utf16", "--signature", "strip")
	assert.Contains(t, res, "certificate table removed")
	assert.Contains(t, runOK(t, "checksum", out), "ok")

	res = runOK(t, "replace", in, out, "MokManager", "MokMgr", "--signature=keep", "--utf16")
	assert.Contains(t, res, "no longer verifies")

	res = runOK(t, "strip-signature", in, out)
	assert.Contains(t, res, "and 4 bytes of padding")
	testutil.EqualBytes(t, shim(t, "mmx64.efi"), read(t, out))
	_, err = runErr("strip-signature", out, out)
	require.ErrorContains(t, err, "no certificate table")
}

func TestBIOSBootmgrInfo(t *testing.T) {
	// A stand-in for the BIOS bootmgr: 16-bit code, a PE stub, and data
	// that begins like an LZNT1 stream whose first literals are "MZ".
	b := make([]byte, 0x1000)
	copy(b, []byte{0xe9, 0xd5, 0x01})
	b = append(b, shim(t, "fbx64.efi")...)
	payload := make([]byte, 32<<10)
	for i := range payload {
		payload[i] = byte(i*7 + 1)
	}
	copy(payload, []byte{0xff, 0xbf, 0x00, 'M', 'Z'})
	// fbx64.efi's own data ends with its COFF tables; the payload follows.
	p := write(t, t.TempDir(), "bootmgr", append(b, payload...))
	out := runOK(t, "info", p)
	assert.Contains(t, out, "BIOS bootmgr")
	assert.Regexp(t, `PE stub:\s+0x1000 `, out)
	assert.Contains(t, out, "LZNT1")
	_, err := runErr("checksum", p)
	require.ErrorContains(t, err, "compressed")
}

// TestSaveFailureKeepsOriginal patches a file in place while the write fails
// part-way: the original stays byte-identical and no temporary file remains.
func TestSaveFailureKeepsOriginal(t *testing.T) {
	dir := t.TempDir()
	in := write(t, dir, "pxeboot.n12", pxeboot())
	restore := atomicfile.FailAfter(100)
	_, err := runErr("replace", in, in, "bootmgr.exe", "testmgr.exe")
	restore()
	require.ErrorIs(t, err, atomicfile.ErrInjected)
	testutil.EqualBytes(t, pxeboot(), read(t, in))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1)

	bad := shim(t, "mmx64.efi")
	binary.LittleEndian.PutUint32(bad[0xd8:], 0)
	p := write(t, dir, "bad.efi", bad)
	restore = atomicfile.FailAfter(4096)
	_, err = runErr("checksum", p, "--fix")
	restore()
	require.ErrorIs(t, err, atomicfile.ErrInjected)
	testutil.EqualBytes(t, bad, read(t, p))

	// strip-signature over an existing output file.
	signed := shim(t, "mmx64.efi.signed")
	sp := write(t, dir, "signed.efi", signed)
	previous := bytes.Repeat([]byte("previous output "), 1000)
	out := write(t, dir, "out.efi", previous)
	restore = atomicfile.FailAfter(4096)
	_, err = runErr("strip-signature", sp, out)
	restore()
	require.ErrorIs(t, err, atomicfile.ErrInjected)
	testutil.EqualBytes(t, previous, read(t, out))
	testutil.EqualBytes(t, signed, read(t, sp))
	entries, err = os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 4, "no temporary file remains")
}
