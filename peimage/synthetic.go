package peimage

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrInvalidSpec reports a PESpec that BuildPE cannot lay out: a section
// name longer than 8 bytes, more sections than the loader accepts, a format
// or machine that do not go together.
var ErrInvalidSpec = errors.New("peimage: invalid PE spec")

// PESpec describes a small PE image for BuildPE: a stand-in for a boot
// file (bootmgr.exe, setupldr.exe, a driver) that holds the strings a
// recipe patches, for unit tests and demonstrations that must not ship
// Microsoft binaries. The zero value is a PE32 Windows boot application with
// one empty .data section.
type PESpec struct {
	// Format is PE32 (the default) or PE32Plus.
	Format Format

	// Machine is the COFF machine type. Default MachineI386 for PE32 and
	// MachineAMD64 for PE32+.
	Machine Machine

	// Subsystem is the optional-header subsystem. Default
	// SubsystemWindowsBootApplication, as bootmgr.exe and winload.exe have.
	Subsystem Subsystem

	// Sections are laid out in order: file offsets aligned to 512 bytes,
	// virtual addresses to 4096 bytes from 0x1000. At most 96 (the
	// loader's limit). None gives one empty ".data" section.
	Sections []SectionSpec

	// Certificate, when not nil, is appended as the certificate table: one
	// WIN_CERTIFICATE (revision 2.0, type PKCS#7 SignedData) holding these
	// bytes, 8-byte aligned, with data directory 4 pointing at it. It is not
	// a valid signature; the image merely looks signed to Image.Signed,
	// Image.Certificates and the signature policies of Replace.
	Certificate []byte

	// NoChecksum leaves the CheckSum field 0, as Go and many linkers
	// write it. By default the correct checksum is stored.
	NoChecksum bool
}

// SectionSpec is one section of a PESpec.
type SectionSpec struct {
	// Name is the section name, at most 8 bytes. Default ".data".
	Name string
	// Data is the section's raw data (its virtual size is len(Data)).
	Data []byte
	// Characteristics are the section flags. Default 0x40000040:
	// initialized data, readable.
	Characteristics uint32
}

// Layout constants of BuildPE.
const (
	synthNTOffset   = 0x40   // e_lfanew: the PE header right after the DOS header
	synthFileAlign  = 0x200  // FileAlignment
	synthSectAlign  = 0x1000 // SectionAlignment
	synthOptSize32  = 224    // optional header with 16 data directories, PE32
	synthOptSize64  = 240    // the same, PE32+
	synthSectHdr    = 40     // IMAGE_SECTION_HEADER
	synthDataRO     = 0x40000040
	synthCertHeader = 8 // WIN_CERTIFICATE without bCertificate
)

