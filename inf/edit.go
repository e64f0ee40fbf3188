package inf

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Editing. Every edit re-renders only the lines it touches, in the
// document's encoding and with its line-ending style; all other lines keep
// their bytes. New lines get the file's dominant line ending (CRLF when
// there is none to copy). Edited text is validated by lexing it again: an
// edit that would not read back as requested fails with ErrInvalidText and
// changes nothing.
//
// The invariant every edit keeps: parsing d.Bytes() again with the
// document's encoding, dialect and language gives the lines the document
// holds, with the same kinds, keys, fields, text and line numbers, and the
// same sections. Edits respect the limits on one line (length, fields,
// section names, continuation) and on the number of sections; they may
// grow a document past MaxFileSize and MaxLines, which bound what Parse
// reads, not what a caller writes. The end of the file needs care:
//
//   - a line that ends the file without a line ending gets one when a line
//     is put after it; one whose text ends with a CR gets CRLF, so that the
//     CR stays part of its text;
//   - an entry whose last physical line ends with a continuation backslash
//     (possible only at the end of the input) would join whatever physical
//     line follows it: edits that would put a line after it fail with
//     ErrDanglingContinuation, until EndLastLine gives it an empty physical
//     line to join;
//   - a file without final line ending keeps none when the lines at its
//     end change, except that an empty last line keeps its line ending (an
//     empty physical line without one is no line at all).
//
// A line that stops being last keeps its earlier physical lines and gets
// them back when it is last again, so that removing what an edit added
// restores the original bytes.
//
// Edits keep the line list, every line's section, the section table and
// the line-ending counts current in O(1) per line they add or remove (plus
// the lines whose section a new or removed header changes); the tables
// readers use (line numbers, each section's lines, the section order, the
// strings) are rebuilt once, on the next read that needs them.

// lineEnding returns the line ending most lines use.
func (d *Document) lineEnding() eolKind {
	if d.crlf >= d.lf {
		return eolCRLF
	}
	return eolLF
}

// eolCounts counts the CRLF and LF line endings.
func (d *Document) eolCounts() (crlf, lf int) { return d.crlf, d.lf }

func checkText(s string) error {
	if strings.ContainsAny(s, "\r\n\x00\x1a") {
		return fmt.Errorf("%w: %q contains a line break, NUL or Ctrl-Z", ErrInvalidText, s)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidText, s)
	}
	return nil
}

// lexText lexes text as one physical line and reports whether it would
// continue onto a following line.
func (d *Document) lexText(text string, spans bool) (lexOut, bool) {
	lx := d.newLexer(spans)
	out := lx.lex([]physLine{{text: text}, {text: "x"}})
	return out, out.n > 1
}

// newLine builds a detached line from text, checking that it is one
// logical line that the document's encoding can store within the limits.
func (d *Document) newLine(text string, eol eolKind) (*Line, error) {
	if err := checkText(text); err != nil {
		return nil, err
	}
	out, cont := d.lexText(text, false)
	if cont {
		return nil, fmt.Errorf("%w: %q ends in a continuation backslash", ErrInvalidText, text)
	}
	if out.err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalidText, text, out.err)
	}
	raw, err := d.codec.encode(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %q in %v", err, text, d.enc)
	}
	if len(raw) > d.lim.MaxLineLen {
		return nil, fmt.Errorf("%w: %w: a line of %d bytes, limit %d", ErrInvalidText, ErrLimit, len(raw), d.lim.MaxLineLen)
	}
	l := &Line{off: -1, phys: []physLine{{raw: raw, eol: eol, text: text}}}
	out.fields = slices.Clone(out.fields)
	l.setLex(&out)
	if l.implicitKey {
		l.key = l.fields[0]
	}
	return l, nil
}

// endsWithCR reports whether raw ends with an encoded carriage return.
func (c codec) endsWithCR(raw string) bool {
	w := 1
	if c.wide() {
		w = 2
	}
	return len(raw) >= w && c.unit(raw, len(raw)-w) == '\r'
}

// continues reports whether the logical line made of p would take in a
// physical line that followed it. It fails when that would break a limit.
func (d *Document) continues(p []physLine) (bool, error) {
	q := make([]physLine, len(p)+1)
	copy(q, p)
	q[len(p)] = physLine{raw: "x", text: "x"}
	out := d.newLexer(false).lex(q)
	if out.err != nil {
		return false, out.err
	}
	return out.n > len(p), nil
}

