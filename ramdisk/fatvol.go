package ramdisk

import (
	"encoding/binary"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

// This file is our own reader of FAT12/16/32 volumes. go-diskfs v1.9.4 does
// the writing (allocation, directory entries, long names), but its reader
// trusts the input: fat32.Read allocates the FAT size named by the BPB
// before checking it against the volume, and getClusterList follows a
// cyclic chain forever. So every image is validated here first (bounded
// allocations, cycle and cross-link detection), and reads are served from
// here.

const (
	dirEntrySize = 32
	attrReadOnly = 0x01
	attrHidden   = 0x02
	attrSystem   = 0x04
	attrVolumeID = 0x08
	attrDir      = 0x10
	attrArchive  = 0x20
	attrLFN      = 0x0F
	ntLowerBase  = 0x08
	ntLowerExt   = 0x10
)

// fatVolume reads one FAT volume of a disk image.
type fatVolume struct {
	r    io.ReaderAt // the whole disk
	base int64       // byte offset of the volume in r
	bpb  *BPB
	fat  []byte // the first FAT
	lim  Limits
	// fatsDiffer is set when the second FAT is not a copy of the first;
	// go-diskfs refuses to open such a volume for writing.
	fatsDiffer bool
}

func openFATVolume(r io.ReaderAt, base, size int64, lim Limits) (*fatVolume, error) {
	var bs [SectorSize]byte
	if n, err := r.ReadAt(bs[:], base); n < SectorSize {
		return nil, formatErr(base, "boot sector", ErrFormat, "short read: %v", err)
	}
	bpb, err := ParseBPB(bs[:], size)
	if err != nil {
		if fe, ok := err.(*FormatError); ok {
			fe.Offset += base
		}
		return nil, err
	}
	v := &fatVolume{r: r, base: base, bpb: bpb, lim: lim}
	if err := v.loadFAT(); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *fatVolume) fatOffset(i int) int64 {
	return v.base + (int64(v.bpb.ReservedSectors)+int64(i)*int64(v.bpb.FATSize))*SectorSize
}

// loadFAT (re)reads the first FAT and compares the second with it.
func (v *fatVolume) loadFAT() error {
	n := int64(v.bpb.FATSize) * SectorSize
	if n > v.lim.MaxFATSize {
		return formatErr(v.fatOffset(0), "fat", ErrLimit, "FAT of %d bytes exceeds the limit of %d", n, v.lim.MaxFATSize)
	}
	if int64(len(v.fat)) != n {
		v.fat = make([]byte, n) // bounded: n is inside the volume (ParseBPB) and under MaxFATSize
	}
	if _, err := readFull(v.r, v.fat, v.fatOffset(0)); err != nil {
		return formatErr(v.fatOffset(0), "fat", ErrFormat, "reading the FAT: %v", err)
	}
	v.fatsDiffer = false
	if v.bpb.NumFATs == 2 {
		buf := make([]byte, 64<<10)
		for off := int64(0); off < n; off += int64(len(buf)) {
			k := min(int64(len(buf)), n-off)
			if _, err := readFull(v.r, buf[:k], v.fatOffset(1)+off); err != nil {
				return formatErr(v.fatOffset(1)+off, "fat", ErrFormat, "reading the second FAT: %v", err)
			}
			if string(buf[:k]) != string(v.fat[off:off+k]) {
				v.fatsDiffer = true
				break
			}
		}
	}
	return nil
}

// readFull reads len(b) bytes at off; a short read is an error.
func readFull(r io.ReaderAt, b []byte, off int64) (int, error) {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return n, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (v *fatVolume) maxCluster() uint32 { return v.bpb.ClusterCount + 1 }

// next returns the FAT entry of cluster c (c must be in range).
func (v *fatVolume) next(c uint32) uint32 {
	switch v.bpb.Type {
	case FAT12:
		off := c + c/2
		x := uint32(binary.LittleEndian.Uint16(v.fat[off:]))
		if c&1 != 0 {
			return x >> 4
		}
		return x & 0xFFF
	case FAT16:
		return uint32(binary.LittleEndian.Uint16(v.fat[2*c:]))
	}
	return binary.LittleEndian.Uint32(v.fat[4*c:]) & 0x0FFFFFFF
}

func (v *fatVolume) eocMin() uint32 {
	switch v.bpb.Type {
	case FAT12:
		return 0xFF8
	case FAT16:
		return 0xFFF8
	}
	return 0x0FFFFFF8
}

// chain returns the clusters of the chain starting at first. It fails on a
// cluster out of range, a free or bad cluster inside the chain, a chain
// longer than the volume (a cycle), and, when seen is given, a cluster that
// another chain already uses (cross-link).
func (v *fatVolume) chain(first uint32, seen []uint64) ([]uint32, error) {
	var out []uint32
	c := first
	for {
		if c < 2 || c > v.maxCluster() {
			return nil, formatErr(v.fatOffset(0), "fat", ErrFormat, "chain from cluster %d reaches cluster %d, outside 2..%d", first, c, v.maxCluster())
		}
		if seen != nil {
			if seen[c/64]&(1<<(c%64)) != 0 {
				return nil, formatErr(v.fatOffset(0), "fat", ErrFormat, "chain from cluster %d reaches cluster %d, which another chain uses (cross-link or cycle)", first, c)
			}
			seen[c/64] |= 1 << (c % 64)
		}
		out = append(out, c)
		if uint32(len(out)) > v.bpb.ClusterCount {
			return nil, formatErr(v.fatOffset(0), "fat", ErrFormat, "chain from cluster %d is longer than the volume (cycle)", first)
		}
		n := v.next(c)
		if n >= v.eocMin() {
			return out, nil
		}
		if n == 0 || n == v.eocMin()-1 {
			return nil, formatErr(v.fatOffset(0), "fat", ErrFormat, "chain from cluster %d reaches a free or bad cluster after %d", first, c)
		}
		c = n
	}
}

func (v *fatVolume) clusterOffset(c uint32) int64 {
	return v.base + (int64(v.bpb.FirstDataSector)+int64(c-2)*int64(v.bpb.SectorsPerCluster))*SectorSize
}

func (v *fatVolume) rootDirOffset() int64 {
	return v.base + (int64(v.bpb.ReservedSectors)+int64(v.bpb.NumFATs)*int64(v.bpb.FATSize))*SectorSize
}

// fatDirent is one parsed directory entry.
type fatDirent struct {
	name    string // the long name if there is a valid one, else the short name
	short   string // the 8.3 name with NT case flags applied, "NAME.EXT"
	raw     [11]byte
	attr    byte
	cluster uint32
	size    uint32
	mod     time.Time
	off     int64   // absolute offset of the 8.3 entry
	lfnOffs []int64 // absolute offsets of its long-name slots
}

func (e *fatDirent) isDir() bool { return e.attr&attrDir != 0 }

// fatDir is a directory's entries plus where its '..' entry lives.
type fatDir struct {
	cluster uint32 // 0 for the FAT12/16 root
	entries []*fatDirent
	dotdot  int64 // absolute offset of the ".." entry, -1 if none
}

// dirRegions returns the byte ranges (absolute offsets) that hold the
// directory starting at cluster (0 or the root cluster for the root).
func (v *fatVolume) dirRegions(cluster uint32, root bool) ([][2]int64, error) {
	if root && v.bpb.Type != FAT32 {
		return [][2]int64{{v.rootDirOffset(), int64(v.bpb.RootDirSectors) * SectorSize}}, nil
	}
	cl, err := v.chain(cluster, nil)
	if err != nil {
		return nil, err
	}
	cs := v.bpb.ClusterSize()
	if int64(len(cl))*cs > v.lim.MaxDirSize {
		return nil, formatErr(v.clusterOffset(cluster), "directory", ErrLimit, "directory of %d clusters exceeds %d bytes", len(cl), v.lim.MaxDirSize)
	}
	regs := make([][2]int64, 0, len(cl))
	for _, c := range cl {
		regs = append(regs, [2]int64{v.clusterOffset(c), cs})
	}
	return regs, nil
}

// readDir parses the directory at cluster (root when root is set).
func (v *fatVolume) readDir(cluster uint32, root bool) (*fatDir, error) {
	regs, err := v.dirRegions(cluster, root)
	if err != nil {
		return nil, err
	}
	d := &fatDir{cluster: cluster, dotdot: -1}
	var lfn lfnState
	buf := make([]byte, 0, 4096)
	for _, rg := range regs {
		if int64(cap(buf)) < rg[1] {
			buf = make([]byte, rg[1])
		}
		buf = buf[:rg[1]]
		if _, err := readFull(v.r, buf, rg[0]); err != nil {
			return nil, formatErr(rg[0], "directory", ErrFormat, "reading: %v", err)
		}
		for i := 0; i+dirEntrySize <= len(buf); i += dirEntrySize {
			e := buf[i : i+dirEntrySize]
			off := rg[0] + int64(i)
			switch {
			case e[0] == 0x00:
				return d, nil
			case e[0] == 0xE5:
				lfn.reset()
				continue
			case e[11]&0x3F == attrLFN:
				lfn.add(e, off)
				continue
			case e[11]&attrVolumeID != 0:
				lfn.reset()
				continue
			}
			ent := parseShortEntry(e, off)
			if ent.raw[0] == '.' && (string(ent.raw[:]) == ".          " || string(ent.raw[:]) == "..         ") {
				if ent.raw[1] == '.' {
					d.dotdot = off
				}
				lfn.reset()
				continue
			}
			if name, offs, ok := lfn.finish(ent.raw[:]); ok {
				ent.name, ent.lfnOffs = name, offs
			}
			d.entries = append(d.entries, ent)
		}
	}
	return d, nil
}

var cp437 = charmap.CodePage437.NewDecoder()

func parseShortEntry(e []byte, off int64) *fatDirent {
	ent := &fatDirent{off: off, attr: e[11], size: le32(e[28:])}
	copy(ent.raw[:], e[:11])
	ent.cluster = uint32(le16(e[26:])) | uint32(le16(e[20:]))<<16
	ent.mod = fatTime(le16(e[24:]), le16(e[22:]))
	raw := ent.raw
	if raw[0] == 0x05 {
		raw[0] = 0xE5
	}
	base := strings.TrimRight(decodeOEM(raw[:8]), " ")
	ext := strings.TrimRight(decodeOEM(raw[8:11]), " ")
	if e[12]&ntLowerBase != 0 {
		base = strings.ToLower(base)
	}
	if e[12]&ntLowerExt != 0 {
		ext = strings.ToLower(ext)
	}
	ent.short = base
	if ext != "" {
		ent.short += "." + ext
	}
	ent.name = ent.short
	return ent
}

func decodeOEM(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
		}
	}
	if ascii {
		return string(b)
	}
	s, err := cp437.Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(s)
}

