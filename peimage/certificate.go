package peimage

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// The attribute certificate table (PE format, "The Attribute Certificate
// Table (Image Only)"): data directory 4 holds a file offset and size; the
// table is a run of WIN_CERTIFICATE entries, each starting on an 8-byte
// boundary:
//
//	dwLength         uint32  // length of this entry including the header
//	wRevision        uint16  // 0x0200 = WIN_CERT_REVISION_2_0
//	wCertificateType uint16  // 0x0002 = WIN_CERT_TYPE_PKCS_SIGNED_DATA
//	bCertificate     [dwLength-8]byte
const winCertHeaderSize = 8

// CertRevision is WIN_CERTIFICATE.wRevision. Unknown values print as hex.
type CertRevision uint16

const (
	CertRevision1 CertRevision = 0x0100 // WIN_CERT_REVISION_1_0
	CertRevision2 CertRevision = 0x0200 // WIN_CERT_REVISION_2_0
)

func (r CertRevision) String() string {
	switch r {
	case CertRevision1:
		return "1.0"
	case CertRevision2:
		return "2.0"
	}
	return fmt.Sprintf("CertRevision(%#x)", uint16(r))
}

// CertType is WIN_CERTIFICATE.wCertificateType. Unknown values print as hex.
type CertType uint16

const (
	CertTypeX509           CertType = 0x0001 // WIN_CERT_TYPE_X509
	CertTypePKCSSignedData CertType = 0x0002 // WIN_CERT_TYPE_PKCS_SIGNED_DATA (Authenticode)
	CertTypeReserved1      CertType = 0x0003 // WIN_CERT_TYPE_RESERVED_1
	CertTypeTSStackSigned  CertType = 0x0004 // WIN_CERT_TYPE_TS_STACK_SIGNED
	CertTypeEFIGUID        CertType = 0x0EF1 // WIN_CERT_TYPE_EFI_GUID (UEFI)
)

func (t CertType) String() string {
	switch t {
	case CertTypeX509:
		return "X.509"
	case CertTypePKCSSignedData:
		return "PKCS#7 SignedData"
	case CertTypeReserved1:
		return "reserved"
	case CertTypeTSStackSigned:
		return "terminal server stack signed"
	case CertTypeEFIGUID:
		return "EFI GUID"
	}
	return fmt.Sprintf("CertType(%#x)", uint16(t))
}

// Certificate is one WIN_CERTIFICATE entry of the certificate table.
type Certificate struct {
	Offset   int64 // file offset of the entry
	Length   uint32
	Revision CertRevision
	Type     CertType
	Data     []byte // bCertificate (a copy; usually DER PKCS#7 SignedData)
}

// walkCertificates lists the entries of the table at r, which the caller has
// checked to lie inside b.
func walkCertificates(b []byte, r Range, maxEntries int) ([]Certificate, error) {
	var certs []Certificate
	off, end := r.Offset, r.End()
	for off < end {
		if end-off < winCertHeaderSize {
			return certs, formatErr(off, "WIN_CERTIFICATE", ErrTruncated, "%d bytes left in the certificate table, an entry header needs %d", end-off, winCertHeaderSize)
		}
		n := int64(binary.LittleEndian.Uint32(b[off:]))
		if n < winCertHeaderSize || n > end-off {
			return certs, formatErr(off, "WIN_CERTIFICATE", ErrFormat, "dwLength %d does not fit the %d bytes left in the certificate table", n, end-off)
		}
		if len(certs) == maxEntries {
			return certs, formatErr(off, "WIN_CERTIFICATE", ErrLimit, "more than Limits.MaxCertificates (%d) entries", maxEntries)
		}
		certs = append(certs, Certificate{
			Offset:   off,
			Length:   uint32(n),
			Revision: CertRevision(binary.LittleEndian.Uint16(b[off+4:])),
			Type:     CertType(binary.LittleEndian.Uint16(b[off+6:])),
			Data:     bytes.Clone(b[off+winCertHeaderSize : off+n]),
		})
		off += align8(n)
	}
	return certs, nil
}

func align8(n int64) int64 { return (n + 7) &^ 7 }

// Signed reports whether the image has a certificate table (data directory 4
// with a non-zero size).
func (img *Image) Signed() bool { return img.hdr != nil && img.hdr.CertTable.Size > 0 }

