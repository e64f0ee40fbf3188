package hive_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/atomicfile"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// Every fixture hive and BCD store opens, walks, passes Check, and saves
// back byte for byte; the path, []byte and io.ReaderAt readers agree.
func TestFixturesOpenCheckRoundTrip(t *testing.T) {
	for _, p := range fixtureHives(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			in := readFile(t, p)
			h, err := hive.Open(p, nil)
			require.NoError(t, err)
			assert.Empty(t, h.Check())

			keys, values := 0, 0
			require.NoError(t, h.Root().Walk(func(_ string, k *hive.Key) error {
				keys++
				for v, err := range k.Values() {
					if err != nil {
						return err
					}
					if _, err := v.Data(); err != nil {
						return err
					}
					values++
				}
				return nil
			}))
			assert.Positive(t, keys)

			testutil.EqualBytes(t, in, h.Bytes())
			var buf bytes.Buffer
			n, err := h.WriteTo(&buf)
			require.NoError(t, err)
			assert.Equal(t, int64(len(in)), n)
			testutil.EqualBytes(t, in, buf.Bytes())

			h2, err := hive.Parse(in, nil)
			require.NoError(t, err)
			h3, err := hive.OpenReader(bytes.NewReader(in), int64(len(in)), nil)
			require.NoError(t, err)
			assert.Equal(t, h.Header(), h2.Header())
			assert.Equal(t, h.Header(), h3.Header())
			testutil.EqualBytes(t, in, h3.Bytes())

			out := filepath.Join(t.TempDir(), "copy")
			require.NoError(t, h.Save(out))
			testutil.EqualBytes(t, in, readFile(t, out))
		})
	}
}

// The dirty fixtures are reported dirty; clean ones are not.
func TestDirtyDetection(t *testing.T) {
	tests := []struct {
		rel   string
		dirty bool
	}{
		{"hive/regipy_SECURITY", true},
		{"hive/regipy_transactions_NTUSER.DAT", true},
		{"hive/hive_hivex_minimal.hiv", false},
		{"bcd/bcd_ntloader3_bcdedit.bcd", false},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			h, err := hive.Open(testutil.Fixture(t, tt.rel), nil)
			require.NoError(t, err)
			assert.Equal(t, tt.dirty, h.Dirty())
			hd := h.Header()
			assert.Equal(t, tt.dirty, hd.Sequence1 != hd.Sequence2)
		})
	}
	// A bad checksum is dirty too, and still opens with a warning.
	b := testutil.ReadFixture(t, "bcd/bcd_ntloader3_bcdedit.bcd")
	b[508] ^= 0xFF
	h, err := hive.Parse(b, nil)
	require.NoError(t, err)
	assert.True(t, h.Dirty())
	assert.NotEmpty(t, h.Warnings())
	assert.NotEmpty(t, h.Check())
}

// Saving after an edit writes a clean base block: equal sequence numbers one
// past the old ones, the clock's time, a valid checksum.
func TestSaveUpdatesBaseBlock(t *testing.T) {
	clock := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	h, err := hive.Open(testutil.Fixture(t, "hive/regipy_SECURITY"), &hive.Options{Now: func() time.Time { return clock }})
	require.NoError(t, err)
	before := h.Header()
	k, err := h.Root().CreateKey("NewKey")
	require.NoError(t, err)
	require.NoError(t, k.SetDWord("x", 1))
	out := h.Bytes()
	h2, err := hive.Parse(out, nil)
	require.NoError(t, err)
	hd := h2.Header()
	assert.Equal(t, hd.Sequence1, hd.Sequence2)
	assert.Equal(t, max(before.Sequence1, before.Sequence2)+1, hd.Sequence1)
	assert.True(t, hd.ChecksumOK)
	assert.Equal(t, clock, hd.LastWritten)
	assert.False(t, h2.Dirty())
	assert.Equal(t, uint32(len(out)-4096)&^4095, hd.BinsSize&^4095)
	nk, err := h2.OpenKey("newkey")
	require.NoError(t, err)
	assert.Equal(t, clock, nk.LastWritten())
	// A second Bytes without edits gives the same file.
	assert.Equal(t, out, h.Bytes())
}

