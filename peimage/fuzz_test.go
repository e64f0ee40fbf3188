package peimage_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/peimage"
)

// fuzzSeeds are the inputs FuzzImage starts from: generated PEs (hand-built
// and Go-built), raw and BIOS-bootmgr stand-ins, and Debian's shim binaries
// when installed.
func fuzzSeeds(f *testing.F) [][]byte {
	seeds := [][]byte{
		buildPE(peSpec{}),
		buildPE(peSpec{plus: true, sections: 3, fill: func(i int, s []byte) { copy(s, utf16(wideBCD)); copy(s[100:], asciiMgr) }}),
		buildPE(peSpec{cert: winCert(40, 0x30)}),
		buildPE(peSpec{plus: true, cert: append(winCert(17, 1), winCert(9, 2)...)}),
		buildPE(peSpec{elfanew: 0x82}),
		messWith(buildPE(peSpec{}), func(b []byte) { copy(b[0x50:], "DanSRich\x00\x00\x00\x00") }),
		biosBootmgr(true),
		append(realMode(0x6000, 1), "bootmgr.exe\x00ntldr"...),
		[]byte("MZ"),
	}
	for _, arch := range []string{"386", "amd64"} {
		seeds = append(seeds, compactSeed(goPE(f, arch)))
	}
	// The real signed and unsigned PE32+ files of Debian's shim packages:
	// optional locally (the generated seeds and the committed corpus still
	// run without them), required under CI.
	for _, n := range []string{"mmx64.efi.signed", "fbx64.efi", "shimx64.efi.signed"} {
		if testutil.CI() {
			shimFile(f, n)
		}
		if b, err := os.ReadFile("/usr/lib/shim/" + n); err == nil {
			seeds = append(seeds, compactSeed(b))
		}
	}
	return seeds
}

// compactSeed keeps the first 64 KiB of a large PE (headers and the start
// of the sections) and moves its certificate table right behind them, so
// that the fuzzer mutates the structures rather than megabytes of code (and
// minimizing an interesting input stays fast).
func compactSeed(b []byte) []byte {
	const keep = 64 << 10
	if len(b) <= 4*keep {
		return b
	}
	out := bytes.Clone(b[:keep])
	img, err := peimage.Parse(b, nil)
	if err != nil || !img.Signed() {
		return out
	}
	h := img.Headers()
	table := b[h.CertTable.Offset:h.CertTable.End()]
	put32(out, int(h.CertDirOffset), uint32(len(out)))
	return append(out, table...)
}

