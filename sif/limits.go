package sif

import (
	"fmt"

	"golang.org/x/text/encoding"

	"github.com/winbootkit/winbootkit/inf"
)

// Limits bound what the package reads, so that a hostile file cannot make it
// allocate without bound. A zero field means the default in its comment;
// exceeding a limit fails with an error wrapping ErrLimit.
type Limits struct {
	// MaxFileSize is the largest text file read: txtsetup.sif, winnt.sif,
	// txtsetup.oem, hive INFs, CHKPCI.TXT. Default 64 MiB (Windows Server
	// 2003's txtsetup.sif is about 0.5 MiB, ReactOS' hivesft.inf 264 KB).
	MaxFileSize int64

	// MaxDriverFileSize is the largest driver file copied or compressed.
	// Default 256 MiB (text-mode drivers are tens to hundreds of KB).
	MaxDriverFileSize int64

	// MaxHardwareIDs is the most hardware IDs one txtsetup.oem option may
	// list. Default 2048 (real options list tens; every ID is one
	// [HardwareIdsDatabase] line, two registry values and a CHKPCI.TXT
	// entry, and a slipstream of 2,048 IDs allocates about 16 MiB).
	MaxHardwareIDs int

	// MaxRegistryValues is the most registry values one slipstream may
	// write: two per hardware ID, the service values, the driver INF's
	// AddReg values and the txtsetup.oem's [Config] values. Default 6144
	// (a real driver writes a few dozen; applying 6,144 values allocates
	// about 45 MiB).
	MaxRegistryValues int
}

// DefaultLimits are the limits used for zero fields.
var DefaultLimits = Limits{
	MaxFileSize:       64 << 20,
	MaxDriverFileSize: 256 << 20,
	MaxHardwareIDs:    2048,
	MaxRegistryValues: 6144,
}

func (l Limits) withDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultLimits.MaxFileSize
	}
	if l.MaxDriverFileSize <= 0 {
		l.MaxDriverFileSize = DefaultLimits.MaxDriverFileSize
	}
	if l.MaxHardwareIDs <= 0 {
		l.MaxHardwareIDs = DefaultLimits.MaxHardwareIDs
	}
	if l.MaxRegistryValues <= 0 {
		l.MaxRegistryValues = DefaultLimits.MaxRegistryValues
	}
	return l
}

// ReadOptions control how text files are read. The zero value (or nil) is
// valid.
type ReadOptions struct {
	// CodePage decodes ANSI files (no byte-order mark, not UTF-16), as in
	// inf.ReadOptions. Default nil: valid UTF-8 that is not pure ASCII is
	// read as UTF-8, anything else as Windows-1252. Text-mode setup files
	// are ASCII in practice.
	CodePage encoding.Encoding

	// Limits bound what is accepted. Zero fields take DefaultLimits.
	Limits Limits
}

// infOptions returns the inf.ReadOptions for a file read in dialect d.
func (o *ReadOptions) infOptions(d inf.Dialect) *inf.ReadOptions {
	var ro inf.ReadOptions
	var lim Limits
	if o != nil {
		ro.CodePage = o.CodePage
		lim = o.Limits
	}
	lim = lim.withDefaults()
	il := inf.DefaultLimits
	il.MaxFileSize = lim.MaxFileSize
	ro.Limits = &il
	ro.Dialect = d
	return &ro
}

func (o *ReadOptions) limits() Limits {
	if o == nil {
		return DefaultLimits
	}
	return o.Limits.withDefaults()
}

// checkSize fails with ErrLimit when n exceeds max.
func checkSize(what string, n, max int64) error {
	if n > max {
		return fmt.Errorf("sif: %s of %d bytes exceeds the limit of %d: %w", what, n, max, ErrLimit)
	}
	return nil
}