// innerPhys returns the physical lines l, the last line, needs when a line
// follows it, and whether they differ from its current ones (see the
// comment at the top).
func (d *Document) innerPhys(l *Line) ([]physLine, bool, error) {
	p := l.phys
	changed := false
	if f := p[len(p)-1]; f.eol == eolNone {
		eol := d.lineEnding()
		if d.codec.endsWithCR(f.raw) {
			eol = eolCRLF
		}
		p = slices.Clone(p)
		p[len(p)-1].eol = eol
		changed = true
	}
	if l.kind == Entry {
		if cont, err := d.continues(p); err != nil || cont {
			return nil, false, fmt.Errorf("%w (line %d; Document.EndLastLine ends it)", ErrDanglingContinuation, l.Number())
		}
	}
	return p, changed, nil
}

// EndLastLine makes sure lines can follow the last line. A last line
// without line ending gets one (the one most lines use, or CRLF when its
// text ends with a CR), and the file ends with a newline from now on, as
// new last lines will. A last entry ending in a continuation backslash
// also gets an empty physical line for the backslash to join: it reads
// the same (SetupAPI ends a continued line at an empty one as at the end
// of the file), and the lines put after it stay lines of their own (see
// ErrDanglingContinuation). It fails with ErrLimit when that extra
// physical line would break Limits.MaxContinuationLines or
// MaxContinuationLen.
func (d *Document) EndLastLine() error {
	l := d.last
	if l == nil {
		d.noFinalEOL, d.bare = false, nil
		return nil
	}
	eol := d.lineEnding()
	np := slices.Clone(l.phys)
	if f := &np[len(np)-1]; f.eol == eolNone {
		f.eol = eol
		if d.codec.endsWithCR(f.raw) {
			f.eol = eolCRLF
		}
	}
	if l.kind == Entry {
		cont, err := d.continues(np)
		if err == nil && cont {
			np = append(np, physLine{eol: eol})
			cont, err = d.continues(np)
		}
		if err != nil || cont {
			if err == nil {
				err = ErrFormat
			}
			return fmt.Errorf("%w: line %d cannot take one more physical line: %w", ErrInvalidText, l.Number(), err)
		}
	}
	d.noFinalEOL, d.bare = false, nil
	if slices.Equal(np, l.phys) {
		return nil
	}
	d.setPhys(l, np)
	d.stale(0) // no line follows, so no line number changes
	return nil
}

// lastPhys returns the physical lines l takes as the last line (see the
// comment at the top).
func (d *Document) lastPhys(l *Line) []physLine {
	if b := d.bare[l]; b != nil && d.noFinalEOL {
		return b
	}
	p := l.phys
	f := p[len(p)-1]
	var eol eolKind
	switch {
	case d.noFinalEOL && f.eol != eolNone && f.raw != "":
		eol = eolNone
	case f.eol == eolNone && f.raw == "":
		eol = d.lineEnding()
	default:
		return p
	}
	np := slices.Clone(p)
	np[len(np)-1].eol = eol
	return np
}

// setPhys gives l the physical lines p, keeping the counts current.
func (d *Document) setPhys(l *Line, p []physLine) {
	d.account(l.phys, -1)
	l.phys = p
	d.account(p, 1)
}

// becomeLast gives the last line its physical lines as last line.
func (d *Document) becomeLast(l *Line) {
	p := d.lastPhys(l)
	delete(d.bare, l)
	d.setPhys(l, p)
}

// linkAfter puts the detached line l after at (nil: at the start).
func (d *Document) linkAfter(l, at *Line) {
	var next *Line
	if at == nil {
		next, d.first = d.first, l
	} else {
		next, at.next = at.next, l
	}
	l.prev, l.next = at, next
	if next == nil {
		d.last = l
	} else {
		next.prev = l
	}
	l.doc = d
	d.nlines++
	d.account(l.phys, 1)
}

// unlink takes l out of the line list.
func (d *Document) unlink(l *Line) {
	if l.prev == nil {
		d.first = l.next
	} else {
		l.prev.next = l.next
	}
	if l.next == nil {
		d.last = l.prev
	} else {
		l.next.prev = l.prev
	}
	l.prev, l.next, l.doc = nil, nil, nil
	d.nlines--
	d.account(l.phys, -1)
}

// isStrings reports whether s is a [Strings] or [Strings.LANGID] section,
// whose lines the strings table is built from.
func isStrings(s *Section) bool {
	if s == nil {
		return false
	}
	_, _, ok := StringsLanguage(s.name)
	return ok
}

