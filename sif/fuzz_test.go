package sif_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/ramdisk"
	"github.com/winbootkit/winbootkit/sif"
)

const fuzzMax = 64 << 10

// seedFixtures adds the bytes of the fixtures matching pattern in dir (when
// the shared fixtures are there; under CI they must be) through add.
func seedFixtures(f *testing.F, dir, pattern string, add func(b []byte)) {
	for _, p := range testutil.OptionalFixtures(f, dir, pattern) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		add(b)
	}
}

// parseChecked parses b (of at most fuzzMax bytes) with parse: an error
// must carry a sentinel, and a file that parses must write back as b. ok
// reports that it parsed.
func parseChecked[T interface{ Bytes() []byte }](t *testing.T, b []byte, parse func([]byte, *sif.ReadOptions) (T, error)) (v T, ok bool) {
	t.Helper()
	if len(b) > fuzzMax {
		return v, false
	}
	v, err := parse(b, nil)
	if err != nil {
		if !isOurs(err) {
			t.Fatalf("error without a sentinel: %v", err)
		}
		return v, false
	}
	if !bytes.Equal(v.Bytes(), b) {
		t.Fatal("parse does not round-trip")
	}
	return v, true
}

// infSentinels are the inf package's sentinels, which its parsers (such as
// inf.ParseOEM) return.
var infSentinels = []error{inf.ErrFormat, inf.ErrLimit, inf.ErrNotFound, inf.ErrSignature, inf.ErrEncoding,
	inf.ErrInvalidText, inf.ErrRemoved, inf.ErrValue}

