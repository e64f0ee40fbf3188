package inf_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// The hostile-reader suite: every public reader of a parsed document, run
// on 1 MiB inputs built to make readers allocate in proportion to what they
// return (huge counts of models, manufacturers, registry lines, files,
// services; string tokens expanding to 4,000 characters; tokens naming each
// other; deep continuations; UTF-16). Each call must end with a result or
// an error wrapping one of the package's sentinels, never panic, and
// allocate at most 64 MiB (TotalAlloc delta, after a GC).

const readerInputSize = 1 << 20

// build returns head, then unit(0), unit(1), ... as long as the whole
// stays within size bytes, then tail.
func build(size int, head string, unit func(i int) string, tail string) string {
	var sb strings.Builder
	sb.Grow(size)
	sb.WriteString(head)
	for i := 0; ; i++ {
		u := unit(i)
		if sb.Len()+len(u)+len(tail) > size {
			break
		}
		sb.WriteString(u)
	}
	sb.WriteString(tail)
	return sb.String()
}

// rep is a unit that does not depend on its index.
func rep(s string) func(int) string { return func(int) string { return s } }

// interleave splits the units of several generators evenly: unit i comes
// from generator i mod len(g), with index i / len(g).
func interleave(g ...func(int) string) func(int) string {
	return func(i int) string { return g[i%len(g)](i / len(g)) }
}

// asUTF16 encodes s as UTF-16LE with a BOM, cut (on a line boundary) so
// that the result fits in readerInputSize.
func asUTF16(s string) []byte {
	max := readerInputSize/2 - 1
	if len(s) > max {
		s = s[:strings.LastIndexByte(s[:max], '\n')+1]
	}
	return append([]byte{0xFF, 0xFE}, encodeUTF16(s, false)...)
}

const sig = "[Version]\nSignature=\"$Windows NT$\"\nClass=SCSIAdapter\nDriverVer=01/02/2020,1.2.3.4\n"

// longValue is a [Strings] value at the field length limit.
var longValue = strings.Repeat("x", 4000)

const longStrings = "[Strings]\nb=\"" // + longValue + "\"\n"

func stringsSection() string { return longStrings + longValue + "\"\na=\"%b%\"\nc=\"%a%\"\n" }

// hostileInput is a document the suite reads, with the options it is
// parsed with.
type hostileInput struct {
	name string
	in   []byte
	opts *inf.ReadOptions
}

