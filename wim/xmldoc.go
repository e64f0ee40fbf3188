package wim

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/winbootkit/winbootkit/internal/utf16le"
)

// This file holds a small lossless XML 1.0 processor for the WIM XML
// resource. It works on the UTF-16LE code units directly (all markup is
// ASCII), so every node keeps the exact bytes it was read from and an
// unedited document writes back byte for byte, lone surrogates included.
// Only the nodes an edit touches are re-encoded.

type xnodeKind uint8

const (
	xElement xnodeKind = iota
	xText              // character data between markup, entity references included
	xCDATA             // <![CDATA[...]]>
	xComment           // <!-- ... -->
	xPI                // <? ... ?>, including an XML declaration
	xMisc              // outside the root element: whitespace or a DOCTYPE
)

type xattr struct{ name, value string }

type xnode struct {
	kind     xnodeKind
	name     string   // element name
	raw      []byte   // element: the start tag; other kinds: the whole construct
	end      []byte   // element: the end tag; nil for an empty-element tag "<X/>"
	attrs    []xattr  // element attributes, decoded
	children []*xnode // element content in document order
	text     string   // xText and xCDATA: the decoded character data
	parent   *xnode
	pos      int // unit offset in the source (parsed nodes), for error messages
}

// xmlDoc is a parsed XML resource that remembers its bytes.
type xmlDoc struct {
	src    []byte   // the resource as read (BOM included)
	bom    bool     // src starts with the byte order mark FF FE
	prolog []*xnode // nodes before the root element
	root   *xnode
	epilog []*xnode // nodes after the root element
	dirty  bool     // an edit changed the tree; bytes() re-serializes it
}

type xparser struct {
	src   []byte
	u     []uint16
	pos   int   // current code unit
	base  int64 // file offset of src, for error offsets
	nodes int
	lim   Limits

	attrSeen  map[string]struct{} // attribute names of attrOwner, once it has many
	attrOwner *xnode

	names   map[string]string // interned element and attribute names
	scratch []byte
	slab    []xnode // nodes are allocated 64 at a time
}

func (p *xparser) errAt(pos int, err error, format string, args ...any) error {
	return formatErr(p.base+int64(2*pos), "xml", err, format, args...)
}

func (p *xparser) span(a, b int) []byte { return p.src[2*a : 2*b : 2*b] }

// at reports whether the ASCII string s starts at unit i.
func (p *xparser) at(i int, s string) bool {
	if i+len(s) > len(p.u) {
		return false
	}
	for k := 0; k < len(s); k++ {
		if p.u[i+k] != uint16(s[k]) {
			return false
		}
	}
	return true
}

// find returns the index of the first occurrence of the ASCII string s at
// or after unit i, or -1.
func (p *xparser) find(i int, s string) int {
	for ; i+len(s) <= len(p.u); i++ {
		if p.u[i] == uint16(s[0]) && p.at(i, s) {
			return i
		}
	}
	return -1
}

func isXMLSpace(c uint16) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isNameStart(c uint16) bool {
	return c >= 0x80 || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || c == ':'
}

func isNameChar(c uint16) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.'
}

func (p *xparser) skipSpace() bool {
	start := p.pos
	for p.pos < len(p.u) && isXMLSpace(p.u[p.pos]) {
		p.pos++
	}
	return p.pos > start
}

func (p *xparser) name() (string, error) {
	start := p.pos
	if p.pos >= len(p.u) || !isNameStart(p.u[p.pos]) {
		return "", p.errAt(p.pos, ErrFormat, "expected a name")
	}
	for p.pos < len(p.u) && isNameChar(p.u[p.pos]) {
		p.pos++
	}
	return p.intern(p.u[start:p.pos]), nil
}

