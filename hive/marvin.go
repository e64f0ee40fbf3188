package hive

import (
	"encoding/binary"
	"math/bits"
)

// marvinSeed is the seed of the Marvin32 hashes in new-format transaction
// log entries, the bytes 82 EF 4D 88 7A 4E 55 C5 read as one big-endian
// number: the low state word starts as 0x7A4E55C5, the high one as
// 0x82EF4D88. (Checked against the hashes Windows wrote into the
// transaction logs among the fixtures.)
const marvinSeed = 0x82EF4D887A4E55C5

// marvin32 returns the 64-bit Marvin32 hash of data: the two 32-bit state
// words, high word first, as Windows stores it in log entries.
func marvin32(seed uint64, data []byte) uint64 {
	lo, hi := uint32(seed), uint32(seed>>32)
	for len(data) >= 4 {
		lo += binary.LittleEndian.Uint32(data)
		lo, hi = marvinMix(lo, hi)
		data = data[4:]
	}
	var final uint32
	switch len(data) {
	case 0:
		final = 0x80
	case 1:
		final = 0x8000 | uint32(data[0])
	case 2:
		final = 0x800000 | uint32(binary.LittleEndian.Uint16(data))
	case 3:
		final = 0x80000000 | uint32(data[2])<<16 | uint32(binary.LittleEndian.Uint16(data))
	}
	lo += final
	lo, hi = marvinMix(lo, hi)
	lo, hi = marvinMix(lo, hi)
	return uint64(hi)<<32 | uint64(lo)
}

func marvinMix(lo, hi uint32) (uint32, uint32) {
	hi ^= lo
	lo = bits.RotateLeft32(lo, 20)
	lo += hi
	hi = bits.RotateLeft32(hi, 9)
	hi ^= lo
	lo = bits.RotateLeft32(lo, 27)
	lo += hi
	hi = bits.RotateLeft32(hi, 19)
	return lo, hi
}
