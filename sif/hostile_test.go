package sif_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/sif"
)

// typedText reports whether err wraps a sentinel of sif or of the inf
// parser underneath (inf.ParseOEM returns inf's errors as they are).
func typedText(err error) bool { return isOurs(err) || isInf(err) }

// A hostile kind reads a file (parse and every typed view) and then runs
// the operations a caller runs with it (a slipstream and its removal,
// registry lines, load options, 0PE entries), noting every error met. The
// heap use of reading and of each operation is measured apart: each is one
// pass of the package over the hostile input.
type hostileKind struct {
	read func(t *testing.T, b []byte) (any, error)
	// readByInf marks a file that package inf parses on its own
	// (inf.ParseOEM): the heap its parse takes is inf's to bound (in
	// inf's hostile tests); here it is only logged.
	readByInf bool
	ops       []hostileOp
}

// maxOpAlloc bounds the heap one operation on a hostile file may take. An
// edit of a txtsetup.sif is made on a trial copy first (one more parse of
// the file, so that a failure leaves the SIF as it was), and inf rebuilds
// its line tables for the first reader after each edit: up to about twice
// what reading the file takes.
const maxOpAlloc = 2 * testutil.MaxHostileAlloc

type hostileOp struct {
	name string
	run  func(t *testing.T, v any, note func(string, error))
}

var hostileKinds = map[string]hostileKind{
	"txtsetup.sif": {
		read: func(t *testing.T, b []byte) (any, error) {
			s, err := sif.Parse(b, nil)
			if err == nil {
				readViews(s)
			}
			return s, err
		},
		ops: []hostileOp{
			{"apply", func(t *testing.T, v any, note func(string, error)) {
				_, err := exampleSlip(t).ApplySIF(v.(*sif.SIF))
				note("apply", err)
			}},
			{"remove", func(t *testing.T, v any, note func(string, error)) {
				_, err := exampleSlip(t).RemoveSIF(v.(*sif.SIF))
				note("remove", err)
			}},
		},
	},
	"txtsetup.oem": {
		read:      func(t *testing.T, b []byte) (any, error) { return inf.ParseOEM(b, nil) },
		readByInf: true,
		ops: []hostileOp{
			{"0PE entries", func(t *testing.T, v any, note func(string, error)) {
				list, ws := sif.ZeroPEEntries(v.(*inf.OEM), "scsi")
				assert.LessOrEqual(t, len(ws), 101, "warnings are capped")
				c, err := sif.ParseCHKPCI(nil, nil)
				require.NoError(t, err)
				c.Add(list)
			}},
			{"slipstream", func(t *testing.T, v any, note func(string, error)) {
				s, err := sif.NewSlipstream(v.(*inf.OEM), nil)
				if err != nil {
					note("slipstream", err)
					return
				}
				_, err = s.HiveLines()
				note("hive lines", err)
				_ = s.CopyPlan("I386")
				t2, err := sif.Parse([]byte(exampleSIF), nil)
				require.NoError(t, err)
				_, err = s.ApplySIF(t2)
				note("apply", err)
				c, err := sif.ParseCHKPCI(nil, nil)
				require.NoError(t, err)
				c.Add(s.PCI)
				c.Remove(s.PCI)
				assert.Empty(t, c.Bytes())
			}},
			{"registry", func(t *testing.T, v any, note func(string, error)) {
				s, err := sif.NewSlipstream(v.(*inf.OEM), nil)
				if err != nil {
					note("slipstream", err)
					return
				}
				_, err = s.ApplyRegistry(inf.NewMemRegistry(), nil)
				note("registry", err)
			}},
		},
	},
	"winnt.sif": {
		read: func(t *testing.T, b []byte) (any, error) {
			w, err := sif.ParseWinnt(b, nil)
			if err == nil {
				_, _ = w.BootDevice(), w.BootPath()
				_ = w.RAMDisk()
			}
			return w, err
		},
		ops: []hostileOp{{"load options", func(t *testing.T, v any, note func(string, error)) {
			w := v.(*sif.Winnt)
			opts, err := w.LoadOptions()
			note("load options", err)
			if err == nil {
				note("set load options", w.SetLoadOptions(opts))
			}
			_, err = w.Normalize()
			note("normalize", err)
		}}},
	},
	"CHKPCI.TXT": {
		read: func(t *testing.T, b []byte) (any, error) {
			c, err := sif.ParseCHKPCI(b, nil)
			if err == nil {
				_ = c.Entries()
			}
			return c, err
		},
		ops: []hostileOp{{"add and remove", func(t *testing.T, v any, note func(string, error)) {
			c := v.(*sif.CHKPCI)
			n := len(c.Entries())
			entries := []sif.PCIEntry{{ID: `PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4`, Service: "VIOSTOR"}, {ID: "P00007", Service: "S"}}
			c.Add(entries)
			c.Remove(entries)
			assert.LessOrEqual(t, len(c.Entries()), n, "Add then Remove")
		}}},
	},
}

