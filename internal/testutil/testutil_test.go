package testutil

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const childEnv = "WINBOOTKIT_TESTUTIL_CHILD"

// TestToolChild is the body run in a child process by TestToolFailsUnderCI and
// TestToolSkipsLocally; it does nothing in a normal run.
func TestToolChild(t *testing.T) {
	switch os.Getenv(childEnv) {
	case "tool":
		Tool(t, "winbootkit-no-such-program-"+t.Name())
		t.Log("TOOL-RETURNED")
	case "sysfile":
		SystemFile(t, "/usr/lib/syslinux/no-such-file-"+t.Name())
		t.Log("SYSFILE-RETURNED")
	case "pymod":
		PythonModule(t, "winbootkit_no_such_module")
		t.Log("PYMOD-RETURNED")
	case "fixture":
		Fixture(t, "no/such/fixture.bin")
		t.Log("FIXTURE-RETURNED")
	}
}

// runChild re-runs this test binary on TestToolChild with the given mode and CI value.
func runChild(t *testing.T, mode, ci string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestToolChild$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "CI="+ci)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestToolFailsUnderCI(t *testing.T) {
	for _, mode := range []string{"tool", "fixture", "sysfile", "pymod"} {
		t.Run(mode, func(t *testing.T) {
			out, err := runChild(t, mode, "true")
			var exitErr *exec.ExitError
			require.ErrorAs(t, err, &exitErr, "child must exit non-zero under CI=true; output:\n%s", out)
			assert.Contains(t, out, "--- FAIL: TestToolChild")
			assert.Contains(t, out, "CI is set")
			assert.NotContains(t, out, strings.ToUpper(mode)+"-RETURNED")
		})
	}
}

func TestToolSkipsLocally(t *testing.T) {
	for _, mode := range []string{"tool", "fixture", "sysfile", "pymod"} {
		t.Run(mode, func(t *testing.T) {
			out, err := runChild(t, mode, "")
			require.NoError(t, err, "child must pass (skip) without CI; output:\n%s", out)
			assert.Contains(t, out, "--- SKIP: TestToolChild")
			assert.Contains(t, out, "not")
		})
	}
}

func TestCI(t *testing.T) {
	for _, tc := range []struct {
		val  string
		want bool
	}{{"", false}, {"false", false}, {"0", false}, {"true", true}, {"1", true}, {"yes", true}} {
		t.Setenv("CI", tc.val)
		assert.Equal(t, tc.want, CI(), "CI=%q", tc.val)
	}
}

func TestToolFindsInstalledProgram(t *testing.T) {
	// xorriso is one of the interop tools .ci/run installs; this runs it for real.
	p := Tool(t, "xorriso")
	out := Run(t, p, "-version")
	assert.Contains(t, out, "xorriso")
}

func TestToolAbsolutePath(t *testing.T) {
	sh := Tool(t, "/bin/sh")
	assert.Equal(t, "/bin/sh", sh)
}

func TestModuleRoot(t *testing.T) {
	r := ModuleRoot(t)
	b, err := os.ReadFile(filepath.Join(r, "go.mod"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "module github.com/winbootkit/winbootkit")
}

func TestHexDiff(t *testing.T) {
	tests := []struct {
		name      string
		want, got []byte
		contains  []string
	}{
		{"equal", []byte("abc"), []byte("abc"), nil},
		{"one byte", []byte("0123456789abcdefXYZ"), []byte("0123456789abcdefXQZ"), []string{"first difference at offset 0x11", "-00000010", "+00000010", "|XYZ|", "|XQZ|"}},
		{"length", []byte("ab"), []byte("abc"), []string{"lengths: want 2, got 3", "first difference at offset 0x2"}},
		{"many rows", make([]byte, 1000), append(make([]byte, 0, 1000), bytesOf(0xff, 1000)...), []string{"(1000 differing bytes in all)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := HexDiff(tc.want, tc.got)
			if tc.contains == nil {
				assert.Empty(t, d)
				return
			}
			for _, c := range tc.contains {
				assert.Contains(t, d, c)
			}
		})
	}
}

func bytesOf(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}

func TestGolden(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, os.Mkdir("testdata", 0o755))
	require.NoError(t, os.WriteFile(filepath.Join("testdata", "x.golden"), []byte("hello\n"), 0o644))
	Golden(t, "x.golden", []byte("hello\n"))

	*update = true
	defer func() { *update = false }()
	Golden(t, "sub/y.golden", []byte("new\n"))
	b, err := os.ReadFile(filepath.Join("testdata", "sub", "y.golden"))
	require.NoError(t, err)
	assert.Equal(t, "new\n", string(b))
}

func TestSystemFile(t *testing.T) {
	assert.Equal(t, "/bin/sh", SystemFile(t, "/bin/sh"))
	assert.Equal(t, "syslinux-common", debianPackage("/usr/lib/syslinux/mbr/mbr.bin"))
	assert.Equal(t, "shim-unsigned", debianPackage("/usr/lib/shim/mmx64.efi"))
}

func TestAllocated(t *testing.T) {
	var sink []byte
	n := Allocated(func() { sink = make([]byte, 1<<20) })
	assert.GreaterOrEqual(t, n, uint64(1<<20))
	assert.Len(t, sink, 1<<20)
}

func TestOptionalFixtures(t *testing.T) {
	if !CI() {
		// The directory name cannot exist, so locally nothing comes back.
		assert.Empty(t, OptionalFixtures(t, "no-such-fixture-dir", "*"))
	}
}

func TestParseRegExport(t *testing.T) {
	text := "Windows Registry Editor Version 5.00\r\n\r\n[\\Objects\\{A}]\r\n" +
		"\"Desc\"=hex(1):57,00,69,00,\\\r\n  6e,00,00,00\r\n\"N\"=dword:00000001\r\n[\\Other]\r\n\"B\"=hex(3):01,ff\r\n"
	got := ParseRegExport(t, text)
	want := map[string]map[string]string{
		`\objects\{a}`: {"Desc": "sz:Win", "N": "dword:00000001"},
		`\other`:       {"B": "hex(3):01,ff"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	raw := map[string]string{}
	regValues(text+"[\\D]\r\n@=\"x\"\r\n", func(key, name, data string) bool {
		raw["["+key+"] "+name] = data
		return true
	})
	assert.Equal(t, map[string]string{
		`[\Objects\{A}] `: "", `[\Objects\{A}] "Desc"`: "hex(1):57,00,69,00,6e,00,00,00", `[\Objects\{A}] "N"`: "dword:00000001",
		`[\Other] `: "", `[\Other] "B"`: "hex(3):01,ff", `[\D] `: "", `[\D] @`: `"x"`,
	}, raw)
	if b := RegHexBytes(t, "01,ff,2a"); !bytes.Equal(b, []byte{1, 0xff, 0x2a}) {
		t.Fatalf("RegHexBytes: %x", b)
	}
}

func TestListFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "b", "empty"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b", "x.txt"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), nil, 0o644))
	assert.Equal(t, []string{"a.txt", "b/x.txt"}, ListFiles(t, dir))
	assert.Nil(t, ListFiles(t, filepath.Join(dir, "missing")))
	assert.Nil(t, ListFiles(t, filepath.Join(dir, "b", "empty")))
}
