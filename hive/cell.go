package hive

import (
	"math"
	"math/bits"
)

// Cells: an int32 size (negative when allocated, positive when free, a
// multiple of 8, including the 4-byte size field) followed by the data.
// Cells tile each hive bin exactly. The Hive keeps a bitmap of cell starts
// (one bit per 8 bytes of bins data), so every offset read from the file is
// checked to be the start of a real cell before it is used, and an index of
// free cells by size for allocation.

const (
	noCell = 0xFFFFFFFF // "no cell" in offset fields
	// maxSegment is the largest data a big-data segment holds, and the
	// largest value stored in one cell in hives of version 1.4 and later.
	maxSegment = 16344
)

// bitset is a set of small integers.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (s bitset) get(i uint32) bool {
	w := int(i >> 6)
	return w < len(s) && s[w]&(1<<(i&63)) != 0
}
func (s bitset) set(i uint32)   { s[i>>6] |= 1 << (i & 63) }
func (s bitset) clear(i uint32) { s[i>>6] &^= 1 << (i & 63) }

// grow returns s large enough for n bits.
func (s bitset) grow(n int) bitset {
	for len(s) < (n+63)/64 {
		s = append(s, 0)
	}
	return s
}

// prev returns the largest member below i that is >= lo, or -1.
func (s bitset) prev(i, lo uint32) int64 {
	if i == 0 || i <= lo {
		return -1
	}
	j := i - 1
	for {
		w := j >> 6
		word := s[w] & (^uint64(0) >> (63 - (j & 63)))
		if word != 0 {
			k := w<<6 + uint32(63-bits.LeadingZeros64(word))
			if k < lo {
				return -1
			}
			return int64(k)
		}
		if w<<6 <= lo || w == 0 {
			return -1
		}
		j = w<<6 - 1
	}
}

// Free-cell index: buckets of exact sizes up to 1024 bytes, then powers of
// two. Entries are validated when taken (cells merge and split, leaving
// stale entries behind), so the index never needs searching on free.

type freeEntry struct{ off, size uint32 }

const (
	exactBuckets = 1024 / 8
	numBuckets   = exactBuckets + 1 + 32
)

func bucketOf(size uint32) int {
	if size <= 1024 {
		return int(size >> 3)
	}
	return exactBuckets + 1 + bits.Len32(size) - 11
}

type freeIndex struct {
	buckets [numBuckets][]freeEntry
}

func (f *freeIndex) push(off, size uint32) {
	b := bucketOf(size)
	f.buckets[b] = append(f.buckets[b], freeEntry{off, size})
}

// isFreeCell reports whether a free cell of exactly size starts at off.
func (h *Hive) isFreeCell(off, size uint32) bool {
	if !h.starts.get(off >> 3) {
		return false
	}
	s := int32(le32(h.buf[binsStart+int(off):]))
	return s > 0 && uint32(s) == size
}

// take removes and returns a free cell of at least need bytes. The free
// cell that ends the hive bins is taken only when no other fits: left free,
// it lets the last cell of the file (often a value that keeps growing) grow
// in place, and grow can lengthen it instead of adding a bin.
func (f *freeIndex) take(h *Hive, need uint32) (freeEntry, bool) {
	var tail freeEntry
	for b := bucketOf(need); b < numBuckets; b++ {
		list := f.buckets[b]
		for i := len(list) - 1; i >= 0; i-- {
			e := list[i]
			if !h.isFreeCell(e.off, e.size) {
				// Stale: drop it.
				list[i] = list[len(list)-1]
				list = list[:len(list)-1]
				continue
			}
			if e.size >= need {
				if e.off+e.size == h.binsLen && tail.size == 0 {
					tail = e
					continue
				}
				list[i] = list[len(list)-1]
				f.buckets[b] = list[:len(list)-1]
				return e, true
			}
		}
		f.buckets[b] = list
	}
	if tail.size == 0 {
		return freeEntry{}, false
	}
	b := bucketOf(tail.size)
	list := f.buckets[b]
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == tail {
			list[i] = list[len(list)-1]
			f.buckets[b] = list[:len(list)-1]
			break
		}
	}
	return tail, true
}