// hostileReaderInputs are the documents the suite reads.
func hostileReaderInputs() []hostileInput {
	n := readerInputSize
	hex := func(i int) string { return fmt.Sprintf("%x", i) }
	s := func(name, text string) hostileInput { return hostileInput{name, []byte(text), nil} }
	oem := func(name, text string) hostileInput {
		return hostileInput{name, []byte(text), &inf.ReadOptions{Dialect: inf.TextSetup}}
	}
	// half fills about half the input with unit(i).
	half := func(unit func(i int) string) string { return build(n/2-512, "", unit, "") }
	lines := "[s]\n" + strings.Repeat("k=v\n", inf.DefaultLimits.MaxLines-1)
	driver := sig + "[Manufacturer]\nm=M,NTamd64,NTx86\n[i]\nCopyFiles=c\n[i.Services]\nAddService=s,2,v\n" +
		"[v]\nServiceType=1\nStartType=0\nServiceBinary=%12%\\s.sys\n[c]\ns.sys\n"
	models := build(n, driver+"[M.NTamd64]\n", rep("d=i,P\n"), "")
	regs := build(n, sig+"[AddReg]\n", rep("HKLM,K,V,1,01,02\n"), "")
	tokens := build(n, stringsSection()+"[s]\n", func(i int) string { return "k=%b%" + hex(i) + "\n" }, "")
	return []hostileInput{
		s("lines", lines),
		s("bare lines", "[s]\n"+strings.Repeat("k\n", inf.DefaultLimits.MaxLines-1)),
		s("sections", build(n, sig, func(i int) string { return "[" + hex(i) + "]\nk=v\n" }, "")),
		s("models", models),
		s("models with IDs", build(n, driver+"[M.NTamd64]\n", func(i int) string { return "d=i,P" + hex(i) + ",C" + hex(i) + ",C\n" }, "")),
		s("models with missing installs", build(n, sig+"[Manufacturer]\nm=M,NTamd64\n[M.NTamd64]\n", func(i int) string { return "d=" + hex(i) + ",P\n" }, "")),
		s("models with installs", build(n, sig+"[Manufacturer]\nm=M,NTamd64\n[SourceDisksNames]\n1=d\n[DestinationDirs]\nDefaultDestDir=12\n"+
			"[v]\nServiceType=1\nStartType=0\nServiceBinary=%12%\\s.sys\n[M.NTamd64]\n",
			func(i int) string {
				h := hex(i)
				return "d=i" + h + ",P" + h + "\n[i" + h + "]\nCopyFiles=c" + h + "\n[i" + h + ".Services]\nAddService=s" + h + ",2,v\n[c" + h + "]\nf" + h + "\n[M.NTamd64]\n"
			}, "")),
		s("manufacturers sharing models", build(n, sig+"[i]\n[M.NTamd64]\n"+strings.Repeat("d=i,P\n", 40000)+"[Manufacturer]\n", rep("m=M,NTamd64\n"), "")),
		s("manufacturers", build(n, sig+"[Manufacturer]\n", func(i int) string { return "m=M" + hex(i) + ",NTamd64\n" }, "")),
		s("decorations", build(n, sig+"[Manufacturer]\nm=M", rep(",NTamd64.10.0...1"), "\n")),
		s("invalid decorations", build(n, sig+"[Manufacturer]\nm=M", rep(",NT$ARCH$"), "\n")),
		s("services sharing a service section", driver+"[M.NTamd64]\nd=i,P\n[i.Services]\n"+
			half(rep("AddService=s,2,v\n"))+"[v]\n"+half(func(i int) string { return "Dependencies=" + hex(i) + "\n" })),
		s("file lists", driver+"[M.NTamd64]\nd=i,P\n[c]\n"+half(func(i int) string { return "f" + hex(i) + "\n" })+
			"[SourceDisksFiles]\n"+build(n/4, "", func(i int) string { return "f" + hex(i) + "=" + hex(i) + "\n" }, "")+
			"[SourceDisksNames]\n"+build(n/5, "", func(i int) string { return hex(i) + "=d\n" }, "")),
		s("CopyFiles repeated", driver+"[M.NTamd64]\nd=i,P\n[i]\nCopyFiles=c"+half(rep(",c"))+"\n[c]\n"+
			build(n/3, "", func(i int) string { return "f" + hex(i) + "\n" }, "")),
		s("install directives", build(n, driver+"[M.NTamd64]\nd=i,P\n[i]\n", interleave(
			func(i int) string { return "CopyFiles=c,@f" + hex(i) + "\n" },
			func(i int) string { return "AddReg=r" + hex(i) + "\n" },
			func(i int) string { return "Include=x.inf\nNeeds=n\n" },
		), "")),
		s("Version", build(n, sig, interleave(
			func(i int) string { return "CatalogFile.nt" + hex(i) + "=c.cat\n" },
			func(i int) string { return "DriverVer=01/01/2020," + strconvItoa(i%60000) + "\n" },
		), "")),
		s("AddReg lines", regs),
		s("AddReg keys", build(n, sig+"[AddReg]\n", func(i int) string { return "HKLM," + hex(i) + "\n" }, "")),
		s("AddReg paths", build(n, sig+"[AddReg]\n", func(i int) string { return "HKLM, \\SYSTEM\\ a" + hex(i) + " \\\\b ,v,1,1\n" }, "")),
		s("DelReg lines", build(n, sig+"[DelReg]\n", func(i int) string { return "HKLM," + hex(i) + ",v\n" }, "")),
		s("AddReg hex bytes", build(n, sig+"[AddReg]\nHKLM,K,V,1", rep(",ff"), "\n")),
		s("AddReg multi-sz append", build(n, sig+"[AddReg]\nHKLM,K,V,0x10000,a\nHKLM,K,V,0x10008", func(i int) string { return "," + hex(i) }, "\n")),
		s("AddReg multi-sz delete", build(n, sig+"[AddReg]\nHKLM,K,V,0x10000", func(i int) string { return "," + hex(i) }, "\n[DelReg]\nHKLM,K,V,0x18002,a\n")),
		s("string tokens", tokens),
		s("string tokens in one field list", build(n, stringsSection()+"[AddReg]\nHKLM,K,V,0x10000", func(i int) string { return ",%b%" + hex(i) }, "\n")),
		s("string tokens everywhere", build(n, sig+stringsSection()+"[Manufacturer]\n%b%=M,NTamd64\n",
			interleave(
				func(i int) string { return "[M.NTamd64]\n%b%" + hex(i) + "=i,%b%" + hex(i) + ",%b%" + hex(i) + "\n" },
				func(i int) string { return "[AddReg]\nHKLM,%b%" + hex(i) + ",%b%,0,%b%" + hex(i) + "\n" },
				func(i int) string {
					return "[i]\nCopyFiles=%b%" + hex(i) + "\n[%b%" + hex(i) + "]\n%b%" + hex(i) + "\n"
				},
			), "")),
		s("tokens naming each other", build(n, "[Strings]\na=\"%b%\"\nb=\"%a%\"\n[s]\n", rep("k=%a%,%b%,%%a%%\n"), "")),
		s("deep continuation", build(n, sig+"[AddReg]\n", func(int) string {
			return "HKLM,K,V,1" + strings.Repeat(",01,02,03\\\n", inf.DefaultLimits.MaxContinuationLines-1) + "\n"
		}, "")),
		oem("txtsetup.oem", build(n, "[Disks]\nd = \"D\",\\t,\\\n[Defaults]\nscsi = o0\n[Config.k]\nv = \"\",v,REG_DWORD,1\n[scsi]\n",
			func(i int) string {
				h := hex(i)
				return "o" + h + " = \"d\"\n[Files.scsi.o" + h + "]\ndriver = d" + h + ", a.sys, k\n[HardwareIds.scsi.o" + h + "]\nid = \"P\",\"b\"\n[scsi]\n"
			}, "")),
		oem("txtsetup.oem lookups", "[Files.scsi.o]\n"+build(n/4, "", rep("driver = d, a.sys, k\n"), "")+"[scsi]\no=\"d\"\n[Defaults]\n"+
			build(n/4, "", rep("scsi = x\n"), "")+"[Disks]\n"+build(n/3, "", func(i int) string { return "d" + hex(i) + " = \"D\",\\t,\\\n" }, "")+
			"[Config.k]\n"+build(n/8, "", func(i int) string { return "v = \"\",v,REG_X,1\n" }, "")),
		s("placeholders", build(n, sig+"[s]\n", rep("$ARCH$=INX_X_INX_X\n"), "")),
		{"UTF-16 lines", asUTF16(lines), nil},
		{"UTF-16 models", asUTF16(models), nil},
		{"UTF-16 AddReg lines", asUTF16(regs), nil},
		{"UTF-16 string tokens", asUTF16(tokens), nil},
	}
}