// exampleSlip is the slipstream of exampleOEM.
func exampleSlip(tb testing.TB) *sif.Slipstream {
	s, err := sif.NewSlipstream(parseOEM(tb, exampleOEM), nil)
	require.NoError(tb, err)
	return s
}

// readViews reads every typed view of a txtsetup.sif.
func readViews(s *sif.SIF) {
	for _, arch := range []inf.Arch{"", inf.X86, inf.AMD64} {
		for _, d := range s.SourceDisksNames(arch) {
			_, _ = s.SourceDisk(arch, d.ID)
		}
		for _, f := range s.SourceDisksFiles(arch) {
			_ = f.String()
		}
		_ = s.FilesSection(arch)
		_, _ = sif.MediaDirFor(s, arch, "")
	}
	for _, d := range s.Directories() {
		_, _ = s.Directory(d.ID)
	}
	for _, name := range s.LoadSections() {
		_ = s.Load(name)
	}
	_ = s.Descriptions("SCSI")
	_ = s.HardwareIDs()
	for _, f := range s.FileFlags() {
		_, _ = f.Value()
	}
	_, _ = s.SetupData(sif.KeyOsLoadOptions)
}

// exerciseText reads b as kind and runs its operations, each within a
// time bound, and returns the bytes allocated by reading and by each
// operation, and the errors met (each must be typed).
func exerciseText(t *testing.T, kind string, b []byte) (allocs map[string]uint64, errs []error) {
	t.Helper()
	k := hostileKinds[kind]
	note := func(what string, err error) {
		if err != nil {
			assert.True(t, typedText(err), "%s: untyped error: %v", what, err)
			errs = append(errs, err)
		}
	}
	timed := func(fn func()) uint64 {
		done := make(chan struct{})
		return testutil.Allocated(func() {
			go func() {
				defer close(done)
				fn()
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("hostile input hangs")
			}
		})
	}
	allocs = map[string]uint64{}
	var v any
	var err error
	allocs["read"] = timed(func() { v, err = k.read(t, b) })
	if err != nil {
		note("read", err)
		return allocs, errs
	}
	for _, op := range k.ops {
		allocs[op.name] = timed(func() { op.run(t, v, note) })
	}
	return allocs, errs
}

// repeat returns head followed by line(i) for i = 0, 1, ... as long as the
// result stays within size bytes (or n lines, when n > 0).
func repeat(head string, size, n int, line func(i int) string) []byte {
	var b bytes.Buffer
	b.WriteString(head)
	for i := 0; n <= 0 || i < n; i++ {
		l := line(i)
		if b.Len()+len(l) > size {
			break
		}
		b.WriteString(l)
	}
	return b.Bytes()
}

