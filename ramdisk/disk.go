package ramdisk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/diskfs/go-diskfs/filesystem"
	"github.com/diskfs/go-diskfs/filesystem/fat12"
	"github.com/diskfs/go-diskfs/filesystem/fat16"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
	"github.com/diskfs/go-diskfs/partition/mbr"

	"github.com/winbootkit/winbootkit/internal/atomicfile"
)

// File is a file to put into a disk image.
type File struct {
	Path string      // slash-separated path in the image, e.g. "sources/boot.wim"
	Data io.ReaderAt // the content, read when the image is written
	Size int64       // bytes of Data to use
}

// FileBytes returns a File holding b (not copied).
func FileBytes(p string, b []byte) File {
	return File{Path: p, Data: bytes.NewReader(b), Size: int64(len(b))}
}

// DiskOptions configures BuildDisk. A nil pointer means defaults; the struct
// is copied, never written.
type DiskOptions struct {
	// Size is the whole image size in bytes, a multiple of 512. Zero picks
	// the smallest size that holds the files with about 5% to spare,
	// rounded up to whole cylinders.
	Size int64
	// FAT is FAT32 or FAT16. Zero means FAT32, or FAT16 when the partition
	// is too small for the 65,525 clusters FAT32 needs (below about 33 MiB).
	FAT FATType
	// PartitionStart is the first sector of the partition. Default 2048
	// (1 MiB); 63 gives the classic layout (RDIMAGEOFFSET 32256).
	PartitionStart uint32
	// Geometry is the BIOS geometry written into the partition entry's CHS
	// fields and the BPB. Default DefaultGeometry of the image size. The
	// partition ends on a cylinder boundary, so loaders that infer the
	// geometry from the partition table (memdisk) find this one.
	Geometry Geometry
	// Label is the volume label (up to 11 characters). Default "WINPE".
	Label string
	// MBRCode is the boot code for bytes 0-439 of the MBR: up to 440 bytes
	// (syslinux's mbr.bin is exactly 440), or a whole 512-byte sector of
	// which bytes 0-439 are used. Default: a stub that calls INT 18h (the
	// BIOS then tries the next boot device).
	MBRCode []byte
	// DiskSignature is the 32-bit MBR disk signature at offset 440. Default:
	// derived from the volume ID (never 0).
	DiskSignature uint32
	// VBRCode is boot code for the partition's boot sector: up to 420 bytes
	// (FAT32, placed at 0x5A) or 448 bytes (FAT16, at 0x3E), or a whole
	// 512-byte boot sector whose jump instruction and boot-code area are
	// used (its BPB is ignored). Default: the INT 18h stub.
	VBRCode []byte
	// VolumeID is the FAT volume serial number. Default: a hash of the file
	// list and ModTime, so equal inputs give equal images.
	VolumeID uint32
	// ModTime is the timestamp of every directory entry. Default time.Now().
	ModTime time.Time
}

// bootStub is the default boot code: INT 18h ("boot failure": the BIOS
// tries the next device), then HLT in a loop.
var bootStub = []byte{0xCD, 0x18, 0xF4, 0xEB, 0xFD}

// DiskImage is a raw disk image with an MBR and one FAT partition (or an
// unpartitioned FAT volume). It is built in memory by BuildDisk or opened
// from an existing image by OpenDisk; edits (AddFile, ReplaceFile, Remove,
// Mkdir) go through go-diskfs, with the fixes described in doc.go, and are
// kept in memory until WriteTo or Save writes the whole image once. File
// contents are read from their sources only then.
//
// A DiskImage implements io/fs.FS (paths without a leading slash), so
// fs.WalkDir and fs.ReadFile work on it.
type DiskImage struct {
	// ModTime is the timestamp of entries created by later edits; the zero
	// value means time.Now().
	ModTime  time.Time
	Warnings []Warning

	ov          *overlay
	part        Partition // the FAT volume's partition (StartLBA 0 when unpartitioned)
	partitioned bool
	vol         *fatVolume
	gfs         fatFS // go-diskfs, opened on the first edit
	lim         Limits
	edited      bool // changed since opened (a built image counts as edited)
	dirty       bool // derived fields (FSInfo) need refreshing
	closer      io.Closer
}

var _ io.WriterTo = (*DiskImage)(nil)

// fatFS is the part of go-diskfs's FAT file systems we use.
type fatFS interface {
	OpenFile(p string, flag int) (filesystem.File, error)
	Mkdir(p string) error
	Remove(p string) error
}

type diskRanger interface {
	GetDiskRanges() ([]fat12.DiskRange, error)
}

// OpenOptions configures OpenDisk. A nil pointer means defaults.
type OpenOptions struct {
	Limits Limits
}

// OpenDiskFile opens the disk image at path. Close releases the file; the
// image reads from it until then (Save may write over the same path).
func OpenDiskFile(name string, opts *OpenOptions) (*DiskImage, error) {
	d, f, err := openBacking(name, func(r io.ReaderAt, size int64) (*DiskImage, error) { return OpenDisk(r, size, opts) })
	if err != nil {
		return nil, err
	}
	d.closer = f
	return d, nil
}

// Close releases the file opened by OpenDiskFile (a no-op otherwise).
func (d *DiskImage) Close() error { return closeOnce(&d.closer) }

// openBacking opens the file name and reads it with open. On success the file
// stays open for the result to read from (its Close must close it); on
// failure it is closed.
func openBacking[T any](name string, open func(r io.ReaderAt, size int64) (T, error)) (T, *os.File, error) {
	var zero T
	f, err := os.Open(name)
	if err != nil {
		return zero, nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		var v T
		if v, err = open(f, fi.Size()); err == nil {
			return v, f, nil
		}
	}
	f.Close()
	return zero, nil, err
}

// closeOnce closes *c, if set, and clears it, so a second Close is a no-op.
func closeOnce(c *io.Closer) error {
	if *c == nil {
		return nil
	}
	err := (*c).Close()
	*c = nil
	return err
}

