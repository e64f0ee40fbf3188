package hive

import (
	"bytes"
	"fmt"
	"math/bits"
	"sort"
)

// Transaction logs. Windows writes changes to a log before the primary
// file; a crash in between leaves the primary dirty (sequence numbers
// differ, or a bad checksum) with the missing changes in the logs.
//
// New format (Windows 8.1 and later, base-block file type 6): after the
// base-block copy in the first 512 bytes come "HvLE" entries on 512-byte
// boundaries: signature, size, flags, sequence number, hive bins data size,
// dirty page count, Marvin32 hashes of the rest of the entry and of its
// first 32 bytes, (offset, size) page references, then the pages.
//
// Old format (file type 1, or 2 on NT 4/2000): after the base-block copy,
// "DIRT" and a bitmap with one bit per 512-byte page of the hive bins data;
// the dirty pages follow from the next 512-byte boundary, in bitmap order.

const (
	logSector    = 512
	hvleHeader   = 40
	sigHvLE      = "HvLE"
	sigDIRT      = "DIRT"
	logPageAlign = 512
)

// LogFormat is the format of a transaction log.
type LogFormat int

// Transaction log formats.
const (
	LogNone LogFormat = iota // nothing was replayed
	LogNew                   // HvLE entries with Marvin32 hashes (Windows 8.1 and later)
	LogOld                   // DIRT bitmap and dirty pages
)

func (f LogFormat) String() string {
	switch f {
	case LogNew:
		return "new (HvLE)"
	case LogOld:
		return "old (DIRT)"
	}
	return "none"
}

// ReplayResult says what Replay did.
type ReplayResult struct {
	Format      LogFormat
	Entries     int    // log entries applied (an old-format log counts as one)
	Pages       int    // dirty pages written (new format: page references; old: 512-byte pages)
	Bytes       int64  // bytes of page data written
	FirstSeq    uint32 // sequence number of the first entry applied (new format)
	Sequence    uint32 // sequence numbers of the recovered base block
	LogsUsed    []int  // indexes (into the logs given) of the logs that supplied entries
	RecoveredBB bool   // the primary's base block was bad and came from a log
}

// Replay applies transaction logs (the contents of the .LOG1/.LOG2, or
// .LOG, files) to a dirty hive, the way Windows recovers a hive when it
// loads it. A clean hive is left as it is (Windows ignores logs then) and
// the result reports Format LogNone.
//
// New-format entries are applied in sequence from the primary's secondary
// sequence number: older entries are skipped, and the replay ends at a gap.
// An entry whose hashes or sizes are wrong is an error (wrapping ErrReplay,
// and ErrChecksum for a hash). Replay works on a copy: on any error the
// hive is left exactly as it was, and on success the hive holds the
// recovered image with equal sequence numbers and a valid checksum.
// Key handles taken before a successful replay must not be used after it.
func (h *Hive) Replay(logs ...[]byte) (ReplayResult, error) {
	var res ReplayResult
	if !h.Dirty() {
		return res, nil
	}
	type logFile struct {
		idx int
		b   []byte
		bb  *baseBlock
	}
	var newLogs, oldLogs []logFile
	for i, l := range logs {
		if len(l) == 0 {
			continue
		}
		if len(l) < logSector {
			return res, h.replayErr(i, 0, nil, "log of %d bytes is shorter than a sector", len(l))
		}
		var bb baseBlock
		copy(bb[:], l[:logSector])
		if string(bb.signature()) != "regf" {
			return res, h.replayErr(i, 0, nil, "no regf signature")
		}
		if !bb.checksumOK() {
			return res, h.replayErr(i, 508, ErrChecksum, "base block checksum %#08x, computed %#08x", le32(bb.checksum()), bb.computeChecksum())
		}
		switch t := le32(bb.fileType()); t {
		case fileTypeLogNew:
			newLogs = append(newLogs, logFile{i, l, &bb})
		case fileTypeLogOld, fileTypeLogNT:
			oldLogs = append(oldLogs, logFile{i, l, &bb})
		default:
			return res, h.replayErr(i, 28, ErrUnsupported, "file type %d is not a transaction log", t)
		}
	}
	if len(newLogs) > 0 && len(oldLogs) > 0 {
		return res, fmt.Errorf("hive: both old- and new-format logs given: %w", ErrReplay)
	}
	buf := bytes.Clone(h.buf)
	bb := (*baseBlock)(buf[:binsStart])
	if !bb.checksumOK() {
		// Recover the base block from the newest log.
		all := append(append([]logFile(nil), newLogs...), oldLogs...)
		if len(all) == 0 {
			return res, fmt.Errorf("hive: the base block is damaged and no log was given: %w", ErrReplay)
		}
		best := all[0]
		for _, l := range all[1:] {
			if le32(l.bb.seq1()) > le32(best.bb.seq1()) {
				best = l
			}
		}
		copy(buf[:logSector], best.b[:logSector])
		put32(bb.fileType(), fileTypePrimary)
		res.RecoveredBB = true
	}
	var err error
	switch {
	case len(newLogs) > 0:
		sort.SliceStable(newLogs, func(i, j int) bool { return le32(newLogs[i].bb.seq1()) < le32(newLogs[j].bb.seq1()) })
		expected := le32(bb.seq2())
		res.Format = LogNew
		res.FirstSeq = expected
		for _, l := range newLogs {
			before := res.Entries
			if buf, expected, err = h.replayNew(buf, l.idx, l.b, expected, &res); err != nil {
				return ReplayResult{}, err
			}
			if res.Entries > before {
				res.LogsUsed = append(res.LogsUsed, l.idx)
			}
		}
		if res.Entries == 0 {
			res.FirstSeq = 0
		}
	case len(oldLogs) > 0:
		res.Format = LogOld
		if buf, err = h.replayOld(buf, oldLogs[0].idx, oldLogs[0].b, oldLogs[0].bb, &res); err != nil {
			return ReplayResult{}, err
		}
		for _, l := range oldLogs[1:] {
			if res.Entries > 0 {
				break
			}
			if buf, err = h.replayOld(buf, l.idx, l.b, l.bb, &res); err != nil {
				return ReplayResult{}, err
			}
		}
	}
	if res.Entries == 0 && !res.RecoveredBB {
		res.Format = LogNone
		return res, nil
	}
	bb = (*baseBlock)(buf[:binsStart])
	put32(bb.fileType(), fileTypePrimary)
	put32(bb.checksum(), bb.computeChecksum())
	res.Sequence = le32(bb.seq1())
	nh, err := parseOwned(buf, &Options{Limits: h.lim, Now: h.now})
	if err != nil {
		return ReplayResult{}, fmt.Errorf("hive: the replayed hive does not parse: %w: %w", ErrReplay, err)
	}
	*h = *nh
	return res, nil
}