func strconvItoa(i int) string { return fmt.Sprint(i) }

// nullTarget is a RegistryTarget that keeps nothing, so that only the
// package's own allocations are measured.
type nullTarget struct{}

func (nullTarget) CreateKey(string) error                           { return nil }
func (nullTarget) SetRawValue(string, string, uint32, []byte) error { return nil }
func (nullTarget) RawValue(string, string) (uint32, []byte, bool, error) {
	return uint32(inf.RegMultiSZ), inf.EncodeMultiSZ([]string{"a", "b"}), true, nil
}
func (nullTarget) DeleteValue(string, string) error { return nil }
func (nullTarget) DeleteKey(string) error           { return nil }

var (
	osAMD64 = inf.OS{Arch: inf.AMD64, Major: 10, Build: 19041}
	osX86   = inf.OS{Arch: inf.X86, Major: 6, Minor: 1}
)

// hostileReaders are the operations measured. They share one parsed
// document per input, with the substitution memo emptied before each, so
// that each pays for its own substitutions; Stamp, which rewrites the
// document, gets one of its own.
var hostileReaders = []struct {
	name string
	fn   func(d *inf.Document) error
}{
	{"Fields", func(d *inf.Document) error {
		for range 2 { // a second pass must not allocate the substituted text again
			for l := range d.Lines() {
				_, _ = l.Key(), l.Fields()
			}
		}
		return nil
	}},
	{"Substitute", func(d *inf.Document) error {
		for l := range d.Lines() {
			for _, f := range l.RawFields() {
				if _, err := d.Substitute(f); err != nil {
					return err
				}
			}
		}
		return nil
	}},
	{"Version", func(d *inf.Document) error {
		if _, err := d.Version(); err != nil {
			return err
		}
		return d.CheckSignature()
	}},
	{"Manufacturers", func(d *inf.Document) error {
		read := map[string]bool{}
		for _, m := range d.Manufacturers() {
			for _, o := range []inf.OS{osAMD64, osX86} {
				if sec, _, ok := m.Select(o); ok && !read[strings.ToLower(sec)] {
					read[strings.ToLower(sec)] = true
					_ = d.Models(sec)
				}
			}
		}
		return nil
	}},
	{"Install", func(d *inf.Document) error {
		for _, s := range d.Sections() {
			if _, _, err := d.Install(s.Name(), inf.AMD64); err != nil {
				return err
			}
		}
		return nil
	}},
	{"Services", func(d *inf.Document) error {
		for _, s := range d.Sections() {
			_, _ = d.Services(s.Name())
		}
		return nil
	}},
	{"CopyFileList", func(d *inf.Document) error {
		names := make([]string, 0, 2*len(d.Sections()))
		for _, s := range d.Sections() {
			names = append(names, s.Name(), "@"+s.Name())
		}
		_, _ = d.CopyFileList(names, inf.AMD64)
		return nil
	}},
	{"Driver", func(d *inf.Document) error {
		for _, o := range []inf.OS{osAMD64, osX86} {
			if _, err := d.Driver(o); err != nil {
				return err
			}
		}
		return nil
	}},
	{"RegOps AddReg", func(d *inf.Document) error { return regOpsAll(d, false) }},
	{"RegOps DelReg", func(d *inf.Document) error { return regOpsAll(d, true) }},
	{"ApplyOps", func(d *inf.Document) error {
		ops, err := d.RegOps("AddReg", false)
		if err != nil {
			return err
		}
		_, err = inf.ApplyOps(nullTarget{}, ops, nil)
		return err
	}},
	{"ApplyHiveINF", func(d *inf.Document) error {
		_, err := inf.ApplyHiveINF(nullTarget{}, &inf.ApplyOptions{Roots: map[string]string{`HKLM\SYSTEM`: "", "HKLM": ""}}, d)
		return err
	}},
	{"ApplyRegistry MemRegistry", func(d *inf.Document) error {
		_, err := d.ApplyRegistry(inf.NewMemRegistry(), "DelReg", "AddReg", nil)
		return err
	}},
	{"OEM", func(d *inf.Document) error {
		_ = inf.NewOEM(d).Lint(nil)
		return nil
	}},
	{"Audit", func(d *inf.Document) error {
		small, err := inf.Parse([]byte(sig+"[Manufacturer]\nm=M,NTamd64\n[M.NTamd64]\nd=i,P\n[i]\n[i.Services]\nAddService=s,2,v\n[v]\nServiceBinary=%12%\\s.sys\n"), nil)
		if err != nil {
			return err
		}
		_, err = inf.Audit([]inf.Package{{Name: "hostile", Doc: d}, {Name: "small", Doc: small}}, osAMD64)
		return err
	}},
	{"Dump", func(d *inf.Document) error {
		_ = d.Summary()
		return d.Dump(io.Discard)
	}},
	{"Stamp", func(d *inf.Document) error {
		dv := inf.DriverVer{Date: inf.Date{Year: 2024, Month: 1, Day: 2}}
		return d.Stamp(inf.StampOptions{Arch: inf.AMD64, DriverVer: &dv,
			Placeholders: map[string]string{"INX_X": "1AF4"}})
	}},
}

