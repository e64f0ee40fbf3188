package wim_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
	"github.com/winbootkit/winbootkit/wim"
)

// editableWIMs returns copies of the fixtures and generated WIMs that can be
// edited (not split, not pipable).
func editableWIMs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, rel := range []string{"none.wim", "xpress_boot.wim", "lzx_2img_check.wim", "lzms.wim", "solid.esd", "edited_props.wim"} {
		out["fixture "+rel] = copyFixture(t, "wim/"+rel)
	}
	for name, p := range generatedWIMs(t) {
		if strings.HasPrefix(name, "split") || strings.HasPrefix(name, "pipable") || name == "empty.wim" {
			continue
		}
		out["generated "+name] = p
	}
	return out
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

// blobTableEnd returns the end of the blob table from the header bytes.
func blobTableEnd(t testing.TB, b []byte) int {
	t.Helper()
	h, err := wim.ParseHeader(b)
	require.NoError(t, err)
	return int(h.BlobTableEnd())
}

const (
	newName  = "Renamed ✓ <&> image"
	newDesc  = "New description\twith a tab"
	newBuild = "19041"
	newFlags = "WindowsPE"
)

// TestEditInterop edits copies of every editable WIM — boot index, name,
// description, WINDOWS/VERSION/BUILD, FLAGS, adding and then removing the
// integrity table — and checks with wimlib that the WIM verifies, that info
// shows exactly the new values and nothing else changed, and that the bytes
// [208, end of blob table) are untouched. Then it corrupts one byte there
// and checks that our verify names the chunk and wimlib's fails too.
func TestEditInterop(t *testing.T) {
	for name, p := range editableWIMs(t) {
		t.Run(name, func(t *testing.T) {
			orig := readFile(t, p)
			end := blobTableEnd(t, orig)
			before := parseWimlibInfo(t, wimlib(t, "info", p))
			n := len(before.images)
			target := n // edit the last image

			f, err := wim.OpenForEdit(p, nil)
			require.NoError(t, err)
			require.NoError(t, f.SetBootIndex(target))
			require.NoError(t, f.SetName(target, newName))
			require.NoError(t, f.SetDescription(target, newDesc))
			require.NoError(t, f.SetImageProperty(target, "WINDOWS/VERSION/BUILD", newBuild))
			require.NoError(t, f.SetFlags(target, newFlags))
			f.AddIntegrity()
			require.NoError(t, f.Commit())
			require.NoError(t, f.VerifyIntegrity())
			require.NoError(t, f.Close())

			wimlib(t, "verify", p)
			after := parseWimlibInfo(t, wimlib(t, "info", p))
			wantWIM := copyMap(before.wim)
			wantWIM["Boot Index"] = strconv.Itoa(target)
			wantWIM["Attributes"] = attributesWith(before.wim["Attributes"], "Integrity info", true)
			assert.Equal(t, wantWIM, after.wim)
			for i := range n {
				want := copyMap(before.images[i])
				if i+1 == target {
					want["Name"] = newName
					want["Description"] = newDesc
					want["Flags"] = newFlags
					want["Build"] = newBuild
					if _, ok := want["Architecture"]; !ok {
						want["Architecture"] = "x86" // WINDOWS was created: ARCH reads as 0
					}
					for _, k := range []string{"Major Version", "Minor Version", "Service Pack Build", "Service Pack Level"} {
						if _, ok := want[k]; !ok {
							want[k] = "0" // VERSION was created
						}
					}
				}
				assert.Equal(t, want, after.images[i], "image %d", i+1)
			}
			edited := readFile(t, p)
			testutil.EqualBytes(t, orig[wim.HeaderSize:end], edited[wim.HeaderSize:end], "bytes [208, end of blob table)")

			// Corrupt one byte the integrity table covers.
			off := wim.HeaderSize + (end-wim.HeaderSize)/2
			bad := append([]byte(nil), edited...)
			bad[off] ^= 0x5A
			bp := writeTemp(t, "bad.wim", bad)
			g := openFile(t, bp)
			var ie *wim.IntegrityError
			require.ErrorAs(t, g.VerifyIntegrity(), &ie)
			require.ErrorIs(t, g.VerifyIntegrity(), wim.ErrChecksum)
			assert.Equal(t, (off-wim.HeaderSize)/wim.IntegrityChunkSize, ie.Chunk)
			assert.LessOrEqual(t, ie.Offset, int64(off))
			assert.Greater(t, ie.Offset+ie.Size, int64(off))
			_, err = wimlibErr(t, "verify", bp)
			require.Error(t, err, "wimlib verify accepted a corrupted WIM")

			// Second edit: clear the boot index and remove the table.
			f, err = wim.OpenForEdit(p, nil)
			require.NoError(t, err)
			require.NoError(t, f.SetBootIndex(0))
			f.RemoveIntegrity()
			require.NoError(t, f.Commit())
			require.ErrorIs(t, f.VerifyIntegrity(), wim.ErrNotFound)
			require.NoError(t, f.Close())
			wimlib(t, "verify", p)
			after2 := parseWimlibInfo(t, wimlib(t, "info", p))
			wantWIM["Boot Index"] = "0"
			wantWIM["Attributes"] = attributesWith(before.wim["Attributes"], "Integrity info", false)
			assert.Equal(t, wantWIM, after2.wim)
			assert.Equal(t, after.images, after2.images)
			hdr, _ := parseWimlibHeader(t, wimlib(t, "info", "--header", p))
			for _, k := range []string{"Integrity Size", "Integrity Offset", "Boot Metadata Size", "Boot Metadata Offset"} {
				assert.Equal(t, "0", hdr[k], k)
			}
			final := readFile(t, p)
			testutil.EqualBytes(t, orig[wim.HeaderSize:end], final[wim.HeaderSize:end], "bytes [208, end of blob table)")
			xmlEnd, _ := strconv.Atoi(hdr["XML Data Offset"])
			xmlSize, _ := strconv.Atoi(hdr["XML Data Size"])
			assert.Equal(t, xmlEnd+xmlSize, len(final), "file ends after the XML")
		})
	}
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// attributesWith adds or removes one attribute from wimlib's list, keeping
// wimlib's order.
func attributesWith(list, attr string, on bool) string {
	order := []string{"Pipable", "Integrity info", "Relative path junction", "Resource only", "Metadata only", "Readonly"}
	have := map[string]bool{}
	for _, a := range strings.Split(list, ", ") {
		have[a] = true
	}
	have[attr] = on
	var out []string
	for _, a := range order {
		if have[a] {
			out = append(out, a)
		}
	}
	return strings.Join(out, ", ")
}

// TestEditMatchesWimlib makes the same edits with wimlib-imagex info and
// with us on two copies of each editable WIM: our file must equal wimlib's
// byte for byte, except the stale tail wimlib leaves after the new XML and
// integrity table (which we truncate).
func TestEditMatchesWimlib(t *testing.T) {
	for name, p := range editableWIMs(t) {
		t.Run(name, func(t *testing.T) {
			theirs := writeTemp(t, "theirs.wim", readFile(t, p))
			n := len(parseWimlibInfo(t, wimlib(t, "info", p)).images)
			img := strconv.Itoa(n)
			wimlib(t, "info", theirs, img, newName, newDesc, "--boot",
				"--image-property", "WINDOWS/VERSION/BUILD="+newBuild,
				"--image-property", "FLAGS="+newFlags,
				"--image-property", "DISPLAYNAME=Shown name",
				"--image-property", "WINDOWS/LANGUAGES/LANGUAGE=en-US",
				"--image-property", "WINDOWS/LANGUAGES/LANGUAGE[2]=de-DE",
				"--image-property", "DESCRIPTION=",
				"--image-property", "DESCRIPTION="+newDesc)

			f, err := wim.OpenForEdit(p, nil)
			require.NoError(t, err)
			require.NoError(t, f.SetName(n, newName))
			require.NoError(t, f.SetDescription(n, newDesc))
			require.NoError(t, f.SetBootIndex(n))
			for _, kv := range [][2]string{
				{"WINDOWS/VERSION/BUILD", newBuild}, {"FLAGS", newFlags}, {"DISPLAYNAME", "Shown name"},
				{"WINDOWS/LANGUAGES/LANGUAGE", "en-US"}, {"WINDOWS/LANGUAGES/LANGUAGE[2]", "de-DE"},
				{"DESCRIPTION", ""}, {"DESCRIPTION", newDesc},
			} {
				require.NoError(t, f.SetImageProperty(n, kv[0], kv[1]))
			}
			require.NoError(t, f.Commit())
			require.NoError(t, f.Close())

			ours, want := readFile(t, p), readFile(t, theirs)
			require.LessOrEqual(t, len(ours), len(want))
			testutil.EqualBytes(t, want[:len(ours)], ours, "our edit vs wimlib's")
		})
	}
}

func TestCommitWithoutEditsChangesNothing(t *testing.T) {
	for name, p := range editableWIMs(t) {
		t.Run(name, func(t *testing.T) {
			orig := readFile(t, p)
			f, err := wim.OpenForEdit(p, nil)
			require.NoError(t, err)
			require.NoError(t, f.Commit())
			require.NoError(t, f.Close())
			testutil.EqualBytes(t, orig, readFile(t, p))
		})
	}
}

func TestEditRefused(t *testing.T) {
	for _, rel := range []string{"split.swm", "split2.swm", "pipable.wim"} {
		t.Run(rel, func(t *testing.T) {
			p := copyFixture(t, "wim/"+rel)
			orig := readFile(t, p)
			_, err := wim.OpenForEdit(p, nil)
			require.ErrorIs(t, err, wim.ErrUnsupported)
			f := openFile(t, p)
			require.ErrorIs(t, f.SetName(1, "x"), wim.ErrUnsupported)
			require.ErrorIs(t, f.SetBootIndex(1), wim.ErrUnsupported)
			require.ErrorIs(t, f.SetReadOnly(true), wim.ErrUnsupported)
			_, err = f.WriteTo(&strings.Builder{})
			require.ErrorIs(t, err, wim.ErrUnsupported)
			require.ErrorIs(t, f.SaveAs(filepath.Join(t.TempDir(), "out.wim")), wim.ErrUnsupported)
			testutil.EqualBytes(t, orig, readFile(t, p))
		})
	}
	t.Run("opened read-only", func(t *testing.T) {
		p := copyFixture(t, "wim/none.wim")
		f := openFile(t, p)
		require.NoError(t, f.SetName(1, "x"))
		require.ErrorIs(t, f.Commit(), wim.ErrReadOnly)
	})
	t.Run("bad arguments", func(t *testing.T) {
		p := copyFixture(t, "wim/lzx_2img_check.wim")
		f := openFile(t, p)
		for _, tc := range []struct {
			name string
			err  error
			want error
		}{
			{"name in use", f.SetName(2, "Image One"), wim.ErrNameInUse},
			{"image 0", f.SetName(0, "x"), wim.ErrNotFound},
			{"image 3", f.SetDescription(3, "x"), wim.ErrNotFound},
			{"boot 3", f.SetBootIndex(3), wim.ErrNotFound},
			{"leading slash", f.SetImageProperty(1, "/NAME", "x"), wim.ErrInvalidArgument},
			{"trailing slash", f.SetImageProperty(1, "WINDOWS/", "x"), wim.ErrInvalidArgument},
			{"empty component", f.SetImageProperty(1, "WINDOWS//ARCH", "x"), wim.ErrInvalidArgument},
			{"illegal name", f.SetImageProperty(1, "1A", "x"), wim.ErrInvalidArgument},
			{"index 0", f.SetImageProperty(1, "A[0]", "x"), wim.ErrInvalidArgument},
			{"bad index", f.SetImageProperty(1, "A[x]", "x"), wim.ErrInvalidArgument},
			{"index gap", f.SetImageProperty(1, "WINDOWS/LANGUAGES/LANGUAGE[2]", "x"), wim.ErrInvalidArgument},
			{"control character", f.SetImageProperty(1, "NAME", "a\x01b"), wim.ErrInvalidArgument},
			{"invalid UTF-8", f.SetImageProperty(1, "NAME", "a\xffb"), wim.ErrInvalidArgument},
		} {
			require.ErrorIs(t, tc.err, tc.want, tc.name)
		}
		info := f.Images()[0].Info()
		assert.Equal(t, "Image One", info.Name, "failed edits changed nothing")
	})
}

// TestReadOnlyFlag sets READONLY with us and checks that wimlib then
// refuses to modify the WIM, that we refuse edits too, and that clearing
// the flag allows them again.
func TestReadOnlyFlag(t *testing.T) {
	p := copyFixture(t, "wim/xpress_boot.wim")
	f, err := wim.OpenForEdit(p, nil)
	require.NoError(t, err)
	require.NoError(t, f.SetReadOnly(true))
	require.NoError(t, f.Commit())
	require.NoError(t, f.Close())
	assert.Equal(t, "Relative path junction, Readonly", parseWimlibInfo(t, wimlib(t, "info", p)).wim["Attributes"])
	_, err = wimlibErr(t, "info", p, "1", "new name")
	require.Error(t, err, "wimlib modified a READONLY WIM")

	f, err = wim.OpenForEdit(p, nil)
	require.NoError(t, err)
	require.ErrorIs(t, f.SetName(1, "x"), wim.ErrReadOnly)
	require.NoError(t, f.SetReadOnly(false))
	require.NoError(t, f.SetName(1, "after readonly"))
	require.NoError(t, f.Commit())
	require.NoError(t, f.Close())
	info := parseWimlibInfo(t, wimlib(t, "info", p))
	assert.Equal(t, "Relative path junction", info.wim["Attributes"])
	assert.Equal(t, "after readonly", info.images[0]["Name"])
	wimlib(t, "verify", p)
}

func TestNewGUID(t *testing.T) {
	p := copyFixture(t, "wim/lzx_2img_check.wim")
	f, err := wim.OpenForEdit(p, nil)
	require.NoError(t, err)
	g, err := f.NewGUID()
	require.NoError(t, err)
	require.NoError(t, f.Commit())
	require.NoError(t, f.Close())
	assert.Equal(t, "0x"+g.String(), parseWimlibInfo(t, wimlib(t, "info", p)).wim["GUID"])
	wimlib(t, "verify", p)
}

// TestSaveAs writes an edited copy with the copy-on-write variant: the
// original stays byte-identical and the copy verifies with wimlib.
func TestSaveAs(t *testing.T) {
	p := copyFixture(t, "wim/lzx_2img_check.wim")
	orig := readFile(t, p)
	f := openFile(t, p)
	require.NoError(t, f.SetName(1, "Copied"))
	require.NoError(t, f.SetBootIndex(1))
	out := filepath.Join(t.TempDir(), "copy.wim")
	require.NoError(t, f.SaveAs(out))
	testutil.EqualBytes(t, orig, readFile(t, p), "original untouched")
	wimlib(t, "verify", out)
	info := parseWimlibInfo(t, wimlib(t, "info", out))
	assert.Equal(t, "Copied", info.images[0]["Name"])
	assert.Equal(t, "1", info.wim["Boot Index"])
	assert.Equal(t, "Integrity info, Relative path junction", info.wim["Attributes"])

	// The copy is what an in-place commit of the same edits produces.
	g, err := wim.OpenForEdit(p, nil)
	require.NoError(t, err)
	require.NoError(t, g.SetName(1, "Copied"))
	require.NoError(t, g.SetBootIndex(1))
	require.NoError(t, g.Commit())
	require.NoError(t, g.Close())
	testutil.EqualBytes(t, readFile(t, out), readFile(t, p), "SaveAs vs Commit")
}

// TestSaveAsFailure makes the save fail part-way: an existing target stays
// byte-identical, a new one is not created, and no temporary file remains.
func TestSaveAsFailure(t *testing.T) {
	src := copyFixture(t, "wim/none.wim")
	f := openFile(t, src)
	require.NoError(t, f.SetName(1, "never saved"))
	for _, existing := range []bool{false, true} {
		dir := t.TempDir()
		target := filepath.Join(dir, "out.wim")
		var before []byte
		if existing {
			before = []byte("previous content")
			require.NoError(t, os.WriteFile(target, before, 0o644))
		}
		restore := atomicfile.FailAfter(1000)
		err := f.SaveAs(target)
		restore()
		require.ErrorIs(t, err, atomicfile.ErrInjected)
		ents, err := os.ReadDir(dir)
		require.NoError(t, err)
		if existing {
			require.Len(t, ents, 1)
			testutil.EqualBytes(t, before, readFile(t, target))
		} else {
			require.Empty(t, ents)
		}
	}
}
