package peimage

import (
	"encoding/binary"
	"hash"
	"math/bits"
)

// The PE checksum (CheckSumMappedFile in imagehlp.dll) is the one's
// complement sum of the file as little-endian 16-bit words, with the 4-byte
// CheckSum field counted as zero, an odd final byte counted as a word with a
// zero high byte, folded to 16 bits, plus the file length:
//
//	sum := 0
//	for each 16-bit word w:  sum += w; sum = (sum & 0xffff) + (sum >> 16)
//	checksum = sum + len(file)
//
// The folded sum equals the plain sum of all words reduced modulo 0xffff,
// except that a non-zero sum that is a multiple of 0xffff folds to 0xffff,
// and only an all-zero input gives 0. Because 2^16 ≡ 1 (mod 0xffff), a
// 64-bit little-endian word is congruent to the sum of its four 16-bit words,
// so the file can be summed 8 bytes at a time; and a byte's weight depends
// only on the parity of its file offset (1 at even offsets, 256 at odd ones),
// so data may arrive in chunks of any length and the field may sit at any
// alignment. Tools that skip the field by dword index (pefile, saferwall/pe)
// or drop an odd final byte (osslsigncode) get those cases wrong.

// checksumFieldSize is the size of OptionalHeader.CheckSum.
const checksumFieldSize = 4

// Checksum computes a PE checksum incrementally. It implements hash.Hash32.
type Checksum struct {
	field int64  // offset of the CheckSum field; negative: none
	pos   int64  // bytes written so far
	sum   uint64 // running sum, reduced modulo 0xffff (0..0xffff)
	nz    bool   // some counted byte was non-zero
}

var _ hash.Hash32 = (*Checksum)(nil)

// NewChecksum returns a hash that computes the PE checksum of the bytes
// written to it, which must be the whole file from offset 0. The four bytes
// at checksumFieldOffset are counted as zero (pass a negative offset to count
// every byte). Writes may have any length; the field may have any alignment;
// an odd total length is handled as CheckSumMappedFile does.
func NewChecksum(checksumFieldOffset int64) *Checksum {
	return &Checksum{field: checksumFieldOffset}
}

// Write adds p to the checksum. It never fails.
func (c *Checksum) Write(p []byte) (int, error) {
	start, end := c.pos, c.pos+int64(len(p))
	if c.field < 0 || c.field >= end || c.field+checksumFieldSize <= start {
		c.add(p, start)
	} else {
		if c.field > start {
			c.add(p[:c.field-start], start)
		}
		if after := c.field + checksumFieldSize; after < end {
			c.add(p[after-start:], after)
		}
	}
	c.pos = end
	return len(p), nil
}

// add counts b, which starts at file offset off.
func (c *Checksum) add(b []byte, off int64) {
	s, nz := sumWords(b)
	if !nz {
		return
	}
	c.nz = true
	if off&1 == 1 {
		s = s * 256 % 0xffff // odd start: every byte's weight swaps
	}
	c.sum = fold16(c.sum + s)
}

// Sum32 returns the checksum of the bytes written so far.
func (c *Checksum) Sum32() uint32 {
	return uint32(c.folded()) + uint32(c.pos)
}

// folded returns the end-around-carry 16-bit sum: 0 only for all-zero input.
func (c *Checksum) folded() uint64 {
	if !c.nz {
		return 0
	}
	s := c.sum % 0xffff
	if s == 0 {
		return 0xffff
	}
	return s
}

// Sum appends the checksum to b in big-endian order, like hash/crc32.
func (c *Checksum) Sum(b []byte) []byte {
	return binary.BigEndian.AppendUint32(b, c.Sum32())
}

// Reset clears the written data; the field offset is kept.
func (c *Checksum) Reset() { *c = Checksum{field: c.field} }

// Size returns 4.
func (c *Checksum) Size() int { return 4 }

// BlockSize returns 8, the chunk size of the inner loop; writes of any size
// are accepted.
func (c *Checksum) BlockSize() int { return 8 }

// fold16 reduces x to a value in [0, 0xffff] congruent to it modulo 0xffff.
func fold16(x uint64) uint64 {
	x = x&0xffffffff + x>>32
	x = x&0xffff + x>>16
	x = x&0xffff + x>>16
	return x&0xffff + x>>16
}

// sumWords returns, for b starting at an even offset, a value in
// [0, 0xffff] congruent modulo 0xffff to the sum of its little-endian
// 16-bit words (an odd final byte is a low byte), and whether any byte is
// non-zero.
func sumWords(b []byte) (uint64, bool) {
	var a0, a1, a2, a3, k0, k1, k2, k3, c uint64
	for len(b) >= 32 {
		a0, c = bits.Add64(a0, binary.LittleEndian.Uint64(b), 0)
		k0 += c
		a1, c = bits.Add64(a1, binary.LittleEndian.Uint64(b[8:]), 0)
		k1 += c
		a2, c = bits.Add64(a2, binary.LittleEndian.Uint64(b[16:]), 0)
		k2 += c
		a3, c = bits.Add64(a3, binary.LittleEndian.Uint64(b[24:]), 0)
		k3 += c
		b = b[32:]
	}
	for len(b) >= 8 {
		a0, c = bits.Add64(a0, binary.LittleEndian.Uint64(b), 0)
		k0 += c
		b = b[8:]
	}
	// The tail: whole 16-bit words, then an odd byte with weight 1.
	var t uint64
	for len(b) >= 2 {
		t += uint64(binary.LittleEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		t += uint64(b[0])
	}
	// Each carry out of a 64-bit lane is 2^64 ≡ 1 (mod 0xffff). Without a
	// carry a lane is the exact sum of its words, so all lanes and carries
	// are zero exactly when every byte is zero.
	nz := a0|a1|a2|a3|k0|k1|k2|k3|t != 0
	s := fold16(a0) + fold16(a1) + fold16(a2) + fold16(a3) + fold16(k0+k1+k2+k3) + fold16(t)
	return fold16(s), nz
}
