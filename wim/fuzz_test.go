package wim_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/wim"
)

// seedWIMs returns small WIMs in every shape: the fixtures under 16 KiB
// and synthetic ones (solid run, integrity table, pipable, split part).
// Large inputs make the fuzzer slow without adding coverage: the bytes
// between the header and the blob table are never parsed.
func seedWIMs(f *testing.F) [][]byte {
	var seeds [][]byte
	if haveFixtures(f, "wim") {
		for _, p := range wimFixtures(f) {
			b, err := os.ReadFile(p)
			require.NoError(f, err)
			if len(b) <= 16<<10 {
				seeds = append(seeds, b)
			}
		}
	}
	solidRun := make([]byte, 0, 200)
	for i, e := range []struct {
		size, off, usize uint64
	}{{64, wim.HeaderSize, 0x100000000}, {5, 0, 0}, {7, 5, 0}, {1, 12, 0}} {
		b := make([]byte, 50)
		binary.LittleEndian.PutUint64(b[0:], e.size|uint64(wim.ResourceSolid)<<56)
		binary.LittleEndian.PutUint64(b[8:], e.off)
		binary.LittleEndian.PutUint64(b[16:], e.usize)
		binary.LittleEndian.PutUint16(b[24:], 1)
		binary.LittleEndian.PutUint32(b[26:], 1)
		if i > 0 {
			b[30] = byte(i)
		}
		solidRun = append(solidRun, b...)
	}
	withIntegrity := func(b []byte) []byte {
		r, err := wim.NewReader(bytes.NewReader(b), int64(len(b)), nil)
		require.NoError(f, err)
		r.AddIntegrity()
		var out bytes.Buffer
		_, err = r.WriteTo(&out)
		require.NoError(f, err)
		return out.Bytes()
	}
	pipable := func(b []byte) []byte {
		b = append(append([]byte(nil), b...), b[:wim.HeaderSize]...)
		copy(b, wim.MagicPipable[:])
		copy(b[len(b)-wim.HeaderSize:], wim.MagicPipable[:])
		return b
	}
	seeds = append(seeds,
		synth{images: 1}.bytes(f),
		synth{images: 3, xml: `<?xml version="1.0"?><WIM><IMAGE INDEX="2"/><IMAGE INDEX="1"><WINDOWS><LANGUAGES><LANGUAGE>en-US</LANGUAGE></LANGUAGES></WINDOWS></IMAGE><IMAGE INDEX="3"><!--c--><NAME>x &amp; y</NAME></IMAGE></WIM>`}.bytes(f),
		synth{images: 1, noBOM: true, editHdr: func(h *wim.Header) { h.BootIndex = 1 }}.bytes(f),
		synth{images: 2, extra: solidRun, editHdr: func(h *wim.Header) { h.Version = wim.VersionSolid }}.bytes(f),
		withIntegrity(synth{images: 2}.bytes(f)),
		pipable(synth{images: 1}.bytes(f)),
		synth{images: 1, editHdr: func(h *wim.Header) { h.TotalParts, h.Flags = 2, h.Flags|wim.FlagSpanned }}.bytes(f),
	)
	return seeds
}

// haveFixtures reports whether the shared fixtures under dir are there.
// Without them the fuzz targets run from their generated seeds and the
// committed corpus instead of skipping; under CI it is always true, so that
// testutil fails on a missing fixture.
func haveFixtures(f *testing.F, dir string) bool {
	_, err := os.Stat(filepath.Join(testutil.ModuleRoot(f), testutil.FixturesDir, dir))
	return err == nil || testutil.CI()
}

