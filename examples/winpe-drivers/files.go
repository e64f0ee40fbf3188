package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// output is one file to write: its path and what goes into it.
type output struct {
	path  string
	write func(io.Writer) error
}

// textOutput is an output holding text.
func textOutput(path, text string) output {
	return output{path: path, write: func(w io.Writer) error {
		_, err := io.WriteString(w, text)
		return err
	}}
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