// regOpsAll decodes every section as registry lines; lines that are not
// registry lines fail with ErrValue.
func regOpsAll(d *inf.Document, del bool) error {
	for _, s := range d.Sections() {
		if _, err := d.RegOps(s.Name(), del); err != nil && !errors.Is(err, inf.ErrValue) {
			return err
		}
	}
	return nil
}

// typedErr reports whether err wraps one of the package's sentinels.
func typedErr(err error) bool {
	for _, s := range []error{inf.ErrFormat, inf.ErrLimit, inf.ErrNotFound, inf.ErrSignature, inf.ErrValue, inf.ErrEncoding} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// measure returns the bytes allocated by fn (the growth of TotalAlloc,
// which a collection does not change; the suite collects once per input,
// as a collection costs up to a few hundred milliseconds with a parsed
// 1 MiB document live).
func measure(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestHostileReaders runs every reader on every hostile input: typed error
// or success, no panic, at most 64 MiB allocated by each call.
func TestHostileReaders(t *testing.T) {
	start := time.Now()
	// Fewer collections while the readers run (the heap stays within a
	// few hundred MB): a collection with a parsed 1 MiB document live
	// costs tens of milliseconds.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	for _, in := range hostileReaderInputs() {
		t.Run(in.name, func(t *testing.T) {
			require.LessOrEqual(t, len(in.in), readerInputSize)
			var d *inf.Document
			var err error
			runtime.GC()
			n := measure(func() { d, err = inf.Parse(in.in, in.opts) })
			t.Logf("%-26s %6.1f MiB (%d bytes) %v", "Parse", float64(n)/(1<<20), len(in.in), err)
			assert.LessOrEqual(t, n, uint64(testutil.MaxHostileAlloc), "Parse")
			require.NoError(t, err)
			for _, r := range hostileReaders {
				t.Run(r.name, func(t *testing.T) {
					d := d
					if r.name == "Stamp" { // it rewrites the document
						var err error
						d, err = inf.Parse(in.in, in.opts)
						require.NoError(t, err)
					} else {
						inf.ResetSubstitution(d)
					}
					var err error
					var el time.Duration
					n := measure(func() {
						t0 := time.Now()
						assert.NotPanics(t, func() { err = r.fn(d) })
						el = time.Since(t0)
					})
					t.Logf("%-26s %6.1f MiB %6dms %v", r.name, float64(n)/(1<<20), el.Milliseconds(), err)
					assert.LessOrEqual(t, n, uint64(testutil.MaxHostileAlloc), r.name)
					assert.Less(t, el, 30*time.Second, "%s: a quadratic path?", r.name)
					if err != nil {
						assert.True(t, typedErr(err), "untyped error: %v", err)
					}
				})
			}
		})
	}
	t.Logf("total %v", time.Since(start))
}

// budgetDoc is a driver INF whose every models line, AddReg line and
// [Version] value needs substitution to be built: "%b%" followed by a
// suffix, where b is 4,000 characters.
func budgetDoc(lines int) string {
	var sb strings.Builder
	sb.WriteString("[Version]\nSignature=\"$Windows NT$\"\nProvider=%b%p\n[Manufacturer]\nm=M,NTamd64\n[i]\n[M.NTamd64]\n")
	for i := range lines {
		fmt.Fprintf(&sb, "%%b%%%d=i,P%d\n", i, i)
	}
	sb.WriteString("[AddReg]\n")
	for i := range lines {
		fmt.Fprintf(&sb, "HKLM,K,V%d,0,%%b%%%d\n", i, i)
	}
	sb.WriteString(stringsSection())
	return sb.String()
}

// TestSubstitutionBudget: substitution that has to build text is charged
// to Limits.MaxSubstitution; once it runs out, readers with an error
// result fail with ErrLimit and the accessors return fields unsubstituted;
// an edit starts the budget again.
func TestSubstitutionBudget(t *testing.T) {
	const lines = 50
	lim := inf.Limits{MaxSubstitution: 20 * (4000 + 128 + 8)} // about 20 fields
	src := budgetDoc(lines)
	opts := &inf.ReadOptions{Limits: &lim}
	d, err := inf.Parse([]byte(src), opts)
	require.NoError(t, err)
	require.NoError(t, d.SubstitutionErr())

	// The first models lines are substituted (their key is the value of
	// b and the index), the later ones come back as written.
	m := d.Models("M.NTamd64")
	require.Len(t, m, lines)
	assert.True(t, m[0].Description == longValue+"0", "first key substituted")
	assert.Equal(t, fmt.Sprintf("%%b%%%d", lines-1), m[lines-1].Description, "past the budget: unsubstituted")
	require.ErrorIs(t, d.SubstitutionErr(), inf.ErrLimit)
	_, err = d.Substitute("%b%x")
	require.ErrorIs(t, err, inf.ErrLimit)
	s, err := d.Substitute(m[0].Line.RawKey()) // built before: still shared
	require.NoError(t, err)
	assert.True(t, s == longValue+"0")

	// Readers with an error result report it.
	_, err = d.Driver(osAMD64)
	require.ErrorIs(t, err, inf.ErrLimit)
	_, err = d.Version()
	require.ErrorIs(t, err, inf.ErrLimit)
	_, err = d.RegOps("AddReg", false)
	require.ErrorIs(t, err, inf.ErrLimit)
	_, _, err = d.Install("i", inf.AMD64)
	require.ErrorIs(t, err, inf.ErrLimit)
	require.ErrorIs(t, d.Dump(io.Discard), inf.ErrLimit)
	r := inf.NewMemRegistry()
	rep, err := inf.ApplyHiveINF(r, nil, d)
	require.ErrorIs(t, err, inf.ErrLimit)
	assert.Empty(t, rep.Ops, "a section that does not decode is not applied")
	assert.False(t, r.HasKey(`HKEY_LOCAL_MACHINE\K`))
	_, err = inf.Audit([]inf.Package{{Name: "p", Doc: d}}, osAMD64)
	require.ErrorIs(t, err, inf.ErrLimit)
	oem := "[Disks]\n" + build(400, "", func(i int) string { return fmt.Sprintf("d = %%b%%%d\n", i) }, "") + stringsSection()
	_, err = inf.ParseOEM([]byte(oem), &inf.ReadOptions{Limits: &lim})
	require.ErrorIs(t, err, inf.ErrLimit)
	_, err = inf.ParseOEM([]byte(oem), nil)
	require.NoError(t, err)

	// An edit starts the budget again.
	require.NoError(t, d.Section("Version").Find("Provider").SetField(0, "x"))
	require.NoError(t, d.SubstitutionErr())
	m = d.Models("M.NTamd64")
	assert.True(t, m[0].Description == longValue+"0")
	require.ErrorIs(t, d.SubstitutionErr(), inf.ErrLimit)

	// With the default budget the whole document reads, and reading it
	// again builds nothing more.
	d, err = inf.Parse([]byte(src), nil)
	require.NoError(t, err)
	dr, err := d.Driver(osAMD64)
	require.NoError(t, err)
	require.Len(t, dr.Devices, lines)
	for i, dv := range dr.Devices {
		assert.True(t, dv.Description == longValue+fmt.Sprint(i), "device %d", i)
	}
	used := inf.SubstitutionUsed(d)
	n := measure(func() {
		for range 10 {
			for l := range d.Lines() {
				_, _ = l.Key(), l.Fields()
			}
			_, err = d.Driver(osAMD64)
		}
	})
	require.NoError(t, err)
	assert.Less(t, n, uint64(10*lines*4000), "reads share the strings built once")
	assert.Equal(t, used, inf.SubstitutionUsed(d),
		"the AddReg data share the models keys' results (same text); reading again builds nothing")
}

// TestSubstitutionShares: fields that are one token, or name no known
// token, share the document's text and cost no budget; every fixture reads
// with a tiny part of the default budget.
func TestSubstitutionShares(t *testing.T) {
	d, err := inf.Parse([]byte(stringsSection()+"[s]\n"+strings.Repeat("k=%b%,%B%,%unknown%,%12%\\x,plain\n", 5000)), nil)
	require.NoError(t, err)
	n := measure(func() {
		for l := range d.Lines() {
			_, _ = l.Key(), l.Fields()
		}
	})
	assert.Zero(t, inf.SubstitutionUsed(d))
	assert.Less(t, n, uint64(5000*5*16*2), "only the slices Fields returns")
	for _, p := range infFixtures(t) {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		d, err := inf.Parse(b, optsFor(p))
		require.NoError(t, err)
		for l := range d.Lines() {
			_, _ = l.Key(), l.Fields()
		}
		require.NoError(t, d.SubstitutionErr(), p)
		assert.Less(t, inf.SubstitutionUsed(d), int64(64<<10), p)
	}
}

// TestMaxDevices: a models section selected by many manufacturers counts
// once per manufacturer, up to Limits.MaxDevices.
func TestMaxDevices(t *testing.T) {
	doc := func(mfs int) []byte {
		return []byte(sig + "[i]\n[M.NTamd64]\n" + strings.Repeat("d=i,P\n", 10) + "[Manufacturer]\n" + strings.Repeat("m=M,NTamd64\n", mfs))
	}
	lim := inf.Limits{MaxDevices: 100}
	d, err := inf.Parse(doc(10), &inf.ReadOptions{Limits: &lim})
	require.NoError(t, err)
	dr, err := d.Driver(osAMD64)
	require.NoError(t, err)
	assert.Len(t, dr.Devices, 100)
	assert.Len(t, dr.Manufacturers, 10)
	d, err = inf.Parse(doc(11), &inf.ReadOptions{Limits: &lim})
	require.NoError(t, err)
	_, err = d.Driver(osAMD64)
	require.ErrorIs(t, err, inf.ErrLimit)
	_, err = inf.Audit([]inf.Package{{Name: "p", Doc: d}}, osAMD64)
	require.ErrorIs(t, err, inf.ErrLimit)
	assert.Equal(t, 100000, inf.DefaultLimits.MaxDevices)
	assert.Equal(t, int64(8<<20), inf.DefaultLimits.MaxSubstitution)
}

// TestMaxWarnings: a reader call lists Limits.MaxWarnings warnings and
// then one that counts the rest.
func TestMaxWarnings(t *testing.T) {
	lim := inf.Limits{MaxWarnings: 10}
	src := sig + "[Manufacturer]\nm=M,NTamd64\n[M.NTamd64]\nd=i,P\n[i]\nCopyFiles=c\n[c]\n" + build(2000, "", func(i int) string { return fmt.Sprintf("f%d\n", i) }, "")
	d, err := inf.Parse([]byte(src), &inf.ReadOptions{Limits: &lim})
	require.NoError(t, err)
	files := len(d.Section("c").Entries())
	check := func(ws []inf.Warning, total int) {
		t.Helper()
		require.Len(t, ws, 11)
		last := ws[10]
		assert.Equal(t, "too-many-warnings", last.Code)
		assert.Contains(t, last.Msg, fmt.Sprint(total-10))
	}
	fl, ws := d.CopyFileList([]string{"c"}, inf.AMD64)
	assert.Len(t, fl, files)
	check(ws, files)
	dr, err := d.Driver(osAMD64)
	require.NoError(t, err)
	assert.Len(t, dr.Files, files)
	check(dr.Warnings, files)
	o, err := inf.ParseOEM([]byte("[scsi]\n"+build(2000, "", func(i int) string { return fmt.Sprintf("o%d = \"d\"\n", i) }, "")), &inf.ReadOptions{Limits: &lim})
	require.NoError(t, err)
	ws = o.Lint(nil)
	check(ws, 2*len(o.Components[0].Options)) // no-files and no-hardware-ids each
	assert.Equal(t, 1000, inf.DefaultLimits.MaxWarnings)
}

// TestReadersConcurrent: readers share a document across goroutines (run
// with -race) and agree.
func TestReadersConcurrent(t *testing.T) {
	b := []byte(budgetDoc(20))
	d, err := inf.Parse(b, nil)
	require.NoError(t, err)
	const n = 4
	out := make([]string, n)
	var wg sync.WaitGroup
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sb strings.Builder
			for l := range d.Lines() {
				fmt.Fprintln(&sb, l.Key(), l.Fields())
			}
			dr, err := d.Driver(osAMD64)
			if err == nil {
				fmt.Fprintln(&sb, dr.HardwareIDs(), len(dr.Devices))
			}
			_, err = inf.ApplyHiveINF(inf.NewMemRegistry(), nil, d)
			fmt.Fprintln(&sb, err, d.Dump(&sb))
			out[g] = sb.String()
		}()
	}
	wg.Wait()
	for g := 1; g < n; g++ {
		assert.True(t, out[g] == out[0], "goroutine %d differs", g)
	}
}

