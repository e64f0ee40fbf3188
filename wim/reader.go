package wim

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
)

// ReadOptions configure NewReader and Open. The zero value (or nil) means
// DefaultLimits.
type ReadOptions struct {
	Limits Limits // zero fields take their DefaultLimits value
}

// Reader holds what is needed to describe a WIM: its header, XML and blob
// table, read through an io.ReaderAt. Nothing else of the file is read, so
// the memory a Reader takes does not grow with the size of the WIM's
// resources. It is also the in-memory document that edits change (SetName,
// SetBootIndex, ...); see File.Commit and Reader.WriteTo for saving them.
//
// A Reader is not safe for concurrent use while it is being edited.
type Reader struct {
	r      io.ReaderAt
	size   int64
	limits Limits

	orig      headerBlock // the header as read (the end header of a pipable WIM)
	origHdr   Header
	hdr       Header // current header, edits included
	xml       *xmlDoc
	imageXML  []*xnode // IMAGE element of image i+1
	table     *blobTable
	imageN    int // images a reader sees: the header count, or fewer when metadata entries are missing
	integrity integrityChange
	warnings  []Warning
}

// NewReader reads the header, XML and blob table of the WIM in r, which is
// size bytes long. For a pipable WIM the header at the end of the file is
// used. opts may be nil.
func NewReader(r io.ReaderAt, size int64, opts *ReadOptions) (*Reader, error) {
	var lim Limits
	if opts != nil {
		lim = opts.Limits
	}
	lim = lim.withDefaults()
	h, err := readHeader(r, size, lim)
	if err != nil {
		return nil, err
	}
	rd := &Reader{r: r, size: size, limits: lim, hdr: *h, origHdr: *h}
	rd.orig = *h.block()
	if h.Flags&FlagWriteInProgress != 0 {
		rd.warn(0x10, "WRITE_IN_PROGRESS is set: another program may be changing the file, or one crashed while writing it")
	}
	if h.Flags&FlagCompression == 0 && h.Flags&compressBits != 0 {
		rd.warn(0x10, fmt.Sprintf("flags %s: COMPRESS_* set without COMPRESSION; the WIM reads as uncompressed", h.Flags))
	}
	if h.BootIndex > h.ImageCount {
		rd.warn(0x78, fmt.Sprintf("boot index %d exceeds the image count %d; it reads as 0", h.BootIndex, h.ImageCount))
	}
	if err := rd.readXML(); err != nil {
		return nil, err
	}
	if err := rd.readBlobTable(); err != nil {
		return nil, err
	}
	return rd, nil
}

func (rd *Reader) warn(off int64, msg string) {
	rd.warnings = append(rd.warnings, Warning{Offset: off, Msg: msg})
}

// readResource reads an uncompressed header resource (XML, blob table,
// integrity table) after checking it against limit. Reads go in chunks so a
// lying size cannot make us allocate more than the bytes that exist.
func (rd *Reader) readResource(rh ResourceHeader, what string, fieldOff int64, limit int64) ([]byte, error) {
	if rh.Flags&ResourceCompressed != 0 {
		return nil, formatErr(fieldOff, "header", ErrUnsupported, "compressed %s resource", what)
	}
	if rh.Size != rh.UncompressedSize {
		return nil, formatErr(fieldOff, "header", ErrFormat, "uncompressed %s resource has stored size %d but size %d", what, rh.Size, rh.UncompressedSize)
	}
	if !rh.inFile(rd.size) {
		return nil, formatErr(fieldOff, "header", ErrFormat, "%s resource %s lies outside the %d-byte file", what, rh, rd.size)
	}
	if rh.Size > uint64(limit) {
		return nil, formatErr(fieldOff, "header", ErrLimit, "%s resource of %d bytes exceeds the limit of %d", what, rh.Size, limit)
	}
	return readAtChunked(rd.r, int64(rh.Offset), int64(rh.Size))
}