// OpenDisk opens a disk image of the given size read from r: an MBR whose
// first partition holds FAT12/16/32, or an unpartitioned FAT volume. The
// whole directory tree and every cluster chain is checked first (errors wrap
// ErrFormat or ErrLimit); an NTFS partition gives ErrNTFS. r must stay
// valid while the image is used: unchanged bytes are read from it when the
// image is written.
func OpenDisk(r io.ReaderAt, size int64, opts *OpenOptions) (*DiskImage, error) {
	lim := DefaultLimits
	if opts != nil {
		lim = opts.Limits.withDefaults()
	}
	if size < SectorSize || size%SectorSize != 0 {
		return nil, formatErr(0, "disk image", ErrFormat, "size %d is not a positive multiple of 512", size)
	}
	var sec [SectorSize]byte
	if _, err := readFull(r, sec[:], 0); err != nil {
		return nil, formatErr(0, "disk image", ErrFormat, "reading sector 0: %v", err)
	}
	d := &DiskImage{ov: newOverlay(r, size), lim: lim}
	if _, err := ParseBPB(sec[:], size); err == nil || errors.Is(err, ErrNTFS) {
		if err != nil {
			return nil, err
		}
		d.part = Partition{Sectors: uint32(min(size/SectorSize, 1<<32-1))}
	} else {
		m, err := ParseMBR(sec[:], size)
		if err != nil {
			return nil, err
		}
		if len(m.Partitions) == 0 {
			return nil, formatErr(mbrTableOff, "mbr", ErrNotFound, "the partition table is empty")
		}
		d.part, d.partitioned = m.Partitions[0], true
		if isExtendedType(d.part.Type) {
			return nil, formatErr(mbrTableOff, "mbr partition entry", ErrUnsupported, "the first partition is an extended partition (type %#02x)", d.part.Type)
		}
	}
	v, err := openFATVolume(d.ov, d.part.Offset(), d.part.Size(), lim)
	if err != nil {
		return nil, err
	}
	d.vol = v
	if v.fatsDiffer {
		d.warn(v.fatOffset(1), "the two FATs differ; the image can be read but not edited")
	}
	if d.partitioned && int64(v.bpb.HiddenSectors) != int64(d.part.StartLBA) {
		d.warn(d.part.Offset()+0x1C, "BPB hidden sectors %d differ from the partition start %d", v.bpb.HiddenSectors, d.part.StartLBA)
	}
	if err := v.walk(true, d.warn, func(walkEntry) error { return nil }); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *DiskImage) warn(off int64, format string, args ...any) {
	d.Warnings = append(d.Warnings, Warning{Offset: off, Msg: fmt.Sprintf(format, args...)})
}

// Size is the image size in bytes.
func (d *DiskImage) Size() int64 { return d.ov.size }

// Partition returns the partition holding the FAT volume (Index 0 and
// StartLBA 0 for an unpartitioned image).
func (d *DiskImage) Partition() Partition { return d.part }

// ImageOffset is the RDIMAGEOFFSET for the image: the byte offset of its
// FAT volume.
func (d *DiskImage) ImageOffset() uint64 { return uint64(d.part.Offset()) }

// BPB returns the parsed boot sector of the FAT volume.
func (d *DiskImage) BPB() BPB { return *d.vol.bpb }

// MBR parses the image's current MBR (nil for an unpartitioned image).
func (d *DiskImage) MBR() (*MBR, error) {
	if !d.partitioned {
		return nil, nil
	}
	var sec [SectorSize]byte
	if _, err := readFull(d.ov, sec[:], 0); err != nil {
		return nil, err
	}
	return ParseMBR(sec[:], d.ov.size)
}

// FreeBytes is the free space in the FAT volume.
func (d *DiskImage) FreeBytes() int64 {
	return int64(d.vol.freeClusters()) * d.vol.bpb.ClusterSize()
}

func (v *fatVolume) freeClusters() uint32 {
	var n uint32
	for c := uint32(2); c <= v.maxCluster(); c++ {
		if v.next(c) == 0 {
			n++
		}
	}
	return n
}

// firstFree is the lowest free cluster (0 if none), for the FSInfo hint.
func (v *fatVolume) firstFree() uint32 {
	for c := uint32(2); c <= v.maxCluster(); c++ {
		if v.next(c) == 0 {
			return c
		}
	}
	return 0
}

// ---------------------------------------------------------------- building