func (h *Hive) replayErr(log int, off int64, sentinel error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if sentinel != nil {
		return fmt.Errorf("hive: log %d at %#x: %s: %w: %w", log, off, msg, ErrReplay, sentinel)
	}
	return fmt.Errorf("hive: log %d at %#x: %s: %w", log, off, msg, ErrReplay)
}

// growBins makes buf hold bins data of binsSize bytes (never shrinking the
// file) after checking the size against the limits and the bytes a log
// supplies.
func (h *Hive) growBins(buf []byte, binsSize uint32, supplied int64) ([]byte, error) {
	cur := int64(le32((*baseBlock)(buf[:binsStart]).binsSize()))
	if int64(binsSize) > h.lim.MaxFileSize-binsStart || int64(binsSize) > max(cur, int64(len(buf)-binsStart))+supplied+4096 {
		return nil, fmt.Errorf("hive bins data size %#x is more than the log supplies", binsSize)
	}
	if need := binsStart + int(binsSize); need > len(buf) {
		buf = append(buf, make([]byte, need-len(buf))...)
	}
	return buf, nil
}

// replayNew applies the entries of one new-format log.
func (h *Hive) replayNew(buf []byte, idx int, log []byte, expected uint32, res *ReplayResult) ([]byte, uint32, error) {
	for off := logSector; off+hvleHeader <= len(log); {
		e := log[off:]
		if string(e[:4]) != sigHvLE {
			break
		}
		size := int(le32(e[4:]))
		if size < hvleHeader || size%logPageAlign != 0 || size > len(e) {
			if le32(e[12:]) == expected {
				return nil, 0, h.replayErr(idx, int64(off), nil, "entry size %d is not a multiple of 512 inside the log", size)
			}
			break
		}
		seq := le32(e[12:])
		if seq < expected {
			off += size // an old entry, already in the primary
			continue
		}
		if seq > expected {
			break // a gap: recovery ends here
		}
		e = e[:size]
		if got := marvin32(marvinSeed, e[hvleHeader:]); got != le64(e[24:]) {
			return nil, 0, h.replayErr(idx, int64(off), ErrChecksum, "entry %d: hash-1 %#016x, computed %#016x", seq, le64(e[24:]), got)
		}
		if got := marvin32(marvinSeed, e[:32]); got != le64(e[32:]) {
			return nil, 0, h.replayErr(idx, int64(off), ErrChecksum, "entry %d: hash-2 %#016x, computed %#016x", seq, le64(e[32:]), got)
		}
		binsSize := le32(e[16:])
		if binsSize == 0 || binsSize%4096 != 0 {
			return nil, 0, h.replayErr(idx, int64(off), nil, "entry %d: hive bins data size %#x", seq, binsSize)
		}
		count := uint64(le32(e[20:]))
		if hvleHeader+8*count > uint64(size) {
			return nil, 0, h.replayErr(idx, int64(off), nil, "entry %d: %d page references exceed the entry", seq, count)
		}
		var err error
		if buf, err = h.growBins(buf, binsSize, int64(size)); err != nil {
			return nil, 0, h.replayErr(idx, int64(off), nil, "entry %d: %v", seq, err)
		}
		data := uint64(hvleHeader + 8*count)
		for i := range count {
			ref := e[hvleHeader+8*i:]
			po, ps := uint64(le32(ref)), uint64(le32(ref[4:]))
			if ps == 0 || data+ps > uint64(size) || po+ps > uint64(binsSize) {
				return nil, 0, h.replayErr(idx, int64(off), nil, "entry %d: page %d (%#x, %d bytes) outside the entry or the bins", seq, i, po, ps)
			}
			copy(buf[binsStart+po:], e[data:data+ps])
			data += ps
			res.Bytes += int64(ps)
		}
		bb := (*baseBlock)(buf[:binsStart])
		put32(bb.binsSize(), binsSize)
		copy(bb[144:148], e[8:12]) // base block flags follow the entry's
		put32(bb.seq1(), seq)
		put32(bb.seq2(), seq)
		res.Entries++
		res.Pages += int(count)
		expected++
		off += size
	}
	return buf, expected, nil
}