// TestDumpMatchesSummary: Dump, which streams, prints what Summary holds,
// rendered here independently, for every fixture.
func TestDumpMatchesSummary(t *testing.T) {
	for _, p := range infFixtures(t) {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		d, err := inf.Parse(b, optsFor(p))
		require.NoError(t, err)
		s := d.Summary()
		var want strings.Builder
		fmt.Fprintf(&want, "# encoding %s, line endings %s, final newline %v, ctrl-z %v, language %s", s.Encoding, s.LineEndings, s.FinalNewline, s.CtrlZ, s.Language)
		if s.Strings != "" {
			fmt.Fprintf(&want, ", strings [%s]", s.Strings)
		}
		want.WriteString("\n")
		for _, sec := range s.Sections {
			fmt.Fprintf(&want, "[%s]\n", sec.Name)
			for _, e := range sec.Entries {
				q := make([]string, len(e.Fields))
				for i, f := range e.Fields {
					q[i] = strconv.Quote(f)
				}
				if e.Key != nil {
					fmt.Fprintf(&want, "%d: %s = %s\n", e.Line, strconv.Quote(*e.Key), strings.Join(q, ", "))
				} else {
					fmt.Fprintf(&want, "%d: %s\n", e.Line, strings.Join(q, ", "))
				}
			}
		}
		var got strings.Builder
		require.NoError(t, d.Dump(&got))
		assert.Equal(t, want.String(), got.String(), p)
	}
}

