package ramdisk

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns for bad input wraps one of
// them, so callers can test with errors.Is.
var (
	// ErrFormat reports a structure that violates its format. Typically
	// returned for an SDI without the $SDI magic or with a blob outside the
	// file, an MBR without the 55 AA signature or with overlapping
	// partitions, a FAT boot sector whose BPB does not describe a FAT volume,
	// a broken cluster chain, or an ISO 9660 directory record that runs past
	// its extent.
	ErrFormat = errors.New("ramdisk: invalid format")

	// ErrChecksum reports an SDI header whose byte sum is not zero modulo 256.
	// It is returned together with the parsed SDI when the rest of the file is
	// valid, so a caller may choose to go on (and a rewrite fixes it).
	ErrChecksum = errors.New("ramdisk: checksum mismatch")

	// ErrLimit reports input larger than a limit in [Limits]. Typically
	// returned for a directory tree deeper than MaxDepth, more directory
	// entries than MaxEntries, or a FAT larger than MaxFATSize.
	ErrLimit = errors.New("ramdisk: limit exceeded")

	// ErrUnsupported reports valid input this package does not handle.
	// Typically returned for sector sizes other than 512, FAT volumes with
	// one FAT, extended partitions, or file names go-diskfs v1.9.4 cannot
	// write correctly (non-ASCII names).
	ErrUnsupported = errors.New("ramdisk: unsupported")

	// ErrNTFS reports a partition that holds NTFS, which this package (and
	// go-diskfs) cannot read or write. It wraps ErrUnsupported.
	ErrNTFS = fmt.Errorf("ramdisk: NTFS partition (only FAT12/16/32 can be read or edited): %w", ErrUnsupported)

	// ErrNotFound reports something asked for that is not there. Typically
	// returned for a path that is not in the image, or a blob type the SDI
	// does not have.
	ErrNotFound = errors.New("ramdisk: not found")

	// ErrExist reports an add of a path that already exists. Use the replace
	// form of the call to overwrite.
	ErrExist = errors.New("ramdisk: already exists")

	// ErrNoSpace reports files that do not fit in the requested image size,
	// or a size too small for any FAT file system.
	ErrNoSpace = errors.New("ramdisk: not enough space")

	// ErrInvalidArgument reports a bad argument to a builder or an edit.
	// Typically returned for a file name with characters FAT forbids, a path
	// that is not clean, boot code longer than its area, or a page alignment
	// of zero.
	ErrInvalidArgument = errors.New("ramdisk: invalid argument")
)

// FormatError describes a structural problem at an offset.
type FormatError struct {
	Offset int64  // byte offset in the input (the disk image, SDI or ISO)
	Struct string // the structure being read: "sdi header", "mbr", "bpb", ...
	Msg    string // what is wrong
	Err    error  // ErrFormat or a more specific sentinel
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("ramdisk: %s at %#x: %s", e.Struct, e.Offset, e.Msg)
}

// Unwrap returns the sentinel the error wraps.
func (e *FormatError) Unwrap() error { return e.Err }

func formatErr(off int64, st string, err error, format string, args ...any) error {
	return &FormatError{Offset: off, Struct: st, Msg: fmt.Sprintf(format, args...), Err: err}
}

// PathError reports a failed operation on one path inside an image.
type PathError struct {
	Op   string // "add", "replace", "remove", "read", ...
	Path string // the path inside the image
	Err  error  // a sentinel (ErrNotFound, ErrExist, ...) or a wrapped cause
}

func (e *PathError) Error() string { return "ramdisk: " + e.Op + " " + e.Path + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *PathError) Unwrap() error { return e.Err }

// Warning is something that parsed but looks odd; the result is still usable.
type Warning struct {
	Offset int64 // byte offset, or the token index for boot options
	Msg    string
}

func (w Warning) String() string { return fmt.Sprintf("%#x: %s", w.Offset, w.Msg) }