// TestHostileTextFiles feeds txtsetup.sif, txtsetup.oem, winnt.sif and
// CHKPCI.TXT inputs of adversarial shapes, each at most 1 MiB, through
// what a caller does with them (parse, every typed view, a slipstream, the
// registry lines, load options, 0PE entries): no panic, no hang, typed
// errors (the one named in want among them), and at most
// testutil.MaxHostileAlloc allocated.
func TestHostileTextFiles(t *testing.T) {
	const mib = 1 << 20
	oemHead := "[Disks]\r\nd1 = \"Disk\",\\tag,\\x86\r\n[Defaults]\r\nscsi = A\r\n[scsi]\r\nA = \"Adapter A\"\r\n" +
		"[Files.scsi.A]\r\ndriver = d1, a.sys, A\r\n"
	long := strings.Repeat("x", mib-64)
	tests := []struct {
		name string
		kind string
		in   []byte
		want error // nil: any typed error, or none
	}{
		// txtsetup.sif
		{"one section of 1 MiB", "txtsetup.sif", repeat("[SourceDisksFiles.x86]\r\n", mib, 0, func(i int) string {
			return fmt.Sprintf("f%06d.sys = 1,,,,,,4_,4,1,,,1,4\r\n", i)
		}), nil},
		{"100,000 sections", "txtsetup.sif", repeat("", mib, 100000, func(i int) string { return fmt.Sprintf("[s%05d]\n", i) }), nil},
		{"100,001 sections", "txtsetup.sif", repeat("", mib, 100001, func(i int) string { return fmt.Sprintf("[%06d]\n", i) }), sif.ErrLimit},
		{"100,000 hardware IDs", "txtsetup.sif", repeat("[HardwareIdsDatabase]\n", mib, 100000, func(i int) string { return fmt.Sprintf("P%06d=s\n", i) }), nil},
		{"100,000 *.Load sections", "txtsetup.sif", repeat("", mib, 100000, func(i int) string { return fmt.Sprintf("[%05d.Load]\n", i) }), nil},
		{"a line of 1 MiB", "txtsetup.sif", []byte("[SetupData]\nOsLoadOptions = " + long[:mib-64-len("[SetupData]\nOsLoadOptions = ")]), nil},
		{"a line of 500,000 fields", "txtsetup.sif", []byte("[SourceDisksFiles]\na.sys = " + strings.Repeat("1,", 500000)), nil},
		{"1 MiB of line endings", "txtsetup.sif", bytes.Repeat([]byte("\n"), mib), sif.ErrLimit},
		{"10,001 continuation lines", "txtsetup.sif", repeat("[SetupData]\nk = a", mib, 10001, func(int) string { return ",\\\n" }), sif.ErrLimit},
		{"a field of 250,000 substitutions", "txtsetup.sif", []byte("[Strings]\ns = " + strings.Repeat("y", 4000) + "\n[SCSI.Load]\na = " + strings.Repeat("%s%", 250000) + "\n"), nil},
		// txtsetup.oem
		{"one section of 1 MiB", "txtsetup.oem", repeat(oemHead+"[Config.A]\r\n", mib, 0, func(i int) string {
			return fmt.Sprintf("value = \"\", v%06d, REG_DWORD, %d\r\n", i, i)
		}), sif.ErrLimit},
		{"100,000 sections", "txtsetup.oem", repeat(oemHead, mib, 100000, func(i int) string { return fmt.Sprintf("[%05d]\n", i) }), nil},
		{"87,000 hardware IDs", "txtsetup.oem", repeat(oemHead+"[HardwareIds.scsi.A]\n", mib, 0, func(i int) string { return fmt.Sprintf("id=P%06d,a\n", i) }), sif.ErrLimit},
		{"2,048 PCI IDs and 2,000 values (near the limits)", "txtsetup.oem", []byte(oemHead +
			string(repeat("[HardwareIds.scsi.A]\n", mib, 2048, func(i int) string { return fmt.Sprintf("id=\"PCI\\VEN_%04X&DEV_1\",\"a\"\n", i) })) +
			string(repeat("[Config.A]\n", mib, 2000, func(i int) string { return fmt.Sprintf("value = \"\", v%06d, REG_DWORD, %d\n", i, i) }))), nil},
		{"100,000 options", "txtsetup.oem", repeat(oemHead+"[scsi]\n", mib, 100000, func(i int) string { return fmt.Sprintf("%06d=d\n", i) }), nil},
		{"a description of 1 MiB", "txtsetup.oem", []byte(oemHead + "[scsi]\r\nA = \"" + long[:mib-64-len(oemHead)] + "\"\r\n"), nil},
		// winnt.sif
		{"one section of 1 MiB", "winnt.sif", repeat("[SetupData]\r\n", mib, 0, func(i int) string { return fmt.Sprintf("k%06d = \"v\"\r\n", i) }), nil},
		{"100,000 sections", "winnt.sif", repeat("", mib, 100000, func(i int) string { return fmt.Sprintf("[s%05d]\n", i) }), nil},
		{"100,000 load options", "winnt.sif", []byte("[SetupData]\r\nOsLoadOptions = \"" + strings.Repeat("/a ", 100000) + "\"\r\n"), nil},
		{"250,000 load options", "winnt.sif", []byte("[SetupData]\r\nOsLoadOptions = " + strings.Repeat("/a ", 250000) + "\r\n"), nil},
		{"a line of 1 MiB", "winnt.sif", []byte("[SetupData]\r\nOsLoadOptions = \"/rdpath=" + long[:mib-64-40] + "\"\r\n"), nil},
		// CHKPCI.TXT
		{"100,000 entries", "CHKPCI.TXT", repeat("", mib, 100000, func(i int) string { return fmt.Sprintf("$P%05d\nS\n", i) }), nil},
		{"a line of 1 MiB", "CHKPCI.TXT", []byte("$" + long), nil},
		{"1 MiB of line endings", "CHKPCI.TXT", bytes.Repeat([]byte("\r\n"), mib/2), nil},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.name, func(t *testing.T) {
			require.LessOrEqual(t, len(tt.in), mib, "input larger than 1 MiB")
			start := time.Now()
			allocs, errs := exerciseText(t, tt.kind, tt.in)
			t.Logf("%d bytes in, allocated %v, %v, errors: %v", len(tt.in), allocs, time.Since(start), errs)
			for what, n := range allocs {
				switch {
				case what != "read":
					assert.LessOrEqual(t, n, uint64(maxOpAlloc), "%s allocated %d bytes", what, n)
				case !hostileKinds[tt.kind].readByInf:
					assert.LessOrEqual(t, n, uint64(testutil.MaxHostileAlloc), "%s allocated %d bytes", what, n)
				}
			}
			if tt.want != nil {
				require.ErrorIs(t, errors.Join(errs...), tt.want)
				if errors.Is(errs[0], sif.ErrFormat) || errors.Is(errs[0], sif.ErrLimit) {
					// A file sif reads itself fails with the place.
					var fe *sif.FormatError
					if tt.kind != "txtsetup.oem" {
						require.ErrorAs(t, errs[0], &fe)
					}
				}
			}
		})
	}
}