// fatTime decodes a FAT date and time (local time, 2-second resolution).
func fatTime(d, t uint16) time.Time {
	if d == 0 {
		return time.Time{}
	}
	return time.Date(int(d>>9)+1980, time.Month(d>>5&0xF), int(d&0x1F), int(t>>11), int(t>>5&0x3F), int(t&0x1F)*2, 0, time.UTC)
}

// encodeFATTime is the inverse of fatTime (years before 1980 clamp to 1980).
func encodeFATTime(tm time.Time) (date, tod uint16) {
	y := tm.Year() - 1980
	if y < 0 {
		return 1<<5 | 1, 0
	}
	if y > 127 {
		y = 127
	}
	date = uint16(y)<<9 | uint16(tm.Month())<<5 | uint16(tm.Day())
	tod = uint16(tm.Hour())<<11 | uint16(tm.Minute())<<5 | uint16(tm.Second()/2)
	return date, tod
}

// lfnChecksum is the checksum of an 8.3 name stored in each long-name slot.
func lfnChecksum(raw []byte) byte {
	var s byte
	for _, c := range raw[:11] {
		s = (s&1)<<7 + s>>1 + c
	}
	return s
}

// lfnState collects long-name slots preceding an 8.3 entry.
type lfnState struct {
	units  [20][13]uint16
	want   int // next expected ordinal, 0 when no sequence is open
	count  int
	sum    byte
	offs   []int64
	broken bool
}

