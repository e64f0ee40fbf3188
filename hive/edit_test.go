package hive_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

type valueSnap struct {
	typ  hive.ValueType
	data []byte
	off  int64 // file offset of the vk cell
}

type keySnap struct {
	class  string
	values map[string]valueSnap
	subs   []string
}

// snapshot records every key (by upper-cased path) with its class, values
// and subkey names.
func snapshot(t *testing.T, h *hive.Hive) map[string]keySnap {
	t.Helper()
	out := map[string]keySnap{}
	require.NoError(t, h.Root().Walk(func(p string, k *hive.Key) error {
		s := keySnap{values: map[string]valueSnap{}}
		var err error
		if s.class, err = k.Class(); err != nil {
			return err
		}
		for v, err := range k.Values() {
			if err != nil {
				return err
			}
			d, err := v.Data()
			if err != nil {
				return err
			}
			s.values[strings.ToUpper(v.Name())] = valueSnap{v.Type(), d, v.Offset()}
		}
		if s.subs, err = k.SubkeyNames(); err != nil {
			return err
		}
		out[strings.ToUpper(p)] = s
		return nil
	}))
	return out
}

// cellBytes returns the bytes of the cell at file offset off.
func cellBytes(b []byte, off int64) []byte {
	s := int32(binary.LittleEndian.Uint32(b[off:]))
	if s < 0 {
		s = -s
	}
	return b[off : off+int64(s)]
}

