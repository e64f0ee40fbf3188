package hive_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/hive"
)

// secondSD is a descriptor other than the default one: owner and group
// SYSTEM, DACL granting SYSTEM full control and Everyone read access.
func secondSD() []byte {
	sidSY := []byte{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0}
	sidWD := []byte{1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}
	ace := func(mask uint32, sid []byte) []byte {
		a := []byte{0, 2, 0, 0}
		binary.LittleEndian.PutUint16(a[2:], uint16(8+len(sid)))
		a = binary.LittleEndian.AppendUint32(a, mask)
		return append(a, sid...)
	}
	aces := append(ace(0xF003F, sidSY), ace(0x20019, sidWD)...)
	acl := []byte{2, 0, 0, 0, 2, 0, 0, 0}
	binary.LittleEndian.PutUint16(acl[2:], uint16(8+len(aces)))
	acl = append(acl, aces...)
	sd := make([]byte, 20)
	sd[0] = 1
	binary.LittleEndian.PutUint16(sd[2:], 0x8004)
	binary.LittleEndian.PutUint32(sd[16:], 20)
	sd = append(sd, acl...)
	binary.LittleEndian.PutUint32(sd[4:], uint32(len(sd)))
	sd = append(sd, sidSY...)
	binary.LittleEndian.PutUint32(sd[8:], uint32(len(sd)))
	return append(sd, sidSY...)
}

type wantValue struct {
	typ  hive.ValueType
	data []byte
}

