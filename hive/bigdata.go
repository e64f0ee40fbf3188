package hive

// Big data ("db"): in hives of version 1.4 and later, value data over 16344
// bytes is split into segments of 16344 bytes (the last one shorter), each
// in its own cell; a segment-list cell holds their offsets and the db cell
// points at the list: "db", u16 segment count, u32 list offset.

const dbFixed = 8

// bigSegments validates the db record at off for size bytes of data and
// returns its segment offsets and its segment-list offset.
func (h *Hive) bigSegments(off uint32, size uint32) ([]uint32, uint32, error) {
	c, err := h.cell(off, "db cell")
	if err != nil {
		return nil, 0, err
	}
	if len(c) < dbFixed || c[0] != 'd' || c[1] != 'b' {
		return nil, 0, cellErr(off, "db cell", "not a big-data record")
	}
	count := int(le16(c[2:]))
	need := int((uint64(size) + maxSegment - 1) / maxSegment)
	if count != need {
		return nil, 0, cellErr(off, "db cell", "%d segments for %d bytes of data (want %d)", count, size, need)
	}
	list := le32(c[4:])
	lc, err := h.cell(list, "db segment list")
	if err != nil {
		return nil, 0, err
	}
	if 4*count > len(lc) {
		return nil, 0, cellErr(list, "db segment list", "%d segments exceed the cell", count)
	}
	segs := make([]uint32, count)
	for i := range segs {
		segs[i] = le32(lc[4*i:])
	}
	if dup, ok := h.firstDuplicate(segs); ok {
		return nil, 0, cellErr(list, "db segment list", "segment %#x listed twice", int64(dup)+binsStart)
	}
	left := size
	for i := range segs {
		sc, err := h.cell(segs[i], "db segment")
		if err != nil {
			return nil, 0, err
		}
		take := min(left, maxSegment)
		if uint32(len(sc)) < take {
			return nil, 0, cellErr(segs[i], "db segment", "segment of %d bytes, %d needed", len(sc), take)
		}
		left -= take
	}
	return segs, list, nil
}

// appendBigData appends size bytes of big data from the db at off to dst.
func (h *Hive) appendBigData(dst []byte, off uint32, size uint32) ([]byte, error) {
	segs, _, err := h.bigSegments(off, size)
	if err != nil {
		return dst, err
	}
	dst = append(make([]byte, 0, len(dst)+int(size)), dst...)
	left := size
	for _, s := range segs {
		take := min(left, maxSegment)
		dst = append(dst, h.cellAt(s)[:take]...)
		left -= take
	}
	return dst, nil
}

// writeBigData stores data in segments and returns the db cell offset.
func (h *Hive) writeBigData(data []byte) (uint32, error) {
	count := (len(data) + maxSegment - 1) / maxSegment
	if count > 0xFFFF {
		return 0, ErrLimit
	}
	segs := make([]uint32, count)
	for i := range segs {
		// Every segment cell gets the full 16344 bytes, the last one too,
		// as Windows allocates them; hivex reads a segment's length from
		// its cell size and would cut a tightly sized last segment short.
		s, err := h.alloc(maxSegment)
		if err != nil {
			return 0, err
		}
		copy(h.cellAt(s), data[i*maxSegment:min((i+1)*maxSegment, len(data))])
		segs[i] = s
	}
	list, err := h.alloc(4 * count)
	if err != nil {
		return 0, err
	}
	lc := h.cellAt(list)
	for i, s := range segs {
		put32(lc[4*i:], s)
	}
	db, err := h.alloc(dbFixed)
	if err != nil {
		return 0, err
	}
	c := h.cellAt(db)
	copy(c, "db")
	put16(c[2:], uint16(count))
	put32(c[4:], list)
	return db, nil
}
