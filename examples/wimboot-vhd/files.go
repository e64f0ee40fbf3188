package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// openInput opens the input file name given with flagName. Errors name both
// and say what is wrong (missing, a directory, empty).
func openInput(flagName, name string) (*os.File, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, inputErr(flagName, name, err)
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, 0, inputErr(flagName, name, err)
	case fi.IsDir():
		f.Close()
		return nil, 0, fmt.Errorf("%s %s: is a directory, not a file", flagName, name)
	case fi.Size() == 0:
		f.Close()
		return nil, 0, fmt.Errorf("%s %s: is empty", flagName, name)
	}
	return f, fi.Size(), nil
}

// inputErr names the input in an error from the os package, without the
// repeated path an *fs.PathError carries.
func inputErr(flagName, name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s %s: %w", flagName, name, err)
}

// sniff names the kind of file b starts with, for the file types a user
// may mix up here; "" when it is none of them.
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("MSWIM\x00\x00\x00")), bytes.HasPrefix(b, []byte("WLPWM\x00\x00\x00")):
		return "a WIM file"
	case bytes.HasPrefix(b, []byte("$SDI")):
		return "an SDI file"
	case bytes.HasPrefix(b, []byte("regf")):
		return "a registry hive (a BCD store?)"
	case bytes.HasPrefix(b, []byte("MZ")):
		return "a PE executable"
	}
	return ""
}

// badType is the error for an input that does not parse as the type
// wanted; it says what the file looks like when that is known.
func badType(flagName, name string, r io.ReaderAt, want string, err error) error {
	var head [8]byte
	n, _ := r.ReadAt(head[:], 0)
	if kind := sniff(head[:n]); kind != "" && kind != want {
		return fmt.Errorf("%s %s: is %s, not %s: %w", flagName, name, kind, want, err)
	}
	return fmt.Errorf("%s %s: not %s: %w", flagName, name, want, err)
}

// output is one file to write: its path and what goes into it.
type output struct {
	path  string
	write func(io.Writer) error
}

// writeAll writes every output to a temporary file in its target's
// directory, then renames them all into place. If anything fails before the
// renames, the temporary files are removed and no target is created or
// changed. Targets that are directories are refused before anything is
// written.
func writeAll(outs []output) error {
	for _, o := range outs {
		if fi, err := os.Stat(o.path); err == nil && fi.IsDir() {
			return fmt.Errorf("output %s: is a directory", o.path)
		}
	}
	var temps []string
	cleanup := func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}
	for _, o := range outs {
		dir := filepath.Dir(o.path)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			cleanup()
			return fmt.Errorf("output directory %s: %w", dir, err)
		}
		f, err := os.CreateTemp(dir, "."+filepath.Base(o.path)+".tmp*")
		if err != nil {
			cleanup()
			return fmt.Errorf("output %s: %w", o.path, err)
		}
		temps = append(temps, f.Name())
		err = o.write(f)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(f.Name(), 0o644)
		}
		if err != nil {
			cleanup()
			return fmt.Errorf("output %s: %w", o.path, err)
		}
	}
	for i, o := range outs {
		if err := os.Rename(temps[i], o.path); err != nil {
			temps = temps[i:]
			cleanup()
			return fmt.Errorf("output %s: %w", o.path, err)
		}
	}
	return nil
}