// richOEM is a txtsetup.oem with every kind of section text-mode setup
// reads: two disks, defaults, two scsi options with files, hardware IDs
// (with class GUIDs) and [Config] values, CRLF line endings.
const richOEM = "[Disks]\r\n" +
	"d1 = \"Driver disk\",\\tag1,\\x86\r\n" +
	"d2 = \"Driver disk 2\",\\tag2,\\x86\\raid\r\n" +
	"\r\n[Defaults]\r\nscsi = RAID\r\n" +
	"\r\n[scsi]\r\nRAID = \"Example RAID Controller\"\r\nAHCI = \"Example AHCI Controller\", exahci\r\n" +
	"\r\n[Files.scsi.RAID]\r\ndriver = d2, exraid.sys, exraid\r\ninf = d2, exraid.inf\r\ncatalog = d2, exraid.cat\r\n" +
	"dll = d2, exraid.dll\r\n" +
	"\r\n[Files.scsi.AHCI]\r\ndriver = d1, exahci.sys, exahci\r\ninf = d1, exahci.inf\r\n" +
	"\r\n[HardwareIds.scsi.RAID]\r\nid = \"PCI\\VEN_8086&DEV_2822&SUBSYS_00011234&REV_02\", \"exraid\", \"{4D36E97B-E325-11CE-BFC1-08002BE10318}\"\r\n" +
	"id = \"PCI\\VEN_8086&DEV_2822\", \"exraid\"\r\n" +
	"\r\n[HardwareIds.scsi.AHCI]\r\nid = \"PCI\\VEN_8086&DEV_2922&CC_0106\", \"exahci\"\r\n" +
	"\r\n[Config.exraid]\r\nvalue = Parameters\\PnpInterface, 5, REG_DWORD, 1\r\n" +
	"value = Parameters\\Device, NumberOfRequests, REG_DWORD, 0x80\r\n" +
	"value = \"\", Tag, REG_DWORD, 25\r\n"

