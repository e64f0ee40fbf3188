package sif

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
)

// StagedFile is a file held in memory with its place on the setup media: a
// file of the driver disk (ReadCopies), or any other file a tool writes
// with WriteStaged, such as an edited txtsetup.sif.
type StagedFile struct {
	// Copy is the entry of the copy plan the file belongs to (zero for
	// files that are not driver disk files).
	Copy FileCopy
	// Path is where the file goes below the media root, with '/'
	// separators: Copy.Media, or Copy.Compressed for a driver written in
	// its makecab form.
	Path string
	// Data is the file's content (a cabinet when compressed).
	Data []byte
}

// ReadCopies reads the files of copies from the driver disk src, the
// first half of CopyFiles (paths looked up case-insensitively, sizes bounded by
// Limits.MaxDriverFileSize, the driver compressed into F.sy_ when
// opts.Compress is set) and returns them in memory instead of writing
// them: for setup media that are not a directory (an ISO image being
// rebuilt) and for tools that write all their output files at once, or
// none. A missing file is ErrNotFound and a media path that would leave the
// media tree ErrInvalid; nothing is returned then.
func (s *Slipstream) ReadCopies(src fs.FS, copies []FileCopy, opts *CopyOptions) ([]StagedFile, error) {
	var o CopyOptions
	if opts != nil {
		o = *opts
	}
	var out []StagedFile
	for _, c := range copies {
		data, mod, err := readDiskFile(src, c.Source, s.limits.MaxDriverFileSize)
		if err != nil {
			return nil, err
		}
		rel := c.Media
		if o.Compress && c.Compressed != "" {
			rel = c.Compressed
			mt := o.ModTime
			if mt.IsZero() {
				mt = mod
			}
			var b bytes.Buffer
			if _, err := WriteCabinet(&b, path.Base(c.Media), data, mt); err != nil {
				return nil, err
			}
			data = b.Bytes()
		}
		if _, err := mediaPath(".", rel); err != nil {
			return nil, err
		}
		out = append(out, StagedFile{Copy: c, Path: rel, Data: data})
	}
	return out, nil
}

// FoldPath returns the path of name in fsys as it is spelled there,
// matching each path component case-insensitively when the exact name does
// not exist, the way Windows setup media (I386\TXTSETUP.SIF on a CD, i386/
// txtsetup.sif once extracted) and TFTP servers that serve Windows clients
// treat names. name may use '/' or '\' separators and leading or trailing
// separators. A name that is not a valid fs.FS path (such as one with "..")
// is ErrInvalid; a name with no match is ErrNotFound.
func FoldPath(fsys fs.FS, name string) (string, error) {
	p, err := resolveFold(fsys, name)
	switch {
	case errors.Is(err, ErrNotFound):
		return "", fmt.Errorf("sif: %s: %w", strings.Trim(strings.ReplaceAll(name, `\`, "/"), "/"), ErrNotFound)
	case err != nil:
		return "", fmt.Errorf("sif: path %q: %w", name, ErrInvalid)
	}
	return p, nil
}

// WriteStaged writes files below mediaRoot (creating directories as
// needed), all or nothing: each file goes through a temporary file renamed
// over its target, and if one cannot be written, the files written before
// it are put back as they were (removed, or given their previous content
// again) and the directories created for them are removed. A file whose
// content is already there is not rewritten. perm is used for new files
// (0 means 0644). Paths are checked first: one that would leave mediaRoot
// is ErrInvalid and nothing is written. It returns one edit per file
// (EditAdd, EditUpdate or EditUnchanged, with the path as the section).
func WriteStaged(mediaRoot string, files []StagedFile, perm fs.FileMode) (edits []Edit, err error) {
	dsts := make([]string, len(files))
	for i, f := range files {
		if dsts[i], err = mediaPath(mediaRoot, f.Path); err != nil {
			return nil, err
		}
	}
	type undo struct {
		dst     string
		old     []byte
		existed bool
	}
	var done []undo
	var dirs []string // created, parents first
	defer func() {
		if err == nil {
			return
		}
		edits = nil
		for _, u := range slices.Backward(done) {
			if u.existed {
				_ = atomicfile.WriteFile(u.dst, u.old, perm)
			} else {
				_ = os.Remove(u.dst)
			}
		}
		for _, d := range slices.Backward(dirs) {
			_ = os.Remove(d) // only empty directories go
		}
	}()
	for i, f := range files {
		dst := dsts[i]
		made, err := mkdirAll(filepath.Dir(dst))
		dirs = append(dirs, made...)
		if err != nil {
			return nil, fmt.Errorf("sif: %w", err)
		}
		u := undo{dst: dst}
		switch old, err := os.ReadFile(dst); {
		case err == nil:
			u.old, u.existed = old, true
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("sif: %w", err)
		}
		k := EditAdd
		if u.existed {
			if bytes.Equal(u.old, f.Data) {
				edits = append(edits, Edit{Kind: EditUnchanged, File: fileMedia, Section: f.Path})
				continue
			}
			k = EditUpdate
		}
		if err := atomicfile.WriteFile(dst, f.Data, perm); err != nil {
			return nil, fmt.Errorf("sif: %w", err)
		}
		done = append(done, u)
		edits = append(edits, Edit{Kind: k, File: fileMedia, Section: f.Path, New: f.Copy.Source})
	}
	return edits, nil
}

// mkdirAll creates dir and its missing parents and returns the ones it
// created, parents first.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		missing = append(missing, d)
	}
	var made []string
	for _, d := range slices.Backward(missing) {
		if err := os.Mkdir(d, 0o755); err != nil {
			return made, err
		}
		made = append(made, d)
	}
	return made, nil
}