// fixNames sets each section's name to the one its first header has, after
// an edit that may have changed which header comes first.
func (d *Document) fixNames() {
	seen := make(map[*Section]bool, len(d.byName))
	for l := d.first; l != nil; l = l.next {
		if l.kind == Header && !seen[l.sec] {
			seen[l.sec] = true
			l.sec.name = l.name
		}
	}
}

// splice replaces drop, consecutive linked lines in file order, with add,
// detached lines placed after prev (nil: at the start), which is the line
// before drop[0]. It checks everything before it changes anything: that
// no entry ends up before the first section header, the number of
// sections and the line endings at the end of the file.
func (d *Document) splice(prev *Line, drop, add []*Line) error {
	next := d.first
	if prev != nil {
		next = prev.next
	}
	if len(drop) > 0 {
		next = drop[len(drop)-1].next
	}

	// The old last line, when lines go after it.
	var inner []physLine
	innerChanged := false
	if next == nil && len(drop) == 0 && len(add) > 0 && prev != nil {
		var err error
		if inner, innerChanged, err = d.innerPhys(prev); err != nil {
			return err
		}
	}

	// Sections.
	hdr := false
	var delta map[string]int // folded name -> change of its header count
	for _, l := range drop {
		if l.kind == Header {
			if delta == nil {
				delta = map[string]int{}
			}
			delta[fold(l.name)]--
			hdr = true
		}
	}
	inSection := prev != nil && prev.sec != nil
	for _, l := range add {
		switch {
		case l.kind == Header:
			if delta == nil {
				delta = map[string]int{}
			}
			delta[fold(l.name)]++
			hdr, inSection = true, true
		case l.kind == Entry && !inSection:
			return errBeforeSection(l)
		}
	}
	if hdr {
		count := len(d.byName)
		for k, v := range delta {
			n := 0
			if s := d.byName[k]; s != nil {
				n = s.nhdr
			}
			switch {
			case n == 0 && n+v > 0:
				count++
			case n > 0 && n+v <= 0:
				count--
			}
		}
		if count > d.lim.MaxSections && count > len(d.byName) {
			return fmt.Errorf("%w: %w: more than %d sections", ErrInvalidText, ErrLimit, d.lim.MaxSections)
		}
		if !inSection {
			for l := next; l != nil && l.kind != Header; l = l.next {
				if l.kind == Entry {
					return errBeforeSection(l)
				}
			}
		}
	}

	// Apply.
	bits := idxOK
	names := false
	for _, l := range drop {
		s := l.sec
		d.unlink(l)
		delete(d.bare, l)
		if s == nil {
			continue
		}
		if s.appendAt == l {
			s.appendAt = nil
		}
		if isStrings(s) {
			bits |= strOK
		}
		if l.kind == Header {
			if s.nhdr--; s.nhdr == 0 {
				delete(d.byName, fold(s.name))
				s.doc = nil
			} else {
				names = true
			}
		}
	}
	var cur *Section
	if prev != nil {
		cur = prev.sec
	}
	at := prev
	for _, l := range add {
		d.linkAfter(l, at)
		at = l
		if l.kind == Header {
			k := fold(l.name)
			s := d.byName[k]
			if s == nil {
				s = &Section{doc: d, name: l.name}
				d.byName[k] = s
			} else {
				names = true
			}
			s.nhdr++
			cur = s
		} else if cur != nil && l.kind == Entry {
			if cur.appendAt != nil && cur.appendAt == l.prev {
				cur.appendAt = l
			} else {
				cur.appendAt = nil
			}
		}
		l.sec = cur
		if isStrings(cur) {
			bits |= strOK
		}
	}
	if hdr {
		for l := next; l != nil && l.kind != Header; l = l.next {
			l.sec = cur
		}
		d.hdrGen++
		bits |= strOK
		if names {
			d.fixNames()
		}
	}
	if innerChanged {
		if d.bare[prev] == nil {
			if d.bare == nil {
				d.bare = make(map[*Line][]physLine)
			}
			d.bare[prev] = prev.phys
		}
		d.setPhys(prev, inner)
	}
	if next == nil && d.last != nil {
		d.becomeLast(d.last)
	}
	d.stale(bits)
	return nil
}

func errBeforeSection(l *Line) error {
	return fmt.Errorf("%w: %w: %q would stand before the first section header", ErrInvalidText, ErrExpectedSection, l.Text())
}