// intern returns the string for the code units u, sharing one copy of each
// distinct name (a WIM's XML repeats a few dozen element names).
func (p *xparser) intern(u []uint16) string {
	p.scratch = appendUTF8(p.scratch[:0], u)
	if s, ok := p.names[string(p.scratch)]; ok {
		return s
	}
	s := string(p.scratch)
	if p.names == nil {
		p.names = make(map[string]string)
	}
	if len(p.names) < 4096 {
		p.names[s] = s
	}
	return s
}

// appendUTF8 appends the UTF-16 units u to b as UTF-8; unpaired surrogates
// become U+FFFD.
func appendUTF8(b []byte, u []uint16) []byte {
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c < 0x80:
			b = append(b, byte(c))
		case utf16.IsSurrogate(rune(c)):
			r := utf8.RuneError
			if c < 0xDC00 && i+1 < len(u) {
				if d := utf16.DecodeRune(rune(c), rune(u[i+1])); d != utf8.RuneError {
					r = d
					i++
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			b = utf8.AppendRune(b, rune(c))
		}
	}
	return b
}

func (p *xparser) newNode(kind xnodeKind, at int) (*xnode, error) {
	p.nodes++
	if p.nodes > p.lim.MaxXMLNodes {
		return nil, p.errAt(at, ErrLimit, "more than %d XML nodes", p.lim.MaxXMLNodes)
	}
	if len(p.slab) == 0 {
		p.slab = make([]xnode, 64)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	n.kind = kind
	return n, nil
}

// decodeChars resolves references and normalizes line ends in the units
// [a, b), as an XML processor does for text (attr false) or for an attribute
// value (attr true, where tab and newline also become spaces).
func (p *xparser) decodeChars(a, b int, attr bool) (string, error) {
	out := p.scratch[:0]
	for i := a; i < b; i++ {
		c := p.u[i]
		switch {
		case c == '&':
			semi := -1
			for k := i + 1; k < b && k < i+32; k++ {
				if p.u[k] == ';' {
					semi = k
					break
				}
			}
			if semi < 0 {
				return "", p.errAt(i, ErrFormat, "unterminated entity reference")
			}
			ref := string(appendUTF8(nil, p.u[i+1:semi]))
			r, ok := entityValue(ref)
			if !ok {
				return "", p.errAt(i, ErrFormat, "unknown entity &%s;", ref)
			}
			out = utf8.AppendRune(out, r)
			i = semi
		case c == '\r':
			if i+1 < b && p.u[i+1] == '\n' {
				i++
			}
			if attr {
				out = append(out, ' ')
			} else {
				out = append(out, '\n')
			}
		case attr && (c == '\n' || c == '\t'):
			out = append(out, ' ')
		case c == 0:
			return "", p.errAt(i, ErrFormat, "NUL character")
		case c < 0x80:
			out = append(out, byte(c))
		default:
			// Copy the run of non-markup units up to the next special one.
			j := i
			for j < b && p.u[j] >= 0x80 {
				j++
			}
			out = appendUTF8(out, p.u[i:j])
			i = j - 1
		}
	}
	p.scratch = out
	return string(out), nil
}

// entityValue resolves a predefined entity or a character reference.
func entityValue(ref string) (rune, bool) {
	switch ref {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	if len(ref) < 2 || ref[0] != '#' {
		return 0, false
	}
	digits, base := ref[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if digits == "" {
		return 0, false
	}
	var v rune
	for i := 0; i < len(digits); i++ {
		d := hexDigit(digits[i])
		if d < 0 || d >= base {
			return 0, false
		}
		v = v*rune(base) + rune(d)
		if v > utf8.MaxRune {
			return 0, false
		}
	}
	if !xmlChar(v) {
		return 0, false
	}
	return v, true
}

// xmlChar reports whether r is a character XML 1.0 allows.
func xmlChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= utf8.MaxRune
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// parseXML parses a WIM XML resource. base is its file offset (for errors).
func parseXML(src []byte, base int64, lim Limits) (*xmlDoc, error) {
	if len(src)%2 != 0 {
		return nil, formatErr(base, "xml", ErrFormat, "odd length %d for UTF-16LE data", len(src))
	}
	p := &xparser{src: src, u: utf16le.Units(src), base: base, lim: lim}
	d := &xmlDoc{src: src}
	if len(p.u) > 0 && p.u[0] == 0xFEFF {
		d.bom = true
		p.pos = 1
	}
	var err error
	if d.prolog, err = p.misc(true); err != nil {
		return nil, err
	}
	if p.pos >= len(p.u) || p.u[p.pos] != '<' {
		return nil, p.errAt(p.pos, ErrFormat, "no root element")
	}
	if d.root, err = p.element(nil, 1); err != nil {
		return nil, err
	}
	if d.epilog, err = p.misc(false); err != nil {
		return nil, err
	}
	if p.pos != len(p.u) {
		return nil, p.errAt(p.pos, ErrFormat, "content after the root element")
	}
	return d, nil
}

// misc parses whitespace, comments, processing instructions and (before the
// root only) a DOCTYPE declaration.
func (p *xparser) misc(prolog bool) ([]*xnode, error) {
	var out []*xnode
	for p.pos < len(p.u) {
		start := p.pos
		var kind xnodeKind
		switch {
		case isXMLSpace(p.u[p.pos]):
			p.skipSpace()
			kind = xMisc
		case p.at(p.pos, "<?"):
			e := p.find(p.pos+2, "?>")
			if e < 0 {
				return nil, p.errAt(start, ErrFormat, "unterminated processing instruction")
			}
			p.pos, kind = e+2, xPI
		case p.at(p.pos, "<!--"):
			e := p.find(p.pos+4, "-->")
			if e < 0 {
				return nil, p.errAt(start, ErrFormat, "unterminated comment")
			}
			p.pos, kind = e+3, xComment
		case prolog && p.at(p.pos, "<!DOCTYPE"):
			if err := p.doctype(); err != nil {
				return nil, err
			}
			kind = xMisc
		default:
			return out, nil
		}
		n, err := p.newNode(kind, start)
		if err != nil {
			return nil, err
		}
		n.raw = p.span(start, p.pos)
		out = append(out, n)
	}
	return out, nil
}

// doctype skips a DOCTYPE declaration, internal subset included. Entities it
// declares are not expanded: a reference to one is an error.
func (p *xparser) doctype() error {
	start := p.pos
	depth := 0
	var quote uint16
	for p.pos++; p.pos < len(p.u); p.pos++ {
		c := p.u[p.pos]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == '>' && depth <= 0:
			p.pos++
			return nil
		}
	}
	return p.errAt(start, ErrFormat, "unterminated DOCTYPE")
}

// element parses an element starting at '<'.
func (p *xparser) element(parent *xnode, depth int) (*xnode, error) {
	start := p.pos
	if depth > p.lim.MaxXMLDepth {
		return nil, p.errAt(start, ErrLimit, "elements nested deeper than %d", p.lim.MaxXMLDepth)
	}
	n, err := p.newNode(xElement, start)
	if err != nil {
		return nil, err
	}
	n.parent = parent
	n.pos = start
	p.pos++
	if n.name, err = p.name(); err != nil {
		return nil, err
	}
	selfClosing := false
	for {
		ws := p.skipSpace()
		if p.pos >= len(p.u) {
			return nil, p.errAt(start, ErrFormat, "unterminated start tag <%s", n.name)
		}
		if p.at(p.pos, "/>") {
			p.pos += 2
			selfClosing = true
			break
		}
		if p.u[p.pos] == '>' {
			p.pos++
			break
		}
		if !ws {
			return nil, p.errAt(p.pos, ErrFormat, "expected whitespace, '>' or '/>' in <%s>", n.name)
		}
		if err := p.attribute(n); err != nil {
			return nil, err
		}
	}
	n.raw = p.span(start, p.pos)
	if selfClosing {
		return n, nil
	}
	for {
		if p.pos >= len(p.u) {
			return nil, p.errAt(start, ErrFormat, "element <%s> is not closed", n.name)
		}
		at := p.pos
		if p.at(at, "</") {
			p.pos += 2
			name, err := p.name()
			if err != nil {
				return nil, err
			}
			if name != n.name {
				return nil, p.errAt(at, ErrFormat, "end tag </%s> does not match <%s>", name, n.name)
			}
			p.skipSpace()
			if p.pos >= len(p.u) || p.u[p.pos] != '>' {
				return nil, p.errAt(at, ErrFormat, "unterminated end tag </%s", name)
			}
			p.pos++
			n.end = p.span(at, p.pos)
			return n, nil
		}
		child, err := p.content(n, depth)
		if err != nil {
			return nil, err
		}
		child.parent = n
		n.children = append(n.children, child)
	}
}

// content parses one node of element content at p.pos (not an end tag).
func (p *xparser) content(parent *xnode, depth int) (*xnode, error) {
	at := p.pos
	var kind xnodeKind
	var textA, textB int
	switch {
	case p.at(at, "<!--"):
		e := p.find(at+4, "-->")
		if e < 0 {
			return nil, p.errAt(at, ErrFormat, "unterminated comment")
		}
		p.pos, kind = e+3, xComment
	case p.at(at, "<![CDATA["):
		e := p.find(at+9, "]]>")
		if e < 0 {
			return nil, p.errAt(at, ErrFormat, "unterminated CDATA section")
		}
		textA, textB = at+9, e
		p.pos, kind = e+3, xCDATA
	case p.at(at, "<?"):
		e := p.find(at+2, "?>")
		if e < 0 {
			return nil, p.errAt(at, ErrFormat, "unterminated processing instruction")
		}
		p.pos, kind = e+2, xPI
	case p.at(at, "<!"):
		return nil, p.errAt(at, ErrFormat, "unexpected markup declaration")
	case p.u[at] == '<':
		return p.element(parent, depth+1)
	default:
		for p.pos < len(p.u) && p.u[p.pos] != '<' {
			p.pos++
		}
		textA, textB, kind = at, p.pos, xText
	}
	n, err := p.newNode(kind, at)
	if err != nil {
		return nil, err
	}
	n.raw = p.span(at, p.pos)
	switch kind {
	case xText:
		if n.text, err = p.decodeChars(textA, textB, false); err != nil {
			return nil, err
		}
	case xCDATA:
		n.text = string(appendUTF8(nil, p.u[textA:textB]))
	}
	return n, nil
}

func (p *xparser) attribute(n *xnode) error {
	at := p.pos
	name, err := p.name()
	if err != nil {
		return err
	}
	p.skipSpace()
	if p.pos >= len(p.u) || p.u[p.pos] != '=' {
		return p.errAt(p.pos, ErrFormat, "attribute %s has no value", name)
	}
	p.pos++
	p.skipSpace()
	if p.pos >= len(p.u) || p.u[p.pos] != '"' && p.u[p.pos] != '\'' {
		return p.errAt(p.pos, ErrFormat, "attribute %s value is not quoted", name)
	}
	quote := p.u[p.pos]
	p.pos++
	vstart := p.pos
	for p.pos < len(p.u) && p.u[p.pos] != quote {
		if p.u[p.pos] == '<' {
			return p.errAt(p.pos, ErrFormat, "'<' in the value of attribute %s", name)
		}
		p.pos++
	}
	if p.pos >= len(p.u) {
		return p.errAt(vstart, ErrFormat, "unterminated value of attribute %s", name)
	}
	value, err := p.decodeChars(vstart, p.pos, true)
	if err != nil {
		return err
	}
	p.pos++
	if len(n.attrs) < 16 {
		for _, a := range n.attrs {
			if a.name == name {
				return p.errAt(at, ErrFormat, "duplicate attribute %s", name)
			}
		}
	} else {
		// Many attributes: check through a set, so the check stays linear.
		if p.attrSeen == nil || p.attrOwner != n {
			p.attrSeen, p.attrOwner = make(map[string]struct{}, 32), n
			for _, a := range n.attrs {
				p.attrSeen[a.name] = struct{}{}
			}
		}
		if _, dup := p.attrSeen[name]; dup {
			return p.errAt(at, ErrFormat, "duplicate attribute %s", name)
		}
		p.attrSeen[name] = struct{}{}
	}
	n.attrs = append(n.attrs, xattr{name, value})
	return nil
}

// bytes returns the document as UTF-16LE. An unedited document returns the
// bytes it was parsed from.
func (d *xmlDoc) bytes() []byte {
	if !d.dirty {
		return d.src
	}
	out := make([]byte, 0, len(d.src)+256)
	if d.bom {
		out = append(out, 0xFF, 0xFE)
	}
	for _, n := range d.prolog {
		out = append(out, n.raw...)
	}
	out = appendNode(out, d.root)
	for _, n := range d.epilog {
		out = append(out, n.raw...)
	}
	return out
}

func appendNode(out []byte, n *xnode) []byte {
	out = append(out, n.raw...)
	if n.kind != xElement {
		return out
	}
	for _, c := range n.children {
		out = appendNode(out, c)
	}
	return append(out, n.end...)
}

// attr returns the value of the named attribute.
func (n *xnode) attr(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.name == name {
			return a.value, true
		}
	}
	return "", false
}

// text returns the content of the first text child, as libxml2's first
// XML_TEXT_NODE child (what wimlib reads), and whether there is one.
func (n *xnode) firstText() (string, bool) {
	if n == nil {
		return "", false
	}
	for _, c := range n.children {
		if c.kind == xText {
			return c.text, true
		}
	}
	return "", false
}

// child returns the idx-th (1-based) child element with the given name.
func (n *xnode) child(name string, idx int) *xnode {
	if n == nil {
		return nil
	}
	for _, c := range n.children {
		if c.kind == xElement && c.name == name {
			idx--
			if idx == 0 {
				return c
			}
		}
	}
	return nil
}

// openTag turns an empty-element tag "<X .../>" into a start tag "<X ...>"
// with an end tag, so the element can take content.
func (n *xnode) openTag() {
	if n.end != nil {
		return
	}
	raw := make([]byte, 0, len(n.raw))
	raw = append(raw, n.raw[:len(n.raw)-4]...) // drop "/>" (two UTF-16 units)
	n.raw = append(raw, '>', 0)
	n.end = utf16le.Encode("</" + n.name + ">")
}

// setText replaces the content of element n with one text node holding
// value, as wimlib's node_set_text does.
func (d *xmlDoc) setText(n *xnode, value string) {
	n.openTag()
	t := &xnode{kind: xText, raw: utf16le.Encode(escapeText(value)), text: value, parent: n}
	n.children = []*xnode{t}
	d.dirty = true
}

// appendElement adds an empty element named name as the last child of
// parent and returns it.
func (d *xmlDoc) appendElement(parent *xnode, name string) *xnode {
	parent.openTag()
	e := &xnode{
		kind:   xElement,
		name:   name,
		raw:    utf16le.Encode("<" + name + ">"),
		end:    utf16le.Encode("</" + name + ">"),
		parent: parent,
	}
	parent.children = append(parent.children, e)
	d.dirty = true
	return e
}

// remove unlinks element n from its parent.
func (d *xmlDoc) remove(n *xnode) {
	p := n.parent
	if p == nil {
		return
	}
	for i, c := range p.children {
		if c == n {
			p.children = append(p.children[:i:i], p.children[i+1:]...)
			break
		}
	}
	n.parent = nil
	d.dirty = true
}

// escapeText escapes character data the way libxml2 serializes it: '&',
// '<' and '>' as entities, and CR as a character reference so that it
// survives line-end normalization.
func escapeText(s string) string {
	if !strings.ContainsAny(s, "&<>\r") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\r':
			b.WriteString("&#13;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
