package hive

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// craft builds a hive with the package, lets damage change its buffer, and
// returns the file (with a valid base block, so the damage is reached).
func craft(t *testing.T, minor uint32, build func(h *Hive), damage func(h *Hive)) []byte {
	t.Helper()
	h, err := New("ROOT", minor, &Options{Limits: Limits{MaxDepth: 5000}})
	require.NoError(t, err)
	build(h)
	damage(h)
	return h.Bytes()
}

func keyOff(t *testing.T, h *Hive, path string) uint32 {
	t.Helper()
	k, err := h.OpenKey(path)
	require.NoError(t, err)
	return k.off
}

func typed(err error) bool {
	for _, s := range []error{ErrFormat, ErrLimit, ErrUnsupported, ErrChecksum, ErrNotFound, ErrInvalid, ErrReplay, ErrExists} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// exercise runs everything a caller might do with an untrusted hive and
// returns the bytes allocated meanwhile, and whether reading or checking
// found trouble. Errors must be typed.
func exercise(t *testing.T, b []byte) (alloc uint64, trouble bool) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h, err := Parse(b, nil)
		if err != nil {
			assert.True(t, typed(err), "untyped: %v", err)
			trouble = true
			return
		}
		check := func(what string, err error) {
			if err != nil {
				assert.True(t, typed(err), "%s: untyped: %v", what, err)
			}
		}
		walkErr := walkAll(h)
		check("walk", walkErr)
		trouble = walkErr != nil || len(h.Check()) > 0 || len(h.Warnings()) > 0
		check("export", h.ExportReg(io.Discard, nil))
		_, err = Diff(h.Root(), h.Root(), nil)
		check("diff", err)
		check("set", h.SetRawValue(`X\Y`, "v", uint32(Binary), []byte("data")))
		_ = h.Bytes()
		names, err := h.Root().SubkeyNames()
		check("names", err)
		for _, n := range names {
			check("delete", h.DeleteKey(n))
		}
		_ = h.Check()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("hostile input hangs")
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, trouble
}

// walkAll reads every key, value, class name and security descriptor; it
// returns the first error. (Shared with the black-box tests through
// export_test.go.)
func walkAll(h *Hive) error {
	return h.Root().Walk(func(_ string, k *Key) error {
		if _, err := k.Class(); err != nil {
			return err
		}
		if _, err := k.Security(); err != nil {
			return err
		}
		for v, err := range k.Values() {
			if err != nil {
				return err
			}
			if _, err := v.Data(); err != nil {
				return err
			}
		}
		return nil
	})
}

