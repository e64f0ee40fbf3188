package sif_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

const fuzzMax = 64 << 10

// seedFixtures adds the fixture bytes (when the fixtures are there) to a
// fuzz corpus through add.
func seedFixtures(f *testing.F, rels []string, add func(b []byte)) {
	dir := filepath.Join(testutil.ModuleRoot(f), filepath.FromSlash(testutil.FixturesDir))
	for _, rel := range rels {
		if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel))); err == nil {
			add(b)
		}
	}
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
	seedFixtures(f, []string{"inf/virtio-win/txtsetup-i386.oem", "inf/virtio-win/txtsetup.oem", "inf/virtio-win/txtsetup-amd64.oem"},
		func(b []byte) { oems = append(oems, b) })
	seedFixtures(f, []string{"inf/reactos/txtsetup.sif"}, func(b []byte) { sifs = append(sifs, b) })
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
		doc, err := sif.Parse(sifB, nil)
		if err != nil {
			return
		}
		if !bytes.Equal(doc.Bytes(), sifB) {
			t.Fatal("parse does not round-trip")
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
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > fuzzMax {
			return
		}
		w, err := sif.ParseWinnt(b, nil)
		if err != nil {
			if !isOurs(err) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		if !bytes.Equal(w.Bytes(), b) {
			t.Fatal("parse does not round-trip")
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

// FuzzCHKPCI: the file round-trips, and adding entries it does not list
// then removing them gives it back.
func FuzzCHKPCI(f *testing.F) {
	f.Add([]byte("$PCI\\VEN_8086&DEV_2922\r\nIASTOR\r\n"))
	f.Add([]byte("; x\n$A\nB"))
	f.Add([]byte(""))
	f.Add([]byte("$PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4\n"))
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
