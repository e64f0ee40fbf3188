package peimage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/saferwall/pe"
	pelog "github.com/saferwall/pe/log"
)

// Layout constants of the PE format (Microsoft "PE Format", sections
// "MS-DOS Stub", "Signature", "COFF File Header", "Optional Header").
const (
	dosHeaderSize   = 0x40
	offElfanew      = 0x3c // e_lfanew in the DOS header
	coffHeaderSize  = 20
	sectionHdrSize  = 40
	ntSignatureSize = 4

	// Offsets inside the optional header.
	optOffCheckSum     = 64 // PE32 and PE32+
	optOffNumRvaPE32   = 92
	optOffNumRvaPE32P  = 108
	optOffDataDirPE32  = 96
	optOffDataDirPE32P = 112
	dataDirEntrySize   = 8
	dirCertificate     = 4 // IMAGE_DIRECTORY_ENTRY_SECURITY

	magicPE32     = 0x10b
	magicPE32Plus = 0x20b
)

// Format is the optional-header format.
type Format uint16

const (
	PE32     Format = magicPE32     // 32-bit optional header
	PE32Plus Format = magicPE32Plus // 64-bit optional header ("PE32+")
)

func (f Format) String() string {
	switch f {
	case PE32:
		return "PE32"
	case PE32Plus:
		return "PE32+"
	}
	return fmt.Sprintf("Format(%#x)", uint16(f))
}

// Machine is the COFF machine type. Unknown values are kept and print as hex.
type Machine uint16

// Machine types from the PE format specification.
const (
	MachineUnknown     Machine = 0x0
	MachineI386        Machine = 0x14c
	MachineARM         Machine = 0x1c0
	MachineARMNT       Machine = 0x1c4
	MachineIA64        Machine = 0x200
	MachineEBC         Machine = 0xebc
	MachineRISCV64     Machine = 0x5064
	MachineLoongArch64 Machine = 0x6264
	MachineAMD64       Machine = 0x8664
	MachineARM64       Machine = 0xaa64
)

var machineNames = map[Machine]string{
	MachineUnknown: "unknown", MachineI386: "i386", MachineARM: "ARM", MachineARMNT: "ARM Thumb-2",
	MachineIA64: "IA-64", MachineEBC: "EFI byte code", MachineRISCV64: "RISC-V 64",
	MachineLoongArch64: "LoongArch64", MachineAMD64: "AMD64", MachineARM64: "ARM64",
}

func (m Machine) String() string {
	if s, ok := machineNames[m]; ok {
		return s
	}
	return fmt.Sprintf("Machine(%#x)", uint16(m))
}

// Subsystem is the optional-header subsystem. Unknown values are kept and
// print as hex.
type Subsystem uint16

// Subsystems from the PE format specification.
const (
	SubsystemUnknown                Subsystem = 0
	SubsystemNative                 Subsystem = 1
	SubsystemWindowsGUI             Subsystem = 2
	SubsystemWindowsCUI             Subsystem = 3
	SubsystemOS2CUI                 Subsystem = 5
	SubsystemPOSIXCUI               Subsystem = 7
	SubsystemNativeWindows          Subsystem = 8
	SubsystemWindowsCEGUI           Subsystem = 9
	SubsystemEFIApplication         Subsystem = 10
	SubsystemEFIBootServiceDriver   Subsystem = 11
	SubsystemEFIRuntimeDriver       Subsystem = 12
	SubsystemEFIROM                 Subsystem = 13
	SubsystemXbox                   Subsystem = 14
	SubsystemWindowsBootApplication Subsystem = 16
)

var subsystemNames = map[Subsystem]string{
	SubsystemUnknown: "unknown", SubsystemNative: "native", SubsystemWindowsGUI: "Windows GUI",
	SubsystemWindowsCUI: "Windows console", SubsystemOS2CUI: "OS/2 console", SubsystemPOSIXCUI: "POSIX console",
	SubsystemNativeWindows: "native Win9x driver", SubsystemWindowsCEGUI: "Windows CE",
	SubsystemEFIApplication: "EFI application", SubsystemEFIBootServiceDriver: "EFI boot service driver",
	SubsystemEFIRuntimeDriver: "EFI runtime driver", SubsystemEFIROM: "EFI ROM", SubsystemXbox: "Xbox",
	SubsystemWindowsBootApplication: "Windows boot application",
}

