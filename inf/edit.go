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

// lineEnding returns the encoded line ending most lines use.
func (d *Document) lineEnding() eolKind {
	crlf, lf := d.eolCounts()
	if crlf >= lf {
		return eolCRLF
	}
	return eolLF
}

// eolCounts counts the CRLF and LF line endings.
func (d *Document) eolCounts() (crlf, lf int) {
	for _, l := range d.lines {
		for _, p := range l.phys {
			switch p.eol {
			case eolCRLF:
				crlf++
			case eolLF:
				lf++
			}
		}
	}
	return crlf, lf
}

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
// logical line that the document's encoding can store.
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
	l := &Line{doc: d, off: -1, phys: []physLine{{raw: raw, eol: eol, text: text}}}
	out.fields = slices.Clone(out.fields)
	l.setLex(&out)
	if l.implicitKey {
		l.key = l.fields[0]
	}
	return l, nil
}

// splice replaces d.lines[i:j] with add, keeping the line-ending layout:
// a line appended after a last line without line ending gives that line
// one (and goes without), and removing the last line hands its ending to
// the line before. On failure nothing changes.
func (d *Document) splice(i, j int, add ...*Line) error {
	old := d.lines
	lines := make([]*Line, 0, len(old)-(j-i)+len(add))
	lines = append(lines, old[:i]...)
	lines = append(lines, add...)
	lines = append(lines, old[j:]...)

	var fixed *Line
	var fixedPhys []physLine
	setEOL := func(l *Line, eol eolKind) {
		fixed, fixedPhys = l, l.phys
		p := slices.Clone(l.phys)
		p[len(p)-1].eol = eol
		l.phys = p
	}
	switch {
	case j == len(old) && i > 0 && len(add) > 0:
		// Appending at the end: the new lines take over the old last
		// line's ending; it gets the dominant one if it had none.
		last := old[i-1]
		if j > i { // replacing the tail: the last new line ends like the old last line
			break
		}
		if last.phys[len(last.phys)-1].eol == eolNone {
			setEOL(last, d.lineEnding())
			a := add[len(add)-1]
			a.phys[len(a.phys)-1].eol = eolNone
		}
	case j == len(old) && j > i && len(add) == 0 && i > 0:
		// Removing the last lines: the new last line ends as the old one did.
		gone := old[j-1]
		setEOL(old[i-1], gone.phys[len(gone.phys)-1].eol)
	}
	d.lines = lines
	if err := d.reindex(); err != nil {
		d.lines = old
		if fixed != nil {
			fixed.phys = fixedPhys
		}
		if err2 := d.reindex(); err2 != nil {
			panic("inf: reindex of a previously valid document failed: " + err2.Error())
		}
		return fmt.Errorf("%w: %w", ErrInvalidText, err)
	}
	for _, l := range old[i:j] {
		l.doc = nil
	}
	d.modified = true
	return nil
}

// replace swaps line l's content for text in place (same position).
func (d *Document) replace(l *Line, text string) error {
	nl, err := d.newLine(text, l.phys[len(l.phys)-1].eol)
	if err != nil {
		return err
	}
	if nl.kind != l.kind || (nl.kind == Header && fold(nl.name) != fold(l.name)) {
		// The structure changes: go through splice and reindex.
		return d.splice(l.idx, l.idx+1, nl)
	}
	old := *l
	l.phys, l.kind, l.name = nl.phys, nl.kind, nl.name
	l.key, l.hasKey, l.implicitKey, l.fields = nl.key, nl.hasKey, nl.implicitKey, nl.fields
	l.off = -1
	if err := d.reindex(); err != nil {
		*l = old
		_ = d.reindex()
		return fmt.Errorf("%w: %w", ErrInvalidText, err)
	}
	d.modified = true
	return nil
}

func (l *Line) live() error {
	if l == nil || l.doc == nil {
		return ErrRemoved
	}
	return nil
}

// SetText replaces the whole line (all its physical lines) with one
// physical line holding text, which must not contain a line break.
func (l *Line) SetText(text string) error {
	if err := l.live(); err != nil {
		return err
	}
	return l.doc.replace(l, text)
}

