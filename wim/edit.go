package wim

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
)

// Edits change the in-memory document; File.Commit writes them into the
// file in place the way wimlib-imagex info does, and Reader.WriteTo /
// Reader.SaveAs write a complete edited copy instead.

// editable reports whether the WIM can be edited at all: split parts and
// pipable WIMs cannot (wimlib-imagex refuses them too).
func (rd *Reader) editable() error {
	h := &rd.hdr
	if h.Split() || h.Flags&FlagSpanned != 0 {
		return fmt.Errorf("%w: cannot edit part %d of a %d-part split WIM", ErrUnsupported, h.PartNumber, h.TotalParts)
	}
	if h.Pipable() {
		return fmt.Errorf("%w: cannot edit a pipable WIM (its header is at the end of the file)", ErrUnsupported)
	}
	if rd.imageN != int(h.ImageCount) {
		return fmt.Errorf("%w: the blob table has metadata for %d of %d images", ErrUnsupported, rd.imageN, h.ImageCount)
	}
	return nil
}

// canEdit is editable plus the READONLY flag of the current header.
func (rd *Reader) canEdit() error {
	if err := rd.editable(); err != nil {
		return err
	}
	if rd.hdr.Flags&FlagReadOnly != 0 {
		return fmt.Errorf("%w: the header has the READONLY flag set (clear it with SetReadOnly(false) first)", ErrReadOnly)
	}
	return nil
}

func (rd *Reader) imageNode(index int) (*xnode, error) {
	if index < 1 || index > rd.imageN {
		return nil, fmt.Errorf("%w: image %d (the WIM has %d)", ErrNotFound, index, rd.imageN)
	}
	return rd.imageXML[index-1], nil
}

// SetImageProperty sets the element at path below image index's IMAGE
// element to value, creating missing elements at the end of their parent,
// or removes the element when value is empty: what
// "wimlib-imagex info WIM IMAGE --image-property PATH=VALUE" does. The path
// syntax is that option's: "WINDOWS/VERSION/BUILD",
// "WINDOWS/LANGUAGES/LANGUAGE[2]" (an indexed element can only be created
// right after the existing ones). Element names must be legal XML names and
// values legal XML characters (ErrInvalidArgument otherwise).
func (rd *Reader) SetImageProperty(index int, path, value string) error {
	if err := rd.canEdit(); err != nil {
		return err
	}
	n, err := rd.imageNode(index)
	if err != nil {
		return err
	}
	steps, err := parsePropertyPath(path)
	if err != nil {
		return err
	}
	if !legalValue(value) {
		return fmt.Errorf("%w: value %q has characters XML cannot hold", ErrInvalidArgument, value)
	}
	return rd.xml.setProperty(n, steps, value)
}

// SetName renames image index. An empty name removes the NAME element.
// Another image with the same name gives ErrNameInUse; setting the current
// name again changes nothing.
func (rd *Reader) SetName(index int, name string) error {
	n, err := rd.imageNode(index)
	if err != nil {
		return err
	}
	if cur, _ := textAt(n, "NAME"); cur == name {
		return rd.canEdit()
	}
	for i, m := range rd.imageXML {
		if i+1 != index && name != "" && stringAt(m, "NAME") == name {
			return fmt.Errorf("%w: image %d is already named %q", ErrNameInUse, i+1, name)
		}
	}
	return rd.SetImageProperty(index, "NAME", name)
}

// SetDescription sets (or, when empty, removes) the DESCRIPTION of image index.
func (rd *Reader) SetDescription(index int, desc string) error {
	return rd.SetImageProperty(index, "DESCRIPTION", desc)
}

// SetDisplayName sets (or, when empty, removes) the DISPLAYNAME of image index.
func (rd *Reader) SetDisplayName(index int, name string) error {
	return rd.SetImageProperty(index, "DISPLAYNAME", name)
}

// SetDisplayDescription sets (or removes) the DISPLAYDESCRIPTION of image index.
func (rd *Reader) SetDisplayDescription(index int, desc string) error {
	return rd.SetImageProperty(index, "DISPLAYDESCRIPTION", desc)
}