func isInf(err error) bool {
	for _, s := range infSentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

var ourSentinels = []error{sif.ErrFormat, sif.ErrLimit, sif.ErrNotFound, sif.ErrNoDriver, sif.ErrConflict, sif.ErrInvalid}

func isOurs(err error) bool {
	for _, s := range ourSentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzSlipstream runs the slipstream over mutated txtsetup.oem and
// txtsetup.sif inputs. Whatever the input: no panic; a failed apply leaves
// the file untouched and wraps a sentinel; a successful one reads back,
// applies a second time without change, and, when the file had nothing of
// the driver in it, is undone exactly by RemoveSIF; the hive lines apply to
// a registry.
func FuzzSlipstream(f *testing.F) {
	var oems, sifs [][]byte
	seedFixtures(f, "inf/virtio-win", "*.oem", func(b []byte) { oems = append(oems, b) })
	seedFixtures(f, "inf/reactos", "txtsetup.sif", func(b []byte) { sifs = append(sifs, b) })
	oems = append(oems, []byte(exampleOEM), []byte(oemText("a.sys", "a")))
	sifs = append(sifs, []byte(exampleSIF), []byte("[Version]\r\n"), nil, []byte("[SCSI.Load]\nviostor = other.sys\n"),
		[]byte("[HardwareIdsDatabase]\r\nPCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00 = other\r\n[FileFlags]\r\n"))
	for _, o := range oems {
		for _, s := range sifs {
			f.Add(o, s)
		}
	}
	f.Fuzz(func(t *testing.T, oemB, sifB []byte) {
		if len(oemB) > fuzzMax || len(sifB) > fuzzMax {
			return
		}
		oem, err := inf.ParseOEM(oemB, nil)
		if err != nil {
			if !isInf(err) {
				t.Fatalf("ParseOEM: error without a sentinel: %v", err)
			}
			return
		}
		s, err := sif.NewSlipstream(oem, nil)
		if err != nil {
			if !isOurs(err) {
				t.Fatalf("NewSlipstream: error without a sentinel: %v", err)
			}
			return
		}
		if lines, err := s.HiveLines(); err == nil {
			if _, err := s.ApplyRegistry(inf.NewMemRegistry(), nil); err != nil {
				t.Fatalf("hive lines %q do not apply: %v", lines, err)
			}
		}
		doc, ok := parseChecked(t, sifB, sif.Parse)
		if !ok {
			return
		}
		probe, err := sif.Parse(sifB, nil)
		if err != nil {
			t.Fatal(err)
		}
		removedNothing := false
		if ed, err := s.RemoveSIF(probe); err == nil && sif.CountChanges(ed) == 0 {
			removedNothing = true
		}
		edits, err := s.ApplySIF(doc)
		if err != nil {
			if !isOurs(err) {
				t.Fatalf("ApplySIF: error without a sentinel: %v", err)
			}
			if !bytes.Equal(doc.Bytes(), sifB) {
				t.Fatal("a failed apply changed the file")
			}
			return
		}
		one := doc.Bytes()
		again, err := sif.Parse(one, nil)
		if err != nil {
			t.Fatalf("the edited file does not parse: %v", err)
		}
		if _, err := s.ApplySIF(again); err != nil {
			t.Fatalf("second apply: %v", err)
		}
		if !bytes.Equal(again.Bytes(), one) {
			t.Fatalf("a second apply changed the file:\n%s", sif.UnifiedDiff("one", "two", one, again.Bytes()))
		}
		restorable := removedNothing && !emptyManaged(t, sifB)
		for _, e := range edits {
			if e.Kind == sif.EditUpdate || e.Kind == sif.EditUnchanged {
				restorable = false
			}
		}
		back, err := sif.Parse(one, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.RemoveSIF(back); err != nil {
			t.Fatalf("RemoveSIF: %v", err)
		}
		if restorable && !bytes.Equal(back.Bytes(), sifB) {
			t.Fatalf("removal does not restore the file:\n%s", sif.UnifiedDiff("orig", "removed", sifB, back.Bytes()))
		}
	})
}

// emptyManaged reports whether a txtsetup.sif has a section the slipstream
// writes to that holds no line at all: removal cannot tell it from a
// section the slipstream created.
func emptyManaged(t *testing.T, b []byte) bool {
	d, err := inf.Parse(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range d.Sections() {
		n := strings.ToLower(sec.Name())
		if !strings.HasPrefix(n, "sourcedisksfiles") && n != "scsi.load" && n != "scsi" && n != "hardwareidsdatabase" && n != "fileflags" {
			continue
		}
		empty := true
		for range sec.Lines() {
			empty = false
			break
		}
		if empty {
			return true
		}
	}
	return false
}

// FuzzParseWinnt: any winnt.sif that parses round-trips, and setting its
// own load options back changes nothing unless /rdoffset= had to be
// rewritten.
func FuzzParseWinnt(f *testing.F) {
	f.Add([]byte(pe10Sample))
	f.Add([]byte("[SetupData]\r\nOsLoadOptions = \"/minint /rdoffset=8192\" ; c\r\n"))
	f.Add([]byte("[SetupData]\nBootPath = \\I386\\\nOsLoadOptions = /a,/b\n"))
	// Files NewWinnt builds, and ReactOS' txtsetup.sif (its [SetupData]
	// has OsLoadOptions too).
	for _, c := range []sif.WinntConfig{
		{},
		{BootPath: `\WXPE\SYSTEM32\`, Upper: true, RAMDisk: ramdisk.RAMDiskOptions{MinInt: true, FastDetect: true, NoGUIBoot: true,
			ExportAsHD: true, Path: `\X.IMG`, ImageOffset: 32256, HasImageOffset: true, ImageLength: 1 << 20, HasImageLength: true}},
	} {
		w, err := sif.NewWinnt(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(w.Bytes())
	}
	seedFixtures(f, "inf/reactos", "txtsetup.sif", func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, b []byte) {
		w, ok := parseChecked(t, b, sif.ParseWinnt)
		if !ok {
			return
		}
		opts, err := w.LoadOptions()
		if err != nil {
			return
		}
		legacy := false
		for _, o := range opts.Options() {
			legacy = legacy || o.Legacy
		}
		sec := w.Document().Section("SetupData")
		single := sec != nil && sec.Find(sif.KeyOsLoadOptions) != nil && sec.Find(sif.KeyOsLoadOptions).NumFields() == 1
		if err := w.SetLoadOptions(opts); err != nil {
			return // text the file's encoding cannot hold, for example
		}
		if single && !legacy && !bytes.Equal(w.Bytes(), b) {
			t.Fatalf("setting the same options changed the file:\n%s", sif.UnifiedDiff("a", "b", b, w.Bytes()))
		}
		if after, err := w.LoadOptions(); err == nil {
			for _, o := range after.Options() {
				if o.Legacy {
					t.Fatalf("/rdoffset= written: %q", mustValue(w))
				}
			}
		}
		if _, err := sif.ParseWinnt(w.Bytes(), nil); err != nil {
			t.Fatalf("the edited file does not parse: %v", err)
		}
	})
}

func mustValue(w *sif.Winnt) string { v, _ := w.Value(sif.KeyOsLoadOptions); return v }

// zeroPELists returns the 0PE entries of exampleOEM and of the virtio-win
// txtsetup.oem fixtures.
func zeroPELists(f *testing.F) [][]sif.PCIEntry {
	oems := [][]byte{[]byte(exampleOEM)}
	seedFixtures(f, "inf/virtio-win", "*.oem", func(b []byte) { oems = append(oems, b) })
	var out [][]sif.PCIEntry
	for _, b := range oems {
		oem, err := inf.ParseOEM(b, nil)
		require.NoError(f, err)
		list, _ := sif.ZeroPEEntries(oem, "scsi")
		out = append(out, list)
	}
	return out
}

// FuzzCHKPCI: the file round-trips, and adding entries it does not list
// then removing them gives it back.
func FuzzCHKPCI(f *testing.F) {
	f.Add([]byte("$PCI\\VEN_8086&DEV_2922\r\nIASTOR\r\n"))
	f.Add([]byte("; x\n$A\nB"))
	f.Add([]byte(""))
	f.Add([]byte("$PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4\n"))
	// The 0PE lists of the driver disks.
	for _, list := range zeroPELists(f) {
		f.Add(sif.FormatCHKPCI(list))
	}
	entries := []sif.PCIEntry{{ID: `PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4`, Service: "VIOSTOR"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := sif.ParseCHKPCI(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.Bytes(), b) {
			t.Fatal("no round trip")
		}
		listed := false
		for _, e := range c.Entries() {
			listed = listed || strings.EqualFold(e.ID, entries[0].ID)
		}
		c.Add(entries)
		n := len(c.Entries())
		c.Add(entries)
		if len(c.Entries()) != n {
			t.Fatal("a second Add added again")
		}
		c.Remove(entries)
		if !listed && !bytes.Equal(c.Bytes(), b) {
			t.Fatalf("Add then Remove: %q, want %q", c.Bytes(), b)
		}
	})
}

// FuzzUnifiedDiff: applying the diff of any two texts gives the second.
func FuzzUnifiedDiff(f *testing.F) {
	f.Add([]byte("a\nb\nc\n"), []byte("a\nc\nd"))
	f.Add([]byte(""), []byte("x"))
	f.Add([]byte("1\r\n2\r\n"), []byte("1\n2\r\n"))
	// A slipstream's edits of the txtsetup.sif files.
	// ReactOS' txtsetup.sif is cut at a line boundary to fit the size
	// bound of the target.
	sifs := [][]byte{[]byte(exampleSIF)}
	seedFixtures(f, "inf/reactos", "txtsetup.sif", func(b []byte) {
		if len(b) > 12<<10 {
			b = b[:bytes.LastIndexByte(b[:12<<10], '\n')+1]
		}
		sifs = append(sifs, b)
	})
	for _, b := range sifs {
		f.Add(b, applyExample(f, b))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		if len(a) > 16<<10 || len(b) > 16<<10 {
			return
		}
		d := sif.UnifiedDiff("a", "b", a, b)
		if got := applyUnified(t, a, d); !bytes.Equal(got, b) {
			t.Fatalf("applying the diff gives %q, want %q\n%s", got, b, d)
		}
	})
}

// FuzzParseSIF parses arbitrary bytes as a txtsetup.sif and reads every
// typed view of the model: errors carry a sentinel; a file that parses
// round-trips; each view agrees with the lines it was read from
// (SourceDisksFiles' 13 named fields render back to the line's fields, the
// lookups find what the lists hold, the counts match the sections).
func FuzzParseSIF(f *testing.F) {
	f.Add([]byte(exampleSIF))
	f.Add([]byte("[SourceDisksFiles]\r\na.sys = 1,,,,,,4_,4,1,,,1,4,x,y\r\na.sys = 1,,,,,,,5\r\n[SCSI.Load]\r\nA = a.sys,4,b.sys,z\r\n"))
	f.Add([]byte("[Directories]\n1 = \"\\reactos\"\n[FileFlags]\nx = 0x10\ny = q\n[HardwareIdsDatabase]\nPCI\\VEN_1 = \"s\", {g}\n[SetupData]\nOsLoadOptions = %o%\n[Strings]\no = /minint\n"))
	seedFixtures(f, "inf/reactos", "txtsetup.sif", func(b []byte) { f.Add(b) })
	f.Add(applyExample(f, []byte(exampleSIF)))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, ok := parseChecked(t, b, sif.Parse)
		if !ok {
			return
		}
		doc := s.Document()
		count := func(section string) int {
			if sec := doc.Section(section); sec != nil && section != "" {
				return len(sec.Entries())
			}
			return 0
		}
		for _, arch := range []inf.Arch{"", inf.X86, inf.AMD64} {
			names := s.SourceDisksNames(arch)
			for _, d := range names {
				if d.Line == nil || d.ID != d.Line.Key() {
					t.Fatalf("source disk %q: not its line's key", d.ID)
				}
				if got, ok := s.SourceDisk(arch, d.ID); !ok || !strings.EqualFold(got.ID, d.ID) {
					t.Fatalf("SourceDisk(%q, %q) = %v, %v", arch, d.ID, got, ok)
				}
			}
			files := s.SourceDisksFiles(arch)
			for _, fl := range files {
				if fl.Line == nil || fl.Name != fl.Line.Key() {
					t.Fatalf("source disks file %q: not its line's key", fl.Name)
				}
				want := fl.Line.Fields()
				for len(want) > 0 && want[len(want)-1] == "" {
					want = want[:len(want)-1]
				}
				if got := fl.Fields(); !slices.Equal(got, want) {
					t.Fatalf("%s: fields %q, line has %q", fl.Name, got, want)
				}
				back := sif.ParseSourceDisksFile(fl.Name, fl.Fields())
				back.Line = fl.Line
				if back.String() != fl.String() {
					t.Fatalf("%q parses back as %q", fl.String(), back.String())
				}
			}
			section := "SourceDisksFiles"
			if arch != "" {
				section += "." + string(arch)
			}
			if len(files) != count(section) || len(names) != count("SourceDisksNames"+section[len("SourceDisksFiles"):]) {
				t.Fatalf("%s: %d files, %d names, sections hold other counts", arch, len(files), len(names))
			}
			if s.FilesSection(arch) == "" {
				t.Fatal("no files section")
			}
			_, _ = sif.MediaDirFor(s, arch, "")
		}
		dirs := s.Directories()
		if len(dirs) != count(s.DirectoriesSection()) {
			t.Fatalf("%d directories, the section holds %d", len(dirs), count(s.DirectoriesSection()))
		}
		for _, d := range dirs {
			if _, ok := s.Directory(d.ID); !ok {
				t.Fatalf("directory %q not found", d.ID)
			}
		}
		for _, name := range s.LoadSections() {
			if !strings.HasSuffix(strings.ToLower(name), ".load") {
				t.Fatalf("load section %q", name)
			}
			entries := s.Load(name)
			if len(entries) != count(name) {
				t.Fatalf("[%s]: %d entries, %d lines", name, len(entries), count(name))
			}
			for _, e := range entries {
				if e.Service != e.Line.Key() || e.File != e.Line.Field(0) || len(e.Extra) != max(0, e.Line.NumFields()-3) {
					t.Fatalf("[%s] %q: entry %+v", name, e.Line.Text(), e)
				}
			}
		}
		if n := len(s.Descriptions("SCSI")); n != count("SCSI") {
			t.Fatalf("%d descriptions, %d lines", n, count("SCSI"))
		}
		if n := len(s.HardwareIDs()); n != count("HardwareIdsDatabase") {
			t.Fatalf("%d hardware IDs, %d lines", n, count("HardwareIdsDatabase"))
		}
		for _, ff := range s.FileFlags() {
			if ff.File != ff.Line.Key() || ff.Flags != ff.Line.Field(0) {
				t.Fatalf("file flags %+v of %q", ff, ff.Line.Text())
			}
			if _, ok := ff.Value(); ok && strings.TrimSpace(ff.Flags) == "" {
				t.Fatalf("empty flags read as a number")
			}
		}
		for _, h := range s.HardwareIDs() {
			if h.ID != h.Line.Key() || h.Service != h.Line.Field(0) || h.ClassGUID != h.Line.Field(1) {
				t.Fatalf("hardware ID %+v of %q", h, h.Line.Text())
			}
		}
		_, _ = s.SetupData(sif.KeyOsLoadOptions)
	})
}

// applyExample returns the txtsetup.sif b with exampleOEM's driver
// slipstreamed into it.
func applyExample(tb testing.TB, b []byte) []byte {
	t, err := sif.Parse(b, nil)
	require.NoError(tb, err)
	_, err = exampleSlip(tb).ApplySIF(t)
	require.NoError(tb, err)
	return t.Bytes()
}

// refCHKPCI is the line-by-line CHKPCI editing of the first version of
// the package (a scan of the whole file per entry), kept as the reference
// the indexed Add and Remove must agree with.
type refCHKPCI struct {
	lines []string
	eol   string
}

func newRefCHKPCI(b []byte) *refCHKPCI {
	c := &refCHKPCI{eol: "\r\n"}
	if i := bytes.IndexByte(b, '\n'); i >= 0 && (i == 0 || b[i-1] != '\r') {
		c.eol = "\n"
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			c.lines = append(c.lines, string(b))
			break
		}
		c.lines = append(c.lines, string(b[:i+1]))
		b = b[i+1:]
	}
	return c
}

func (c *refCHKPCI) entryAt(i int) (sif.PCIEntry, bool) {
	t := strings.TrimSpace(strings.TrimRight(c.lines[i], "\r\n"))
	if !strings.HasPrefix(t, "$") {
		return sif.PCIEntry{}, false
	}
	e := sif.PCIEntry{ID: strings.TrimSpace(t[1:])}
	if i+1 < len(c.lines) {
		if n := strings.TrimSpace(strings.TrimRight(c.lines[i+1], "\r\n")); !strings.HasPrefix(n, "$") {
			e.Service = n
		}
	}
	return e, true
}

// add returns the kind and line number of each entry's edit.
func (c *refCHKPCI) add(entries []sif.PCIEntry) (out []string) {
	for _, e := range entries {
		found := false
		for i := range c.lines {
			if cur, ok := c.entryAt(i); ok && strings.EqualFold(cur.ID, e.ID) {
				found = true
				k := sif.EditUnchanged
				if !strings.EqualFold(cur.Service, e.Service) {
					k = sif.EditKept
				}
				out = append(out, fmt.Sprint(k, i+1))
				break
			}
		}
		if found {
			continue
		}
		n := len(c.lines)
		if n > 0 && !strings.HasSuffix(c.lines[n-1], "\n") {
			c.lines[n-1] += c.eol
			c.lines = append(c.lines, "$"+e.ID+c.eol, e.Service)
		} else {
			c.lines = append(c.lines, "$"+e.ID+c.eol, e.Service+c.eol)
		}
		out = append(out, fmt.Sprint(sif.EditAdd, n+1))
	}
	return out
}

func (c *refCHKPCI) remove(entries []sif.PCIEntry) (out []string) {
	for _, e := range entries {
		for i := 0; i+1 < len(c.lines); i++ {
			cur, ok := c.entryAt(i)
			if !ok || !strings.EqualFold(cur.ID, e.ID) || !strings.EqualFold(cur.Service, e.Service) || cur.Service == "" {
				continue
			}
			lastNoEOL := i+2 == len(c.lines) && !strings.HasSuffix(c.lines[i+1], "\n")
			c.lines = append(c.lines[:i], c.lines[i+2:]...)
			if lastNoEOL && i > 0 {
				c.lines[i-1] = strings.TrimSuffix(c.lines[i-1], c.eol)
			}
			out = append(out, fmt.Sprint(sif.EditRemove, i+1))
			break
		}
	}
	return out
}

func (c *refCHKPCI) bytes() []byte { return []byte(strings.Join(c.lines, "")) }

// FuzzCHKPCIEdits: Add and Remove of arbitrary entries (one "ID service"
// per line of the second input; a "-" line switches from adding to
// removing) on an arbitrary CHKPCI.TXT give the same file and the same
// edits (kind and line) as the reference line-by-line implementation.
func FuzzCHKPCIEdits(f *testing.F) {
	f.Add([]byte("$A\r\nS\r\n$B\r\n$a\r\ns\r\n"), []byte("a s\nb t\nC u\n-\nA S\nb t\nc U\na s"))
	f.Add([]byte("$K\nX\n$\u212a\nX"), []byte("k x\n-\nk x\nK x\n\u212a x"))
	f.Add([]byte("$A\n$B\nS\n$A\nS"), []byte("-\nB s\nA s\nA s"))
	for _, list := range zeroPELists(f) {
		var ops strings.Builder
		for _, e := range list {
			fmt.Fprintf(&ops, "%s %s\n", e.ID, e.Service)
		}
		f.Add(sif.FormatCHKPCI(list[:len(list)/2]), []byte(ops.String()+"-\n"+ops.String()))
	}
	f.Fuzz(func(t *testing.T, file, ops []byte) {
		if len(file) > 16<<10 || len(ops) > 4<<10 {
			return
		}
		var add, remove []sif.PCIEntry
		adding := true
		for l := range strings.Lines(string(ops)) {
			l = strings.TrimRight(l, "\n")
			if l == "-" {
				adding = false
				continue
			}
			id, svc, _ := strings.Cut(l, " ")
			if adding {
				add = append(add, sif.PCIEntry{ID: id, Service: svc})
			} else {
				remove = append(remove, sif.PCIEntry{ID: id, Service: svc})
			}
		}
		c, err := sif.ParseCHKPCI(file, nil)
		if err != nil {
			t.Fatal(err)
		}
		ref := newRefCHKPCI(file)
		summary := func(edits []sif.Edit) (out []string) {
			for _, e := range edits {
				out = append(out, fmt.Sprint(e.Kind, e.Line))
			}
			return out
		}
		if got, want := summary(c.Add(add)), ref.add(add); !slices.Equal(got, want) {
			t.Fatalf("Add edits %q, reference %q", got, want)
		}
		if !bytes.Equal(c.Bytes(), ref.bytes()) {
			t.Fatalf("after Add: %q, reference %q", c.Bytes(), ref.bytes())
		}
		if got, want := summary(c.Remove(remove)), ref.remove(remove); !slices.Equal(got, want) {
			t.Fatalf("Remove edits %q, reference %q", got, want)
		}
		if !bytes.Equal(c.Bytes(), ref.bytes()) {
			t.Fatalf("after Remove: %q, reference %q", c.Bytes(), ref.bytes())
		}
	})
}
