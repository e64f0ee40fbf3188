package bcd_test

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

const (
	ntloader3 = "bcd/bcd_ntloader3_bcdedit.bcd"
	template  = "bcd/bcd_bcdsys_empty_template.bcd"
)

// openFixture opens a fixture store.
func openFixture(t testing.TB, rel string) *bcd.Store {
	t.Helper()
	s, err := bcd.Parse(testutil.ReadFixture(t, rel), nil)
	require.NoError(t, err)
	return s
}

// regVal is a registry value as stored.
type regVal struct {
	Type hive.ValueType
	Data []byte
}

func (v regVal) String() string { return fmt.Sprintf("%v % x", v.Type, v.Data) }

// elementValues returns every Objects\{id}\Elements\{type}\Element value
// of the store, keyed by "{id}\type" (lower case), read through the hive
// API (not through package bcd).
func elementValues(t testing.TB, h *hive.Hive) map[string]regVal {
	t.Helper()
	out, err := rawElements(h)
	require.NoError(t, err)
	return out
}

// rawElements is elementValues returning the first error met instead (an
// element key without an Element value is an error too).
func rawElements(h *hive.Hive) (map[string]regVal, error) {
	objs, err := h.OpenKey("Objects")
	if err != nil {
		return nil, err
	}
	out := map[string]regVal{}
	for o, err := range objs.Subkeys() {
		if err != nil {
			return nil, err
		}
		els, err := o.Subkey("Elements")
		if err != nil {
			continue
		}
		for e, err := range els.Subkeys() {
			if err != nil {
				return nil, err
			}
			v, err := e.Value("Element")
			if err != nil {
				return nil, err
			}
			data, err := v.Data()
			if err != nil {
				return nil, err
			}
			out[strings.ToLower(o.Name()+`\`+e.Name())] = regVal{v.Type(), data}
		}
	}
	return out, nil
}

// cellCounts counts the allocated cells of each signature in a hive image
// by walking the hive bins directly (independently of package hive).
func cellCounts(t testing.TB, b []byte) map[string]int {
	t.Helper()
	out := map[string]int{}
	for bin := 4096; bin+32 <= len(b); {
		require.Equal(t, "hbin", string(b[bin:bin+4]), "hbin at %#x", bin)
		size := int(binary.LittleEndian.Uint32(b[bin+8:]))
		require.True(t, size >= 4096 && bin+size <= len(b))
		for c := bin + 32; c < bin+size; {
			cs := int32(binary.LittleEndian.Uint32(b[c:]))
			n := int(cs)
			if cs < 0 {
				n = int(-cs)
				sig := string(b[c+4 : c+6])
				switch sig {
				case "nk", "vk", "sk", "lf", "lh", "li", "ri", "db":
					out[sig]++
				}
			}
			require.True(t, n >= 8 && n%8 == 0, "cell size %d at %#x", n, c)
			c += n
		}
		bin += size
	}
	return out
}

// validateTools runs regfinfo, regfexport and hivexregedit --export on
// the store file at path: each must exit 0 without errors or warnings.
func validateTools(t *testing.T, path string) {
	t.Helper()
	for _, tool := range []struct {
		name string
		args []string
	}{
		{"regfinfo", []string{path}},
		{"regfexport", []string{path}},
		{"hivexregedit", []string{"--export", path, `\`}},
	} {
		bin := testutil.Tool(t, tool.name)
		out, errOut, err := testutil.RunErr(bin, tool.args...)
		require.NoError(t, err, "%s %s: %s", tool.name, path, errOut)
		require.Empty(t, strings.TrimSpace(errOut), "%s printed on stderr", tool.name)
		for _, l := range strings.Split(out, "\n") {
			require.False(t, strings.HasPrefix(l, "ERROR") || strings.HasPrefix(l, "WARN"), "%s: %s", tool.name, l)
		}
		if tool.name == "hivexregedit" {
			require.True(t, strings.HasPrefix(out, "Windows Registry Editor Version 5.00"))
			require.Contains(t, out, `[\Objects]`)
		}
		if tool.name == "regfinfo" {
			require.Contains(t, out, "Version:\t1.3")
		}
	}
}

// saveTemp saves s into a temporary directory and returns the path.
func saveTemp(t *testing.T, s *bcd.Store) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "BCD")
	require.NoError(t, s.Save(p))
	return p
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fixtureDrives returns the drive resolver of the tests: C: is the MBR
// partition the partition=C: device of bcd_ntloader3_bcdedit.bcd names
// (read from the fixture, not copied).
func fixtureDrives(t testing.TB) bcd.DriveMap {
	t.Helper()
	s := openFixture(t, ntloader3)
	for _, o := range objects(t, s) {
		v, err := o.Get(bcd.ElemDevice)
		if d, ok := v.(*bcd.Device); ok && err == nil && d.Kind == bcd.DevicePartition {
			require.Equal(t, bcd.MBR, d.Partition.Style)
			return bcd.DriveMap{"C:": d.Partition}
		}
	}
	t.Fatal("no partition device in the fixture")
	return nil
}

// objects returns the objects of s.
func objects(t testing.TB, s *bcd.Store) []*bcd.Object {
	t.Helper()
	objs, err := s.Objects()
	require.NoError(t, err)
	return objs
}