// BuildDisk builds a disk image holding files: an MBR with one active FAT32
// (or FAT16) partition, real CHS values, and a BPB whose hidden sectors and
// geometry match the partition. Parent directories are created as needed.
// Nothing is written until WriteTo or Save.
func BuildDisk(files []File, opts *DiskOptions) (*DiskImage, error) {
	var o DiskOptions
	if opts != nil {
		o = *opts
	}
	if o.PartitionStart == 0 {
		o.PartitionStart = 2048
	}
	if o.Label == "" {
		o.Label = "WINPE"
	}
	if o.ModTime.IsZero() {
		o.ModTime = time.Now()
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	norm, err := normalizeFiles(files)
	if err != nil {
		return nil, err
	}
	if o.VolumeID == 0 {
		o.VolumeID = deriveID(norm, o.ModTime)
	}
	if o.DiskSignature == 0 {
		o.DiskSignature = o.VolumeID*2654435761 | 1
	}
	if o.Size != 0 {
		return buildDisk(norm, &o, o.Size)
	}
	size := estimateSize(norm, &o)
	for range 64 {
		d, err := buildDisk(norm, &o, size)
		if !errors.Is(err, ErrNoSpace) {
			return d, err
		}
		size = roundCylinders(size+size/8, o.Geometry)
	}
	return nil, fmt.Errorf("ramdisk: no image size found that holds the files: %w", ErrNoSpace)
}

func (o *DiskOptions) check() error {
	switch {
	case o.Size < 0 || o.Size%SectorSize != 0:
		return fmt.Errorf("ramdisk: image size %d is not a multiple of 512: %w", o.Size, ErrInvalidArgument)
	case o.Size > 2<<40:
		return fmt.Errorf("ramdisk: image size %d exceeds the 2 TiB an MBR can address: %w", o.Size, ErrInvalidArgument)
	case o.FAT != 0 && o.FAT != FAT16 && o.FAT != FAT32:
		return fmt.Errorf("ramdisk: %v cannot be built (FAT16 or FAT32): %w", o.FAT, ErrInvalidArgument)
	case o.Geometry != (Geometry{}) && !o.Geometry.valid():
		return fmt.Errorf("ramdisk: geometry %d heads × %d sectors is outside 1-255 × 1-63: %w", o.Geometry.Heads, o.Geometry.SectorsPerTrack, ErrInvalidArgument)
	case len(o.MBRCode) > mbrCodeSize && len(o.MBRCode) != SectorSize:
		return fmt.Errorf("ramdisk: MBR code of %d bytes (want at most 440, or a 512-byte sector): %w", len(o.MBRCode), ErrInvalidArgument)
	case len(o.VBRCode) > 448 && len(o.VBRCode) != SectorSize:
		return fmt.Errorf("ramdisk: VBR code of %d bytes (want at most 420/448, or a 512-byte sector): %w", len(o.VBRCode), ErrInvalidArgument)
	case len(o.Label) > 11:
		return fmt.Errorf("ramdisk: volume label %q is longer than 11 characters: %w", o.Label, ErrInvalidArgument)
	}
	for _, c := range []byte(o.Label) {
		if c < 0x20 || c > 0x7E || strings.IndexByte(`"*+,./:;<=>?[\]|`, c) >= 0 {
			return fmt.Errorf("ramdisk: volume label %q has a character FAT forbids: %w", o.Label, ErrInvalidArgument)
		}
	}
	return nil
}

// normalizeFiles cleans the paths and rejects duplicates (FAT names are
// case-insensitive) and a file used as a directory.
func normalizeFiles(files []File) ([]File, error) {
	out := make([]File, len(files))
	seen := map[string]bool{}
	for i, f := range files {
		p, err := cleanPath(f.Path)
		if err != nil {
			return nil, err
		}
		if f.Size < 0 || f.Size > 0xFFFFFFFF {
			return nil, &PathError{Op: "add", Path: f.Path, Err: fmt.Errorf("size %d is outside 0..4 GiB-1, the FAT limit: %w", f.Size, ErrInvalidArgument)}
		}
		if f.Data == nil && f.Size > 0 {
			return nil, &PathError{Op: "add", Path: f.Path, Err: fmt.Errorf("no data: %w", ErrInvalidArgument)}
		}
		k := strings.ToUpper(p)
		if seen[k] {
			return nil, &PathError{Op: "add", Path: f.Path, Err: ErrExist}
		}
		seen[k] = true
		out[i] = File{Path: p, Data: f.Data, Size: f.Size}
	}
	for _, f := range out {
		for dir := path.Dir(f.Path); dir != "."; dir = path.Dir(dir) {
			if seen[strings.ToUpper(dir)] && fileNamed(out, dir) {
				return nil, &PathError{Op: "add", Path: f.Path, Err: fmt.Errorf("%s is a file: %w", dir, ErrExist)}
			}
		}
	}
	return out, nil
}

func fileNamed(files []File, p string) bool {
	for _, f := range files {
		if strings.EqualFold(f.Path, p) {
			return true
		}
	}
	return false
}

// cleanPath checks a path inside the image and returns it without a leading
// slash. Backslashes are accepted as separators.
func cleanPath(p string) (string, error) {
	q := strings.Trim(strings.ReplaceAll(p, `\`, "/"), "/")
	if q == "" {
		return "", &PathError{Op: "path", Path: p, Err: fmt.Errorf("empty path: %w", ErrInvalidArgument)}
	}
	for _, c := range strings.Split(q, "/") {
		if err := checkName(c); err != nil {
			return "", &PathError{Op: "path", Path: p, Err: err}
		}
	}
	return q, nil
}

// checkName validates one path component against FAT's rules and against
// what go-diskfs v1.9.4 writes correctly.
func checkName(c string) error {
	switch {
	case c == "" || c == "." || c == "..":
		return fmt.Errorf("empty, . or .. component: %w", ErrInvalidArgument)
	case len(c) > 255:
		return fmt.Errorf("component longer than 255 characters: %w", ErrInvalidArgument)
	case strings.HasSuffix(c, ".") || strings.HasSuffix(c, " "):
		return fmt.Errorf("component %q ends with a dot or space, which Windows strips: %w", c, ErrInvalidArgument)
	case c[0] == '.' || c[0] == ' ':
		// go-diskfs v1.9.4 derives an empty 8.3 name from a name that starts
		// with a dot (fixed upstream after v1.9.4, go-diskfs PR #419).
		return fmt.Errorf("component %q starts with a dot or space (go-diskfs v1.9.4 writes a broken 8.3 name): %w", c, ErrUnsupported)
	}
	for _, r := range c {
		switch {
		case r < 0x20 || r == 0x7F || strings.ContainsRune(`"*/:<>?\|`, r):
			return fmt.Errorf("component %q has the character %q, which FAT forbids: %w", c, r, ErrInvalidArgument)
		case r > 0x7E:
			// go-diskfs v1.9.4 sizes long-name slots by bytes, not UTF-16
			// units, and truncates runes above U+FFFF.
			return fmt.Errorf("component %q is not ASCII (go-diskfs v1.9.4 writes wrong long-name entries for it): %w", c, ErrUnsupported)
		}
	}
	return nil
}

func deriveID(files []File, t time.Time) uint32 {
	h := fnv.New32a()
	fmt.Fprintf(h, "winbootkit %d", t.Unix())
	for _, f := range files {
		fmt.Fprintf(h, "\x00%s\x00%d", f.Path, f.Size)
	}
	if v := h.Sum32(); v != 0 {
		return v
	}
	return 1
}

// estimateSize guesses an image size that holds the files: their data
// rounded to 4 KiB, directory space, FATs, the partition gap, 5% spare.
func estimateSize(files []File, o *DiskOptions) int64 {
	var data int64
	dirs := map[string]bool{}
	for _, f := range files {
		data += (f.Size + 4095) &^ 4095
		for dir := path.Dir(f.Path); dir != "."; dir = path.Dir(dir) {
			dirs[dir] = true
		}
	}
	data += int64(len(dirs)+len(files)+1) * 4096
	size := int64(o.PartitionStart)*SectorSize + data + data/20 + data/64 + 2<<20
	return roundCylinders(max(size, 8<<20), o.Geometry)
}

// roundCylinders rounds size up to whole cylinders of the geometry that
// will be used for it.
func roundCylinders(size int64, g Geometry) int64 {
	if g == (Geometry{}) {
		g = DefaultGeometry((size + SectorSize - 1) / SectorSize)
	}
	cyl := int64(g.Heads) * int64(g.SectorsPerTrack) * SectorSize
	return (size + cyl - 1) / cyl * cyl
}

func buildDisk(files []File, o *DiskOptions, size int64) (*DiskImage, error) {
	sectors := size / SectorSize
	g := o.Geometry
	if g == (Geometry{}) {
		g = DefaultGeometry(sectors)
	}
	spc := int64(g.Heads) * int64(g.SectorsPerTrack)
	start := int64(o.PartitionStart)
	end := sectors / spc * spc // the partition ends on a cylinder boundary
	if end <= start {
		end = sectors
	}
	if end <= start || end-start > 1<<32-1 {
		return nil, fmt.Errorf("ramdisk: no room for a partition from sector %d in %d sectors: %w", start, sectors, ErrNoSpace)
	}
	d := &DiskImage{
		ModTime:     o.ModTime,
		lim:         DefaultLimits,
		partitioned: true,
		part:        Partition{Index: 1, Active: true, StartLBA: uint32(start), Sectors: uint32(end - start)},
	}
	typ, err := d.format(o, size)
	if err != nil {
		return nil, err
	}
	d.part.Type = typ.partitionType()
	d.part.StartCHS, d.part.EndCHS = g.CHS(uint64(start)), g.CHS(uint64(end-1))
	if err := d.writeMBR(o); err != nil {
		return nil, err
	}
	if err := d.patchVBR(o, typ, g); err != nil {
		return nil, err
	}
	if d.vol, err = openFATVolume(d.ov, d.part.Offset(), d.part.Size(), d.lim); err != nil {
		return nil, fmt.Errorf("ramdisk: go-diskfs made a volume we cannot read: %w", err)
	}
	if err := d.fixRootTimes(); err != nil {
		return nil, err
	}
	if typ != FAT32 && d.vol.next(2) != 0 {
		// go-diskfs v1.9.4 marks cluster 2 as the root directory's even on
		// FAT12/16, whose root has its own region (fsck.fat: "Reclaimed 1
		// unused cluster").
		if err := d.setFAT(2, 0); err != nil {
			return nil, err
		}
		if err := d.reloadFS(); err != nil {
			return nil, err
		}
	}
	if err := d.checkSpace(files); err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := d.put(f.Path, f.Data, f.Size, false); err != nil {
			return nil, err
		}
	}
	d.edited, d.dirty = true, true
	return d, nil
}