// swap gives l the content of nl, a detached line of one physical line,
// and reports whether l's physical line count changed.
func (d *Document) swap(l, nl *Line) bool {
	renumber := len(l.phys) != len(nl.phys)
	d.setPhys(l, nl.phys)
	delete(d.bare, l)
	l.kind, l.name = nl.kind, nl.name
	l.key, l.hasKey, l.implicitKey, l.fields = nl.key, nl.hasKey, nl.implicitKey, nl.fields
	l.off = -1
	if l == d.last {
		d.becomeLast(l)
	}
	return renumber
}

// replace swaps line l's content for text in place (same position).
func (d *Document) replace(l *Line, text string) error {
	nl, err := d.newLine(text, l.phys[len(l.phys)-1].eol)
	if err != nil {
		return err
	}
	if nl.kind != l.kind || (nl.kind == Header && fold(nl.name) != fold(l.name)) {
		// The structure changes: a new line takes l's place.
		return d.splice(l.prev, []*Line{l}, []*Line{nl})
	}
	var bits uint32
	rename := l.kind == Header && nl.name != l.name
	if d.swap(l, nl) {
		bits |= idxOK
	}
	if isStrings(l.sec) {
		bits |= strOK
	}
	if rename {
		d.fixNames()
		bits |= strOK
	}
	d.stale(bits)
	return nil
}

func (l *Line) live() error {
	if l == nil || l.doc == nil {
		return ErrRemoved
	}
	return nil
}

// SetText replaces the whole line (all its physical lines) with one
// physical line holding text, which must not contain a line break. When
// the line's kind changes, or a header's section, a new Line takes its
// place and l counts as removed.
func (l *Line) SetText(text string) error {
	if err := l.live(); err != nil {
		return err
	}
	return l.doc.replace(l, text)
}

// InsertAfter inserts a new line with the given text after l and returns
// it. The text is one line of INF syntax without line ending, for example
// `viostor.sys = 1,,,,,,4_,4,1,,,1,4`.
func (l *Line) InsertAfter(text string) (*Line, error) {
	if err := l.live(); err != nil {
		return nil, err
	}
	return l.doc.insertAfter(l, text)
}

// InsertBefore inserts a new line with the given text before l.
func (l *Line) InsertBefore(text string) (*Line, error) {
	if err := l.live(); err != nil {
		return nil, err
	}
	return l.doc.insertAfter(l.prev, text)
}

// insertAfter inserts a new line with text after at (nil: at the start).
func (d *Document) insertAfter(at *Line, text string) (*Line, error) {
	nl, err := d.newLine(text, d.lineEnding())
	if err != nil {
		return nil, err
	}
	if err := d.splice(at, nil, []*Line{nl}); err != nil {
		return nil, err
	}
	return nl, nil
}

// Remove deletes the line. Section headers are removed with
// Section.Remove instead.
func (l *Line) Remove() error {
	if err := l.live(); err != nil {
		return err
	}
	if l.kind == Header {
		return fmt.Errorf("%w: use Section.Remove to remove a section header", ErrInvalidText)
	}
	return l.doc.splice(l.prev, []*Line{l}, nil)
}

// needsQuotes reports whether a field value must be quoted to read back
// unchanged. first marks the first item of a line without key.
func (d *Document) needsQuotes(v string, first bool) bool {
	if v == "" {
		return false
	}
	if strings.ContainsAny(v, `",;`) {
		return true
	}
	if sp, _ := spaceAt(v, 0); sp {
		return true
	}
	if r, _ := utf8.DecodeLastRuneInString(v); r == '\\' || isSpaceRune(r) {
		return true
	}
	if d.dialect == TextSetup && strings.ContainsRune(v, '#') {
		return true
	}
	if first && (strings.ContainsRune(v, '=') || v[0] == '[') {
		return true
	}
	return false
}

func isSpaceRune(r rune) bool {
	var b [4]byte
	n := utf8.EncodeRune(b[:], r)
	sp, _ := spaceAt(string(b[:n]), 0)
	return sp
}

// Quote returns s in double quotes with each '"' doubled, the way to
// write any text as one INF field.
func Quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func (d *Document) quoteItem(v string, first bool) string {
	if d.needsQuotes(v, first) {
		return Quote(v)
	}
	return v
}