// SetFlags sets (or removes) the FLAGS element of image index, the edition
// string such as "WindowsPE" or "Professional".
func (rd *Reader) SetFlags(index int, flags string) error {
	return rd.SetImageProperty(index, "FLAGS", flags)
}

// SetBootIndex marks image index bootable, or no image when index is 0. The
// header's boot-metadata resource header becomes a copy of that image's
// metadata resource header (zero for 0), as WIMGAPI and wimlib write it.
func (rd *Reader) SetBootIndex(index int) error {
	if err := rd.canEdit(); err != nil {
		return err
	}
	if index < 0 || index > rd.imageN {
		return fmt.Errorf("%w: boot index %d (the WIM has %d images)", ErrNotFound, index, rd.imageN)
	}
	rd.hdr.BootIndex = uint32(index)
	rd.hdr.BootMetadata = rd.bootMetadata(index)
	return nil
}

func (rd *Reader) bootMetadata(index int) ResourceHeader {
	if index == 0 || index > len(rd.table.metadata) {
		return ResourceHeader{}
	}
	return rd.table.entries[rd.table.metadata[index-1]].Resource
}

// SetReadOnly sets or clears the READONLY header flag. Clearing it is the
// one edit allowed on a WIM that has it set.
func (rd *Reader) SetReadOnly(readOnly bool) error {
	if err := rd.editable(); err != nil {
		return err
	}
	if readOnly {
		rd.hdr.Flags |= FlagReadOnly
	} else {
		rd.hdr.Flags &^= FlagReadOnly
	}
	return nil
}

// SetGUID replaces the WIM's GUID.
func (rd *Reader) SetGUID(g GUID) error {
	if err := rd.canEdit(); err != nil {
		return err
	}
	rd.hdr.GUID = g
	return nil
}

// NewGUID gives the WIM a new random GUID and returns it.
func (rd *Reader) NewGUID() (GUID, error) {
	var g GUID
	if _, err := rand.Read(g[:]); err != nil {
		return g, err
	}
	return g, rd.SetGUID(g)
}

// savePlan is what a save writes: the final header, then after the blob
// table the XML and the integrity table.
type savePlan struct {
	hdr     Header
	tail    []byte // XML followed by the integrity table
	dataEnd uint64 // end of the blob table: the new XML starts here
	noop    bool   // the file already holds exactly this
}

// plan serializes everything before anything is written.
func (rd *Reader) plan() (*savePlan, error) {
	if err := rd.editable(); err != nil {
		return nil, err
	}
	if rd.origHdr.Flags&FlagReadOnly != 0 && rd.hdr.Flags&FlagReadOnly != 0 {
		return nil, fmt.Errorf("%w: the header has the READONLY flag set", ErrReadOnly)
	}
	end, err := rd.checkLayout()
	if err != nil {
		return nil, err
	}
	h := rd.hdr
	// wimlib clears these flags whenever it writes a header; the boot
	// metadata resource header is derived from the boot index.
	h.Flags &^= FlagWriteInProgress | FlagResourceOnly | FlagMetadataOnly
	if h.BootIndex > h.ImageCount {
		h.BootIndex = 0
	}
	h.BootMetadata = rd.bootMetadata(int(h.BootIndex))

	xml := rd.xml.bytes()
	h.XMLData = ResourceHeader{Size: uint64(len(xml)), Flags: ResourceMetadata, Offset: end, UncompressedSize: uint64(len(xml))}
	integ, err := rd.integrityBytes()
	if err != nil {
		return nil, err
	}
	h.Integrity = ResourceHeader{}
	if integ != nil {
		h.Integrity = ResourceHeader{Size: uint64(len(integ)), Offset: end + uint64(len(xml)), UncompressedSize: uint64(len(integ))}
	}
	tail := make([]byte, 0, len(xml)+len(integ))
	tail = append(append(tail, xml...), integ...)
	p := &savePlan{hdr: h, tail: tail, dataEnd: end}
	if *h.block() == rd.orig && rd.origHdr.XMLData.Offset == end && uint64(rd.size) == end+uint64(len(tail)) {
		// Same header, XML and integrity table in the same place and no
		// stale tail: the file already is the result.
		p.noop = !rd.xml.dirty
	}
	return p, nil
}