// scanBins walks every hive bin, records bin boundaries, cell starts and
// free cells. A bin header that is wrong is an error; a cell size that
// breaks the tiling marks the rest of that bin as damaged (a warning, and
// its cells are unusable).
func (h *Hive) scanBins() error {
	n := h.binsLen
	h.binOf = make([]uint32, n/4096)
	h.starts = newBitset(int(n / 8))
	for off := uint32(0); off < n; {
		fo := int64(binsStart) + int64(off)
		hdr := (*hbinHeader)(h.buf[fo : fo+hbinHeaderSize])
		if string(hdr.signature()) != "hbin" {
			return fileErr(fo, "hbin", ErrFormat, "bad signature %q", hdr.signature())
		}
		if got := le32(hdr.offset()); got != off {
			return fileErr(fo, "hbin", ErrFormat, "offset field %#x, bin is at %#x", got, off)
		}
		size := le32(hdr.size())
		if size < 4096 || size%4096 != 0 || uint64(off)+uint64(size) > uint64(n) {
			return fileErr(fo, "hbin", ErrFormat, "bad size %#x", size)
		}
		for p := off / 4096; p < (off+size)/4096; p++ {
			h.binOf[p] = off
		}
		end := off + size
		for c := off + hbinHeaderSize; c < end; {
			s := int32(le32(h.buf[binsStart+int(c):]))
			abs := uint32(s)
			if s < 0 {
				abs = uint32(-int64(s))
			}
			if s == math.MinInt32 || abs < 8 || abs%8 != 0 || abs > end-c {
				h.warn(int64(c)+binsStart, "damaged hive bin: bad cell size %d; the rest of the bin is ignored", s)
				h.damaged = append(h.damaged, c)
				break
			}
			h.starts.set(c >> 3)
			if s > 0 {
				h.freeIdx.push(c, abs)
			}
			c += abs
		}
		off = end
	}
	return nil
}

// binEnd returns the end offset of the bin holding off.
func (h *Hive) binEnd(off uint32) uint32 {
	b := h.binOf[off/4096]
	return b + le32(h.buf[binsStart+int(b)+8:])
}

// binStart returns the start offset of the bin holding off.
func (h *Hive) binStart(off uint32) uint32 { return h.binOf[off/4096] }

// isCell reports whether off is the start of a cell (free or allocated).
func (h *Hive) isCell(off uint32) bool {
	return off&7 == 0 && off < h.binsLen && h.starts.get(off>>3)
}

// cellSize returns the signed size field of the cell at off (off must be a
// cell start).
func (h *Hive) cellSize(off uint32) int32 {
	return int32(le32(h.buf[binsStart+int(off):]))
}

// cell returns the data of the allocated cell at off. The slice aliases the
// hive's buffer and is invalidated by any allocation.
func (h *Hive) cell(off uint32, what string) ([]byte, error) {
	if !h.isCell(off) {
		return nil, cellErr(off, what, "offset %#x is not the start of a cell", off)
	}
	s := h.cellSize(off)
	if s >= 0 {
		return nil, cellErr(off, what, "cell is free")
	}
	p := binsStart + int(off)
	return h.buf[p+4 : p+int(-s)], nil
}

// cellNeed is the cell size (size field included, rounded to 8) that holds
// payload bytes of data.
func cellNeed(payload int) (uint32, error) {
	if payload < 0 || int64(payload) > math.MaxInt32-4096 {
		return 0, ErrLimit
	}
	return max(uint32(payload+4+7)&^7, 8), nil
}

// alloc allocates a cell with room for payload bytes of data and returns
// its offset. The data is zeroed.
func (h *Hive) alloc(payload int) (uint32, error) {
	need, err := cellNeed(payload)
	if err != nil {
		return 0, err
	}
	e, ok := h.freeIdx.take(h, need)
	if !ok {
		if e, err = h.grow(need); err != nil {
			return 0, err
		}
	}
	return h.place(e, need), nil
}

// place allocates need bytes at the start of the free cell e (taken from
// the index), returning what is left to the index, and zeroes the data.
func (h *Hive) place(e freeEntry, need uint32) uint32 {
	h.claim(e.off, e.size, need)
	p := binsStart + int(e.off)
	clear(h.buf[p+4 : p+int(-h.cellSize(e.off))])
	return e.off
}

