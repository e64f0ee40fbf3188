package ramdisk

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"time"

	"github.com/diskfs/go-diskfs/backend"
)

// overlay is the storage go-diskfs works on. It is a copy-on-write view of a
// base image (nil for a new, all-zero image): writes land in 4 KiB chunks
// held in memory, and file contents are not copied at all but recorded as
// fills that name their source. An image is therefore built or edited
// without touching the disk and without holding file data in memory, and
// written out once, sequentially, by writeTo. That is also what lets every
// save stream through internal/atomicfile, which offers an io.Writer only.
type overlay struct {
	base   io.ReaderAt
	size   int64
	chunks map[int64]*[ovChunk]byte
	fills  []fill // sorted by off, non-overlapping
	pos    int64  // for Read/Seek (go-diskfs's backend.File contract)
	// journal, while an edit runs, holds the state of each chunk before
	// its first write (nil: the chunk did not exist), for rollback.
	journal map[int64]*[ovChunk]byte
}

const ovChunk = 4096

// fill says that the image bytes [off, off+n) come from src: srcN bytes
// from offset 0, then zeros (the slack of the file's last cluster).
type fill struct {
	off, n int64
	src    io.ReaderAt
	srcOff int64
	srcN   int64
	owner  uint32 // first cluster of the file the fill belongs to
}

var (
	_ backend.Storage      = (*overlay)(nil)
	_ backend.WritableFile = (*overlay)(nil)
)

func newOverlay(base io.ReaderAt, size int64) *overlay {
	return &overlay{base: base, size: size, chunks: map[int64]*[ovChunk]byte{}}
}

// ReadAt reads the current image bytes: fills over chunks over the base.
func (o *overlay) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("ramdisk: negative offset %d: %w", off, ErrInvalidArgument)
	}
	if off >= o.size {
		return 0, io.EOF
	}
	var eof error
	if int64(len(p)) > o.size-off {
		p, eof = p[:o.size-off], io.EOF
	}
	if !o.coveredByFill(off, int64(len(p))) {
		if err := o.readChunks(p, off); err != nil {
			return 0, err
		}
	}
	if err := o.applyFills(p, off); err != nil {
		return 0, err
	}
	return len(p), eof
}

// coveredByFill reports whether one fill covers all of [off, off+n), so
// that the bytes under it need not be read.
func (o *overlay) coveredByFill(off, n int64) bool {
	i := sort.Search(len(o.fills), func(i int) bool { return o.fills[i].off+o.fills[i].n > off })
	return i < len(o.fills) && o.fills[i].off <= off && o.fills[i].off+o.fills[i].n >= off+n
}

func (o *overlay) readChunks(p []byte, off int64) error {
	for len(p) > 0 {
		ci := off / ovChunk
		in := off % ovChunk
		k := min(int64(len(p)), ovChunk-in)
		if c := o.chunks[ci]; c != nil {
			copy(p[:k], c[in:in+k])
		} else if err := o.readBase(p[:k], off); err != nil {
			return err
		}
		p, off = p[k:], off+k
	}
	return nil
}

// readBase reads the base image (zeros past its end, or when there is none).
func (o *overlay) readBase(p []byte, off int64) error {
	if o.base == nil {
		clear(p)
		return nil
	}
	n, err := o.base.ReadAt(p, off)
	if n < len(p) {
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		clear(p[n:])
	}
	return nil
}

func (o *overlay) applyFills(p []byte, off int64) error {
	end := off + int64(len(p))
	i := sort.Search(len(o.fills), func(i int) bool { return o.fills[i].off+o.fills[i].n > off })
	for ; i < len(o.fills) && o.fills[i].off < end; i++ {
		f := o.fills[i]
		lo, hi := max(off, f.off), min(end, f.off+f.n)
		dst := p[lo-off : hi-off]
		rel := lo - f.off // position inside the fill
		dataEnd := min(hi-f.off, f.srcN)
		if rel < dataEnd {
			k := dataEnd - rel
			n, err := f.src.ReadAt(dst[:k], f.srcOff+rel)
			if int64(n) < k {
				if err == nil || errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return fmt.Errorf("ramdisk: reading file data: %w", err)
			}
			clear(dst[k:])
		} else {
			clear(dst)
		}
	}
	return nil
}

// WriteAt writes into chunks, loading each from the base on first touch.
func (o *overlay) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off > o.size || int64(len(p)) > o.size-off {
		return 0, fmt.Errorf("ramdisk: write of %d bytes at %d outside the %d-byte image: %w", len(p), off, o.size, ErrNoSpace)
	}
	n := len(p)
	for len(p) > 0 {
		ci := off / ovChunk
		in := off % ovChunk
		k := min(int64(len(p)), ovChunk-in)
		c := o.chunks[ci]
		if o.journal != nil {
			if _, saved := o.journal[ci]; !saved {
				if c != nil {
					cp := *c
					o.journal[ci] = &cp
				} else {
					o.journal[ci] = nil
				}
			}
		}
		if c == nil {
			c = new([ovChunk]byte)
			base := ci * ovChunk
			if err := o.readBase(c[:min(ovChunk, o.size-base)], base); err != nil {
				return 0, err
			}
			o.chunks[ci] = c
		}
		copy(c[in:in+k], p[:k])
		p, off = p[k:], off+k
	}
	return n, nil
}