// buildSample fills a new hive and returns what it wrote: key path → value
// name → value, and key path → class name.
func buildSample(t *testing.T, minor uint32) (*hive.Hive, map[string]map[string]wantValue, map[string]string) {
	t.Helper()
	h, err := hive.New("ROOT", minor, nil)
	require.NoError(t, err)
	keys := map[string]map[string]wantValue{"": {}}
	classes := map[string]string{}
	mk := func(path string) *hive.Key {
		k, err := h.Root().CreateKey(path)
		require.NoError(t, err)
		parts := ""
		for _, p := range splitBS(path) {
			if parts != "" {
				parts += `\`
			}
			parts += p
			if keys[parts] == nil {
				keys[parts] = map[string]wantValue{}
			}
		}
		return k
	}
	set := func(k *hive.Key, path, name string, typ hive.ValueType, data []byte) {
		require.NoError(t, k.SetValue(name, typ, data))
		keys[path][name] = wantValue{typ, data}
	}

	// 5,000 subkeys under one key, created in a scrambled order.
	many := mk("Many")
	for i := range 5000 {
		n := fmt.Sprintf("Key%05d", (i*7919)%5000)
		_, err := many.CreateKey(n)
		require.NoError(t, err)
		keys[`Many\`+n] = map[string]wantValue{}
	}

	// Names above U+00FF, for keys and values.
	u := mk(`Ключ\日本語`)
	set(u, `Ключ\日本語`, "Имя", hive.String, hive.EncodeString("значение €"))
	set(u, `Ключ\日本語`, "Ünïcödé", hive.DWord, hive.EncodeDWord(0xDEADBEEF))

	// Every value type, and one beyond.
	types := mk("Types")
	multi, err := hive.EncodeMultiString([]string{"one", "two", "drei"})
	require.NoError(t, err)
	set(types, "Types", "", hive.String, hive.EncodeString("the default value"))
	set(types, "Types", "none", hive.None, []byte{1, 2, 3, 4, 5, 6})
	set(types, "Types", "sz", hive.String, hive.EncodeString("a string"))
	set(types, "Types", "expand", hive.ExpandString, hive.EncodeString(`%SystemRoot%\system32`))
	set(types, "Types", "binary", hive.Binary, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8})
	set(types, "Types", "dword", hive.DWord, hive.EncodeDWord(42))
	set(types, "Types", "dwordbe", hive.DWordBigEndian, []byte{0, 0, 0, 42})
	set(types, "Types", "link", hive.Link, hive.EncodeString(`\Registry\Machine\System`)[:46])
	set(types, "Types", "multi", hive.MultiString, multi)
	set(types, "Types", "reslist", hive.ResourceList, bytes.Repeat([]byte{8}, 20))
	set(types, "Types", "fullres", hive.FullResourceDescriptor, bytes.Repeat([]byte{9}, 20))
	set(types, "Types", "resreq", hive.ResourceRequirementsList, bytes.Repeat([]byte{10}, 20))
	set(types, "Types", "qword", hive.QWord, hive.EncodeQWord(1<<40+7))
	set(types, "Types", "custom", hive.ValueType(0x00012345), []byte("custom type"))
	set(types, "Types", "short", hive.Binary, []byte{0xAB, 0xCD, 0xEF})

	// Empty values.
	empty := mk("Empty")
	set(empty, "Empty", "emptybin", hive.Binary, nil)
	set(empty, "Empty", "emptysz", hive.String, []byte{})
	set(empty, "Empty", "emptynone", hive.None, nil)

	// A 100 KB value (big data in 1.5).
	big := make([]byte, 100*1024)
	for i := range big {
		big[i] = byte(i * 31)
	}
	bk := mk("Big")
	set(bk, "Big", "blob", hive.Binary, big)

	// Class names.
	for _, p := range []string{"Types", `Ключ\日本語`} {
		k, err := h.OpenKey(p)
		require.NoError(t, err)
		cls := "Class of " + p
		require.NoError(t, k.SetClass(cls))
		classes[p] = cls
	}

	// Two security descriptors: the default one and another shared by two keys.
	sd := secondSD()
	for _, p := range []string{"Types", "Empty"} {
		k, err := h.OpenKey(p)
		require.NoError(t, err)
		require.NoError(t, k.SetSecurity(sd))
	}
	return h, keys, classes
}

func splitBS(p string) []string {
	var out []string
	cur := ""
	for _, r := range p {
		if r == '\\' {
			out = append(out, cur)
			cur = ""
			continue
		}
		cur += string(r)
	}
	return append(out, cur)
}

// Hives built from scratch in 1.3 and 1.5 pass the four external tools and
// Check, regfexport lists exactly what was written, and the structure is
// what the version requires.
func TestBuildInterop(t *testing.T) {
	for _, minor := range []uint32{hive.Version13, hive.Version15} {
		t.Run(fmt.Sprintf("1.%d", minor), func(t *testing.T) {
			h, keys, classes := buildSample(t, minor)
			require.Empty(t, h.Check())
			p := saveTemp(t, h, "sample.hiv")
			file := readFile(t, p)

			listing := regfexportListing(t, validateTools(t, p))
			want := map[string][]string{}
			for k, vals := range keys {
				names := make([]string, 0, len(vals))
				for n := range vals {
					names = append(names, n)
				}
				want[k] = names
			}
			require.Equal(t, len(want), len(listing), "number of keys regfexport lists")
			for k, names := range want {
				got, ok := listing[k]
				require.True(t, ok, "regfexport does not list key %q", k)
				sort.Strings(names)
				got = slices.Clone(got)
				sort.Strings(got)
				assert.Equal(t, names, got, "values of %q", k)
			}

			// Read back through the package.
			h2, err := hive.Parse(file, nil)
			require.NoError(t, err)
			require.Empty(t, h2.Check())
			for path, vals := range keys {
				k, err := h2.OpenKey(path)
				require.NoError(t, err, path)
				for name, w := range vals {
					v, err := k.Value(name)
					require.NoError(t, err, "%s:%s", path, name)
					assert.Equal(t, w.typ, v.Type())
					d, err := v.Data()
					require.NoError(t, err)
					assert.True(t, bytes.Equal(w.data, d), "%s:%s data", path, name)
				}
				c, err := k.Class()
				require.NoError(t, err)
				assert.Equal(t, classes[path], c)
			}

			// Structure: list types and big data per version, ri splits,
			// two sk cells.
			sigs := cellSignatures(t, file)
			assert.Positive(t, sigs["ri"], "5,000 subkeys need an ri list")
			assert.Equal(t, 2, sigs["sk"])
			if minor == hive.Version13 {
				assert.Zero(t, sigs["lh"], "no lh lists in a 1.3 hive")
				assert.Positive(t, sigs["lf"])
				assert.Zero(t, sigs["db"], "no big data in a 1.3 hive")
			} else {
				assert.Zero(t, sigs["lf"]+sigs["li"])
				assert.Positive(t, sigs["lh"])
				assert.Equal(t, 1, sigs["db"])
			}
			many, err := h2.OpenKey("Many")
			require.NoError(t, err)
			names, err := many.SubkeyNames()
			require.NoError(t, err)
			require.Len(t, names, 5000)
			assert.True(t, sort.StringsAreSorted(names), "subkeys in sorted order")
			sd1, err := h2.Root().Security()
			require.NoError(t, err)
			assert.Equal(t, hive.DefaultSecurityDescriptor(), sd1)
			tk, err := h2.OpenKey("Types")
			require.NoError(t, err)
			sd2, err := tk.Security()
			require.NoError(t, err)
			assert.Equal(t, secondSD(), sd2)
		})
	}
}
