package hive_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// typedErr reports whether err wraps one of the package's sentinels.
func typedErr(err error) bool {
	for _, s := range []error{hive.ErrFormat, hive.ErrLimit, hive.ErrUnsupported, hive.ErrChecksum, hive.ErrNotFound, hive.ErrInvalid, hive.ErrReplay, hive.ErrExists} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// generatedHives returns hives built here: both formats, a tree, a
// Unicode name, values from inline to big-data size.
func generatedHives(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, minor := range []uint32{hive.Version13, hive.Version15} {
		h, err := hive.New("ROOT", minor, nil)
		if err != nil {
			f.Fatal(err)
		}
		for i, p := range []string{`A\B\C`, `A\D`, `Ключ`} {
			if err := h.SetRawValue(p, "v", uint32(hive.Binary), bytes.Repeat([]byte{byte(i)}, 8500*i+3)); err != nil {
				f.Fatal(err)
			}
		}
		seeds = append(seeds, h.Bytes())
	}
	return seeds
}

// fuzzSeeds returns the hives built here and the fixture hives.
func fuzzSeeds(f *testing.F) [][]byte {
	seeds := generatedHives(f)
	for _, p := range testutil.OptionalFixtures(f, "hive", "*") {
		if !strings.Contains(filepath.Base(p), ".log") {
			seeds = append(seeds, readFileTB(f, p))
		}
	}
	for _, p := range testutil.OptionalFixtures(f, "bcd", "*.bcd") {
		seeds = append(seeds, readFileTB(f, p))
	}
	return seeds
}

// FuzzOpen parses arbitrary bytes as a hive. Errors must be typed; where
// parsing succeeds, the io.ReaderAt path agrees, an unedited write returns
// the input, the whole tree walks and Check runs, the written hive reopens
// with the same content, and an edit either fails cleanly or gives a hive
// that reopens with the edit in it.
func FuzzOpen(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		// Large seeds make every minimization step slow; the big fixtures
		// are covered by the unit tests.
		if len(s) <= 64<<10 {
			f.Add(s)
		}
	}
	f.Fuzz(fuzzBody)
}

func fuzzBody(t *testing.T, b []byte) {
	{
		if len(b) > 4<<20 {
			return
		}
		h, err := hive.Parse(b, nil)
		h2, err2 := hive.OpenReader(bytes.NewReader(b), int64(len(b)), nil)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("Parse and OpenReader disagree: %v / %v", err, err2)
		}
		if err != nil {
			if !typedErr(err) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if h.Header() != h2.Header() {
			t.Fatal("Parse and OpenReader headers differ")
		}
		if !bytes.Equal(h.Bytes(), b) {
			t.Fatal("unedited write differs from the input")
		}
		walkErr := hive.WalkAll(h)
		if walkErr != nil && !typedErr(walkErr) {
			t.Fatalf("untyped walk error: %v", walkErr)
		}
		_ = h.Check()
		var reg bytes.Buffer
		if err := h.ExportReg(&reg, &hive.ExportOptions{UTF8: true}); err != nil && !typedErr(err) {
			t.Fatalf("untyped export error: %v", err)
		}
		if walkErr == nil {
			r, err := hive.Parse(h.Bytes(), nil)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			ds, err := hive.Diff(h.Root(), r.Root(), nil)
			if err != nil || len(ds) > 0 {
				t.Fatalf("reopened hive differs: %v %v", err, ds)
			}
		}
		// An edit succeeds or fails with a typed error; when it succeeds
		// the written hive reopens with the edit.
		err = h.SetRawValue(`FuzzKey\Sub`, "FuzzValue", uint32(hive.Binary), []byte("fuzz"))
		if err != nil {
			if !typedErr(err) {
				t.Fatalf("untyped edit error: %v", err)
			}
			return
		}
		r, err := hive.Parse(h.Bytes(), nil)
		if err != nil {
			t.Fatalf("edited hive does not reopen: %v", err)
		}
		typ, data, ok, err := r.RawValue(`FuzzKey\Sub`, "FuzzValue")
		if err != nil || !ok || typ != uint32(hive.Binary) || string(data) != "fuzz" {
			t.Fatalf("edit lost: %v %v %v %q", err, ok, typ, data)
		}
		// The value grows past a page and past a big-data segment
		// (reallocation, growth of the last bin, db cells from 1.4).
		for _, n := range []int{5000, 9000, 20000} {
			want := bytes.Repeat([]byte{byte(n)}, n)
			if err := h.SetRawValue(`FuzzKey\Sub`, "FuzzValue", uint32(hive.Binary), want); err != nil {
				if !typedErr(err) {
					t.Fatalf("untyped edit error: %v", err)
				}
				return
			}
			r, err := hive.Parse(h.Bytes(), nil)
			if err != nil {
				t.Fatalf("hive with a %d-byte value does not reopen: %v", n, err)
			}
			if _, data, ok, err := r.RawValue(`FuzzKey\Sub`, "FuzzValue"); err != nil || !ok || !bytes.Equal(data, want) {
				t.Fatalf("%d-byte value lost: %v %v %d bytes", n, err, ok, len(data))
			}
		}
	}
}

