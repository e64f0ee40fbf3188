package sif

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// StagedFile is a file of the driver disk read into memory, with its place
// on the setup media.
type StagedFile struct {
	// Copy is the entry of the copy plan the file belongs to.
	Copy FileCopy
	// Path is where the file goes below the media root, with '/'
	// separators: Copy.Media, or Copy.Compressed for a driver written in
	// its makecab form.
	Path string
	// Data is the file's content (a cabinet when compressed).
	Data []byte
}

// ReadCopies reads the files of copies from the driver disk src exactly
// as CopyFiles does (paths looked up case-insensitively, sizes bounded by
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