func (s Subsystem) String() string {
	if n, ok := subsystemNames[s]; ok {
		return n
	}
	return fmt.Sprintf("Subsystem(%#x)", uint16(s))
}

// Section is one entry of the section table.
type Section struct {
	Name            string // NUL padding removed
	VirtualAddress  uint32
	VirtualSize     uint32
	Offset          int64 // PointerToRawData
	Size            int64 // SizeOfRawData
	Characteristics uint32
}

// raw returns the section's file range, cut at the end of the file.
func (s Section) raw(fileSize int64) Range {
	off := min(s.Offset, fileSize)
	return Range{off, min(s.Size, fileSize-off)}
}

// Headers describes a PE image: what the PE header parser found, plus the
// file offsets this package patches.
type Headers struct {
	NTOffset        int64 // e_lfanew: file offset of "PE\0\0"
	Format          Format
	Machine         Machine
	Characteristics uint16
	Subsystem       Subsystem
	ImageBase       uint64
	SizeOfImage     uint32
	SizeOfHeaders   uint32
	FileAlignment   uint32

	// ChecksumOffset is the file offset of OptionalHeader.CheckSum
	// (e_lfanew + 88); it need not be 4-byte aligned.
	ChecksumOffset int64

	// NumberOfRvaAndSizes is the count of data directories present.
	NumberOfRvaAndSizes uint32

	// CertDirOffset is the file offset of data directory 4 (the certificate
	// table entry), or -1 when the optional header has fewer than 5
	// directories.
	CertDirOffset int64

	// CertTable is data directory 4: a file offset (not an RVA) and size.
	// Size 0 means the file is not signed.
	CertTable Range

	// Sections in the order the parser returns them (by virtual address).
	Sections []Section

	// COFFSymbols is the COFF symbol table and the string table after it
	// (deprecated in images, but GNU toolchains write them, for example in
	// EFI binaries), or a zero Range when absent or out of bounds.
	COFFSymbols Range

	// Overlay is everything after the last byte of the headers and section
	// data, as pefile and saferwall/pe define it; it includes a certificate
	// table at the end of the file. Size 0 when there is none.
	Overlay Range
}

// discardLogger silences saferwall/pe, whose default logger prints to stdout.
type discardLogger struct{}

func (discardLogger) Log(pelog.Level, ...any) error { return nil }