// readAtChunked reads n bytes at off. Up to 16 MiB it allocates the buffer
// at once; beyond, it grows the buffer as the reads succeed, so that a size
// the file does not back fails before it is all allocated.
func readAtChunked(r io.ReaderAt, off, n int64) ([]byte, error) {
	const chunk = 1 << 20
	buf := make([]byte, 0, min(n, 16*chunk))
	for int64(len(buf)) < n {
		k := int(min(n-int64(len(buf)), chunk))
		start := len(buf)
		buf = slices.Grow(buf, k)[:start+k]
		if _, err := r.ReadAt(buf[start:], off+int64(start)); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("wim: reading %d bytes at %#x: %w", n, off, err)
		}
	}
	return buf, nil
}

func (rd *Reader) readXML() error {
	h := &rd.hdr
	src, err := rd.readResource(h.XMLData, "XML", 0x48, rd.limits.MaxXMLSize)
	if err != nil {
		return err
	}
	base := int64(h.XMLData.Offset)
	doc, err := parseXML(src, base, rd.limits)
	if err != nil {
		return err
	}
	if !doc.bom {
		rd.warn(base, "XML data has no byte order mark")
	}
	imgs, err := doc.imageElements(base, rd.limits)
	if err != nil {
		return err
	}
	if len(imgs) != int(h.ImageCount) {
		return formatErr(0x2C, "header", ErrFormat, "image count %d but the XML has %d IMAGE elements", h.ImageCount, len(imgs))
	}
	rd.xml, rd.imageXML, rd.imageN = doc, imgs, len(imgs)
	return nil
}

func (rd *Reader) readBlobTable() error {
	h := &rd.hdr
	buf, err := rd.readResource(h.BlobTable, "blob table", 0x30, rd.limits.MaxBlobTableSize)
	if err != nil {
		return err
	}
	t, err := parseBlobTable(buf, int64(h.BlobTable.Offset), h, rd.r, rd.size)
	if err != nil {
		return err
	}
	rd.table = t
	rd.warnings = append(rd.warnings, t.warnings...)
	if h.PartNumber == 1 && len(t.metadata) != int(h.ImageCount) {
		// wimlib lowers the image count to the metadata resources found.
		rd.warn(int64(h.BlobTable.Offset), fmt.Sprintf("metadata resources for %d of %d images; only those are used", len(t.metadata), h.ImageCount))
		rd.imageN = len(t.metadata)
	}
	return nil
}

// Header returns the header, with any edits made so far.
func (rd *Reader) Header() Header { return rd.hdr }

// Size is the size of the WIM file given to NewReader.
func (rd *Reader) Size() int64 { return rd.size }

// Warnings lists what parsed but looks odd.
func (rd *Reader) Warnings() []Warning { return rd.warnings }

// ImageCount is the number of images: the header's count, or fewer when
// the blob table lacks metadata resources for some (wimlib then uses the
// images it found; a warning says so).
func (rd *Reader) ImageCount() int { return rd.imageN }

// BootIndex is the effective boot index: the header's, or 0 when it exceeds
// the image count (wimlib ignores it then).
func (rd *Reader) BootIndex() int {
	if rd.hdr.BootIndex > rd.hdr.ImageCount {
		return 0
	}
	return int(rd.hdr.BootIndex)
}

// Compression is the compression format the header selects.
func (rd *Reader) Compression() Compression { return rd.hdr.Compression() }

// TotalBytes is the top-level TOTALBYTES of the XML ("Size" in
// wimlib-imagex info), 0 when absent.
func (rd *Reader) TotalBytes() uint64 { return numberAt(rd.xml.root, "TOTALBYTES") }

// Blobs returns the blob table entries in table order. The slice is shared;
// do not modify it.
func (rd *Reader) Blobs() []BlobEntry { return rd.table.entries }

// SolidResources returns the solid resources in table order (shared).
func (rd *Reader) SolidResources() []SolidResource { return rd.table.solid }

// Totals summarises the blob table.
func (rd *Reader) Totals() Totals { return rd.table.totals() }

// XML returns the XML resource (UTF-16LE with its byte order mark) with any
// edits made so far. Without edits it is the bytes in the file.
func (rd *Reader) XML() []byte { return rd.xml.bytes() }

// Image is one image of the WIM.
type Image struct {
	rd    *Reader
	index int
}

