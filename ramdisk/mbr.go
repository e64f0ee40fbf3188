package ramdisk

import (
	"encoding/binary"
	"fmt"
	"io"
)

// SectorSize is the only sector size this package reads and writes: BIOS
// INT 13h, memdisk and NTLDR's RAM disk all use 512-byte sectors.
const SectorSize = 512

// MBR layout.
const (
	mbrCodeSize       = 440 // bytes 0-439: boot code
	mbrSignatureOff   = 440 // 4-byte disk signature (Windows' disk ID)
	mbrTableOff       = 446 // four 16-byte partition entries
	mbrEntrySize      = 16
	bootSignatureOff  = 510 // 55 AA, also at the end of FAT boot sectors
	bootSignatureLow  = 0x55
	bootSignatureHigh = 0xAA
)

// mbrEntry is one 16-byte partition table entry.
type mbrEntry [mbrEntrySize]byte

func (e *mbrEntry) status() *byte       { return &e[0] } // 0x80 active
func (e *mbrEntry) startCHS() []byte    { return e[1:][:3] }
func (e *mbrEntry) typ() *byte          { return &e[4] }
func (e *mbrEntry) endCHS() []byte      { return e[5:][:3] }
func (e *mbrEntry) startLBA() []byte    { return e[8:][:4] }
func (e *mbrEntry) sectorCount() []byte { return e[12:][:4] }

// CHS is a cylinder/head/sector address as stored in a partition entry:
// sector 1-63, head 0-254, cylinder 0-1023.
type CHS struct {
	Cylinder uint16
	Head     uint8
	Sector   uint8
}

// decodeCHS reads the 3-byte packed form: head, sector | cylinder bits 8-9
// in bits 6-7, cylinder bits 0-7.
func decodeCHS(b []byte) CHS {
	return CHS{Head: b[0], Sector: b[1] & 0x3F, Cylinder: uint16(b[1]&0xC0)<<2 | uint16(b[2])}
}

func (c CHS) encode(b []byte) {
	b[0] = c.Head
	b[1] = c.Sector&0x3F | byte(c.Cylinder>>8)<<6
	b[2] = byte(c.Cylinder)
}

func (c CHS) String() string { return fmt.Sprintf("%d/%d/%d", c.Cylinder, c.Head, c.Sector) }

// Geometry is a BIOS disk geometry.
type Geometry struct {
	Heads           uint32 // 1-255
	SectorsPerTrack uint32 // 1-63
}

// DefaultGeometry returns the geometry the builder uses for a disk of the
// given number of sectors: 64 heads × 32 sectors (1 MiB cylinders, memdisk's
// own default) up to 1 GiB, 255 × 63 above.
func DefaultGeometry(sectors int64) Geometry {
	if sectors <= 2097152 {
		return Geometry{Heads: 64, SectorsPerTrack: 32}
	}
	return Geometry{Heads: 255, SectorsPerTrack: 63}
}

// CHS converts an LBA to a CHS address. Addresses past cylinder 1023 get the
// conventional "use LBA" value: cylinder 1023, the last head and sector.
func (g Geometry) CHS(lba uint64) CHS {
	spc := uint64(g.Heads) * uint64(g.SectorsPerTrack)
	c := lba / spc
	if c > 1023 {
		return CHS{Cylinder: 1023, Head: uint8(g.Heads - 1), Sector: uint8(g.SectorsPerTrack)}
	}
	return CHS{
		Cylinder: uint16(c),
		Head:     uint8(lba / uint64(g.SectorsPerTrack) % uint64(g.Heads)),
		Sector:   uint8(lba%uint64(g.SectorsPerTrack) + 1),
	}
}

func (g Geometry) valid() bool {
	return g.Heads >= 1 && g.Heads <= 255 && g.SectorsPerTrack >= 1 && g.SectorsPerTrack <= 63
}

// Partition is one entry of an MBR partition table.
type Partition struct {
	Index    int  // 1-4
	Active   bool // status 0x80
	Type     byte // MBR partition type (0x0C FAT32 LBA, 0x06 FAT16, 0x07 NTFS, ...)
	StartCHS CHS
	EndCHS   CHS
	StartLBA uint32
	Sectors  uint32
}

// Offset is the partition's byte offset in the disk (the RDIMAGEOFFSET of a
// disk image whose first partition this is).
func (p Partition) Offset() int64 { return int64(p.StartLBA) * SectorSize }

// Size is the partition's size in bytes.
func (p Partition) Size() int64 { return int64(p.Sectors) * SectorSize }