// Crafted hostile hives: no panic, no hang, typed errors, and less than
// 64 MiB allocated for inputs of at most 1 MiB.
func TestHostileInputs(t *testing.T) {
	tree := func(h *Hive) {
		for _, p := range []string{`A\B\C`, `A\D`, `E`} {
			require.NoError(t, h.SetRawValue(p, "v", uint32(String), EncodeString("value of "+p)))
		}
	}
	wide := func(h *Hive) {
		tree(h)
		k, err := h.Root().CreateKey("Wide")
		require.NoError(t, err)
		for i := range 1200 {
			_, err := k.CreateKey(fmt.Sprintf("k%04d", i))
			require.NoError(t, err)
		}
	}
	big := func(h *Hive) {
		tree(h)
		require.NoError(t, h.SetRawValue("Big", "blob", uint32(Binary), bytes.Repeat([]byte{7}, 60000)))
	}
	firstEntry := func(h *Hive, k uint32) int {
		return binsStart + int(le32(h.nkAt(k).subList())) + 4 + 4
	}
	tests := []struct {
		name   string
		minor  uint32
		build  func(h *Hive)
		damage func(t *testing.T, h *Hive)
		sound  bool // the input is a valid hive, only an unusual one
	}{
		{"subkey list cycles to an ancestor", 5, tree, func(t *testing.T, h *Hive) {
			b := keyOff(t, h, `A\B`)
			put32(h.buf[firstEntry(h, b):], keyOff(t, h, "A"))
		}, false},
		{"key is its own parent", 5, tree, func(t *testing.T, h *Hive) {
			a := keyOff(t, h, "A")
			put32(h.nkAt(a).parent(), a)
			put32(h.buf[firstEntry(h, a):], a)
		}, false},
		{"root listed as a subkey", 5, tree, func(t *testing.T, h *Hive) {
			put32(h.buf[firstEntry(h, keyOff(t, h, "A")):], h.root)
		}, false},
		{"ri inside ri", 5, wide, func(t *testing.T, h *Hive) {
			w := keyOff(t, h, "Wide")
			ri := le32(h.nkAt(w).subList())
			require.Equal(t, "ri", string(h.cellAt(ri)[:2]))
			put32(h.cellAt(ri)[4:], ri)
		}, false},
		{"ri leaf shared by two entries", 3, wide, func(t *testing.T, h *Hive) {
			ri := le32(h.nkAt(keyOff(t, h, "Wide")).subList())
			put32(h.cellAt(ri)[8:], le32(h.cellAt(ri)[4:]))
		}, false},
		{"ri lists one leaf many times, count to match", 5, wide, func(t *testing.T, h *Hive) {
			// The nk's subkey count agrees with the multiplied total, so
			// only the duplicate leaf itself can stop the amplification.
			w := keyOff(t, h, "Wide")
			ri := h.cellAt(le32(h.nkAt(w).subList()))
			n := int(le16(ri[2:]))
			require.GreaterOrEqual(t, n, 2)
			leaf := le32(ri[4:])
			for i := range n {
				put32(ri[4+4*i:], leaf)
			}
			put32(h.nkAt(w).nSub(), uint32(n)*uint32(le16(h.cellAt(leaf)[2:])))
		}, false},
		{"ri of 1,000 copies of a 60,000-entry leaf claims 60 million keys", 5, func(h *Hive) {
			tree(h)
			_, err := h.Root().CreateKey(`Amp\x`)
			require.NoError(t, err)
		}, func(t *testing.T, h *Hive) {
			amp := keyOff(t, h, "Amp")
			child := keyOff(t, h, `Amp\x`)
			const leafN, riN = 60000, 1000
			leaf := make([]byte, 4+4*leafN)
			copy(leaf, sigLI)
			put16(leaf[2:], leafN)
			for i := range leafN {
				put32(leaf[4+4*i:], child)
			}
			lo, err := h.newCell(leaf)
			require.NoError(t, err)
			ri := make([]byte, 4+4*riN)
			copy(ri, sigRI)
			put16(ri[2:], riN)
			for i := range riN {
				put32(ri[4+4*i:], lo)
			}
			ro, err := h.newCell(ri)
			require.NoError(t, err)
			put32(h.nkAt(amp).subList(), ro)
			put32(h.nkAt(amp).nSub(), leafN*riN)
		}, false},
		{"counts larger than their cells", 5, tree, func(t *testing.T, h *Hive) {
			put32(h.nkAt(h.root).nSub(), 0xFFFFFFFF)
			a := keyOff(t, h, "A")
			put32(h.nkAt(a).nVal(), 0x3FFFFFFF)
			c := keyOff(t, h, `A\B\C`)
			put32(h.nkAt(c).nVal(), 0xFFFFFFFF)
			l := le32(h.nkAt(a).subList())
			put16(h.cellAt(l)[2:], 0xFFFF)
		}, false},
		{"name and class lengths beyond their cells", 5, tree, func(t *testing.T, h *Hive) {
			e, d, c := keyOff(t, h, "E"), keyOff(t, h, `A\D`), keyOff(t, h, `A\B\C`)
			list, _ := h.valueList(c)
			put16(h.nkAt(e).nameLen(), 0xFFFF)
			put16(h.nkAt(d).classLen(), 0xFFFF)
			put32(h.nkAt(d).class(), le32(h.nkAt(d).valList()))
			put16(vkCell(h.cellAt(list[0])).nameLen(), 0xFFFF)
		}, false},
		{"db segments outside the file", 5, big, func(t *testing.T, h *Hive) {
			v, _ := h.Root().Subkey("Big")
			list, _ := h.valueList(v.off)
			db := le32(vkCell(h.cellAt(list[0])).dataOff())
			segs := le32(h.cellAt(db)[4:])
			put32(h.cellAt(segs)[0:], 0x7FFFFFF8)
			put32(h.cellAt(segs)[4:], 0xFFFFFFF0)
		}, false},
		{"db repeats one segment, claims 1 GiB", 5, big, func(t *testing.T, h *Hive) {
			v, _ := h.Root().Subkey("Big")
			list, _ := h.valueList(v.off)
			vk := vkCell(h.cellAt(list[0]))
			put32(vk.dataSize(), 0xFFFF*maxSegment)
			db := le32(vk.dataOff())
			put16(h.cellAt(db)[2:], 0xFFFF)
			segs := le32(h.cellAt(db)[4:])
			first := le32(h.cellAt(segs))
			for i := range len(h.cellAt(segs)) / 4 {
				put32(h.cellAt(segs)[4*i:], first)
			}
		}, false},
		{"value data size near 2 GiB", 5, tree, func(t *testing.T, h *Hive) {
			list, _ := h.valueList(keyOff(t, h, "E"))
			put32(vkCell(h.cellAt(list[0])).dataSize(), 0x7FFFFFF0)
		}, false},
		{"one value listed 60,000 times", 5, func(h *Hive) {
			tree(h)
			require.NoError(t, h.SetRawValue("Many", "v", uint32(Binary), bytes.Repeat([]byte{1}, 8000)))
			k, _ := h.Root().Subkey("Many")
			n := h.nkAt(k.off)
			vk := le32(h.cellAt(le32(n.valList())))
			lo, err := h.alloc(4 * 60000)
			require.NoError(t, err)
			for i := range 60000 {
				put32(h.cellAt(lo)[4*i:], vk)
			}
			n = h.nkAt(k.off)
			require.NoError(t, h.free(le32(n.valList())))
			n = h.nkAt(k.off)
			put32(n.valList(), lo)
			put32(n.nVal(), 60000)
		}, func(*testing.T, *Hive) {}, false},
		{"security list loops", 5, func(h *Hive) {
			tree(h)
			k, _ := h.OpenKey("E")
			sd := DefaultSecurityDescriptor()
			sd[len(sd)-1] = 19 // group S-1-5-19: another descriptor
			require.NoError(t, k.SetSecurity(sd))
		}, func(t *testing.T, h *Hive) {
			rs := le32(h.nkAt(h.root).security())
			put32(skCell(h.cellAt(rs)).flink(), rs)
		}, false},
		{"hive bins size beyond the file", 5, tree, func(t *testing.T, h *Hive) {
			h.finish()
			put32(h.base().binsSize(), 0x7FFFF000)
			put32(h.base().checksum(), h.base().computeChecksum())
		}, false},
		{"root cell offset outside the bins", 5, tree, func(t *testing.T, h *Hive) {
			h.finish()
			put32(h.base().rootCell(), 0x7FFFFFF8)
			put32(h.base().checksum(), h.base().computeChecksum())
		}, false},
		{"list, class and security offsets outside the bins", 5, tree, func(t *testing.T, h *Hive) {
			a, e := keyOff(t, h, "A"), keyOff(t, h, "E")
			put32(h.nkAt(h.root).subList(), 0x7FFFFFF8)
			put32(h.nkAt(a).valList(), 0xFFFFFFF8)
			put32(h.nkAt(a).nVal(), 1)
			put32(h.nkAt(e).class(), 0x00FFFFF8)
			put16(h.nkAt(e).classLen(), 8)
			put32(h.nkAt(e).security(), 0x7FFFFFF0)
		}, false},
		{"value data offset outside the bins", 5, tree, func(t *testing.T, h *Hive) {
			list, _ := h.valueList(keyOff(t, h, "E"))
			put32(vkCell(h.cellAt(list[0])).dataOff(), 0x7FFFFFF0)
		}, false},
		{"list entry points into the middle of a cell", 5, tree, func(t *testing.T, h *Hive) {
			put32(h.buf[firstEntry(h, h.root):], keyOff(t, h, "A")+8)
		}, false},
		{"keys nested 2,000 deep", 5, func(h *Hive) {
			k := h.Root()
			for range 2000 {
				var err error
				k, err = k.CreateKey("d")
				require.NoError(t, err)
			}
		}, func(*testing.T, *Hive) {}, false},
		{"1 MiB of 8-byte free cells", 5, func(h *Hive) {
			tree(h)
			_, err := h.grow(1000 * 1024)
			require.NoError(t, err)
		}, func(t *testing.T, h *Hive) {
			off, free := h.trailingFree()
			require.GreaterOrEqual(t, free, uint32(1000*1024))
			for c := off; c < off+free; c += 8 {
				put32(h.buf[binsStart+int(c):], 8)
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := craft(t, tt.minor, tt.build, func(h *Hive) { tt.damage(t, h) })
			require.LessOrEqual(t, len(b), 1<<20, "input larger than 1 MiB")
			got, trouble := exercise(t, b)
			assert.Less(t, got, uint64(testutil.MaxHostileAlloc), "allocated %d bytes", got)
			assert.Equal(t, !tt.sound, trouble, "damage found by reading or Check")
		})
	}
}

// A log entry that claims a 2 GiB hive (with valid hashes) is refused
// without allocating it.
func TestHostileLog(t *testing.T) {
	primary := testutil.ReadFixture(t, "hive/regipy_transactions_NTUSER.DAT")
	log1 := testutil.ReadFixture(t, "hive/regipy_transactions_ntuser.dat.log1")
	log := append([]byte(nil), log1[:512]...)
	e := make([]byte, 1024)
	copy(e, sigHvLE)
	put32(e[4:], 1024)
	put32(e[12:], le32(primary[8:])) // the expected sequence number
	put32(e[16:], 0x7FFFF000)        // hive bins data size
	put32(e[20:], 1)
	put32(e[40:], 0x7FFFE000) // one page near the end of the claimed size
	put32(e[44:], 512)
	binary.LittleEndian.PutUint64(e[24:], marvin32(marvinSeed, e[hvleHeader:]))
	binary.LittleEndian.PutUint64(e[32:], marvin32(marvinSeed, e[:32]))
	log = append(log, e...)
	require.LessOrEqual(t, len(primary), 1<<20)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h, err := Parse(primary, nil)
	require.NoError(t, err)
	_, err = h.Replay(log)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrReplay)
	assert.True(t, strings.Contains(err.Error(), "more than the log supplies"), err.Error())
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(testutil.MaxHostileAlloc))
	assert.Equal(t, primary, h.Bytes())
}