// Images returns the images in index order.
func (rd *Reader) Images() []*Image {
	out := make([]*Image, rd.imageN)
	for i := range out {
		out[i] = &Image{rd, i + 1}
	}
	return out
}

// Image returns the image with the 1-based index, or an error wrapping
// ErrNotFound.
func (rd *Reader) Image(index int) (*Image, error) {
	if index < 1 || index > rd.imageN {
		return nil, fmt.Errorf("%w: image %d (the WIM has %d)", ErrNotFound, index, rd.imageN)
	}
	return &Image{rd, index}, nil
}

// ResolveImage finds an image by its 1-based number or by its exact name, as
// wimlib-imagex resolves its IMAGE argument.
func (rd *Reader) ResolveImage(nameOrIndex string) (*Image, error) {
	if n, err := strconv.Atoi(nameOrIndex); err == nil && n > 0 {
		return rd.Image(n)
	}
	for i := 1; i <= rd.imageN; i++ {
		if nameOrIndex != "" && stringAt(rd.imageXML[i-1], "NAME") == nameOrIndex {
			return &Image{rd, i}, nil
		}
	}
	return nil, fmt.Errorf("%w: no image named %q", ErrNotFound, nameOrIndex)
}

// Index is the image's 1-based index.
func (im *Image) Index() int { return im.index }

// Info returns the typed XML information of the image, edits included.
func (im *Image) Info() ImageInfo { return imageInfo(im.rd.imageXML[im.index-1], im.index) }

// Property returns the text of the element at path below the IMAGE element
// (syntax of wimlib-imagex --image-property: "WINDOWS/VERSION/BUILD",
// "WINDOWS/LANGUAGES/LANGUAGE[2]"), and whether it exists.
func (im *Image) Property(path string) (string, bool, error) {
	steps, err := parsePropertyPath(path)
	if err != nil {
		return "", false, err
	}
	e := lookup(im.rd.imageXML[im.index-1], steps)
	if e == nil {
		return "", false, nil
	}
	s, _ := e.firstText()
	return s, true, nil
}

// Metadata returns the blob table entry of the image's metadata resource,
// or nil in parts of a split WIM other than the first.
func (im *Image) Metadata() *BlobEntry {
	m := im.rd.table.metadata
	if im.index > len(m) {
		return nil
	}
	return &im.rd.table.entries[m[im.index-1]]
}

// RawResource returns a reader over the stored bytes of a resource, as they
// are in the file (compressed data included), after checking that it lies
// inside the file.
func (rd *Reader) RawResource(rh ResourceHeader) (*io.SectionReader, error) {
	if !rh.inFile(rd.size) {
		return nil, fmt.Errorf("%w: resource %s lies outside the %d-byte file", ErrFormat, rh, rd.size)
	}
	return io.NewSectionReader(rd.r, int64(rh.Offset), int64(rh.Size)), nil
}

// File is a Reader over a WIM file on disk.
type File struct {
	*Reader
	f        *os.File
	writable bool
}

// Open opens the WIM file name for reading. opts may be nil.
func Open(name string, opts *ReadOptions) (*File, error) {
	return openFile(name, os.O_RDONLY, opts)
}

// OpenForEdit opens the WIM file name for reading and for in-place edits
// saved with Commit. Split and pipable WIMs are refused (ErrUnsupported):
// wimlib-imagex refuses to modify them too.
func OpenForEdit(name string, opts *ReadOptions) (*File, error) {
	f, err := openFile(name, os.O_RDWR, opts)
	if err != nil {
		return nil, err
	}
	if err := f.editable(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if _, err := f.checkLayout(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

func openFile(name string, flag int, opts *ReadOptions) (*File, error) {
	f, err := os.OpenFile(name, flag, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("wim: %s is not a regular file", name)
	}
	rd, err := NewReader(f, fi.Size(), opts)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &File{Reader: rd, f: f, writable: flag&os.O_RDWR != 0}, nil
}

// Name is the file name given to Open or OpenForEdit.
func (f *File) Name() string { return f.f.Name() }

// Close closes the file. Edits not committed are lost.
func (f *File) Close() error { return f.f.Close() }
