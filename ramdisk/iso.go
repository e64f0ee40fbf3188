package ramdisk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"
	"github.com/diskfs/go-diskfs/partition/mbr"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
)

// ISO 9660 reading is our own: go-diskfs v1.9.4's reader allocates the path
// table size and directory sizes named by the image before checking them,
// and slices directory records without bounds checks, so a hostile ISO can
// exhaust memory or panic it. Writing goes through go-diskfs (workspace +
// Finalize), with one fix applied afterwards (see fixBootRecordPosition).

const (
	isoBlock     = 2048
	isoVDStart   = 16 // first volume descriptor sector
	isoMaxVDs    = 64
	isoMaxFile   = 1<<32 - 1
	isoMaxExtent = 1<<32 - isoBlock
)

// Boot platforms of El Torito entries.
const (
	PlatformBIOS byte = 0x00
	PlatformPPC  byte = 0x01
	PlatformMac  byte = 0x02
	PlatformEFI  byte = 0xEF
)

// El Torito emulation types.
const (
	EmulationNone     byte = 0
	EmulationFloppy12 byte = 1
	EmulationFloppy14 byte = 2
	EmulationFloppy28 byte = 3
	EmulationHardDisk byte = 4
)

// BootEntry is one El Torito boot catalog entry.
type BootEntry struct {
	Platform    byte   // PlatformBIOS, PlatformEFI, ...
	Bootable    bool   // boot indicator 0x88
	Emulation   byte   // EmulationNone, ...
	LoadSegment uint16 // 0 means the default 0x7C0
	SystemType  byte   // partition type byte (hard-disk emulation)
	LoadSectors uint16 // 512-byte sectors the firmware loads
	LBA         uint32 // where the image is (as read; set again on write)
	// Path is the boot image's path in the tree, or "" when the image is
	// not a file of the tree (it is then kept as hidden data).
	Path string
	// BootInfoTable is set when the image carries an isolinux-style boot
	// information table at byte 8, which is regenerated on write.
	BootInfoTable bool

	data io.ReaderAt // the image when it is not in the tree
	size int64
}

// ISOImage is an ISO 9660 image read into a tree (names from Rock Ridge,
// else Joliet, else ISO 9660), with its El Torito boot entries. Files can be
// replaced, added and removed; WriteTo and Save write a new ISO through
// go-diskfs, keeping the boot entries.
//
// An ISOImage implements io/fs.FS (paths without a leading slash).
type ISOImage struct {
	VolumeID  string
	RockRidge bool // write Rock Ridge names (set when the source had them)
	Joliet    bool // write a Joliet tree (set when the source had one)
	// Boot holds the El Torito entries, in catalog order. Edit it to change
	// what boots; an entry's Path must name a file of the tree, or be empty
	// for an image read from the source that is not in the tree.
	Boot []BootEntry
	// BootCatalog is where the catalog appears in the tree ("" to hide it).
	BootCatalog string
	Warnings    []Warning

	r      io.ReaderAt
	size   int64
	lim    Limits
	root   *isoNode
	closer io.Closer
}

type isoNode struct {
	name     string
	dir      bool
	size     int64
	ext      [][2]int64 // byte offset, length
	mod      time.Time
	children []*isoNode
	src      io.ReaderAt // replacement content; nil means the extents
	catalog  bool        // the El Torito boot catalog
}

var (
	_ fs.FS        = (*ISOImage)(nil)
	_ fs.ReadDirFS = (*ISOImage)(nil)
	_ io.WriterTo  = (*ISOImage)(nil)
)

// NewISO returns an empty image, to be filled with AddFile and given Boot
// entries; it is written with Rock Ridge and Joliet names.
func NewISO(volumeID string) *ISOImage {
	return &ISOImage{VolumeID: volumeID, RockRidge: true, Joliet: true, root: &isoNode{dir: true}, lim: DefaultLimits}
}

// OpenISOFile opens the ISO image at path. Close releases the file.
func OpenISOFile(name string, opts *OpenOptions) (*ISOImage, error) {
	im, f, err := openBacking(name, func(r io.ReaderAt, size int64) (*ISOImage, error) { return OpenISO(r, size, opts) })
	if err != nil {
		return nil, err
	}
	im.closer = f
	return im, nil
}

// Close releases the file opened by OpenISOFile (a no-op otherwise).
func (im *ISOImage) Close() error { return closeOnce(&im.closer) }