// claim makes the total bytes at off (no longer a free cell) one allocated
// cell of need bytes, giving what lies beyond need back to the free index
// when it can hold a cell.
func (h *Hive) claim(off, total, need uint32) {
	h.touch()
	if total-need >= 8 {
		rest := off + need
		put32(h.buf[binsStart+int(rest):], total-need)
		h.starts.set(rest >> 3)
		h.freeIdx.push(rest, total-need)
		total = need
	}
	put32(h.buf[binsStart+int(off):], uint32(-int32(total)))
}

// grow makes room for a cell of need bytes at the end of the hive bins and
// returns the free cell there. When the last bin ends with a free cell, that
// bin is lengthened and the cell with it (so a value that keeps growing
// reuses the space it leaves behind instead of leaving a trail of
// part-empty bins); otherwise a new bin is appended. Data after the bins
// (file padding) is dropped.
func (h *Hive) grow(need uint32) (freeEntry, error) {
	if c, free := h.trailingFree(); free > 0 {
		if free < need {
			if err := h.extendBins(need - free); err != nil {
				return freeEntry{}, err
			}
		}
		size := h.binsLen - c
		put32(h.buf[binsStart+int(c):], size)
		return freeEntry{c, size}, nil
	}
	size := (need + hbinHeaderSize + 4095) &^ 4095
	off := h.binsLen
	if err := h.addPages(off, size); err != nil {
		return freeEntry{}, err
	}
	hdr := (*hbinHeader)(h.buf[binsStart+int(off):][:hbinHeaderSize])
	copy(hdr.signature(), "hbin")
	put32(hdr.offset(), off)
	put32(hdr.size(), size)
	c := off + hbinHeaderSize
	put32(h.buf[binsStart+int(c):], size-hbinHeaderSize)
	h.starts.set(c >> 3)
	return freeEntry{c, size - hbinHeaderSize}, nil
}

// trailingFree returns the free cell that ends the hive bins, if the last
// bin ends with one (free is 0 otherwise).
func (h *Hive) trailingFree() (off, free uint32) {
	if h.binsLen == 0 {
		return 0, 0
	}
	bin := h.binStart(h.binsLen - 1)
	pi := h.starts.prev(h.binsLen>>3, (bin+hbinHeaderSize)>>3)
	if pi < 0 {
		return 0, 0
	}
	c := uint32(pi) << 3
	if s := h.cellSize(c); s > 0 && c+uint32(s) == h.binsLen {
		return c, uint32(s)
	}
	return 0, 0
}

// extendBins lengthens the last hive bin by at least n bytes (whole 4 KiB
// pages) of zeros. The caller makes the new bytes part of the cell that
// ended the bin.
func (h *Hive) extendBins(n uint32) error {
	extra := (n + 4095) &^ 4095
	bin := h.binStart(h.binsLen - 1)
	if err := h.addPages(bin, extra); err != nil {
		return err
	}
	hdr := (*hbinHeader)(h.buf[binsStart+int(bin):][:hbinHeaderSize])
	put32(hdr.size(), le32(hdr.size())+extra)
	return nil
}

// addPages appends n bytes (whole pages) of zeros to the hive bins, as part
// of the bin that starts at bin, within Limits.MaxFileSize. Data after the
// bins (file padding) is dropped.
func (h *Hive) addPages(bin, n uint32) error {
	if uint64(h.binsLen)+uint64(n) > uint64(h.lim.MaxFileSize) || uint64(h.binsLen)+uint64(n) > math.MaxUint32-4096 {
		return ErrLimit
	}
	h.buf = h.buf[:binsStart+int(h.binsLen)]
	h.buf = append(h.buf, make([]byte, n)...)
	h.binsLen += n
	for range n / 4096 {
		h.binOf = append(h.binOf, bin)
	}
	h.starts = h.starts.grow(int(h.binsLen / 8))
	h.touch()
	return nil
}

