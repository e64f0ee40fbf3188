package inf

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/text/encoding"
)

// Dialect is a set of lexical rules.
type Dialect uint8

// Dialects.
const (
	// SetupAPI is the INF syntax of SetupAPI (spec §1.1), used for INF,
	// INX and hive INF files.
	SetupAPI Dialect = iota
	// TextSetup is the syntax of the files text-mode setup reads itself,
	// such as txtsetup.oem: '#' starts a comment like ';', and '' never
	// continues a line (Microsoft's [Disks] example ends lines with a
	// root directory ""). Everything else follows SetupAPI.
	TextSetup
)

func (d Dialect) String() string {
	if d == TextSetup {
		return "TextSetup"
	}
	return "SetupAPI"
}

// ReadOptions control Parse and Open. The zero value (or nil) is valid.
type ReadOptions struct {
	// CodePage decodes files that have no byte-order mark and are not
	// UTF-16, for example charmap.Windows1251 or japanese.ShiftJIS.
	// Default nil: valid UTF-8 that is not pure ASCII is read as UTF-8,
	// anything else as Windows-1252.
	CodePage encoding.Encoding

	// Encoding, when set, skips detection: the file is read in
	// Encoding.Form (and Encoding.CodePage for ANSI). A byte-order mark is
	// still recognised and kept when it matches the form.
	Encoding *Encoding

	// Language is the LANGID used to choose the [Strings.LCID] section
	// for %strkey% substitution (see Document.SetLanguage).
	// Default 0x0409 (English, United States).
	Language uint16

	// Dialect selects the lexical rules. Default SetupAPI.
	Dialect Dialect

	// Limits bound what is accepted. Default DefaultLimits.
	Limits *Limits
}

