package hive

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
)

// Hive is a registry hive held in memory: the file image plus indexes over
// it. Reads decode cells in place; edits change only the cells they touch
// (allocating from free space or new hive bins), so a hive opened and saved
// without edits is byte-identical, and after edits every untouched cell is.
//
// A Hive is not safe for concurrent use when any goroutine edits it.
type Hive struct {
	buf     []byte // base block + hive bins data + any padding after the bins
	binsLen uint32 // size of the hive bins data in use
	minor   uint32 // format minor version (major is 1)
	root    uint32 // root key cell offset

	binOf   []uint32  // for each 4 KiB page of bins data, the offset of its bin
	starts  bitset    // cell starts, one bit per 8 bytes
	freeIdx freeIndex // free cells by size
	damaged []uint32  // cell offsets where a damaged bin stops being usable

	warnings []Warning
	lim      Limits
	now      func() time.Time

	modified bool // cells changed since open or the last write: bump sequence numbers
	fixHdr   bool // header fields must be recomputed on write (after replay)

	scratch    bitset              // cleared after each use: duplicate detection
	listSorted map[uint32]bool     // top-level subkey list offset → verified sorted
	skByDesc   map[string][]uint32 // security descriptor bytes → sk cells (built lazily)
}

// Options configure reading and creating hives. The zero value and a nil
// *Options mean defaults.
type Options struct {
	// Limits bound what is accepted; zero fields take DefaultLimits.
	Limits Limits

	// Now is the clock for last-written times of edited keys and of the
	// base block. Default time.Now.
	Now func() time.Time

	// RootSecurity is the self-relative security descriptor of the root key
	// of a hive made by New. Default DefaultSecurityDescriptor().
	RootSecurity []byte
}

func (o *Options) limits() Limits {
	if o == nil {
		return DefaultLimits
	}
	return o.Limits.withDefaults()
}

func (o *Options) clock() func() time.Time {
	if o == nil || o.Now == nil {
		return time.Now
	}
	return o.Now
}

// Open reads the hive file name.
func Open(name string, opts *Options) (*Hive, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > opts.limits().MaxFileSize {
		return nil, fmt.Errorf("hive: %s: file of %d bytes exceeds MaxFileSize: %w", name, fi.Size(), ErrLimit)
	}
	b, err := readAllBounded(f, fi.Size(), opts.limits().MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("hive: %s: %w", name, err)
	}
	return parseOwned(b, opts)
}

// Parse reads a hive from b. The Hive keeps a copy; b is not retained.
func Parse(b []byte, opts *Options) (*Hive, error) {
	if int64(len(b)) > opts.limits().MaxFileSize {
		return nil, fmt.Errorf("hive: input of %d bytes exceeds MaxFileSize: %w", len(b), ErrLimit)
	}
	return parseOwned(bytes.Clone(b), opts)
}

// OpenReader reads a hive of size bytes from r.
func OpenReader(r io.ReaderAt, size int64, opts *Options) (*Hive, error) {
	if size < 0 || size > opts.limits().MaxFileSize {
		return nil, fmt.Errorf("hive: input of %d bytes exceeds MaxFileSize: %w", size, ErrLimit)
	}
	b, err := readAllBounded(io.NewSectionReader(r, 0, size), size, opts.limits().MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("hive: %w", err)
	}
	return parseOwned(b, opts)
}

