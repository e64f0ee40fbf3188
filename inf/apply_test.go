package inf_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// memReg wraps the package's MemRegistry with the helpers the tests use.
type memReg struct{ *inf.MemRegistry }

func newMemReg() *memReg { return &memReg{inf.NewMemRegistry()} }

func (r *memReg) hasKey(path string) bool { return r.HasKey(path) }

// dump lists every key and value, lower-cased and sorted, for whole-state
// comparisons.
func (r *memReg) dump() []string {
	var out []string
	_ = r.Walk(func(p string, vals []inf.MemValue) error {
		out = append(out, "K "+strings.ToLower(p))
		for _, v := range vals {
			out = append(out, fmt.Sprintf("V %s|%s|%d|%x", strings.ToLower(p), strings.ToLower(v.Name), v.Type, v.Data))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

var _ inf.RegistryTarget = (*memReg)(nil)

// --- An independent reading of hive-INF lines, for checking effects. ---
//
// It does not use the package's lexer: it joins physical lines that end in
// '\', drops ';' comments outside quotes, splits on commas outside quotes
// and unquotes, which is all hive INFs need. Its numbers and data encodings
// follow the AddReg documentation and spec §1.6 directly.

type refLine struct{ fields []string }

func refSplit(segs []string) refLine {
	var fields []string
	var cur strings.Builder
	for _, text := range segs {
		inQ := false // a quote never continues onto the next physical line
		for i := 0; i < len(text); i++ {
			c := text[i]
			switch {
			case inQ && c == '"' && i+1 < len(text) && text[i+1] == '"':
				cur.WriteByte('"')
				i++
			case c == '"':
				inQ = !inQ
			case !inQ && c == ';':
				i = len(text)
			case !inQ && c == ',':
				fields = append(fields, strings.TrimSpace(cur.String()))
				cur.Reset()
			default:
				cur.WriteByte(c)
			}
		}
	}
	fields = append(fields, strings.TrimSpace(cur.String()))
	return refLine{fields}
}

// refLogical splits an entry's raw text into its physical lines, without
// the continuation backslashes and the whitespace around them.
func refLogical(text string) []string {
	phys := strings.Split(text, "\n")
	var out []string
	for i, p := range phys {
		p = strings.TrimRight(p, "\r")
		if i > 0 {
			p = strings.TrimLeft(p, " \t")
		}
		t := strings.TrimRight(p, " \t")
		if i < len(phys)-1 {
			t = strings.TrimRight(strings.TrimSuffix(t, `\`), " \t")
		}
		out = append(out, t)
	}
	return out
}

func refStrings(t *testing.T, text string) map[string]string {
	m := map[string]string{}
	in := false
	for _, ln := range strings.Split(text, "\n") {
		ln = strings.TrimSpace(ln)
		if strings.HasPrefix(ln, "[") {
			in = strings.EqualFold(ln, "[Strings]")
			continue
		}
		if !in || ln == "" || ln[0] == ';' {
			continue
		}
		k, v, ok := strings.Cut(ln, "=")
		require.True(t, ok, ln)
		v = strings.TrimSpace(v)
		if uq, err := strconv.Unquote(v); err == nil && strings.HasPrefix(v, `"`) {
			v = uq
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if _, dup := m[k]; !dup {
			m[k] = v
		}
	}
	return m
}

func refSubst(s string, strs map[string]string) string {
	var sb strings.Builder
	for {
		i := strings.Index(s, "%")
		if i < 0 {
			sb.WriteString(s)
			return sb.String()
		}
		j := strings.Index(s[i+1:], "%")
		if j < 0 {
			sb.WriteString(s)
			return sb.String()
		}
		tok := s[i+1 : i+1+j]
		sb.WriteString(s[:i])
		if v, ok := strs[strings.ToLower(tok)]; ok {
			sb.WriteString(v)
		} else if tok == "" {
			sb.WriteString("%")
		} else {
			sb.WriteString("%" + tok + "%")
		}
		s = s[i+j+2:]
	}
}

func utf16z(ss ...string) []byte {
	var b []byte
	for _, s := range ss {
		for _, u := range utf16.Encode([]rune(s)) {
			b = binary.LittleEndian.AppendUint16(b, u)
		}
		b = append(b, 0, 0)
	}
	return b
}

func refNumber(t *testing.T, s string) uint64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	v, err := strconv.ParseUint(s, 0, 32)
	require.NoError(t, err, "number %q", s)
	return v
}

// refExpect is the independent expectation for one AddReg line.
type refExpect struct {
	path, name string
	hasName    bool
	keyOnly    bool
	noClobber  bool
	typ        uint32
	data       []byte
}

func refDecode(t *testing.T, text string, strs map[string]string) refExpect {
	f := refSplit(refLogical(text)).fields
	for i := range f {
		f[i] = refSubst(f[i], strs)
	}
	require.GreaterOrEqual(t, len(f), 2, text)
	require.Equal(t, "HKLM", f[0], text)
	e := refExpect{path: f[1]}
	if len(f) > 2 {
		e.name, e.hasName = f[2], true
	}
	var flags uint64
	if len(f) > 3 {
		flags = refNumber(t, f[3])
	}
	e.keyOnly = flags&0x10 != 0
	e.noClobber = flags&0x2 != 0
	low := flags & 0xFFFF
	require.Zero(t, low&^0x13, "flag bits this test does not model in %q", text)
	data := f[min(4, len(f)):]
	hi := flags >> 16
	bin := flags&1 != 0
	switch {
	case !bin && hi == 0: // REG_SZ
		e.typ = 1
		e.data = utf16z(first(data))
	case !bin && hi == 2: // REG_EXPAND_SZ
		e.typ = 2
		e.data = utf16z(first(data))
	case !bin && hi == 1: // REG_MULTI_SZ
		e.typ = 7
		var ss []string
		for _, s := range data {
			if s == "" {
				break
			}
			ss = append(ss, s)
		}
		e.data = append(utf16z(ss...), 0, 0)
	case bin && hi == 1 && len(data) == 1: // REG_DWORD from a number
		e.typ = 4
		e.data = binary.LittleEndian.AppendUint32(nil, uint32(refNumber(t, data[0])))
	case bin:
		e.typ = uint32(hi)
		if hi == 0 {
			e.typ = 3
		} else if hi == 1 {
			e.typ = 4
		} else if hi == 2 {
			e.typ = 0
		}
		for _, x := range data {
			v, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(x, "0x"), "0X"), 16, 8)
			require.NoError(t, err, "byte %q in %q", x, text)
			e.data = append(e.data, byte(v))
		}
	default:
		t.Fatalf("type %#x not modelled: %q", flags, text)
	}
	return e
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// TestApplyHivesys applies setupreg.inf's [DelReg] and then hivesys.inf's
// [AddReg] to an in-memory registry, line by line, and checks each line's
// effect against the independent decoding above.
func TestApplyHivesys(t *testing.T) {
	sysB := testutil.ReadFixture(t, "inf/reactos/hivesys.inf")
	regB := testutil.ReadFixture(t, "inf/reactos/setupreg.inf")
	sys, err := inf.Parse(sysB, nil)
	require.NoError(t, err)
	reg, err := inf.Parse(regB, nil)
	require.NoError(t, err)
	strs := refStrings(t, string(sysB))
	opts := &inf.ApplyOptions{Roots: map[string]string{`HKLM\SYSTEM`: ""}}

	r := newMemReg()
	// Seed a key setupreg.inf deletes, to see the deletion happen.
	require.NoError(t, r.SetRawValue(`CurrentControlSet\Control\CriticalDeviceDatabase\GenDisk`, "Service", 1, utf16z("old")))
	delOps, err := reg.RegOps("DelReg", true)
	require.NoError(t, err)
	require.Len(t, delOps, 31)
	rep, err := inf.ApplyOps(r, delOps, opts)
	require.NoError(t, err)
	assert.Equal(t, 31, rep.Count(inf.OutcomeApplied))
	assert.False(t, r.hasKey(`CurrentControlSet\Control\CriticalDeviceDatabase`))
	for _, op := range delOps {
		assert.Equal(t, inf.OpDeleteKey, op.Kind)
	}

	ops, err := sys.RegOps("AddReg", false)
	require.NoError(t, err)
	require.Greater(t, len(ops), 1500)
	checked := 0
	for _, op := range ops {
		text := op.Line.Text()
		want := refDecode(t, text, strs)
		path := strings.TrimPrefix(want.path, `SYSTEM\`)
		require.True(t, strings.HasPrefix(want.path, `SYSTEM\`), text)
		beforeTyp, beforeData, existed, err := r.RawValue(path, want.name)
		require.NoError(t, err)

		rep, err := inf.ApplyOps(r, []inf.RegOp{op}, opts)
		require.NoError(t, err, text)
		require.Len(t, rep.Ops, 1)
		require.True(t, r.hasKey(path), "key %s exists after %q", path, text)
		switch {
		case want.keyOnly:
			assert.Equal(t, inf.OpCreateKey, op.Kind, text)
		case want.noClobber && existed:
			typ, data, ok, _ := r.RawValue(path, want.name)
			require.True(t, ok)
			assert.Equal(t, beforeTyp, typ, text)
			assert.Equal(t, beforeData, data, text)
			assert.Equal(t, inf.OutcomeKeptExisting, rep.Ops[0].Outcome)
		default:
			typ, data, ok, _ := r.RawValue(path, want.name)
			require.True(t, ok, "value %s\\%q after %q", path, want.name, text)
			assert.Equal(t, want.typ, typ, text)
			assert.Equal(t, want.data, data, "data of %q", text)
		}
		checked++
	}
	assert.Equal(t, len(ops), checked)

	// The same through the one-call API gives the same final state.
	r2 := newMemReg()
	require.NoError(t, r2.SetRawValue(`CurrentControlSet\Control\CriticalDeviceDatabase\GenDisk`, "Service", 1, utf16z("old")))
	rep2, err := inf.ApplyHiveINF(r2, opts, reg, sys)
	require.NoError(t, err)
	assert.Equal(t, len(delOps)+len(ops), len(rep2.Ops))
	assert.Equal(t, r.dump(), r2.dump())

	// Spot checks on lines that exercise continuations and substitution.
	typ, data, ok, _ := r.RawValue(`CurrentControlSet\Control\ServiceGroupOrder`, "List")
	require.True(t, ok)
	assert.Equal(t, uint32(7), typ)
	list, _ := inf.DecodeMultiSZ(data)
	assert.Equal(t, "System Reserved", list[0])
	assert.Contains(t, list, "NetworkProviderRemoteValidation", "a missing comma before '\\' joins two strings, as SetupAPI does")
	assert.Equal(t, "MS Transactions", list[len(list)-1])
	typ, data, ok, _ = r.RawValue(`CurrentControlSet\Control\GroupOrderList`, "SCSI Miniport")
	require.True(t, ok)
	assert.Equal(t, uint32(3), typ)
	assert.Equal(t, []byte{2, 0, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0, 0}, data)
	typ, data, ok, _ = r.RawValue(`CurrentControlSet\Control\CrashControl`, "DumpFile")
	require.True(t, ok)
	assert.Equal(t, uint32(2), typ)
	assert.Equal(t, utf16z(`%SystemRoot%\MEMORY.DMP`), data, "unknown tokens stay verbatim")
}

func TestApplyRootsAndFlags(t *testing.T) {
	src := `[Version]
Signature="$Windows NT$"
[DelReg]
HKLM,Soft\Gone
HKLM,Soft\Keep,OldValue
HKLM,Soft\Keep,Ignored,0x00000001
[AddReg]
HKLM,Soft\Keep,Str,,"hello"
HKLM,Soft\Keep,Str,0x00000002,"not written"
HKLM,Soft\Keep,Missing,0x00000020,"not written"
HKLM,Soft\Keep,Str,0x00000020,"overwritten"
HKLM,Soft\Keep,List,0x00010000,"a","b"
HKLM,Soft\Keep,List,0x00010008,"B","c"
HKLM,Soft\Keep,NoList,0x00010008,"x"
HKLM,Soft\Keep,Dw,0x00010001,0x1234
HKLM,Soft\Keep,DwBytes,0x00010001,01,02,03,04
HKLM,Soft\Keep,Bin,0x00000001,de,ad,BE,0xef
HKLM,Soft\Keep,Typed,0x00070001,61,00,00,00
HKLM,Soft\Keep,Exp,0x00020000,"%%SystemRoot%%"
HKLM,Soft\Keep,Del,,"x"
HKLM,Soft\Keep,Del,0x00000004
HKLM,Soft\KeyOnly,,0x00000010
HKLM,Soft\Keep,,,"default"
HKLM,Soft\Keep,Ignored2,0x00008000
HKCU,Other,V,,"unmapped"
[DelReg2]
HKLM,Soft\Keep,List,0x00018002,"a"
`
	d, err := inf.Parse([]byte(src), nil)
	require.NoError(t, err)
	r := newMemReg()
	require.NoError(t, r.SetRawValue(`S\Gone\Sub`, "x", 1, utf16z("y")))
	require.NoError(t, r.SetRawValue(`S\Keep`, "OldValue", 1, utf16z("y")))
	require.NoError(t, r.SetRawValue(`S\Keep`, "Ignored", 1, utf16z("y")))
	opts := &inf.ApplyOptions{Roots: map[string]string{`HKLM\Soft`: `S`}}
	rep, err := d.ApplyRegistry(r, "DelReg", "AddReg", opts)
	require.NoError(t, err)
	rep2, err := d.ApplyRegistry(r, "DelReg2", "", opts)
	require.NoError(t, err)
	assert.Equal(t, inf.OpDeleteMultiSZString, rep2.Ops[0].Op.Kind)

	assert.False(t, r.hasKey(`S\Gone`))
	val := func(name string) (uint32, []byte) {
		typ, data, ok, err := r.RawValue(`S\Keep`, name)
		require.NoError(t, err)
		require.True(t, ok, name)
		return typ, data
	}
	_, _, ok, _ := r.RawValue(`S\Keep`, "OldValue")
	assert.False(t, ok, "DelReg line with a value name deletes the value")
	val("Ignored") // DelReg line without FLG_ADDREG_DELREG_BIT is ignored
	typ, data := val("Str")
	assert.Equal(t, uint32(1), typ)
	assert.Equal(t, utf16z("overwritten"), data)
	_, _, ok, _ = r.RawValue(`S\Keep`, "Missing")
	assert.False(t, ok, "OVERWRITEONLY does not create values")
	_, data = val("List")
	assert.Equal(t, append(utf16z("b", "c"), 0, 0), data, "APPEND dedupes case-insensitively; DELSTRING removes")
	_, _, ok, _ = r.RawValue(`S\Keep`, "NoList")
	assert.False(t, ok, "APPEND needs an existing REG_MULTI_SZ")
	typ, data = val("Dw")
	assert.Equal(t, uint32(4), typ)
	assert.Equal(t, []byte{0x34, 0x12, 0, 0}, data)
	_, data = val("DwBytes")
	assert.Equal(t, []byte{1, 2, 3, 4}, data)
	typ, data = val("Bin")
	assert.Equal(t, uint32(3), typ)
	assert.Equal(t, []byte{0xde, 0xad, 0xbe, 0xef}, data)
	typ, _ = val("Typed")
	assert.Equal(t, uint32(7), typ)
	typ, data = val("Exp")
	assert.Equal(t, uint32(2), typ)
	assert.Equal(t, utf16z("%SystemRoot%"), data)
	_, _, ok, _ = r.RawValue(`S\Keep`, "Del")
	assert.False(t, ok, "DELVAL deletes")
	assert.True(t, r.hasKey(`S\KeyOnly`))
	_, data = val("")
	assert.Equal(t, utf16z("default"), data)
	assert.Equal(t, 1, rep.Count(inf.OutcomeUnmapped))
	assert.Equal(t, 2, rep.Count(inf.OutcomeIgnored))
	assert.Equal(t, 1, rep.Count(inf.OutcomeKeptExisting))
	assert.Equal(t, 2, rep.Count(inf.OutcomeMissingTarget))
}

type failingTarget struct{ *inf.MemRegistry }

var errTarget = errors.New("target broke")

func (f *failingTarget) SetRawValue(string, string, uint32, []byte) error { return errTarget }

func TestApplyTargetError(t *testing.T) {
	d, err := inf.Parse([]byte("[AddReg]\nHKLM,A,B,,\"c\"\n"), nil)
	require.NoError(t, err)
	ft := &failingTarget{inf.NewMemRegistry()}
	_, err = inf.ApplyHiveINF(ft, nil, d)
	require.ErrorIs(t, err, errTarget)
}

func TestParseRegLineErrors(t *testing.T) {
	d, err := inf.Parse([]byte("[AddReg]\n,A,B\nHKLM,A,B,flags\n"), nil)
	require.NoError(t, err)
	for _, l := range d.Section("AddReg").Entries() {
		_, err := inf.ParseRegLine(l, false)
		require.ErrorIs(t, err, inf.ErrValue)
		var le *inf.LineError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "AddReg", le.Section)
	}
}

func TestMemRegistry(t *testing.T) {
	r := inf.NewMemRegistry()
	require.NoError(t, r.CreateKey(`A\b\C`))
	require.NoError(t, r.SetRawValue(`a\B`, "Zeta", 1, []byte{1, 0, 0, 0}))
	require.NoError(t, r.SetRawValue(`A\b`, "alpha", 4, []byte{2, 0, 0, 0}))
	require.NoError(t, r.SetRawValue(`A\b`, "", 1, []byte{0, 0}))
	require.NoError(t, r.SetRawValue(`A\a`, "x", 1, nil))
	typ, data, ok, err := r.RawValue(`a\b`, "ALPHA")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, uint32(4), typ)
	assert.Equal(t, []byte{2, 0, 0, 0}, data)
	var got []string
	require.NoError(t, r.Walk(func(p string, vals []inf.MemValue) error {
		var names []string
		for _, v := range vals {
			names = append(names, v.Name)
		}
		got = append(got, p+":"+strings.Join(names, ","))
		return nil
	}))
	assert.Equal(t, []string{":", "A:", `A\a:x`, `A\b:,alpha,Zeta`, `A\b\C:`}, got)
	require.NoError(t, r.DeleteValue(`A\B`, "zeta"))
	require.NoError(t, r.DeleteKey(`a\b`))
	assert.False(t, r.HasKey(`A\b\C`))
	assert.True(t, r.HasKey(`A\a`))
	require.NoError(t, r.DeleteKey(`nope\nothing`))
	require.NoError(t, r.DeleteKey(""))
	assert.False(t, r.HasKey("A"))
	_, _, ok, _ = r.RawValue(`A\a`, "x")
	assert.False(t, ok)
	stop := errors.New("stop")
	require.ErrorIs(t, r.Walk(func(string, []inf.MemValue) error { return stop }), stop)
}
