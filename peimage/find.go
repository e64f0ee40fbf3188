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

// UnitSize is the size of one character: 1 for ASCII, 2 for UTF-16LE.
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
	var all []Match
	for _, e := range []Encoding{ASCII, UTF16LE} {
		if enc&e == 0 {
			continue
		}
		pat := e.encode(s)
		n := 0
		var limitErr error
		findAll(img.data, newPattern(pat, e, o.IgnoreCase), func(off int) bool {
			if n == img.limits.MaxMatches {
				limitErr = fmt.Errorf("peimage: %q as %s matches more than Limits.MaxMatches (%d) times: %w", s, e, img.limits.MaxMatches, ErrLimit)
				return false
			}
			n++
			all = append(all, img.describe(int64(off), len(pat), e))
			return true
		})
		if limitErr != nil {
			return nil, limitErr
		}
	}
	if enc == Both {
		sortMatches(all)
	}
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

// pattern is a compiled search string.
type pattern struct {
	b    []byte
	fold []bool // fold[i]: b[i] is an ASCII letter matched case-insensitively
	any  bool   // some fold[i]
	// anchor is the index searched with IndexByte; alt is its other case
	// (equal to b[anchor] when the anchor does not fold).
	anchor int
	alt    byte
}

// newPattern compiles pat. With ignoreCase, letters fold; in UTF-16LE only
// the low byte of a unit whose high byte is zero is a letter.
func newPattern(pat []byte, e Encoding, ignoreCase bool) *pattern {
	p := &pattern{b: pat, fold: make([]bool, len(pat))}
	if ignoreCase {
		for i, c := range pat {
			if !isLetter(c) || (e == UTF16LE && (i%2 == 1 || i+1 >= len(pat) || pat[i+1] != 0)) {
				continue
			}
			p.fold[i], p.any = true, true
		}
	}
	// Anchor on the rarest-looking byte: prefer a non-zero byte that does not
	// fold (such as '.' or '\'), then a folding letter, then the first byte.
	p.anchor = -1
	for i, c := range pat {
		if c != 0 && !p.fold[i] {
			p.anchor = i
			break
		}
	}
	if p.anchor < 0 {
		for i := range pat {
			if p.fold[i] {
				p.anchor = i
				break
			}
		}
	}
	if p.anchor < 0 {
		p.anchor = 0
	}
	p.alt = pat[p.anchor]
	if p.fold[p.anchor] {
		p.alt ^= 0x20
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

// findAll calls fn with the offset of every non-overlapping match until fn
// returns false.
func findAll(data []byte, p *pattern, fn func(off int) bool) {
	n := len(p.b)
	if !p.any {
		for off := 0; off+n <= len(data); {
			i := bytes.Index(data[off:], p.b)
			if i < 0 {
				return
			}
			if !fn(off + i) {
				return
			}
			off += i + n
		}
		return
	}
	// Case-insensitive: find candidates for the anchor byte in either case
	// with IndexByte, then verify the whole pattern.
	a := p.anchor
	lo, hi := p.b[a], p.alt
	nextLo, nextHi := -2, -2 // -2: not searched yet; -1: none left
	next := func(c byte, from int, cur int) int {
		if cur >= from || cur == -1 {
			return cur
		}
		if i := bytes.IndexByte(data[from:], c); i >= 0 {
			return from + i
		}
		return -1
	}
	for pos := a; pos < len(data); {
		nextLo = next(lo, pos, nextLo)
		cand := nextLo
		if hi != lo {
			nextHi = next(hi, pos, nextHi)
			if cand < 0 || (nextHi >= 0 && nextHi < cand) {
				cand = nextHi
			}
		}
		if cand < 0 {
			return
		}
		start := cand - a
		if start+n > len(data) {
			return
		}
		if p.matchAt(data, start) {
			if !fn(start) {
				return
			}
			pos = start + n + a
		} else {
			pos = cand + 1
		}
	}
}
