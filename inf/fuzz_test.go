package inf_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

const fuzzMaxInput = 64 << 10

// fixtureSeeds returns the shared fixtures under dir matching pattern
// (through testutil.Fixtures). When the fixtures are not there it returns
// nothing rather than skipping the target, so the generated seeds and the
// committed corpus still run; under CI a missing fixture still fails.
func fixtureSeeds(f *testing.F, dir, pattern string) []string {
	if _, err := os.Stat(filepath.Join(testutil.ModuleRoot(f), testutil.FixturesDir, dir)); err != nil && !testutil.CI() {
		return nil
	}
	return testutil.Fixtures(f, dir, pattern)
}

// oemSeed is a small txtsetup.oem with every section kind.
const oemSeed = "[Disks]\r\nd1 = \"Disk\",\\disk1,\\\r\n[Defaults]\r\nscsi = A\r\n[scsi]\r\nA = \"Adapter\"\r\n" +
	"[Files.scsi.A]\r\ndriver = d1, a.sys, akey\r\ninf = d1, a.inf\r\n[HardwareIds.scsi.A]\r\nid = \"PCI\\VEN_1&DEV_2\", \"a\"\r\n" +
	"[Config.akey]\r\nvalue = Parameters,T,REG_DWORD,1\r\nvalue = ,B,REG_BINARY,0102ff\r\nvalue = ,M,REG_MULTI_SZ,\"x\",\"y\"\r\n"

// hiveSeed is a small hive INF (AddReg/DelReg with every value kind).
const hiveSeed = "[Version]\nSignature = \"$Windows NT$\"\n[DelReg]\nHKLM,\"SYSTEM\\Old\"\n[AddReg]\n" +
	"HKLM,\"SYSTEM\\S\",\"Start\",0x00010001,0\nHKLM,\"SYSTEM\\S\",\"P\",0x00020000,\"%%SystemRoot%%\"\n" +
	"HKLM,\"SYSTEM\\S\",\"L\",0x00010000,\"a\",\"b\"\nHKLM,\"SYSTEM\\S\",\"B\",0x00000001,01,02\n"

// fuzzSeeds returns the generated inputs (lexical vectors, a driver INF,
// a hive INF, a txtsetup.oem, UTF-16 files) and the fixtures.
func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, tc := range entryCases {
		seeds = append(seeds, []byte("[Test]\n"+tc.in))
	}
	for _, tc := range headerCases {
		seeds = append(seeds, []byte(tc.in))
	}
	seeds = append(seeds,
		append([]byte{0xFF, 0xFE}, encodeUTF16("[V]\r\nk = \"a\",b ; c\r\n", false)...),
		encodeUTF16("[V]\r\nk=v\\\r\n w\r\n", true),
		[]byte(exampleINF), []byte(hiveSeed), []byte(oemSeed),
		append([]byte{0xFF, 0xFE}, encodeUTF16(exampleINF, false)...),
	)
	for _, dir := range []string{"inf/reactos", "inf/virtio-win", "inf/wds"} {
		for _, p := range fixtureSeeds(f, dir, "*") {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			if len(b) > fuzzMaxInput {
				b = b[:fuzzMaxInput]
			}
			seeds = append(seeds, b)
		}
	}
	return seeds
}

// FuzzParse: every accepted input writes back byte for byte, parses the
// same way twice, and survives re-rendering each entry from its own fields.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, textSetup bool) {
		if len(data) > fuzzMaxInput {
			return
		}
		opts := &inf.ReadOptions{}
		if textSetup {
			opts.Dialect = inf.TextSetup
		}
		d, err := inf.Parse(data, opts)
		if err != nil {
			var fe *inf.FormatError
			if !errors.As(err, &fe) || !(errors.Is(err, inf.ErrFormat) || errors.Is(err, inf.ErrLimit)) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(d.Bytes(), data) {
			t.Fatalf("round trip differs:\n%s", testutil.HexDiff(data, d.Bytes()))
		}
		// Forcing the detected encoding reads the same lines.
		enc := d.Encoding()
		d2, err := inf.Parse(data, &inf.ReadOptions{Dialect: opts.Dialect, Encoding: &enc})
		if err != nil {
			t.Fatalf("forced encoding %v: %v", enc, err)
		}
		if d2.NumLines() != d.NumLines() {
			t.Fatalf("forced encoding gives %d lines, detection %d", d2.NumLines(), d.NumLines())
		}
		// Re-render entries from their own fields; they must read back.
		n := 0
		for l := range d.Lines() {
			if l.Kind() != inf.Entry || n > 20 {
				continue
			}
			n++
			fields := slices.Clone(l.RawFields())
			key, hasKey := l.RawKey(), l.HasKey()
			if err := l.SetFields(fields...); err != nil {
				if !errors.Is(err, inf.ErrInvalidText) && !errors.Is(err, inf.ErrEncoding) {
					t.Fatalf("SetFields(%q): untyped error %v", fields, err)
				}
				continue
			}
			if !slices.Equal(l.RawFields(), fields) || l.RawKey() != key || l.HasKey() != hasKey {
				t.Fatalf("re-rendered %q reads %q key %q, want %q key %q", l.Text(), l.RawFields(), l.RawKey(), fields, key)
			}
		}
		d3, err := inf.Parse(d.Bytes(), &inf.ReadOptions{Dialect: opts.Dialect, Encoding: &enc})
		if err != nil {
			t.Fatalf("edited document does not parse: %v", err)
		}
		if !bytes.Equal(d3.Bytes(), d.Bytes()) {
			t.Fatal("edited document does not round-trip")
		}
		if err := d.Revert(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d.Bytes(), data) {
			t.Fatal("Revert does not restore the input")
		}
	})
}