// format creates the file system with go-diskfs and returns its FAT type.
func (d *DiskImage) format(o *DiskOptions, size int64) (FATType, error) {
	psize, pstart := d.part.Size(), d.part.Offset()
	try := func(t FATType) (FATType, error) {
		d.ov = newOverlay(nil, size)
		var err error
		switch t {
		case FAT32:
			var f *fat32.FileSystem
			f, err = fat32.Create(d.ov, psize, pstart, SectorSize, o.Label, true)
			d.gfs = f
		default:
			if psize > fat12.Fat16MaxSize {
				return 0, fmt.Errorf("ramdisk: a %d-byte partition is too large for FAT16: %w", psize, ErrInvalidArgument)
			}
			var f *fat16.FileSystem
			f, err = fat16.Create(d.ov, psize, pstart, SectorSize, o.Label, true)
			d.gfs = f
		}
		if err != nil {
			return 0, fmt.Errorf("ramdisk: go-diskfs could not create %v on %d bytes: %w", t, psize, ErrNoSpace)
		}
		var bs [SectorSize]byte
		if _, err := readFull(d.ov, bs[:], pstart); err != nil {
			return 0, err
		}
		b, err := ParseBPB(bs[:], psize)
		if err != nil && t == FAT32 {
			// A FAT32 BPB with fewer than 65,525 clusters reads as FAT16
			// without a root directory.
			return 0, fmt.Errorf("ramdisk: a %d-byte partition has too few clusters for FAT32 (65,525 needed): %w", psize, ErrNoSpace)
		}
		if err != nil {
			return 0, fmt.Errorf("ramdisk: go-diskfs wrote a boot sector we cannot parse: %w", err)
		}
		return b.Type, nil
	}
	switch o.FAT {
	case FAT16:
		t, err := try(FAT16)
		if err == nil && t != FAT16 {
			err = fmt.Errorf("ramdisk: a %d-byte partition is too small for FAT16: %w", psize, ErrNoSpace)
		}
		return t, err
	case FAT32:
		t, err := try(FAT32)
		if err == nil && t != FAT32 {
			err = fmt.Errorf("ramdisk: a %d-byte partition has too few clusters for FAT32 (65,525 needed): %w", psize, ErrNoSpace)
		}
		return t, err
	}
	if psize <= fat32.Fat32MaxSize {
		if t, err := try(FAT32); err == nil && t == FAT32 {
			return t, nil
		}
	}
	if psize < 4<<20+256<<10 {
		return 0, fmt.Errorf("ramdisk: a %d-byte partition is too small for FAT16: %w", psize, ErrNoSpace)
	}
	t, err := try(FAT16)
	if err == nil && t != FAT16 {
		err = fmt.Errorf("ramdisk: a %d-byte partition is too small for FAT16: %w", psize, ErrNoSpace)
	}
	return t, err
}

// writeMBR writes the partition table (through go-diskfs, which writes bytes
// 446-511 only), then the boot code and disk signature, which go-diskfs has
// no API for.
func (d *DiskImage) writeMBR(o *DiskOptions) error {
	p := d.part
	var sc, ec [3]byte
	p.StartCHS.encode(sc[:])
	p.EndCHS.encode(ec[:])
	t := &mbr.Table{LogicalSectorSize: SectorSize, PhysicalSectorSize: SectorSize, Partitions: []*mbr.Partition{{
		Index: 1, Bootable: true, Type: mbr.Type(p.Type), Start: p.StartLBA, Size: p.Sectors,
		StartHead: sc[0], StartSector: sc[1], StartCylinder: sc[2],
		EndHead: ec[0], EndSector: ec[1], EndCylinder: ec[2],
	}}}
	if err := t.Write(d.ov, d.ov.size); err != nil {
		return err
	}
	code := o.MBRCode
	if len(code) == SectorSize {
		code = code[:mbrCodeSize]
	}
	if len(code) == 0 {
		code = bootStub
	}
	var area [mbrCodeSize + 4]byte
	copy(area[:], code)
	binary.LittleEndian.PutUint32(area[mbrSignatureOff:], o.DiskSignature)
	_, err := d.ov.WriteAt(area[:], 0)
	return err
}

