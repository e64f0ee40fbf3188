package inf

import (
	"fmt"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// DefaultLanguage is the LANGID used for [Strings.LCID] selection when none
// is given: 0x0409, English (United States).
const DefaultLanguage uint16 = 0x0409

// Document is a parsed INF-family file that remembers every byte of its
// input. Sections, lines, keys and fields are views over the stored lines;
// edits replace only the lines they touch.
//
// Edits keep the line list and each line's section current and mark the
// tables derived from them (line numbers, the lines of each section, the
// section order, the strings table) stale; the first read that needs one
// rebuilds it in one pass. A run of k edits on an n-line document costs
// O(k + n), however the edits and reads that need no table are mixed.
//
// Reading a Document from several goroutines is safe (the rebuild is
// locked); an edit (or SetLanguage) needs exclusive access.
type Document struct {
	enc     Encoding
	codec   codec
	head    string // byte-order mark, as read
	tail    string // from the first Ctrl-Z (or a dangling UTF-16 byte) to the end
	orig    string // the input, for Original and Revert
	lim     Limits
	dialect Dialect
	lang    uint16

	modified bool

	// The line list and the counts derived from it, kept current by
	// every edit.
	first, last *Line
	nlines      int   // logical lines
	nphys       int   // physical lines
	size        int64 // bytes Bytes returns
	crlf, lf    int   // line endings by kind
	noFinalEOL  bool  // the input's last line has no line ending
	// bare holds, for a line that ended the file without a line ending
	// and got one when a line was put after it, its physical lines as they
	// were; they come back if it ends the file again (see lastPhys).
	bare   map[*Line][]physLine
	byName map[string]*Section // folded name -> section
	hdrGen uint64              // bumped by every change to a section header

	// Tables rebuilt on demand (see index and stringsTable).
	lines    []*Line           // logical lines in file order (a snapshot)
	sections []*Section        // in order of first appearance
	strs     map[string]string // folded strkey -> value
	strSec   *Section          // the [Strings*] section strs came from
	lazy     *lazyState        // a pointer, so that a Document can be copied
}

// lazyState records which derived tables are current.
type lazyState struct {
	mu       sync.Mutex
	state    atomic.Uint32 // idxOK | strOK
	rebuilds int           // index rebuilds after edits (for tests)

	// The substitution memo (see substitute): the results that had to be
	// built, by input text, and the part of Limits.MaxSubstitution they
	// used. Emptied when the strings table is rebuilt and by every edit.
	subMu   sync.Mutex
	subMemo map[string]substResult
	subUsed int64
	subErr  error       // the budget ran out
	subFull atomic.Bool // subErr is set (read without the lock)
}

// resetSubst empties the substitution memo and restores the budget.
func (lz *lazyState) resetSubst() {
	lz.subMu.Lock()
	if lz.subMemo != nil || lz.subUsed != 0 || lz.subErr != nil {
		lz.subMemo, lz.subUsed, lz.subErr = nil, 0, nil
		lz.subFull.Store(false)
	}
	lz.subMu.Unlock()
}

const (
	idxOK uint32 = 1 << iota // lines, sections, Line.idx/num, Section.headers/body
	strOK                    // strs, strSec
)

// Line is one logical line: a blank line, a comment, a section header or
// an entry. An entry continued with '\' spans several physical lines.
type Line struct {
	doc                 *Document
	prev, next          *Line
	phys                []physLine
	name                string // section name (Header)
	key                 string
	kind                LineKind
	hasKey, implicitKey bool
	fields              []string
	sec                 *Section // kept current by edits
	num                 int      // 1-based physical line number (index)
	off                 int64    // byte offset in the original input; -1 for added lines
	idx                 int      // position in doc.lines (index)
	sepFor              *Section // blank line AddSection put before this section
}

// Section is every occurrence of one section name, merged in file order as
// SetupAPI merges duplicate sections.
type Section struct {
	doc     *Document
	name    string // as written in the first header, kept current by edits
	nhdr    int    // number of headers, kept current by edits
	nbody   int    // body lines, counted by reindex while it builds the tables
	headers []*Line
	body    []*Line

	// appendAt caches where AppendLine inserts (see appendPoint); valid
	// while appendGen equals doc.hdrGen.
	appendAt  *Line
	appendGen uint64
}

// foldLookup looks key up in m, whose keys are folded, without
// allocating for short ASCII keys.
func foldLookup[V any](m map[string]V, key string) (V, bool) {
	return lookupLower(m, key, fold)
}

// lookupLower looks key up in m by its ASCII lower-case form, built on the
// stack, or, for a key that is long or not ASCII, by slow(key).
func lookupLower[V any](m map[string]V, key string, slow func(string) string) (V, bool) {
	var buf [64]byte
	if b, ok := appendLowerASCII(buf[:0], key); ok {
		v, ok := m[string(b)]
		return v, ok
	}
	v, ok := m[slow(key)]
	return v, ok
}

// appendLowerASCII appends s in lower case to b and reports whether s is
// ASCII; it stops early (ok false) at the first other byte, or when b
// would outgrow its capacity.
func appendLowerASCII(b []byte, s string) ([]byte, bool) {
	if len(b)+len(s) > cap(b) {
		return b, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return b, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b, true
}

func fold(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return strings.ToLower(s)
		}
		if 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// reindex links the lines Parse put in d.lines into the line list, works
// out each line's section and builds every table, failing like SetupAPI
// on an entry before the first section header and on too many sections.
func (d *Document) reindex() error {
	nh := 0
	for _, l := range d.lines {
		if l.kind == Header {
			nh++
		}
	}
	nh = min(nh, d.lim.MaxSections+1) // sized once: no growth to pay for
	d.byName = make(map[string]*Section, nh)
	d.lazy = &lazyState{}
	d.size = int64(len(d.head) + len(d.tail))
	d.sections = make([]*Section, 0, nh)
	slab := make([]Section, 0, nh) // every section in one allocation
	var prev *Line
	var cur *Section
	num := 1
	nbody := 0
	for i, l := range d.lines {
		l.prev, l.next, l.idx, l.num = prev, nil, i, num
		if prev != nil {
			prev.next = l
		} else {
			d.first = l
		}
		prev = l
		num += len(l.phys)
		d.account(l.phys, 1)
		if l.kind == Header {
			k := fold(l.name)
			s := d.byName[k]
			if s == nil {
				if len(d.byName) >= d.lim.MaxSections {
					return &FormatError{Offset: l.off, Line: l.num, Struct: "section header",
						Err: fmt.Errorf("%w: more than %d sections", ErrLimit, d.lim.MaxSections)}
				}
				slab = append(slab, Section{doc: d, name: l.name})
				s = &slab[len(slab)-1]
				d.byName[k] = s
				d.sections = append(d.sections, s)
			}
			s.nhdr++
			cur = s
			l.sec = s
			continue
		}
		l.sec = cur
		if cur == nil {
			if l.kind == Entry {
				return &FormatError{Offset: l.off, Line: l.num, Struct: "entry", Err: ErrExpectedSection}
			}
			continue
		}
		cur.nbody++
		nbody++
	}
	// Each section's headers and body, carved from two slabs of the
	// exact size, then filled in file order.
	hdrs := make([]*Line, 0, len(d.lines)-nbody)
	body := make([]*Line, 0, nbody)
	for _, s := range d.sections {
		s.headers = hdrs[len(hdrs) : len(hdrs) : len(hdrs)+s.nhdr]
		hdrs = hdrs[:len(hdrs)+s.nhdr]
		s.body = body[len(body) : len(body) : len(body)+s.nbody]
		body = body[:len(body)+s.nbody]
		s.nbody = 0
	}
	for _, l := range d.lines {
		switch s := l.sec; {
		case s == nil:
		case l.kind == Header:
			s.headers = append(s.headers, l)
		default:
			s.body = append(s.body, l)
		}
	}
	d.last = prev
	d.nlines = len(d.lines)
	d.noFinalEOL = prev != nil && prev.phys[len(prev.phys)-1].eol == eolNone
	d.buildStrings() // eagerly: a freshly parsed document needs no rebuild
	d.lazy.state.Store(idxOK | strOK)
	return nil
}

// account adds (sign 1) or subtracts (sign -1) physical lines to the
// document's counts.
func (d *Document) account(p []physLine, sign int) {
	for _, x := range p {
		d.size += int64(sign * (len(x.raw) + len(d.codec.eolBytes(x.eol))))
		switch x.eol {
		case eolCRLF:
			d.crlf += sign
		case eolLF:
			d.lf += sign
		}
	}
	d.nphys += sign * len(p)
}

// index brings the line numbers, the snapshot of the lines, each section's
// lines and the section order up to date after edits. Every reader of
// those fields calls it first.
func (d *Document) index() {
	lz := d.lazy
	if lz == nil || lz.state.Load()&idxOK != 0 {
		return
	}
	lz.mu.Lock()
	defer lz.mu.Unlock()
	if lz.state.Load()&idxOK == 0 {
		d.rebuildIndex()
		lz.state.Or(idxOK)
	}
}

// rebuildIndex recomputes the tables index maintains from the line list,
// in one pass. It allocates new slices, so that iterations over earlier
// snapshots are not disturbed.
func (d *Document) rebuildIndex() {
	d.lazy.rebuilds++
	for _, s := range d.byName {
		s.headers, s.body = nil, nil
	}
	lines := make([]*Line, 0, d.nlines)
	order := make([]*Section, 0, len(d.byName))
	num := 1
	for l := d.first; l != nil; l = l.next {
		l.idx, l.num = len(lines), num
		num += len(l.phys)
		lines = append(lines, l)
		s := l.sec
		switch {
		case l.kind == Header:
			if len(s.headers) == 0 {
				order = append(order, s)
			}
			s.headers = append(s.headers, l)
		case s != nil:
			s.body = append(s.body, l)
		}
	}
	d.lines, d.sections = lines, order
}

// stringsTable returns the strings of the chosen [Strings*] section,
// building it (and the index it needs) after edits.
func (d *Document) stringsTable() map[string]string {
	lz := d.lazy
	if lz == nil || lz.state.Load()&strOK != 0 {
		return d.strs
	}
	lz.mu.Lock()
	defer lz.mu.Unlock()
	if st := lz.state.Load(); st&strOK == 0 {
		if st&idxOK == 0 {
			d.rebuildIndex()
			lz.state.Or(idxOK)
		}
		d.buildStrings()
		lz.state.Or(strOK)
	}
	return d.strs
}

// stale marks derived tables out of date after an edit.
func (d *Document) stale(bits uint32) {
	d.lazy.state.And(^bits)
	d.modified = true
	d.lazy.resetSubst()
}

// Encoding reports how the document is stored.
func (d *Document) Encoding() Encoding { return d.enc }

// Lines returns the logical lines in file order: the lines as they are
// when the iteration starts, even if the loop edits the document.
func (d *Document) Lines() iter.Seq[*Line] {
	d.index()
	lines := d.lines
	return func(yield func(*Line) bool) {
		for _, l := range lines {
			if !yield(l) {
				return
			}
		}
	}
}

// NumLines returns the number of logical lines.
func (d *Document) NumLines() int { return d.nlines }

// LastLine returns the last logical line, or nil for an empty document.
func (d *Document) LastLine() *Line { return d.last }

// Section returns the section with the given name (case-insensitive), or
// nil when there is none.
func (d *Document) Section(name string) *Section {
	s, _ := foldLookup(d.byName, name)
	return s
}

// Sections returns every section in order of first appearance.
func (d *Document) Sections() []*Section {
	d.index()
	return append([]*Section(nil), d.sections...)
}

// Tail returns the bytes from the first Ctrl-Z (0x1A) to the end of the
// file, which SetupAPI does not read (nil when there is none).
func (d *Document) Tail() []byte {
	if d.tail == "" {
		return nil
	}
	return []byte(d.tail)
}

// FinalNewline reports whether the last line ends with a line ending.
func (d *Document) FinalNewline() bool {
	l := d.last
	return l != nil && l.phys[len(l.phys)-1].eol != eolNone
}

// Modified reports whether the document was edited since it was parsed
// (or reverted).
func (d *Document) Modified() bool { return d.modified }

// Original returns a copy of the bytes the document was parsed from.
func (d *Document) Original() []byte { return []byte(d.orig) }

// Name returns the section name as written in its first header.
func (s *Section) Name() string { return s.name }

// lines returns the section's body after bringing the index up to date.
func (s *Section) lines() []*Line {
	if s.doc != nil {
		s.doc.index()
	}
	return s.body
}

// Headers returns the header line of each occurrence of the section.
func (s *Section) Headers() []*Line {
	if s.doc != nil {
		s.doc.index()
	}
	return append([]*Line(nil), s.headers...)
}

// Lines returns every line of the section (entries, comments and blank
// lines of all its occurrences, in file order), without the headers.
func (s *Section) Lines() iter.Seq[*Line] {
	body := s.lines()
	return func(yield func(*Line) bool) {
		for _, l := range body {
			if !yield(l) {
				return
			}
		}
	}
}

// Entries returns the entry lines of the section in file order.
func (s *Section) Entries() []*Line {
	body := s.lines()
	out := make([]*Line, 0, len(body))
	for _, l := range body {
		if l.kind == Entry {
			out = append(out, l)
		}
	}
	return out
}

// Find returns the first entry whose key, after %strkey% substitution,
// equals key (case-insensitive), as SetupFindFirstLine does; nil if none.
func (s *Section) Find(key string) *Line {
	for _, l := range s.lines() {
		if l.kind == Entry && l.hasKey && strings.EqualFold(l.Key(), key) {
			return l
		}
	}
	return nil
}

// FindAll returns every entry whose substituted key equals key.
func (s *Section) FindAll(key string) []*Line {
	var out []*Line
	for _, l := range s.lines() {
		if l.kind == Entry && l.hasKey && strings.EqualFold(l.Key(), key) {
			out = append(out, l)
		}
	}
	return out
}

// Value returns the first field, substituted, of the first entry with the
// given key, and whether such an entry exists.
func (s *Section) Value(key string) (string, bool) {
	l := s.Find(key)
	if l == nil {
		return "", false
	}
	return l.Field(0), true
}

// Kind reports what the line is.
func (l *Line) Kind() LineKind { return l.kind }

// Section returns the section the line belongs to (for a header, the
// section it opens); nil for comments and blank lines before the first
// section.
func (l *Line) Section() *Section { return l.sec }

// Number returns the 1-based physical line number of the line's first
// physical line in the current document (0 for a removed line).
func (l *Line) Number() int {
	if l.doc == nil {
		return 0
	}
	l.doc.index()
	return l.num
}

// Name returns the section name of a header line ("" for other lines).
func (l *Line) Name() string { return l.name }

// HasKey reports whether the entry has a key: text before an '=', or its
// single field when it has one field and no '='.
func (l *Line) HasKey() bool { return l.hasKey }

// ImplicitKey reports whether the key is the entry's only field, written
// without '=' (such as a file name alone on its line).
func (l *Line) ImplicitKey() bool { return l.implicitKey }

// RawKey returns the key after quote processing, before substitution.
func (l *Line) RawKey() string { return l.key }

// Key returns the key with %strkey% tokens substituted.
func (l *Line) Key() string {
	if !l.hasKey {
		return ""
	}
	return l.subst(l.key)
}

// NumFields returns the number of fields (the key is not a field, except
// for a line with one field and no '=').
func (l *Line) NumFields() int { return len(l.fields) }

// RawFields returns the fields after quote processing, before substitution.
// The slice must not be modified.
func (l *Line) RawFields() []string { return l.fields }

// Fields returns the fields with %strkey% tokens substituted, in a new
// slice. The substituted strings are shared: reading a line again, or
// another line with the same text, builds no text again (see
// Limits.MaxSubstitution and Document.SubstitutionErr).
func (l *Line) Fields() []string {
	out := make([]string, len(l.fields))
	for i, f := range l.fields {
		out[i] = l.subst(f)
	}
	return out
}

// Field returns field i (0-based) substituted, or "" when absent.
func (l *Line) Field(i int) string {
	if i < 0 || i >= len(l.fields) {
		return ""
	}
	return l.subst(l.fields[i])
}

// subst substitutes s, a key or field of l. Once the document's
// substitution budget has run out, text that would need building comes
// back unsubstituted (see Document.SubstitutionErr).
func (l *Line) subst(s string) string {
	if l.doc == nil || strings.IndexByte(s, '%') < 0 {
		return s
	}
	r, _, _ := l.doc.substitute(s)
	return r
}

// Text returns the decoded text of the line; the physical lines of a
// continued entry are joined with "\n".
func (l *Line) Text() string {
	if len(l.phys) == 1 {
		return l.phys[0].text
	}
	var sb strings.Builder
	for i, p := range l.phys {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(p.text)
	}
	return sb.String()
}

// Raw returns the line's bytes in the file's encoding, line endings
// included (nil for a removed line).
func (l *Line) Raw() []byte {
	if l.doc == nil {
		return nil
	}
	var b []byte
	for _, p := range l.phys {
		b = append(b, p.raw...)
		b = append(b, l.doc.codec.eolBytes(p.eol)...)
	}
	return b
}

// PhysicalLines returns how many physical lines the line spans.
func (l *Line) PhysicalLines() int { return len(l.phys) }

func (l *Line) String() string {
	switch l.kind {
	case Header:
		return "[" + l.name + "]"
	case Entry:
		return l.Text()
	}
	return l.Text()
}

// detach marks every line and section of d as removed (before d's content
// is replaced).
func (d *Document) detach() {
	for l := d.first; l != nil; l = l.next {
		l.doc = nil
	}
	for _, s := range d.byName {
		s.doc = nil
	}
}

// attach points every line and section at d (after d's content was copied
// from another Document).
func (d *Document) attach() {
	for l := d.first; l != nil; l = l.next {
		l.doc = d
	}
	for _, s := range d.byName {
		s.doc = d
	}
}
