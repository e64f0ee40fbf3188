package peimage

import (
	"errors"
	"fmt"
)

// Sentinel errors. Test for them with errors.Is; the concrete error usually
// carries more detail (offsets, counts, the strings involved).
var (
	// ErrFormat reports a structurally invalid PE image. Typically a header
	// field points outside the file, a signature is wrong, or the certificate
	// table is malformed. Every *FormatError matches it.
	ErrFormat = errors.New("peimage: invalid PE image")

	// ErrTruncated reports that the file ends inside a header or table.
	// Typically a download was cut short or the file is not what its MZ
	// header claims. It comes wrapped in a *FormatError.
	ErrTruncated = errors.New("peimage: truncated")

	// ErrLimit reports that the input exceeds one of the Limits. Typically a
	// hostile or corrupt file declares a huge section count, or a search
	// string matches too many times.
	ErrLimit = errors.New("peimage: limit exceeded")

	// ErrParserPanic reports that the PE header parser (github.com/saferwall/pe)
	// panicked on malformed input. Typically the file has a damaged Rich
	// header or other structure that the dependency does not bounds-check.
	// It comes wrapped in a *FormatError.
	ErrParserPanic = errors.New("peimage: PE header parser panicked")

	// ErrNotPE reports an operation that needs a PE image (checksum,
	// certificate table) on a raw image. Typically the file is a 16-bit
	// boot program such as startrom.n12 or pxeboot.n12, which has no PE
	// checksum at all.
	ErrNotPE = errors.New("peimage: not a PE image")

	// ErrBIOSBootmgr reports that the file is the BIOS boot manager
	// (\bootmgr): a 16-bit loader and a small PE stub followed by a
	// compressed bootmgr.exe. Typically someone tried to patch or checksum
	// bootmgr instead of bootmgr.exe; the strings to patch are inside the
	// compressed part, which this package does not decompress.
	ErrBIOSBootmgr = errors.New("peimage: BIOS bootmgr: the embedded bootmgr.exe is compressed")

	// ErrNotFound reports that a string to replace does not occur (or not at
	// the requested offset).
	ErrNotFound = errors.New("peimage: string not found")

	// ErrTooLong reports a replacement longer than the string it replaces.
	// Typically the new name has more characters than the old one; it comes
	// wrapped in a *LengthError that says how many bytes are available.
	ErrTooLong = errors.New("peimage: replacement longer than the original")

	// ErrCount reports that a string occurs a different number of times than
	// Edit.Count requires. It comes wrapped in a *CountError.
	ErrCount = errors.New("peimage: unexpected number of occurrences")

	// ErrConflict reports edits whose byte ranges overlap each other or the
	// PE checksum field.
	ErrConflict = errors.New("peimage: overlapping edits")

	// ErrSigned reports a patch refused because the file carries an
	// Authenticode signature that the patch would invalidate. Typically
	// resolved by choosing SignatureStrip or SignatureKeep. It comes wrapped
	// in a *SignedError.
	ErrSigned = errors.New("peimage: file is Authenticode-signed")

	// ErrNotSigned reports StripSignature on a file without a certificate
	// table.
	ErrNotSigned = errors.New("peimage: file has no certificate table")

	// ErrUnsupported reports a valid layout this package does not handle.
	// Typically a certificate table that is not at the end of the file
	// (which Windows has not accepted since MS12-024) and so cannot be
	// removed without moving other data.
	ErrUnsupported = errors.New("peimage: unsupported layout")

	// ErrChecksum reports a stored PE checksum that differs from the
	// computed one. It comes wrapped in a *ChecksumError.
	ErrChecksum = errors.New("peimage: PE checksum mismatch")
)

// FormatError reports a structural problem at a file offset. It always
// matches ErrFormat; Err is ErrFormat or a more specific sentinel
// (ErrTruncated, ErrLimit, ErrParserPanic), reachable through Unwrap.
type FormatError struct {
	Offset int64  // file offset of the offending field or structure
	Struct string // what was being read, e.g. "DOS header"
	Detail string // what is wrong, in words
	Err    error  // the sentinel
}

func (e *FormatError) Error() string {
	msg := e.Detail
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("peimage: %s at %#x: %s", e.Struct, e.Offset, msg)
}

// Unwrap returns the sentinel.
func (e *FormatError) Unwrap() error { return e.Err }

// Is reports whether target is ErrFormat: every FormatError is one.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

func formatErr(off int64, what string, err error, format string, args ...any) *FormatError {
	return &FormatError{Offset: off, Struct: what, Detail: fmt.Sprintf(format, args...), Err: err}
}

// LengthError reports a replacement that does not fit: Needed bytes in the
// given encoding, but only Available (the length of the original) exist.
type LengthError struct {
	Old, New  string
	Encoding  Encoding
	Needed    int
	Available int
}

func (e *LengthError) Error() string {
	return fmt.Sprintf("peimage: replacement %q needs %d bytes as %s, but only %d bytes are available (the length of %q); use a name of at most %d characters",
		e.New, e.Needed, e.Encoding, e.Available, e.Old, e.Available/e.Encoding.UnitSize())
}

// Unwrap returns ErrTooLong.
func (e *LengthError) Unwrap() error { return ErrTooLong }

// CountError reports that Old occurs Got times where Edit.Count asked for
// Want.
type CountError struct {
	Old       string
	Want, Got int
}

func (e *CountError) Error() string {
	return fmt.Sprintf("peimage: %q occurs %d times, the edit requires exactly %d", e.Old, e.Got, e.Want)
}

// Unwrap returns ErrCount.
func (e *CountError) Unwrap() error { return ErrCount }

// SignedError reports a patch refused under SignaturePolicy SignatureRefuse.
type SignedError struct {
	Entries int   // WIN_CERTIFICATE entries in the table
	Offset  int64 // file offset of the certificate table
	Size    int64 // its size in bytes
}

func (e *SignedError) Error() string {
	return fmt.Sprintf("peimage: file is Authenticode-signed (%s, %d bytes at %#x): any patch makes the signature fail verification, and Secure Boot and code-integrity checks then refuse the file; choose the strip policy to remove the signature, or keep to leave an invalid one",
		plural(e.Entries, "certificate entry", "certificate entries"), e.Size, e.Offset)
}

// Unwrap returns ErrSigned.
func (e *SignedError) Unwrap() error { return ErrSigned }

// ChecksumError reports a stored PE checksum that differs from the computed
// one.
type ChecksumError struct {
	Offset   int64 // file offset of the CheckSum field
	Stored   uint32
	Computed uint32
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("peimage: PE checksum at %#x is %#08x, computed %#08x", e.Offset, e.Stored, e.Computed)
}

// Unwrap returns ErrChecksum.
func (e *ChecksumError) Unwrap() error { return ErrChecksum }

// plural formats n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
