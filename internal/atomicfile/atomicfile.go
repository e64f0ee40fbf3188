// Package atomicfile saves files without ever damaging the original: the new
// content goes to a temporary file in the same directory, is flushed to disk,
// and is renamed over the target only when everything was written. Any
// failure removes the temporary file and leaves the target as it was.
//
// Every function in winbootkit that saves a file goes through this package.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// tempPattern names temporary files: ".<target>.tmp-<random>".
const tempPattern = ".%s.tmp-*"

// DefaultPerm is the mode of a new file when the target does not exist yet.
const DefaultPerm fs.FileMode = 0o644

// Write creates or replaces path with what fn writes. The file keeps the
// permission bits of the file it replaces, or gets perm when it is new
// (perm 0 means DefaultPerm). If fn returns an error, or writing, syncing or
// renaming fails, the target is untouched and no temporary file remains.
func Write(path string, perm fs.FileMode, fn func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if perm == 0 {
		perm = DefaultPerm
	}
	if fi, statErr := os.Stat(path); statErr == nil {
		if !fi.Mode().IsRegular() {
			return &os.PathError{Op: "atomicfile", Path: path, Err: errors.New("target is not a regular file")}
		}
		perm = fi.Mode().Perm()
	}
	f, err := os.CreateTemp(dir, fmt.Sprintf(tempPattern, base))
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	if h := currentFault(); h != nil {
		w = &faultWriter{w: f, fail: h}
	}
	if err = fn(w); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// WriteFile creates or replaces path with data (see Write).
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteTo creates or replaces path with the output of src.WriteTo (see Write).
func WriteTo(path string, src io.WriterTo, perm fs.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := src.WriteTo(w)
		return err
	})
}

// syncDir flushes the directory entry of the rename. Errors are ignored: some
// file systems do not support syncing directories, and the data is already safe.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// Fault injection, for tests that prove a failed save leaves the original
// intact. Only winbootkit's own tests can reach it (the package is internal).

var (
	faultMu sync.Mutex
	fault   func(written int64) error
)

// ErrInjected is the error an injected fault returns by default.
var ErrInjected = errors.New("atomicfile: injected write failure")

// FailAfter makes every following save fail once n bytes have been written
// to its temporary file, with ErrInjected. It returns a function that
// removes the fault. Tests using it must not run in parallel with other saves.
func FailAfter(n int64) (restore func()) {
	return SetFault(func(written int64) error {
		if written > n {
			return ErrInjected
		}
		return nil
	})
}

// SetFault installs f, called before each write with the total number of
// bytes the temporary file would hold after it; a non-nil result fails the
// write (the bytes up to the limit are still written, as a real short write
// would). It returns a function that restores the previous state.
func SetFault(f func(written int64) error) (restore func()) {
	faultMu.Lock()
	prev := fault
	fault = f
	faultMu.Unlock()
	return func() {
		faultMu.Lock()
		fault = prev
		faultMu.Unlock()
	}
}

func currentFault() func(int64) error {
	faultMu.Lock()
	defer faultMu.Unlock()
	return fault
}

type faultWriter struct {
	w    io.Writer
	n    int64
	fail func(int64) error
}

func (fw *faultWriter) Write(p []byte) (int, error) {
	if err := fw.fail(fw.n + int64(len(p))); err != nil {
		// Write a prefix so the temporary file really is half-written.
		half := len(p) / 2
		m, _ := fw.w.Write(p[:half])
		fw.n += int64(m)
		return m, err
	}
	m, err := fw.w.Write(p)
	fw.n += int64(m)
	return m, err
}