// parseHeaders checks the header layout itself (so that failures carry
// offsets and sentinels) and then reads the fields through saferwall/pe.
func parseHeaders(b []byte, lim Limits) (*Headers, []Warning, error) {
	size := int64(len(b))
	if size < dosHeaderSize {
		return nil, nil, formatErr(0, "DOS header", ErrTruncated, "file has %d bytes, the DOS header needs %d", size, dosHeaderSize)
	}
	nt := int64(binary.LittleEndian.Uint32(b[offElfanew:]))
	if nt < 4 || nt > size-ntSignatureSize {
		return nil, nil, formatErr(offElfanew, "DOS header", ErrFormat, "e_lfanew %#x points outside the file (size %#x)", nt, size)
	}
	if string(b[nt:nt+ntSignatureSize]) != "PE\x00\x00" {
		return nil, nil, formatErr(nt, "NT headers", ErrFormat, "signature % x is not PE\\0\\0 (Options.Raw patches a non-PE MZ file as raw bytes)", b[nt:nt+ntSignatureSize])
	}
	coff := nt + ntSignatureSize
	opt := coff + coffHeaderSize
	if opt+2 > size {
		return nil, nil, formatErr(coff, "COFF header", ErrTruncated, "file ends at %#x inside the COFF header", size)
	}
	nsec := int64(binary.LittleEndian.Uint16(b[coff+2:]))
	optSize := int64(binary.LittleEndian.Uint16(b[coff+16:]))
	if nsec > int64(lim.MaxSections) {
		return nil, nil, formatErr(coff+2, "COFF header", ErrLimit, "NumberOfSections %d exceeds Limits.MaxSections (%d)", nsec, lim.MaxSections)
	}
	magic := binary.LittleEndian.Uint16(b[opt:])
	var numRvaOff, dirOff int64
	switch magic {
	case magicPE32:
		numRvaOff, dirOff = optOffNumRvaPE32, optOffDataDirPE32
	case magicPE32Plus:
		numRvaOff, dirOff = optOffNumRvaPE32P, optOffDataDirPE32P
	default:
		return nil, nil, formatErr(opt, "optional header", ErrFormat, "magic %#x is neither PE32 (0x10b) nor PE32+ (0x20b)", magic)
	}
	if optSize < numRvaOff+4 {
		return nil, nil, formatErr(coff+16, "COFF header", ErrFormat, "SizeOfOptionalHeader %d is too small for a %s optional header", optSize, Format(magic))
	}
	secTable := opt + optSize
	if end := secTable + nsec*sectionHdrSize; end > size {
		return nil, nil, formatErr(secTable, "section table", ErrTruncated, "%d section headers need %d bytes up to %#x, the file ends at %#x", nsec, nsec*sectionHdrSize, end, size)
	}
	h := &Headers{NTOffset: nt, Format: Format(magic), ChecksumOffset: opt + optOffCheckSum, CertDirOffset: -1}
	h.NumberOfRvaAndSizes = binary.LittleEndian.Uint32(b[opt+numRvaOff:])
	var warns []Warning
	if certDir := opt + dirOff + dirCertificate*dataDirEntrySize; h.NumberOfRvaAndSizes > dirCertificate && certDir+dataDirEntrySize <= secTable {
		h.CertDirOffset = certDir
		off := int64(binary.LittleEndian.Uint32(b[certDir:]))
		n := int64(binary.LittleEndian.Uint32(b[certDir+4:]))
		switch {
		case n == 0 && off != 0:
			warns = append(warns, Warning{certDir, fmt.Sprintf("certificate table directory has offset %#x but size 0; treated as unsigned", off)})
		case n != 0 && (off+n > size || off < secTable+nsec*sectionHdrSize):
			return nil, nil, formatErr(certDir, "certificate table directory", ErrFormat, "table [%#x, %#x) lies outside the file body [%#x, %#x)", off, off+n, secTable+nsec*sectionHdrSize, size)
		case n != 0:
			h.CertTable = Range{off, n}
			if off+n != size {
				warns = append(warns, Warning{off, "certificate table does not end at the end of the file (Windows has required that since MS12-024)"})
			}
		}
	}

	f, err := parseWithSaferwall(b, nt)
	if err != nil {
		return nil, nil, err
	}
	h.Machine = Machine(f.NtHeader.FileHeader.Machine)
	h.Characteristics = uint16(f.NtHeader.FileHeader.Characteristics)
	switch oh := f.NtHeader.OptionalHeader.(type) {
	case pe.ImageOptionalHeader32:
		h.Subsystem, h.ImageBase, h.SizeOfImage = Subsystem(oh.Subsystem), uint64(oh.ImageBase), oh.SizeOfImage
		h.SizeOfHeaders, h.FileAlignment = oh.SizeOfHeaders, oh.FileAlignment
	case pe.ImageOptionalHeader64:
		h.Subsystem, h.ImageBase, h.SizeOfImage = Subsystem(oh.Subsystem), oh.ImageBase, oh.SizeOfImage
		h.SizeOfHeaders, h.FileAlignment = oh.SizeOfHeaders, oh.FileAlignment
	default:
		return nil, nil, formatErr(opt, "optional header", ErrFormat, "PE header parser returned no optional header")
	}
	h.Sections = make([]Section, 0, len(f.Sections))
	for _, s := range f.Sections {
		sh := s.Header
		h.Sections = append(h.Sections, Section{
			Name:           sectionName(b, coff, sh.Name),
			VirtualAddress: sh.VirtualAddress, VirtualSize: sh.VirtualSize,
			Offset: int64(sh.PointerToRawData), Size: int64(sh.SizeOfRawData),
			Characteristics: sh.Characteristics,
		})
	}
	if len(h.Sections) != int(nsec) {
		warns = append(warns, Warning{secTable, fmt.Sprintf("the PE header parser kept %d of %d section headers (it drops implausible ones)", len(h.Sections), nsec)})
	}
	h.COFFSymbols = coffSymbols(b, coff)
	end := min(max(f.OverlayOffset, int64(h.SizeOfHeaders)), size)
	if end < size {
		h.Overlay = Range{end, size - end}
	}
	return h, warns, nil
}