// FormatEntry renders an entry as "key = f1,f2" (or "f1,f2" when key is
// ""). The key and fields are values: each is written as it is when it
// reads back unchanged that way, and in double quotes (see Quote) when it
// holds a ',', ';' or '"', starts or ends with a space, ends with a
// backslash, or (the key, or the first field of a line without key)
// holds an '=' or starts with '['. %strkey% tokens are kept for
// substitution, so write a literal '%' as "%%". To write a field in
// quotes anyway, build the line text yourself with Quote.
func FormatEntry(key string, fields ...string) string {
	var d Document
	return d.renderEntry("", key, key != "", fields, " = ", ",")
}

func (d *Document) renderEntry(indent, key string, hasKey bool, fields []string, eq, sep string) string {
	var sb strings.Builder
	sb.WriteString(indent)
	if hasKey {
		sb.WriteString(d.keyItem(key, false))
		sb.WriteString(eq)
	}
	sb.WriteString(d.renderFields(fields, sep, !hasKey, nil))
	return sb.String()
}

// keyItem returns key as written before '=': quoted when it needs quotes,
// is empty, or quoted is set.
func (d *Document) keyItem(key string, quoted bool) string {
	if quoted || key == "" || d.needsQuotes(key, true) {
		return Quote(key)
	}
	return key
}

// renderFields joins fields with sep, quoting what needs it and field i
// when quoted[i] is set. keyless marks fields that start a line without
// key: the first may not look like a key or a header, and a lone empty
// field must be written "" to exist.
func (d *Document) renderFields(fields []string, sep string, keyless bool, quoted []bool) string {
	var sb strings.Builder
	for i, f := range fields {
		if i > 0 {
			sb.WriteString(sep)
		}
		q := d.quoteItem(f, i == 0 && keyless)
		if (i < len(quoted) && quoted[i]) || (keyless && len(fields) == 1 && f == "") {
			q = Quote(f)
		}
		sb.WriteString(q)
	}
	return sb.String()
}

// entryStyle extracts how an entry is laid out: indentation, the text
// from the key to the first field (" = "), the field separator, the
// trailing whitespace and comment, and which items are quoted.
type entryStyle struct {
	indent, keyToValue, sep, suffix string
	ok                              bool   // prefix taken from the first physical line
	keyQuoted                       bool   // the key is written in quotes
	quoted                          []bool // field i is written in quotes
}

func (l *Line) style() entryStyle {
	st := entryStyle{sep: ","}
	out, _ := l.doc.lexWithSpans(l)
	if len(out.fieldSpans) == 0 {
		return st
	}
	startsQuote := func(p pos) bool {
		t := l.phys[p.seg].text
		return p.off < len(t) && t[p.off] == '"'
	}
	st.quoted = make([]bool, len(out.fieldSpans))
	for i, fs := range out.fieldSpans {
		st.quoted[i] = startsQuote(fs.start)
	}
	if out.hasKey && !out.implicitKey {
		st.keyQuoted = startsQuote(out.keySpan.start)
	}
	first, last := out.fieldSpans[0], out.fieldSpans[len(out.fieldSpans)-1]
	t0 := l.phys[0].text
	switch {
	case out.hasKey && !out.implicitKey && out.keySpan.start.seg == 0 && first.start.seg == 0:
		st.indent = t0[:out.keySpan.start.off]
		st.keyToValue = t0[out.keySpan.end.off:first.start.off]
		st.ok = true
	case (!out.hasKey || out.implicitKey) && first.start.seg == 0:
		st.indent = t0[:first.start.off]
		st.ok = true
	}
	if n := len(l.phys) - 1; last.end.seg == n {
		st.suffix = l.phys[n].text[last.end.off:]
	}
	for _, fs := range out.fieldSpans[:len(out.fieldSpans)-1] {
		t := strings.TrimLeft(l.phys[fs.end.seg].text[fs.end.off:], " \t")
		if strings.HasPrefix(t, ", ") || strings.HasPrefix(t, ",\t") {
			st.sep = ", "
			break
		}
	}
	return st
}

func (d *Document) lexWithSpans(l *Line) (lexOut, bool) {
	lx := d.newLexer(true)
	out := lx.lex(l.phys)
	return out, out.n != len(l.phys)
}

// FieldQuoted reports whether field i (0-based) is written in double
// quotes, the style SetFields keeps for it.
func (l *Line) FieldQuoted(i int) bool {
	if l.live() != nil || l.kind != Entry || i < 0 || i >= len(l.fields) {
		return false
	}
	q := l.style().quoted
	return i < len(q) && q[i]
}