// readAllBounded reads r to its end, expecting about hint bytes, never
// holding more than max bytes.
func readAllBounded(r io.Reader, hint, max int64) ([]byte, error) {
	b := make([]byte, 0, min(hint, max)+1)
	for {
		if int64(len(b)) > max {
			return nil, fmt.Errorf("input exceeds MaxFileSize: %w", ErrLimit)
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			if int64(len(b)) > max {
				return nil, fmt.Errorf("input exceeds MaxFileSize: %w", ErrLimit)
			}
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// parseOwned parses b, which the Hive takes ownership of.
func parseOwned(b []byte, opts *Options) (*Hive, error) {
	h := &Hive{buf: b, lim: opts.limits(), now: opts.clock()}
	if len(b) < binsStart {
		return nil, fileErr(0, "base block", ErrFormat, "file of %d bytes is shorter than a base block", len(b))
	}
	bb := h.base()
	if string(bb.signature()) != "regf" {
		return nil, fileErr(0, "base block", ErrFormat, "bad signature %q", bb.signature())
	}
	if m := le32(bb.major()); m != 1 {
		return nil, fileErr(20, "base block", ErrUnsupported, "major version %d", m)
	}
	h.minor = le32(bb.minor())
	if h.minor > 6 {
		h.warn(24, "unknown minor version %d", h.minor)
	}
	switch t := le32(bb.fileType()); t {
	case fileTypePrimary:
	case fileTypeLogOld, fileTypeLogNT, fileTypeLogNew:
		return nil, fileErr(28, "base block", ErrUnsupported, "file type %d: this is a transaction log, not a hive", t)
	default:
		h.warn(28, "unknown file type %d", t)
	}
	if !bb.checksumOK() {
		h.warn(508, "base block checksum %#08x, computed %#08x (the hive is dirty)", le32(bb.checksum()), bb.computeChecksum())
	}
	if s1, s2 := le32(bb.seq1()), le32(bb.seq2()); s1 != s2 {
		h.warn(4, "sequence numbers differ (%d, %d): the hive is dirty", s1, s2)
	}
	bins := le32(bb.binsSize())
	if bins%4096 != 0 {
		return nil, fileErr(40, "base block", ErrFormat, "hive bins data size %#x is not a multiple of 4096", bins)
	}
	if avail := uint64(len(b) - binsStart); uint64(bins) > avail {
		h.warn(40, "hive bins data size %#x exceeds the %#x bytes present: the file is truncated", bins, avail)
		bins = uint32(avail) &^ 4095
	}
	h.binsLen = bins
	if err := h.scanBins(); err != nil {
		return nil, err
	}
	h.root = le32(bb.rootCell())
	if _, err := h.nk(h.root); err != nil {
		return nil, fmt.Errorf("hive: root key: %w", err)
	}
	return h, nil
}

// base returns the base block.
func (h *Hive) base() *baseBlock { return (*baseBlock)(h.buf[:binsStart]) }

func (h *Hive) warn(off int64, format string, args ...any) {
	h.warnings = append(h.warnings, Warning{off, fmt.Sprintf(format, args...)})
}

// touch records that cells changed.
func (h *Hive) touch() { h.modified = true }

// forgetCell drops cached facts about a cell that is being freed.
func (h *Hive) forgetCell(off uint32) {
	delete(h.listSorted, off)
}

// Warnings returns what looked odd while reading (see Warning).
func (h *Hive) Warnings() []Warning { return append([]Warning(nil), h.warnings...) }

// Header returns the decoded base block as it is now (before the next write
// updates sequence numbers and checksum).
func (h *Hive) Header() Header { return h.base().header() }

// Version returns the format version, such as 1.3 (major 1, minor 3).
func (h *Hive) Version() (major, minor uint32) { return le32(h.base().major()), h.minor }

// Dirty reports whether the base block marks the hive as not cleanly
// written: its sequence numbers differ or its checksum is wrong. A dirty
// hive may have changes waiting in transaction logs (see Replay).
func (h *Hive) Dirty() bool {
	bb := h.base()
	return le32(bb.seq1()) != le32(bb.seq2()) || !bb.checksumOK()
}

// Modified reports whether the hive was edited since it was opened or last
// written.
func (h *Hive) Modified() bool { return h.modified || h.fixHdr }

// finish brings the base block up to date after edits: both sequence
// numbers one past the larger old one, last-written time, bins size and
// checksum. The first bin's timestamp (a backup copy) follows.
func (h *Hive) finish() {
	if !h.modified && !h.fixHdr {
		return
	}
	bb := h.base()
	if h.modified {
		seq := max(le32(bb.seq1()), le32(bb.seq2())) + 1
		put32(bb.seq1(), seq)
		put32(bb.seq2(), seq)
		ft := TimeToFiletime(h.now())
		put64(bb.timestamp(), ft)
		if h.binsLen >= hbinHeaderSize {
			put64((*hbinHeader)(h.buf[binsStart:binsStart+hbinHeaderSize]).timestamp(), ft)
		}
	}
	put32(bb.fileType(), fileTypePrimary)
	put32(bb.binsSize(), h.binsLen)
	put32(bb.checksum(), bb.computeChecksum())
	h.modified, h.fixHdr = false, false
}

// Bytes returns the hive file: the input bytes when nothing was edited,
// else the edited image with a clean, up-to-date base block.
func (h *Hive) Bytes() []byte {
	h.finish()
	return bytes.Clone(h.buf)
}

// MarshalBinary returns Bytes.
func (h *Hive) MarshalBinary() ([]byte, error) { return h.Bytes(), nil }

// WriteTo writes the hive file to w (see Bytes).
func (h *Hive) WriteTo(w io.Writer) (int64, error) {
	h.finish()
	n, err := w.Write(h.buf)
	return int64(n), err
}

// Save writes the hive file to path atomically: a temporary file in the
// same directory is written, synced and renamed over path, so a failure
// leaves any existing file untouched. A new file gets mode 0644.
func (h *Hive) Save(path string) error {
	return atomicfile.WriteTo(path, h, 0)
}

// SaveMode is Save with the permission bits for a new file.
func (h *Hive) SaveMode(path string, perm fs.FileMode) error {
	return atomicfile.WriteTo(path, h, perm)
}

var (
	_ io.WriterTo = (*Hive)(nil)
)