// InsertAfter inserts a new line with the given text after l and returns
// it. The text is one line of INF syntax without line ending, for example
// `viostor.sys = 1,,,,,,4_,4,1,,,1,4`.
func (l *Line) InsertAfter(text string) (*Line, error) { return l.insert(text, 1) }

// InsertBefore inserts a new line with the given text before l.
func (l *Line) InsertBefore(text string) (*Line, error) { return l.insert(text, 0) }

func (l *Line) insert(text string, after int) (*Line, error) {
	if err := l.live(); err != nil {
		return nil, err
	}
	return l.doc.insertText(l.idx+after, text)
}

// insertText inserts a new line with text at index at.
func (d *Document) insertText(at int, text string) (*Line, error) {
	nl, err := d.newLine(text, d.lineEnding())
	if err != nil {
		return nil, err
	}
	if err := d.splice(at, at, nl); err != nil {
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
	return l.doc.splice(l.idx, l.idx+1)
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
// ""), quoting what needs quoting. Fields and key are written as given:
// %strkey% tokens are kept for substitution, so write a literal '%' as
// "%%".
func FormatEntry(key string, fields ...string) string {
	var d Document
	return d.renderEntry("", key, key != "", fields, " = ", ",")
}

func (d *Document) renderEntry(indent, key string, hasKey bool, fields []string, eq, sep string) string {
	var sb strings.Builder
	sb.WriteString(indent)
	if hasKey {
		k := key
		if d.needsQuotes(k, true) || k == "" {
			k = Quote(k)
		}
		sb.WriteString(k)
		sb.WriteString(eq)
	}
	sb.WriteString(d.renderFields(fields, sep, !hasKey))
	return sb.String()
}

// renderFields joins fields with sep, quoting what needs it. keyless marks
// fields that start a line without key: the first may not look like a key
// or a header, and a lone empty field must be written "" to exist.
func (d *Document) renderFields(fields []string, sep string, keyless bool) string {
	var sb strings.Builder
	for i, f := range fields {
		if i > 0 {
			sb.WriteString(sep)
		}
		q := d.quoteItem(f, i == 0 && keyless)
		if keyless && len(fields) == 1 && f == "" {
			q = `""`
		}
		sb.WriteString(q)
	}
	return sb.String()
}

// entryStyle extracts how an entry is laid out: indentation, the text
// from the key to the first field (" = "), the field separator and the
// trailing whitespace and comment.
type entryStyle struct {
	indent, keyToValue, sep, suffix string
	ok                              bool // prefix taken from the first physical line
}

func (l *Line) style() entryStyle {
	st := entryStyle{sep: ","}
	out, _ := l.doc.lexWithSpans(l)
	if len(out.fieldSpans) == 0 {
		return st
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

// SetFields replaces the entry's fields, keeping its key, indentation,
// spacing around '=', separator style and trailing comment. The values are
// written as given (see FormatEntry for quoting and '%').
func (l *Line) SetFields(fields ...string) error {
	if err := l.live(); err != nil {
		return err
	}
	if l.kind != Entry {
		return fmt.Errorf("%w: line %d is not an entry", ErrInvalidText, l.num)
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
	hasKey := l.hasKey && !l.implicitKey
	var text string
	switch {
	case st.ok && hasKey:
		text = st.indent + l.keyText() + st.keyToValue + d.renderFields(fields, st.sep, false)
	case st.ok:
		text = st.indent + d.renderFields(fields, st.sep, true)
	default:
		text = d.renderEntry("", l.key, hasKey, fields, " = ", st.sep)
	}
	if hasKey && len(fields) == 1 && fields[0] == "" {
		text = strings.TrimRightFunc(text, isSpaceRune)
	}
	return l.setEntryText(text, st.suffix, l.key, hasKey, fields)
}

// keyText returns the key as written (quotes and all) on the first line.
func (l *Line) keyText() string {
	out, _ := l.doc.lexWithSpans(l)
	ks := out.keySpan
	if ks.start.seg == 0 && ks.end.seg == 0 {
		return l.phys[0].text[ks.start.off:ks.end.off]
	}
	return l.doc.quoteItem(l.key, true)
}

// setEntryText stores text+suffix (or text alone if the suffix would make
// it continue) after checking it reads back as key/fields.
func (l *Line) setEntryText(text, suffix, key string, hasKey bool, fields []string) error {
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

// SetField sets field i (0-based); i may be NumFields() to append one.
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

// SetKey replaces the entry's key, keeping the rest of the line. A line
// whose key is implicit (one field, no '=') becomes "key = field".
func (l *Line) SetKey(key string) error {
	if err := l.live(); err != nil {
		return err
	}
	if l.kind != Entry {
		return fmt.Errorf("%w: line %d is not an entry", ErrInvalidText, l.num)
	}
	if err := checkText(key); err != nil {
		return err
	}
	d := l.doc
	st := l.style()
	fields := slices.Clone(l.fields)
	var text string
	if st.ok && l.hasKey && !l.implicitKey {
		out, _ := d.lexWithSpans(l)
		first := out.fieldSpans[0]
		qk := key
		if d.needsQuotes(key, true) || key == "" {
			qk = Quote(key)
		}
		rest := ""
		if first.start.seg == 0 && len(l.phys) == 1 {
			rest = l.phys[0].text[out.keySpan.end.off:]
			return l.setEntryText(st.indent+qk+rest, "", key, true, fields)
		}
		text = st.indent + qk + st.keyToValue + d.renderFields(fields, st.sep, false)
	} else {
		text = d.renderEntry(st.indent, key, true, fields, " = ", st.sep)
	}
	return l.setEntryText(text, st.suffix, key, true, fields)
}

// insertPoint returns the index after which new lines of the section go:
// after its last entry, or after the header of its last occurrence.
func (s *Section) insertPoint() int {
	last := s.headers[len(s.headers)-1]
	at := last.idx
	for _, l := range s.body {
		if l.idx > last.idx && l.kind == Entry {
			at = l.idx
		}
	}
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
// right after its header when it has no entries.
func (s *Section) AppendLine(text string) (*Line, error) {
	if err := s.live(); err != nil {
		return nil, err
	}
	return s.doc.insertText(s.insertPoint()+1, text)
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

// Set gives the first entry with this key (see Find) the given fields, or
// appends "key = fields" when there is none.
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
	drop := make(map[*Line]bool, len(s.headers)+len(s.body))
	for _, l := range s.headers {
		drop[l] = true
		if l.idx > 0 {
			if p := d.lines[l.idx-1]; p.sepFor == s {
				drop[p] = true
			}
		}
	}
	for _, l := range s.body {
		drop[l] = true
	}
	// Remove runs from the end so indexes stay valid.
	for i := len(d.lines) - 1; i >= 0; {
		if !drop[d.lines[i]] {
			i--
			continue
		}
		j := i + 1
		for i >= 0 && drop[d.lines[i]] {
			i--
		}
		if err := d.splice(i+1, j); err != nil {
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
	if other := d.byName[fold(name)]; other == nil {
		delete(d.byName, fold(s.name))
		d.byName[fold(name)] = s
		s.name = name
	}
	for _, h := range slices.Clone(s.headers) {
		t := h.phys[0].text
		i := strings.IndexByte(t, '[')
		j := i + 1 + strings.IndexByte(t[i+1:], ']')
		if err := d.replace(h, t[:i+1]+name+t[j:]); err != nil {
			return err
		}
	}
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
	eol := d.lineEnding()
	h, err := d.newLine("["+name+"]", eol)
	if err != nil {
		return nil, err
	}
	add := []*Line{h}
	if n := len(d.lines); n > 0 && d.lines[n-1].kind != Blank {
		sep, _ := d.newLine("", eol)
		add = []*Line{sep, h}
		defer func() { sep.sepFor = d.Section(name) }()
	}
	if err := d.splice(len(d.lines), len(d.lines), add...); err != nil {
		return nil, err
	}
	return d.Section(name), nil
}

// Revert discards every edit: the document reads again from its original
// bytes. Lines and sections obtained before become invalid (ErrRemoved).
func (d *Document) Revert() error { return d.adopt([]byte(d.orig), false) }
