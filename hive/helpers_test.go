package hive_test

import (
	"bufio"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// fixtureHives returns every primary hive and BCD store among the fixtures.
func fixtureHives(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, p := range testutil.Fixtures(t, "hive", "*") {
		if strings.Contains(strings.ToLower(filepath.Base(p)), ".log") {
			continue
		}
		out = append(out, p)
	}
	return append(out, testutil.Fixtures(t, "bcd", "*.bcd")...)
}

// saveTemp saves h into a temporary directory and returns the path.
func saveTemp(t *testing.T, h *hive.Hive, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, h.Save(p))
	return p
}

// Lines the external tools print that describe their own output encoding,
// not the hive: reglookup converts names to US-ASCII and hivexregedit's perl
// warns when it prints characters above U+00FF.
var toolNoise = regexp.MustCompile(`^(Wide character in print at .*|WARN: Error occurred while converting (key|value) name to encoding US-ASCII\..*|WARN: While quoting value for '.*', warning returned: Data could not be interpreted, quoting raw buffer\.)$`)

// noWarnings fails if stderr holds anything but tool encoding noise.
func noWarnings(t *testing.T, tool, stderr string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if l == "" || toolNoise.MatchString(l) {
			continue
		}
		t.Errorf("%s printed a warning: %s", tool, l)
	}
}

// validateTools runs regfinfo, regfexport, hivexregedit --export and
// reglookup on the hive file at path; each must exit 0 without warnings.
// It returns regfexport's output.
func validateTools(t *testing.T, path string) (regfexport string) {
	t.Helper()
	run := func(tool string, args ...string) string {
		t.Helper()
		bin := testutil.Tool(t, tool)
		out, errOut, err := testutil.RunErr(bin, append(args, path)...)
		require.NoError(t, err, "%s %s: %s", tool, path, errOut)
		noWarnings(t, tool, errOut)
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "ERROR:") || strings.HasPrefix(l, "WARN:") {
				t.Errorf("%s: %s", tool, l)
			}
		}
		return out
	}
	run("regfinfo")
	regfexport = run("regfexport")
	bin := testutil.Tool(t, "hivexregedit")
	out, errOut, err := testutil.RunErr(bin, "--export", path, `\`)
	require.NoError(t, err, "hivexregedit: %s", errOut)
	noWarnings(t, "hivexregedit", errOut)
	require.True(t, strings.HasPrefix(out, "Windows Registry Editor Version 5.00"), "hivexregedit output: %.200s", out)
	run("reglookup")
	return regfexport
}

// regfexportListing parses regfexport output into key paths (below the
// root, "" for the root) mapped to their value names ("(default)" as
// regfexport prints it is turned into "").
func regfexportListing(t *testing.T, out string) map[string][]string {
	t.Helper()
	keys := map[string][]string{}
	var cur string
	root := ""
	valueLine := regexp.MustCompile(`^Value: \d+ (.*)$`)
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		l := sc.Text()
		if p, ok := strings.CutPrefix(l, "Key path: "); ok {
			if root == "" {
				root = p
			}
			cur = strings.TrimPrefix(strings.TrimPrefix(p, root), `\`)
			keys[cur] = []string{}
			continue
		}
		if m := valueLine.FindStringSubmatch(l); m != nil {
			name := m[1]
			if name == "(default)" {
				name = ""
			}
			keys[cur] = append(keys[cur], name)
		}
	}
	require.NoError(t, sc.Err())
	return keys
}

// cellSignatures scans a hive file on its own (independently of the
// package) and counts allocated cells by their first two bytes for the
// record types, so tests can check which list types a writer used.
func cellSignatures(t *testing.T, b []byte) map[string]int {
	t.Helper()
	out := map[string]int{}
	bins := binary.LittleEndian.Uint32(b[40:])
	for off := uint32(0); off < bins; {
		bin := b[4096+off:]
		require.Equal(t, "hbin", string(bin[:4]), "hbin at %#x", off)
		size := binary.LittleEndian.Uint32(bin[8:])
		require.NotZero(t, size)
		for c := uint32(32); c < size; {
			s := int32(binary.LittleEndian.Uint32(bin[c:]))
			require.NotZero(t, s, "cell at %#x", off+c)
			abs := uint32(s)
			if s < 0 {
				abs = uint32(-s)
				switch sig := string(bin[c+4 : c+6]); sig {
				case "nk", "vk", "sk", "lf", "lh", "li", "ri", "db":
					out[sig]++
				}
			} else {
				out["free"]++
			}
			c += abs
		}
		off += size
	}
	return out
}

// readFile reads a file or fails.
func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

// cellOffsets scans a hive file independently of the package and returns
// the file offsets of allocated cells by record signature, and of free
// cells under "free".
func cellOffsets(t *testing.T, b []byte) map[string][]int64 {
	t.Helper()
	out := map[string][]int64{}
	bins := binary.LittleEndian.Uint32(b[40:])
	for off := uint32(0); off < bins; {
		bin := b[4096+off:]
		size := binary.LittleEndian.Uint32(bin[8:])
		for c := uint32(32); c < size; {
			s := int32(binary.LittleEndian.Uint32(bin[c:]))
			fo := int64(4096 + off + c)
			abs := uint32(s)
			if s < 0 {
				abs = uint32(-s)
				sig := string(bin[c+4 : c+6])
				switch sig {
				case "nk", "vk", "sk", "lf", "lh", "li", "ri", "db":
					out[sig] = append(out[sig], fo)
				default:
					out["data"] = append(out["data"], fo)
				}
			} else {
				out["free"] = append(out["free"], fo)
			}
			c += abs
		}
		off += size
	}
	return out
}

func readFileErr(p string) ([]byte, error) { return os.ReadFile(p) }
