package hive

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns wraps one of them, so
// callers test with errors.Is; structural problems come as *FormatError.
var (
	// ErrFormat reports a structure that breaks the regf format. Typically
	// the file is not a hive, is truncated, or was damaged.
	ErrFormat = errors.New("hive: invalid format")

	// ErrChecksum reports a checksum or hash that does not match. Typically
	// a damaged base block, or a transaction log entry whose Marvin32 hash
	// is wrong.
	ErrChecksum = errors.New("hive: checksum mismatch")

	// ErrLimit reports input or a request beyond a configured Limits field.
	// Typically a hostile file (a count larger than its cell, nesting deeper
	// than MaxDepth) or a name longer than Windows allows.
	ErrLimit = errors.New("hive: limit exceeded")

	// ErrNotFound reports a key or value that does not exist. Typically a
	// wrong path or name, or a Key handle whose key was deleted.
	ErrNotFound = errors.New("hive: not found")

	// ErrExists reports that an edit would create a second key or value with
	// the same name. Typically a Rename onto a sibling's name.
	ErrExists = errors.New("hive: already exists")

	// ErrInvalid reports an argument the package cannot use. Typically an
	// empty key name, a name containing a backslash, deleting the root key,
	// or a malformed security descriptor.
	ErrInvalid = errors.New("hive: invalid argument")

	// ErrUnsupported reports a valid file using something this package does
	// not handle. Typically a major version other than 1, or a log file type
	// that is not a transaction log.
	ErrUnsupported = errors.New("hive: unsupported")

	// ErrReplay reports a transaction log that cannot be replayed. Typically
	// the log belongs to another hive or is truncated; a bad entry hash
	// wraps ErrChecksum as well.
	ErrReplay = errors.New("hive: log replay failed")
)

// FormatError is a structural failure at a known place in the file. Offset
// is a file offset (cell offsets are relative to the hive bins data, which
// starts at file offset 4096); Struct names the record ("base block",
// "hbin", "nk cell", ...). Unwrap returns Err, which is ErrFormat or a more
// specific sentinel (ErrLimit, ErrChecksum).
type FormatError struct {
	Offset int64
	Struct string
	Msg    string
	Err    error
}

func (e *FormatError) Error() string {
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("hive: %s at %#x: %s", e.Struct, e.Offset, msg)
}

// Unwrap returns the sentinel the error wraps.
func (e *FormatError) Unwrap() error { return e.Err }

// binsStart is the file offset of the hive bins data: cell offsets are
// relative to it.
const binsStart = 4096

// cellErr builds a FormatError for the cell at cell offset off.
func cellErr(off uint32, what, format string, args ...any) error {
	return &FormatError{Offset: int64(off) + binsStart, Struct: what, Msg: fmt.Sprintf(format, args...), Err: ErrFormat}
}

// limitErr builds a FormatError wrapping ErrLimit for the cell at off.
func limitErr(off uint32, what, format string, args ...any) error {
	return &FormatError{Offset: int64(off) + binsStart, Struct: what, Msg: fmt.Sprintf(format, args...), Err: ErrLimit}
}

// fileErr builds a FormatError at a file offset.
func fileErr(off int64, what string, sentinel error, format string, args ...any) error {
	return &FormatError{Offset: off, Struct: what, Msg: fmt.Sprintf(format, args...), Err: sentinel}
}

// Warning is something odd found while reading that did not stop the hive
// from being used (a bad base-block checksum, a truncated file, a damaged
// bin whose remaining cells are ignored). Offset is a file offset.
type Warning struct {
	Offset int64
	Msg    string
}

func (w Warning) String() string { return fmt.Sprintf("%#x: %s", w.Offset, w.Msg) }
