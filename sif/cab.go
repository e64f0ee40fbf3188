package sif

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Cabinet layout ([MS-CAB]): a 36-byte CFHEADER, one 8-byte CFFOLDER, one
// CFFILE (16 bytes and the NUL-terminated name), then the CFDATA blocks,
// each an 8-byte header and up to 32 KiB of data compressed with MSZIP
// ("CK" and a deflate stream).
const (
	cabHeaderSize   = 36
	cabFolderSize   = 8
	cabFileSize     = 16
	cabDataSize     = 8
	cabBlockSize    = 32768
	cabCompressZIP  = 1
	cabAttrArchive  = 0x20
	cabAttrNameUTF8 = 0x80
)

// WriteCabinet writes data as a cabinet holding the single file name,
// compressed with MSZIP, the way "makecab F.sys" makes the F.sy_ that
// setup expands. Each 32 KiB block is compressed on its own and carries
// its checksum. modTime is stored as the file's DOS date and time (the
// zero time stores 1980-01-01).
func WriteCabinet(w io.Writer, name string, data []byte, modTime time.Time) (int64, error) {
	if name == "" || len(name) > 255 {
		return 0, fmt.Errorf("sif: cabinet file name %q: %w", name, ErrInvalid)
	}
	nblocks := (len(data) + cabBlockSize - 1) / cabBlockSize
	if nblocks > 0xFFFF {
		return 0, fmt.Errorf("sif: %d bytes need more than 65535 cabinet blocks: %w", len(data), ErrLimit)
	}
	var blocks bytes.Buffer
	var comp bytes.Buffer
	fw, err := flate.NewWriter(&comp, flate.BestCompression)
	if err != nil {
		return 0, err
	}
	for off := 0; off < len(data); off += cabBlockSize {
		chunk := data[off:min(off+cabBlockSize, len(data))]
		comp.Reset()
		comp.WriteString("CK")
		fw.Reset(&comp)
		if _, err := fw.Write(chunk); err != nil {
			return 0, err
		}
		if err := fw.Close(); err != nil {
			return 0, err
		}
		var hdr [cabDataSize]byte
		binary.LittleEndian.PutUint16(hdr[4:], uint16(comp.Len()))
		binary.LittleEndian.PutUint16(hdr[6:], uint16(len(chunk)))
		sum := cabChecksum(comp.Bytes(), 0)
		sum = cabChecksum(hdr[4:8], sum)
		binary.LittleEndian.PutUint32(hdr[0:], sum)
		blocks.Write(hdr[:])
		blocks.Write(comp.Bytes())
	}
	attrs := uint16(cabAttrArchive)
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			attrs |= cabAttrNameUTF8
			break
		}
	}
	coffFiles := cabHeaderSize + cabFolderSize
	coffData := coffFiles + cabFileSize + len(name) + 1
	total := coffData + blocks.Len()
	if uint64(total) > 0xFFFFFFFF {
		return 0, fmt.Errorf("sif: cabinet of %d bytes: %w", total, ErrLimit)
	}
	head := make([]byte, coffData)
	le := binary.LittleEndian
	copy(head[0:], "MSCF")
	le.PutUint32(head[8:], uint32(total))      // cbCabinet
	le.PutUint32(head[16:], uint32(coffFiles)) // coffFiles
	head[24], head[25] = 3, 1                  // versionMinor, versionMajor
	le.PutUint16(head[26:], 1)                 // cFolders
	le.PutUint16(head[28:], 1)                 // cFiles
	// flags, setID and iCabinet stay 0.
	f := head[cabHeaderSize:]
	le.PutUint32(f[0:], uint32(coffData)) // coffCabStart
	le.PutUint16(f[4:], uint16(nblocks))  // cCFData
	le.PutUint16(f[6:], cabCompressZIP)   // typeCompress
	e := head[coffFiles:]
	le.PutUint32(e[0:], uint32(len(data))) // cbFile
	// uoffFolderStart and iFolder stay 0.
	date, tm := dosDateTime(modTime)
	le.PutUint16(e[10:], date)
	le.PutUint16(e[12:], tm)
	le.PutUint16(e[14:], attrs)
	copy(e[16:], name)
	n, err := w.Write(head)
	if err != nil {
		return int64(n), err
	}
	m, err := w.Write(blocks.Bytes())
	return int64(n + m), err
}

// cabChecksum is the CFDATA checksum of [MS-CAB] (CSUMCompute): the XOR of
// the little-endian 32-bit words, with the 1 to 3 bytes left over packed
// high byte first.
func cabChecksum(b []byte, seed uint32) uint32 {
	sum := seed
	for len(b) >= 4 {
		sum ^= binary.LittleEndian.Uint32(b)
		b = b[4:]
	}
	var ul uint32
	for _, c := range b {
		ul = ul<<8 | uint32(c)
	}
	return sum ^ ul
}

// dosDateTime converts t to MS-DOS date and time (local fields of t;
// times before 1980 give 1980-01-01 00:00).
func dosDateTime(t time.Time) (date, tm uint16) {
	if t.Year() < 1980 {
		return 1<<5 | 1, 0
	}
	if t.Year() > 2107 {
		t = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
	}
	date = uint16(t.Year()-1980)<<9 | uint16(t.Month())<<5 | uint16(t.Day())
	tm = uint16(t.Hour())<<11 | uint16(t.Minute())<<5 | uint16(t.Second()/2)
	return date, tm
}
