package inf

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// LineKind classifies a logical line.
type LineKind uint8

// The kinds of logical line.
const (
	Blank   LineKind = iota // only whitespace
	Comment                 // only whitespace and a ';' comment ('#' too in txtsetup.oem)
	Header                  // a section header, "[name]"
	Entry                   // a key and/or fields
)

func (k LineKind) String() string {
	switch k {
	case Blank:
		return "blank"
	case Comment:
		return "comment"
	case Header:
		return "header"
	case Entry:
		return "entry"
	}
	return "LineKind(" + strconv.Itoa(int(k)) + ")"
}

// eolKind is how a physical line ends.
type eolKind uint8

const (
	eolNone eolKind = iota // last line without line ending
	eolLF
	eolCRLF
)

// physLine is one physical line: its bytes without the line ending (in the
// file's encoding), its decoded text and its line ending.
type physLine struct {
	raw  string
	text string
	eol  eolKind
}

// pos is a position in a logical line: physical line index and byte offset
// in that line's text.
type pos struct{ seg, off int }

// itemSpan is where the raw text of a key or field lies.
type itemSpan struct{ start, end pos }

// lexOut is what the lexer found on one logical line.
type lexOut struct {
	kind        LineKind
	name        string   // section name (Header)
	key         string   // key before substitution (Entry)
	hasKey      bool     // the line has a key ...
	implicitKey bool     // ... which is its only field, written without '='
	fields      []string // fields before substitution (Entry)
	n           int      // physical lines consumed (>= 1)
	err         error    // ErrBadSectionLine, ErrSectionNameTooLong, ErrLimit
	errSeg      int      // physical line (relative) the error refers to

	// With lexer.spans set: where the key and each field lie.
	keySpan    itemSpan
	fieldSpans []itemSpan
	eqEnd      pos // just after the '=' (valid when hasKey && !implicitKey)
}

// lexer applies SetupAPI's lexical rules (spec §1.1) to logical lines. It
// is a re-expression of the behaviour documented by Microsoft's "General
// Syntax Rules for INF Files" and exercised by Wine's conformance tests:
//
//   - a line starting with '[' is a section header whose name ends at the
//     first ']'; the rest of that line is ignored;
//   - ';' starts a comment unless inside double quotes;
//   - the key is the text before the first '=' that precedes any ',';
//     a line with one field and no '=' has that field as its key too;
//   - fields are separated by ','; unquoted leading and trailing
//     whitespace is trimmed, inner whitespace kept, empty fields kept;
//   - '"' starts and ends quoted text anywhere in a token; inside quotes
//     '""' is one '"'; an unterminated quote runs to the end of the line;
//   - a '\' that is the last non-blank character of a physical line (or is
//     followed only by blanks, more '\' and a comment) joins the next
//     physical line, whose leading whitespace is dropped; a '\' followed
//     by other text is literal; inside quotes and comments it is literal;
//   - NUL characters are read as spaces; a lone CR is whitespace.
type lexer struct {
	textSetup bool // TextSetup dialect: '#' comments, no continuation
	spans     bool // record item spans (for edits)
	lim       Limits

	arena []string // fields of every line, sliced per line
	buf   []byte   // scratch for tokens that are not one contiguous run
}

// isSpaceByte reports ASCII whitespace. NUL counts as whitespace too:
// SetupAPI reads it as a space, and trims it at the ends of a token.
func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f' || c == 0
}