// OpenISO reads the volume descriptors, the whole directory tree and the
// boot catalog of an ISO image of the given size. r must stay valid while
// the image is used. Errors wrap ErrFormat or ErrLimit.
func OpenISO(r io.ReaderAt, size int64, opts *OpenOptions) (*ISOImage, error) {
	lim := DefaultLimits
	if opts != nil {
		lim = opts.Limits.withDefaults()
	}
	im := &ISOImage{r: r, size: size, lim: lim}
	var pvdRoot, svdRoot []byte
	catalog := int64(-1)
	vd := make([]byte, isoBlock)
	for i := range isoMaxVDs {
		off := int64(isoVDStart+i) * isoBlock
		if _, err := readFull(r, vd, off); err != nil {
			return nil, formatErr(off, "iso volume descriptor", ErrFormat, "reading: %v", err)
		}
		if string(vd[1:6]) != "CD001" {
			return nil, formatErr(off+1, "iso volume descriptor", ErrFormat, "no CD001 identifier")
		}
		switch vd[0] {
		case 0: // boot record
			if strings.HasPrefix(string(vd[7:39]), "EL TORITO SPECIFICATION") {
				catalog = int64(le32(vd[71:]))
			}
		case 1: // primary
			if pvdRoot != nil {
				continue
			}
			if bs := le16(vd[128:]); bs != isoBlock {
				return nil, formatErr(off+128, "iso primary volume descriptor", ErrUnsupported, "logical block size %d", bs)
			}
			im.VolumeID = strings.TrimRight(string(vd[40:72]), " \x00")
			pvdRoot = slices.Clone(vd[156 : 156+34])
		case 2: // supplementary: Joliet if it names a UCS-2 level
			esc := vd[88:120]
			if svdRoot == nil && esc[0] == '%' && esc[1] == '/' && (esc[2] == '@' || esc[2] == 'C' || esc[2] == 'E') {
				svdRoot = slices.Clone(vd[156 : 156+34])
			}
		case 255:
			goto done
		}
	}
	return nil, formatErr(isoVDStart*isoBlock, "iso volume descriptor", ErrFormat, "no terminator in the first %d descriptors", isoMaxVDs)
done:
	if pvdRoot == nil {
		return nil, formatErr(isoVDStart*isoBlock, "iso volume descriptor", ErrFormat, "no primary volume descriptor")
	}
	t := &isoTree{im: im, visited: map[int64]bool{}}
	rootExt, rootLen, err := t.rootRecord(pvdRoot, isoVDStart*isoBlock+156)
	if err != nil {
		return nil, err
	}
	if t.suspSkip, im.RockRidge, err = t.detectRockRidge(rootExt, rootLen); err != nil {
		return nil, err
	}
	t.rr = im.RockRidge
	if !im.RockRidge && svdRoot != nil {
		if rootExt, rootLen, err = t.rootRecord(svdRoot, isoVDStart*isoBlock+156); err != nil {
			return nil, err
		}
		t.joliet = true
	}
	im.Joliet = svdRoot != nil
	im.root = &isoNode{dir: true}
	if err := t.readDir(im.root, rootExt, rootLen, 1); err != nil {
		return nil, err
	}
	if catalog >= 0 {
		if err := im.readCatalog(catalog); err != nil {
			return nil, err
		}
	}
	return im, nil
}

type isoTree struct {
	im       *ISOImage
	rr       bool
	joliet   bool
	suspSkip int
	visited  map[int64]bool
	entries  int
}

func (t *isoTree) rootRecord(rec []byte, off int64) (int64, int64, error) {
	if rec[0] < 34 {
		return 0, 0, formatErr(off, "iso root directory record", ErrFormat, "length %d", rec[0])
	}
	return t.extent(rec, off)
}

// extent returns a record's data location, checked against the image.
func (t *isoTree) extent(rec []byte, off int64) (int64, int64, error) {
	lba, n := int64(le32(rec[2:])), int64(le32(rec[10:]))
	start := lba * isoBlock
	if start+n > t.im.size || (n > 0 && lba < isoVDStart) {
		return 0, 0, formatErr(off, "iso directory record", ErrFormat, "extent at block %d with %d bytes lies outside the %d-byte image", lba, n, t.im.size)
	}
	return start, n, nil
}

// detectRockRidge looks for the SUSP "SP" entry in the root's "." record.
func (t *isoTree) detectRockRidge(ext, n int64) (int, bool, error) {
	if n < 34 {
		return 0, false, formatErr(ext, "iso root directory", ErrFormat, "root directory of %d bytes", n)
	}
	rec := make([]byte, 255)
	if _, err := readFull(t.im.r, rec[:min(255, n)], ext); err != nil {
		return 0, false, formatErr(ext, "iso root directory", ErrFormat, "reading: %v", err)
	}
	l := int(rec[0])
	if l < 34 || int64(l) > n {
		return 0, false, formatErr(ext, "iso root directory", ErrFormat, "first record length %d", l)
	}
	su := rec[34:l] // "." has a 1-byte name and no padding
	if len(su) >= 7 && string(su[0:2]) == "SP" && su[4] == 0xBE && su[5] == 0xEF {
		return int(su[6]), true, nil
	}
	return 0, false, nil
}

