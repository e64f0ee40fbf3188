package wim

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/internal/utf16le"
)

// FuzzXML parses XML resources. A document that parses must write back its
// exact bytes (fast path and re-serialized tree), and after setting a
// property on its first image it must parse again and read the new value.
func FuzzXML(f *testing.F) {
	// The fixtures' XML when the shared fixtures are there (always under
	// CI, where testutil fails on a missing one); the generated documents
	// below in any case.
	if _, err := os.Stat(filepath.Join(testutil.ModuleRoot(f), testutil.FixturesDir, "wim")); err == nil || testutil.CI() {
		for _, rel := range []string{"none.wim", "lzx_2img_check.wim", "edited_props.wim", "solid.esd"} {
			b := testutil.ReadFixture(f, "wim/"+rel)
			r, err := NewReader(byteReaderAt(b), int64(len(b)), nil)
			require.NoError(f, err)
			f.Add(r.XML())
		}
	}
	for _, s := range []string{
		`<WIM><IMAGE INDEX="1"/></WIM>`,
		"<?xml version=\"1.0\"?>\r\n<!DOCTYPE WIM [<!ENTITY x \"y\">]><WIM>\r\n<IMAGE INDEX='1' A=\"&lt;\"><NAME><![CDATA[c]]>t&#65;</NAME><!--x--><?p?></IMAGE></WIM>",
		`<WIM><IMAGE INDEX="2"/><IMAGE INDEX="1"><WINDOWS><LANGUAGES><LANGUAGE/><DEFAULT>x</DEFAULT></LANGUAGES><VERSION/></WINDOWS></IMAGE></WIM>`,
	} {
		f.Add(append([]byte{0xFF, 0xFE}, utf16le.Encode(s)...))
	}
	lim := DefaultLimits.withDefaults()
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseXML(b, 0, lim)
		if err != nil {
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			return
		}
		require.Equal(t, b, d.bytes())
		d.dirty = true
		require.Equal(t, b, d.bytes(), "re-serialized tree")
		imgs, err := d.imageElements(0, lim)
		if err != nil || len(imgs) == 0 {
			return
		}
		for i, n := range imgs {
			_ = imageInfo(n, i+1)
		}
		steps, err := parsePropertyPath("WINDOWS/VERSION/BUILD")
		require.NoError(t, err)
		require.NoError(t, d.setProperty(imgs[0], steps, "1 & <2>"))
		d2, err := parseXML(d.bytes(), 0, lim)
		require.NoError(t, err, "edited document parses")
		imgs2, err := d2.imageElements(0, lim)
		require.NoError(t, err)
		s, ok := textAt(imgs2[0], "WINDOWS", "VERSION", "BUILD")
		require.True(t, ok)
		require.Equal(t, "1 & <2>", s)
	})
}

type byteReaderAt []byte

func (b byteReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, errShort
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, errShort
	}
	return n, nil
}

var errShort = errInjected