// TestMemRegistryManyValues checks values and keys against a map model,
// past the count from which a key indexes its values.
func TestMemRegistryManyValues(t *testing.T) {
	r := inf.NewMemRegistry()
	model := map[string]string{} // lower(name) -> data
	names := map[string]string{} // lower(name) -> name as last set
	for i := range 40 {
		name := fmt.Sprintf("Val%d", i)
		if i%3 == 0 {
			name = strings.ToUpper(name)
		}
		require.NoError(t, r.SetRawValue(` K \\ Sub `, name, 1, []byte{byte(i)}))
		model[strings.ToLower(name)], names[strings.ToLower(name)] = string([]byte{byte(i)}), name
	}
	for i := 0; i < 40; i += 4 {
		name := fmt.Sprintf("val%d", i)
		require.NoError(t, r.SetRawValue(`k\sub`, name, 1, []byte{0xFF}))
		model[name], names[name] = "\xff", name
	}
	for i := 1; i < 40; i += 5 {
		require.NoError(t, r.DeleteValue(`K\SUB`, fmt.Sprintf("VAL%d", i)))
		delete(model, fmt.Sprintf("val%d", i))
	}
	for i := range 45 {
		name := fmt.Sprintf("vAl%d", i)
		_, data, ok, err := r.RawValue(`k\sub`, name)
		require.NoError(t, err)
		want, has := model[strings.ToLower(name)]
		assert.Equal(t, has, ok, name)
		assert.Equal(t, want, string(data), name)
	}
	require.NoError(t, r.Walk(func(p string, vals []inf.MemValue) error {
		if p == `K\Sub` {
			assert.Len(t, vals, len(model))
			for _, v := range vals {
				assert.Equal(t, names[strings.ToLower(v.Name)], v.Name)
			}
		}
		return nil
	}))
	require.NoError(t, r.DeleteKey(` k \ `+"\t"+`SUB\ `))
	assert.False(t, r.HasKey(`K\Sub`))
	assert.True(t, r.HasKey(`K`))
}
