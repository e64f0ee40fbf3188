package sif

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/winbootkit/winbootkit/inf"
	"github.com/winbootkit/winbootkit/internal/atomicfile"
)

// SIF is a txtsetup.sif file: the text-mode setup script of Windows
// 2000/XP/2003 and ReactOS installation media. It is a typed view over a
// lossless inf.Document, so every edit changes only the lines it touches
// and keeps the file's encoding and line endings.
//
// The views (SourceDisksFiles, Load, HardwareIDs, ...) are read from the
// document when called; their Line fields are the document's lines, valid
// until the line is removed or the SIF reverted.
type SIF struct {
	doc  *inf.Document
	opts ReadOptions
}

// Parse reads a txtsetup.sif from b, with the SetupAPI syntax (ReactOS'
// text-mode setup reads txtsetup.sif with the same state machine). The SIF
// keeps its own copy of b; writing it back unedited gives b byte for byte.
func Parse(b []byte, opts *ReadOptions) (*SIF, error) {
	s := &SIF{}
	if opts != nil {
		s.opts = *opts
	}
	d, err := inf.Parse(b, s.opts.infOptions(inf.SetupAPI))
	if err != nil {
		return nil, parseError("txtsetup.sif", err)
	}
	s.doc = d
	return s, nil
}

// Open reads and parses the txtsetup.sif at path (see Parse). A file over
// Limits.MaxFileSize is refused before it is read.
func Open(path string, opts *ReadOptions) (*SIF, error) {
	b, err := readFile(path, opts.limits().MaxFileSize)
	if err != nil {
		return nil, err
	}
	return Parse(b, opts)
}

// readFile reads a whole file of at most max bytes.
func readFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sif: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("sif: %w", err)
	}
	if err := checkSize(path, fi.Size(), max); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("sif: %w", err)
	}
	if err := checkSize(path, int64(len(b)), max); err != nil {
		return nil, err
	}
	return b, nil
}

// parseError wraps an error of the inf parser.
func parseError(file string, err error) error {
	if !errors.Is(err, inf.ErrFormat) && !errors.Is(err, inf.ErrLimit) {
		return fmt.Errorf("sif: %s: %w", file, err)
	}
	e := &FormatError{File: file, Offset: -1, Err: ErrFormat, Cause: err}
	if errors.Is(err, inf.ErrLimit) {
		e.Err = ErrLimit
	}
	var fe *inf.FormatError
	if errors.As(err, &fe) {
		e.Offset, e.Line = fe.Offset, fe.Line
	}
	return e
}

// Document returns the underlying document, for edits the model does not
// offer. Edits made through it are kept like any other.
func (s *SIF) Document() *inf.Document { return s.doc }

// Bytes returns the file's bytes (a new slice).
func (s *SIF) Bytes() []byte { return s.doc.Bytes() }

// MarshalBinary returns the file's bytes.
func (s *SIF) MarshalBinary() ([]byte, error) { return s.doc.Bytes(), nil }

// WriteTo writes the file.
func (s *SIF) WriteTo(w io.Writer) (int64, error) { return s.doc.WriteTo(w) }

// Original returns the bytes the SIF was parsed from.
func (s *SIF) Original() []byte { return s.doc.Original() }

// Modified reports whether the bytes differ from the ones parsed.
func (s *SIF) Modified() bool { return !bytes.Equal(s.doc.Bytes(), s.doc.Original()) }

// Revert discards every edit.
func (s *SIF) Revert() error { return s.doc.Revert() }

// WriteFile saves the file to path atomically (a temporary file renamed
// over path once complete; a failure leaves path as it was). perm is used
// when path does not exist yet (0 means 0644).
func (s *SIF) WriteFile(path string, perm fs.FileMode) error {
	return atomicfile.WriteTo(path, s.doc, perm)
}

// clone parses the current bytes again with the same encoding, for a trial
// run of an edit.
func cloneDoc(d *inf.Document, opts *inf.ReadOptions) (*inf.Document, error) {
	o := *opts
	enc := d.Encoding()
	o.Encoding = &enc
	b := d.Bytes()
	if o.Limits != nil {
		// An edit may have grown a file that was just under a limit: the
		// trial copy may be as large as the edited document already is.
		l := *o.Limits
		if l.MaxFileSize > 0 && l.MaxFileSize < int64(len(b)) {
			l.MaxFileSize = int64(len(b))
		}
		// Physical lines end in '\n' in every encoding; counting the byte
		// may overcount in UTF-16, which only raises the bound.
		if n := bytes.Count(b, []byte{'\n'}) + 1; l.MaxLines > 0 && l.MaxLines < n {
			l.MaxLines = n
		}
		o.Limits = &l
	}
	c, err := inf.Parse(b, &o)
	if err != nil {
		return nil, fmt.Errorf("sif: re-reading an edited document: %w", err)
	}
	return c, nil
}