// checkLayout checks that the file is header, resources, blob table, XML,
// integrity table, in that order, so that everything after the blob table
// can be rewritten (wimlib's can_overwrite_wim_inplace). It returns the end
// of the blob table.
func (rd *Reader) checkLayout() (uint64, error) {
	h := &rd.origHdr
	end, ok := h.BlobTable.End()
	if !ok || end < HeaderSize {
		return 0, formatErr(0x30, "header", ErrFormat, "blob table %s ends before the header does", h.BlobTable)
	}
	bad := func(what string, rh ResourceHeader) error {
		return fmt.Errorf("%w: %s %s is not where an in-place edit expects it (header, resources, blob table %s, XML, integrity table)",
			ErrUnsupported, what, rh, h.BlobTable)
	}
	if h.XMLData.Offset < end {
		return 0, bad("the XML", h.XMLData)
	}
	if h.HasIntegrity() && h.Integrity.Offset < end {
		return 0, bad("the integrity table", h.Integrity)
	}
	for i := range rd.table.entries {
		e := &rd.table.entries[i]
		if e.Ignored != NotIgnored || e.Kind == EntrySolidBlob {
			continue
		}
		if re, _ := e.Resource.End(); re > h.BlobTable.Offset {
			return 0, bad(fmt.Sprintf("blob table entry %d", i), e.Resource)
		}
	}
	return end, nil
}

// integrityBytes returns the integrity table to write, or nil for none.
func (rd *Reader) integrityBytes() ([]byte, error) {
	if rd.integrity == integrityRemove || rd.integrity == integrityKeep && !rd.origHdr.HasIntegrity() {
		return nil, nil
	}
	checked, err := integrityRange(&rd.origHdr)
	if err != nil {
		return nil, err
	}
	if rd.integrity == integrityKeep {
		// The covered bytes do not change, so a valid old table stays valid
		// (wimlib reuses its hashes the same way). A damaged one is
		// recomputed, as wimlib does.
		if t, err := rd.IntegrityTable(); err == nil {
			return t.MarshalBinary()
		}
	}
	t, err := computeIntegrity(rd.r, checked, IntegrityChunkSize)
	if err != nil {
		return nil, err
	}
	return t.MarshalBinary()
}

// fileRW is the part of *os.File an in-place commit uses; tests wrap it to
// inject failures.
type fileRW interface {
	io.WriterAt
	Truncate(size int64) error
	Sync() error
}

// Commit writes the edits into the file in place, the way wimlib-imagex
// info does, with one addition that keeps the file readable if a step
// fails. The steps:
//
//  1. set WRITE_IN_PROGRESS in the header (a 4-byte write);
//  2. write the new XML and integrity table past the current end of the
//     file (a staging copy), and sync;
//  3. write a header pointing at the staging copy (flag still set);
//  4. write the XML and integrity table right after the blob table, where
//     wimlib puts them, and sync;
//  5. write the final header, flag cleared, and sync;
//  6. truncate the file after the integrity table (or XML).
//
// The blob table and everything before it ([208, end of blob table)) are
// never written, so the integrity table still matches them. Between any two
// steps the header on disk points at a complete XML and integrity table, so
// if a step fails the file still opens (wimlib warns about the flag until a
// later commit clears it). Header writes are single 208-byte writes at
// offset 0, inside the first sector. After an error the File no longer
// matches the disk: close it and open the file again.
func (f *File) Commit() error {
	if !f.writable {
		return fmt.Errorf("%w: %s was opened with Open; use OpenForEdit to commit edits", ErrReadOnly, f.Name())
	}
	p, err := f.plan()
	if err != nil {
		return err
	}
	if p.noop {
		return nil
	}
	if err := commitInPlace(f.f, f.size, &f.orig, p); err != nil {
		return fmt.Errorf("%s: %w", f.Name(), err)
	}
	f.committed(p)
	return nil
}