// SetFields replaces the entry's fields, keeping its key, indentation,
// spacing around '=', separator style, trailing comment and quoting.
//
// The fields are values, as RawFields returns them: the line reads back
// with exactly these fields (before substitution: %strkey% tokens are kept,
// so write a literal '%' as "%%"). A field that was written in double
// quotes stays quoted; a field that was not is quoted only when its value
// needs it (see FormatEntry); fields beyond the old count follow the last
// old field. So SetFields("ramdisk(1)") on `BootDevice = "ramdisk(0)"`
// gives `BootDevice = "ramdisk(1)"`, and on `BootDevice = ramdisk(0)`
// gives `BootDevice = ramdisk(1)`. To choose the quoting yourself, use
// SetFieldsVerbatim. (Quoted fields used to lose their quotes when their
// value did not need them; the values read back were the same.)
func (l *Line) SetFields(fields ...string) error {
	if err := l.live(); err != nil {
		return err
	}
	if l.kind != Entry {
		return fmt.Errorf("%w: line %d is not an entry", ErrInvalidText, l.Number())
	}
	for _, f := range fields {
		if err := checkText(f); err != nil {
			return err
		}
	}
	if len(fields) == 0 {
		fields = []string{""}
	}
	d := l.doc
	st := l.style()
	quoted := make([]bool, len(fields))
	for i := range quoted {
		switch {
		case i < len(st.quoted):
			quoted[i] = st.quoted[i]
		case len(st.quoted) > 0:
			quoted[i] = st.quoted[len(st.quoted)-1]
		}
	}
	hasKey := l.hasKey && !l.implicitKey
	return l.setEntryText(st, hasKey, d.renderFields(fields, st.sep, !hasKey, quoted), fields)
}

// SetFieldsVerbatim replaces the entry's fields with texts written exactly
// as given, quotes included, keeping the key, indentation, spacing around
// '=', separator style and trailing comment as SetFields does. Each text
// must read as one field: it fails with ErrInvalidText for a text with an
// unquoted ',' or ';' (or '#' in TextSetup files), an unterminated quote,
// or a backslash that would continue the line. For example
// SetFieldsVerbatim(Quote(v)) writes v in quotes whatever it holds, and
// SetFieldsVerbatim(`"viostor"`) gives `key = "viostor"`.
func (l *Line) SetFieldsVerbatim(texts ...string) error {
	if err := l.live(); err != nil {
		return err
	}
	if l.kind != Entry {
		return fmt.Errorf("%w: line %d is not an entry", ErrInvalidText, l.Number())
	}
	if len(texts) == 0 {
		texts = []string{""}
	}
	d := l.doc
	values := make([]string, len(texts))
	for i, t := range texts {
		if err := checkText(t); err != nil {
			return err
		}
		v, err := d.fieldValue(t)
		if err != nil {
			return err
		}
		values[i] = v
	}
	st := l.style()
	return l.setEntryText(st, l.hasKey && !l.implicitKey, strings.Join(texts, st.sep), values)
}

// fieldValue returns the value text reads as when written as one field.
func (d *Document) fieldValue(text string) (string, error) {
	out, cont := d.lexText("k="+text+",", false)
	if cont || out.err != nil || out.kind != Entry || !out.hasKey || out.implicitKey || len(out.fields) != 2 || out.fields[1] != "" {
		return "", fmt.Errorf("%w: %q is not the text of one field", ErrInvalidText, text)
	}
	return out.fields[0], nil
}

// keyText returns the key as written (quotes and all) on the first line.
func (l *Line) keyText() string {
	out, _ := l.doc.lexWithSpans(l)
	ks := out.keySpan
	if ks.start.seg == 0 && ks.end.seg == 0 {
		return l.phys[0].text[ks.start.off:ks.end.off]
	}
	return l.doc.keyItem(l.key, false)
}

// setEntryText lays out the rendered fields in the entry's style, then
// stores the line with its suffix (or without it, if the suffix would make
// it continue) after checking it reads back with l's key and fields.
func (l *Line) setEntryText(st entryStyle, hasKey bool, rendered string, fields []string) error {
	d := l.doc
	var text string
	switch {
	case st.ok && hasKey:
		text = st.indent + l.keyText() + st.keyToValue + rendered
	case st.ok:
		text = st.indent + rendered
	case hasKey:
		text = d.keyItem(l.key, st.keyQuoted) + " = " + rendered
	default:
		text = rendered
	}
	if hasKey && rendered == "" {
		text = strings.TrimRightFunc(text, isSpaceRune)
	}
	return l.storeEntry(text, st.suffix, l.key, hasKey, fields)
}