// coffSymbolSize is the size of one COFF symbol record.
const coffSymbolSize = 18

// coffSymbols locates the COFF symbol table and string table.
func coffSymbols(b []byte, coff int64) Range {
	size := int64(len(b))
	symtab := int64(binary.LittleEndian.Uint32(b[coff+8:]))
	strtab := symtab + int64(binary.LittleEndian.Uint32(b[coff+12:]))*coffSymbolSize
	if symtab == 0 || strtab+4 > size {
		return Range{}
	}
	end := strtab + int64(binary.LittleEndian.Uint32(b[strtab:])) // the size includes its own 4 bytes
	if end < strtab+4 || end > size {
		end = strtab
	}
	return Range{symtab, end - symtab}
}

// maxLongSectionName bounds a section name read from the COFF string table.
const maxLongSectionName = 256

// sectionName returns a section's name. A name of the form "/N" (which GNU
// linkers write for names longer than 8 bytes) is looked up at offset N of
// the COFF string table, as debug/pe does; if that fails the raw name is
// returned.
func sectionName(b []byte, coff int64, raw [8]byte) string {
	name := strings.TrimRight(string(raw[:]), "\x00")
	if len(name) < 2 || name[0] != '/' {
		return name
	}
	n, err := strconv.ParseUint(name[1:], 10, 32)
	symtab := int64(binary.LittleEndian.Uint32(b[coff+8:]))
	nsym := int64(binary.LittleEndian.Uint32(b[coff+12:]))
	if err != nil || symtab == 0 {
		return name
	}
	off := symtab + nsym*coffSymbolSize + int64(n)
	if off < 0 || off >= int64(len(b)) {
		return name
	}
	s := b[off:min(int64(len(b)), off+maxLongSectionName)]
	end := bytes.IndexByte(s, 0)
	if end <= 0 {
		return name
	}
	return string(s[:end])
}

// parseWithSaferwall runs the dependency's header parser (headers and
// sections only; no data directories, certificates or signatures). The
// recover converts a panic inside the dependency on malformed input into an
// error; it guards only that call, never this package's own code.
func parseWithSaferwall(b []byte, nt int64) (f *pe.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, formatErr(nt, "PE headers", ErrParserPanic, "github.com/saferwall/pe panicked: %v", r)
		}
	}()
	f, err = pe.NewBytes(b, &pe.Options{
		Fast:                       true, // headers and section table only
		DisableCertValidation:      true,
		DisableSignatureValidation: true,
		MaxCOFFSymbolsCount:        1, // do not parse COFF symbol tables
		Logger:                     discardLogger{},
	})
	if err != nil {
		return nil, formatErr(nt, "PE headers", ErrFormat, "github.com/saferwall/pe: %v", err)
	}
	if err := f.Parse(); err != nil {
		return nil, formatErr(nt, "PE headers", ErrFormat, "github.com/saferwall/pe: %v", err)
	}
	return f, nil
}

// sectionAt returns the index of the section whose raw data holds off, or -1.
func (h *Headers) sectionAt(off, fileSize int64) int {
	for i, s := range h.Sections {
		if s.raw(fileSize).Contains(off) {
			return i
		}
	}
	return -1
}