// Field boundaries of the first structures of a hive file, from the regf
// format description: the base block, the first hbin header and the fixed
// part of the root nk cell (offsets within each structure).
var (
	baseBlockFields = []int{0, 4, 8, 12, 20, 24, 28, 32, 36, 40, 44, 48, 112, 508, 512}
	hbinFields      = []int{0, 4, 8, 12, 20, 28, 32}
	nkFields        = []int{0, 2, 4, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 72, 74, 76}
)

// TestHostileRegfTruncated cuts a hive file at every field boundary of the
// base block, the first hbin header and the root nk cell, and cuts cells
// (the root nk, its subkey list, a vk: the cell shrinks, the rest becomes a
// free cell) at every field boundary: each cut fails with a typed error or
// is found by reading, without panic and with a bounded heap.
func TestHostileRegfTruncated(t *testing.T) {
	for _, minor := range []uint32{Version13, Version15} {
		h, err := New("ROOT", minor, nil)
		require.NoError(t, err)
		require.NoError(t, h.SetRawValue(`A\B`, "v", uint32(String), EncodeString("value")))
		good := h.Bytes()
		root := int(le32(good[36:]))
		rootAt := binsStart + root
		cuts := slices.Clone(baseBlockFields)
		for _, f := range hbinFields {
			cuts = append(cuts, binsStart+f)
		}
		for _, f := range nkFields {
			cuts = append(cuts, rootAt+4+f) // after the cell's size field
		}
		for _, n := range cuts {
			t.Run(fmt.Sprintf("1.%d file cut at %#x", minor, n), func(t *testing.T) {
				checkCut(t, good[:n], true)
			})
		}
		// Cut cells: the root nk, its subkey list and the first vk of A\B.
		h2, err := Parse(good, nil)
		require.NoError(t, err)
		list, err := h2.valueList(keyOff(t, h2, `A\B`))
		require.NoError(t, err)
		nameLen := int(le16(nkCell(good[rootAt+4:]).nameLen()))
		for _, c := range []struct {
			what     string
			off      uint32
			fields   []int
			parseErr bool // the cut is seen by Parse (else by reading)
		}{
			{"root nk", uint32(root), slices.Concat(nkFields, []int{nkFixed + nameLen - 1}), true},
			{"root subkey list", le32(h2.nkAt(h2.root).subList()), []int{0, 2, 4, 8}, false},
			{"first vk", list[0], []int{0, 2, 4, 8, 12, 16, 18, 20}, false},
		} {
			at := binsStart + int(c.off)
			cellSize := -int32(le32(good[at:]))
			for _, f := range c.fields {
				n := (4 + f + 7) &^ 7 // the new cell size, with its size field
				if int32(n) >= cellSize {
					continue
				}
				t.Run(fmt.Sprintf("1.%d %s cell cut after %d bytes", minor, c.what, f), func(t *testing.T) {
					in := bytes.Clone(good)
					put32(in[at:], uint32(-int32(n)))
					put32(in[at+n:], uint32(cellSize-int32(n))) // the rest is a free cell
					checkCut(t, in, c.parseErr)
				})
			}
		}
	}
}

// checkCut asserts that a cut hive is refused by Parse with a typed
// *FormatError (when parseErr) and found by reading or Check, within the
// heap bound.
func checkCut(t *testing.T, in []byte, parseErr bool) {
	t.Helper()
	if parseErr {
		_, err := Parse(in, nil)
		require.ErrorIs(t, err, ErrFormat)
		var fe *FormatError
		require.ErrorAs(t, err, &fe)
	}
	got, trouble := exercise(t, in)
	assert.True(t, trouble)
	assert.Less(t, got, uint64(testutil.MaxHostileAlloc))
}
