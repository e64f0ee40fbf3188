package ramdisk

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// FATType is the FAT variant of a volume, decided by its cluster count as
// the Microsoft FAT specification prescribes.
type FATType int

// FAT variants.
const (
	FAT12 FATType = 12
	FAT16 FATType = 16
	FAT32 FATType = 32
)

func (t FATType) String() string {
	switch t {
	case FAT12, FAT16, FAT32:
		return fmt.Sprintf("FAT%d", int(t))
	}
	return fmt.Sprintf("FATType(%d)", int(t))
}

// MBR partition type for a new volume of this FAT type (LBA variants).
func (t FATType) partitionType() byte {
	switch t {
	case FAT12:
		return 0x01
	case FAT16:
		return 0x0E
	default:
		return 0x0C
	}
}

// Cluster-count boundaries from the Microsoft FAT specification.
const (
	maxFAT12Clusters = 4084
	maxFAT16Clusters = 65524
)

// bootSector is the first sector of a FAT volume. Accessors name the fields
// of the BPB (offsets from the Microsoft FAT specification); the FAT32 and
// FAT12/16 extended fields live at different offsets.
type bootSector [SectorSize]byte

func (b *bootSector) jump() []byte             { return b[0x00:][:3] }
func (b *bootSector) oemName() []byte          { return b[0x03:][:8] }
func (b *bootSector) bytesPerSector() []byte   { return b[0x0B:][:2] }
func (b *bootSector) sectorsPerCluster() *byte { return &b[0x0D] }
func (b *bootSector) reservedSectors() []byte  { return b[0x0E:][:2] }
func (b *bootSector) numFATs() *byte           { return &b[0x10] }
func (b *bootSector) rootEntries() []byte      { return b[0x11:][:2] }
func (b *bootSector) totalSectors16() []byte   { return b[0x13:][:2] }
func (b *bootSector) media() *byte             { return &b[0x15] }
func (b *bootSector) fatSize16() []byte        { return b[0x16:][:2] }
func (b *bootSector) sectorsPerTrack() []byte  { return b[0x18:][:2] }
func (b *bootSector) heads() []byte            { return b[0x1A:][:2] }
func (b *bootSector) hiddenSectors() []byte    { return b[0x1C:][:4] }
func (b *bootSector) totalSectors32() []byte   { return b[0x20:][:4] }
func (b *bootSector) fatSize32() []byte        { return b[0x24:][:4] } // FAT32
func (b *bootSector) fsVersion() []byte        { return b[0x2A:][:2] } // FAT32
func (b *bootSector) rootCluster() []byte      { return b[0x2C:][:4] } // FAT32
func (b *bootSector) fsInfoSector() []byte     { return b[0x30:][:2] } // FAT32
func (b *bootSector) backupBootSector() []byte { return b[0x32:][:2] } // FAT32
func (b *bootSector) signature() []byte        { return b[bootSignatureOff:][:2] }

// extOffset is where the extended BPB (drive number, signature 0x29, volume
// ID, label, type) starts: after the FAT32 fields, or right after the DOS
// 3.31 BPB for FAT12/16.
func extOffset(t FATType) int {
	if t == FAT32 {
		return 0x40
	}
	return 0x24
}

func (b *bootSector) driveNumber(t FATType) *byte  { return &b[extOffset(t)] }
func (b *bootSector) extSignature(t FATType) *byte { return &b[extOffset(t)+2] }
func (b *bootSector) volumeID(t FATType) []byte    { return b[extOffset(t)+3:][:4] }
func (b *bootSector) volumeLabel(t FATType) []byte { return b[extOffset(t)+7:][:11] }

// bootCodeArea is the part of the boot sector after the BPB that holds boot
// code: 0x5A-0x1FD for FAT32, 0x3E-0x1FD for FAT12/16.
func (b *bootSector) bootCodeArea(t FATType) []byte {
	if t == FAT32 {
		return b[0x5A:bootSignatureOff]
	}
	return b[0x3E:bootSignatureOff]
}