func underAny(p string, set map[string]bool) bool {
	for q := range set {
		if p == q || strings.HasPrefix(p, q+`\`) {
			return true
		}
	}
	return false
}

// Edits on real hives (delete half the keys, set and delete values, grow a
// value past 16344 bytes and shrink it) give files the four tools and Check
// accept, and every untouched key and value keeps its content and its
// cell bytes.
func TestEditFixtures(t *testing.T) {
	for _, rel := range []string{"hive/regipy_amcache.hve", "hive/regipy_SECURITY", "bcd/bcd_ntloader3_bcdedit.bcd"} {
		t.Run(rel, func(t *testing.T) {
			orig := testutil.ReadFixture(t, rel)
			h, err := hive.Parse(orig, nil)
			require.NoError(t, err)
			before := snapshot(t, h)

			// Delete every second key (in walk order) whose ancestors survive.
			var paths []string
			require.NoError(t, h.Root().Walk(func(p string, _ *hive.Key) error {
				if p != "" {
					paths = append(paths, p)
				}
				return nil
			}))
			deleted := map[string]bool{}
			for i, p := range paths {
				up := strings.ToUpper(p)
				if i%2 == 1 && !underAny(up, deleted) {
					require.NoError(t, h.DeleteKey(p))
					deleted[up] = true
				}
			}
			var alive []string
			for _, p := range paths {
				if !underAny(strings.ToUpper(p), deleted) {
					alive = append(alive, p)
				}
			}
			require.NotEmpty(t, alive)
			removed := 0
			for p := range before {
				if underAny(p, deleted) {
					removed++
				}
			}
			assert.GreaterOrEqual(t, 2*removed, len(paths)-1, "about half the keys deleted")

			// Value edits on three surviving keys.
			edited := map[string]bool{}
			ka, kb, kc := alive[0], alive[len(alive)/2], alive[len(alive)-1]
			for _, p := range []string{ka, kb, kc} {
				edited[strings.ToUpper(p)] = true
			}
			a, err := h.OpenKey(ka)
			require.NoError(t, err)
			require.NoError(t, a.SetString("AddedString", "added by the test"))
			require.NoError(t, a.SetDWord("AddedDWord", 7))
			grow := bytes.Repeat([]byte("0123456789abcdef"), 1300) // 20,800 bytes
			require.NoError(t, a.SetBinary("Grown", grow))
			v, err := a.Value("Grown")
			require.NoError(t, err)
			got, err := v.Data()
			require.NoError(t, err)
			require.Equal(t, grow, got)
			require.Empty(t, h.Check())
			require.NoError(t, a.SetBinary("Grown", grow[:100]))

			b, err := h.OpenKey(kb)
			require.NoError(t, err)
			for v, err := range b.Values() {
				require.NoError(t, err)
				require.NoError(t, b.DeleteValue(v.Name()))
				break
			}
			require.NoError(t, b.SetQWord("AddedQWord", 1<<33))

			c, err := h.OpenKey(kc)
			require.NoError(t, err)
			require.NoError(t, c.SetValue("", hive.String, hive.EncodeString("default")))

			// Shrink an existing big value and grow it back, when the hive
			// has one that survived.
			for p, s := range before {
				if underAny(p, deleted) {
					continue
				}
				for name, v := range s.values {
					if len(v.data) > 16344 {
						k, err := h.OpenKey(p)
						require.NoError(t, err)
						require.NoError(t, k.SetValue(name, v.typ, v.data[:50]))
						require.NoError(t, k.SetValue(name, v.typ, append(bytes.Clone(v.data), 1, 2, 3)))
						edited[p] = true
					}
				}
			}

			require.Empty(t, h.Check())
			path := saveTemp(t, h, "edited")
			validateTools(t, path)
			out := readFile(t, path)
			h2, err := hive.Parse(out, nil)
			require.NoError(t, err)
			require.Empty(t, h2.Check())
			after := snapshot(t, h2)

			for p, s := range before {
				if underAny(p, deleted) {
					_, ok := after[p]
					assert.False(t, ok, "deleted key %q still present", p)
					continue
				}
				s2, ok := after[p]
				require.True(t, ok, "key %q lost", p)
				if edited[p] {
					continue
				}
				assert.Equal(t, s.class, s2.class, p)
				require.Equal(t, len(s.values), len(s2.values), p)
				for name, v := range s.values {
					v2 := s2.values[name]
					assert.Equal(t, v.typ, v2.typ, "%s:%s", p, name)
					assert.True(t, bytes.Equal(v.data, v2.data), "%s:%s", p, name)
					assert.Equal(t, v.off, v2.off, "%s:%s moved", p, name)
					assert.Equal(t, cellBytes(orig, v.off), cellBytes(out, v2.off), "%s:%s vk cell bytes", p, name)
				}
			}
			ak, err := h2.OpenKey(ka)
			require.NoError(t, err)
			gv, err := ak.Value("grown")
			require.NoError(t, err)
			gd, err := gv.Data()
			require.NoError(t, err)
			assert.Equal(t, grow[:100], gd)
		})
	}
}

// 10,000 cycles of setting and deleting a 1 KB value and creating and
// deleting a key keep a 1.5 hive under twice its size after the first cycle.
func TestSpaceReuse(t *testing.T) {
	h, err := hive.New("ROOT", hive.Version15, nil)
	require.NoError(t, err)
	work, err := h.Root().CreateKey(`Software\Work`)
	require.NoError(t, err)
	for i := range 20 {
		require.NoError(t, work.SetDWord(fmt.Sprintf("keep%d", i), uint32(i)))
	}
	data := make([]byte, 1024)
	cycle := func(i int) {
		binary.LittleEndian.PutUint32(data, uint32(i))
		require.NoError(t, work.SetBinary("Cycling", data))
		require.NoError(t, work.DeleteValue("Cycling"))
		_, err := work.CreateKey(fmt.Sprintf("Temp%d", i))
		require.NoError(t, err)
		require.NoError(t, work.DeleteSubkey(fmt.Sprintf("temp%d", i)))
	}
	cycle(0)
	first := len(h.Bytes())
	for i := 1; i < 10000; i++ {
		cycle(i)
	}
	final := len(h.Bytes())
	assert.Less(t, final, 2*first, "size after first cycle %d, after 10,000 %d", first, final)
	assert.Empty(t, h.Check())
	validateTools(t, saveTemp(t, h, "cycled"))
}

// TestGrowingValue: a value rewritten ever longer (a BCD displayorder that
// gains an entry at a time) must not leave a trail of part-empty bins. In
// version 1.3, where such a value is one cell, each move used to append a
// new bin: 2,000 appends of 78 bytes made a 3.35 MB file for a 156 KB
// value (now 274 KB). The last bin is now lengthened instead, and the free
// cell that ends the file is used for other cells only when nothing else fits.
func TestGrowingValue(t *testing.T) {
	for _, tc := range []struct {
		name     string
		minor    uint32
		keyEvery int // create a key after the value every so often (0: never)
		maxRatio float64
	}{
		{"1.3 alone", hive.Version13, 0, 1.1},
		{"1.3 with keys created between", hive.Version13, 50, 2},
		{"1.5 with keys created between", hive.Version15, 50, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := hive.New("ROOT", tc.minor, nil)
			require.NoError(t, err)
			k, err := h.Root().CreateKey(`Objects\Boot`)
			require.NoError(t, err)
			base := len(h.Bytes())
			var data []byte
			for i := range 2000 {
				entry := make([]byte, 78)
				binary.LittleEndian.PutUint32(entry, uint32(i))
				data = append(data, entry...)
				require.NoError(t, k.SetBinary("Element", data))
				if tc.keyEvery > 0 && i%tc.keyEvery == 0 {
					o, err := h.Root().CreateKey(fmt.Sprintf(`Objects\Other%d`, i))
					require.NoError(t, err)
					require.NoError(t, o.SetDWord("x", uint32(i)))
				}
			}
			got, err := k.Value("Element")
			require.NoError(t, err)
			raw, err := got.Data()
			require.NoError(t, err)
			require.Equal(t, data, raw)
			grown := len(h.Bytes()) - base
			t.Logf("value %d bytes, file grew by %d bytes", len(data), grown)
			assert.Less(t, float64(grown), tc.maxRatio*float64(len(data)))
			assert.Empty(t, h.Check())
			p := saveTemp(t, h, "growing")
			validateTools(t, p)
			re, err := hive.Open(p, nil)
			require.NoError(t, err)
			assert.Empty(t, re.Check())
		})
	}
}

// registryTarget is the interface the inf package defines; *hive.Hive must
// satisfy it without importing inf.
type registryTarget interface {
	CreateKey(path string) error
	SetRawValue(path, name string, typ uint32, data []byte) error
	RawValue(path, name string) (typ uint32, data []byte, ok bool, err error)
	DeleteValue(path, name string) error
	DeleteKey(path string) error
}

var _ registryTarget = (*hive.Hive)(nil)

func TestRegistryTarget(t *testing.T) {
	h, err := hive.New("SYSTEM", hive.Version15, nil)
	require.NoError(t, err)
	var rt registryTarget = h

	require.NoError(t, rt.CreateKey(`ControlSet001\Services\viostor`))
	require.NoError(t, rt.CreateKey(`controlset001\services\VIOSTOR`), "existing key is not an error")
	require.NoError(t, rt.CreateKey(""), "the root exists")
	require.NoError(t, rt.SetRawValue(`ControlSet001\Services\viostor`, "Start", uint32(hive.DWord), hive.EncodeDWord(0)))
	require.NoError(t, rt.SetRawValue(`New\Path\Made`, "", uint32(hive.String), hive.EncodeString("default")))
	require.NoError(t, rt.SetRawValue(`ControlSet001\Services\viostor`, "START", uint32(hive.DWord), hive.EncodeDWord(3)))
	require.NoError(t, rt.SetRawValue("", "AtRoot", uint32(hive.Binary), []byte{1}))

	tests := []struct {
		path, name string
		ok         bool
		typ        uint32
		data       []byte
	}{
		{`CONTROLSET001\services\viostor`, "start", true, uint32(hive.DWord), hive.EncodeDWord(3)},
		{`new\path\made`, "", true, uint32(hive.String), hive.EncodeString("default")},
		{"", "atroot", true, uint32(hive.Binary), []byte{1}},
		{`ControlSet001\Services\viostor`, "Missing", false, 0, nil},
		{`No\Such\Key`, "Start", false, 0, nil},
	}
	for _, tt := range tests {
		typ, data, ok, err := rt.RawValue(tt.path, tt.name)
		require.NoError(t, err)
		assert.Equal(t, tt.ok, ok, tt.path)
		assert.Equal(t, tt.typ, typ)
		assert.Equal(t, tt.data, data)
	}
	k, err := h.OpenKey(`ControlSet001\Services\viostor`)
	require.NoError(t, err)
	v, err := k.Value("start")
	require.NoError(t, err)
	assert.Equal(t, "Start", v.Name(), "an overwritten value keeps its name")

	require.NoError(t, rt.DeleteValue(`ControlSet001\Services\viostor`, "start"))
	require.NoError(t, rt.DeleteValue(`ControlSet001\Services\viostor`, "start"), "missing value")
	require.NoError(t, rt.DeleteValue(`No\Such`, "x"), "missing key")
	_, _, ok, err := rt.RawValue(`ControlSet001\Services\viostor`, "Start")
	require.NoError(t, err)
	assert.False(t, ok)

	require.NoError(t, rt.DeleteKey(`controlset001`))
	require.NoError(t, rt.DeleteKey(`ControlSet001`), "missing key")
	require.NoError(t, rt.DeleteKey(`No\Such\Key`))
	_, err = h.OpenKey("ControlSet001")
	require.ErrorIs(t, err, hive.ErrNotFound)
	require.ErrorIs(t, rt.DeleteKey(""), hive.ErrInvalid)
	require.ErrorIs(t, rt.CreateKey(`a\\b`), hive.ErrInvalid)
	assert.Empty(t, h.Check())
}

func TestKeyEdits(t *testing.T) {
	clock := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	h, err := hive.New("ROOT", hive.Version13, &hive.Options{Now: func() time.Time { return clock }})
	require.NoError(t, err)
	root := h.Root()
	a, err := root.CreateKey("A")
	require.NoError(t, err)
	_, err = root.CreateKey("B")
	require.NoError(t, err)
	for i := range 3 {
		_, err := a.CreateKey(fmt.Sprintf("child%d", i))
		require.NoError(t, err)
	}
	require.NoError(t, a.SetString("v", "value"))
	assert.Equal(t, clock, a.LastWritten())

	t.Run("rename", func(t *testing.T) {
		other, err := h.OpenKey("A")
		require.NoError(t, err)
		require.ErrorIs(t, a.Rename("b"), hive.ErrExists)
		long := strings.Repeat("Renamed", 20)
		require.NoError(t, a.Rename(long))
		assert.Equal(t, long, a.Name())
		names, err := root.SubkeyNames()
		require.NoError(t, err)
		assert.Equal(t, []string{"B", long}, names)
		kids, err := a.SubkeyNames()
		require.NoError(t, err)
		assert.Equal(t, []string{"child0", "child1", "child2"}, kids)
		c, err := a.Subkey("CHILD1")
		require.NoError(t, err)
		p, err := c.Path()
		require.NoError(t, err)
		assert.Equal(t, long+`\child1`, p)
		s, err := a.Value("v")
		require.NoError(t, err)
		str, err := s.StringData()
		require.NoError(t, err)
		assert.Equal(t, "value", str)
		// The other handle was left on the old cell.
		_, err = other.Subkey("child0")
		require.ErrorIs(t, err, hive.ErrNotFound)
		require.NoError(t, a.Rename("A"))
		require.NoError(t, a.Rename("a"), "changing only the case")
		assert.Equal(t, "a", a.Name())
		require.NoError(t, root.Rename("NewStoreRoot"))
		assert.Equal(t, "NewStoreRoot", h.Root().Name())
		assert.Empty(t, h.Check())
	})

	t.Run("class", func(t *testing.T) {
		c, err := a.Subkey("child0")
		require.NoError(t, err)
		require.NoError(t, c.SetClass("A class"))
		cls, err := c.Class()
		require.NoError(t, err)
		assert.Equal(t, "A class", cls)
		require.NoError(t, c.SetClass("A much longer class name than before"))
		require.NoError(t, c.SetClass(""))
		cls, err = c.Class()
		require.NoError(t, err)
		assert.Equal(t, "", cls)
		_, maxClass, _, _ := a.MaxLengths()
		assert.Equal(t, uint32(2*len("A much longer class name than before")), maxClass)
		assert.Empty(t, h.Check())
	})

	t.Run("security", func(t *testing.T) {
		count := func() int { return cellSignatures(t, h.Bytes())["sk"] }
		require.Equal(t, 1, count())
		sd := secondSD()
		b, err := root.Subkey("B")
		require.NoError(t, err)
		require.NoError(t, b.SetSecurity(sd))
		require.Equal(t, 2, count())
		c0, err := a.Subkey("child0")
		require.NoError(t, err)
		require.NoError(t, c0.SetSecurity(sd), "shares B's sk cell")
		require.Equal(t, 2, count())
		nb, err := b.CreateKey("inherits")
		require.NoError(t, err)
		got, err := nb.Security()
		require.NoError(t, err)
		assert.Equal(t, sd, got)
		assert.Empty(t, h.Check())
		require.NoError(t, root.DeleteSubkey("b"))
		require.Equal(t, 2, count())
		require.NoError(t, c0.SetSecurity(hive.DefaultSecurityDescriptor()))
		require.Equal(t, 1, count(), "unused sk freed")
		assert.Empty(t, h.Check())
		require.ErrorIs(t, c0.SetSecurity([]byte{1, 0, 0, 0}), hive.ErrInvalid)
		bad := bytes.Clone(sd)
		binary.LittleEndian.PutUint32(bad[16:], 1000)
		require.ErrorIs(t, c0.SetSecurity(bad), hive.ErrInvalid)
	})

	t.Run("errors", func(t *testing.T) {
		_, err := root.CreateKey(strings.Repeat("x", 256))
		require.ErrorIs(t, err, hive.ErrLimit)
		_, err = root.CreateKey(`x\` + strings.Repeat(`y\`, 600))
		require.ErrorIs(t, err, hive.ErrLimit)
		require.ErrorIs(t, root.DeleteValue("nope"), hive.ErrNotFound)
		require.ErrorIs(t, root.DeleteSubkey("nope"), hive.ErrNotFound)
		require.ErrorIs(t, root.Delete(), hive.ErrInvalid)
		_, err = root.Value("nope")
		require.ErrorIs(t, err, hive.ErrNotFound)
		require.ErrorIs(t, root.SetValue(strings.Repeat("n", 16384), hive.None, nil), hive.ErrLimit)
		_, err = hive.New("", hive.Version15, nil)
		require.ErrorIs(t, err, hive.ErrInvalid)
		_, err = hive.New("x", 9, nil)
		require.ErrorIs(t, err, hive.ErrUnsupported)
		c2, err := a.Subkey("child2")
		require.NoError(t, err)
		require.NoError(t, c2.Delete())
		_, err = c2.Subkey("x")
		require.ErrorIs(t, err, hive.ErrNotFound, "stale handle")
	})

	t.Run("typed values", func(t *testing.T) {
		k, err := root.CreateKey("Typed")
		require.NoError(t, err)
		require.NoError(t, k.SetMultiString("m", []string{"x", "yy"}))
		require.NoError(t, k.SetExpandString("e", "%x%"))
		require.NoError(t, k.SetQWord("q", 5))
		require.NoError(t, k.SetDWord("d", 6))
		require.NoError(t, k.SetValue("be", hive.DWordBigEndian, []byte{0, 0, 1, 0}))
		_, err = hive.EncodeMultiString([]string{"a", ""})
		require.ErrorIs(t, err, hive.ErrInvalid)
		m, _ := k.Value("m")
		ss, err := m.Strings()
		require.NoError(t, err)
		assert.Equal(t, []string{"x", "yy"}, ss)
		q, _ := k.Value("q")
		x, err := q.Uint64()
		require.NoError(t, err)
		assert.Equal(t, uint64(5), x)
		d, _ := k.Value("d")
		y, err := d.Uint32()
		require.NoError(t, err)
		assert.Equal(t, uint32(6), y)
		be, _ := k.Value("be")
		y, err = be.Uint32()
		require.NoError(t, err)
		assert.Equal(t, uint32(256), y)
		_, err = m.Uint32()
		require.ErrorIs(t, err, hive.ErrInvalid)
		_, err = d.StringData()
		require.ErrorIs(t, err, hive.ErrInvalid)
	})
}

func TestDecodeStrings(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"terminated", []byte{'a', 0, 'b', 0, 0, 0}, "ab"},
		{"unterminated", []byte{'a', 0, 'b', 0}, "ab"},
		{"odd byte", []byte{'a', 0, 'b'}, "a"},
		{"extra NULs", []byte{'a', 0, 0, 0, 0, 0, 'x', 0}, "a"},
		{"empty", nil, ""},
		{"above latin-1", []byte{0x16, 0x04, 0xAC, 0x20, 0, 0}, "Ж€"},
		{"lone surrogate", []byte{0x00, 0xD8, 'a', 0}, "\uFFFDa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, hive.DecodeString(tt.in)) })
	}
	multi := []struct {
		name string
		in   []byte
		want []string
	}{
		{"proper", []byte{'a', 0, 0, 0, 'b', 0, 0, 0, 0, 0}, []string{"a", "b"}},
		{"missing final NUL", []byte{'a', 0, 0, 0, 'b', 0, 0, 0}, []string{"a", "b"}},
		{"missing both", []byte{'a', 0, 0, 0, 'b', 0}, []string{"a", "b"}},
		{"empty list", []byte{0, 0}, nil},
		{"stops at empty string", []byte{'a', 0, 0, 0, 0, 0, 'c', 0, 0, 0}, []string{"a"}},
	}
	for _, tt := range multi {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, hive.DecodeMultiString(tt.in)) })
	}
	sort.Strings(nil)
}
