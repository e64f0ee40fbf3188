package inf

import (
	"fmt"
	"iter"
	"strings"
)

// DefaultLanguage is the LANGID used for [Strings.LCID] selection when none
// is given: 0x0409, English (United States).
const DefaultLanguage uint16 = 0x0409

// Document is a parsed INF-family file that remembers every byte of its
// input. Sections, lines, keys and fields are views over the stored lines;
// edits replace only the lines they touch.
//
// Reading a Document from several goroutines is safe; an edit (or
// SetLanguage) needs exclusive access.
type Document struct {
	enc     Encoding
	codec   codec
	head    string  // byte-order mark, as read
	lines   []*Line // logical lines in file order
	tail    string  // from the first Ctrl-Z (or a dangling UTF-16 byte) to the end
	orig    string  // the input, for Original and Revert
	lim     Limits
	dialect Dialect
	lang    uint16

	modified bool
	byName   map[string]*Section // folded name -> section
	sections []*Section          // in order of first appearance
	strs     map[string]string   // folded strkey -> value; nil until built
	strSec   *Section            // the [Strings*] section strs came from
}

// Line is one logical line: a blank line, a comment, a section header or
// an entry. An entry continued with '\' spans several physical lines.
type Line struct {
	doc                 *Document
	phys                []physLine
	kind                LineKind
	name                string // section name (Header)
	key                 string
	hasKey, implicitKey bool
	fields              []string
	sec                 *Section
	num                 int      // 1-based physical line number (kept current by reindex)
	off                 int64    // byte offset in the original input; -1 for added lines
	idx                 int      // position in doc.lines
	sepFor              *Section // blank line AddSection put before this section
}

// Section is every occurrence of one section name, merged in file order as
// SetupAPI merges duplicate sections.
type Section struct {
	doc     *Document
	name    string
	headers []*Line
	body    []*Line
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

// reindex recomputes line positions, section membership and the section
// table after parsing or a structural edit.
func (d *Document) reindex() error {
	if d.byName == nil {
		d.byName = make(map[string]*Section)
	}
	for _, s := range d.sections {
		s.headers, s.body = s.headers[:0], s.body[:0]
	}
	var cur *Section
	order := d.sections[:0]
	seen := make(map[*Section]bool, len(d.sections))
	num := 1
	for i, l := range d.lines {
		l.idx, l.num = i, num
		num += len(l.phys)
		if l.kind == Header {
			k := fold(l.name)
			s := d.byName[k]
			if s == nil {
				if len(d.byName) >= d.lim.MaxSections {
					return &FormatError{Offset: l.off, Line: l.num, Struct: "section header",
						Err: fmt.Errorf("%w: more than %d sections", ErrLimit, d.lim.MaxSections)}
				}
				s = &Section{doc: d, name: l.name}
				d.byName[k] = s
			}
			if !seen[s] {
				seen[s] = true
				order = append(order, s)
			}
			if len(s.headers) == 0 {
				s.name = l.name
			}
			s.headers = append(s.headers, l)
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
		cur.body = append(cur.body, l)
	}
	for k, s := range d.byName {
		if !seen[s] {
			delete(d.byName, k)
			s.doc = nil
		}
	}
	for i := len(order); i < len(d.sections); i++ {
		d.sections[i] = nil
	}
	d.sections = order
	d.strs, d.strSec = nil, nil
	d.buildStrings() // eagerly, so that readers never write to the document
	return nil
}

// Encoding reports how the document is stored.
func (d *Document) Encoding() Encoding { return d.enc }

// Lines returns the logical lines in file order.
func (d *Document) Lines() iter.Seq[*Line] {
	return func(yield func(*Line) bool) {
		for _, l := range d.lines {
			if !yield(l) {
				return
			}
		}
	}
}

// NumLines returns the number of logical lines.
func (d *Document) NumLines() int { return len(d.lines) }

// Section returns the section with the given name (case-insensitive), or
// nil when there is none.
func (d *Document) Section(name string) *Section { return d.byName[fold(name)] }

// Sections returns every section in order of first appearance.
func (d *Document) Sections() []*Section { return append([]*Section(nil), d.sections...) }

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
	if len(d.lines) == 0 {
		return false
	}
	l := d.lines[len(d.lines)-1]
	return l.phys[len(l.phys)-1].eol != eolNone
}

// Modified reports whether the document was edited since it was parsed
// (or reverted).
func (d *Document) Modified() bool { return d.modified }

// Original returns a copy of the bytes the document was parsed from.
func (d *Document) Original() []byte { return []byte(d.orig) }

// Name returns the section name as written in its first header.
func (s *Section) Name() string { return s.name }

// Headers returns the header line of each occurrence of the section.
func (s *Section) Headers() []*Line { return append([]*Line(nil), s.headers...) }

// Lines returns every line of the section (entries, comments and blank
// lines of all its occurrences, in file order), without the headers.
func (s *Section) Lines() iter.Seq[*Line] {
	return func(yield func(*Line) bool) {
		for _, l := range s.body {
			if !yield(l) {
				return
			}
		}
	}
}

// Entries returns the entry lines of the section in file order.
func (s *Section) Entries() []*Line {
	out := make([]*Line, 0, len(s.body))
	for _, l := range s.body {
		if l.kind == Entry {
			out = append(out, l)
		}
	}
	return out
}

// Find returns the first entry whose key, after %strkey% substitution,
// equals key (case-insensitive), as SetupFindFirstLine does; nil if none.
func (s *Section) Find(key string) *Line {
	for _, l := range s.body {
		if l.kind == Entry && l.hasKey && strings.EqualFold(l.Key(), key) {
			return l
		}
	}
	return nil
}

// FindAll returns every entry whose substituted key equals key.
func (s *Section) FindAll(key string) []*Line {
	var out []*Line
	for _, l := range s.body {
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
// physical line in the current document.
func (l *Line) Number() int {
	if l.doc == nil {
		return 0
	}
	return l.num
}

// Name returns the section name of a header line ("" for other lines).
func (l *Line) Name() string { return l.name }

// HasKey reports whether the entry has a key: text before an '=', or its
// single field when it has one field and no '='.
func (l *Line) HasKey() bool { return l.hasKey }

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

// Fields returns the fields with %strkey% tokens substituted.
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

func (l *Line) subst(s string) string {
	if l.doc == nil || strings.IndexByte(s, '%') < 0 {
		return s
	}
	r, _ := l.doc.substitute(s)
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
// included.
func (l *Line) Raw() []byte {
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