// refSubstitute is an independent statement of single-pass substitution:
// "%x%" is a token, "%%" a percent, an unpaired '%' literal.
func refSubstitute(s string, strs map[string]string) string {
	var out strings.Builder
	for {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			out.WriteString(s)
			break
		}
		out.WriteString(s[:i])
		rest := s[i+1:]
		j := strings.IndexByte(rest, '%')
		if j < 0 {
			out.WriteString(s[i:])
			break
		}
		tok := rest[:j]
		v, ok := strs[strings.ToLower(tok)]
		switch {
		case tok == "":
			out.WriteByte('%')
		case ok:
			out.WriteString(v)
		default:
			out.WriteString("%" + tok + "%")
		}
		s = rest[j+1:]
	}
	return out.String()
}

// FuzzSubstitute compares substitution with the reference above and checks
// the length limit.
func FuzzSubstitute(f *testing.F) {
	f.Add("a=1\nb=%a%\nc=\"x, y\"", "%a%%b%%%c%%d% %")
	f.Add("veg=carrot", "%VEG%s and %%")
	f.Add("big="+strings.Repeat("z", 3000), "%big%%big%")
	f.Fuzz(func(t *testing.T, strs, s string) {
		if len(strs) > 8192 || len(s) > 8192 || strings.ContainsAny(s, "\r\n\x1a") || !utf8.ValidString(s) {
			return
		}
		d, err := inf.Parse([]byte("[Strings]\n"+strs), nil)
		if err != nil {
			return
		}
		table := map[string]string{}
		for _, l := range d.Section("Strings").Entries() {
			if !l.HasKey() {
				continue
			}
			if _, dup := table[strings.ToLower(l.RawKey())]; !dup {
				table[strings.ToLower(l.RawKey())] = l.RawFields()[0]
			}
		}
		got, err := d.Substitute(s)
		want := refSubstitute(s, table)
		if utf8.RuneCountInString(want) > 4096 {
			if !errors.Is(err, inf.ErrLimit) || utf8.RuneCountInString(got) != 4096 || !strings.HasPrefix(want, got) {
				t.Fatalf("over-long result: err %v, %d characters", err, utf8.RuneCountInString(got))
			}
			return
		}
		if err != nil || got != want {
			t.Fatalf("Substitute(%q) = %q, %v; want %q", s, got, err, want)
		}
		if !strings.Contains(s, "%") && got != s {
			t.Fatal("text without % changed")
		}
	})
}