// patchVBR fixes what go-diskfs writes into the boot sector (zero hidden
// sectors, geometry 1/1 for FAT32, no boot code, volume ID 0 in
// reproducible mode) in the primary and, for FAT32, the backup boot sector.
func (d *DiskImage) patchVBR(o *DiskOptions, t FATType, g Geometry) error {
	sectors := []int64{0}
	if t == FAT32 {
		sectors = append(sectors, 6)
	}
	for _, s := range sectors {
		off := d.part.Offset() + s*SectorSize
		var bs bootSector
		if _, err := readFull(d.ov, bs[:], off); err != nil {
			return err
		}
		copy(bs.oemName(), "MSWIN4.1")
		binary.LittleEndian.PutUint16(bs.sectorsPerTrack(), uint16(g.SectorsPerTrack))
		binary.LittleEndian.PutUint16(bs.heads(), uint16(g.Heads))
		binary.LittleEndian.PutUint32(bs.hiddenSectors(), d.part.StartLBA)
		*bs.driveNumber(t) = 0x80
		*bs.extSignature(t) = 0x29
		binary.LittleEndian.PutUint32(bs.volumeID(t), o.VolumeID)
		area := bs.bootCodeArea(t)
		clear(area)
		switch code := o.VBRCode; {
		case len(code) == SectorSize:
			copy(bs.jump(), code[:3])
			copy(area, code[len(bs)-2-len(area):len(bs)-2])
		case len(code) > len(area):
			return fmt.Errorf("ramdisk: VBR code of %d bytes does not fit the %d-byte %v boot code area: %w", len(code), len(area), t, ErrInvalidArgument)
		case len(code) > 0:
			copy(area, code)
		default:
			copy(area, bootStub)
		}
		if _, err := d.ov.WriteAt(bs[:], off); err != nil {
			return err
		}
	}
	return nil
}

// checkSpace fails early with ErrNoSpace when the files cannot fit, so
// go-diskfs never runs out of clusters: its allocator would then use FAT
// entries past the last data cluster.
func (d *DiskImage) checkSpace(files []File) error {
	cs := d.vol.bpb.ClusterSize()
	var need int64
	dirs := map[string]bool{}
	for _, f := range files {
		need += max(1, (f.Size+cs-1)/cs)
		for dir := path.Dir(f.Path); dir != "."; dir = path.Dir(dir) {
			dirs[strings.ToUpper(dir)] = true
		}
	}
	// Directory entries: up to 21 slots of 32 bytes per name.
	need += int64(len(dirs)) + (int64(len(files)+len(dirs))*21*dirEntrySize+cs-1)/cs + 1
	if free := int64(d.vol.freeClusters()); need > free {
		return fmt.Errorf("ramdisk: the files need about %d clusters of %d bytes, the volume has %d free: %w", need, cs, free, ErrNoSpace)
	}
	return nil
}

// ----------------------------------------------------------------- editing

// AddFile adds a file of size bytes read from r (when the image is
// written). Missing parent directories are created. It fails with ErrExist
// if the path exists.
func (d *DiskImage) AddFile(name string, r io.ReaderAt, size int64) error {
	return d.atomically(func() error { return d.put(name, r, size, false) })
}

// ReplaceFile replaces an existing file's content with size bytes read from
// r. It fails with ErrNotFound if the file does not exist.
func (d *DiskImage) ReplaceFile(name string, r io.ReaderAt, size int64) error {
	return d.atomically(func() error { return d.put(name, r, size, true) })
}

// Mkdir creates a directory and any missing parents.
func (d *DiskImage) Mkdir(name string) error {
	p, err := cleanPath(name)
	if err != nil {
		return err
	}
	if err := d.ensureFS(); err != nil {
		return err
	}
	return d.atomically(func() error { return d.mkdirAll(p) })
}

// Remove removes a file or an empty directory and frees its clusters.
func (d *DiskImage) Remove(name string) error {
	p, err := cleanPath(name)
	if err != nil {
		return err
	}
	e, _, err := d.vol.lookup(p)
	if err != nil {
		return &PathError{Op: "remove", Path: name, Err: err}
	}
	if err := d.ensureFS(); err != nil {
		return err
	}
	return d.atomically(func() error { return d.remove(p, e) })
}