// addFill records that [off, off+n) holds srcN bytes of src then zeros.
func (o *overlay) addFill(f fill) {
	i := sort.Search(len(o.fills), func(i int) bool { return o.fills[i].off >= f.off })
	o.fills = append(o.fills, fill{})
	copy(o.fills[i+1:], o.fills[i:])
	o.fills[i] = f
}

// dropFills forgets the fills of the file whose first cluster is owner.
func (o *overlay) dropFills(owner uint32) {
	out := o.fills[:0]
	for _, f := range o.fills {
		if f.owner != owner {
			out = append(out, f)
		}
	}
	o.fills = out
}

// touched reports whether [off, off+n) has any chunk or fill.
func (o *overlay) touched(off, n int64) bool {
	for ci := off / ovChunk; ci*ovChunk < off+n; ci++ {
		if o.chunks[ci] != nil {
			return true
		}
	}
	i := sort.Search(len(o.fills), func(i int) bool { return o.fills[i].off+o.fills[i].n > off })
	return i < len(o.fills) && o.fills[i].off < off+n
}

// The rest implements go-diskfs's backend.Storage.

func (o *overlay) Read(p []byte) (int, error) {
	n, err := o.ReadAt(p, o.pos)
	o.pos += int64(n)
	return n, err
}

func (o *overlay) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += o.pos
	case io.SeekEnd:
		offset += o.size
	default:
		return o.pos, fmt.Errorf("ramdisk: bad whence %d: %w", whence, ErrInvalidArgument)
	}
	if offset < 0 {
		return o.pos, fmt.Errorf("ramdisk: negative seek: %w", ErrInvalidArgument)
	}
	o.pos = offset
	return offset, nil
}

func (o *overlay) Close() error                            { return nil }
func (o *overlay) Stat() (fs.FileInfo, error)              { return overlayInfo{o.size}, nil }
func (o *overlay) Sys() (*os.File, error)                  { return nil, backend.ErrNotSuitable }
func (o *overlay) Writable() (backend.WritableFile, error) { return o, nil }
func (o *overlay) Path() string                            { return "" }

type overlayInfo struct{ size int64 }

func (i overlayInfo) Name() string       { return "ramdisk-image" }
func (i overlayInfo) Size() int64        { return i.size }
func (i overlayInfo) Mode() fs.FileMode  { return 0o644 }
func (i overlayInfo) ModTime() time.Time { return time.Time{} }
func (i overlayInfo) IsDir() bool        { return false }
func (i overlayInfo) Sys() any           { return nil }

// ProgressFunc is called during long writes with the bytes written so far
// and the total. The values increase monotonically, and the last call has
// done == total.
type ProgressFunc func(done, total int64)

// WriteOptions configures writes of disk images and ISOs. A nil pointer
// means defaults.
type WriteOptions struct {
	// Progress, if set, is called after each block of up to 1 MiB.
	Progress ProgressFunc
	// Sparse skips runs of zero blocks with Seek instead of writing them,
	// when the writer is an io.Seeker. Only use it on a destination that
	// reads as zeros where nothing is written (a new or truncated file);
	// Save always writes to a new temporary file and sets it.
	Sparse bool
}

const streamBlock = 1 << 20

// writeTo streams the whole image to w.
func (o *overlay) writeTo(w io.Writer, opts *WriteOptions) (int64, error) {
	var wo WriteOptions
	if opts != nil {
		wo = *opts
	}
	seeker, _ := w.(io.Seeker)
	sparse := wo.Sparse && seeker != nil
	buf := make([]byte, streamBlock)
	var done, hole int64
	for done < o.size {
		n := min(int64(streamBlock), o.size-done)
		b := buf[:n]
		zero := o.base == nil && !o.touched(done, n)
		if !zero {
			if _, err := o.ReadAt(b, done); err != nil && !errors.Is(err, io.EOF) {
				return done - hole, err
			}
			zero = sparse && allZero(b)
		}
		switch {
		case zero && sparse:
			hole += n
		case zero:
			clear(b)
			fallthrough
		default:
			if hole > 0 {
				if _, err := seeker.Seek(hole, io.SeekCurrent); err != nil {
					return done - hole, err
				}
				hole = 0
			}
			if _, err := w.Write(b); err != nil {
				return done, err
			}
		}
		done += n
		if wo.Progress != nil {
			wo.Progress(done, o.size)
		}
	}
	if hole > 0 {
		// End on a hole: seek to the last byte and write it, so the file
		// gets its full length.
		if _, err := seeker.Seek(hole-1, io.SeekCurrent); err != nil {
			return done - hole, err
		}
		if _, err := w.Write([]byte{0}); err != nil {
			return done - 1, err
		}
	}
	return done, nil
}