// FuzzReplay replays arbitrary bytes as a transaction log against a dirty
// hive (a generated one, or the dirty NTUSER.DAT fixture): no panic, typed
// errors, on an error the hive is unchanged, and on success it is clean.
func FuzzReplay(f *testing.F) {
	// A generated dirty hive and an old-format log that brings it to an
	// edited state.
	orig := generatedHives(f)[1]
	h, err := hive.Parse(orig, nil)
	if err != nil {
		f.Fatal(err)
	}
	if err := h.SetRawValue(`Logged\Key`, "v", uint32(hive.String), hive.EncodeString("from the log")); err != nil {
		f.Fatal(err)
	}
	oldLog, _ := buildOldLog(f, orig, h.Bytes())
	primary := bytes.Clone(orig)
	binary.LittleEndian.PutUint32(primary[4:], binary.LittleEndian.Uint32(primary[8:])+1)
	setChecksum(primary)
	if p, err := hive.Parse(primary, nil); err != nil {
		f.Fatal(err)
	} else if res, err := p.Replay(oldLog); err != nil || res.Format != hive.LogOld {
		f.Fatalf("the generated log does not replay: %v %v", res.Format, err)
	}
	primaries := [][]byte{primary}
	f.Add(oldLog, uint8(0))
	f.Add(oldLog[:len(oldLog)-512], uint8(0))
	if testutil.OptionalFixtures(f, "hive", "regipy_transactions_*") != nil {
		primaries = append(primaries, testutil.ReadFixture(f, "hive/regipy_transactions_NTUSER.DAT"))
		log1 := testutil.ReadFixture(f, "hive/regipy_transactions_ntuser.dat.log1")
		f.Add(log1[:min(len(log1), 64<<10)], uint8(1))
		f.Add(testutil.ReadFixture(f, "hive/regipy_transactions_ntuser.dat.log2"), uint8(1))
	}
	f.Fuzz(func(t *testing.T, log []byte, which uint8) {
		primary := primaries[int(which)%len(primaries)]
		h, err := hive.Parse(primary, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !h.Dirty() {
			t.Fatal("the primary is not dirty")
		}
		_, err = h.Replay(log)
		if err != nil {
			if !typedErr(err) {
				t.Fatalf("untyped error: %v", err)
			}
			if !bytes.Equal(h.Bytes(), primary) {
				t.Fatal("failed replay changed the hive")
			}
			return
		}
		if h.Dirty() != bytes.Equal(h.Bytes(), primary) {
			t.Fatal("a replay that changed the hive must leave it clean, one that did not must leave it dirty")
		}
		_ = h.Check()
		if _, err := hive.Parse(h.Bytes(), nil); err != nil {
			t.Fatalf("replayed hive does not reopen: %v", err)
		}
	})
}

// FuzzImportReg imports arbitrary text as a .reg file into a new hive: no
// panic, typed errors, an unchanged hive on error, and a sound hive
// otherwise.
func FuzzImportReg(f *testing.F) {
	f.Add([]byte("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\X]\r\n\"a\"=dword:00000001\r\n\"b\"=hex(7):61,00,00,00,00,00\r\n@=\"x\"\r\n[-HKEY_LOCAL_MACHINE\\X\\Y]\r\n"))
	f.Add([]byte("REGEDIT4\n\n[\\]\n\n[\\K\\L]\n\"v\"=hex:01,\\\n  02\n\"w\"=-\n"))
	// The exports of the generated hives, in both encodings.
	for _, b := range generatedHives(f) {
		h, err := hive.Parse(b, nil)
		if err != nil {
			f.Fatal(err)
		}
		for _, utf8 := range []bool{true, false} {
			var reg bytes.Buffer
			if err := h.ExportReg(&reg, &hive.ExportOptions{UTF8: utf8}); err != nil {
				f.Fatal(err)
			}
			f.Add(reg.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, reg []byte) {
		h, err := hive.New("ROOT", hive.Version15, nil)
		if err != nil {
			t.Fatal(err)
		}
		before := h.Bytes()
		if err := h.ImportReg(bytes.NewReader(reg), nil); err != nil {
			if !typedErr(err) {
				t.Fatalf("untyped error: %v", err)
			}
			if !bytes.Equal(h.Bytes(), before) {
				t.Fatal("failed import changed the hive")
			}
			return
		}
		if ps := h.Check(); len(ps) > 0 {
			t.Fatalf("imported hive has problems: %v", ps)
		}
	})
}

func readFileTB(tb testing.TB, p string) []byte {
	tb.Helper()
	b, err := readFileErr(p)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