// FuzzImage opens the input, finds a string, replaces its first occurrence
// with a shorter one, checks the checksum against the 16-bit reference and
// strips a signature. Beyond "no panic": errors are typed, an unedited image
// writes back the input, Find agrees with a naive search, a patch changes
// only the replaced bytes and the checksum field, and a patched PE verifies.
func FuzzImage(f *testing.F) {
	for i, s := range fuzzSeeds(f) {
		f.Add(s, []string{"MZ", wideBCD, asciiMgr, "ntldr", "PE"}[i%5], i%2 == 0, uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, s string, fold bool, encSel uint8) {
		if len(data) > 4<<20 || len(s) > 64 {
			return
		}
		lim := peimage.Limits{MaxMatches: 64, MaxSections: 32}
		img, err := peimage.Parse(data, &peimage.Options{Limits: lim})
		if err != nil {
			var fe *peimage.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("untyped error: %v", err)
			}
			// Every file can still be handled as raw bytes.
			if img, err = peimage.Parse(data, &peimage.Options{Limits: lim, Raw: true}); err != nil {
				t.Fatalf("raw parse: %v", err)
			}
		}
		if !bytes.Equal(img.Bytes(), data) {
			t.Fatal("unedited image does not write back the input")
		}
		if img.Signed() {
			h := img.Headers()
			certs, err := img.Certificates()
			if err != nil && !errors.Is(err, peimage.ErrFormat) && !errors.Is(err, peimage.ErrLimit) {
				t.Fatalf("Certificates: untyped error %v", err)
			}
			for _, c := range certs {
				if c.Offset < h.CertTable.Offset || c.Offset+int64(c.Length) > h.CertTable.End() {
					t.Fatalf("certificate %+v outside the table %+v", c, h.CertTable)
				}
			}
		}
		if h := img.Headers(); h != nil {
			got, err := img.ComputeChecksum()
			if err != nil {
				t.Fatal(err)
			}
			if want := ref16(data, h.ChecksumOffset); got != want {
				t.Fatalf("checksum %#x, reference %#x", got, want)
			}
		}

		if s == "" {
			return
		}
		enc := []peimage.Encoding{peimage.ASCII, peimage.UTF16LE, peimage.Both}[encSel%3]
		matches, err := img.Find(s, &peimage.FindOptions{Encoding: enc, IgnoreCase: fold})
		if errors.Is(err, peimage.ErrLimit) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		var target *peimage.Match
		for i, m := range matches {
			want := encode(s, m.Encoding)
			got := data[m.Offset : m.Offset+int64(m.Length)]
			if !bytes.Equal(got, want) && !(fold && bytes.EqualFold(got, want)) {
				t.Fatalf("match at %#x is %q, not %q", m.Offset, got, want)
			}
			if target == nil && !m.InCertTable {
				target = &matches[i]
			}
		}
		if target == nil {
			return
		}
		repl := s[:len(s)/2]
		rep, err := img.Replace([]peimage.Edit{{Old: s, New: repl, Encoding: target.Encoding, IgnoreCase: fold, Offsets: []int64{target.Offset}}},
			&peimage.PatchOptions{Signature: peimage.SignatureKeep})
		if err != nil {
			// A patch may hit the checksum field or break the headers; both
			// are refused without changing the image.
			if !errors.Is(err, peimage.ErrConflict) && !errors.Is(err, peimage.ErrFormat) {
				t.Fatalf("replace: %v", err)
			}
			if !bytes.Equal(img.Bytes(), data) {
				t.Fatal("failed replace changed the image")
			}
			return
		}
		after := img.Bytes()
		want := bytes.Clone(data)
		copy(want[target.Offset:], make([]byte, target.Length))
		copy(want[target.Offset:], encode(repl, target.Encoding))
		if rep.Checksum != nil {
			copy(want[rep.Checksum.Offset:], after[rep.Checksum.Offset:rep.Checksum.Offset+4])
			if err := img.VerifyChecksum(); err != nil {
				t.Fatalf("patched image: %v", err)
			}
		}
		if !bytes.Equal(after, want) {
			t.Fatal("replace changed other bytes")
		}
		if img.Signed() {
			if _, err := img.StripSignature(); err == nil {
				if img.Signed() || img.VerifyChecksum() != nil {
					t.Fatal("strip left a signature or a bad checksum")
				}
			} else if !errors.Is(err, peimage.ErrUnsupported) && !errors.Is(err, peimage.ErrFormat) {
				t.Fatalf("strip: %v", err)
			}
		}
	})
}

// FuzzChecksum: the streaming checksum, fed in up to three chunks with the
// field anywhere (or nowhere), equals the 16-bit reference and the
// checksum of the whole buffer at once.
func FuzzChecksum(f *testing.F) {
	for _, b := range [][]byte{buildPE(peSpec{}), buildPE(peSpec{plus: true, cert: winCert(17, 3)}), {0xff}, {1, 2, 3}, nil} {
		f.Add(b, int64(0xd8), uint16(1), uint16(77))
		f.Add(b, int64(-1), uint16(3), uint16(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, field int64, c1, c2 uint16) {
		want := ref16(data, field)
		cut1 := min(int(c1), len(data))
		cut2 := max(cut1, min(int(c2), len(data)))
		if got := checksumOf(data, field, cut1, cut2); got != want {
			t.Fatalf("streamed in chunks cut at %d, %d: %#x, reference %#x", cut1, cut2, got, want)
		}
		if got := checksumOf(data, field); got != want {
			t.Fatalf("in one write: %#x, reference %#x", got, want)
		}
	})
}
