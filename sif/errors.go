package sif

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error the package returns wraps one of them (errors
// from the inf and hive packages are wrapped as well, so errors.Is also
// matches their sentinels); test with errors.Is and errors.As.
var (
	// ErrFormat reports a file that cannot be read as what it should be.
	// Typically a txtsetup.sif, winnt.sif or hive INF with an entry before
	// the first section header or an unterminated section name.
	ErrFormat = errors.New("sif: malformed input")

	// ErrLimit reports input beyond one of the Limits. Typically a hostile
	// or corrupt file: a text file over MaxFileSize, a driver binary over
	// MaxDriverFileSize, an option listing more hardware IDs than
	// MaxHardwareIDs.
	ErrLimit = errors.New("sif: limit exceeded")

	// ErrNotFound reports something the slipstream needs that is missing.
	// Typically an ID that the txtsetup.oem does not offer, a txtsetup.oem
	// without [Defaults] when no ID is given, or a driver file that is not
	// on the driver disk.
	ErrNotFound = errors.New("sif: not found")

	// ErrNoDriver reports a txtsetup.oem option whose [Files.component.ID]
	// section has no driver line, so there is nothing to load in text mode.
	ErrNoDriver = errors.New("sif: option has no driver line")

	// ErrConflict reports an existing entry that contradicts the slipstream
	// and cannot be resolved without losing data. Typically a [SCSI.Load]
	// entry for the same service that loads another file.
	ErrConflict = errors.New("sif: conflicting entry")

	// ErrInvalid reports an argument or a name the package cannot use.
	// Typically a driver file name that is not 8.3, an architecture other
	// than x86 or amd64, a component other than scsi, or text that cannot
	// be stored on one line.
	ErrInvalid = errors.New("sif: invalid argument")
)

// FormatError reports where a file could not be parsed. Offset and Line
// come from the underlying reader (the inf package for text files).
// Unwrap returns both ErrFormat (or ErrLimit) and the underlying error, so
// errors.Is matches sif's and inf's sentinels and errors.As finds an
// *inf.FormatError.
type FormatError struct {
	File   string // what was being read: "txtsetup.sif", "winnt.sif", "CHKPCI.TXT", ...
	Offset int64  // byte offset of the problem, -1 when unknown
	Line   int    // 1-based line number, 0 when unknown
	Err    error  // ErrFormat or ErrLimit
	Cause  error  // the underlying error, if any
}

func (e *FormatError) Error() string {
	msg := e.Err.Error()
	if e.Cause != nil {
		msg = e.Cause.Error()
	}
	switch {
	case e.Line > 0:
		return fmt.Sprintf("sif: %s line %d (offset %#x): %s", e.File, e.Line, e.Offset, msg)
	case e.Offset >= 0:
		return fmt.Sprintf("sif: %s at offset %#x: %s", e.File, e.Offset, msg)
	}
	return fmt.Sprintf("sif: %s: %s", e.File, msg)
}

// Unwrap returns the sentinel and the underlying error.
func (e *FormatError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// EntryError reports an existing entry of a file that stops an edit.
// Unwrap returns Err (typically ErrConflict).
type EntryError struct {
	File    string // "txtsetup.sif", "hivesys.inf", ...
	Section string // section holding the entry
	Line    int    // 1-based line number of the entry
	Text    string // the entry as written
	Err     error
	Msg     string
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("sif: %s [%s] line %d %q: %s: %v", e.File, e.Section, e.Line, e.Text, e.Msg, e.Err)
}

// Unwrap returns the sentinel.
func (e *EntryError) Unwrap() error { return e.Err }

// Warning is something that did not stop an operation but deserves a look:
// a lint finding in the txtsetup.oem, a section that had to be created, an
// existing entry that was kept as it was.
type Warning struct {
	Code    string `json:"code"`              // stable identifier, e.g. "section-created"
	File    string `json:"file,omitempty"`    // file concerned, if any
	Section string `json:"section,omitempty"` // section concerned, if any
	Line    int    `json:"line,omitempty"`    // 1-based line number, 0 when not tied to a line
	Msg     string `json:"msg"`
}

func (w Warning) String() string {
	where := w.File
	if w.Section != "" {
		where += " [" + w.Section + "]"
	}
	if w.Line > 0 {
		where += fmt.Sprintf(" line %d", w.Line)
	}
	if where = strings.TrimSpace(where); where != "" {
		return fmt.Sprintf("%s: %s (%s)", where, w.Msg, w.Code)
	}
	return fmt.Sprintf("%s (%s)", w.Msg, w.Code)
}