// storeEntry stores text+suffix (or text alone if the suffix would make
// it continue) after checking it reads back as key/fields.
func (l *Line) storeEntry(text, suffix, key string, hasKey bool, fields []string) error {
	d := l.doc
	try := []string{text + suffix, text}
	var lastErr error
	for _, t := range try {
		out, cont := d.lexText(t, false)
		if cont || out.err != nil || out.kind != Entry {
			lastErr = fmt.Errorf("%w: %q does not read back as one entry", ErrInvalidText, t)
			continue
		}
		if !sameEntry(out, key, hasKey, fields) {
			lastErr = fmt.Errorf("%w: %q does not read back as the requested fields", ErrInvalidText, t)
			continue
		}
		return d.replace(l, t)
	}
	return lastErr
}

func sameEntry(out lexOut, key string, hasKey bool, fields []string) bool {
	if hasKey != (out.hasKey && !out.implicitKey) {
		return false
	}
	if hasKey && out.key != key {
		return false
	}
	return slices.Equal(out.fields, fields)
}

// SetField sets field i (0-based) as SetFields does; i may be NumFields()
// to append one.
func (l *Line) SetField(i int, v string) error {
	if err := l.live(); err != nil {
		return err
	}
	if i < 0 || i > len(l.fields) {
		return fmt.Errorf("%w: field %d of %d", ErrInvalidText, i, len(l.fields))
	}
	f := slices.Clone(l.fields)
	if i == len(f) {
		f = append(f, v)
	} else {
		f[i] = v
	}
	return l.SetFields(f...)
}

// SetKey replaces the entry's key, keeping the rest of the line. A key
// written in quotes stays quoted; another is quoted when it needs it. A
// line whose key is implicit (one field, no '=') becomes "key = field".
func (l *Line) SetKey(key string) error {
	if err := l.live(); err != nil {
		return err
	}
	if l.kind != Entry {
		return fmt.Errorf("%w: line %d is not an entry", ErrInvalidText, l.Number())
	}
	if err := checkText(key); err != nil {
		return err
	}
	d := l.doc
	st := l.style()
	fields := slices.Clone(l.fields)
	qk := d.keyItem(key, st.keyQuoted)
	var text string
	if st.ok && l.hasKey && !l.implicitKey {
		out, _ := d.lexWithSpans(l)
		first := out.fieldSpans[0]
		if first.start.seg == 0 && len(l.phys) == 1 {
			rest := l.phys[0].text[out.keySpan.end.off:]
			return l.storeEntry(st.indent+qk+rest, "", key, true, fields)
		}
		text = st.indent + qk + st.keyToValue + d.renderFields(fields, st.sep, false, st.quoted)
	} else {
		text = st.indent + qk + " = " + d.renderFields(fields, st.sep, false, st.quoted)
	}
	return l.storeEntry(text, st.suffix, key, true, fields)
}

// appendPoint returns the line after which AppendLine inserts: the last
// entry of the section's last occurrence, or that occurrence's header. It
// is cached while edits keep it known (see splice), so that appending k
// lines to a section costs O(k), not k passes over the document.
func (s *Section) appendPoint() *Line {
	d := s.doc
	if a := s.appendAt; a != nil && s.appendGen == d.hdrGen && a.doc == d && a.sec == s {
		return a
	}
	d.index()
	last := s.headers[len(s.headers)-1]
	at := last
	for i := len(s.body) - 1; i >= 0 && s.body[i].idx > last.idx; i-- {
		if s.body[i].kind == Entry {
			at = s.body[i]
			break
		}
	}
	s.appendAt, s.appendGen = at, d.hdrGen
	return at
}

func (s *Section) live() error {
	if s == nil || s.doc == nil {
		return ErrRemoved
	}
	return nil
}

// AppendLine adds a line with the given text at the end of the section:
// after its last entry (before trailing comments and blank lines), or
// right after its header when it has no entries. Appending k lines costs
// O(k), whatever the size of the document.
func (s *Section) AppendLine(text string) (*Line, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	return s.doc.insertAfter(s.appendPoint(), text)
}

// Append adds the entry "key = f1,f2,..." (or "f1,f2,..." when key is "")
// at the end of the section; see AppendLine and FormatEntry.
func (s *Section) Append(key string, fields ...string) (*Line, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	for _, f := range append([]string{key}, fields...) {
		if err := checkText(f); err != nil {
			return nil, err
		}
	}
	return s.AppendLine(s.doc.renderEntry("", key, key != "", fields, " = ", ","))
}

