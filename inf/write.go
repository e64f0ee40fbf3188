package inf

import (
	"bytes"
	"encoding"
	"io"
	"io/fs"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
)

var (
	_ io.WriterTo                = (*Document)(nil)
	_ encoding.BinaryMarshaler   = (*Document)(nil)
	_ encoding.BinaryUnmarshaler = (*Document)(nil)
)

// WriteTo writes the document: the byte-order mark, every line's bytes
// with its own line ending, and the bytes after a Ctrl-Z. Unedited lines
// are written exactly as they were read.
func (d *Document) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(d.Bytes())
	return int64(n), err
}

// Bytes returns the document's bytes (a new slice).
func (d *Document) Bytes() []byte {
	if !d.modified {
		return []byte(d.orig)
	}
	b := make([]byte, 0, d.size)
	b = append(b, d.head...)
	for l := d.first; l != nil; l = l.next {
		for _, p := range l.phys {
			b = append(b, p.raw...)
			b = append(b, d.codec.eolBytes(p.eol)...)
		}
	}
	return append(b, d.tail...)
}

// MarshalBinary returns the document's bytes.
func (d *Document) MarshalBinary() ([]byte, error) { return d.Bytes(), nil }

// UnmarshalBinary replaces d with the document parsed from b with default
// options.
func (d *Document) UnmarshalBinary(b []byte) error {
	nd, err := Parse(b, nil)
	if err != nil {
		return err
	}
	d.detach()
	*d = *nd
	d.attach()
	return nil
}

// WriteFile saves the document to path atomically: the bytes go to a
// temporary file in the same directory that replaces path only when
// everything was written, so a failure leaves the original file intact.
// perm is used when path does not exist yet (0 means 0644).
func (d *Document) WriteFile(path string, perm fs.FileMode) error {
	b := d.Bytes()
	return atomicfile.Write(path, perm, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(b))
		return err
	})
}