// Open reads and parses the file at path (see Parse). A file larger than
// Limits.MaxFileSize is refused before it is read.
func Open(path string, opts *ReadOptions) (*Document, error) {
	var lim Limits
	if opts != nil {
		lim = opts.Limits.withDefaults()
	} else {
		lim = DefaultLimits
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > lim.MaxFileSize {
		return nil, &FormatError{Offset: lim.MaxFileSize, Struct: "file", Err: fmt.Errorf("%w: %s is %d bytes, limit %d", ErrLimit, path, fi.Size(), lim.MaxFileSize)}
	}
	b, err := io.ReadAll(io.LimitReader(f, lim.MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	return Parse(b, opts)
}

// Parse reads an INF, INX, SIF or txtsetup.oem document from b. The
// document keeps its own copy of b; writing it back without edits gives b
// byte for byte, whatever its encoding, line endings, trailing Ctrl-Z or
// missing final newline.
//
// Parse fails, like SetupAPI, on an entry before the first section header
// (ErrExpectedSection), on a section header without ']' (ErrBadSectionLine)
// and on a section name over 255 characters (ErrSectionNameTooLong). It
// does not check the [Version] signature: see Document.CheckSignature.
func Parse(b []byte, opts *ReadOptions) (*Document, error) {
	var o ReadOptions
	if opts != nil {
		o = *opts
	}
	lim := o.Limits.withDefaults()
	if int64(len(b)) > lim.MaxFileSize {
		return nil, &FormatError{Offset: lim.MaxFileSize, Struct: "file", Err: fmt.Errorf("%w: %d bytes, limit %d", ErrLimit, len(b), lim.MaxFileSize)}
	}
	all := string(b) // the one copy of the input; lines are slices of it
	var enc Encoding
	if o.Encoding != nil {
		enc = Encoding{Form: o.Encoding.Form, CodePage: o.Encoding.CodePage}
		switch {
		case enc.Form == UTF16LE && strings.HasPrefix(all, string(bomUTF16LE)),
			enc.Form == UTF16BE && strings.HasPrefix(all, string(bomUTF16BE)),
			enc.Form == UTF8 && strings.HasPrefix(all, string(bomUTF8)):
			enc.BOM = true
		}
	} else {
		enc = DetectEncoding(b, o.CodePage)
	}
	if enc.Form == ANSI && enc.CodePage == nil && o.CodePage != nil {
		enc.CodePage = o.CodePage
	}
	d := &Document{
		enc:     enc,
		codec:   newCodec(enc),
		orig:    all,
		lim:     lim,
		dialect: o.Dialect,
		lang:    o.Language,
	}
	if d.lang == 0 {
		d.lang = DefaultLanguage
	}
	d.head = all[:len(enc.bom())]
	if err := d.split(all[len(d.head):]); err != nil {
		return nil, err
	}
	if err := d.reindex(); err != nil {
		return nil, err
	}
	return d, nil
}

// split cuts body into physical lines, lexes them into logical lines and
// sets d.lines and d.tail.
func (d *Document) split(body string) error {
	c := d.codec
	w := 1
	if c.wide() {
		w = 2
	}
	// The text ends at the first Ctrl-Z (SetupAPI's end of file); what
	// follows, and a dangling odd byte of a UTF-16 file, is kept verbatim.
	end := len(body) - len(body)%w
	if w == 1 {
		if z := strings.IndexByte(body, 0x1A); z >= 0 {
			end = z
		}
	} else {
		for i := 0; i+1 < end; i += 2 {
			if c.unit(body, i) == 0x1A {
				end = i
				break
			}
		}
	}
	d.tail = body[end:]
	body = body[:end]

	// Count lines to size the arrays once, refusing more than MaxLines
	// before allocating anything per line.
	n := 1
	for i := 0; i < len(body); i += w {
		if w == 1 {
			j := strings.IndexByte(body[i:], '\n')
			if j < 0 {
				break
			}
			i += j
		} else if i+1 >= len(body) || c.unit(body, i) != '\n' {
			continue
		}
		if n++; n > d.lim.MaxLines && i+w < len(body) {
			return &FormatError{Offset: int64(len(d.head) + i + w), Line: n, Struct: "file",
				Err: fmt.Errorf("%w: more than %d lines", ErrLimit, d.lim.MaxLines)}
		}
	}
	phys := make([]physLine, 0, n)
	base := int64(len(d.head))
	for start := 0; start < len(body); {
		var nl int // index of the LF (or -1)
		if w == 1 {
			nl = strings.IndexByte(body[start:], '\n')
			if nl >= 0 {
				nl += start
			}
		} else {
			nl = -1
			for i := start; i+1 < len(body); i += 2 {
				if c.unit(body, i) == '\n' {
					nl = i
					break
				}
			}
		}
		contentEnd, next, eol := len(body), len(body), eolNone
		if nl >= 0 {
			contentEnd, next, eol = nl, nl+w, eolLF
			if contentEnd-start >= w && c.unit(body, contentEnd-w) == '\r' {
				contentEnd -= w
				eol = eolCRLF
			}
		}
		if contentEnd-start > d.lim.MaxLineLen {
			return &FormatError{Offset: base + int64(start), Line: len(phys) + 1, Struct: "line",
				Err: fmt.Errorf("%w: physical line of %d bytes, limit %d", ErrLimit, contentEnd-start, d.lim.MaxLineLen)}
		}
		raw := body[start:contentEnd]
		p := physLine{raw: raw, text: raw, eol: eol}
		if w == 2 || (c.form == ANSI && !isASCIIString(raw)) {
			p.text = c.decode(raw)
		}
		phys = append(phys, p)
		start = next
	}

	lx := d.newLexer(false)
	lx.arena = make([]string, 0, strings.Count(body, ",")/w+len(phys)+1)
	store := make([]Line, 0, len(phys))
	d.lines = make([]*Line, 0, len(phys))
	off := base
	for i := 0; i < len(phys); {
		out := lx.lex(phys[i:])
		if out.err != nil {
			k := i + out.errSeg
			o := off
			for j := i; j < k; j++ {
				o += int64(len(phys[j].raw)) + int64(len(c.eolBytes(phys[j].eol)))
			}
			return &FormatError{Offset: o, Line: k + 1, Struct: out.kind.String() + " line", Err: out.err}
		}
		store = append(store, Line{doc: d, num: i + 1, off: off})
		l := &store[len(store)-1]
		l.phys = phys[i : i+out.n : i+out.n]
		l.setLex(&out)
		d.lines = append(d.lines, l)
		for j := i; j < i+out.n; j++ {
			off += int64(len(phys[j].raw)) + int64(len(c.eolBytes(phys[j].eol)))
		}
		i += out.n
	}
	return nil
}

func (d *Document) newLexer(spans bool) *lexer {
	return &lexer{textSetup: d.dialect == TextSetup, spans: spans, lim: d.lim}
}

func (l *Line) setLex(out *lexOut) {
	l.kind = out.kind
	l.name = out.name
	l.key, l.hasKey, l.implicitKey = out.key, out.hasKey, out.implicitKey
	l.fields = out.fields
}
