package testutil

import (
	"errors"
	"io/fs"
	"path/filepath"
	"sort"
	"testing"
)

// ListFiles returns the regular files below dir as sorted slash-separated
// paths relative to dir; nil when dir does not exist. Directories are not
// listed, so an empty tree of directories lists nothing.
func ListFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatalf("listing %s: %v", dir, err)
	}
	sort.Strings(out)
	return out
}
