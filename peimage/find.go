package peimage

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/winbootkit/winbootkit/internal/utf16le"
)

// Encoding selects how a string is looked for: as its bytes (ASCII), as
// UTF-16LE, or both. The zero value means both.
type Encoding uint8

const (
	// ASCII matches the string's bytes as given (8-bit; non-ASCII characters
	// are their UTF-8 bytes).
	ASCII Encoding = 1 << iota
	// UTF16LE matches the string encoded as UTF-16 little-endian, at any
	// file offset.
	UTF16LE
	// Both matches either encoding.
	Both = ASCII | UTF16LE
)

func (e Encoding) String() string {
	switch e {
	case ASCII:
		return "ASCII"
	case UTF16LE:
		return "UTF-16LE"
	case Both, 0:
		return "ASCII+UTF-16LE"
	}
	return fmt.Sprintf("Encoding(%d)", uint8(e))
}

func (e Encoding) orBoth() Encoding {
	if e == 0 {
		return Both
	}
	return e
}

// UnitSize is the size of one character: 2 for UTF-16LE, otherwise 1.
func (e Encoding) UnitSize() int {
	if e == UTF16LE {
		return 2
	}
	return 1
}

func (e Encoding) valid() bool { return e&^Both == 0 }

// encode returns s in the single encoding e.
func (e Encoding) encode(s string) []byte {
	if e == UTF16LE {
		return utf16le.Encode(s)
	}
	return []byte(s)
}

// FindOptions control Find. The zero value (or nil) finds case-sensitive
// matches in both encodings.
type FindOptions struct {
	Encoding   Encoding // ASCII, UTF16LE or Both (zero: Both)
	IgnoreCase bool     // fold ASCII letters A-Z/a-z only
}

// Match is one occurrence of a string.
type Match struct {
	Offset   int64    // file offset of the first byte
	Length   int      // bytes matched
	Encoding Encoding // ASCII or UTF16LE

	// Section is the name of the section whose raw data holds the match,
	// SectionIndex its index in Headers.Sections (-1 when none), and RVA the
	// match's relative virtual address (valid when SectionIndex >= 0).
	Section      string
	SectionIndex int
	RVA          uint32

	InHeaders   bool // in the PE headers (before the first section's data)
	InCertTable bool // in the Authenticode certificate table
	InOverlay   bool // after the headers and section data
}

func (m Match) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%#010x  %-8s %3d bytes", m.Offset, m.Encoding, m.Length)
	if m.SectionIndex >= 0 {
		fmt.Fprintf(&sb, "  section %-8s rva %#x", m.Section, m.RVA)
	}
	if m.InHeaders {
		sb.WriteString("  in headers")
	}
	if m.InCertTable {
		sb.WriteString("  in certificate table")
	}
	if m.InOverlay {
		sb.WriteString("  in overlay")
	}
	return sb.String()
}

// Find returns every occurrence of s, in file order; within one encoding
// occurrences do not overlap (the search resumes after each match). It
// returns ErrLimit when one encoding matches more than Limits.MaxMatches
// times.
func (img *Image) Find(s string, opts *FindOptions) ([]Match, error) {
	var o FindOptions
	if opts != nil {
		o = *opts
	}
	enc := o.Encoding.orBoth()
	if !enc.valid() {
		return nil, fmt.Errorf("peimage: invalid encoding %d", o.Encoding)
	}
	if s == "" {
		return nil, fmt.Errorf("peimage: empty search string: %w", ErrNotFound)
	}
	var pats []*pattern
	for _, e := range []Encoding{ASCII, UTF16LE} {
		if enc&e != 0 {
			pats = append(pats, newPattern(s, e, o.IgnoreCase))
		}
	}
	var all []Match
	maxMatches := img.limits.withDefaults().MaxMatches // a zero Image has no limits set
	counts := make([]int, len(pats))
	var limitErr error
	search(img.data, pats, o.IgnoreCase, func(k, off int) bool {
		p := pats[k]
		if counts[k] == maxMatches {
			limitErr = fmt.Errorf("peimage: %q as %s matches more than Limits.MaxMatches (%d) times: %w", s, p.enc, maxMatches, ErrLimit)
			return false
		}
		counts[k]++
		all = append(all, img.describe(int64(off), len(p.b), p.enc))
		return true
	})
	if limitErr != nil {
		return nil, limitErr
	}
	sortMatches(all)
	return all, nil
}

// describe locates a match in the PE structure.
func (img *Image) describe(off int64, n int, e Encoding) Match {
	m := Match{Offset: off, Length: n, Encoding: e, SectionIndex: -1}
	h := img.hdr
	if h == nil {
		return m
	}
	size := int64(len(img.data))
	if i := h.sectionAt(off, size); i >= 0 {
		s := h.Sections[i]
		m.SectionIndex, m.Section, m.RVA = i, s.Name, s.VirtualAddress+uint32(off-s.Offset)
	}
	m.InHeaders = off < h.firstSectionData(size)
	m.InCertTable = h.CertTable.overlaps(off, int64(n))
	m.InOverlay = h.Overlay.Size > 0 && off+int64(n) > h.Overlay.Offset
	return m
}

