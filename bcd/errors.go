package bcd

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns wraps one of them (or an
// error of the hive package), so callers test with errors.Is; structural
// problems come as *FormatError and bad arguments as *ArgError.
var (
	// ErrFormat reports data that breaks the BCD layout. Typically a device
	// element blob that is truncated or whose size fields point outside it,
	// or a store without an Objects key.
	ErrFormat = errors.New("bcd: invalid format")

	// ErrLimit reports input beyond a configured Limits field. Typically a
	// hostile store with more objects than MaxObjects or device descriptors
	// nested deeper than MaxDeviceDepth.
	ErrLimit = errors.New("bcd: limit exceeded")

	// ErrNotFound reports an object or element that does not exist.
	// Typically a GUID with no object in the store, {default} when
	// {bootmgr} has no default element, or a /deletevalue of an element
	// that is not set.
	ErrNotFound = errors.New("bcd: not found")

	// ErrExists reports a create of an object that already exists, or
	// /createstore onto an existing file.
	ErrExists = errors.New("bcd: already exists")

	// ErrInvalidID reports text that is neither a braced GUID nor a known
	// alias ({bootmgr}, {ramdiskoptions}, ...), or an alias that cannot be
	// used offline ({current}).
	ErrInvalidID = errors.New("bcd: invalid identifier")

	// ErrUnknownElement reports an element name that is neither a bcdedit
	// name valid for the object nor custom:XXXXXXXX.
	ErrUnknownElement = errors.New("bcd: unknown element")

	// ErrValueType reports a value that does not fit the element's format:
	// "maybe" for a boolean, "12x" for an integer, a string for an
	// object, a Value of the wrong Go type.
	ErrValueType = errors.New("bcd: wrong value type")

	// ErrDeviceSyntax reports a device string that does not parse:
	// "ramdisk=\x.wim" without a parent, "partition=Q:" that the drive
	// resolver does not know, a malformed partition identity.
	ErrDeviceSyntax = errors.New("bcd: invalid device syntax")

	// ErrUsage reports a bcdedit command line that is not valid: an unknown
	// command or option, a missing or extra argument.
	ErrUsage = errors.New("bcd: invalid command line")

	// ErrInvalid reports an argument the package cannot use in a Go call.
	// Typically a Device whose Kind needs a Parent and has none, or an
	// object type that is not an application, inherit or device type.
	ErrInvalid = errors.New("bcd: invalid argument")
)

// FormatError is a structural failure at a known place. Offset is a byte
// offset inside the data named by Struct (for a device element, from the
// start of the Element value). Unwrap returns Err, which is ErrFormat or a
// more specific sentinel such as ErrLimit.
type FormatError struct {
	Offset int64
	Struct string // "device element", "file path", "locate descriptor", ...
	Msg    string
	Err    error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("bcd: %s at offset %#x: %s", e.Struct, e.Offset, e.Msg)
}

// Unwrap returns the sentinel the error wraps.
func (e *FormatError) Unwrap() error { return e.Err }

func formatErr(off int, st string, err error, format string, args ...any) error {
	return &FormatError{Offset: int64(off), Struct: st, Msg: fmt.Sprintf(format, args...), Err: err}
}

// ArgError is a bad argument: an identifier, element name, value, device
// string or command-line option. Arg is the text as given, Kind says what
// it was meant to be ("identifier", "element", "value", "device",
// "option", "command"). Unwrap returns Err (ErrInvalidID,
// ErrUnknownElement, ErrValueType, ErrDeviceSyntax, ErrUsage, ErrNotFound,
// ErrExists, ...).
type ArgError struct {
	Kind string
	Arg  string
	Msg  string // why, in words (may be empty)
	Err  error
}

func (e *ArgError) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("bcd: %s %q: %v", e.Kind, e.Arg, e.Err)
	}
	return fmt.Sprintf("bcd: %s %q: %s", e.Kind, e.Arg, e.Msg)
}

// Unwrap returns the sentinel the error wraps.
func (e *ArgError) Unwrap() error { return e.Err }

func argErr(kind, arg string, err error, format string, args ...any) error {
	return &ArgError{Kind: kind, Arg: arg, Msg: fmt.Sprintf(format, args...), Err: err}
}
