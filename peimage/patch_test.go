package peimage_test

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"strconv"
	"testing"

	"github.com/saferwall/pe"
	pelog "github.com/saferwall/pe/log"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/peimage"
)

type quietLogger struct{}

func (quietLogger) Log(pelog.Level, ...any) error { return nil }

// saferwallParses runs the full saferwall/pe parser (all data directories)
// on b.
func saferwallParses(t *testing.T, b []byte) {
	t.Helper()
	f, err := pe.NewBytes(b, &pe.Options{DisableCertValidation: true, DisableSignatureValidation: true, Logger: quietLogger{}})
	require.NoError(t, err)
	require.NoError(t, f.Parse(), "saferwall/pe Parse")
}

var readpeChecksumRE = regexp.MustCompile(`(?m)^\s*Checksum:\s*(0x[0-9a-f]+|0)\s*$`)

// readpeChecksum runs readpe on a file and returns the checksum it shows.
func readpeChecksum(t *testing.T, file string) uint32 {
	t.Helper()
	out := testutil.Run(t, testutil.Tool(t, "readpe"), "-h", "optional", file)
	m := readpeChecksumRE.FindStringSubmatch(out)
	require.NotNil(t, m, "readpe output:\n%s", out)
	v, err := strconv.ParseUint(m[1], 0, 32)
	require.NoError(t, err)
	return uint32(v)
}

// onlyChanged fails unless every byte that differs between before and after
// lies in one of the changes or in the checksum field.
func onlyChanged(t *testing.T, before, after []byte, rep *peimage.Report) {
	t.Helper()
	require.Equal(t, len(before), len(after))
	allowed := func(i int64) bool {
		if rep.Checksum != nil && i >= rep.Checksum.Offset && i < rep.Checksum.Offset+4 {
			return true
		}
		for _, c := range rep.Changes {
			if i >= c.Offset && i < c.Offset+int64(len(c.New)) {
				return true
			}
		}
		return false
	}
	for i := range before {
		if before[i] != after[i] && !allowed(int64(i)) {
			t.Fatalf("byte %#x changed outside the edits:\n%s", i, testutil.HexDiff(before, after))
		}
	}
}

// padded returns s in encoding e, NUL-padded to n bytes.
func padded(s string, e peimage.Encoding, n int) []byte {
	b := make([]byte, n)
	copy(b, encode(s, e))
	return b
}

// TestReplaceGoPEInterop patches a Go-built PE32 and PE32+ (an ASCII and a
// UTF-16LE string in one transaction) and has saferwall/pe, pefile and
// readpe read the result.
func TestReplaceGoPEInterop(t *testing.T) {
	for _, arch := range []string{"386", "amd64"} {
		t.Run(arch, func(t *testing.T) {
			before := goPE(t, arch)
			img, err := peimage.Parse(before, nil)
			require.NoError(t, err)
			rep, err := img.Replace([]peimage.Edit{
				{Old: asciiMgr, New: "testmgr.exe", Encoding: peimage.ASCII},
				{Old: wideBCD, New: `\Test\BCD`, Encoding: peimage.UTF16LE},
			}, nil)
			require.NoError(t, err)
			after := img.Bytes()

			wantASCII := offsets(before, []byte(asciiMgr), peimage.ASCII)
			wantWide := offsets(before, utf16(wideBCD), peimage.UTF16LE)
			require.Len(t, rep.Changes, len(wantASCII)+len(wantWide))
			for _, c := range rep.Changes {
				e := merge(wantASCII, wantWide)[c.Offset]
				assert.Equal(t, e, c.Encoding)
				assert.Equal(t, padded(map[peimage.Encoding]string{peimage.ASCII: "testmgr.exe", peimage.UTF16LE: `\Test\BCD`}[e], e, len(c.Old)),
					after[c.Offset:c.Offset+int64(len(c.Old))])
			}
			onlyChanged(t, before, after, rep)
			require.NotNil(t, rep.Checksum)
			field := checksumField(after)
			assert.Equal(t, field, rep.Checksum.Offset)
			assert.Equal(t, ref16(after, field), binary.LittleEndian.Uint32(after[field:]))

			saferwallParses(t, after)
			f := writeTemp(t, "patched.exe", after)
			assert.True(t, pefile(t, f)[f].Verified, "pefile verify_checksum()")
			assert.Equal(t, rep.Checksum.New, readpeChecksum(t, f), "readpe")
			require.NoError(t, img.VerifyChecksum())
		})
	}
}

func TestReplaceShorterPads(t *testing.T) {
	before := goPE(t, "amd64")
	img, err := peimage.Parse(before, nil)
	require.NoError(t, err)
	rep, err := img.Replace([]peimage.Edit{
		{Old: asciiMgr, New: "pe.exe", Encoding: peimage.ASCII},
		{Old: wideBCD, New: `\PE\BCD`, Encoding: peimage.UTF16LE},
	}, nil)
	require.NoError(t, err)
	after := img.Bytes()
	for _, c := range rep.Changes {
		got := after[c.Offset : c.Offset+int64(len(c.Old))]
		if c.Encoding == peimage.ASCII {
			assert.Equal(t, []byte("pe.exe\x00\x00\x00\x00\x00"), got)
		} else {
			assert.Equal(t, append(utf16(`\PE\BCD`), 0, 0, 0, 0), got)
		}
	}
	onlyChanged(t, before, after, rep)
}

