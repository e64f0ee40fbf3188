package peimage

import (
	"bytes"
	"encoding/binary"
)

// The BIOS boot manager (\bootmgr, no extension) is not a PE file: it starts
// with 16-bit real-mode code (a near jump, E9 xx xx, in the files described
// publicly), followed by a data-location block, a small PE stub, and
// bootmgr.exe compressed with LZNT1 (before Windows 8) or XPRESS Huffman
// (Windows 8 and later). Sources: reverseengineering.stackexchange.com
// q6323, reboot.pro "LZNT1 Tools (bootmgr/ntfs)" (the compressed data starts
// three bytes before the second "MZ": an LZNT1 chunk header and a flag byte
// whose low bits mark "M" and "Z" as literals), the ipxe/wimboot
// add_bootmgr() scan, and blog.betaworld.cn's "Legacy BIOS Boot Manager
// editor" (loader, data location structure, PE stub, compressed buffer).
//
// Recognition here is a heuristic over those published facts: no MZ at
// offset 0, an x86 jump first, an embedded PE header (the stub) within the
// first MiB, and at least 16 KiB after the stub's own headers and sections.
// An embedded PE that reaches (nearly) the end of the file, as in ntldr or
// setupldr.bin with an uncompressed loader, is not a boot manager.

const (
	bootmgrScanLimit  = 1 << 20 // look for the PE stub in the first MiB
	bootmgrMinPayload = 16 << 10
	lznt1ScanLimit    = 64 << 10 // look for the LZNT1 start this far past the stub
	stubMaxSections   = 96
)

// Compression names reported in BootmgrInfo.
const (
	CompressionLZNT1   = "LZNT1"
	CompressionUnknown = "" // not identified; Windows 8 and later use XPRESS Huffman
)

// BootmgrInfo describes a recognised BIOS bootmgr.
type BootmgrInfo struct {
	StubOffset    int64  // file offset of the PE stub's MZ header
	StubSize      int64  // size of the stub's headers and section data
	PayloadOffset int64  // where the compressed bootmgr.exe starts
	Compression   string // CompressionLZNT1, or CompressionUnknown
}

func (bm *BootmgrInfo) compressionName() string {
	if bm.Compression == CompressionUnknown {
		return "an unidentified method (XPRESS Huffman on Windows 8 and later)"
	}
	return bm.Compression
}

// detectBIOSBootmgr returns what it recognises, or nil.
func detectBIOSBootmgr(b []byte) *BootmgrInfo {
	if len(b) < bootmgrMinPayload || hasMZ(b) || (b[0] != 0xe9 && b[0] != 0xeb) {
		return nil
	}
	limit := min(len(b), bootmgrScanLimit)
	for from := 1; from < limit; {
		i := bytes.Index(b[from:limit], []byte("MZ"))
		if i < 0 {
			return nil
		}
		stub := from + i
		from = stub + 1
		size, ok := embeddedPESize(b, int64(stub))
		if !ok {
			continue
		}
		end := int64(stub) + size
		if int64(len(b))-end < bootmgrMinPayload {
			return nil // the embedded PE is the whole payload: not compressed
		}
		bm := &BootmgrInfo{StubOffset: int64(stub), StubSize: size, PayloadOffset: end}
		if p := findLZNT1Start(b, end); p >= 0 {
			bm.PayloadOffset, bm.Compression = p, CompressionLZNT1
		}
		return bm
	}
	return nil
}

// embeddedPESize checks for a PE header at off and returns the size its
// headers and section data span.
func embeddedPESize(b []byte, off int64) (int64, bool) {
	size := int64(len(b))
	if off+dosHeaderSize > size {
		return 0, false
	}
	nt := off + int64(binary.LittleEndian.Uint32(b[off+offElfanew:]))
	opt := nt + ntSignatureSize + coffHeaderSize
	if nt < off+4 || opt+optOffCheckSum > size || string(b[nt:nt+4]) != "PE\x00\x00" {
		return 0, false
	}
	if m := binary.LittleEndian.Uint16(b[opt:]); m != magicPE32 && m != magicPE32Plus {
		return 0, false
	}
	nsec := int64(binary.LittleEndian.Uint16(b[nt+6:]))
	secTable := opt + int64(binary.LittleEndian.Uint16(b[nt+20:]))
	if nsec > stubMaxSections || secTable+nsec*sectionHdrSize > size {
		return 0, false
	}
	end := int64(binary.LittleEndian.Uint32(b[opt+60:])) // SizeOfHeaders
	for i := range nsec {
		s := secTable + i*sectionHdrSize
		rawSize := int64(binary.LittleEndian.Uint32(b[s+16:]))
		rawPtr := int64(binary.LittleEndian.Uint32(b[s+20:]))
		end = max(end, rawPtr+rawSize)
	}
	if off+end > size {
		return 0, false
	}
	return end, true
}

// findLZNT1Start looks for an LZNT1 stream whose first chunk starts with the
// literals "MZ": a chunk header with signature 3 and the compressed flag, a
// flag byte whose two low bits are clear, then "MZ".
func findLZNT1Start(b []byte, from int64) int64 {
	limit := min(int64(len(b)), from+lznt1ScanLimit)
	for p := from; p+5 <= limit; p++ {
		hdr := binary.LittleEndian.Uint16(b[p:])
		if hdr&0xf000 == 0xb000 && b[p+2]&3 == 0 && b[p+3] == 'M' && b[p+4] == 'Z' {
			return p
		}
	}
	return -1
}