// commitInPlace runs the steps documented on Commit.
func commitInPlace(w fileRW, size int64, cur *headerBlock, p *savePlan) error {
	step := func(name string, err error) error {
		if err != nil {
			return fmt.Errorf("wim: commit, %s: %w", name, err)
		}
		return nil
	}
	var flags [4]byte
	binary.LittleEndian.PutUint32(flags[:], binary.LittleEndian.Uint32(cur.flags())|uint32(FlagWriteInProgress))
	if _, err := w.WriteAt(flags[:], flagsOffset); err != nil {
		return step("setting WRITE_IN_PROGRESS", err)
	}

	stage := max(uint64(size), p.dataEnd+uint64(len(p.tail)))
	if _, err := w.WriteAt(p.tail, int64(stage)); err != nil {
		return step("writing the staging copy", err)
	}
	if err := w.Sync(); err != nil {
		return step("syncing the staging copy", err)
	}
	staged := p.hdr
	staged.Flags |= FlagWriteInProgress
	staged.XMLData.Offset = stage
	if !staged.Integrity.IsZero() {
		staged.Integrity.Offset = stage + staged.XMLData.Size
	}
	if _, err := w.WriteAt(staged.block()[:], 0); err != nil {
		return step("writing the staging header", err)
	}

	if _, err := w.WriteAt(p.tail, int64(p.dataEnd)); err != nil {
		return step("writing the XML after the blob table", err)
	}
	if err := w.Sync(); err != nil {
		return step("syncing the XML", err)
	}
	if _, err := w.WriteAt(p.hdr.block()[:], 0); err != nil {
		return step("writing the header", err)
	}
	if err := w.Sync(); err != nil {
		return step("syncing the header", err)
	}

	// wimlib leaves whatever followed the old XML and integrity table in
	// place. We cut it off: it is garbage no reader uses, but it still holds
	// the old XML text (names and descriptions the user just replaced), it
	// grows with every staging copy, and without it the file is byte for
	// byte what a fresh write of the same WIM would be. The header no
	// longer points past this offset, so a failed truncate leaves a
	// readable file.
	if err := w.Truncate(int64(p.dataEnd) + int64(len(p.tail))); err != nil {
		return step("truncating the stale tail", err)
	}
	return step("syncing", w.Sync())
}

// committed updates the reader after a successful save in place.
func (rd *Reader) committed(p *savePlan) {
	rd.hdr = p.hdr
	rd.origHdr = p.hdr
	rd.orig = *p.hdr.block()
	rd.size = int64(p.dataEnd) + int64(len(p.tail))
	rd.xml.src = p.tail[:p.hdr.XMLData.Size:p.hdr.XMLData.Size]
	rd.xml.dirty = false
	rd.integrity = integrityKeep
}

// WriteTo writes the edited WIM to w: the new header, the bytes
// [208, end of blob table) copied from the original, the XML and the
// integrity table. It is a complete WIM, the same bytes Commit would leave
// in the file. Split and pipable WIMs are refused.
func (rd *Reader) WriteTo(w io.Writer) (int64, error) {
	p, err := rd.plan()
	if err != nil {
		return 0, err
	}
	blk := p.hdr.block()
	n, err := w.Write(blk[:])
	total := int64(n)
	if err != nil {
		return total, err
	}
	m, err := io.Copy(w, io.NewSectionReader(rd.r, HeaderSize, int64(p.dataEnd)-HeaderSize))
	total += m
	if err != nil {
		return total, err
	}
	if m != int64(p.dataEnd)-HeaderSize {
		return total, fmt.Errorf("wim: copied %d of %d bytes: %w", m, int64(p.dataEnd)-HeaderSize, io.ErrUnexpectedEOF)
	}
	n, err = w.Write(p.tail)
	return total + int64(n), err
}

// SaveAs writes the edited WIM to a new file at path (see WriteTo), through
// a temporary file renamed into place, so path is either untouched or
// complete. The original file is not modified.
func (rd *Reader) SaveAs(path string) error {
	return atomicfile.WriteTo(path, rd, 0)
}

var _ io.WriterTo = (*Reader)(nil)