func (l *lfnState) reset() { l.want, l.count, l.offs, l.broken = 0, 0, nil, false }

func (l *lfnState) add(e []byte, off int64) {
	ord := int(e[0] & 0x1F)
	if e[0]&0x40 != 0 {
		l.reset()
		if ord == 0 || ord > len(l.units) {
			l.broken = true
			return
		}
		l.want, l.count, l.sum = ord, ord, e[13]
	} else if l.want == 0 || ord != l.want || e[13] != l.sum || l.broken {
		l.reset()
		l.broken = true
		return
	}
	u := &l.units[ord-1]
	for i := range 5 {
		u[i] = le16(e[1+2*i:])
	}
	for i := range 6 {
		u[5+i] = le16(e[14+2*i:])
	}
	for i := range 2 {
		u[11+i] = le16(e[28+2*i:])
	}
	l.offs = append(l.offs, off)
	l.want = ord - 1
}

// finish returns the long name if a complete sequence with the right
// checksum precedes the 8.3 entry raw, and resets the state.
func (l *lfnState) finish(raw []byte) (string, []int64, bool) {
	defer l.reset()
	if l.broken || l.count == 0 || l.want != 0 || l.sum != lfnChecksum(raw) {
		return "", nil, false
	}
	var all []uint16
	for i := range l.count {
		all = append(all, l.units[i][:]...)
	}
	for i, u := range all {
		if u == 0 {
			all = all[:i]
			break
		}
	}
	if len(all) == 0 {
		return "", nil, false
	}
	return string(utf16.Decode(all)), append([]int64(nil), l.offs...), true
}

