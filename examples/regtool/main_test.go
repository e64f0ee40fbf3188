package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	require.NoError(t, run(args, &out, &errOut), "stderr: %s", errOut.String())
	return out.String()
}

func sampleHive(t *testing.T, dir string) string {
	t.Helper()
	h, err := hive.New("SYSTEM", hive.Version15, nil)
	require.NoError(t, err)
	require.NoError(t, h.SetRawValue(`ControlSet001\Services\viostor`, "Start", uint32(hive.DWord), hive.EncodeDWord(0)))
	require.NoError(t, h.SetRawValue(`ControlSet001\Services\viostor`, "Group", uint32(hive.String), hive.EncodeString("SCSI miniport")))
	p := filepath.Join(dir, "SYSTEM")
	require.NoError(t, h.Save(p))
	return p
}

func TestInfo(t *testing.T) {
	p := sampleHive(t, t.TempDir())
	out := runOK(t, "info", p)
	assert.Contains(t, out, "version:           1.5")
	assert.Contains(t, out, "root key:          SYSTEM")
	assert.Contains(t, out, "state:             clean")
	assert.Contains(t, out, "keys:              4")
	assert.Contains(t, out, "values:            2")
	out = runOK(t, "info", testutil.Fixture(t, "hive/regipy_SECURITY"))
	assert.Contains(t, out, "dirty")
}

func TestExportImportDiff(t *testing.T) {
	dir := t.TempDir()
	p := sampleHive(t, dir)
	reg := runOK(t, "export", p)
	assert.True(t, strings.HasPrefix(reg, "Windows Registry Editor Version 5.00\n"))
	assert.Contains(t, reg, `[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\viostor]`)
	assert.Contains(t, reg, `"Start"=dword:00000000`)
	sub := runOK(t, "export", "--prefix", `HKEY_LOCAL_MACHINE\X`, p, `ControlSet001\Services`)
	assert.Contains(t, sub, `[HKEY_LOCAL_MACHINE\X\viostor]`)
	assert.NotContains(t, sub, "ControlSet001")

	regPath := filepath.Join(dir, "in.reg")
	require.NoError(t, os.WriteFile(regPath, []byte(reg), 0o644))
	newHive := filepath.Join(dir, "NEW")
	assert.Contains(t, runOK(t, "import", newHive, regPath, "--version", "1.3"), "created")
	h, err := hive.Open(newHive, nil)
	require.NoError(t, err)
	_, minor := h.Version()
	assert.Equal(t, uint32(3), minor)
	assert.Equal(t, "SYSTEM", h.Root().Name())
	assert.Equal(t, "no differences\n", runOK(t, "diff", p, newHive))

	// UTF-16 export imports the same.
	u16 := runOK(t, "export", "--utf16", p)
	require.True(t, strings.HasPrefix(u16, "\xff\xfe"))
	u16Path := filepath.Join(dir, "u16.reg")
	require.NoError(t, os.WriteFile(u16Path, []byte(u16), 0o644))
	other := filepath.Join(dir, "OTHER")
	runOK(t, "import", other, u16Path)
	assert.Equal(t, "no differences\n", runOK(t, "diff", p, other))

	// Importing into an existing hive edits it.
	edit := filepath.Join(dir, "edit.reg")
	require.NoError(t, os.WriteFile(edit, []byte("Windows Registry Editor Version 5.00\r\n\r\n"+
		"[HKEY_LOCAL_MACHINE\\SYSTEM]\r\n\r\n[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\viostor]\r\n\"Start\"=dword:00000003\r\n\"Group\"=-\r\n"), 0o644))
	assert.Contains(t, runOK(t, "import", newHive, edit), "updated")

	var out, errOut bytes.Buffer
	err = run([]string{"diff", p, newHive}, &out, &errOut)
	require.ErrorIs(t, err, errDiffer)
	assert.Contains(t, out.String(), `[ControlSet001\Services\viostor] Start: data differs`)
	assert.Contains(t, out.String(), `[ControlSet001\Services\viostor] Group: value only in A`)
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	p := sampleHive(t, dir)
	assert.Equal(t, "no problems\n", runOK(t, "check", p))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	b[508] ^= 0xFF
	bad := filepath.Join(dir, "bad")
	require.NoError(t, os.WriteFile(bad, b, 0o644))
	var out bytes.Buffer
	err = run([]string{"check", bad}, &out, &bytes.Buffer{})
	require.ErrorIs(t, err, errProblems)
	assert.Contains(t, out.String(), "0x1fc: base block checksum")
}

