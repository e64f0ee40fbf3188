package inf

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// Form is the way a file's bytes encode its text.
type Form uint8

// The encodings SetupAPI reads. ANSI files are decoded with a code page the
// caller chooses (Windows uses the system's ANSI code page).
const (
	ANSI    Form = iota // a single- or multi-byte code page (Encoding.CodePage)
	UTF8                // UTF-8, with or without a byte-order mark
	UTF16LE             // UTF-16 little-endian, Windows' preferred INF encoding
	UTF16BE             // UTF-16 big-endian
)

func (f Form) String() string {
	switch f {
	case ANSI:
		return "ANSI"
	case UTF8:
		return "UTF-8"
	case UTF16LE:
		return "UTF-16LE"
	case UTF16BE:
		return "UTF-16BE"
	}
	return "Form(" + strconv.Itoa(int(f)) + ")"
}

// Encoding describes how a document is stored. It is remembered at parse
// time and used to encode every line an edit re-renders; lines that are not
// edited keep their original bytes.
type Encoding struct {
	Form Form
	// BOM reports whether the file starts with a byte-order mark
	// (FF FE, FE FF or EF BB BF). The mark is kept as it was.
	BOM bool
	// CodePage decodes and encodes ANSI files; nil means Windows-1252.
	// Unused for the other forms.
	CodePage encoding.Encoding
}

func (e Encoding) String() string {
	s := e.Form.String()
	if e.Form == ANSI {
		s += " (" + codePageName(e.CodePage) + ")"
	}
	if e.BOM {
		s += " with BOM"
	}
	return s
}

func codePageName(cp encoding.Encoding) string {
	if cp == nil {
		return "Windows-1252"
	}
	if s, ok := cp.(interface{ String() string }); ok {
		return s.String()
	}
	return "custom code page"
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

func (e Encoding) bom() []byte {
	if !e.BOM {
		return nil
	}
	switch e.Form {
	case UTF8:
		return bomUTF8
	case UTF16LE:
		return bomUTF16LE
	case UTF16BE:
		return bomUTF16BE
	}
	return nil
}

// DetectEncoding reports how b is encoded, the way Parse decides it: a
// byte-order mark wins; otherwise text whose zero bytes sit at odd (even)
// offsets is UTF-16LE (BE) without a mark; otherwise, when cp is non-nil,
// the bytes are ANSI in code page cp; otherwise valid UTF-8 that is not pure
// ASCII is UTF-8, and anything else is ANSI in Windows-1252.
func DetectEncoding(b []byte, cp encoding.Encoding) Encoding {
	switch {
	case bytes.HasPrefix(b, bomUTF16LE):
		return Encoding{Form: UTF16LE, BOM: true}
	case bytes.HasPrefix(b, bomUTF16BE):
		return Encoding{Form: UTF16BE, BOM: true}
	case bytes.HasPrefix(b, bomUTF8):
		return Encoding{Form: UTF8, BOM: true}
	}
	if f, ok := sniffUTF16(b); ok {
		return Encoding{Form: f}
	}
	if cp != nil {
		return Encoding{Form: ANSI, CodePage: cp}
	}
	if !isASCII(b) && utf8.Valid(b) {
		return Encoding{Form: UTF8}
	}
	return Encoding{Form: ANSI}
}

// sniffUTF16 recognises UTF-16 without a byte-order mark from where its
// zero bytes are, like RtlIsTextUnicode's statistical test: text in a code
// page or UTF-8 has no zero bytes, while mostly-ASCII UTF-16 has one in
// every other byte.
func sniffUTF16(b []byte) (Form, bool) {
	n := min(len(b), 4096) &^ 1
	if n < 2 {
		return 0, false
	}
	var zOdd, zEven int
	for i := 0; i < n; i += 2 {
		if b[i] == 0 {
			zEven++
		}
		if b[i+1] == 0 {
			zOdd++
		}
	}
	pairs := n / 2
	switch {
	case zOdd*2 >= pairs && zEven*8 <= zOdd:
		return UTF16LE, true
	case zEven*2 >= pairs && zOdd*8 <= zEven:
		return UTF16BE, true
	}
	return 0, false
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// codec converts between a document's bytes and its text.
type codec struct {
	form Form
	cp   encoding.Encoding // ANSI only, never nil after newCodec
}

func newCodec(e Encoding) codec {
	c := codec{form: e.Form, cp: e.CodePage}
	if c.form == ANSI && c.cp == nil {
		c.cp = charmap.Windows1252
	}
	return c
}

func (c codec) wide() bool { return c.form == UTF16LE || c.form == UTF16BE }

// unit returns the code unit at byte offset i (i+1 < len(b) for UTF-16).
func (c codec) unit(b []byte, i int) uint16 {
	switch c.form {
	case UTF16LE:
		return uint16(b[i]) | uint16(b[i+1])<<8
	case UTF16BE:
		return uint16(b[i])<<8 | uint16(b[i+1])
	}
	return uint16(b[i])
}

// decode turns the raw bytes of one physical line into text. It never
// fails: undecodable bytes become U+FFFD, which is why unedited lines are
// always written from their raw bytes, never re-encoded.
func (c codec) decode(raw []byte) string {
	switch c.form {
	case UTF8:
		return string(raw)
	case ANSI:
		if isASCII(raw) {
			return string(raw)
		}
		s, err := c.cp.NewDecoder().Bytes(raw)
		if err != nil {
			return string(bytes.ToValidUTF8(raw, []byte("\uFFFD")))
		}
		return string(s)
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = c.unit(raw, 2*i)
	}
	if asciiUnits(u) {
		b := make([]byte, len(u))
		for i, x := range u {
			b[i] = byte(x)
		}
		return string(b)
	}
	return string(utf16.Decode(u))
}

func asciiUnits(u []uint16) bool {
	for _, x := range u {
		if x >= 0x80 {
			return false
		}
	}
	return true
}

// encode turns text into the document's bytes, failing with ErrEncoding
// when the encoding cannot represent it.
func (c codec) encode(s string) ([]byte, error) {
	switch c.form {
	case UTF8:
		return []byte(s), nil
	case ANSI:
		if isASCII([]byte(s)) {
			return []byte(s), nil
		}
		if !utf8.ValidString(s) {
			return nil, ErrEncoding
		}
		b, err := c.cp.NewEncoder().Bytes([]byte(s))
		if err != nil {
			return nil, ErrEncoding
		}
		// A code page encoder may map characters it lacks to a best-fit
		// or substitute byte; insist on an exact round trip.
		if back, err := c.cp.NewDecoder().Bytes(b); err != nil || string(back) != s {
			return nil, ErrEncoding
		}
		return b, nil
	}
	if !utf8.ValidString(s) {
		return nil, ErrEncoding
	}
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, x := range u {
		if c.form == UTF16LE {
			b[2*i], b[2*i+1] = byte(x), byte(x>>8)
		} else {
			b[2*i], b[2*i+1] = byte(x>>8), byte(x)
		}
	}
	return b, nil
}

// eol returns the encoded line ending for CRLF or LF.
func (c codec) eol(crlf bool) []byte {
	s := "\n"
	if crlf {
		s = "\r\n"
	}
	b, _ := c.encode(s)
	return b
}
