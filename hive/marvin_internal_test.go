package hive

import (
	"encoding/binary"
	"testing"

	"github.com/winbootkit/winbootkit/internal/testutil"
)

// Marvin32 with the log seed reproduces both hashes of every entry Windows
// wrote into the fixture log.
func TestMarvinOnFixture(t *testing.T) {
	b := testutil.ReadFixture(t, "hive/regipy_transactions_ntuser.dat.log1")
	off := 512
	n := 0
	for off+40 <= len(b) && string(b[off:off+4]) == "HvLE" {
		size := int(binary.LittleEndian.Uint32(b[off+4:]))
		h1 := binary.LittleEndian.Uint64(b[off+24:])
		h2 := binary.LittleEndian.Uint64(b[off+32:])
		g1 := marvin32(marvinSeed, b[off+40:off+size])
		g2 := marvin32(marvinSeed, b[off:off+32])
		if g1 != h1 || g2 != h2 {
			t.Fatalf("entry at %#x: %x %x vs %x %x", off, g1, g2, h1, h2)
		}
		n++
		off += size
	}
	t.Log(n, "entries")
}

// The checksum fix-ups: an XOR of 0 is stored as 1, 0xFFFFFFFF as
// 0xFFFFFFFE.
func TestChecksumFixups(t *testing.T) {
	var b baseBlock
	if got := b.computeChecksum(); got != 1 {
		t.Fatalf("zero XOR: got %#x, want 1", got)
	}
	binary.LittleEndian.PutUint32(b[100:], 0xFFFFFFFF)
	if got := b.computeChecksum(); got != 0xFFFFFFFE {
		t.Fatalf("0xFFFFFFFF XOR: got %#x, want 0xFFFFFFFE", got)
	}
	binary.LittleEndian.PutUint32(b[100:], 0x12345678)
	binary.LittleEndian.PutUint32(b[504:], 0x00FF00FF)
	if got := b.computeChecksum(); got != 0x12345678^0x00FF00FF {
		t.Fatalf("got %#x", got)
	}
	binary.LittleEndian.PutUint32(b[508:], 0xDEADBEEF) // the checksum field itself is not summed
	if got := b.computeChecksum(); got != 0x12345678^0x00FF00FF {
		t.Fatalf("checksum field included: %#x", got)
	}
}
