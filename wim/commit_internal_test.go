package wim

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winbootkit/winbootkit/internal/testutil"
)

var errInjected = errors.New("injected write failure")

// faultyFile fails its failAt-th mutating call (WriteAt, Sync, Truncate).
// A failing data write first writes half its bytes, as a short write
// would; a failing header write (208 bytes at offset 0, one sector) writes
// nothing, since a single-sector write is not torn.
type faultyFile struct {
	f      *os.File
	failAt int
	ops    int
}

func (w *faultyFile) fail() bool {
	w.ops++
	return w.ops == w.failAt
}

func (w *faultyFile) WriteAt(b []byte, off int64) (int, error) {
	if w.fail() {
		if off == 0 && len(b) == HeaderSize {
			return 0, errInjected
		}
		n, _ := w.f.WriteAt(b[:len(b)/2], off)
		return n, errInjected
	}
	return w.f.WriteAt(b, off)
}

func (w *faultyFile) Sync() error {
	if w.fail() {
		return errInjected
	}
	return w.f.Sync()
}

func (w *faultyFile) Truncate(n int64) error {
	if w.fail() {
		return errInjected
	}
	return w.f.Truncate(n)
}

func copyToTemp(t *testing.T, src []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "w.wim")
	require.NoError(t, os.WriteFile(p, src, 0o644))
	return p
}

// TestCommitFailureAtEachStep makes each write, sync and truncate of an
// in-place commit fail in turn, on edits that grow and that shrink the
// XML, with and without an integrity table. After every failure wimlib must
// still open and verify the file, we must read it, and it must hold either
// all the old values or all the new ones.
func TestCommitFailureAtEachStep(t *testing.T) {
	wimlib := testutil.Tool(t, "wimlib-imagex")
	type edit struct {
		name  string
		apply func(*File) error
		check func(t *testing.T, r *Reader) bool // true if the edit is visible
	}
	grow := strings.Repeat("long name ", 40)
	edits := []edit{
		{"grow XML, boot index", func(f *File) error {
			if err := f.SetName(1, grow); err != nil {
				return err
			}
			return f.SetBootIndex(1)
		}, func(t *testing.T, r *Reader) bool { return r.Images()[0].Info().Name == grow }},
		{"shrink XML, integrity toggled", func(f *File) error {
			if f.origHdr.HasIntegrity() {
				f.RemoveIntegrity()
			} else {
				f.AddIntegrity()
			}
			return f.SetImageProperty(1, "NAME", "")
		}, func(t *testing.T, r *Reader) bool { return r.Images()[0].Info().Name == "" }},
	}
	for _, rel := range []string{"lzx_2img_check.wim", "xpress_boot.wim", "solid.esd"} {
		src := testutil.ReadFixture(t, "wim/"+rel)
		for _, e := range edits {
			t.Run(rel+"/"+e.name, func(t *testing.T) {
				steps := 0
				for k := 1; ; k++ {
					p := copyToTemp(t, src)
					f, err := OpenForEdit(p, nil)
					require.NoError(t, err)
					require.NoError(t, e.apply(f))
					plan, err := f.plan()
					require.NoError(t, err)
					w := &faultyFile{f: f.f, failAt: k}
					err = commitInPlace(w, f.size, &f.orig, plan)
					require.NoError(t, f.Close())
					if err == nil {
						steps = k - 1
						g, err := Open(p, nil)
						require.NoError(t, err)
						assert.True(t, e.check(t, g.Reader), "edit visible after a full commit")
						g.Close()
						break
					}
					require.ErrorIs(t, err, errInjected)
					out, errOut, err := testutil.RunErr(wimlib, "info", p)
					require.NoError(t, err, "wimlib info after failure at op %d: %s%s", k, out, errOut)
					_, errOut, err = testutil.RunErr(wimlib, "verify", p)
					require.NoError(t, err, "wimlib verify after failure at op %d: %s", k, errOut)
					g, err := Open(p, nil)
					require.NoError(t, err, "our reader after failure at op %d", k)
					visible := e.check(t, g.Reader)
					if visible {
						assert.Greater(t, k, 3, "the edit became visible before the staging header")
					}
					g.Close()
				}
				assert.GreaterOrEqual(t, steps, 9, "commit made fewer mutating calls than its documented steps")
			})
		}
	}
}

// TestIntegrityChunks writes an integrity table with 4 KiB chunks (wimlib
// accepts any chunk size it finds), corrupts a byte in one chunk and checks
// that our verify names that chunk and wimlib's fails; an XML edit then
// keeps the table's chunk size, as wimlib does.
func TestIntegrityChunks(t *testing.T) {
	wimlib := testutil.Tool(t, "wimlib-imagex")
	p := copyToTemp(t, testutil.ReadFixture(t, "wim/none.wim"))
	f, err := OpenForEdit(p, nil)
	require.NoError(t, err)
	checked, err := integrityRange(&f.origHdr)
	require.NoError(t, err)
	tbl, err := computeIntegrity(f.r, checked, 4096)
	require.NoError(t, err)
	require.Greater(t, len(tbl.Hashes), 20)
	raw, err := tbl.MarshalBinary()
	require.NoError(t, err)
	plan, err := f.plan()
	require.NoError(t, err)
	plan.hdr.Integrity = ResourceHeader{Size: uint64(len(raw)), Offset: plan.dataEnd + plan.hdr.XMLData.Size, UncompressedSize: uint64(len(raw))}
	plan.tail = append(plan.tail, raw...)
	require.NoError(t, commitInPlace(f.f, f.size, &f.orig, plan))
	require.NoError(t, f.Close())
	testutil.Run(t, wimlib, "verify", p)

	good, err := os.ReadFile(p)
	require.NoError(t, err)
	const chunk = 17
	bad := append([]byte(nil), good...)
	bad[HeaderSize+chunk*4096+100] ^= 1
	bp := copyToTemp(t, bad)
	g, err := Open(bp, nil)
	require.NoError(t, err)
	defer g.Close()
	var ie *IntegrityError
	require.ErrorAs(t, g.VerifyIntegrity(), &ie)
	assert.Equal(t, chunk, ie.Chunk)
	assert.Equal(t, len(tbl.Hashes), ie.Chunks)
	assert.Equal(t, int64(HeaderSize+chunk*4096), ie.Offset)
	assert.Equal(t, int64(4096), ie.Size)
	_, _, err = testutil.RunErr(wimlib, "verify", bp)
	require.Error(t, err)

	h, err := OpenForEdit(p, nil)
	require.NoError(t, err)
	require.NoError(t, h.SetDescription(1, "kept chunk size"))
	require.NoError(t, h.Commit())
	kept, err := h.IntegrityTable()
	require.NoError(t, err)
	assert.Equal(t, uint32(4096), kept.ChunkSize)
	require.NoError(t, h.VerifyIntegrity())
	require.NoError(t, h.Close())
	testutil.Run(t, wimlib, "verify", p)
}