// A save that fails part-way (Save and SaveMode) leaves the original file
// byte-identical and no temporary file behind.
func TestSaveAtomic(t *testing.T) {
	orig, err := hive.New("ROOT", hive.Version15, nil)
	require.NoError(t, err)
	require.NoError(t, orig.SetRawValue(`Objects\{9dea862c-5cdd-4e70-acc1-f32b344d4795}`, "blob", uint32(hive.Binary), bytes.Repeat([]byte{1, 2, 3}, 10000)))
	origBytes := orig.Bytes()
	require.Greater(t, len(origBytes), 20000)
	for _, save := range []struct {
		name string
		fn   func(h *hive.Hive, p string) error
	}{
		{"Save", (*hive.Hive).Save},
		{"SaveMode", func(h *hive.Hive, p string) error { return h.SaveMode(p, 0o644) }},
	} {
		t.Run(save.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "BCD")
			require.NoError(t, os.WriteFile(p, origBytes, 0o600))
			h, err := hive.Open(p, nil)
			require.NoError(t, err)
			_, err = h.Root().CreateKey(`Objects\{00000000-0000-0000-0000-000000000001}`)
			require.NoError(t, err)
			for _, after := range []int64{0, 100, 5000, 20000} {
				restore := atomicfile.FailAfter(after)
				err := save.fn(h, p)
				restore()
				require.ErrorIs(t, err, atomicfile.ErrInjected)
				testutil.EqualBytes(t, origBytes, readFile(t, p))
				ents, err := os.ReadDir(dir)
				require.NoError(t, err)
				require.Len(t, ents, 1, "temporary file left behind")
			}
			require.NoError(t, save.fn(h, p))
			fi, err := os.Stat(p)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the mode of the file replaced is kept")
			h2, err := hive.Open(p, nil)
			require.NoError(t, err)
			_, err = h2.OpenKey(`objects\{00000000-0000-0000-0000-000000000001}`)
			require.NoError(t, err)
		})
	}
}

// Typed errors for structural failures carry offsets.
func TestOpenErrors(t *testing.T) {
	good := testutil.ReadFixture(t, "bcd/bcd_bcdsys_empty_template.bcd")
	mess := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return b
	}
	tests := []struct {
		name    string
		in      []byte
		wantErr error
		offset  int64
	}{
		{"short", good[:100], hive.ErrFormat, 0},
		{"signature", mess(func(b []byte) { b[0] = 'x' }), hive.ErrFormat, 0},
		{"major", mess(func(b []byte) { b[20] = 2 }), hive.ErrUnsupported, 20},
		{"log file", mess(func(b []byte) { b[28] = 6 }), hive.ErrUnsupported, 28},
		{"bins size", mess(func(b []byte) { b[40] = 1 }), hive.ErrFormat, 40},
		{"hbin signature", mess(func(b []byte) { b[4096] = 'x' }), hive.ErrFormat, 4096},
		{"hbin offset", mess(func(b []byte) { b[4096+4] = 8 }), hive.ErrFormat, 4096},
		{"hbin size", mess(func(b []byte) { b[4096+9] = 0x20 }), hive.ErrFormat, 4096},
		{"root not a key", mess(func(b []byte) { b[36] = 0x80 }), hive.ErrFormat, 0x1080},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := hive.Parse(tt.in, nil)
			require.ErrorIs(t, err, tt.wantErr)
			var fe *hive.FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.offset, fe.Offset)
		})
	}
	_, err := hive.Parse(good, &hive.Options{Limits: hive.Limits{MaxFileSize: 4096}})
	require.ErrorIs(t, err, hive.ErrLimit)
	_, err = hive.Open(filepath.Join(t.TempDir(), "missing"), nil)
	require.True(t, errors.Is(err, os.ErrNotExist))
}