// Set gives the first entry with this key (see Find) the given fields, as
// SetFields does, or appends "key = fields" when there is none.
func (s *Section) Set(key string, fields ...string) (*Line, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	if l := s.Find(key); l != nil {
		return l, l.SetFields(fields...)
	}
	return s.Append(key, fields...)
}

// Remove deletes every occurrence of the section: headers, entries,
// comments and blank lines up to the next section. A blank line that
// AddSection inserted before the section goes with it.
func (s *Section) Remove() error {
	if err := s.live(); err != nil {
		return err
	}
	d := s.doc
	for _, h := range s.Headers() {
		start := h
		if p := h.prev; p != nil && p.sepFor == s && p.kind == Blank {
			start = p
		}
		run := []*Line{start}
		if start != h {
			run = append(run, h)
		}
		for l := h.next; l != nil && l.kind != Header; l = l.next {
			run = append(run, l)
		}
		if err := d.splice(start.prev, run, nil); err != nil {
			return err
		}
	}
	return nil
}

// Rename changes the name in every header of the section, keeping the rest
// of each header line. s stays valid under its new name, unless a section
// of that name already exists: then the two merge (as SetupAPI merges
// duplicate sections) and s is no longer valid.
func (s *Section) Rename(name string) error {
	if err := s.live(); err != nil {
		return err
	}
	if err := checkText(name); err != nil {
		return err
	}
	if strings.ContainsRune(name, ']') {
		return fmt.Errorf("%w: section name %q contains ']'", ErrInvalidText, name)
	}
	d := s.doc
	if _, err := d.newLine("["+name+"]", eolNone); err != nil {
		return err
	}
	hs := s.Headers()
	nls := make([]*Line, len(hs))
	for i, h := range hs {
		t := h.phys[0].text
		a := strings.IndexByte(t, '[')
		b := a + 1 + strings.IndexByte(t[a+1:], ']')
		nl, err := d.newLine(t[:a+1]+name+t[b:], h.phys[len(h.phys)-1].eol)
		if err != nil {
			return err
		}
		if nl.kind != Header || nl.name != name {
			return fmt.Errorf("%w: header %q does not read back as [%s]", ErrInvalidText, nl.Text(), name)
		}
		nls[i] = nl
	}
	body := s.body
	for i, h := range hs {
		d.swap(h, nls[i])
	}
	delete(d.byName, fold(s.name))
	if other := d.byName[fold(name)]; other != nil {
		// Merge into the existing section.
		for _, h := range hs {
			h.sec = other
		}
		for _, l := range body {
			l.sec = other
		}
		other.nhdr += s.nhdr
		s.doc = nil
		d.fixNames()
	} else {
		d.byName[fold(name)] = s
		s.name = name
	}
	d.hdrGen++
	d.stale(idxOK | strOK)
	return nil
}

// AddSection returns the section with this name, appending "[name]" at the
// end of the document (after a blank line when the last line is not
// blank) if there is none yet.
func (d *Document) AddSection(name string) (*Section, error) {
	if s := d.Section(name); s != nil {
		return s, nil
	}
	if err := checkText(name); err != nil {
		return nil, err
	}
	if strings.ContainsRune(name, ']') {
		return nil, fmt.Errorf("%w: section name %q contains ']'", ErrInvalidText, name)
	}
	if d.lazy == nil { // a zero Document
		d.codec = newCodec(d.enc)
		d.lim = d.lim.withDefaults()
		d.byName = make(map[string]*Section)
		d.lazy = &lazyState{}
	}
	eol := d.lineEnding()
	h, err := d.newLine("["+name+"]", eol)
	if err != nil {
		return nil, err
	}
	add := []*Line{h}
	var sep *Line
	if d.last != nil && d.last.kind != Blank {
		sep, _ = d.newLine("", eol)
		add = []*Line{sep, h}
	}
	if err := d.splice(d.last, nil, add); err != nil {
		return nil, err
	}
	s := h.sec
	if sep != nil {
		sep.sepFor = s
	}
	s.appendAt, s.appendGen = h, d.hdrGen
	return s, nil
}

// Revert discards every edit: the document reads again from its original
// bytes. Lines and sections obtained before become invalid (ErrRemoved).
func (d *Document) Revert() error { return d.adopt([]byte(d.orig), false) }
