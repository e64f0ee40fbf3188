package ramdisk

import (
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// This file makes images browsable through io/fs.

var (
	_ fs.FS        = (*DiskImage)(nil)
	_ fs.ReadDirFS = (*DiskImage)(nil)
)

// Open implements fs.FS. Names follow io/fs rules: slash-separated, no
// leading slash, "." for the root. Names match case-insensitively.
func (d *DiskImage) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return d.openDir(name, nil)
	}
	e, _, err := d.vol.lookup(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: notExist(err)}
	}
	if e.isDir() {
		return d.openDir(name, e)
	}
	ex, err := d.vol.fileExtents(e)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	r := &extentReader{r: d.ov, ex: ex, size: int64(e.size)}
	return &openFile{SectionReader: io.NewSectionReader(r, 0, int64(e.size)), info: fatStat(name, e)}, nil
}

func notExist(err error) error {
	if err == ErrNotFound {
		return fs.ErrNotExist
	}
	return err
}

func (d *DiskImage) openDir(name string, e *fatDirent) (fs.File, error) {
	entries, err := d.ReadDir(name)
	if err != nil {
		return nil, err
	}
	info := statInfo{name: path.Base(name), dir: true}
	if e != nil {
		info = fatStat(name, e)
	}
	return &openDir{info: info, entries: entries}, nil
}

// ReadDir implements fs.ReadDirFS: the entries of a directory, sorted by
// name.
func (d *DiskImage) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	e, dir, err := d.vol.lookup(name)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: notExist(err)}
	}
	if e != nil {
		if !e.isDir() || e.cluster == 0 {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: ErrInvalidArgument}
		}
		if dir, err = d.vol.readDir(e.cluster, false); err != nil {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
		}
	}
	out := make([]fs.DirEntry, 0, len(dir.entries))
	for _, x := range dir.entries {
		out = append(out, fs.FileInfoToDirEntry(fatStat(x.name, x)))
	}
	sortDirEntries(out)
	return out, nil
}

func sortDirEntries(out []fs.DirEntry) {
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
}

func fatStat(name string, e *fatDirent) statInfo {
	return statInfo{name: path.Base(name), size: int64(e.size), dir: e.isDir(), mod: e.mod, sys: fileInfo(name, e)}
}

// statInfo implements fs.FileInfo.
type statInfo struct {
	name string
	size int64
	dir  bool
	mod  time.Time
	sys  any
}

func (s statInfo) Name() string { return s.name }
func (s statInfo) Size() int64  { return s.size }
func (s statInfo) Mode() fs.FileMode {
	if s.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (s statInfo) ModTime() time.Time { return s.mod }
func (s statInfo) IsDir() bool        { return s.dir }
func (s statInfo) Sys() any           { return s.sys }

type openFile struct {
	*io.SectionReader
	info statInfo
}

func (f *openFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *openFile) Close() error               { return nil }

type openDir struct {
	info    statInfo
	entries []fs.DirEntry
	pos     int
}

func (d *openDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *openDir) Close() error               { return nil }
func (d *openDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: fs.ErrInvalid}
}

func (d *openDir) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.pos:]
	if n <= 0 {
		d.pos = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	k := min(n, len(rest))
	d.pos += k
	return rest[:k], nil
}
