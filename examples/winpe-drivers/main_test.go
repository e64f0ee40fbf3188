package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	require.NoError(t, run(args, &out, &errOut), "winpe-drivers %s: %s", strings.Join(args, " "), errOut.String())
	return out.String()
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}

// crlfLines splits a batch file, checking that every line ends in CRLF.
func crlfLines(t *testing.T, s string) []string {
	t.Helper()
	require.True(t, strings.HasSuffix(s, "\r\n"))
	lines := strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
	for _, l := range lines {
		assert.NotContains(t, l, "\n")
	}
	return lines
}

var drvloadRE = regexp.MustCompile(`^drvload "([^"]+)"$`)

// drvloads returns the paths of a script's drvload lines, and its other
// lines.
func drvloads(t *testing.T, s string) (paths, other []string) {
	for _, l := range crlfLines(t, s) {
		if m := drvloadRE.FindStringSubmatch(l); m != nil {
			paths = append(paths, m[1])
		} else {
			other = append(other, l)
		}
	}
	return paths, other
}

// unattendPaths reads unattend.xml with Python's XML parser (independent of
// how we wrote it) and returns the component names and DriverPaths per pass.
func unattendPaths(t *testing.T, file string) string {
	t.Helper()
	py := testutil.Tool(t, testutil.SystemPython)
	const script = `
import sys, xml.etree.ElementTree as ET
ns = {"u": "urn:schemas-microsoft-com:unattend"}
root = ET.parse(sys.argv[1]).getroot()
for s in root.findall("u:settings", ns):
    for c in s.findall("u:component", ns):
        print(s.get("pass"), c.get("name"), c.get("processorArchitecture"))
        for p in c.findall("u:DriverPaths/u:PathAndCredentials", ns):
            print(" ", p.get("{http://schemas.microsoft.com/WMIConfig/2002/State}keyValue"), p.find("u:Path", ns).text)
`
	return testutil.Run(t, py, "-c", script, file)
}

// TestDefaults runs the command without arguments. What is expected is
// worked out here from the demo INFs' DriverVer lines: for a driver in
// both sets with equal ranks, the later date wins.
func TestDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	stdout := runOK(t)
	pkgs, err := demoPackages()
	require.NoError(t, err)
	dv := map[string]string{} // set/rel -> DriverVer text
	for _, p := range pkgs {
		m := regexp.MustCompile(`(?m)^DriverVer\s*=\s*(\S+)\r$`).FindStringSubmatch(string(p.doc.Original()))
		require.NotNil(t, m, p.rel)
		dv[p.name()] = m[1]
	}
	require.NotEqual(t, dv["boot.wim/wbkstor/wbkstor.inf"], dv["$WinPEDriver$/wbkstor/wbkstor.inf"])
	require.Equal(t, dv["boot.wim/wbknet/wbknet.inf"], dv["$WinPEDriver$/wbknet/wbknet.inf"])
	older, _ := inf.ParseDate(strings.Split(dv["boot.wim/wbkstor/wbkstor.inf"], ",")[0])
	newer, _ := inf.ParseDate(strings.Split(dv["$WinPEDriver$/wbkstor/wbkstor.inf"], ",")[0])
	require.Equal(t, 1, newer.Compare(older))

	loads, other := drvloads(t, readFile(t, filepath.Join("out", "startnet.cmd")))
	assert.ElementsMatch(t, []string{`X:\Drivers\wbknet\wbknet.inf`, `X:\Drivers\wbkinput\wbkinput.inf`}, loads)
	assert.Contains(t, other, "wpeinit")
	assert.Contains(t, strings.Join(other, "\n"), `rem not loaded: X:\Drivers\wbkstor\wbkstor.inf`)

	loads, other = drvloads(t, readFile(t, filepath.Join("out", "InstallOS.bat")))
	assert.ElementsMatch(t, []string{`%~dp0$WinPEDriver$\wbkstor\wbkstor.inf`, `X:\Drivers\wbknet\wbknet.inf`, `X:\Drivers\wbkinput\wbkinput.inf`}, loads)
	assert.Equal(t, `"%~dp0setup.exe" %*`, other[len(other)-1])

	assert.Equal(t, "windowsPE Microsoft-Windows-PnpCustomizationsWinPE amd64\n  1 X:\\Drivers\\wbkinput\n  2 X:\\Drivers\\wbknet\n",
		unattendPaths(t, filepath.Join("out", "unattend.xml")))

	assert.Contains(t, stdout, "wbkstor (wbkstor.sys): CONFLICT: versions differ\n")
	assert.Contains(t, stdout, "  $WinPEDriver$/wbkstor/wbkstor.inf  "+dv["$WinPEDriver$/wbkstor/wbkstor.inf"]+"  <- Windows picks this\n")
	assert.Contains(t, stdout, "wbknet (wbknet.sys): same version everywhere\n")
	entries, err := os.ReadDir("out")
	require.NoError(t, err)
	assert.Len(t, entries, 3)
}