// free releases the allocated cell at off, zeroing its data and merging it
// with free neighbours in the same bin.
func (h *Hive) free(off uint32) error {
	if !h.isCell(off) {
		return cellErr(off, "cell", "freeing offset %#x, which is not a cell", off)
	}
	s := h.cellSize(off)
	if s >= 0 {
		return cellErr(off, "cell", "freeing a cell that is already free")
	}
	h.touch()
	h.forgetCell(off)
	size := uint32(-s)
	p := binsStart + int(off)
	clear(h.buf[p+4 : p+int(size)])
	end := h.binEnd(off)
	// Merge with the next cell.
	if next := off + size; next < end && h.starts.get(next>>3) {
		if ns := h.cellSize(next); ns > 0 {
			size += uint32(ns)
			h.starts.clear(next >> 3)
			clear(h.buf[binsStart+int(next):][:4])
		}
	}
	// Merge with the previous cell.
	bin := h.binStart(off)
	if pi := h.starts.prev(off>>3, (bin+hbinHeaderSize)>>3); pi >= 0 {
		prev := uint32(pi) << 3
		if ps := h.cellSize(prev); ps > 0 && prev+uint32(ps) == off {
			h.starts.clear(off >> 3)
			clear(h.buf[p:][:4])
			size += uint32(ps)
			off = prev
		}
	}
	put32(h.buf[binsStart+int(off):], size)
	h.freeIdx.push(off, size)
	return nil
}

// realloc resizes the allocated cell at off to hold payload bytes, keeping
// its data (truncated when shrinking). It grows in place into a free
// neighbour when it can, else moves the cell; it returns the new offset.
func (h *Hive) realloc(off uint32, payload int) (uint32, error) {
	if _, err := h.cell(off, "cell"); err != nil {
		return 0, err
	}
	need, err := cellNeed(payload)
	if err != nil {
		return 0, err
	}
	size := uint32(-h.cellSize(off))
	if need <= size {
		if size-need >= 16 {
			h.touch()
			put32(h.buf[binsStart+int(off):], uint32(-int32(need)))
			tail := off + need
			h.starts.set(tail >> 3)
			put32(h.buf[binsStart+int(tail):], uint32(-int32(size-need)))
			return off, h.free(tail)
		}
		return off, nil
	}
	// Grow in place into a following free cell.
	if next := off + size; next < h.binEnd(off) && h.starts.get(next>>3) {
		if ns := h.cellSize(next); ns > 0 && size+uint32(ns) >= need {
			h.starts.clear(next >> 3)
			clear(h.buf[binsStart+int(next):][:uint32(ns)])
			h.claim(off, size+uint32(ns), need)
			return off, nil
		}
	}
	e, ok := h.freeIdx.take(h, need)
	if !ok {
		// The last cell of the file (or followed only by free space to the
		// end) grows in place into a lengthened last bin.
		end := off + size
		if c, free := h.trailingFree(); end == h.binsLen || (free > 0 && c == end) {
			if err := h.extendBins(need - size - free); err != nil {
				return 0, err
			}
			if free > 0 {
				h.starts.clear(c >> 3)
				clear(h.buf[binsStart+int(c):][:4])
			}
			h.claim(off, h.binsLen-off, need)
			return off, nil
		}
		if e, err = h.grow(need); err != nil {
			return 0, err
		}
	}
	noff := h.place(e, need)
	copy(h.buf[binsStart+int(noff)+4:], h.buf[binsStart+int(off)+4:binsStart+int(off)+int(size)])
	return noff, h.free(off)
}

// newCell allocates a cell holding data and returns its offset.
func (h *Hive) newCell(data []byte) (uint32, error) {
	off, err := h.alloc(len(data))
	if err != nil {
		return 0, err
	}
	copy(h.buf[binsStart+int(off)+4:], data)
	return off, nil
}

// cellAt returns the data slice of the allocated cell at off without checks;
// for cells the package itself just allocated or validated.
func (h *Hive) cellAt(off uint32) []byte {
	p := binsStart + int(off)
	return h.buf[p+4 : p+int(-h.cellSize(off))]
}

// ensureCap makes the allocated cell at off hold at least need bytes of
// data, keeping its data. When it must move or grow, it asks for half as
// much again (at most limit bytes, when limit > 0), so lists that grow one
// entry at a time move O(log n) times instead of every time. It never
// shrinks the cell. It returns the (possibly new) offset.
func (h *Hive) ensureCap(off uint32, need, limit int) (uint32, error) {
	if c := h.cellAt(off); len(c) >= need {
		return off, nil
	}
	want := need + need/2
	if limit > 0 && want > limit {
		want = max(limit, need)
	}
	return h.realloc(off, want)
}