func TestReplaceErrorsLeaveImageUnchanged(t *testing.T) {
	before := goPE(t, "386")
	asciiOff := int64(bytes.Index(before, []byte(asciiMgr)))
	tests := []struct {
		name    string
		edits   []peimage.Edit
		wantErr error
		check   func(t *testing.T, err error)
	}{
		{"longer ASCII", []peimage.Edit{{Old: asciiMgr, New: "testmgr2.exe", Encoding: peimage.ASCII}}, peimage.ErrTooLong,
			func(t *testing.T, err error) {
				var le *peimage.LengthError
				require.ErrorAs(t, err, &le)
				assert.Equal(t, 11, le.Available)
				assert.Equal(t, 12, le.Needed)
				assert.Equal(t, peimage.ASCII, le.Encoding)
			}},
		{"longer UTF-16LE", []peimage.Edit{{Old: wideBCD, New: `\Test\BCD2`, Encoding: peimage.UTF16LE}}, peimage.ErrTooLong,
			func(t *testing.T, err error) {
				var le *peimage.LengthError
				require.ErrorAs(t, err, &le)
				assert.Equal(t, 18, le.Available)
				assert.Equal(t, 20, le.Needed)
			}},
		{"not found", []peimage.Edit{{Old: "no such string"}}, peimage.ErrNotFound, nil},
		{"count mismatch", []peimage.Edit{{Old: asciiMgr, New: "x", Count: 2}}, peimage.ErrCount,
			func(t *testing.T, err error) {
				var ce *peimage.CountError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, 2, ce.Want)
				assert.Equal(t, 1, ce.Got)
			}},
		{"wrong offset", []peimage.Edit{{Old: asciiMgr, New: "x", Offsets: []int64{asciiOff + 1}}}, peimage.ErrNotFound, nil},
		{"second edit fails", []peimage.Edit{{Old: asciiMgr, New: "testmgr.exe"}, {Old: "absent"}}, peimage.ErrNotFound, nil},
		{"overlapping edits", []peimage.Edit{{Old: asciiMgr, New: "testmgr.exe"}, {Old: "mgr.exe", New: "MGR.EXE"}}, peimage.ErrConflict, nil},
		{"empty old", []peimage.Edit{{Old: ""}}, peimage.ErrNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := peimage.Parse(before, nil)
			require.NoError(t, err)
			rep, err := img.Replace(tt.edits, nil)
			require.Nil(t, rep)
			require.ErrorIs(t, err, tt.wantErr)
			if tt.check != nil {
				tt.check(t, err)
			}
			testutil.EqualBytes(t, before, img.Bytes(), "image changed by a failed Replace")
		})
	}
}

func TestReplaceOffsetsAndCount(t *testing.T) {
	// A raw image with three occurrences.
	raw := []byte("..ntldr..NTLDR..ntldr..")
	img, err := peimage.Parse(raw, nil)
	require.NoError(t, err)
	rep, err := img.Replace([]peimage.Edit{{Old: "ntldr", New: "netpe", Offsets: []int64{9}, IgnoreCase: true}}, nil)
	require.NoError(t, err)
	assert.Nil(t, rep.Checksum, "raw images have no checksum")
	assert.Equal(t, "..ntldr..netpe..ntldr..", string(img.Bytes()))
	rep, err = img.Replace([]peimage.Edit{{Old: "ntldr", New: "xx", Count: 2}}, nil)
	require.NoError(t, err)
	require.Len(t, rep.Changes, 2)
	assert.Equal(t, "..xx\x00\x00\x00..netpe..xx\x00\x00\x00..", string(img.Bytes()))
}

func TestReplaceChecksumFieldConflict(t *testing.T) {
	b := buildPE(peSpec{})
	copy(b[0x80+88-2:], "ABCDEFGH") // straddles the CheckSum field
	img, err := peimage.Parse(b, nil)
	require.NoError(t, err)
	_, err = img.Replace([]peimage.Edit{{Old: "ABCDEFGH", New: "x"}}, nil)
	require.ErrorIs(t, err, peimage.ErrConflict)
}

func TestReplaceRefusesHeaderDamage(t *testing.T) {
	b := buildPE(peSpec{})
	img, err := peimage.Parse(b, nil)
	require.NoError(t, err)
	// "PE\0\0" replaced by "X": the result would not parse.
	_, err = img.Replace([]peimage.Edit{{Old: "PE\x00\x00", New: "X", Encoding: peimage.ASCII}}, nil)
	require.ErrorIs(t, err, peimage.ErrFormat)
	testutil.EqualBytes(t, b, img.Bytes())
	// "MZ" replaced: the PE would become a raw image.
	_, err = img.Replace([]peimage.Edit{{Old: "MZ", New: "M", Encoding: peimage.ASCII}}, nil)
	require.ErrorIs(t, err, peimage.ErrFormat)
	testutil.EqualBytes(t, b, img.Bytes())
	assert.Equal(t, peimage.KindPE, img.Kind())
}