// FuzzHeader parses 208-byte headers: a header that parses must marshal
// back to the same bytes and parse to the same value, and ReadHeader must
// agree with ParseHeader.
func FuzzHeader(f *testing.F) {
	for _, s := range seedWIMs(f) {
		f.Add(s[:wim.HeaderSize])
		if len(s) >= 2*wim.HeaderSize {
			f.Add(s[len(s)-wim.HeaderSize:]) // pipable end headers
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// ReadHeader (which validates more) agrees with ParseHeader.
		if rh, err := wim.ReadHeader(bytes.NewReader(b), int64(len(b))); err != nil {
			require.True(t, errors.Is(err, wim.ErrFormat) || errors.Is(err, wim.ErrLimit) || errors.Is(err, wim.ErrUnsupported),
				"untyped error %v", err)
		} else if rh.Magic == wim.MagicWIM {
			ph, err := wim.ParseHeader(b)
			require.NoError(t, err)
			require.Equal(t, rh, ph)
		}
		h, err := wim.ParseHeader(b)
		if err != nil {
			var fe *wim.FormatError
			require.ErrorAs(t, err, &fe)
			return
		}
		out, err := h.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b[:wim.HeaderSize], out)
		h2, err := wim.ParseHeader(out)
		require.NoError(t, err)
		require.Equal(t, h, h2)
	})
}

// chunkyReaderAt returns at most 7 bytes per ReadAt call (with io.EOF
// semantics of io.ReaderAt), to check that the reader does not depend on
// full reads from the underlying ReaderAt.
type chunkyReaderAt struct{ b []byte }

func (c chunkyReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		if off+int64(n) >= int64(len(c.b)) {
			return n, io.EOF
		}
		k := copy(p[n:min(len(p), n+7)], c.b[off+int64(n):])
		n += k
	}
	return n, nil
}

// FuzzReader reads whole WIMs. When one parses: a second reader over a
// ReaderAt that returns short reads agrees; every rendering works; an
// unedited save writes back the input's bytes up to the end of its XML and
// integrity table; an edited save re-reads with the edit.
func FuzzReader(f *testing.F) {
	for _, s := range seedWIMs(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<20 {
			return
		}
		r, err := wim.NewReader(bytes.NewReader(b), int64(len(b)), nil)
		if err != nil {
			require.True(t, errors.Is(err, wim.ErrFormat) || errors.Is(err, wim.ErrLimit) || errors.Is(err, wim.ErrUnsupported),
				"untyped error %v", err)
			return
		}
		r2, err := wim.NewReader(chunkyReaderAt{b}, int64(len(b)), nil)
		require.NoError(t, err)
		require.Equal(t, r.Header(), r2.Header())
		require.Equal(t, r.Blobs(), r2.Blobs())
		require.Equal(t, r.XML(), r2.XML())
		h := r.Header()
		xo := h.XMLData.Offset
		require.Equal(t, b[xo:xo+h.XMLData.Size], r.XML(), "XML bytes kept")
		for _, im := range r.Images() {
			_ = im.Info()
		}
		require.NoError(t, r.WriteInfo(io.Discard, "f.wim", 0))
		require.NoError(t, r.WriteHeaderInfo(io.Discard))
		require.NoError(t, r.WriteDISMInfo(io.Discard, "f.wim"))
		_ = r.VerifyIntegrity()

		var out bytes.Buffer
		if _, err := r.WriteTo(&out); err != nil {
			return // not editable (split, pipable, odd layout)
		}
		r3, err := wim.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()), nil)
		require.NoError(t, err, "re-reading a saved copy")
		require.Equal(t, r.XML(), r3.XML())
		require.Equal(t, r.ImageCount(), r3.ImageCount())
		require.Equal(t, r.Blobs(), r3.Blobs())
		if r.ImageCount() > 0 && h.Flags&wim.FlagReadOnly == 0 {
			require.NoError(t, r.SetImageProperty(1, "NAME", "fuzz <&> name"))
			out.Reset()
			_, err := r.WriteTo(&out)
			require.NoError(t, err)
			r4, err := wim.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()), nil)
			require.NoError(t, err, "re-reading an edited copy")
			require.Equal(t, "fuzz <&> name", r4.Images()[0].Info().Name)
		}
	})
}
