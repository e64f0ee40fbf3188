package hive

import (
	"encoding/binary"
	"os"
	"testing"
)

func TestMarvinOnFixture(t *testing.T) {
	b, err := os.ReadFile("../../shared/fixtures/hive/regipy_transactions_ntuser.dat.log1")
	if err != nil {
		t.Skip(err)
	}
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
