package peimage

import (
	"bytes"
	"encoding"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
)

// Kind says what Open found.
type Kind uint8

const (
	// KindRaw is a file without a PE header (startrom.n12, pxeboot.n12,
	// setupldr.bin, ntldr, or any other bytes). Find and Replace work; the
	// checksum and certificate operations return ErrNotPE.
	KindRaw Kind = iota
	// KindPE is a PE32 or PE32+ image: an MZ header whose e_lfanew leads to
	// "PE\0\0".
	KindPE
	// KindBIOSBootmgr is the BIOS boot manager (\bootmgr): a 16-bit loader,
	// a PE stub, and a compressed bootmgr.exe. It is handled as a raw image;
	// checksum operations return ErrBIOSBootmgr.
	KindBIOSBootmgr
)

func (k Kind) String() string {
	switch k {
	case KindRaw:
		return "raw image"
	case KindPE:
		return "PE image"
	case KindBIOSBootmgr:
		return "BIOS bootmgr"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Options control Open and Parse. The zero value (or nil) means defaults.
type Options struct {
	// Limits bound the work done on hostile input; zero fields take
	// DefaultLimits.
	Limits Limits

	// Raw treats the file as a raw image even when it has an MZ header, so
	// that a damaged or non-PE MZ executable can still be searched and
	// patched. Default false.
	Raw bool
}

// Warning is something that parsed but looks odd.
type Warning struct {
	Offset int64
	Msg    string
}

func (w Warning) String() string { return fmt.Sprintf("%#x: %s", w.Offset, w.Msg) }

// Image is a boot file held in memory: a PE image or a raw image. Edits
// change the bytes in memory; WriteTo, MarshalBinary and Save write them.
// An Image is not safe for concurrent use.
type Image struct {
	data    []byte
	kind    Kind
	limits  Limits
	hdr     *Headers
	bootmgr *BootmgrInfo
	certs   []Certificate
	certErr error
	raw     bool // Options.Raw: never parse as PE

	// Warnings lists oddities found while parsing (and after edits).
	Warnings []Warning
}

var (
	_ io.WriterTo                = (*Image)(nil)
	_ encoding.BinaryMarshaler   = (*Image)(nil)
	_ encoding.BinaryUnmarshaler = (*Image)(nil)
)

// Open reads the file name and parses it like Parse. The file is read whole;
// files larger than Limits.MaxFileSize are refused with ErrLimit before
// reading.
func Open(name string, opts *Options) (*Image, error) {
	o := copyOptions(opts)
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > o.Limits.MaxFileSize {
		return nil, fmt.Errorf("peimage: %s: %d bytes exceed Limits.MaxFileSize (%d): %w", name, fi.Size(), o.Limits.MaxFileSize, ErrLimit)
	}
	// Read exactly the size reported (one allocation), then whatever the
	// file grew by since, up to one byte past the limit.
	data := make([]byte, fi.Size())
	n, err := io.ReadFull(f, data)
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	data = data[:n]
	if int64(n) == fi.Size() {
		more, err := io.ReadAll(io.LimitReader(f, o.Limits.MaxFileSize+1-int64(n)))
		if err != nil {
			return nil, err
		}
		data = append(data, more...)
	}
	if int64(len(data)) > o.Limits.MaxFileSize {
		return nil, fmt.Errorf("peimage: %s grew beyond Limits.MaxFileSize (%d): %w", name, o.Limits.MaxFileSize, ErrLimit)
	}
	return parse(data, o)
}

// Parse parses b. It copies b: the Image never aliases it.
//
// A file that starts with "MZ" must be a valid PE image, or Parse returns a
// *FormatError (use Options.Raw to patch a damaged one as raw bytes). Any
// other file is a raw image; the BIOS bootmgr is recognised as
// KindBIOSBootmgr.
func Parse(b []byte, opts *Options) (*Image, error) {
	o := copyOptions(opts)
	if int64(len(b)) > o.Limits.MaxFileSize {
		return nil, fmt.Errorf("peimage: %d bytes exceed Limits.MaxFileSize (%d): %w", len(b), o.Limits.MaxFileSize, ErrLimit)
	}
	return parse(bytes.Clone(b), o)
}

func copyOptions(opts *Options) Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.Limits = o.Limits.withDefaults()
	return o
}

// parse takes ownership of data.
func parse(data []byte, o Options) (*Image, error) {
	img := &Image{data: data, limits: o.Limits, raw: o.Raw}
	if err := img.classify(); err != nil {
		return nil, err
	}
	return img, nil
}

// classify (re)derives everything from img.data.
func (img *Image) classify() error {
	img.kind, img.hdr, img.bootmgr, img.certs, img.certErr, img.Warnings = KindRaw, nil, nil, nil, nil, nil
	if img.raw || !hasMZ(img.data) {
		if bm := detectBIOSBootmgr(img.data); bm != nil {
			img.kind, img.bootmgr = KindBIOSBootmgr, bm
		}
		return nil
	}
	h, warns, err := parseHeaders(img.data, img.limits)
	if err != nil {
		return err
	}
	img.kind, img.hdr, img.Warnings = KindPE, h, warns
	if h.CertTable.Size > 0 {
		img.certs, img.certErr = walkCertificates(img.data, h.CertTable, img.limits.MaxCertificates)
		if img.certErr != nil {
			img.Warnings = append(img.Warnings, Warning{h.CertTable.Offset, img.certErr.Error()})
		}
	}
	return nil
}

func hasMZ(b []byte) bool { return len(b) >= 2 && b[0] == 'M' && b[1] == 'Z' }

// Kind reports what the file is.
func (img *Image) Kind() Kind { return img.kind }

// Size returns the file size in bytes.
func (img *Image) Size() int64 { return int64(len(img.data)) }

// Headers returns a copy of the parsed PE headers, or nil for a raw image.
// It describes the bytes at the time of the call; call it again after edits
// that change the layout, such as stripping the signature.
func (img *Image) Headers() *Headers {
	if img.hdr == nil {
		return nil
	}
	h := *img.hdr
	h.Sections = slices.Clone(h.Sections)
	return &h
}

// Bootmgr returns what was recognised of a BIOS bootmgr, or nil.
func (img *Image) Bootmgr() *BootmgrInfo { return img.bootmgr }

// Bytes returns a copy of the current file contents.
func (img *Image) Bytes() []byte { return bytes.Clone(img.data) }

// WriteTo writes the current file contents to w. An Image that was not edited
// writes exactly the bytes it was parsed from.
func (img *Image) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(img.data)
	return int64(n), err
}

// MarshalBinary returns a copy of the current file contents.
func (img *Image) MarshalBinary() ([]byte, error) { return img.Bytes(), nil }

// UnmarshalBinary replaces the Image with a parse of b (default options).
func (img *Image) UnmarshalBinary(b []byte) error {
	n, err := Parse(b, nil)
	if err != nil {
		return err
	}
	*img = *n
	return nil
}

// Save writes the current contents to path through a temporary file that
// replaces path only once completely written and synced; on any error path is
// left as it was.
func (img *Image) Save(path string) error {
	return atomicfile.WriteTo(path, img, 0)
}

// Range is a span of file offsets.
type Range struct {
	Offset int64
	Size   int64
}

// End returns Offset+Size.
func (r Range) End() int64 { return r.Offset + r.Size }

// Contains reports whether off lies in the range.
func (r Range) Contains(off int64) bool { return off >= r.Offset && off < r.End() }

// overlaps reports whether [off, off+n) intersects r.
func (r Range) overlaps(off, n int64) bool { return off < r.End() && r.Offset < off+n }
