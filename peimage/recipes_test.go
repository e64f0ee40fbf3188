package peimage_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/peimage"
)

// foldOffsets finds s case-insensitively (ASCII letters) in b, as ASCII and
// as UTF-16LE, at every start.
func foldOffsets(b []byte, s string) map[int64]peimage.Encoding {
	lower := func(x []byte) []byte { // ASCII only: bytes.ToLower would decode UTF-8
		y := bytes.Clone(x)
		for i, c := range y {
			if c >= 'A' && c <= 'Z' {
				y[i] = c + 'a' - 'A'
			}
		}
		return y
	}
	lb := lower(b)
	return merge(offsets(lb, lower([]byte(s)), peimage.ASCII), offsets(lb, lower(utf16(s)), peimage.UTF16LE))
}

// TestRecipePE2Bootmgr: the UTF-16LE BCD path in a Go-built stand-in for
// bootmgr.exe, with the checksum fixed.
func TestRecipePE2Bootmgr(t *testing.T) {
	before := goPE(t, "386")
	img, err := peimage.Parse(before, nil)
	require.NoError(t, err)
	rep, err := peimage.PE2Bootmgr(`\Test\BCD`).Apply(img, nil)
	require.NoError(t, err)
	want := offsets(before, utf16(wideBCD), peimage.UTF16LE)
	require.Len(t, rep.Changes, len(want))
	after := img.Bytes()
	for off := range want {
		assert.Equal(t, utf16(`\Test\BCD`), after[off:off+18])
	}
	onlyChanged(t, before, after, rep)
	require.NoError(t, img.VerifyChecksum())
	f := writeTemp(t, "testmgr.exe", after)
	assert.True(t, pefile(t, f)[f].Verified)

	// A signed bootmgr.exe is refused unless a policy is chosen.
	signed := buildPE(peSpec{cert: winCert(64, 5), fill: func(_ int, s []byte) { copy(s[8:], utf16(wideBCD)) }})
	img, err = peimage.Parse(signed, nil)
	require.NoError(t, err)
	_, err = peimage.PE2Bootmgr(`\Test\BCD`).Apply(img, nil)
	require.ErrorIs(t, err, peimage.ErrSigned)
	rep, err = peimage.PE2Bootmgr(`\Test\BCD`).Apply(img, &peimage.PatchOptions{Signature: peimage.SignatureStrip})
	require.NoError(t, err)
	assert.NotNil(t, rep.Stripped)
	assert.False(t, img.Signed())
	require.NoError(t, img.VerifyChecksum())
}

// TestRecipePE1 runs the WinPE 1.x recipes: startrom.n12 (raw) and
// setupldr.exe (PE), every occurrence in both encodings and any case.
func TestRecipePE1(t *testing.T) {
	t.Run("startrom.n12", func(t *testing.T) {
		b := realMode(0x4000, 9)
		copy(b[0x1000:], asciiNT+"\x00")
		copy(b[0x2000:], "ntldr\x00")
		copy(b[0x3001:], utf16("NtLdR"))
		img, err := peimage.Parse(b, nil)
		require.NoError(t, err)
		rep, err := peimage.PE1Startrom("netpe").Apply(img, nil)
		require.NoError(t, err)
		require.Len(t, rep.Changes, 3)
		want := bytes.Clone(b)
		copy(want[0x1000:], "netpe")
		copy(want[0x2000:], "netpe")
		copy(want[0x3001:], utf16("netpe"))
		testutil.EqualBytes(t, want, img.Bytes())
	})
	t.Run("setupldr.exe", func(t *testing.T) {
		before := goPE(t, "386")
		sif, dir := foldOffsets(before, "winnt.sif"), foldOffsets(before, "I386")
		require.Len(t, sif, 2, "ASCII winnt.sif and UTF-16LE WINNT.SIF")
		require.GreaterOrEqual(t, len(dir), 2, `ASCII \I386\ and UTF-16LE \i386\`)
		img, err := peimage.Parse(before, nil)
		require.NoError(t, err)
		rep, err := peimage.PE1Setupldr("netpe.sif", "WXPE").Apply(img, nil)
		require.NoError(t, err)
		require.Len(t, rep.Changes, len(sif)+len(dir))
		after := img.Bytes()
		check := func(want map[int64]peimage.Encoding, s string) {
			for off, e := range want {
				n := len(encode(s, e))
				assert.Equal(t, encode(s, e), after[off:off+int64(n)], "%s at %#x", s, off)
			}
		}
		check(sif, "netpe.sif")
		check(dir, "WXPE")
		onlyChanged(t, before, after, rep)
		assert.Empty(t, foldOffsets(after, "winnt.sif"))
		assert.Empty(t, foldOffsets(after, "I386"))
		require.NoError(t, img.VerifyChecksum())
		f := writeTemp(t, "setupldr.exe", after)
		assert.True(t, pefile(t, f)[f].Verified)
	})
	t.Run("names too long", func(t *testing.T) {
		img, err := peimage.Parse(append(realMode(100, 1), "ntldr"...), nil)
		require.NoError(t, err)
		_, err = peimage.PE1Startrom("netpe2").Apply(img, nil)
		var le *peimage.LengthError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, 5, le.Available)
		_, err = peimage.PE1Setupldr("netpe.sif", "WXPE2").Apply(img, nil)
		require.ErrorIs(t, err, peimage.ErrTooLong)
	})
}
