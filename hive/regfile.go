package hive

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/winbootkit/winbootkit/internal/utf16le"
)

// .reg files: the text format of regedit's export ("Windows Registry Editor
// Version 5.00"): a header line, then for each key a "[path]" line and one
// line per value: `"name"="string"` for REG_SZ, `dword:xxxxxxxx` for
// REG_DWORD, `hex:` for REG_BINARY and `hex(N):` (N in hex) for any other
// type, `@` naming the default value. On import, "[-path]" deletes a key
// and `"name"=-` a value.

const (
	regHeader = "Windows Registry Editor Version 5.00"
	hexDigits = "0123456789abcdef"
)

// ExportOptions configure ExportReg. The zero value and nil mean defaults.
type ExportOptions struct {
	// Prefix is the path written for the exported key; its subkeys follow
	// it. Default: `HKEY_LOCAL_MACHINE\` followed by the root key's name and
	// the exported key's path, as if the hive were loaded under HKLM.
	Prefix string

	// UTF8 writes UTF-8 with LF line ends. The default is what regedit
	// writes: UTF-16LE with a byte-order mark and CRLF line ends.
	UTF8 bool
}

// ExportReg writes the key and everything below it as a .reg file.
// REG_SZ data is written as a quoted string only when it converts back to
// the same bytes (one final NUL, no other NUL, no line breaks, valid
// UTF-16); REG_DWORD only when it is 4 bytes; everything else as hex, so
// importing the file gives back the same types and bytes.
func (k *Key) ExportReg(w io.Writer, opts *ExportOptions) error {
	var o ExportOptions
	if opts != nil {
		o = *opts
	}
	if o.Prefix == "" {
		p, err := k.Path()
		if err != nil {
			return err
		}
		o.Prefix = `HKEY_LOCAL_MACHINE\` + k.h.Root().Name()
		if p != "" {
			o.Prefix += `\` + p
		}
	}
	o.Prefix = strings.TrimRight(o.Prefix, `\`)
	if o.Prefix == "" {
		o.Prefix = `\`
	}
	nl := "\r\n"
	if o.UTF8 {
		nl = "\n"
	}
	var bw *bufio.Writer
	var enc *utf16Writer
	if o.UTF8 {
		bw = bufio.NewWriter(w)
	} else {
		enc = &utf16Writer{w: w}
		bw = bufio.NewWriter(enc)
		if _, err := w.Write([]byte{0xFF, 0xFE}); err != nil {
			return err
		}
	}
	bw.WriteString(regHeader + nl)
	var data []byte
	err := k.Walk(func(path string, key *Key) error {
		full := o.Prefix
		if path != "" {
			if !strings.HasSuffix(full, `\`) {
				full += `\`
			}
			full += path
		}
		if strings.ContainsAny(full, "\r\n") {
			return fmt.Errorf("hive: key path %q contains a line break, which .reg files cannot hold: %w", full, ErrUnsupported)
		}
		bw.WriteString(nl + "[" + full + "]" + nl)
		for v, err := range key.Values() {
			if err != nil {
				return err
			}
			if data, err = v.AppendData(data[:0]); err != nil {
				return err
			}
			name := v.Name()
			if strings.ContainsAny(name, "\r\n") {
				return fmt.Errorf("hive: value name %q contains a line break, which .reg files cannot hold: %w", name, ErrUnsupported)
			}
			writeRegValue(bw, name, v.Type(), data, nl)
		}
		return nil
	})
	if err != nil {
		return err
	}
	bw.WriteString(nl)
	if err := bw.Flush(); err != nil {
		return err
	}
	if enc != nil {
		return enc.flush()
	}
	return nil
}

// ExportReg writes the whole hive as a .reg file (see Key.ExportReg).
func (h *Hive) ExportReg(w io.Writer, opts *ExportOptions) error {
	return h.Root().ExportReg(w, opts)
}

// utf16Writer converts UTF-8 text to UTF-16LE, holding back an incomplete
// UTF-8 sequence between writes.
type utf16Writer struct {
	w    io.Writer
	rest []byte
	out  []byte
}

func (u *utf16Writer) Write(p []byte) (int, error) {
	b := p
	if len(u.rest) > 0 {
		b = append(u.rest, p...)
	}
	u.out = u.out[:0]
	i := 0
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf {
			u.out = append(u.out, c, 0)
			i++
			continue
		}
		if !utf8.FullRune(b[i:]) {
			break
		}
		r, n := utf8.DecodeRune(b[i:])
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			u.out = append(u.out, byte(r1), byte(r1>>8), byte(r2), byte(r2>>8))
		} else {
			u.out = append(u.out, byte(r), byte(r>>8))
		}
		i += n
	}
	u.rest = append(u.rest[:0], b[i:]...)
	if _, err := u.w.Write(u.out); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (u *utf16Writer) flush() error {
	if len(u.rest) == 0 {
		return nil
	}
	_, err := u.w.Write(utf16le.Encode(string(u.rest)))
	return err
}

func quoteReg(s string) string {
	if !strings.ContainsAny(s, `\"`) {
		return `"` + s + `"`
	}
	return `"` + regEscaper.Replace(s) + `"`
}

var regEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// regString returns the text of REG_SZ data when it converts back to the
// same bytes.
func regString(data []byte) (string, bool) {
	if len(data) < 2 || len(data)%2 != 0 || !utf16le.Valid(data) || utf16NUL(data) != len(data)-2 {
		return "", false
	}
	s := utf16le.Decode(data[:len(data)-2])
	if strings.ContainsAny(s, "\r\n") {
		return "", false
	}
	return s, true
}

func writeRegValue(w *bufio.Writer, name string, t ValueType, data []byte, nl string) {
	lhs := "@"
	if name != "" {
		lhs = quoteReg(name)
	}
	w.WriteString(lhs + "=")
	if t == String {
		if s, ok := regString(data); ok {
			w.WriteString(quoteReg(s) + nl)
			return
		}
	}
	if t == DWord && len(data) == 4 {
		var num [8]byte
		x := le32(data)
		for i := 7; i >= 0; i-- {
			num[i] = hexDigits[x&0xF]
			x >>= 4
		}
		w.WriteString("dword:")
		w.Write(num[:])
		w.WriteString(nl)
		return
	}
	prefix := "hex:"
	if t != Binary {
		prefix = "hex(" + strconv.FormatUint(uint64(t), 16) + "):"
	}
	w.WriteString(prefix)
	col := utf8.RuneCountInString(lhs) + 1 + len(prefix)
	const maxCol = 77
	for i, b := range data {
		w.WriteByte(hexDigits[b>>4])
		w.WriteByte(hexDigits[b&0xF])
		if i == len(data)-1 {
			break
		}
		w.WriteByte(',')
		col += 3
		if col >= maxCol {
			w.WriteString(`\` + nl + "  ")
			col = 2
		}
	}
	w.WriteString(nl)
}

// ImportOptions configure ImportReg. The zero value and nil mean defaults.
type ImportOptions struct {
	// Prefix is the path in the file that stands for the key imported
	// into; every section must be it or below it. Default: the path of the
	// file's first section, which is where regedit and ExportReg put the
	// exported key (hivexregedit --export writes `[\]`).
	Prefix string
}

// SyntaxError is a .reg line that cannot be parsed. It wraps ErrFormat.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("hive: .reg line %d: %s", e.Line, e.Msg) }

// Unwrap returns ErrFormat.
func (e *SyntaxError) Unwrap() error { return ErrFormat }

// regOp is one parsed operation of a .reg file.
type regOp struct {
	line      int
	key       string // section path as written
	deleteKey bool
	value     bool // a value line (name, typ, data or deleteValue)
	name      string
	typ       ValueType
	data      []byte
	deleteVal bool
}

// ImportReg applies a .reg file below k: each "[path]" section creates the
// key (and missing parents), its value lines create or overwrite values,
// "[-path]" deletes a key with everything below it, and `"name"=-` deletes
// a value. It reads regedit's output (UTF-16LE with BOM, or UTF-8/ANSI,
// "Windows Registry Editor Version 5.00" or "REGEDIT4") and hivexregedit's
// (which mixes UTF-8 and Latin-1 lines). The whole file is parsed before
// anything changes, and the changes are applied all or nothing: on an
// error the hive is left as it was.
func (k *Key) ImportReg(r io.Reader, opts *ImportOptions) error {
	var o ImportOptions
	if opts != nil {
		o = *opts
	}
	lr := &io.LimitedReader{R: r, N: k.h.lim.MaxFileSize + 1}
	raw, err := io.ReadAll(lr)
	if err != nil {
		return err
	}
	if lr.N <= 0 {
		return fmt.Errorf("hive: .reg input exceeds MaxFileSize: %w", ErrLimit)
	}
	ops, err := parseReg(raw)
	if err != nil {
		return err
	}
	prefix := o.Prefix
	if prefix == "" {
		for _, op := range ops {
			if op.key != "" {
				if op.deleteKey {
					return fmt.Errorf("hive: .reg line %d: the first section deletes a key; set ImportOptions.Prefix: %w", op.line, ErrInvalid)
				}
				prefix = op.key
				break
			}
		}
	}
	prefix = strings.TrimRight(prefix, `\`)
	if _, err := k.Path(); err != nil {
		return err
	}
	off := k.off
	return k.h.transact(func(c *Hive) error {
		base := &Key{c, off}
		var cur *Key
		for _, op := range ops {
			if !op.value {
				rel, ok := relPath(op.key, prefix)
				if !ok {
					return &SyntaxError{op.line, fmt.Sprintf("key %q is not below %q", op.key, prefix)}
				}
				cur = nil
				if op.deleteKey {
					if rel == "" {
						return &SyntaxError{op.line, "cannot delete the key imported into"}
					}
					kk, err := base.OpenKey(rel)
					if errors.Is(err, ErrNotFound) {
						continue
					}
					if err != nil {
						return err
					}
					if err := kk.Delete(); err != nil {
						return err
					}
					continue
				}
				kk, err := base.CreateKey(rel)
				if err != nil {
					return fmt.Errorf("hive: .reg line %d: %w", op.line, err)
				}
				cur = kk
				continue
			}
			if cur == nil {
				continue // values of a deleted key, as regedit ignores them
			}
			if op.deleteVal {
				if err := cur.DeleteValue(op.name); err != nil && !errors.Is(err, ErrNotFound) {
					return err
				}
				continue
			}
			if err := cur.SetValue(op.name, op.typ, op.data); err != nil {
				return fmt.Errorf("hive: .reg line %d: %w", op.line, err)
			}
		}
		return nil
	})
}

// ImportReg applies a .reg file to the hive's root key (see Key.ImportReg).
func (h *Hive) ImportReg(r io.Reader, opts *ImportOptions) error {
	return h.Root().ImportReg(r, opts)
}

// relPath returns path below prefix (case-insensitive, on component
// boundaries).
func relPath(path, prefix string) (string, bool) {
	path = strings.TrimRight(path, `\`)
	if equalFold(path, prefix) {
		return "", true
	}
	if len(path) > len(prefix) && path[len(prefix)] == '\\' && equalFold(path[:len(prefix)], prefix) {
		return path[len(prefix)+1:], true
	}
	return "", false
}

func equalFold(a, b string) bool {
	if a == b {
		return true
	}
	ua, ub := upcaseUnits(a), upcaseUnits(b)
	if len(ua) != len(ub) {
		return false
	}
	for i := range ua {
		if ua[i] != ub[i] {
			return false
		}
	}
	return true
}

// regLines decodes a .reg file into lines.
func regLines(raw []byte) []string {
	var text string
	switch {
	case len(raw) >= 2 && raw[0] == 0xFF && raw[1] == 0xFE:
		text = utf16le.Decode(raw[2:])
	case len(raw) >= 3 && raw[0] == 0xEF && raw[1] == 0xBB && raw[2] == 0xBF:
		text = string(raw[3:])
	default:
		// UTF-8, ANSI, or hivexregedit's mixture: decode each line as
		// UTF-8 when it is valid, else as Latin-1.
		var sb strings.Builder
		for _, l := range bytes.SplitAfter(raw, []byte("\n")) {
			if utf8.Valid(l) {
				sb.Write(l)
				continue
			}
			for _, c := range l {
				sb.WriteRune(rune(c))
			}
		}
		text = sb.String()
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// parseReg parses a whole .reg file.
func parseReg(raw []byte) ([]regOp, error) {
	lines := regLines(raw)
	i := 0
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	if i == len(lines) {
		return nil, &SyntaxError{1, "empty file"}
	}
	switch strings.TrimSpace(lines[i]) {
	case regHeader, "REGEDIT4":
	default:
		return nil, &SyntaxError{i + 1, fmt.Sprintf("header %q, want %q", lines[i], regHeader)}
	}
	var ops []regOp
	inKey := false
	for i++; i < len(lines); i++ {
		lineNo := i + 1
		l := strings.TrimLeft(lines[i], " \t")
		t := strings.TrimRight(l, " \t")
		switch {
		case t == "" || t[0] == ';':
			continue
		case t[0] == '[' && t[len(t)-1] == ']':
			p := t[1 : len(t)-1]
			op := regOp{line: lineNo, key: p}
			if strings.HasPrefix(p, "-") {
				op.deleteKey, op.key = true, p[1:]
			}
			if op.key == "" {
				op.key = `\`
			}
			ops = append(ops, op)
			inKey = true
			continue
		}
		if !inKey {
			return nil, &SyntaxError{lineNo, "value line before any [key] line"}
		}
		name, rest, err := regName(l)
		if err != nil {
			return nil, &SyntaxError{lineNo, err.Error()}
		}
		rest = strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(rest, "=") {
			return nil, &SyntaxError{lineNo, "missing '=' after the value name"}
		}
		rest = strings.TrimSpace(rest[1:])
		// Hex data may continue on following lines after a trailing '\'.
		if strings.HasPrefix(strings.ToLower(rest), "hex") {
			for strings.HasSuffix(rest, `\`) && i+1 < len(lines) {
				i++
				rest = rest[:len(rest)-1] + strings.TrimSpace(lines[i])
			}
		}
		op := regOp{line: lineNo, value: true, name: name}
		if err := regData(rest, &op); err != nil {
			return nil, &SyntaxError{lineNo, err.Error()}
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// regName parses the value name at the start of l: @ or a quoted string.
func regName(l string) (name, rest string, err error) {
	if strings.HasPrefix(l, "@") {
		return "", l[1:], nil
	}
	if !strings.HasPrefix(l, `"`) {
		return "", "", fmt.Errorf("value line must start with @ or a quoted name: %.40q", l)
	}
	return regQuoted(l)
}

// regQuoted parses a quoted string with \\ and \" escapes at the start of s.
func regQuoted(s string) (string, string, error) {
	var sb strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '"') {
				sb.WriteByte(s[i+1])
				i++
				continue
			}
			sb.WriteByte(c)
		case '"':
			return sb.String(), s[i+1:], nil
		default:
			sb.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated quoted string")
}

// regData parses the data after '=' into op.
func regData(s string, op *regOp) error {
	low := strings.ToLower(s)
	switch {
	case s == "-":
		op.deleteVal = true
		return nil
	case strings.HasPrefix(s, `"`):
		str, rest, err := regQuoted(s)
		if err != nil {
			return err
		}
		if strings.TrimSpace(rest) != "" {
			return fmt.Errorf("text after the closing quote: %.40q", rest)
		}
		op.typ, op.data = String, EncodeString(str)
		return nil
	case strings.HasPrefix(low, "dword:"):
		x, err := strconv.ParseUint(strings.TrimSpace(s[6:]), 16, 32)
		if err != nil {
			return fmt.Errorf("bad dword %q", s[6:])
		}
		op.typ, op.data = DWord, EncodeDWord(uint32(x))
		return nil
	case strings.HasPrefix(low, "hex:"):
		op.typ = Binary
		return regHex(s[4:], op)
	case strings.HasPrefix(low, "hex("):
		end := strings.Index(s, "):")
		if end < 0 {
			return fmt.Errorf("bad hex(type): %.40q", s)
		}
		t, err := strconv.ParseUint(s[4:end], 16, 32)
		if err != nil {
			return fmt.Errorf("bad value type %q", s[4:end])
		}
		op.typ = ValueType(t)
		return regHex(s[end+2:], op)
	}
	return fmt.Errorf("unknown value data %.40q", s)
}

func regHex(s string, op *regOp) error {
	s = strings.TrimSpace(s)
	op.data = []byte{}
	if s == "" {
		return nil
	}
	op.data = make([]byte, 0, len(s)/3+1)
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		x, err := strconv.ParseUint(f, 16, 8)
		if err != nil {
			return fmt.Errorf("bad hex byte %q", f)
		}
		op.data = append(op.data, byte(x))
	}
	return nil
}
