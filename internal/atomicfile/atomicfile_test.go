package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onlyEntry asserts dir holds exactly the named file (no temporary left over).
func onlyEntry(t *testing.T, dir, name string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{name}, names)
}

func TestWriteFileNewAndReplace(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "store.bcd")
	require.NoError(t, WriteFile(p, []byte("one"), 0))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, DefaultPerm, fi.Mode().Perm())

	require.NoError(t, os.Chmod(p, 0o600))
	require.NoError(t, WriteFile(p, []byte("two"), 0o644))
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "two", string(b))
	fi, err = os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the replaced file's mode is kept")
	onlyEntry(t, dir, "store.bcd")
}

type writerToFunc func(io.Writer) (int64, error)

func (f writerToFunc) WriteTo(w io.Writer) (int64, error) { return f(w) }

func TestFailureLeavesOriginal(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		save    func(p string) error
		wantErr error
	}{
		{"callback error after partial write", func(p string) error {
			return Write(p, 0, func(w io.Writer) error {
				if _, err := w.Write([]byte("partial new content")); err != nil {
					return err
				}
				return boom
			})
		}, boom},
		{"WriteTo error", func(p string) error {
			return WriteTo(p, writerToFunc(func(w io.Writer) (int64, error) {
				n, _ := w.Write([]byte("xx"))
				return int64(n), boom
			}), 0)
		}, boom},
		{"injected fault mid-write", func(p string) error {
			defer FailAfter(10)()
			return WriteFile(p, []byte(strings.Repeat("new", 100)), 0)
		}, ErrInjected},
		{"target is a directory", func(p string) error {
			return WriteFile(filepath.Dir(p), []byte("x"), 0)
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "orig.hiv")
			orig := []byte("original bytes\x00\x01\x02")
			require.NoError(t, os.WriteFile(p, orig, 0o640))
			err := tc.save(p)
			require.Error(t, err)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			}
			got, rerr := os.ReadFile(p)
			require.NoError(t, rerr)
			assert.Equal(t, orig, got)
			onlyEntry(t, dir, "orig.hiv")
		})
	}
}

func TestFaultRestore(t *testing.T) {
	restore := FailAfter(0)
	restore()
	p := filepath.Join(t.TempDir(), "f")
	require.NoError(t, WriteFile(p, []byte("ok"), 0))
}

func TestMissingDirectory(t *testing.T) {
	err := WriteFile(filepath.Join(t.TempDir(), "no", "such", "f"), []byte("x"), 0)
	require.ErrorIs(t, err, os.ErrNotExist)
}
