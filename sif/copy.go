package sif

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

const fileMedia = "media"

// CopyOptions control CopyFiles. The zero value (or nil) copies every file
// uncompressed.
type CopyOptions struct {
	// Compress writes the driver in its makecab form (I386\F.sy_, a
	// cabinet setup expands) instead of the plain file. Only one of the two
	// is written, so setup cannot pick a stale copy.
	Compress bool

	// ModTime is the time stored in the cabinet. Default: the source
	// file's modification time.
	ModTime time.Time
}

// CopyFiles copies the files of copies (typically s.Copies, or
// s.CopyPlan(dir)) from the driver disk src (the directory holding
// txtsetup.oem, as an fs.FS such as os.DirFS) into the media tree at
// mediaRoot: ReadCopies, then WriteStaged, so the copy is all or nothing.
// Paths on the driver disk are looked up case-insensitively, as on the FAT
// floppy they come from. A missing file is ErrNotFound and a file over
// Limits.MaxDriverFileSize ErrLimit, both reported before anything is
// written. Destinations must stay inside mediaRoot (ErrInvalid otherwise).
// Edits name the media paths.
func (s *Slipstream) CopyFiles(src fs.FS, mediaRoot string, copies []FileCopy, opts *CopyOptions) ([]Edit, error) {
	files, err := s.ReadCopies(src, copies, opts)
	if err != nil {
		return nil, err
	}
	return WriteStaged(mediaRoot, files, 0o644)
}

// RemoveCopies deletes the files of copies from the media tree at
// mediaRoot, in both their plain and compressed forms. Missing files are
// not an error.
func (s *Slipstream) RemoveCopies(mediaRoot string, copies []FileCopy) ([]Edit, error) {
	var edits []Edit
	for _, c := range copies {
		for _, rel := range []string{c.Media, c.Compressed} {
			if rel == "" {
				continue
			}
			dst, err := mediaPath(mediaRoot, rel)
			if err != nil {
				return edits, err
			}
			err = os.Remove(dst)
			switch {
			case err == nil:
				edits = append(edits, Edit{Kind: EditRemove, File: fileMedia, Section: dst})
			case !errors.Is(err, fs.ErrNotExist):
				return edits, fmt.Errorf("sif: %w", err)
			}
		}
	}
	return edits, nil
}

// mediaPath joins a '/'-separated media path to root, refusing paths that
// leave it.
func mediaPath(root, rel string) (string, error) {
	p := filepath.FromSlash(rel)
	if !filepath.IsLocal(p) || strings.ContainsAny(rel, `\:`) {
		return "", fmt.Errorf("sif: media path %q is not inside the media tree: %w", rel, ErrInvalid)
	}
	return filepath.Join(root, p), nil
}

// readDiskFile reads name from fsys, matching each path component
// case-insensitively when the exact name does not exist.
func readDiskFile(fsys fs.FS, name string, max int64) ([]byte, time.Time, error) {
	p, err := resolveFold(fsys, name)
	if err != nil {
		return nil, time.Time{}, err
	}
	f, err := fsys.Open(p)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("sif: driver disk: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("sif: driver disk: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, time.Time{}, fmt.Errorf("sif: driver disk file %s is not a regular file: %w", p, ErrInvalid)
	}
	if err := checkSize("driver disk file "+p, fi.Size(), max); err != nil {
		return nil, time.Time{}, err
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("sif: driver disk: %w", err)
	}
	if err := checkSize("driver disk file "+p, int64(len(b)), max); err != nil {
		return nil, time.Time{}, err
	}
	return b, fi.ModTime(), nil
}

func resolveFold(fsys fs.FS, name string) (string, error) {
	name = path.Clean(strings.Trim(strings.ReplaceAll(name, `\`, "/"), "/"))
	if !fs.ValidPath(name) {
		return "", fmt.Errorf("sif: driver disk path %q: %w", name, ErrInvalid)
	}
	if _, err := fs.Stat(fsys, name); err == nil {
		return name, nil
	}
	dir := "."
	for _, c := range strings.Split(name, "/") {
		ents, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return "", fmt.Errorf("sif: driver disk file %s: %w", name, ErrNotFound)
		}
		found := ""
		for _, e := range ents {
			if strings.EqualFold(e.Name(), c) {
				found = e.Name()
				break
			}
		}
		if found == "" {
			return "", fmt.Errorf("sif: driver disk file %s: %w", name, ErrNotFound)
		}
		dir = path.Join(dir, found)
	}
	return dir, nil
}