func TestReportString(t *testing.T) {
	b := buildPE(peSpec{sections: 2, fill: func(i int, s []byte) {
		copy(s, "bootmgr.exe\x00")
		copy(s[0x40:], utf16(`\Boot\BCD`))
	}})
	img, err := peimage.Parse(b, nil)
	require.NoError(t, err)
	rep, err := img.Replace([]peimage.Edit{
		{Old: "bootmgr.exe", New: "testmgr.exe", Encoding: peimage.ASCII},
		{Old: `\Boot\BCD`, New: `\PE\BCD`, Encoding: peimage.UTF16LE},
	}, nil)
	require.NoError(t, err)
	testutil.Golden(t, "report.golden", []byte(rep.String()))
}

// TestSignaturePolicies runs the three policies on Debian's signed MokManager.
func TestSignaturePolicies(t *testing.T) {
	signed := readShim(t, "mmx64.efi.signed")
	unsigned := readShim(t, "mmx64.efi")
	edits := []peimage.Edit{{Old: "MokManager", New: "MokMgr", Encoding: peimage.UTF16LE}}

	t.Run("refuse by default", func(t *testing.T) {
		img, err := peimage.Parse(signed, nil)
		require.NoError(t, err)
		_, err = img.Replace(edits, nil)
		require.ErrorIs(t, err, peimage.ErrSigned)
		var se *peimage.SignedError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 1, se.Entries)
		assert.Equal(t, int64(len(unsigned)+4), se.Offset)
		testutil.EqualBytes(t, signed, img.Bytes())
	})
	t.Run("strip", func(t *testing.T) {
		img, err := peimage.Parse(signed, nil)
		require.NoError(t, err)
		rep, err := img.Replace(edits, &peimage.PatchOptions{Signature: peimage.SignatureStrip})
		require.NoError(t, err)
		require.NotNil(t, rep.Stripped)
		assert.Equal(t, int64(4), rep.Stripped.Padding)
		assert.False(t, img.Signed())
		after := img.Bytes()
		require.Equal(t, len(unsigned), len(after))
		// Against the unsigned original, only the string and the checksum differ.
		onlyChanged(t, unsigned, after, rep)
		f := writeTemp(t, "mm-stripped-patched.efi", after)
		assert.True(t, pefile(t, f)[f].Verified, "pefile verify_checksum()")
		saferwallParses(t, after)
		assert.Contains(t, rep.String(), "certificate table removed")
	})
	t.Run("keep", func(t *testing.T) {
		img, err := peimage.Parse(signed, nil)
		require.NoError(t, err)
		rep, err := img.Replace(edits, &peimage.PatchOptions{Signature: peimage.SignatureKeep})
		require.NoError(t, err)
		assert.True(t, rep.SignatureInvalid)
		assert.Nil(t, rep.Stripped)
		assert.True(t, img.Signed())
		after := img.Bytes()
		onlyChanged(t, signed, after, rep)
		f := writeTemp(t, "mm-kept.efi", after)
		assert.True(t, pefile(t, f)[f].Verified, "pefile verify_checksum()")
		assert.Equal(t, rep.Checksum.New, osslChecksum(t, f))
		// osslsigncode now finds the Authenticode digest wrong.
		cur, calc := osslDigests(t, f)
		assert.NotEqual(t, cur, calc)
		cur, calc = osslDigests(t, shimFile(t, "mmx64.efi.signed"))
		assert.Equal(t, cur, calc, "the original's digest matches")
	})
	t.Run("unknown policy", func(t *testing.T) {
		img, err := peimage.Parse(signed, nil)
		require.NoError(t, err)
		_, err = img.Replace(edits, &peimage.PatchOptions{Signature: 9})
		require.Error(t, err)
		_, err = peimage.ParseSignaturePolicy("maybe")
		require.Error(t, err)
		p, err := peimage.ParseSignaturePolicy("strip")
		require.NoError(t, err)
		assert.Equal(t, peimage.SignatureStrip, p)
	})
}

var osslDigestRE = regexp.MustCompile(`(?m)^(Current|Calculated) message digest\s*:\s*([0-9A-F]+)`)

// osslDigests returns the Authenticode digest osslsigncode reads from the
// signature and the one it computes from the file.
func osslDigests(t *testing.T, file string) (current, calculated string) {
	t.Helper()
	out, errOut, _ := testutil.RunErr(testutil.Tool(t, "osslsigncode"), "verify", "-in", file)
	for _, m := range osslDigestRE.FindAllStringSubmatch(out+errOut, -1) {
		if m[1] == "Current" && current == "" {
			current = m[2]
		}
		if m[1] == "Calculated" && calculated == "" {
			calculated = m[2]
		}
	}
	require.NotEmpty(t, current, "osslsigncode output:\n%s%s", out, errOut)
	require.NotEmpty(t, calculated)
	return current, calculated
}
