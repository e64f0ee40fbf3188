// Package testutil holds the helpers every winbootkit test uses: locating
// external interop tools and shared fixtures (skipping locally, failing in
// CI), running tools, hex-dump byte diffs, and golden files.
package testutil

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// update is the -update flag: golden files are rewritten instead of compared.
var update = flag.Bool("update", false, "rewrite golden files instead of comparing against them")

// CI reports whether the test runs in continuous integration, where a missing
// tool or fixture is a failure rather than a skip. Any non-empty value of the
// CI environment variable other than "false" and "0" counts.
func CI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

// missing skips the test locally and fails it under CI.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("%s (CI is set, so this is a failure, not a skip)", msg)
	}
	t.Skip(msg)
}

// Tool returns the path of the external program name (looked up in PATH, or
// taken as is when it contains a slash). When it is missing the test is
// skipped, or failed when CI is set, with a message naming the program and
// the Debian package that provides it.
func Tool(t testing.TB, name string) string {
	t.Helper()
	var (
		path string
		err  error
	)
	if strings.Contains(name, "/") {
		var fi os.FileInfo
		if fi, err = os.Stat(name); err == nil && (fi.IsDir() || fi.Mode()&0o111 == 0) {
			err = errors.New("not an executable file")
		}
		path = name
	} else {
		path, err = exec.LookPath(name)
	}
	if err != nil {
		missing(t, "interop tool %q not found (%v); install Debian package %s", name, err, debianPackage(name))
	}
	return path
}

// SystemFile returns path, a data file installed by a system package (for
// example /usr/lib/syslinux/mbr/mbr.bin or /usr/lib/shim/mmx64.efi). When it
// is missing the test is skipped, or failed when CI is set.
func SystemFile(t testing.TB, path string) string {
	t.Helper()
	if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
		if err == nil {
			err = errors.New("not a regular file")
		}
		missing(t, "system file %s not available (%v); install Debian package %s", path, err, debianPackage(path))
	}
	return path
}

// SystemPython is the interpreter interop tests use: Debian's, because a
// pyenv python3 earlier in PATH may shadow it and lack Debian's modules.
const SystemPython = "/usr/bin/python3"

// PythonModule returns the path of SystemPython after checking that it can
// import module (for example "pefile"). When the interpreter or the module is
// missing the test is skipped, or failed when CI is set.
func PythonModule(t testing.TB, module string) string {
	t.Helper()
	py := Tool(t, SystemPython)
	if _, errOut, err := RunErr(py, "-c", "import "+module); err != nil {
		missing(t, "python module %q not importable by %s (%v: %s); install Debian package %s",
			module, py, err, strings.TrimSpace(errOut), debianPackage("python3-"+module))
	}
	return py
}

// debianPackage names the package that provides a tool or file, for skip messages.
func debianPackage(name string) string {
	switch {
	case strings.HasPrefix(name, "/usr/lib/syslinux/"):
		return "syslinux-common"
	case strings.HasPrefix(name, "/usr/lib/shim/"):
		if strings.HasSuffix(name, ".signed") {
			return "shim-signed or shim-helpers-amd64-signed"
		}
		return "shim-unsigned"
	}
	switch filepath.Base(name) {
	case "hivexregedit":
		return "libwin-hivex-perl"
	case "hivexsh", "hivexml", "hivexget":
		return "libhivex-bin"
	case "regfinfo", "regfexport", "regfmount":
		return "libregf-utils"
	case "reglookup", "reglookup-recover":
		return "reglookup"
	case "wimlib-imagex", "wimcapture", "wiminfo", "wimverify":
		return "wimtools"
	case "7zz":
		return "7zip"
	case "python3":
		return "python3"
	case "python3-pefile", "python3-hivex":
		return filepath.Base(name)
	case "osslsigncode":
		return "osslsigncode"
	case "readpe", "pesec", "pescan", "pehash":
		return "pev"
	case "mdir", "mcopy", "mformat", "mdel", "mtype":
		return "mtools"
	case "fsck.fat", "mkfs.fat", "fsck.vfat", "mkfs.vfat":
		return "dosfstools"
	case "xorriso":
		return "xorriso"
	case "patch":
		return "patch"
	case "diff", "cmp":
		return "diffutils"
	}
	return "(see .ci/run)"
}

var (
	rootOnce sync.Once
	root     string
	rootErr  error
)

// ModuleRoot returns the directory holding the module's go.mod, found by
// walking up from the working directory (a package directory under go test).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	rootOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			rootErr = err
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				root = dir
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				rootErr = errors.New("go.mod not found above the working directory")
				return
			}
			dir = parent
		}
	})
	if rootErr != nil {
		t.Fatalf("testutil: %v", rootErr)
	}
	return root
}

// FixturesDir is the shared fixture folder, relative to the module root.
const FixturesDir = "../shared/fixtures"

// Fixture resolves ../shared/fixtures/<rel> from the module root. When the
// file is absent the test is skipped, or failed when CI is set.
func Fixture(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(ModuleRoot(t), filepath.FromSlash(FixturesDir), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		missing(t, "fixture %s not available: %v", rel, err)
	}
	return p
}

// ReadFixture returns the bytes of the fixture rel (see Fixture).
func ReadFixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(Fixture(t, rel))
	if err != nil {
		t.Fatalf("testutil: %v", err)
	}
	return b
}

// Fixtures returns the paths of every fixture under dir (relative to the
// fixture root) whose name matches the glob pattern. It skips or fails like
// Fixture when the directory is absent, and fails when nothing matches.
func Fixtures(t testing.TB, dir, pattern string) []string {
	t.Helper()
	d := Fixture(t, dir)
	m, err := filepath.Glob(filepath.Join(d, pattern))
	if err != nil {
		t.Fatalf("testutil: %v", err)
	}
	if len(m) == 0 {
		t.Fatalf("testutil: no fixture matches %s/%s", dir, pattern)
	}
	return m
}

// Run runs an external program and returns its standard output. A non-zero
// exit fails the test with the command line and both output streams.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, errOut, err := RunErr(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// RunErr runs an external program and returns its standard output, its
// standard error and the error from running it (an *exec.ExitError for a
// non-zero exit).
func RunErr(name string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(name, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}