// BuildPE lays out the PE image spec describes and returns its bytes: a DOS
// header (no DOS stub program), the PE headers with 16 data directories
// and no entry point, the sections, and the optional certificate table.
// The result parses with Parse as KindPE and, unless NoChecksum is set,
// passes Image.VerifyChecksum. Equal specs give equal bytes (there is no
// time stamp).
func BuildPE(spec PESpec) ([]byte, error) {
	f := spec.Format
	if f == 0 {
		f = PE32
	}
	if f != PE32 && f != PE32Plus {
		return nil, fmt.Errorf("peimage: BuildPE: format %v: %w", f, ErrInvalidSpec)
	}
	m := spec.Machine
	if m == 0 {
		m = MachineI386
		if f == PE32Plus {
			m = MachineAMD64
		}
	}
	is64 := m == MachineAMD64 || m == MachineARM64 || m == MachineIA64 || m == MachineRISCV64 || m == MachineLoongArch64
	if is64 != (f == PE32Plus) {
		return nil, fmt.Errorf("peimage: BuildPE: machine %v with format %v: %w", m, f, ErrInvalidSpec)
	}
	sub := spec.Subsystem
	if sub == 0 {
		sub = SubsystemWindowsBootApplication
	}
	secs := spec.Sections
	if len(secs) == 0 {
		secs = []SectionSpec{{}}
	}
	if len(secs) > DefaultLimits.MaxSections {
		return nil, fmt.Errorf("peimage: BuildPE: %d sections, at most %d: %w", len(secs), DefaultLimits.MaxSections, ErrInvalidSpec)
	}
	for _, s := range secs {
		if len(s.Name) > 8 {
			return nil, fmt.Errorf("peimage: BuildPE: section name %q longer than 8 bytes: %w", s.Name, ErrInvalidSpec)
		}
	}

	optSize := synthOptSize32
	if f == PE32Plus {
		optSize = synthOptSize64
	}
	secTable := synthNTOffset + 4 + 20 + optSize
	headers := synthAlign(secTable+synthSectHdr*len(secs), synthFileAlign)

	// Place the sections.
	type placed struct {
		raw, rawSize, va, vsize int
	}
	pl := make([]placed, len(secs))
	fileEnd, va := headers, synthSectAlign
	var initData int
	for i, s := range secs {
		p := placed{va: va, vsize: len(s.Data), rawSize: synthAlign(len(s.Data), synthFileAlign)}
		if p.rawSize > 0 {
			p.raw = fileEnd
			fileEnd += p.rawSize
		}
		initData += p.rawSize
		va += synthAlign(max(len(s.Data), 1), synthSectAlign)
		pl[i] = p
	}
	size := fileEnd
	certOff := 0
	var certLen int
	if spec.Certificate != nil {
		certOff = synthAlign(fileEnd, 8)
		certLen = synthAlign(synthCertHeader+len(spec.Certificate), 8)
		size = certOff + certLen
	}
	if int64(size) > maxPESize {
		return nil, fmt.Errorf("peimage: BuildPE: %d bytes: %w", size, ErrInvalidSpec)
	}

	b := make([]byte, size)
	le16 := func(off, v int) { binary.LittleEndian.PutUint16(b[off:], uint16(v)) }
	le32 := func(off, v int) { binary.LittleEndian.PutUint32(b[off:], uint32(v)) }

	// DOS header: the signature, e_lfanew, and the header size in
	// paragraphs (e_cparhdr) that DOS tools expect.
	copy(b, "MZ")
	le16(0x08, 4)
	le32(0x3c, synthNTOffset)

	// COFF header.
	copy(b[synthNTOffset:], "PE\x00\x00")
	coff := synthNTOffset + 4
	le16(coff, int(m))
	le16(coff+2, len(secs))
	le16(coff+16, optSize)
	chars := 0x0002 // IMAGE_FILE_EXECUTABLE_IMAGE
	if f == PE32 {
		chars |= 0x0100 // IMAGE_FILE_32BIT_MACHINE
	} else {
		chars |= 0x0020 // IMAGE_FILE_LARGE_ADDRESS_AWARE
	}
	le16(coff+18, chars)

	// Optional header.
	opt := coff + 20
	le16(opt, int(f))
	le32(opt+8, initData)        // SizeOfInitializedData
	le32(opt+20, synthSectAlign) // BaseOfCode
	le32(opt+32, synthSectAlign) // SectionAlignment
	le32(opt+36, synthFileAlign) // FileAlignment
	le16(opt+40, 6)              // MajorOperatingSystemVersion
	le16(opt+48, 6)              // MajorSubsystemVersion
	le32(opt+56, va)             // SizeOfImage
	le32(opt+60, headers)        // SizeOfHeaders
	le16(opt+68, int(sub))       // Subsystem
	le16(opt+70, 0x0100|0x0040)  // DllCharacteristics: NX compatible, dynamic base
	var dirs int
	if f == PE32 {
		le32(opt+24, synthSectAlign) // BaseOfData
		le32(opt+28, 0x400000)       // ImageBase
		le32(opt+72, 0x100000)       // SizeOfStackReserve
		le32(opt+76, 0x1000)         // SizeOfStackCommit
		le32(opt+80, 0x100000)       // SizeOfHeapReserve
		le32(opt+84, 0x1000)         // SizeOfHeapCommit
		le32(opt+92, 16)             // NumberOfRvaAndSizes
		dirs = opt + 96
	} else {
		binary.LittleEndian.PutUint64(b[opt+24:], 0x140000000) // ImageBase
		binary.LittleEndian.PutUint64(b[opt+72:], 0x100000)
		binary.LittleEndian.PutUint64(b[opt+80:], 0x1000)
		binary.LittleEndian.PutUint64(b[opt+88:], 0x100000)
		binary.LittleEndian.PutUint64(b[opt+96:], 0x1000)
		le32(opt+108, 16)
		dirs = opt + 112
	}
	if spec.Certificate != nil {
		le32(dirs+4*8, certOff) // data directory 4 holds a file offset
		le32(dirs+4*8+4, certLen)
	}

	// Section table and data.
	for i, s := range secs {
		h := secTable + synthSectHdr*i
		name := s.Name
		if name == "" {
			name = ".data"
		}
		copy(b[h:h+8], name)
		le32(h+8, pl[i].vsize)
		le32(h+12, pl[i].va)
		le32(h+16, pl[i].rawSize)
		le32(h+20, pl[i].raw)
		c := s.Characteristics
		if c == 0 {
			c = synthDataRO
		}
		binary.LittleEndian.PutUint32(b[h+36:], c)
		copy(b[pl[i].raw:], s.Data)
	}

	if spec.Certificate != nil {
		le32(certOff, synthCertHeader+len(spec.Certificate)) // dwLength, without padding
		le16(certOff+4, int(CertRevision2))
		le16(certOff+6, int(CertTypePKCSSignedData))
		copy(b[certOff+synthCertHeader:], spec.Certificate)
	}

	if !spec.NoChecksum {
		field := int64(opt + 64)
		c := NewChecksum(field)
		c.Write(b)
		binary.LittleEndian.PutUint32(b[field:], c.Sum32())
	}
	return b, nil
}

// synthAlign rounds n up to a multiple of a.
func synthAlign(n, a int) int { return (n + a - 1) / a * a }