// FuzzEdit: entries built from arbitrary keys and fields either read back
// exactly or are refused with a typed error, in every encoding.
func FuzzEdit(f *testing.F) {
	f.Add("key", "a,b", " c ", uint8(0))
	f.Add("", `say "hi"`, `C:\dir\`, uint8(1))
	f.Add("k=", "[x", ";y", uint8(2))
	f.Add("é", "Привет", "%%", uint8(3))
	f.Fuzz(func(t *testing.T, key, f1, f2 string, form uint8) {
		var base []byte
		var opts *inf.ReadOptions
		switch form % 4 {
		case 0:
			base = []byte("[S]\r\nx = y\r\n")
		case 1:
			base = append([]byte{0xFF, 0xFE}, encodeUTF16("[S]\r\nx = y", false)...)
		case 2:
			base = []byte("[S]\nx = y\n")
			opts = &inf.ReadOptions{Dialect: inf.TextSetup}
		default:
			base = []byte("\xEF\xBB\xBF[S]\nx = y\n")
		}
		d, err := inf.Parse(base, opts)
		if err != nil {
			t.Fatal(err)
		}
		l, err := d.Section("S").Append(key, f1, f2)
		if err != nil {
			if !errors.Is(err, inf.ErrInvalidText) && !errors.Is(err, inf.ErrEncoding) {
				t.Fatalf("untyped error %v", err)
			}
			if !bytes.Equal(d.Bytes(), base) {
				t.Fatal("a failed edit changed the document")
			}
			return
		}
		d2, err := inf.Parse(d.Bytes(), opts)
		if err != nil {
			t.Fatalf("edited document does not parse: %v\n%q", err, d.Bytes())
		}
		es := d2.Section("S").Entries()
		got := es[len(es)-1]
		if !slices.Equal(got.RawFields(), []string{f1, f2}) || (key != "" && got.RawKey() != key) || (key == "") == (got.HasKey()) {
			t.Fatalf("Append(%q, %q, %q) wrote %q", key, f1, f2, l.Text())
		}
		if err := l.Remove(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d.Bytes(), base) {
			t.Fatalf("removing the added line does not restore the bytes:\n%s", testutil.HexDiff(base, d.Bytes()))
		}
	})
}

// FuzzRegLine: any AddReg/DelReg line decodes or fails with a typed error,
// applies to a registry without panicking, and FormatRegLine output reads
// back as the same value.
func FuzzRegLine(f *testing.F) {
	for _, s := range []string{
		`HKLM,"SYSTEM\CurrentControlSet\Control","CurrentUser",2,"USERNAME"`,
		`HKR,Parameters,SdCmdFlags,1, 05,01, 06,01`,
		`HKLM,K,List,0x00010008,"a","b"`,
		`HKLM,K,,0x00000012`,
		`HKLM,K,V,0x00018002,"a"`,
		`HKLM,K,D,0x00010001,0xffffffff`,
		`HKLM,K,T,0x000a0001,01,ff,100`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	// The registry lines of the fixtures' hive INFs (the first 40 of each
	// file's AddReg section).
	for _, p := range fixtureSeeds(f, "inf/reactos", "*.inf") {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		d, err := inf.Parse(b, nil)
		if err != nil {
			f.Fatal(err)
		}
		if sec := d.Section("AddReg"); sec != nil {
			for i, l := range sec.Entries() {
				if i == 40 {
					break
				}
				f.Add(l.Text(), false)
			}
		}
	}
	f.Fuzz(func(t *testing.T, line string, del bool) {
		if len(line) > 4096 {
			return
		}
		d, err := inf.Parse([]byte("[R]\n"+line+"\n"), nil)
		if err != nil {
			return
		}
		ops, err := d.RegOps("R", del)
		if err != nil {
			var le *inf.LineError
			if !errors.As(err, &le) || !errors.Is(err, inf.ErrValue) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		r := newMemReg()
		if _, err := inf.ApplyOps(r, ops, &inf.ApplyOptions{Roots: map[string]string{"HKLM": "", "HKR": "R"}}); err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			if op.Kind != inf.OpSetValue {
				continue
			}
			s, err := inf.FormatRegLine("HKLM", "K", "V", op.Type, op.Data)
			if err != nil {
				continue
			}
			d2, err := inf.Parse([]byte("[R]\n"+s+"\n"), nil)
			if err != nil {
				t.Fatalf("FormatRegLine wrote %q: %v", s, err)
			}
			back, err := inf.ParseRegLine(d2.Section("R").Entries()[0], false)
			if err != nil || back.Type != op.Type || !bytes.Equal(back.Data, op.Data) {
				t.Fatalf("%q reads back as %v %x (%v), want %v %x", s, back.Type, back.Data, err, op.Type, op.Data)
			}
		}
	})
}

// ours reports whether err wraps one of the package's sentinels.
func ours(err error) bool {
	for _, s := range []error{inf.ErrFormat, inf.ErrLimit, inf.ErrNotFound, inf.ErrSignature, inf.ErrEncoding, inf.ErrInvalidText, inf.ErrValue} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzDriver reads what a parsed INF says: its [Version], the driver it
// installs on each architecture (and an audit of it), the txtsetup.oem
// view with its lint, the hive-INF registry edits. Beyond no panic: errors
// wrap the package's sentinels, a second reading gives the same result,
// and reading never changes the document's bytes.
func FuzzDriver(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > fuzzMaxInput {
			return
		}
		d, err := inf.Parse(data, nil)
		if err != nil {
			return
		}
		if _, err := d.Version(); err != nil && !ours(err) {
			t.Fatalf("Version: untyped error %v", err)
		}
		for _, arch := range []inf.Arch{inf.X86, inf.AMD64, inf.ARM64} {
			o := inf.OS{Arch: arch, Major: 10, Build: 19041}
			dr, err := d.Driver(o)
			if err != nil {
				if !ours(err) {
					t.Fatalf("Driver(%v): untyped error %v", o, err)
				}
				continue
			}
			again, err := d.Driver(o)
			if err != nil || len(again.Devices) != len(dr.Devices) || len(again.Files) != len(dr.Files) ||
				len(again.Services) != len(dr.Services) || !slices.Equal(again.HardwareIDs(), dr.HardwareIDs()) {
				t.Fatalf("Driver(%v) differs on a second call: %v", o, err)
			}
			if _, err := inf.Audit([]inf.Package{{Name: "a", Doc: d}, {Name: "b", Doc: d}}, o); err != nil && !ours(err) {
				t.Fatalf("Audit: untyped error %v", err)
			}
		}
		_ = d.Summary()
		if err := d.Dump(io.Discard); err != nil && !errors.Is(err, inf.ErrLimit) {
			t.Fatalf("Dump: %v", err) // only the substitution budget can fail it
		}
		o := inf.NewOEM(d)
		for _, c := range o.Components {
			for i := range c.Options {
				for _, v := range o.ConfigValues(&c.Options[i]) {
					if v.Err != nil && (!ours(v.Err) || v.Data != nil) {
						t.Fatalf("ConfigValues: error %v with data %x", v.Err, v.Data)
					}
				}
			}
		}
		_ = o.Lint(fstest.MapFS{})
		if _, err := inf.ApplyHiveINF(newMemReg(), &inf.ApplyOptions{Roots: map[string]string{"HKLM": "", "HKR": "R"}}, d); err != nil && !ours(err) {
			t.Fatalf("ApplyHiveINF: untyped error %v", err)
		}
		if !bytes.Equal(d.Bytes(), data) {
			t.Fatal("reading changed the document")
		}
	})
}

// FuzzValues: the value parsers (dates, driver versions, DriverVer,
// architectures, OS versions, TargetOSVersion decorations, multi-strings)
// fail with ErrValue or give a value whose rendering parses back to it.
func FuzzValues(f *testing.F) {
	for _, s := range []string{"01/01/2008", "1.0.0.0", "12-31-2024", "65534.1.2.3", "amd64", "10.0.19041", "NTamd64.10.0...16299", "nt.6.0", "NTx86.0x6.1.3.0x10.7600", "2/29/2000"} {
		f.Add(s, "1.2.3.4")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		check := func(what string, err error) bool {
			if err != nil && !errors.Is(err, inf.ErrValue) {
				t.Fatalf("%s: untyped error %v", what, err)
			}
			return err == nil
		}
		if d, err := inf.ParseDate(a); check("ParseDate", err) {
			if d2, err := inf.ParseDate(d.String()); err != nil || d2 != d {
				t.Fatalf("date %q renders %q, which reads %v (%v)", a, d.String(), d2, err)
			}
		}
		if v, err := inf.ParseDriverVersion(a); check("ParseDriverVersion", err) {
			if v2, err := inf.ParseDriverVersion(v.String()); err != nil || v2 != v {
				t.Fatalf("version %q renders %q, which reads %v (%v)", a, v.String(), v2, err)
			}
		}
		if dv, err := inf.ParseDriverVer(a, b); check("ParseDriverVer", err) {
			if dv2, err := inf.ParseDriverVer(dv.Fields()...); err != nil || dv2 != dv {
				t.Fatalf("DriverVer %q,%q renders %q, which reads %v (%v)", a, b, dv.Fields(), dv2, err)
			}
		}
		if arch, err := inf.ParseArch(a); check("ParseArch", err) {
			if o, err := inf.ParseOS(string(arch), b); check("ParseOS", err) {
				o2, err := inf.ParseOS(string(o.Arch), fmt.Sprintf("%d.%d.%d", o.Major, o.Minor, o.Build))
				if err != nil || o2 != o {
					t.Fatalf("OS %q %q reads back as %v (%v)", a, b, o2, err)
				}
			}
		}
		if to, err := inf.ParseTargetOS(a); check("ParseTargetOS", err) {
			if to.Raw != a {
				t.Fatalf("TargetOS.Raw %q, input %q", to.Raw, a)
			}
		}
		if list, ok := inf.DecodeMultiSZ([]byte(a)); ok {
			if back, ok := inf.DecodeMultiSZ(inf.EncodeMultiSZ(list)); !ok || !slices.Equal(back, list) {
				t.Fatalf("multi-string %q reads %q, re-encoded reads %q", a, list, back)
			}
		}
	})
}