func (t *isoTree) readDir(dir *isoNode, ext, n int64, depth int) error {
	if depth > t.im.lim.MaxDepth {
		return formatErr(ext, "iso directory", ErrLimit, "directory tree deeper than %d", t.im.lim.MaxDepth)
	}
	if n > t.im.lim.MaxDirSize {
		return formatErr(ext, "iso directory", ErrLimit, "directory of %d bytes exceeds %d", n, t.im.lim.MaxDirSize)
	}
	if t.visited[ext] {
		return formatErr(ext, "iso directory", ErrFormat, "directory extent used twice (cycle)")
	}
	t.visited[ext] = true
	buf := make([]byte, n) // bounded by MaxDirSize and by the image
	if _, err := readFull(t.im.r, buf, ext); err != nil {
		return formatErr(ext, "iso directory", ErrFormat, "reading: %v", err)
	}
	var pending *isoNode // a multi-extent file still collecting extents
	for i := 0; i < len(buf); {
		l := int(buf[i])
		if l == 0 {
			i = (i/isoBlock + 1) * isoBlock
			continue
		}
		off := ext + int64(i)
		if l < 34 || i+l > len(buf) {
			return formatErr(off, "iso directory record", ErrFormat, "record length %d runs past the directory", l)
		}
		rec := buf[i : i+l]
		i += l
		nameLen := int(rec[32])
		if 33+nameLen > l {
			return formatErr(off, "iso directory record", ErrFormat, "name of %d bytes runs past the record", nameLen)
		}
		id := rec[33 : 33+nameLen]
		if nameLen == 1 && (id[0] == 0 || id[0] == 1) {
			continue // "." and ".."
		}
		flags := rec[25]
		if flags&0x04 != 0 {
			continue // associated file
		}
		if rec[26] != 0 || rec[27] != 0 {
			return formatErr(off, "iso directory record", ErrUnsupported, "interleaved file")
		}
		dExt, dLen, err := t.extent(rec, off)
		if err != nil {
			return err
		}
		name, skip, relocated, err := t.name(rec, id, off)
		if err != nil {
			return err
		}
		if skip {
			continue
		}
		if relocated >= 0 {
			// Rock Ridge CL: a placeholder for a directory moved to
			// relocated; read the real one from there.
			if dExt, dLen, err = t.relocatedDir(relocated, off); err != nil {
				return err
			}
			flags |= 0x02
		}
		if err := checkNodeName(name, off); err != nil {
			return err
		}
		if pending != nil && pending.name == name && flags&0x02 == 0 {
			pending.ext = append(pending.ext, [2]int64{dExt, dLen})
			pending.size += dLen
			if flags&0x80 == 0 {
				pending = nil
			}
			continue
		}
		pending = nil
		t.entries++
		if t.entries > t.im.lim.MaxEntries {
			return formatErr(off, "iso directory", ErrLimit, "more than %d entries", t.im.lim.MaxEntries)
		}
		if dup := dir.child(name); dup != nil {
			return formatErr(off, "iso directory record", ErrFormat, "name %q appears twice", name)
		}
		nd := &isoNode{name: name, dir: flags&0x02 != 0, mod: isoTime(rec[18:25])}
		dir.children = append(dir.children, nd)
		if nd.dir {
			if err := t.readDir(nd, dExt, dLen, depth+1); err != nil {
				return err
			}
			continue
		}
		nd.ext, nd.size = [][2]int64{{dExt, dLen}}, dLen
		if flags&0x80 != 0 {
			pending = nd
		}
	}
	return nil
}

// checkNodeName refuses names that would escape a directory when the tree
// is materialized for rebuilding.
func checkNodeName(name string, off int64) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return formatErr(off, "iso directory record", ErrFormat, "unusable file name %q", name)
	}
	return nil
}