// TestHostileOEMTruncated cuts txtsetup.oem files (generated, and the
// virtio-win ones when the fixtures are there) at every line boundary,
// before and after each line ending, and runs each cut through the whole
// slipstream: parse, NewSlipstream, hive lines, ApplySIF on a txtsetup.sif
// (twice, then RemoveSIF), the 0PE list. Each step fails with a typed
// error or works: a failed apply leaves the file as it was, a second
// apply changes nothing, removal gives the original back, all within the
// heap bound.
func TestHostileOEMTruncated(t *testing.T) {
	oems := map[string][]byte{"rich": []byte(richOEM), "example": []byte(exampleOEM)}
	for _, p := range testutil.OptionalFixtures(t, "inf/virtio-win", "*.oem") {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		oems[filepath.Base(p)] = b
	}
	for name, full := range oems {
		var cuts []int
		for i, c := range full {
			if c == '\n' {
				cuts = append(cuts, i+1)
				if i > 0 && full[i-1] == '\r' {
					cuts = append(cuts, i-1)
				} else {
					cuts = append(cuts, i)
				}
			}
		}
		worked := 0
		for _, n := range cuts {
			in := full[:n]
			var errs []error
			note := func(what string, err error) {
				if err != nil {
					require.True(t, typedText(err), "%s cut at %d: %s: untyped error: %v", name, n, what, err)
					errs = append(errs, err)
				}
			}
			alloc := testutil.Allocated(func() {
				oem, err := inf.ParseOEM(in, nil)
				if note("parse", err); err != nil {
					return
				}
				_, _ = sif.ZeroPEEntries(oem, "scsi")
				s, err := sif.NewSlipstream(oem, nil)
				if note("slipstream", err); err != nil {
					return
				}
				_, err = s.HiveLines()
				note("hive lines", err)
				orig := []byte(exampleSIF)
				doc, err := sif.Parse(orig, nil)
				require.NoError(t, err)
				edits, err := s.ApplySIF(doc)
				if note("apply", err); err != nil {
					testutil.EqualBytes(t, orig, doc.Bytes(), "a failed apply changed the file")
					return
				}
				once := doc.Bytes()
				_, err = s.ApplySIF(doc)
				require.NoError(t, err)
				testutil.EqualBytes(t, once, doc.Bytes(), "a second apply changed the file")
				_, err = s.RemoveSIF(doc)
				require.NoError(t, err)
				if !slices.ContainsFunc(edits, func(e sif.Edit) bool { return e.Kind == sif.EditUpdate || e.Kind == sif.EditUnchanged }) {
					testutil.EqualBytes(t, orig, doc.Bytes(), "removal does not restore the file")
				}
				c, err := sif.ParseCHKPCI(nil, nil)
				require.NoError(t, err)
				c.Add(s.PCI)
				c.Remove(s.PCI)
				assert.Empty(t, c.Bytes())
				worked++
			})
			assert.LessOrEqual(t, alloc, uint64(testutil.MaxHostileAlloc), "%s cut at %d", name, n)
		}
		t.Logf("%s: %d cuts, %d went through the whole slipstream", name, len(cuts), worked)
		assert.Positive(t, worked, "%s: some cuts keep a usable option", name)
	}
}