func TestReplay(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "NTUSER.DAT")
	text := runOK(t, "replay", testutil.Fixture(t, "hive/regipy_transactions_NTUSER.DAT"),
		testutil.Fixture(t, "hive/regipy_transactions_ntuser.dat.log1"),
		testutil.Fixture(t, "hive/regipy_transactions_ntuser.dat.log2"), "-o", out)
	assert.Contains(t, text, "replayed 23 entries")
	assert.Contains(t, text, "sequence 588")
	h, err := hive.Open(out, nil)
	require.NoError(t, err)
	assert.False(t, h.Dirty())
	assert.Equal(t, "no problems\n", runOK(t, "check", out))
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	p := sampleHive(t, dir)
	tests := []struct {
		name string
		args []string
	}{
		{"no command", nil},
		{"unknown command", []string{"frobnicate"}},
		{"too few arguments", []string{"diff", p}},
		{"too many arguments", []string{"info", p, p}},
		{"replay without -o", []string{"replay", p, p}},
		{"bad version", []string{"import", filepath.Join(dir, "new"), p, "--version", "2.0"}},
		{"missing hive", []string{"info", filepath.Join(dir, "missing")}},
		{"missing key", []string{"export", p, `No\Such`}},
		{"bad flag", []string{"export", "--nope", p}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Error(t, run(tt.args, &bytes.Buffer{}, &bytes.Buffer{}))
		})
	}
	assert.Contains(t, runOK(t, "help"), "regtool info HIVE")
}

// A save that fails part-way (import into an existing hive; replay -o over
// an existing file) leaves the file byte-identical and no temporary file.
func TestSaveFailureKeepsOriginal(t *testing.T) {
	dir := t.TempDir()
	p := sampleHive(t, dir)
	reg := filepath.Join(dir, "edit.reg")
	require.NoError(t, os.WriteFile(reg, []byte("Windows Registry Editor Version 5.00\r\n\r\n"+
		"[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\viostor]\r\n\"Start\"=dword:00000003\r\n"), 0o644))
	out := filepath.Join(dir, "OUT")
	require.NoError(t, os.WriteFile(out, bytes.Repeat([]byte("previous output "), 1000), 0o644))
	log := filepath.Join(dir, "SYSTEM.LOG1")
	require.NoError(t, os.WriteFile(log, make([]byte, 512), 0o644))
	for _, tc := range []struct {
		name   string
		args   []string
		target string
	}{
		{"import", []string{"import", p, reg}, p},
		{"replay", []string{"replay", p, log, "-o", out}, out},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, err := os.ReadFile(tc.target)
			require.NoError(t, err)
			for _, after := range []int64{0, 100, 4096} {
				restore := atomicfile.FailAfter(after)
				err := run(tc.args, &bytes.Buffer{}, &bytes.Buffer{})
				restore()
				require.ErrorIs(t, err, atomicfile.ErrInjected)
				got, err := os.ReadFile(tc.target)
				require.NoError(t, err)
				testutil.EqualBytes(t, before, got)
				ents, err := os.ReadDir(dir)
				require.NoError(t, err)
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				assert.ElementsMatch(t, []string{"SYSTEM", "edit.reg", "OUT", "SYSTEM.LOG1"}, names, "temporary file left behind")
			}
			runOK(t, tc.args...)
			got, err := os.ReadFile(tc.target)
			require.NoError(t, err)
			assert.NotEqual(t, before, got)
		})
	}
}