func (d *isoNode) child(name string) *isoNode {
	for _, c := range d.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// name decodes a record's name: Rock Ridge NM, else Joliet UCS-2, else the
// ISO 9660 identifier without its ";1" version. skip is set for records to
// leave out (Rock Ridge RE relocation targets, symbolic links); relocated
// is the byte offset of a Rock Ridge CL target, or -1.
func (t *isoTree) name(rec, id []byte, off int64) (name string, skip bool, relocated int64, err error) {
	relocated = -1
	if t.rr {
		su := 33 + len(id)
		if len(id)%2 == 0 {
			su++
		}
		su += t.suspSkip
		var nm []byte
		if su < len(rec) {
			nm, skip, relocated, err = t.susp(rec[su:], off)
			if err != nil {
				return "", false, -1, err
			}
		}
		if nm != nil {
			return string(nm), skip, relocated, nil
		}
	}
	if t.joliet {
		if len(id)%2 != 0 {
			return "", false, -1, formatErr(off, "iso joliet record", ErrFormat, "odd-length UCS-2 name")
		}
		u := make([]uint16, len(id)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(id[2*i:])
		}
		name = string(utf16.Decode(u))
	} else {
		name = string(id)
	}
	if i := strings.LastIndexByte(name, ';'); i >= 0 {
		name = name[:i]
	}
	if !t.joliet && strings.HasSuffix(name, ".") {
		name = name[:len(name)-1]
	}
	return name, skip, relocated, nil
}

// susp walks System Use entries (following CE continuations, at most 16).
func (t *isoTree) susp(area []byte, off int64) (nm []byte, skip bool, relocated int64, err error) {
	relocated = -1
	for hops := 0; ; hops++ {
		var next []byte
		for len(area) >= 4 {
			l := int(area[2])
			if l < 4 || l > len(area) {
				break
			}
			e := area[:l]
			switch string(e[0:2]) {
			case "NM":
				if l >= 5 && e[4]&0x06 == 0 { // not "." or ".." flags
					nm = append(nm, e[5:]...)
				}
			case "RE":
				skip = true
			case "CL":
				if l >= 12 {
					relocated = int64(le32(e[4:])) * isoBlock
				}
			case "SL":
				skip = true
				t.im.warn(off, "symbolic link left out (not supported)")
			case "CE":
				if l >= 28 {
					blk, o, n := int64(le32(e[4:])), int64(le32(e[12:])), int64(le32(e[20:]))
					start := blk*isoBlock + o
					if n > isoBlock || start+n > t.im.size || o >= isoBlock {
						return nil, false, -1, formatErr(off, "iso rock ridge", ErrFormat, "continuation area at block %d+%d, %d bytes, outside the image", blk, o, n)
					}
					next = make([]byte, n)
					if _, err := readFull(t.im.r, next, start); err != nil {
						return nil, false, -1, formatErr(start, "iso rock ridge", ErrFormat, "reading: %v", err)
					}
				}
			case "ST":
				area = nil
				continue
			}
			area = area[l:]
		}
		if next == nil {
			return nm, skip, relocated, nil
		}
		if hops >= 16 {
			return nil, false, -1, formatErr(off, "iso rock ridge", ErrLimit, "more than 16 continuation areas")
		}
		area = next
	}
}

func (t *isoTree) relocatedDir(at, off int64) (int64, int64, error) {
	if at+34 > t.im.size || at < isoVDStart*isoBlock {
		return 0, 0, formatErr(off, "iso rock ridge", ErrFormat, "child link to %d outside the image", at)
	}
	var rec [34]byte
	if _, err := readFull(t.im.r, rec[:], at); err != nil {
		return 0, 0, formatErr(at, "iso rock ridge", ErrFormat, "reading: %v", err)
	}
	return t.extent(rec[:], at)
}

// isoTime decodes a 7-byte directory record date.
func isoTime(b []byte) time.Time {
	if b[0] == 0 && b[1] == 0 && b[2] == 0 {
		return time.Time{}
	}
	t := time.Date(1900+int(b[0]), time.Month(b[1]), int(b[2]), int(b[3]), int(b[4]), int(b[5]), 0, time.UTC)
	return t.Add(-time.Duration(int8(b[6])) * 15 * time.Minute)
}

func (im *ISOImage) warn(off int64, format string, args ...any) {
	im.Warnings = append(im.Warnings, Warning{Offset: off, Msg: fmt.Sprintf(format, args...)})
}

// readCatalog parses the El Torito boot catalog at block lba.
func (im *ISOImage) readCatalog(lba int64) error {
	off := lba * isoBlock
	n := min(4*isoBlock, im.size-off)
	if lba < isoVDStart || n < 64 {
		return formatErr(off, "el torito catalog", ErrFormat, "catalog block %d outside the image", lba)
	}
	cat := make([]byte, n)
	if _, err := readFull(im.r, cat, off); err != nil {
		return formatErr(off, "el torito catalog", ErrFormat, "reading: %v", err)
	}
	v := cat[:32]
	var sum uint16
	for i := 0; i < 32; i += 2 {
		sum += le16(v[i:])
	}
	if v[0] != 1 || v[30] != 0x55 || v[31] != 0xAA || sum != 0 {
		return formatErr(off, "el torito catalog", ErrFormat, "bad validation entry")
	}
	im.Boot = append(im.Boot, parseBootEntry(v[1], cat[32:64]))
	pos := 64
	for pos+32 <= len(cat) {
		h := cat[pos : pos+32]
		if h[0] != 0x90 && h[0] != 0x91 {
			break
		}
		count := int(le16(h[2:]))
		pos += 32
		for k := 0; k < count; k++ {
			if pos+32 > len(cat) {
				return formatErr(off+int64(pos), "el torito catalog", ErrFormat, "section entries run past the catalog")
			}
			if cat[pos] != 0x88 && cat[pos] != 0x00 {
				return formatErr(off+int64(pos), "el torito catalog", ErrFormat, "section entry with boot indicator %#02x", cat[pos])
			}
			im.Boot = append(im.Boot, parseBootEntry(h[1], cat[pos:pos+32]))
			pos += 32
			for pos+32 <= len(cat) && cat[pos] == 0x44 { // extension records
				pos += 32
			}
		}
		if h[0] == 0x91 {
			break
		}
	}
	byLBA := map[int64]string{}
	im.walkNodes(func(p string, nd *isoNode) {
		if !nd.dir && len(nd.ext) > 0 {
			byLBA[nd.ext[0][0]/isoBlock] = p
		}
		if !nd.dir && len(nd.ext) > 0 && nd.ext[0][0] == off {
			nd.catalog = true
			im.BootCatalog = p
		}
	})
	for i := range im.Boot {
		e := &im.Boot[i]
		at := int64(e.LBA) * isoBlock
		if at >= im.size || e.LBA < isoVDStart {
			return formatErr(off, "el torito catalog", ErrFormat, "boot image %d at block %d outside the image", i+1, e.LBA)
		}
		if p, ok := byLBA[int64(e.LBA)]; ok {
			e.Path = p
		} else {
			e.size = im.hiddenImageSize(e, at)
			e.data = io.NewSectionReader(im.r, at, e.size)
		}
		if e.Platform == PlatformBIOS && e.Emulation == EmulationNone {
			var bt [16]byte
			if _, err := readFull(im.r, bt[:], at); err == nil && le32(bt[8:]) == isoVDStart && le32(bt[12:]) == e.LBA {
				e.BootInfoTable = true
			}
		}
	}
	return nil
}

func parseBootEntry(platform byte, b []byte) BootEntry {
	return BootEntry{
		Platform:    platform,
		Bootable:    b[0] == 0x88,
		Emulation:   b[1] & 0x0F,
		LoadSegment: le16(b[2:]),
		SystemType:  b[4],
		LoadSectors: le16(b[6:]),
		LBA:         le32(b[8:]),
	}
}

// hiddenImageSize guesses the size of a boot image that is not a file of
// the tree: a FAT image's own size, the floppy size for floppy emulation,
// else the sectors the firmware loads.
func (im *ISOImage) hiddenImageSize(e *BootEntry, at int64) int64 {
	left := im.size - at
	switch e.Emulation {
	case EmulationFloppy12:
		return min(left, 1200<<10)
	case EmulationFloppy14:
		return min(left, 1440<<10)
	case EmulationFloppy28:
		return min(left, 2880<<10)
	}
	var bs [SectorSize]byte
	if _, err := readFull(im.r, bs[:], at); err == nil {
		if b, err := ParseBPB(bs[:], left); err == nil {
			return int64(b.TotalSectors) * SectorSize
		}
		if m, err := ParseMBR(bs[:], left); err == nil && e.Emulation == EmulationHardDisk && len(m.Partitions) > 0 {
			p := m.Partitions[len(m.Partitions)-1]
			return p.Offset() + p.Size()
		}
	}
	return min(left, max(int64(e.LoadSectors)*SectorSize, SectorSize))
}

// walkNodes visits every node depth-first with its path.
func (im *ISOImage) walkNodes(fn func(p string, nd *isoNode)) {
	var rec func(prefix string, d *isoNode)
	rec = func(prefix string, d *isoNode) {
		for _, c := range d.children {
			p := path.Join(prefix, c.name)
			fn(p, c)
			if c.dir {
				rec(p, c)
			}
		}
	}
	rec("", im.root)
}

// Files lists the files and directories, depth-first in directory order.
func (im *ISOImage) Files() []FileInfo {
	var out []FileInfo
	im.walkNodes(func(p string, nd *isoNode) {
		out = append(out, FileInfo{Path: p, Size: nd.size, Dir: nd.dir, ModTime: nd.mod})
	})
	return out
}

// find returns the node at p (case-sensitive first, then case-insensitive)
// and its parent.
func (im *ISOImage) find(p string) (*isoNode, *isoNode) {
	if p == "" || p == "." {
		return im.root, nil
	}
	cur := im.root
	var parent *isoNode
	for _, part := range strings.Split(p, "/") {
		if !cur.dir {
			return nil, nil
		}
		next := cur.child(part)
		if next == nil {
			for _, c := range cur.children {
				if strings.EqualFold(c.name, part) {
					next = c
					break
				}
			}
		}
		if next == nil {
			return nil, nil
		}
		parent, cur = cur, next
	}
	return cur, parent
}

func (nd *isoNode) open(r io.ReaderAt) io.ReaderAt {
	if nd.src != nil {
		return nd.src
	}
	ex := make([]extent, 0, len(nd.ext))
	var fo int64
	for _, e := range nd.ext {
		ex = append(ex, extent{fileOff: fo, diskOff: e[0], n: e[1]})
		fo += e[1]
	}
	return &extentReader{r: r, ex: ex, size: nd.size}
}

// ReplaceFile replaces an existing file's content.
func (im *ISOImage) ReplaceFile(name string, r io.ReaderAt, size int64) error {
	p, err := cleanISOPath(name)
	if err != nil {
		return err
	}
	nd, _ := im.find(p)
	if nd == nil || nd.dir {
		return &PathError{Op: "replace", Path: name, Err: ErrNotFound}
	}
	if size < 0 || size > isoMaxFile {
		return &PathError{Op: "replace", Path: name, Err: fmt.Errorf("size %d outside 0..4 GiB-1 (go-diskfs writes one extent per file): %w", size, ErrUnsupported)}
	}
	nd.src, nd.size, nd.ext, nd.catalog = r, size, nil, false
	return nil
}

// AddFile adds a file, creating parent directories.
func (im *ISOImage) AddFile(name string, r io.ReaderAt, size int64) error {
	p, err := cleanISOPath(name)
	if err != nil {
		return err
	}
	if size < 0 || size > isoMaxFile {
		return &PathError{Op: "add", Path: name, Err: fmt.Errorf("size %d outside 0..4 GiB-1 (go-diskfs writes one extent per file): %w", size, ErrUnsupported)}
	}
	if nd, _ := im.find(p); nd != nil {
		return &PathError{Op: "add", Path: name, Err: ErrExist}
	}
	dir := im.root
	parts := strings.Split(p, "/")
	for _, part := range parts[:len(parts)-1] {
		next := dir.child(part)
		if next == nil {
			next = &isoNode{name: part, dir: true, mod: time.Now()}
			dir.children = append(dir.children, next)
		} else if !next.dir {
			return &PathError{Op: "add", Path: name, Err: fmt.Errorf("%s is a file: %w", part, ErrExist)}
		}
		dir = next
	}
	dir.children = append(dir.children, &isoNode{name: parts[len(parts)-1], size: size, src: r, mod: time.Now()})
	return nil
}

// Remove removes a file or a directory with everything in it.
func (im *ISOImage) Remove(name string) error {
	p, err := cleanISOPath(name)
	if err != nil {
		return err
	}
	nd, parent := im.find(p)
	if nd == nil || parent == nil {
		return &PathError{Op: "remove", Path: name, Err: ErrNotFound}
	}
	parent.children = slices.DeleteFunc(parent.children, func(c *isoNode) bool { return c == nd })
	return nil
}

func cleanISOPath(p string) (string, error) {
	q := strings.Trim(strings.ReplaceAll(p, `\`, "/"), "/")
	if q == "" {
		return "", &PathError{Op: "path", Path: p, Err: fmt.Errorf("empty path: %w", ErrInvalidArgument)}
	}
	for _, c := range strings.Split(q, "/") {
		if c == "" || c == "." || c == ".." || strings.ContainsRune(c, 0) {
			return "", &PathError{Op: "path", Path: p, Err: fmt.Errorf("bad component %q: %w", c, ErrInvalidArgument)}
		}
	}
	return q, nil
}

// WriteTo writes the rebuilt ISO to w (see Write).
func (im *ISOImage) WriteTo(w io.Writer) (int64, error) { return im.Write(w, nil) }

// Write rebuilds the ISO with go-diskfs and streams it to w. The tree is
// first copied into a temporary workspace directory (go-diskfs builds ISOs
// from a directory), go-diskfs writes the image into a temporary file, and
// that file is streamed to w; Progress reports this last stage. Temporary
// space of about twice the image size is needed.
func (im *ISOImage) Write(w io.Writer, opts *WriteOptions) (int64, error) {
	tmp, err := os.MkdirTemp("", "winbootkit-iso-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	scratch, err := im.build(tmp)
	if err != nil {
		return 0, err
	}
	defer scratch.Close()
	fi, err := scratch.Stat()
	if err != nil {
		return 0, err
	}
	o := newOverlay(scratch, fi.Size())
	var wo WriteOptions
	if opts != nil {
		wo = *opts
	}
	wo.Sparse = false
	return o.writeTo(w, &wo)
}

// Save writes the rebuilt ISO to path atomically (see Write).
func (im *ISOImage) Save(name string, opts *WriteOptions) error {
	return atomicfile.Write(name, 0, func(w io.Writer) error {
		_, err := im.Write(w, opts)
		return err
	})
}

// build materializes the tree under tmp/ws and runs go-diskfs's Finalize.
func (im *ISOImage) build(tmp string) (*os.File, error) {
	ws := filepath.Join(tmp, "ws")
	if err := os.Mkdir(ws, 0o700); err != nil {
		return nil, err
	}
	var werr error
	im.walkNodes(func(p string, nd *isoNode) {
		if werr != nil || nd.catalog {
			return
		}
		dst := filepath.Join(ws, filepath.FromSlash(p))
		if nd.dir {
			werr = os.MkdirAll(dst, 0o700)
			return
		}
		werr = copyOut(dst, nd.open(im.r), nd.size)
	})
	if werr != nil {
		return nil, werr
	}
	et, err := im.elTorito(ws)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(tmp, "iso-")
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	fsys, err := iso9660.Create(file.New(f, false), 0, 0, isoBlock, ws)
	if err != nil {
		return nil, fmt.Errorf("ramdisk: go-diskfs: %w", err)
	}
	err = fsys.Finalize(iso9660.FinalizeOptions{
		RockRidge: im.RockRidge,
		Joliet:    im.Joliet,
		// Deep directories are written in place: go-diskfs v1.9.4's Rock
		// Ridge relocation (rr_moved) produces a tree that xorriso and
		// 7-Zip cannot follow, while readers in use (Linux, Windows,
		// 7-Zip, xorriso) accept more than 8 levels.
		DeepDirectories:  true,
		ElTorito:         et,
		VolumeIdentifier: im.VolumeID,
	})
	if err != nil {
		return nil, fmt.Errorf("ramdisk: go-diskfs could not write the ISO: %w", err)
	}
	if err := padToVolumeSize(f); err != nil {
		return nil, err
	}
	if im.Joliet {
		if err := fixJolietDirs(f); err != nil {
			return nil, err
		}
	}
	if et != nil {
		if err := fixBootRecordPosition(f); err != nil {
			return nil, err
		}
	}
	ok = true
	return f, nil
}

func copyOut(dst string, r io.ReaderAt, size int64) error {
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.NewSectionReader(r, 0, size))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("ramdisk: %s: read %d of %d bytes: %w", dst, n, size, io.ErrUnexpectedEOF)
	}
	return err
}

// elTorito converts the boot entries to go-diskfs's form, writing images
// that are not files of the tree into the workspace as hidden files.
func (im *ISOImage) elTorito(ws string) (*iso9660.ElTorito, error) {
	if len(im.Boot) == 0 {
		return nil, nil
	}
	et := &iso9660.ElTorito{BootCatalog: "/" + im.BootCatalog, HideBootCatalog: im.BootCatalog == ""}
	if et.HideBootCatalog {
		et.BootCatalog = "/" + im.uniqueRootName("boot.catalog")
	} else if nd, _ := im.find(im.BootCatalog); nd != nil && !nd.catalog {
		return nil, fmt.Errorf("ramdisk: boot catalog path %q is a file of the tree: %w", im.BootCatalog, ErrInvalidArgument)
	}
	for i, b := range im.Boot {
		e := &iso9660.ElToritoEntry{
			Platform:    iso9660.Platform(b.Platform),
			Emulation:   iso9660.Emulation(b.Emulation),
			LoadSegment: b.LoadSegment,
			SystemType:  mbr.Type(b.SystemType),
			BootTable:   b.BootInfoTable,
		}
		switch {
		case b.Path != "":
			nd, _ := im.find(b.Path)
			if nd == nil || nd.dir {
				return nil, fmt.Errorf("ramdisk: boot entry %d names %q, which is not a file: %w", i+1, b.Path, ErrNotFound)
			}
			e.BootFile = "/" + b.Path
		case b.data != nil:
			name := im.uniqueRootName(fmt.Sprintf("boot-image-%d.img", i+1))
			if err := copyOut(filepath.Join(ws, name), b.data, b.size); err != nil {
				return nil, err
			}
			e.BootFile, e.HideBootFile = "/"+name, true
		default:
			return nil, fmt.Errorf("ramdisk: boot entry %d has no image: %w", i+1, ErrInvalidArgument)
		}
		e.SetLoadSize(b.LoadSectors)
		et.Entries = append(et.Entries, e)
	}
	return et, nil
}

func (im *ISOImage) uniqueRootName(base string) string {
	name := base
	for i := 2; im.root.child(name) != nil; i++ {
		name = fmt.Sprintf("%d-%s", i, base)
	}
	return name
}

// fixBootRecordPosition moves the El Torito boot record to sector 17, where
// the El Torito specification puts it and where BIOSes look for it.
// go-diskfs v1.9.4 writes the Joliet descriptor first, which pushes the boot
// record to sector 18. Volume descriptors do not refer to their own
// position, so reordering them is safe.
func fixBootRecordPosition(f *os.File) error {
	var vds [][]byte
	for i := range isoMaxVDs {
		b := make([]byte, isoBlock)
		if _, err := readFull(f, b, int64(isoVDStart+i)*isoBlock); err != nil {
			return err
		}
		vds = append(vds, b)
		if b[0] == 255 {
			break
		}
	}
	bi := slices.IndexFunc(vds, func(b []byte) bool { return b[0] == 0 })
	if bi <= 1 || vds[0][0] != 1 {
		return nil
	}
	boot := vds[bi]
	vds = slices.Delete(vds, bi, bi+1)
	vds = slices.Insert(vds, 1, boot)
	_, err := f.WriteAt(bytes.Join(vds, nil), isoVDStart*isoBlock)
	return err
}

// padToVolumeSize extends the file to the volume size the primary volume
// descriptor states: go-diskfs v1.9.4 writes the last path table without
// padding its block, leaving a file readers report as truncated.
func padToVolumeSize(f *os.File) error {
	var pvd [isoBlock]byte
	if _, err := readFull(f, pvd[:], isoVDStart*isoBlock); err != nil {
		return err
	}
	want := int64(le32(pvd[80:])) * isoBlock
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() < want {
		return f.Truncate(want)
	}
	return nil
}

// fixJolietDirs repairs go-diskfs v1.9.4's Joliet tree, whose records for
// subdirectories point at the ISO 9660 (primary) directory extents instead
// of the Joliet ones, so Joliet readers (Windows, 7-Zip) see 8.3 names
// decoded as UCS-2 below the root. go-diskfs lays out the primary
// directories and then the Joliet directories in the same order, each
// contiguously, so the k-th primary directory (by position) is the k-th
// Joliet directory; the records are rewritten with that mapping.
func fixJolietDirs(f *os.File) error {
	var pvd, svd []byte
	for i := range isoMaxVDs {
		b := make([]byte, isoBlock)
		if _, err := readFull(f, b, int64(isoVDStart+i)*isoBlock); err != nil {
			return err
		}
		if b[0] == 1 && pvd == nil {
			pvd = b
		}
		if b[0] == 2 && svd == nil && b[88] == '%' && b[89] == '/' {
			svd = b
		}
		if b[0] == 255 {
			break
		}
	}
	if pvd == nil || svd == nil {
		return nil
	}
	// The primary directories, in layout order.
	var primary []uint32
	seen := map[uint32]bool{}
	var walk func(loc, size uint32) error
	walk = func(loc, size uint32) error {
		if seen[loc] || len(seen) > 1<<20 {
			return nil
		}
		seen[loc] = true
		primary = append(primary, loc)
		return forEachISORecord(f, loc, size, func(rec []byte, _ int64) error {
			if rec[25]&0x02 != 0 {
				return walk(le32(rec[2:]), le32(rec[10:]))
			}
			return nil
		})
	}
	if err := walk(le32(pvd[156+2:]), le32(pvd[156+10:])); err != nil {
		return err
	}
	slices.Sort(primary)
	// The Joliet directories follow each other from the Joliet root.
	type dirExt struct{ loc, size uint32 }
	jol := make(map[uint32]dirExt, len(primary))
	loc := le32(svd[156+2:])
	for _, p := range primary {
		var rec [34]byte
		if _, err := readFull(f, rec[:], int64(loc)*isoBlock); err != nil {
			return err
		}
		size := le32(rec[10:])
		jol[p] = dirExt{loc, size}
		loc += (size + isoBlock - 1) / isoBlock
	}
	for _, d := range jol {
		err := forEachISORecord(f, d.loc, d.size, func(rec []byte, off int64) error {
			if rec[25]&0x02 == 0 {
				return nil
			}
			j, ok := jol[le32(rec[2:])]
			if !ok {
				return nil
			}
			var fix [16]byte
			binary.LittleEndian.PutUint32(fix[0:], j.loc)
			binary.BigEndian.PutUint32(fix[4:], j.loc)
			binary.LittleEndian.PutUint32(fix[8:], j.size)
			binary.BigEndian.PutUint32(fix[12:], j.size)
			_, err := f.WriteAt(fix[:], off+2)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// forEachISORecord calls fn for every record of a directory extent other
// than "." and "..", with the record's absolute offset. It is used on
// images go-diskfs has just written, so records are trusted to be sane but
// still bounds-checked.
func forEachISORecord(f io.ReaderAt, loc, size uint32, fn func(rec []byte, off int64) error) error {
	if size > 16<<20 {
		return fmt.Errorf("ramdisk: directory of %d bytes in the written ISO: %w", size, ErrLimit)
	}
	// Read whole blocks: go-diskfs v1.9.4 can record a directory size that
	// ends before its last record when Rock Ridge entries are long.
	buf := make([]byte, (int64(size)+isoBlock-1)/isoBlock*isoBlock)
	base := int64(loc) * isoBlock
	if _, err := readFull(f, buf, base); err != nil {
		return err
	}
	for i := 0; i < len(buf); {
		l := int(buf[i])
		if l == 0 {
			i = (i/isoBlock + 1) * isoBlock
			continue
		}
		if l < 34 || i+l > len(buf) || 33+int(buf[i+32]) > l {
			return fmt.Errorf("ramdisk: bad record in the written ISO at %d: %w", base+int64(i), ErrFormat)
		}
		rec := buf[i : i+l]
		if !(rec[32] == 1 && (rec[33] == 0 || rec[33] == 1)) {
			if err := fn(rec, base+int64(i)); err != nil {
				return err
			}
		}
		i += l
	}
	return nil
}

// ------------------------------------------------------------------ io/fs

// Open implements fs.FS.
func (im *ISOImage) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	nd, _ := im.find(name)
	if nd == nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	info := statInfo{name: path.Base(name), size: nd.size, dir: nd.dir, mod: nd.mod}
	if nd.dir {
		ents, err := im.ReadDir(name)
		if err != nil {
			return nil, err
		}
		return &openDir{info: info, entries: ents}, nil
	}
	return &openFile{SectionReader: io.NewSectionReader(nd.open(im.r), 0, nd.size), info: info}, nil
}

// ReadDir implements fs.ReadDirFS.
func (im *ISOImage) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	nd, _ := im.find(name)
	if nd == nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	if !nd.dir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	out := make([]fs.DirEntry, 0, len(nd.children))
	for _, c := range nd.children {
		out = append(out, fs.FileInfoToDirEntry(statInfo{name: c.name, size: c.size, dir: c.dir, mod: c.mod}))
	}
	sortDirEntries(out)
	return out, nil
}

// ElToritoReport renders the boot entries in the layout of
// "xorriso -report_el_torito plain" (the image lines, without LBA).
func (im *ISOImage) ElToritoReport() string {
	var sb strings.Builder
	for i, b := range im.Boot {
		pl := map[byte]string{PlatformBIOS: "BIOS", PlatformPPC: "PPC", PlatformMac: "Mac", PlatformEFI: "UEFI"}[b.Platform]
		if pl == "" {
			pl = fmt.Sprintf("0x%02x", b.Platform)
		}
		em := map[byte]string{EmulationNone: "none", EmulationFloppy12: "fd1.2", EmulationFloppy14: "fd1.4", EmulationFloppy28: "fd2.8", EmulationHardDisk: "hd"}[b.Emulation]
		boot := map[bool]string{true: "y", false: "n"}[b.Bootable]
		fmt.Fprintf(&sb, "%d %s %s %s 0x%04x 0x%02x %d\n", i+1, pl, boot, em, b.LoadSegment, b.SystemType, b.LoadSectors)
	}
	return sb.String()
}