// firstSectionData is where the headers end: the lowest raw offset of a
// section with data, or SizeOfHeaders when that is lower (or no section
// has data).
func (h *Headers) firstSectionData(size int64) int64 {
	first := min(int64(h.SizeOfHeaders), size)
	for _, s := range h.Sections {
		if s.Size > 0 && s.Offset > 0 {
			first = min(first, s.Offset)
		}
	}
	return first
}

func sortMatches(m []Match) {
	slices.SortStableFunc(m, func(a, b Match) int { return cmp.Compare(a.Offset, b.Offset) })
}

// pattern is a search string compiled for one encoding.
type pattern struct {
	enc  Encoding
	b    []byte
	fold []bool // fold[i]: b[i] is an ASCII letter matched case-insensitively
	// index[r] is the byte offset in b of the r-th character of the string
	// (by rune); -1 for characters whose byte there is not the character
	// itself (non-ASCII).
	index []int
}

// newPattern compiles s for encoding e. With ignoreCase, ASCII letters fold;
// in UTF-16LE only the low byte of a unit whose high byte is zero is a
// letter.
func newPattern(s string, e Encoding, ignoreCase bool) *pattern {
	p := &pattern{enc: e, b: e.encode(s)}
	p.fold = make([]bool, len(p.b))
	if ignoreCase {
		for i, c := range p.b {
			if !isLetter(c) || (e == UTF16LE && (i%2 == 1 || i+1 >= len(p.b) || p.b[i+1] != 0)) {
				continue
			}
			p.fold[i] = true
		}
	}
	u := 0 // UTF-16LE byte offset
	for i, r := range s {
		idx := -1
		if r < 0x80 {
			idx = i
			if e == UTF16LE {
				idx = u
			}
		}
		p.index = append(p.index, idx)
		u += 2
		if r >= 0x10000 {
			u += 2
		}
	}
	return p
}

func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// matchAt reports whether p matches data at off (which must leave room).
func (p *pattern) matchAt(data []byte, off int) bool {
	for i, c := range p.b {
		d := data[off+i]
		if d != c && !(p.fold[i] && d|0x20 == c|0x20) {
			return false
		}
	}
	return true
}

// sampleSize is how many bytes search samples to estimate byte frequencies.
const sampleSize = 64 << 10

// search calls fn(k, off) for every non-overlapping occurrence of pats[k]
// in data, until fn returns false. It scans data once for all patterns:
// every occurrence contains one chosen ASCII character (the rarest in a
// sample of data) at a known offset, so candidates come from IndexByte on
// that character (and its other case when folding), and each pattern is
// verified around them.
func search(data []byte, pats []*pattern, fold bool, fn func(k, off int) bool) {
	anchor, ok := chooseAnchor(data, pats, fold)
	if !ok {
		// No ASCII character to share: one pass per pattern on its first byte.
		for k, p := range pats {
			scan(data, []*pattern{p}, []int{0}, p.b[0], p.b[0]^boolByte(p.fold[0], 0x20), func(_, off int) bool { return fn(k, off) })
		}
		return
	}
	idx := make([]int, len(pats))
	for k, p := range pats {
		idx[k] = p.index[anchor]
	}
	c := pats[0].b[idx[0]]
	scan(data, pats, idx, c, c^boolByte(pats[0].fold[idx[0]], 0x20), fn)
}

func boolByte(b bool, v byte) byte {
	if b {
		return v
	}
	return 0
}

// chooseAnchor picks the character of the string (by rune index) that all
// patterns hold as a plain byte and that is rarest in a sample of data.
func chooseAnchor(data []byte, pats []*pattern, fold bool) (int, bool) {
	var freq [256]int
	step := max(len(data)/4, sampleSize)
	for off := 0; off < len(data); off += step {
		for _, c := range data[off:min(off+sampleSize/4, len(data))] {
			freq[c]++
		}
	}
	best, bestCost := -1, 0
	for r, i := range pats[0].index {
		if i < 0 || pats[0].b[i] == 0 {
			continue
		}
		c := pats[0].b[i]
		cost := freq[c]
		if fold && isLetter(c) {
			cost += freq[c^0x20]
		}
		if best < 0 || cost < bestCost {
			best, bestCost = r, cost
		}
	}
	return best, best >= 0
}

// scan runs the candidate loop: lo and hi are the anchor byte in both cases
// (equal when it does not fold), and idx[k] its offset in pats[k].
func scan(data []byte, pats []*pattern, idx []int, lo, hi byte, fn func(k, off int) bool) {
	next := make([]int, len(pats)) // where pattern k may match next (no overlap)
	nextLo, nextHi := -2, -2       // cached IndexByte results; -2: not searched; -1: none left
	find := func(c byte, from, cur int) int {
		if cur >= from || cur == -1 {
			return cur
		}
		if i := bytes.IndexByte(data[from:], c); i >= 0 {
			return from + i
		}
		return -1
	}
	for pos := 0; pos < len(data); {
		nextLo = find(lo, pos, nextLo)
		cand := nextLo
		if hi != lo {
			nextHi = find(hi, pos, nextHi)
			if cand < 0 || (nextHi >= 0 && nextHi < cand) {
				cand = nextHi
			}
		}
		if cand < 0 {
			return
		}
		for k, p := range pats {
			start := cand - idx[k]
			if start < next[k] || start+len(p.b) > len(data) || !p.matchAt(data, start) {
				continue
			}
			if !fn(k, start) {
				return
			}
			next[k] = start + len(p.b)
		}
		pos = cand + 1
	}
}