// spaceAt reports whether s[i] starts a whitespace character, and its size.
func spaceAt(s string, i int) (bool, int) {
	c := s[i]
	if c < utf8.RuneSelf {
		return isSpaceByte(c), 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return unicode.IsSpace(r), n
}

// token accumulates the pieces of one key or field. While the pieces are
// contiguous in one physical line it is a span of that line's text (no
// copy); otherwise it is built in the lexer's scratch buffer.
type token struct {
	seg, a, b int
	slow      bool
	empty     bool
}

func (lx *lexer) reset(t *token) { *t = token{empty: true}; lx.buf = lx.buf[:0] }

func (lx *lexer) add(t *token, phys []physLine, seg, a, b int) {
	if a >= b {
		return
	}
	s := phys[seg].text
	if !t.slow {
		nul := strings.IndexByte(s[a:b], 0) >= 0
		switch {
		case t.empty && !nul:
			t.seg, t.a, t.b, t.empty = seg, a, b, false
			return
		case !t.empty && t.seg == seg && t.b == a && !nul:
			t.b = b
			return
		}
		lx.buf = lx.buf[:0]
		if !t.empty {
			lx.buf = append(lx.buf, phys[t.seg].text[t.a:t.b]...)
		}
		t.slow = true
	}
	t.empty = false
	for i := a; i < b; i++ {
		c := s[i]
		if c == 0 {
			c = ' '
		}
		lx.buf = append(lx.buf, c)
	}
}

// addRun adds a piece known to hold no NUL (an unquoted run: NUL counts
// as whitespace and ends runs).
func (lx *lexer) addRun(t *token, phys []physLine, seg, a, b int) {
	if !t.slow {
		switch {
		case t.empty:
			t.seg, t.a, t.b, t.empty = seg, a, b, false
			return
		case t.seg == seg && t.b == a:
			t.b = b
			return
		}
	}
	lx.add(t, phys, seg, a, b)
}

func (lx *lexer) finish(t *token, phys []physLine) string {
	switch {
	case t.empty:
		return ""
	case t.slow:
		return string(lx.buf)
	}
	return phys[t.seg].text[t.a:t.b]
}

// backslashRun examines the run starting at the '\' at s[i]: backslashes
// and whitespace, optionally ending in a ';' comment. It reports whether
// the run reaches the end of the physical line (a continuation) and, if
// not, the index of the first character after the run.
func backslashRun(s string, i int) (cont bool, next int) {
	for i < len(s) {
		c := s[i]
		if c == '\\' {
			i++
			continue
		}
		if c == ';' {
			return true, len(s)
		}
		sp, n := spaceAt(s, i)
		if !sp {
			return false, i
		}
		i += n
	}
	return true, len(s)
}

// lex reads the logical line starting at phys[0], using following physical
// lines for continuations. It never fails on content; err reports only the
// conditions SetupAPI rejects and exceeded limits.
func (lx *lexer) lex(phys []physLine) lexOut {
	out := lexOut{n: 1}
	s := phys[0].text
	i := 0
	for i < len(s) {
		sp, n := spaceAt(s, i)
		if !sp {
			break
		}
		i += n
	}
	if i == len(s) {
		out.kind = Blank
		return out
	}
	switch c := s[i]; {
	case c == ';' || (c == '#' && lx.textSetup):
		out.kind = Comment
		return out
	case c == '[':
		out.kind = Header
		j := strings.IndexByte(s[i+1:], ']')
		if j < 0 {
			out.err = ErrBadSectionLine
			return out
		}
		name := s[i+1 : i+1+j]
		if strings.IndexByte(name, 0) >= 0 {
			name = strings.ReplaceAll(name, "\x00", " ")
		}
		if len(name) > lx.lim.MaxSectionNameLen && utf8.RuneCountInString(name) > lx.lim.MaxSectionNameLen {
			out.err = ErrSectionNameTooLong
			return out
		}
		out.name = name
		return out
	}
	out.kind = Entry
	lx.lexEntry(phys, pos{0, i}, &out)
	return out
}

// lexEntry reads the keys and fields of an entry starting at p.
func (lx *lexer) lexEntry(phys []physLine, p pos, out *lexOut) {
	seg, i := p.seg, p.off
	s := phys[seg].text
	keyMode := true
	f0 := len(lx.arena)
	contLen := len(phys[0].raw)
	var t token

	// advance moves to the next physical line for a continuation. It
	// reports false at the end of the input or when a limit is hit.
	advance := func() bool {
		if seg+1 >= len(phys) {
			i = len(s)
			return false
		}
		if seg+1 >= lx.lim.MaxContinuationLines {
			out.err, out.errSeg = ErrLimit, seg+1
			i = len(s)
			return false
		}
		seg++
		contLen += len(phys[seg].raw) + int(phys[seg-1].eol)
		if contLen > lx.lim.MaxContinuationLen {
			out.err, out.errSeg = ErrLimit, seg
			i = len(s)
			return false
		}
		s = phys[seg].text
		i = 0
		return true
	}

	// skipLeading skips whitespace before an item, following
	// continuations that start there.
	skipLeading := func() {
		for {
			for i < len(s) {
				sp, n := spaceAt(s, i)
				if !sp {
					break
				}
				i += n
			}
			if i < len(s) && s[i] == '\\' && !lx.textSetup {
				if cont, _ := backslashRun(s, i); cont {
					if advance() {
						continue
					}
				}
			}
			return
		}
	}

	for {
		lx.reset(&t)
		skipLeading()
		start := pos{seg, i}
		end := start
		ws := -1 // start of pending unquoted whitespace in s, or -1
		var delim byte
	item:
		for {
			if i >= len(s) {
				delim = '\n'
				break
			}
			c := s[i]
			switch {
			case c == '"':
				if ws >= 0 {
					lx.add(&t, phys, seg, ws, i)
					ws = -1
				}
				a := i + 1
				j := a
				closed := false
				for j < len(s) {
					q := strings.IndexByte(s[j:], '"')
					if q < 0 {
						break
					}
					j += q
					if j+1 < len(s) && s[j+1] == '"' {
						lx.add(&t, phys, seg, a, j+1)
						j += 2
						a = j
						continue
					}
					lx.add(&t, phys, seg, a, j)
					closed = true
					break
				}
				if !closed {
					lx.add(&t, phys, seg, a, len(s))
					i = len(s)
				} else {
					i = j + 1
				}
				if t.empty { // an empty quoted string still marks content
					t.empty = false
					t.seg, t.a, t.b = seg, i, i
				}
				end = pos{seg, i}
			case c == ',' || c == ';' || (c == '=' && keyMode) || (c == '#' && lx.textSetup):
				delim = c
				break item
			case c == '\\':
				cont, j := backslashRun(s, i)
				if lx.textSetup {
					cont, j = false, i+1
				}
				if cont {
					ws = -1
					if !advance() {
						delim = '\n'
						break item
					}
					skipLeading()
					continue
				}
				if ws >= 0 {
					lx.add(&t, phys, seg, ws, i)
					ws = -1
				}
				lx.add(&t, phys, seg, i, j)
				i = j
				end = pos{seg, i}
			default:
				sp, n := spaceAt(s, i)
				if sp {
					if ws < 0 {
						ws = i
					}
					i += n
					continue
				}
				if ws >= 0 {
					lx.add(&t, phys, seg, ws, i)
					ws = -1
				}
				j := i + n
				for j < len(s) {
					c := s[j]
					if c == '"' || c == ',' || c == ';' || c == '=' || c == '\\' || (c == '#' && lx.textSetup) {
						break
					}
					if c < utf8.RuneSelf {
						if isSpaceByte(c) {
							break
						}
						j++
						continue
					}
					sp, n := spaceAt(s, j)
					if sp {
						break
					}
					j += n
				}
				lx.addRun(&t, phys, seg, i, j)
				i = j
				end = pos{seg, i}
			}
		}
		text := lx.finish(&t, phys)
		if len(text) > lx.lim.MaxFieldLen && utf8.RuneCountInString(text) > lx.lim.MaxFieldLen && out.err == nil {
			out.err, out.errSeg = ErrLimit, seg
		}
		if delim == '=' {
			out.key, out.hasKey = text, true
			if lx.spans {
				out.keySpan = itemSpan{start, end}
				out.eqEnd = pos{seg, i + 1}
			}
			keyMode = false
			i++
			continue
		}
		lx.arena = append(lx.arena, text)
		if lx.spans {
			out.fieldSpans = append(out.fieldSpans, itemSpan{start, end})
		}
		if delim == ',' {
			keyMode = false
			i++
			continue
		}
		break // ';' or end of line
	}
	out.fields = lx.arena[f0:len(lx.arena):len(lx.arena)]
	out.n = seg + 1
	if !out.hasKey && len(out.fields) == 1 {
		out.key, out.hasKey, out.implicitKey = out.fields[0], true, true
		if lx.spans {
			out.keySpan = out.fieldSpans[0]
		}
	}
}