// stampINX writes the virtio-win INX fixture rel, stamped for amd64 with
// driverVer, to dst.
func stampINX(t *testing.T, rel, driverVer, dst string) {
	t.Helper()
	d, err := inf.Open(testutil.Fixture(t, rel), nil)
	require.NoError(t, err)
	v, err := inf.ParseDriverVer(strings.Split(driverVer, ",")...)
	require.NoError(t, err)
	require.NoError(t, d.Stamp(inf.StampOptions{Arch: inf.AMD64, DriverVer: &v,
		Placeholders: map[string]string{"INX_SUBSYS_VENDOR_ID": "1AF4", "INX_PLATFORM_DRIVERS_DIR": "12"}}))
	require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
	require.NoError(t, d.WriteFile(dst, 0o644))
}

// realSets lays out a boot.wim driver folder and a $WinPEDriver$ folder from
// the virtio-win fixtures (viostor in two versions, vioscsi in one) and
// Microsoft's lsi_u3 sample (boot.wim only).
func realSets(t *testing.T) (pe, wpd string) {
	t.Helper()
	root := t.TempDir()
	pe, wpd = filepath.Join(root, "pe"), filepath.Join(root, "$WinPEDriver$")
	stampINX(t, "inf/virtio-win/viostor.inx", "01/01/2020,100.80.104.20000", filepath.Join(pe, "viostor", "viostor.inf"))
	stampINX(t, "inf/virtio-win/viostor.inx", "06/01/2021,100.85.104.20800", filepath.Join(wpd, "viostor", "viostor.inf"))
	stampINX(t, "inf/virtio-win/vioscsi.inx", "06/01/2021,100.85.104.20800", filepath.Join(pe, "vioscsi", "vioscsi.inf"))
	stampINX(t, "inf/virtio-win/vioscsi.inx", "06/01/2021,100.85.104.20800", filepath.Join(wpd, "vioscsi", "vioscsi.inf"))
	lsi, err := inf.Open(testutil.Fixture(t, "inf/wds/lsi_u3.inf"), nil)
	require.NoError(t, err)
	require.NoError(t, lsi.Stamp(inf.StampOptions{Arch: inf.AMD64})) // its [Manufacturer] says NT$ARCH$
	require.NoError(t, os.MkdirAll(filepath.Join(pe, "lsi"), 0o755))
	require.NoError(t, lsi.WriteFile(filepath.Join(pe, "lsi", "lsi_u3.inf"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(pe, "lsi", "lsi_u3.sys"), []byte("not an INF"), 0o644))
	return pe, wpd
}

// TestRealParts audits stamped virtio-win INFs and a WDK sample INF.
func TestRealParts(t *testing.T) {
	pe, wpd := realSets(t)
	out := filepath.Join(t.TempDir(), "gen")
	stdout := runOK(t, "--pe", pe, "--winpedriver", wpd, "--arch", "amd64", "--os", "10.0.22621", "--pe-root", `X:\WinPE Drivers\`, "-o", out)
	assert.Contains(t, stdout, "viostor (viostor.sys): CONFLICT: versions differ\n")
	assert.Contains(t, stdout, "vioscsi (vioscsi.sys): same version everywhere\n")

	assert.Contains(t, stdout, "LSI_U3 (lsi_u3.sys): one package\n")

	// viostor: the later DriverVer date wins among equal ranks, so
	// boot.wim's copy is left out of startnet.cmd.
	loads, other := drvloads(t, readFile(t, filepath.Join(out, "startnet.cmd")))
	want := []string{`X:\WinPE Drivers\vioscsi\vioscsi.inf`, `X:\WinPE Drivers\lsi\lsi_u3.inf`}
	assert.ElementsMatch(t, want, loads)
	assert.Contains(t, strings.Join(other, "\n"), `rem not loaded: X:\WinPE Drivers\viostor\viostor.inf: viostor.sys is 01/01/2020,100.80.104.20000 here`)

	loads, _ = drvloads(t, readFile(t, filepath.Join(out, "InstallOS.bat")))
	assert.ElementsMatch(t, append([]string{`%~dp0$WinPEDriver$\viostor\viostor.inf`}, want...), loads)

	got := unattendPaths(t, filepath.Join(out, "unattend.xml"))
	var dirs []string
	for _, w := range want {
		dirs = append(dirs, w[:strings.LastIndex(w, `\`)])
	}
	sort.Strings(dirs)
	exp := "windowsPE Microsoft-Windows-PnpCustomizationsWinPE amd64\n"
	for i, d := range dirs {
		exp += "  " + string(rune('1'+i)) + " " + d + "\n"
	}
	assert.Equal(t, exp, got)

	// --strict refuses the conflict and writes nothing.
	strictOut := filepath.Join(t.TempDir(), "gen")
	var so, se bytes.Buffer
	err := run([]string{"--pe", pe, "--winpedriver", wpd, "--strict", "-o", strictOut}, &so, &se)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "viostor.sys: boot.wim/viostor/viostor.inf 01/01/2020,100.80.104.20000 vs $WinPEDriver$/viostor/viostor.inf 06/01/2021,100.85.104.20800")
	assert.Empty(t, testutil.ListFiles(t, strictOut), "output files left")

	// x86: the INFs stamped for amd64 install nothing, and say so.
	stdout = runOK(t, "--pe", pe, "--winpedriver", wpd, "--arch", "x86", "--os", "10.0.19041", "-o", filepath.Join(t.TempDir(), "x86"))
	assert.Contains(t, stdout, "boot.wim/viostor/viostor.inf: installs nothing on x86 10.0.19041")
}

// TestErrors: each bad input fails with one line naming it and nothing is
// written.
func TestErrors(t *testing.T) {
	pe, wpd := realSets(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	file := filepath.Join(dir, "file.inf")
	require.NoError(t, os.WriteFile(file, []byte("[Version]\r\nSignature=\"$Windows NT$\"\r\n"), 0o644))
	emptyDir := filepath.Join(dir, "empty")
	require.NoError(t, os.Mkdir(emptyDir, 0o755))
	badDir := filepath.Join(dir, "bad")
	require.NoError(t, os.MkdirAll(filepath.Join(badDir, "oem"), 0o755))
	notINF := filepath.Join(badDir, "oem", "txtsetup.inf")
	require.NoError(t, os.WriteFile(notINF, testutil.ReadFixture(t, "inf/virtio-win/txtsetup.oem"), 0o644))
	for _, tc := range []struct {
		name string
		args []string
		bad  string
	}{
		{"missing pe", []string{"--pe", missing, "--winpedriver", wpd}, "--pe " + missing},
		{"missing winpedriver", []string{"--pe", pe, "--winpedriver", missing}, "--winpedriver " + missing},
		{"pe is a file", []string{"--pe", file, "--winpedriver", wpd}, "--pe " + file},
		{"no INF", []string{"--pe", pe, "--winpedriver", emptyDir}, "--winpedriver " + emptyDir},
		{"not a driver INF", []string{"--pe", pe, "--winpedriver", badDir}, "--winpedriver " + notINF},
		{"only --pe", []string{"--pe", pe}, "--winpedriver"},
		{"bad arch", []string{"--pe", pe, "--winpedriver", wpd, "--arch", "mips"}, "--arch mips"},
		{"bad os", []string{"--pe", pe, "--winpedriver", wpd, "--os", "ten"}, "--os ten"},
		{"bad pe-root", []string{"--pe", pe, "--winpedriver", wpd, "--pe-root", "Drivers"}, "--pe-root"},
		{"strict", []string{"--pe", pe, "--winpedriver", wpd, "--strict"}, "viostor.sys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			var stdout, stderr bytes.Buffer
			err := run(append(tc.args, "-o", out), &stdout, &stderr)
			require.Error(t, err)
			t.Log(err)
			assert.Contains(t, err.Error(), tc.bad)
			assert.NotContains(t, err.Error(), "\n")
			assert.Empty(t, testutil.ListFiles(t, out), "output files left")
		})
	}
}

// TestWriteAll: a failing output leaves neither targets nor temporary
// files.
func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	boom := errors.New("disk full")
	err := writeAll([]output{
		textOutput(filepath.Join(dir, "startnet.cmd"), "wpeinit\r\n"),
		{path: filepath.Join(dir, "unattend.xml"), write: func(w io.Writer) error {
			_, _ = io.WriteString(w, "<unattend")
			return boom
		}},
	})
	require.ErrorIs(t, err, boom)
	assert.Empty(t, testutil.ListFiles(t, dir), "output files left")
}

// TestUsage: -h prints the usage and succeeds.
func TestUsage(t *testing.T) {
	assert.Contains(t, runOK(t, "-h"), "--winpedriver DIR")
}