// replayOld applies one old-format (DIRT) log if it belongs to the hive's
// current state (same last-written time).
func (h *Hive) replayOld(buf []byte, idx int, log []byte, lbb *baseBlock, res *ReplayResult) ([]byte, error) {
	pb := (*baseBlock)(buf[:binsStart])
	if le32(lbb.seq1()) != le32(lbb.seq2()) {
		return nil, h.replayErr(idx, 4, nil, "log base block sequence numbers differ: the log itself was not completed")
	}
	stamp := le64(pb.timestamp())
	if !pb.checksumOK() && len(buf) >= binsStart+hbinHeaderSize {
		stamp = le64((*hbinHeader)(buf[binsStart : binsStart+hbinHeaderSize]).timestamp())
	}
	if !res.RecoveredBB && le64(lbb.timestamp()) != stamp {
		return buf, nil // not this hive's log; try another
	}
	binsSize := le32(lbb.binsSize())
	if binsSize == 0 || binsSize%4096 != 0 {
		return nil, h.replayErr(idx, 40, nil, "hive bins data size %#x", binsSize)
	}
	if len(log) < logSector+4 || string(log[logSector:logSector+4]) != sigDIRT {
		return nil, h.replayErr(idx, logSector, nil, "no DIRT signature")
	}
	nbits := int(binsSize / logPageAlign)
	bitmapLen := (nbits + 7) / 8
	start := logSector + 4 + bitmapLen
	if start > len(log) {
		return nil, h.replayErr(idx, logSector, nil, "dirty bitmap of %d bytes exceeds the log", bitmapLen)
	}
	bitmap := log[logSector+4 : start]
	pages := (start + logPageAlign - 1) / logPageAlign * logPageAlign
	dirty := 0
	for _, b := range bitmap {
		dirty += bits.OnesCount8(b)
	}
	if pages+dirty*logPageAlign > len(log) {
		return nil, h.replayErr(idx, int64(pages), nil, "%d dirty pages exceed the log", dirty)
	}
	var err error
	if buf, err = h.growBins(buf, binsSize, int64(dirty)*logPageAlign); err != nil {
		return nil, h.replayErr(idx, 40, nil, "%v", err)
	}
	n := 0
	for i := range nbits {
		if bitmap[i/8]&(1<<(i%8)) == 0 {
			continue
		}
		src := log[pages+n*logPageAlign:][:logPageAlign]
		copy(buf[binsStart+i*logPageAlign:], src)
		n++
	}
	// The log's base block describes the hive after the logged write.
	copy(buf[:logSector], log[:logSector])
	bb := (*baseBlock)(buf[:binsStart])
	put32(bb.fileType(), fileTypePrimary)
	res.Entries++
	res.Pages += n
	res.Bytes += int64(n) * logPageAlign
	res.LogsUsed = append(res.LogsUsed, idx)
	return buf, nil
}
