package inf

import (
	"errors"
	"fmt"
)

// Sentinel errors. Structural failures come wrapped in a *FormatError whose
// Unwrap returns one of these; test for them with errors.Is.
var (
	// ErrFormat reports input that SetupAPI would reject. Typically an
	// entry before the first section header or an unterminated section
	// name; the more specific sentinels below also match ErrFormat.
	ErrFormat = errors.New("inf: malformed input")

	// ErrExpectedSection is ErrFormat for an entry that appears before any
	// section header (SetupAPI's ERROR_EXPECTED_SECTION_NAME).
	ErrExpectedSection = fmt.Errorf("%w: entry before the first section header", ErrFormat)

	// ErrBadSectionLine is ErrFormat for a section header without its
	// closing ']' (SetupAPI's ERROR_BAD_SECTION_NAME_LINE).
	ErrBadSectionLine = fmt.Errorf("%w: section name without closing ']'", ErrFormat)

	// ErrLimit reports input that exceeds one of the Limits. Typically a
	// hostile or corrupt file: a gigantic line, a runaway continuation, a
	// section name over 255 characters, too many sections.
	ErrLimit = errors.New("inf: limit exceeded")

	// ErrSectionNameTooLong is ErrLimit for a section name longer than
	// Limits.MaxSectionNameLen (SetupAPI's ERROR_SECTION_NAME_TOO_LONG).
	ErrSectionNameTooLong = fmt.Errorf("%w: section name too long", ErrLimit)

	// ErrNotFound reports a section, key or value that does not exist.
	// Typically a driver INF without [Version] or a models section named in
	// [Manufacturer] that is missing.
	ErrNotFound = errors.New("inf: not found")

	// ErrSignature reports a [Version] Signature other than "$Windows NT$",
	// "$Chicago$" or "$Windows 95$" (SetupAPI's ERROR_WRONG_INF_STYLE).
	// Typically a file that is not a device INF (txtsetup.oem, a .sif).
	ErrSignature = errors.New("inf: not a Windows NT INF (bad [Version] Signature)")

	// ErrEncoding reports text that the document's encoding cannot
	// represent. Typically a non-Latin character set on a line of a
	// Windows-1252 file, or a lone surrogate.
	ErrEncoding = errors.New("inf: text not representable in the file's encoding")

	// ErrInvalidText reports text an edit cannot store on one INF line.
	// Typically a value containing CR, LF, NUL or Ctrl-Z, text that would
	// continue onto the next line, or an entry outside any section.
	ErrInvalidText = errors.New("inf: text cannot be stored as requested")

	// ErrDanglingContinuation is ErrInvalidText for an edit that would put
	// a line after a last line whose continuation backslash has no
	// physical line to join (the input ended there, with or without a line
	// ending): the backslash would join the new line to it.
	// Document.EndLastLine ends that line, so that lines can follow it;
	// editing the line itself also works.
	ErrDanglingContinuation = fmt.Errorf("%w: the last line ends in a continuation backslash", ErrInvalidText)

	// ErrRemoved reports use of a line or section after it was removed
	// from its document (or the document was reverted).
	ErrRemoved = errors.New("inf: line or section was removed")

	// ErrValue reports a field that does not hold the expected value.
	// Typically a DriverVer with an impossible date, a version part over
	// 65534, or a registry flag field that is not a number.
	ErrValue = errors.New("inf: invalid value")
)

// FormatError reports where in the input a structural problem was found.
type FormatError struct {
	Offset int64  // byte offset of the offending physical line in the input
	Line   int    // 1-based physical line number (0 when not known)
	Struct string // what was being read: "section header", "line", "file", ...
	Err    error  // ErrFormat, ErrLimit or a more specific sentinel
}

func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("inf: %s at line %d (offset %#x): %v", e.Struct, e.Line, e.Offset, e.Err)
	}
	return fmt.Sprintf("inf: %s at offset %#x: %v", e.Struct, e.Offset, e.Err)
}

// Unwrap returns the sentinel describing the problem.
func (e *FormatError) Unwrap() error { return e.Err }

// LineError reports a problem with the meaning of one entry, such as an
// AddReg line whose flags are not a number or a DriverVer that is not a date.
type LineError struct {
	Section string // section holding the line
	Line    int    // 1-based physical line number of the entry's first line
	Err     error  // ErrValue, ErrNotFound, ...
}

func (e *LineError) Error() string {
	return fmt.Sprintf("inf: [%s] line %d: %v", e.Section, e.Line, e.Err)
}

// Unwrap returns the underlying error.
func (e *LineError) Unwrap() error { return e.Err }

// Warning is something that parsed but looks wrong: a lint finding, a value
// Windows would ignore, a missing optional section.
type Warning struct {
	Section string `json:"section,omitempty"` // section concerned, if any
	Line    int    `json:"line,omitempty"`    // 1-based line number, 0 when not tied to a line
	Code    string `json:"code"`              // stable identifier, e.g. "config-unreferenced"
	Msg     string `json:"msg"`               // human-readable explanation
}

func (w Warning) String() string {
	switch {
	case w.Line > 0:
		return fmt.Sprintf("[%s] line %d: %s (%s)", w.Section, w.Line, w.Msg, w.Code)
	case w.Section != "":
		return fmt.Sprintf("[%s]: %s (%s)", w.Section, w.Msg, w.Code)
	}
	return fmt.Sprintf("%s (%s)", w.Msg, w.Code)
}
