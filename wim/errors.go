package wim

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns wraps one of them, so
// callers can test with errors.Is.
var (
	// ErrFormat reports a structure that violates the WIM format. Typically
	// returned for a bad magic, a header size other than 208, a part number
	// above the part count, a resource that lies outside the file, XML that
	// is not well formed, or an image count that disagrees with the XML.
	ErrFormat = errors.New("wim: invalid format")

	// ErrLimit reports input larger than a limit in [Limits]. Typically
	// returned for an XML resource bigger than MaxXMLSize, more images than
	// MaxImages, or XML nested deeper than MaxXMLDepth.
	ErrLimit = errors.New("wim: limit exceeded")

	// ErrUnsupported reports a valid WIM feature this package does not
	// handle. Typically returned for an unknown version, a compressed blob
	// table or XML resource, an encrypted ESD, or an edit of a split or
	// pipable WIM.
	ErrUnsupported = errors.New("wim: unsupported")

	// ErrChecksum reports data that does not match its integrity table.
	// Typically returned by VerifyIntegrity, wrapped in an *IntegrityError
	// that names the chunk.
	ErrChecksum = errors.New("wim: checksum mismatch")

	// ErrNotFound reports something asked for that is not there. Typically
	// returned for an image index out of range, an image name no image has,
	// or VerifyIntegrity on a WIM without an integrity table.
	ErrNotFound = errors.New("wim: not found")

	// ErrReadOnly reports an edit of a WIM that must not be changed.
	// Typically returned when the header has the READONLY flag set (clear it
	// with SetReadOnly(false) first), or when the file was opened with Open
	// rather than OpenForEdit.
	ErrReadOnly = errors.New("wim: read-only")

	// ErrInvalidArgument reports a bad argument to an edit. Typically
	// returned for a property path with invalid syntax, an element name that
	// is not a legal XML name, or a value with control characters.
	ErrInvalidArgument = errors.New("wim: invalid argument")

	// ErrNameInUse reports a rename to a name another image already has.
	// Typically returned by SetName, as wimlib-imagex refuses the same.
	ErrNameInUse = errors.New("wim: image name already in use")
)

// FormatError describes a structural problem at a file offset.
type FormatError struct {
	Offset int64  // byte offset in the WIM file (or in the XML data for Struct "xml")
	Struct string // the structure being read: "header", "blob table", "xml", ...
	Msg    string // what is wrong
	Err    error  // ErrFormat or a more specific sentinel (ErrLimit, ErrUnsupported)
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("wim: %s at %#x: %s", e.Struct, e.Offset, e.Msg)
}

// Unwrap returns the sentinel the error wraps.
func (e *FormatError) Unwrap() error { return e.Err }

func formatErr(off int64, st string, err error, format string, args ...any) error {
	return &FormatError{Offset: off, Struct: st, Msg: fmt.Sprintf(format, args...), Err: err}
}

// IntegrityError reports the first chunk whose SHA-1 differs from the one
// recorded in the integrity table.
type IntegrityError struct {
	Chunk  int   // 0-based index of the chunk in the table
	Chunks int   // number of chunks in the table
	Offset int64 // file offset of the chunk's first byte
	Size   int64 // bytes in the chunk
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("wim: integrity check failed: chunk %d of %d (bytes %#x-%#x) does not match its SHA-1",
		e.Chunk, e.Chunks, e.Offset, e.Offset+e.Size)
}

// Unwrap returns ErrChecksum.
func (e *IntegrityError) Unwrap() error { return ErrChecksum }

// Warning is something that parsed but looks odd; the result is still usable.
type Warning struct {
	Offset int64
	Msg    string
}

func (w Warning) String() string { return fmt.Sprintf("%#x: %s", w.Offset, w.Msg) }