// Certificates lists every WIN_CERTIFICATE entry of the certificate table,
// in file order; nil for an unsigned PE. The entries are not validated
// cryptographically. A malformed table returns the entries read so far and a
// *FormatError.
func (img *Image) Certificates() ([]Certificate, error) {
	if err := img.needPE(); err != nil {
		return nil, err
	}
	out := make([]Certificate, len(img.certs))
	for i, c := range img.certs {
		c.Data = bytes.Clone(c.Data)
		out[i] = c
	}
	return out, img.certErr
}

// StripResult describes a removed certificate table.
type StripResult struct {
	Table       Range       // the removed table
	Padding     int64       // zero bytes removed before it (alignment padding)
	Entries     int         // WIN_CERTIFICATE entries it held
	DirOffset   int64       // file offset of data directory 4, now zeroed
	NewSize     int64       // file size after stripping
	Checksum    ChecksumFix // the recomputed checksum
	OldDirEntry [8]byte     // the directory entry before zeroing
}

// StripSignature removes the Authenticode signature: it truncates the file
// at the start of the certificate table, drops the zero padding that signing
// added to align the table to 8 bytes (never cutting into section data or
// the COFF symbol and string tables, which GNU-built EFI binaries end with), zeroes
// data directory 4, and recomputes the checksum. A file signed by appending a
// table to an unsigned file gets its unsigned bytes back.
//
// It returns ErrNotSigned for an unsigned file and ErrUnsupported when the
// table is not at the end of the file.
func (img *Image) StripSignature() (*StripResult, error) {
	data, res, err := img.stripped()
	if err != nil {
		return nil, err
	}
	res.Checksum = writeChecksum(data, img.hdr.ChecksumOffset)
	if err := img.commit(data); err != nil {
		return nil, err
	}
	return res, nil
}

// stripped returns a stripped copy of the data, without touching img and
// without updating the checksum.
func (img *Image) stripped() ([]byte, *StripResult, error) {
	if err := img.needPE(); err != nil {
		return nil, nil, err
	}
	h := img.hdr
	if h.CertTable.Size == 0 {
		return nil, nil, ErrNotSigned
	}
	if h.CertTable.End() != int64(len(img.data)) {
		return nil, nil, fmt.Errorf("peimage: certificate table [%#x, %#x) is followed by %d bytes of other data; removing it would move them: %w",
			h.CertTable.Offset, h.CertTable.End(), int64(len(img.data))-h.CertTable.End(), ErrUnsupported)
	}
	cut := h.CertTable.Offset
	floor := max(cut-7, h.dataEnd())
	for cut > floor && img.data[cut-1] == 0 {
		cut--
	}
	data := make([]byte, cut, cut+8)
	copy(data, img.data)
	res := &StripResult{
		Table: h.CertTable, Padding: h.CertTable.Offset - cut, Entries: len(img.certs),
		DirOffset: h.CertDirOffset, NewSize: cut,
	}
	copy(res.OldDirEntry[:], data[h.CertDirOffset:])
	clear(data[h.CertDirOffset : h.CertDirOffset+dataDirEntrySize])
	return data, res, nil
}

// dataEnd is the end of the headers, of all section data and of the COFF
// symbol and string tables: bytes before it are never removed as padding.
func (h *Headers) dataEnd() int64 {
	end := max(int64(h.SizeOfHeaders), h.COFFSymbols.End())
	for _, s := range h.Sections {
		end = max(end, s.Offset+s.Size)
	}
	return end
}

// commit replaces the image bytes with data and re-derives the headers.
func (img *Image) commit(data []byte) error {
	old := img.data
	img.data = data
	if err := img.classify(); err != nil {
		// The edit produced something the parser rejects; keep the original.
		img.data = old
		if err2 := img.classify(); err2 != nil {
			return fmt.Errorf("peimage: restoring after a failed edit: %w", err2)
		}
		return err
	}
	return nil
}

// needPE returns the error for checksum and certificate operations on
// anything but a PE image.
func (img *Image) needPE() error {
	switch img.kind {
	case KindPE:
		return nil
	case KindBIOSBootmgr:
		return fmt.Errorf("%w: %w: a 16-bit loader and a PE stub are followed by bootmgr.exe compressed with %s at %#x; its strings and checksum are inside the compressed data; patch bootmgr.exe (Windows\\Boot\\PXE in boot.wim) instead",
			ErrNotPE, ErrBIOSBootmgr, img.bootmgr.compressionName(), img.bootmgr.PayloadOffset)
	}
	return fmt.Errorf("%w: the file has no MZ/PE header (a raw boot program such as startrom.n12 or pxeboot.n12); only find and replace apply", ErrNotPE)
}