// MBR is a parsed master boot record.
type MBR struct {
	BootCode      [mbrCodeSize]byte
	DiskSignature uint32
	Partitions    []Partition // the non-empty entries, in table order
}

// ParseMBR parses the first sector of a disk image of diskSize bytes. It
// checks the 55 AA signature, the status bytes, and that every non-empty
// partition lies inside the image and overlaps no other; errors wrap
// ErrFormat. A protective GPT entry returns an error wrapping ErrUnsupported.
func ParseMBR(sector []byte, diskSize int64) (*MBR, error) {
	if len(sector) < SectorSize {
		return nil, formatErr(0, "mbr", ErrFormat, "need %d bytes, have %d", SectorSize, len(sector))
	}
	if sector[bootSignatureOff] != bootSignatureLow || sector[bootSignatureOff+1] != bootSignatureHigh {
		return nil, formatErr(bootSignatureOff, "mbr", ErrFormat, "no 55 AA boot signature (got %02x %02x)", sector[bootSignatureOff], sector[bootSignatureOff+1])
	}
	m := &MBR{DiskSignature: binary.LittleEndian.Uint32(sector[mbrSignatureOff:])}
	copy(m.BootCode[:], sector[:mbrCodeSize])
	diskSectors := uint64(diskSize) / SectorSize
	for i := range 4 {
		off := int64(mbrTableOff + i*mbrEntrySize)
		e := (*mbrEntry)(sector[off:][:mbrEntrySize])
		if *e.status() != 0 && *e.status() != 0x80 {
			return nil, formatErr(off, "mbr partition entry", ErrFormat, "entry %d has status %#02x, want 0x00 or 0x80", i+1, *e.status())
		}
		if *e.typ() == 0 {
			continue
		}
		p := Partition{
			Index:    i + 1,
			Active:   *e.status() == 0x80,
			Type:     *e.typ(),
			StartCHS: decodeCHS(e.startCHS()),
			EndCHS:   decodeCHS(e.endCHS()),
			StartLBA: binary.LittleEndian.Uint32(e.startLBA()),
			Sectors:  binary.LittleEndian.Uint32(e.sectorCount()),
		}
		if p.Type == 0xEE {
			return nil, formatErr(off, "mbr partition entry", ErrUnsupported, "protective MBR of a GPT disk")
		}
		if p.StartLBA == 0 || p.Sectors == 0 {
			return nil, formatErr(off, "mbr partition entry", ErrFormat, "entry %d starts at LBA %d with %d sectors", i+1, p.StartLBA, p.Sectors)
		}
		if end := uint64(p.StartLBA) + uint64(p.Sectors); end > diskSectors {
			return nil, formatErr(off, "mbr partition entry", ErrFormat, "entry %d ends at sector %d, past the %d sectors of the image", i+1, end, diskSectors)
		}
		for _, q := range m.Partitions {
			if uint64(p.StartLBA) < uint64(q.StartLBA)+uint64(q.Sectors) && uint64(q.StartLBA) < uint64(p.StartLBA)+uint64(p.Sectors) {
				return nil, formatErr(off, "mbr partition entry", ErrFormat, "entry %d overlaps entry %d", i+1, q.Index)
			}
		}
		m.Partitions = append(m.Partitions, p)
	}
	return m, nil
}

// isExtendedType reports the MBR types of extended (container) partitions.
func isExtendedType(t byte) bool { return t == 0x05 || t == 0x0F || t == 0x85 }

// ImageOffsetFromDisk returns the RDIMAGEOFFSET for a disk image: the byte
// offset of its first partition (32256 for the classic 63-sector gap, 1048576
// for a 1 MiB-aligned one). An unpartitioned FAT image (a boot sector at
// offset 0) gives 0.
func ImageOffsetFromDisk(r io.ReaderAt, size int64) (uint64, error) {
	var sec [SectorSize]byte
	if n, err := r.ReadAt(sec[:], 0); n < SectorSize {
		return 0, formatErr(0, "mbr", ErrFormat, "image shorter than one sector (%v)", err)
	}
	if _, err := ParseBPB(sec[:], size); err == nil {
		return 0, nil
	}
	m, err := ParseMBR(sec[:], size)
	if err != nil {
		return 0, err
	}
	if len(m.Partitions) == 0 {
		return 0, formatErr(mbrTableOff, "mbr", ErrNotFound, "the partition table is empty")
	}
	return uint64(m.Partitions[0].Offset()), nil
}
