package inf

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// CodePage returns the encoding of a Windows ANSI or OEM code page by
// number (1250-1258, 874, 932, 936, 949, 950, 437, 850, 852, 866), for
// ReadOptions.CodePage.
func CodePage(n int) (encoding.Encoding, bool) {
	switch n {
	case 1250:
		return charmap.Windows1250, true
	case 1251:
		return charmap.Windows1251, true
	case 1252:
		return charmap.Windows1252, true
	case 1253:
		return charmap.Windows1253, true
	case 1254:
		return charmap.Windows1254, true
	case 1255:
		return charmap.Windows1255, true
	case 1256:
		return charmap.Windows1256, true
	case 1257:
		return charmap.Windows1257, true
	case 1258:
		return charmap.Windows1258, true
	case 874:
		return charmap.Windows874, true
	case 932:
		return japanese.ShiftJIS, true
	case 936:
		return simplifiedchinese.GBK, true
	case 949:
		return korean.EUCKR, true
	case 950:
		return traditionalchinese.Big5, true
	case 437:
		return charmap.CodePage437, true
	case 850:
		return charmap.CodePage850, true
	case 852:
		return charmap.CodePage852, true
	case 866:
		return charmap.CodePage866, true
	}
	return nil, false
}

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

func (e Encoding) bom() string {
	if !e.BOM {
		return ""
	}
	switch e.Form {
	case UTF8:
		return string(bomUTF8)
	case UTF16LE:
		return string(bomUTF16LE)
	case UTF16BE:
		return string(bomUTF16BE)
	}
	return ""
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

// codec converts between a document's bytes and its text. Bytes are held
// in strings: the input is copied once, into a string, and every line's raw
// bytes and (for ASCII-compatible encodings) text are slices of it.
type codec struct {
	form Form
	cp   encoding.Encoding // ANSI only, never nil after newCodec
	lf   string            // encoded "\n"
	crlf string            // encoded "\r\n"
}

func newCodec(e Encoding) codec {
	c := codec{form: e.Form, cp: e.CodePage}
	if c.form == ANSI && c.cp == nil {
		c.cp = charmap.Windows1252
	}
	switch c.form {
	case UTF16LE:
		c.lf, c.crlf = "\n\x00", "\r\x00\n\x00"
	case UTF16BE:
		c.lf, c.crlf = "\x00\n", "\x00\r\x00\n"
	default:
		c.lf, c.crlf = "\n", "\r\n"
	}
	return c
}

func (c codec) wide() bool { return c.form == UTF16LE || c.form == UTF16BE }

// unit returns the code unit at byte offset i (i+1 < len(s) for UTF-16).
func (c codec) unit(s string, i int) uint16 {
	switch c.form {
	case UTF16LE:
		return uint16(s[i]) | uint16(s[i+1])<<8
	case UTF16BE:
		return uint16(s[i])<<8 | uint16(s[i+1])
	}
	return uint16(s[i])
}

// eolBytes returns the encoded line ending of kind k.
func (c codec) eolBytes(k eolKind) string {
	switch k {
	case eolLF:
		return c.lf
	case eolCRLF:
		return c.crlf
	}
	return ""
}

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// decode turns the raw bytes of one physical line into text. It never
// fails: undecodable bytes become U+FFFD, which is why unedited lines are
// always written from their raw bytes, never re-encoded.
func (c codec) decode(raw string) string {
	switch c.form {
	case UTF8:
		return raw
	case ANSI:
		if isASCIIString(raw) {
			return raw
		}
		s, err := c.cp.NewDecoder().String(raw)
		if err != nil {
			return strings.ToValidUTF8(raw, "\uFFFD")
		}
		return s
	}
	u := make([]uint16, len(raw)/2)
	ascii := true
	for i := range u {
		u[i] = c.unit(raw, 2*i)
		if u[i] >= 0x80 {
			ascii = false
		}
	}
	if ascii {
		b := make([]byte, len(u))
		for i, x := range u {
			b[i] = byte(x)
		}
		return string(b)
	}
	return string(utf16.Decode(u))
}

// encode turns text into the document's bytes, failing with ErrEncoding
// when the encoding cannot represent it.
func (c codec) encode(s string) (string, error) {
	switch c.form {
	case UTF8:
		return s, nil
	case ANSI:
		if isASCIIString(s) {
			return s, nil
		}
		if !utf8.ValidString(s) {
			return "", ErrEncoding
		}
		b, err := c.cp.NewEncoder().String(s)
		if err != nil {
			return "", ErrEncoding
		}
		// A code page encoder may map characters it lacks to a best-fit
		// or substitute byte; insist on an exact round trip.
		if back, err := c.cp.NewDecoder().String(b); err != nil || back != s {
			return "", ErrEncoding
		}
		return b, nil
	}
	if !utf8.ValidString(s) {
		return "", ErrEncoding
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
	return string(b), nil
}