func le16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// BPB is the parsed BIOS parameter block of a FAT boot sector, with the
// layout values derived from it.
type BPB struct {
	OEMName           string
	BytesPerSector    uint16
	SectorsPerCluster uint8
	ReservedSectors   uint16
	NumFATs           uint8
	RootEntries       uint16
	Media             uint8
	SectorsPerTrack   uint16
	Heads             uint16
	HiddenSectors     uint32
	TotalSectors      uint32 // from the 16- or 32-bit field
	FATSize           uint32 // sectors per FAT, from the 16- or 32-bit field
	RootCluster       uint32 // FAT32
	FSInfoSector      uint16 // FAT32
	BackupBootSector  uint16 // FAT32
	DriveNumber       uint8
	VolumeID          uint32
	VolumeLabel       string

	Type            FATType
	RootDirSectors  uint32 // FAT12/16 fixed root directory
	FirstDataSector uint32
	ClusterCount    uint32 // data clusters, numbered 2 .. ClusterCount+1
}

// ClusterSize is the cluster size in bytes.
func (b *BPB) ClusterSize() int64 { return int64(b.SectorsPerCluster) * int64(b.BytesPerSector) }

// ParseBPB parses the boot sector of a FAT volume that has volumeSize bytes
// available (the partition size). It rejects anything that does not describe
// a consistent FAT12/16/32 layout inside the volume with an error wrapping
// ErrFormat; an NTFS boot sector gives ErrNTFS, exFAT and sector sizes other
// than 512 give ErrUnsupported.
func ParseBPB(sector []byte, volumeSize int64) (*BPB, error) {
	if len(sector) < SectorSize {
		return nil, formatErr(0, "boot sector", ErrFormat, "need %d bytes, have %d", SectorSize, len(sector))
	}
	bs := (*bootSector)(sector[:SectorSize])
	switch string(bs.oemName()) {
	case "NTFS    ":
		return nil, formatErr(3, "boot sector", ErrNTFS, "OEM name \"NTFS\"")
	case "EXFAT   ":
		return nil, formatErr(3, "boot sector", ErrUnsupported, "exFAT volume")
	}
	if !(bs.jump()[0] == 0xEB && bs.jump()[2] == 0x90) && bs.jump()[0] != 0xE9 {
		return nil, formatErr(0, "boot sector", ErrFormat, "no x86 jump instruction (got % x)", bs.jump())
	}
	if !bytes.Equal(bs.signature(), []byte{bootSignatureLow, bootSignatureHigh}) {
		return nil, formatErr(bootSignatureOff, "boot sector", ErrFormat, "no 55 AA signature")
	}
	b := &BPB{
		OEMName:           string(bytes.TrimRight(bs.oemName(), " \x00")),
		BytesPerSector:    le16(bs.bytesPerSector()),
		SectorsPerCluster: *bs.sectorsPerCluster(),
		ReservedSectors:   le16(bs.reservedSectors()),
		NumFATs:           *bs.numFATs(),
		RootEntries:       le16(bs.rootEntries()),
		Media:             *bs.media(),
		SectorsPerTrack:   le16(bs.sectorsPerTrack()),
		Heads:             le16(bs.heads()),
		HiddenSectors:     le32(bs.hiddenSectors()),
	}
	switch b.BytesPerSector {
	case 512:
	case 1024, 2048, 4096:
		return nil, formatErr(0x0B, "bpb", ErrUnsupported, "%d-byte sectors (only 512 is supported)", b.BytesPerSector)
	default:
		return nil, formatErr(0x0B, "bpb", ErrFormat, "bytes per sector %d", b.BytesPerSector)
	}
	if spc := b.SectorsPerCluster; spc == 0 || spc&(spc-1) != 0 {
		return nil, formatErr(0x0D, "bpb", ErrFormat, "sectors per cluster %d is not a power of two", spc)
	}
	if b.ReservedSectors == 0 {
		return nil, formatErr(0x0E, "bpb", ErrFormat, "no reserved sectors")
	}
	if b.NumFATs == 0 || b.NumFATs > 2 {
		return nil, formatErr(0x10, "bpb", ErrFormat, "%d FATs", b.NumFATs)
	}
	if b.Media != 0xF0 && b.Media < 0xF8 {
		return nil, formatErr(0x15, "bpb", ErrFormat, "media descriptor %#02x", b.Media)
	}
	ts16, ts32 := le16(bs.totalSectors16()), le32(bs.totalSectors32())
	b.TotalSectors = ts32
	if ts16 != 0 {
		b.TotalSectors = uint32(ts16)
	}
	if b.TotalSectors == 0 {
		return nil, formatErr(0x13, "bpb", ErrFormat, "total sector count is 0")
	}
	if int64(b.TotalSectors)*SectorSize > volumeSize {
		return nil, formatErr(0x20, "bpb", ErrFormat, "volume of %d sectors is larger than the %d bytes available", b.TotalSectors, volumeSize)
	}
	fat16Size := le16(bs.fatSize16())
	b.FATSize = uint32(fat16Size)
	if fat16Size == 0 {
		b.FATSize = le32(bs.fatSize32())
	}
	if b.FATSize == 0 {
		return nil, formatErr(0x16, "bpb", ErrFormat, "FAT size is 0")
	}
	if b.RootEntries%(SectorSize/32) != 0 {
		return nil, formatErr(0x11, "bpb", ErrFormat, "root entry count %d does not fill whole sectors", b.RootEntries)
	}
	b.RootDirSectors = uint32(b.RootEntries) * 32 / SectorSize
	first := uint64(b.ReservedSectors) + uint64(b.NumFATs)*uint64(b.FATSize) + uint64(b.RootDirSectors)
	if first >= uint64(b.TotalSectors) {
		return nil, formatErr(0x16, "bpb", ErrFormat, "reserved sectors, FATs and root directory (%d sectors) fill the %d-sector volume", first, b.TotalSectors)
	}
	b.FirstDataSector = uint32(first)
	b.ClusterCount = (b.TotalSectors - b.FirstDataSector) / uint32(b.SectorsPerCluster)
	switch {
	case b.ClusterCount == 0:
		return nil, formatErr(0x0D, "bpb", ErrFormat, "no data clusters")
	case b.ClusterCount <= maxFAT12Clusters:
		b.Type = FAT12
	case b.ClusterCount <= maxFAT16Clusters:
		b.Type = FAT16
	default:
		b.Type = FAT32
	}
	// The FAT must have an entry for every cluster (plus the two reserved).
	entries := uint64(b.FATSize) * SectorSize
	switch b.Type {
	case FAT12:
		entries = entries * 2 / 3
	case FAT16:
		entries /= 2
	case FAT32:
		entries /= 4
	}
	if entries < uint64(b.ClusterCount)+2 {
		return nil, formatErr(0x16, "bpb", ErrFormat, "a FAT of %d sectors cannot map %d clusters", b.FATSize, b.ClusterCount)
	}
	if b.Type == FAT32 {
		if b.RootEntries != 0 || fat16Size != 0 {
			return nil, formatErr(0x11, "bpb", ErrFormat, "FAT32 volume with a fixed root directory or a 16-bit FAT size")
		}
		if v := le16(bs.fsVersion()); v != 0 {
			return nil, formatErr(0x2A, "bpb", ErrUnsupported, "FAT32 version %#04x", v)
		}
		b.RootCluster = le32(bs.rootCluster())
		b.FSInfoSector = le16(bs.fsInfoSector())
		b.BackupBootSector = le16(bs.backupBootSector())
		if b.RootCluster < 2 || b.RootCluster > b.ClusterCount+1 {
			return nil, formatErr(0x2C, "bpb", ErrFormat, "root cluster %d outside 2..%d", b.RootCluster, b.ClusterCount+1)
		}
		if b.FSInfoSector >= b.ReservedSectors || b.BackupBootSector >= b.ReservedSectors {
			return nil, formatErr(0x30, "bpb", ErrFormat, "FSInfo sector %d or backup boot sector %d outside the %d reserved sectors", b.FSInfoSector, b.BackupBootSector, b.ReservedSectors)
		}
	} else if b.RootEntries == 0 {
		return nil, formatErr(0x11, "bpb", ErrFormat, "%s volume without a root directory", b.Type)
	}
	b.DriveNumber = *bs.driveNumber(b.Type)
	if sig := *bs.extSignature(b.Type); sig == 0x29 || sig == 0x28 {
		b.VolumeID = le32(bs.volumeID(b.Type))
		if sig == 0x29 {
			b.VolumeLabel = string(bytes.TrimRight(bs.volumeLabel(b.Type), " \x00"))
		}
	}
	return b, nil
}

// detectPartitionType names the MBR type matching the file system in a
// partition's first sector: 7 for NTFS, 0x0C/0x06/0x01 for FAT32/16/12, 0 if
// it is none of these.
func detectPartitionType(sector []byte) byte {
	if len(sector) >= 11 && string(sector[3:11]) == "NTFS    " {
		return 0x07
	}
	b, err := ParseBPB(sector, int64(1)<<41)
	if err != nil {
		return 0
	}
	switch b.Type {
	case FAT12:
		return 0x01
	case FAT16:
		return 0x06
	}
	return 0x0C
}