// atomically runs one edit; if it fails part-way (go-diskfs or a fix-up
// returning an error after some bytes changed), every byte, fill and FAT
// entry goes back to what it was, so a failed edit leaves the image as it
// was before the call.
func (d *DiskImage) atomically(edit func() error) error {
	fills := slices.Clone(d.ov.fills)
	edited, dirty := d.edited, d.dirty
	d.ov.journal = map[int64]*[ovChunk]byte{}
	err := edit()
	journal := d.ov.journal
	d.ov.journal = nil
	if err == nil {
		return nil
	}
	for ci, old := range journal {
		if old == nil {
			delete(d.ov.chunks, ci)
		} else {
			d.ov.chunks[ci] = old
		}
	}
	d.ov.fills, d.edited, d.dirty = fills, edited, dirty
	if lerr := d.vol.loadFAT(); lerr != nil {
		return errors.Join(err, lerr)
	}
	if d.gfs != nil {
		if rerr := d.reloadFS(); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}

func (d *DiskImage) put(name string, r io.ReaderAt, size int64, replace bool) error {
	op := "add"
	if replace {
		op = "replace"
	}
	p, err := cleanPath(name)
	if err != nil {
		return err
	}
	if size < 0 || size > 0xFFFFFFFF {
		return &PathError{Op: op, Path: name, Err: fmt.Errorf("size %d is outside 0..4 GiB-1, the FAT limit: %w", size, ErrInvalidArgument)}
	}
	if r == nil && size > 0 {
		return &PathError{Op: op, Path: name, Err: fmt.Errorf("no data: %w", ErrInvalidArgument)}
	}
	if err := d.ensureFS(); err != nil {
		return err
	}
	e, _, err := d.vol.lookup(p)
	switch {
	case err == nil && e.isDir():
		return &PathError{Op: op, Path: name, Err: fmt.Errorf("is a directory: %w", ErrExist)}
	case err == nil && !replace:
		return &PathError{Op: op, Path: name, Err: ErrExist}
	case errors.Is(err, ErrNotFound) && replace:
		return &PathError{Op: op, Path: name, Err: ErrNotFound}
	case err != nil && !errors.Is(err, ErrNotFound):
		return &PathError{Op: op, Path: name, Err: err}
	}
	// Check the space before changing anything, counting the clusters a
	// replaced file gives back and one for directory growth.
	cs := d.vol.bpb.ClusterSize()
	free := int64(d.vol.freeClusters())
	if e != nil && e.cluster != 0 {
		old, err := d.vol.chain(e.cluster, nil)
		if err != nil {
			return err
		}
		free += int64(len(old))
	}
	missing := int64(strings.Count(p, "/")) // parent directories, at most
	if need := max(1, (size+cs-1)/cs) + 1 + missing; need > free {
		return &PathError{Op: op, Path: name, Err: fmt.Errorf("%d bytes need %d clusters, %d are free: %w", size, need, free, ErrNoSpace)}
	}
	if e != nil {
		if err := d.remove(p, e); err != nil {
			return err
		}
	}
	if err := d.mkdirAll(path.Dir(p)); err != nil {
		return err
	}
	f, err := d.gfs.OpenFile(p, os.O_CREATE|os.O_RDWR)
	if err != nil {
		return &PathError{Op: op, Path: name, Err: fmt.Errorf("go-diskfs: %w", err)}
	}
	defer f.Close()
	d.edited, d.dirty = true, true
	if size > 0 {
		// Let go-diskfs allocate the whole chain by writing the last byte
		// only; the content is streamed from r at write time (see overlay).
		if _, err := f.Seek(size-1, io.SeekStart); err != nil {
			return &PathError{Op: op, Path: name, Err: err}
		}
		if _, err := f.Write([]byte{0}); err != nil {
			return &PathError{Op: op, Path: name, Err: fmt.Errorf("go-diskfs: %w", err)}
		}
	}
	var ranges []fat12.DiskRange
	if dr, ok := f.(diskRanger); ok && size > 0 {
		if ranges, err = dr.GetDiskRanges(); err != nil {
			return &PathError{Op: op, Path: name, Err: fmt.Errorf("go-diskfs: %w", err)}
		}
	}
	if err := d.vol.loadFAT(); err != nil {
		return err
	}
	e, parent, err := d.vol.lookup(p)
	if err != nil {
		return &PathError{Op: op, Path: name, Err: fmt.Errorf("go-diskfs did not create it: %w", err)}
	}
	var fileOff int64
	for _, rg := range ranges {
		n := int64(rg.Length)
		d.ov.addFill(fill{off: d.part.Offset() + int64(rg.Offset), n: n, src: r, srcN: max(0, min(n, size-fileOff)), srcOff: fileOff, owner: e.cluster})
		fileOff += n
	}
	if fileOff < size {
		return &PathError{Op: op, Path: name, Err: fmt.Errorf("go-diskfs allocated %d bytes for %d: %w", fileOff, size, ErrFormat)}
	}
	return d.fixEntry(e, parent, size == 0)
}

// mkdirAll creates the directory p and its missing parents, one level at a
// time, fixing what go-diskfs writes after each.
func (d *DiskImage) mkdirAll(p string) error {
	if p == "." || p == "" {
		return nil
	}
	parts := strings.Split(p, "/")
	for i := range parts {
		cur := strings.Join(parts[:i+1], "/")
		e, _, err := d.vol.lookup(cur)
		if err == nil {
			if !e.isDir() {
				return &PathError{Op: "mkdir", Path: cur, Err: fmt.Errorf("a file is in the way: %w", ErrExist)}
			}
			continue
		}
		if !errors.Is(err, ErrNotFound) {
			return &PathError{Op: "mkdir", Path: cur, Err: err}
		}
		if free := d.vol.freeClusters(); free < 2 {
			return &PathError{Op: "mkdir", Path: cur, Err: ErrNoSpace}
		}
		if err := d.gfs.Mkdir(cur); err != nil {
			return &PathError{Op: "mkdir", Path: cur, Err: fmt.Errorf("go-diskfs: %w", err)}
		}
		d.edited, d.dirty = true, true
		if err := d.vol.loadFAT(); err != nil {
			return err
		}
		e, parent, err := d.vol.lookup(cur)
		if err != nil {
			return &PathError{Op: "mkdir", Path: cur, Err: fmt.Errorf("go-diskfs did not create it: %w", err)}
		}
		if err := d.fixEntry(e, parent, false); err != nil {
			return err
		}
		if err := d.fixNewDir(e, i == 0); err != nil {
			return err
		}
	}
	return nil
}

func (d *DiskImage) remove(p string, e *fatDirent) error {
	if e.isDir() && e.cluster != 0 {
		sub, err := d.vol.readDir(e.cluster, false)
		if err != nil {
			return err
		}
		if len(sub.entries) > 0 {
			return &PathError{Op: "remove", Path: p, Err: fmt.Errorf("directory not empty: %w", ErrInvalidArgument)}
		}
	}
	var chain []uint32
	if e.cluster != 0 {
		var err error
		if chain, err = d.vol.chain(e.cluster, nil); err != nil {
			return err
		}
	}
	if err := d.gfs.Remove(p); err != nil {
		return &PathError{Op: "remove", Path: p, Err: fmt.Errorf("go-diskfs: %w", err)}
	}
	d.edited, d.dirty = true, true
	d.ov.dropFills(e.cluster)
	if err := d.vol.loadFAT(); err != nil {
		return err
	}
	// go-diskfs v1.9.4 removes the directory entry but leaves the file's
	// clusters allocated (fsck.fat reports them as lost); free them.
	return d.freeClusters(chain)
}

// ---------------------------------------------------------- go-diskfs fixes

// ensureFS opens the volume with go-diskfs for an edit.
func (d *DiskImage) ensureFS() error {
	if d.gfs != nil {
		return nil
	}
	if d.vol.bpb.NumFATs != 2 {
		return fmt.Errorf("ramdisk: editing a volume with %d FAT (go-diskfs writes two): %w", d.vol.bpb.NumFATs, ErrUnsupported)
	}
	if d.vol.fatsDiffer {
		return formatErr(d.vol.fatOffset(1), "fat", ErrFormat, "the two FATs differ; run fsck.fat before editing")
	}
	return d.reloadFS()
}

// reloadFS (re)opens go-diskfs on the current bytes. Needed after we change
// the FAT behind its back, since it keeps the FAT in memory.
func (d *DiskImage) reloadFS() error {
	var err error
	ps, po := d.part.Size(), d.part.Offset()
	switch d.vol.bpb.Type {
	case FAT32:
		var f *fat32.FileSystem
		f, err = fat32.Read(d.ov, ps, po, SectorSize)
		d.gfs = f
	case FAT16:
		var f *fat16.FileSystem
		f, err = fat16.Read(d.ov, ps, po, SectorSize)
		d.gfs = f
	default:
		var f *fat12.FileSystem
		f, err = fat12.Read(d.ov, ps, po, SectorSize)
		d.gfs = f
	}
	if err != nil {
		d.gfs = nil
		return fmt.Errorf("ramdisk: go-diskfs cannot open the %v volume for editing: %v: %w", d.vol.bpb.Type, err, ErrUnsupported)
	}
	return nil
}

// setFAT writes one FAT entry in every FAT copy.
func (d *DiskImage) setFAT(c, val uint32) error {
	v := d.vol
	var pos int64
	var b []byte
	switch v.bpb.Type {
	case FAT12:
		pos = int64(c + c/2)
		b = make([]byte, 2)
		copy(b, v.fat[pos:pos+2])
		x := binary.LittleEndian.Uint16(b)
		if c&1 != 0 {
			x = x&0x000F | uint16(val)<<4
		} else {
			x = x&0xF000 | uint16(val&0xFFF)
		}
		binary.LittleEndian.PutUint16(b, x)
	case FAT16:
		pos, b = int64(2*c), binary.LittleEndian.AppendUint16(nil, uint16(val))
	default:
		pos = int64(4 * c)
		old := binary.LittleEndian.Uint32(v.fat[pos:])
		b = binary.LittleEndian.AppendUint32(nil, old&0xF0000000|val&0x0FFFFFFF)
	}
	copy(v.fat[pos:], b)
	for i := range int(v.bpb.NumFATs) {
		if _, err := d.ov.WriteAt(b, v.fatOffset(i)+pos); err != nil {
			return err
		}
	}
	return nil
}

func (d *DiskImage) freeClusters(chain []uint32) error {
	if len(chain) == 0 {
		return nil
	}
	for _, c := range chain {
		if err := d.setFAT(c, 0); err != nil {
			return err
		}
	}
	return d.reloadFS()
}

func (d *DiskImage) modTime() time.Time {
	if d.ModTime.IsZero() {
		return time.Now()
	}
	return d.ModTime
}

// setEntryTimes sets the create, access and modify stamps of the 32-byte
// entry at off (go-diskfs writes the current UTC time).
func (d *DiskImage) setEntryTimes(off int64) error {
	var e [dirEntrySize]byte
	if _, err := readFull(d.ov, e[:], off); err != nil {
		return err
	}
	date, tod := encodeFATTime(d.modTime())
	e[13] = 0
	binary.LittleEndian.PutUint16(e[14:], tod)
	binary.LittleEndian.PutUint16(e[16:], date)
	binary.LittleEndian.PutUint16(e[18:], date)
	binary.LittleEndian.PutUint16(e[22:], tod)
	binary.LittleEndian.PutUint16(e[24:], date)
	_, err := d.ov.WriteAt(e[:], off)
	return err
}

// fixEntry repairs a directory entry go-diskfs just wrote: its timestamps,
// a zero-length file's cluster (go-diskfs v1.9.4 allocates one, which
// fsck.fat reports), and an 8.3 name that clashes with another entry's
// (go-diskfs only checks clashes for names it truncates).
func (d *DiskImage) fixEntry(e *fatDirent, parent *fatDir, zeroLength bool) error {
	if err := d.setEntryTimes(e.off); err != nil {
		return err
	}
	if zeroLength && e.cluster != 0 {
		chain, err := d.vol.chain(e.cluster, nil)
		if err != nil {
			return err
		}
		var z [2]byte
		if _, err := d.ov.WriteAt(z[:], e.off+20); err != nil {
			return err
		}
		if _, err := d.ov.WriteAt(z[:], e.off+26); err != nil {
			return err
		}
		if err := d.freeClusters(chain); err != nil {
			return err
		}
	}
	// Windows gives a name whose 8.3 form loses characters a numeric tail
	// (a+b.txt -> A_B~1.TXT); go-diskfs does so only for names it
	// truncates, so its A_B.TXT would also answer to the name a_b.txt.
	lossy := e.lfnOffs != nil && !strings.EqualFold(e.name, rawShortName(e.raw)) && !bytes.Contains(e.raw[:8], []byte("~"))
	taken := map[[11]byte]bool{}
	clash := false
	for _, o := range parent.entries {
		if o.off != e.off {
			taken[o.raw] = true
			clash = clash || o.raw == e.raw
		}
	}
	if !clash && !lossy {
		return nil
	}
	raw, ok := uniqueShort(e.raw, taken)
	if !ok {
		return fmt.Errorf("ramdisk: no free 8.3 name for %q: %w", e.name, ErrLimit)
	}
	if _, err := d.ov.WriteAt(raw[:], e.off); err != nil {
		return err
	}
	sum := []byte{lfnChecksum(raw[:])}
	for _, lo := range e.lfnOffs {
		if _, err := d.ov.WriteAt(sum, lo+13); err != nil {
			return err
		}
	}
	return nil
}

// rawShortName is the stored 8.3 name as NAME.EXT (no case flags).
func rawShortName(raw [11]byte) string {
	n := strings.TrimRight(string(raw[:8]), " ")
	if x := strings.TrimRight(string(raw[8:]), " "); x != "" {
		n += "." + x
	}
	return n
}

// uniqueShort returns raw with a numeric tail (NAME~N) not in taken.
func uniqueShort(raw [11]byte, taken map[[11]byte]bool) ([11]byte, bool) {
	stem := strings.TrimRight(string(raw[:8]), " ")
	if i := strings.IndexByte(stem, '~'); i > 0 {
		stem = stem[:i]
	}
	for n := 1; n < 1000000; n++ {
		tail := fmt.Sprintf("~%d", n)
		s := stem
		if len(s) > 8-len(tail) {
			s = s[:8-len(tail)]
		}
		var out [11]byte
		copy(out[:], fmt.Sprintf("%-8s", s+tail))
		copy(out[8:], raw[8:])
		if !taken[out] {
			return out, true
		}
	}
	return raw, false
}

// fixNewDir repairs the "." and ".." entries of a directory go-diskfs just
// created: their timestamps, and for a first-level directory of FAT32 the
// ".." cluster, which must be 0 (the root) but go-diskfs v1.9.4 sets to the
// root's cluster number (fsck.fat: "Invalid '..' entry"; fixed upstream
// in PR #70 in 2020 and broken again by the 1.9 FAT rewrite).
func (d *DiskImage) fixNewDir(e *fatDirent, firstLevel bool) error {
	off := d.vol.clusterOffset(e.cluster)
	for _, o := range []int64{off, off + dirEntrySize} {
		if err := d.setEntryTimes(o); err != nil {
			return err
		}
	}
	if firstLevel {
		var z [2]byte
		for _, f := range []int64{20, 26} {
			if _, err := d.ov.WriteAt(z[:], off+dirEntrySize+f); err != nil {
				return err
			}
		}
	}
	return nil
}

// fixRootTimes sets the time of the volume label entry go-diskfs writes.
func (d *DiskImage) fixRootTimes() error {
	regs, err := d.vol.dirRegions(d.vol.bpb.RootCluster, true)
	if err != nil {
		return err
	}
	var e [dirEntrySize]byte
	for _, rg := range regs {
		for off := rg[0]; off < rg[0]+rg[1]; off += dirEntrySize {
			if _, err := readFull(d.ov, e[:], off); err != nil {
				return err
			}
			if e[0] == 0 {
				return nil
			}
			if e[0] != 0xE5 && e[11]&0x3F != attrLFN && e[11]&attrVolumeID != 0 {
				if err := d.setEntryTimes(off); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// finalize brings derived fields up to date before the image is written:
// the FAT32 FSInfo free-cluster count and next-free hint (go-diskfs never
// updates them after creating the volume).
func (d *DiskImage) finalize() error {
	if !d.dirty || d.vol.bpb.Type != FAT32 {
		return nil
	}
	d.dirty = false
	v := d.vol
	var f [8]byte
	binary.LittleEndian.PutUint32(f[0:], v.freeClusters())
	next := v.firstFree()
	if next == 0 {
		next = 0xFFFFFFFF
	}
	binary.LittleEndian.PutUint32(f[4:], next)
	secs := []int64{int64(v.bpb.FSInfoSector)}
	if v.bpb.BackupBootSector != 0 {
		secs = append(secs, int64(v.bpb.BackupBootSector)+int64(v.bpb.FSInfoSector))
	}
	for _, s := range secs {
		off := v.base + s*SectorSize
		var sig [4]byte
		if _, err := readFull(d.ov, sig[:], off); err != nil {
			return err
		}
		if string(sig[:]) != "RRaA" {
			continue
		}
		if _, err := d.ov.WriteAt(f[:], off+488); err != nil {
			return err
		}
	}
	return nil
}

// ----------------------------------------------------------------- writing

// WriteTo writes the whole image to w. An image opened and not edited is
// copied byte for byte.
func (d *DiskImage) WriteTo(w io.Writer) (int64, error) { return d.Write(w, nil) }

// Write writes the whole image to w with options (progress, sparse output).
func (d *DiskImage) Write(w io.Writer, opts *WriteOptions) (int64, error) {
	if err := d.finalize(); err != nil {
		return 0, err
	}
	return d.ov.writeTo(w, opts)
}

// Save writes the image to path atomically, streaming it once through a
// temporary file that is renamed over path only when complete; on any error
// an existing file is unchanged. Runs of zeros become holes (a sparse file).
// Saving over the file the image was opened from is allowed.
func (d *DiskImage) Save(name string, opts *WriteOptions) error {
	var o WriteOptions
	if opts != nil {
		o = *opts
	}
	o.Sparse = true
	return atomicfile.Write(name, 0, func(w io.Writer) error {
		_, err := d.Write(w, &o)
		return err
	})
}

// ReadAt reads the image's current bytes (as WriteTo would write them).
func (d *DiskImage) ReadAt(p []byte, off int64) (int, error) {
	if err := d.finalize(); err != nil {
		return 0, err
	}
	return d.ov.ReadAt(p, off)
}

// Files lists every file and directory in the image, depth-first in
// directory order, with slash-separated paths.
func (d *DiskImage) Files() ([]FileInfo, error) {
	var out []FileInfo
	err := d.vol.walk(false, nil, func(w walkEntry) error {
		out = append(out, fileInfo(w.path, w.ent))
		return nil
	})
	return out, err
}

// FileInfo describes a file or directory in an image.
type FileInfo struct {
	Path      string // slash-separated, no leading slash
	ShortName string // the 8.3 name (FAT only)
	Size      int64
	Dir       bool
	ModTime   time.Time
	Attr      byte // FAT attributes (read-only 0x01, hidden 0x02, system 0x04, archive 0x20)
}

func fileInfo(p string, e *fatDirent) FileInfo {
	return FileInfo{Path: p, ShortName: e.short, Size: int64(e.size), Dir: e.isDir(), ModTime: e.mod, Attr: e.attr}
}