// walkEntry is one file or directory found by walk.
type walkEntry struct {
	path   string // slash-separated, no leading slash
	ent    *fatDirent
	parent *fatDir
}

// walk visits the whole tree depth-first (directories before their
// contents, entries in directory order). It detects directory cycles and
// enforces MaxDepth and MaxEntries. With check set it also validates every
// chain (no cross-links, lengths matching sizes) and collects warnings.
func (v *fatVolume) walk(check bool, warn func(int64, string, ...any), fn func(walkEntry) error) error {
	var seen []uint64
	if check {
		seen = make([]uint64, (uint64(v.maxCluster())+64)/64) // bounded by the FAT size
	}
	rootCl := uint32(0)
	if v.bpb.Type == FAT32 {
		rootCl = v.bpb.RootCluster
	}
	if check && v.bpb.Type == FAT32 {
		if _, err := v.chain(rootCl, seen); err != nil {
			return err
		}
	}
	visited := map[uint32]bool{rootCl: true}
	total := 0
	var rec func(cluster uint32, root bool, prefix string, depth int) error
	rec = func(cluster uint32, root bool, prefix string, depth int) error {
		if depth > v.lim.MaxDepth {
			return formatErr(v.clusterOffset(max(cluster, 2)), "directory", ErrLimit, "directory tree deeper than %d at %q", v.lim.MaxDepth, prefix)
		}
		d, err := v.readDir(cluster, root)
		if err != nil {
			return err
		}
		total += len(d.entries)
		if total > v.lim.MaxEntries {
			return formatErr(v.clusterOffset(max(cluster, 2)), "directory", ErrLimit, "more than %d directory entries", v.lim.MaxEntries)
		}
		for _, e := range d.entries {
			p := path.Join(prefix, e.name)
			if check {
				if err := v.checkEntry(e, p, seen, warn); err != nil {
					return err
				}
			}
			if err := fn(walkEntry{path: p, ent: e, parent: d}); err != nil {
				return err
			}
			if e.isDir() {
				if e.cluster == 0 || visited[e.cluster] {
					return formatErr(e.off, "directory entry", ErrFormat, "directory %q points at cluster %d, already part of the tree (cycle)", p, e.cluster)
				}
				visited[e.cluster] = true
				if err := rec(e.cluster, false, p, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return rec(rootCl, true, "", 1)
}

func (v *fatVolume) checkEntry(e *fatDirent, p string, seen []uint64, warn func(int64, string, ...any)) error {
	if e.cluster == 0 {
		if e.size != 0 && !e.isDir() {
			return formatErr(e.off, "directory entry", ErrFormat, "%q has %d bytes but no clusters", p, e.size)
		}
		return nil
	}
	cl, err := v.chain(e.cluster, seen)
	if err != nil {
		return err
	}
	if e.isDir() {
		return nil
	}
	cs := uint64(v.bpb.ClusterSize())
	need := (uint64(e.size) + cs - 1) / cs
	switch {
	case uint64(len(cl)) < need:
		return formatErr(e.off, "directory entry", ErrFormat, "%q has %d bytes but only %d clusters", p, e.size, len(cl))
	case uint64(len(cl)) > need && warn != nil:
		warn(e.off, "%q has %d bytes but %d clusters (fsck.fat would truncate the chain)", p, e.size, len(cl))
	}
	return nil
}

// lookup finds the entry at the slash-separated path p (no leading slash;
// "" or "." is the root, returned as nil with the root directory).
// Components match long or short names case-insensitively, as on Windows.
func (v *fatVolume) lookup(p string) (*fatDirent, *fatDir, error) {
	rootCl := uint32(0)
	if v.bpb.Type == FAT32 {
		rootCl = v.bpb.RootCluster
	}
	d, err := v.readDir(rootCl, true)
	if err != nil {
		return nil, nil, err
	}
	if p == "" || p == "." {
		return nil, d, nil
	}
	parts := strings.Split(p, "/")
	for i, part := range parts {
		var found *fatDirent
		for _, e := range d.entries {
			if strings.EqualFold(e.name, part) || strings.EqualFold(e.short, part) {
				found = e
				break
			}
		}
		if found == nil {
			return nil, nil, ErrNotFound
		}
		if i == len(parts)-1 {
			return found, d, nil
		}
		if !found.isDir() || found.cluster == 0 {
			return nil, nil, ErrNotFound
		}
		if i >= v.lim.MaxDepth {
			return nil, nil, ErrLimit
		}
		if d, err = v.readDir(found.cluster, false); err != nil {
			return nil, nil, err
		}
	}
	return nil, nil, ErrNotFound
}

// extent maps a run of file bytes to disk bytes.
type extent struct {
	fileOff, diskOff, n int64
}

// fileExtents returns the disk runs holding a file's size bytes.
func (v *fatVolume) fileExtents(e *fatDirent) ([]extent, error) {
	if e.size == 0 {
		return nil, nil
	}
	cl, err := v.chain(e.cluster, nil)
	if err != nil {
		return nil, err
	}
	cs := v.bpb.ClusterSize()
	if int64(len(cl))*cs < int64(e.size) {
		return nil, formatErr(e.off, "directory entry", ErrFormat, "%d bytes in %d clusters", e.size, len(cl))
	}
	var ex []extent
	left := int64(e.size)
	for i, c := range cl {
		if left <= 0 {
			break
		}
		n := min(cs, left)
		d := v.clusterOffset(c)
		if k := len(ex) - 1; k >= 0 && ex[k].diskOff+ex[k].n == d {
			ex[k].n += n
		} else {
			ex = append(ex, extent{fileOff: int64(i) * cs, diskOff: d, n: n})
		}
		left -= n
	}
	return ex, nil
}

// extentReader reads a file through its extents.
type extentReader struct {
	r    io.ReaderAt
	ex   []extent
	size int64
}

func (x *extentReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("ramdisk: negative offset: %w", ErrInvalidArgument)
	}
	n := 0
	for len(p) > 0 && off < x.size {
		i := sort.Search(len(x.ex), func(i int) bool { return x.ex[i].fileOff+x.ex[i].n > off })
		if i == len(x.ex) {
			break
		}
		e := x.ex[i]
		in := off - e.fileOff
		k := min(int64(len(p)), e.n-in)
		m, err := x.r.ReadAt(p[:k], e.diskOff+in)
		n += m
		if int64(m) < k {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		p, off = p[k:], off+k
	}
	if len(p) > 0 {
		return n, io.EOF
	}
	return n, nil
}
