package inf

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// RegType is a registry value type (REG_* in winnt.h).
type RegType uint32

// Registry value types.
const (
	RegNone                     RegType = 0
	RegSZ                       RegType = 1
	RegExpandSZ                 RegType = 2
	RegBinary                   RegType = 3
	RegDWORD                    RegType = 4
	RegDWORDBigEndian           RegType = 5
	RegLink                     RegType = 6
	RegMultiSZ                  RegType = 7
	RegResourceList             RegType = 8
	RegFullResourceDescriptor   RegType = 9
	RegResourceRequirementsList RegType = 10
	RegQWORD                    RegType = 11
)

var regTypeNames = [...]string{"REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD",
	"REG_DWORD_BIG_ENDIAN", "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST",
	"REG_FULL_RESOURCE_DESCRIPTOR", "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD"}

func (t RegType) String() string {
	if int(t) < len(regTypeNames) {
		return regTypeNames[t]
	}
	return fmt.Sprintf("REG_TYPE_%#x", uint32(t))
}

// ParseRegType reads a REG_* name (as txtsetup.oem [Config.*] lines use).
func ParseRegType(s string) (RegType, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	for i, n := range regTypeNames {
		if n == s {
			return RegType(i), true
		}
	}
	return 0, false
}

// RegFlags is the flags field of an AddReg or DelReg line. The low 16 bits
// are behaviour flags, the high 16 bits with bit 0 select the value type.
type RegFlags uint32

// AddReg and DelReg flags (FLG_ADDREG_* / FLG_DELREG_* in setupapi.h, as
// ReactOS' mkhive reads them).
const (
	FlagBinValueType  RegFlags = 0x00000001 // FLG_ADDREG_BINVALUETYPE: data fields are hex bytes
	FlagNoClobber     RegFlags = 0x00000002 // FLG_ADDREG_NOCLOBBER: keep an existing value
	FlagDelVal        RegFlags = 0x00000004 // FLG_ADDREG_DELVAL: delete the value
	FlagAppend        RegFlags = 0x00000008 // FLG_ADDREG_APPEND: append to a REG_MULTI_SZ
	FlagKeyOnly       RegFlags = 0x00000010 // FLG_ADDREG_KEYONLY: create the key only
	FlagOverwriteOnly RegFlags = 0x00000020 // FLG_ADDREG_OVERWRITEONLY: only replace an existing value
	FlagKeyOnlyCommon RegFlags = 0x00002000 // FLG_ADDREG_KEYONLY_COMMON / FLG_DELREG_KEYONLY_COMMON
	FlagDelRegBit     RegFlags = 0x00008000 // FLG_ADDREG_DELREG_BIT: the line is a deletion

	FlagTypeSZ       RegFlags = 0x00000000 // FLG_ADDREG_TYPE_SZ
	FlagTypeMultiSZ  RegFlags = 0x00010000 // FLG_ADDREG_TYPE_MULTI_SZ
	FlagTypeExpandSZ RegFlags = 0x00020000 // FLG_ADDREG_TYPE_EXPAND_SZ
	FlagTypeBinary   RegFlags = 0x00000001 // FLG_ADDREG_TYPE_BINARY
	FlagTypeDWORD    RegFlags = 0x00010001 // FLG_ADDREG_TYPE_DWORD
	FlagTypeNone     RegFlags = 0x00020001 // FLG_ADDREG_TYPE_NONE
	FlagTypeMask     RegFlags = 0xFFFF0001 // FLG_ADDREG_TYPE_MASK

	// FlagDelMultiSZString is FLG_DELREG_MULTI_SZ_DELSTRING: remove a
	// string from a REG_MULTI_SZ value.
	FlagDelMultiSZString RegFlags = FlagTypeMultiSZ | FlagDelRegBit | FlagNoClobber
)

// Type returns the value type the flags select.
func (f RegFlags) Type() RegType {
	switch f & FlagTypeMask {
	case FlagTypeSZ:
		return RegSZ
	case FlagTypeMultiSZ:
		return RegMultiSZ
	case FlagTypeExpandSZ:
		return RegExpandSZ
	case FlagTypeBinary:
		return RegBinary
	case FlagTypeDWORD:
		return RegDWORD
	case FlagTypeNone:
		return RegNone
	}
	return RegType(f >> 16)
}

func (f RegFlags) String() string {
	var parts []string
	for _, n := range []struct {
		f    RegFlags
		name string
	}{{FlagNoClobber, "NOCLOBBER"}, {FlagDelVal, "DELVAL"}, {FlagAppend, "APPEND"}, {FlagKeyOnly, "KEYONLY"},
		{FlagOverwriteOnly, "OVERWRITEONLY"}, {FlagKeyOnlyCommon, "KEYONLY_COMMON"}, {FlagDelRegBit, "DELREG_BIT"}} {
		if f&n.f != 0 {
			parts = append(parts, n.name)
		}
	}
	if f&FlagBinValueType != 0 {
		parts = append(parts, "BINVALUETYPE")
	}
	parts = append(parts, f.Type().String())
	if rest := f &^ (FlagTypeMask | FlagNoClobber | FlagDelVal | FlagAppend | FlagKeyOnly | FlagOverwriteOnly | FlagKeyOnlyCommon | FlagDelRegBit); rest != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(rest)))
	}
	return strings.Join(parts, "|")
}

// RegOpKind is what a registry line does.
type RegOpKind uint8

// Kinds of registry operation.
const (
	OpSetValue            RegOpKind = iota // create the key and set the value
	OpCreateKey                            // create the key only (KEYONLY)
	OpAppendMultiSZ                        // append strings to an existing REG_MULTI_SZ (APPEND)
	OpDeleteValue                          // delete a value
	OpDeleteKey                            // delete a key and its subkeys
	OpDeleteMultiSZString                  // remove strings from a REG_MULTI_SZ value
	OpIgnore                               // a line this kind of section skips
)

func (k RegOpKind) String() string {
	switch k {
	case OpSetValue:
		return "set-value"
	case OpCreateKey:
		return "create-key"
	case OpAppendMultiSZ:
		return "append-multi-sz"
	case OpDeleteValue:
		return "delete-value"
	case OpDeleteKey:
		return "delete-key"
	case OpDeleteMultiSZString:
		return "delete-multi-sz-string"
	case OpIgnore:
		return "ignore"
	}
	return fmt.Sprintf("RegOpKind(%d)", uint8(k))
}

// RegOp is one AddReg or DelReg line decoded:
// root, [subkey], [value-name], [flags], [value...].
type RegOp struct {
	Kind         RegOpKind
	Root         string // HKLM, HKCU, HKCR, HKU, HKR, ... as written
	Subkey       string // substituted
	ValueName    string // substituted; "" is the default value
	HasValueName bool   // the line has a value-name field
	Flags        RegFlags
	Type         RegType
	Data         []byte   // the value's bytes as the registry stores them
	Strings      []string // the strings of REG_SZ/EXPAND_SZ/MULTI_SZ data, or of an append or string deletion
	Line         *Line
}

// NoClobber reports FLG_ADDREG_NOCLOBBER: an existing value is kept.
func (o RegOp) NoClobber() bool { return o.Flags&FlagNoClobber != 0 }

// OverwriteOnly reports FLG_ADDREG_OVERWRITEONLY: only an existing value
// is replaced.
func (o RegOp) OverwriteOnly() bool { return o.Flags&FlagOverwriteOnly != 0 }

// Path returns the root and subkey joined with '\'.
func (o RegOp) Path() string {
	if o.Subkey == "" {
		return o.Root
	}
	return o.Root + `\` + o.Subkey
}

// DWORD returns REG_DWORD data as a number.
func (o RegOp) DWORD() (uint32, bool) {
	if o.Type != RegDWORD || len(o.Data) != 4 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(o.Data), true
}

func (o RegOp) String() string {
	s := fmt.Sprintf("%s %s", o.Kind, o.Path())
	if o.HasValueName {
		s += fmt.Sprintf(" %q", o.ValueName)
	}
	switch o.Kind {
	case OpSetValue:
		s += " " + FormatRegData(o.Type, o.Data)
	case OpAppendMultiSZ, OpDeleteMultiSZString:
		s += fmt.Sprintf(" %q", o.Strings)
	}
	return s
}

// FormatRegData renders value data for humans: strings quoted, DWORDs in
// hex, other types as hex bytes.
func FormatRegData(t RegType, data []byte) string {
	switch t {
	case RegSZ, RegExpandSZ, RegLink:
		if s, ok := DecodeMultiSZ(data); ok && len(s) <= 1 {
			if len(s) == 0 {
				return t.String() + ` ""`
			}
			return fmt.Sprintf("%s %q", t, s[0])
		}
	case RegMultiSZ:
		if s, ok := DecodeMultiSZ(data); ok {
			return fmt.Sprintf("%s %q", t, s)
		}
	case RegDWORD:
		if len(data) == 4 {
			return fmt.Sprintf("%s 0x%08x", t, binary.LittleEndian.Uint32(data))
		}
	}
	return fmt.Sprintf("%s hex:% x", t, data)
}

// EncodeSZ returns s as UTF-16LE with a terminating NUL, as REG_SZ data.
func EncodeSZ(s string) []byte {
	return appendUTF16(make([]byte, 0, utf16Len(s)+2), s, true)
}

// EncodeMultiSZ returns the strings as REG_MULTI_SZ data: each one
// NUL-terminated, then a final NUL. An empty list is a single NUL.
func EncodeMultiSZ(list []string) []byte {
	return appendMultiSZ(make([]byte, 0, multiSZLen(list)), list)
}

func appendMultiSZ(b []byte, list []string) []byte {
	for _, s := range list {
		b = appendUTF16(b, s, true)
	}
	return append(b, 0, 0)
}

// multiSZLen is the length of EncodeMultiSZ(list).
func multiSZLen(list []string) int {
	n := 2
	for _, s := range list {
		n += utf16Len(s) + 2
	}
	return n
}

// utf16Len is the length in bytes of s in UTF-16 (invalid UTF-8 bytes
// become U+FFFD).
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += 2
		if r >= 0x10000 {
			n += 2
		}
	}
	return n
}

func appendUTF16(b []byte, s string, nul bool) []byte {
	for _, r := range s {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			b = append(b, byte(r1), byte(r1>>8), byte(r2), byte(r2>>8))
			continue
		}
		if utf16.IsSurrogate(r) {
			r = utf8.RuneError
		}
		b = append(b, byte(r), byte(r>>8))
	}
	if nul {
		b = append(b, 0, 0)
	}
	return b
}

// DecodeMultiSZ splits REG_SZ or REG_MULTI_SZ data into its strings: up to
// the first empty string, ignoring what follows. ok is false for data of
// odd length.
func DecodeMultiSZ(data []byte) ([]string, bool) {
	if len(data)%2 != 0 {
		return nil, false
	}
	var out []string
	var cur []uint16
	for i := 0; i+1 < len(data); i += 2 {
		u := uint16(data[i]) | uint16(data[i+1])<<8
		if u == 0 {
			if len(cur) == 0 {
				return out, true
			}
			out = append(out, string(utf16.Decode(cur)))
			cur = cur[:0]
			continue
		}
		cur = append(cur, u)
	}
	if len(cur) > 0 {
		out = append(out, string(utf16.Decode(cur)))
	}
	return out, true
}

// ParseRegLine decodes one AddReg line, or a DelReg line when del is set,
// with SetupAPI's and ReactOS mkhive's rules (spec §1.6):
//
//   - fields: root, subkey, value name, flags, data...; all substituted;
//     a missing flags field is 0, a missing value name is the default value;
//   - in a DelReg section flags 0 mean FLG_ADDREG_DELREG_BIT; a line
//     without that bit is ignored there, and a line with it is ignored in
//     an AddReg section;
//   - deletions delete the named value, or the key (with its subkeys) when
//     there is no value name or KEYONLY_COMMON is set;
//   - string types take field 5; REG_MULTI_SZ takes fields 5 to the first
//     empty one; REG_DWORD with exactly one data field is a number read
//     like strtoul(s, NULL, 0); any other binary type takes one hex byte
//     per field, so data may continue over several physical lines.
func ParseRegLine(l *Line, del bool) (RegOp, error) {
	return parseRegLine(l, del, nil)
}

// regArena gives the strings and data of many registry lines a few
// allocations.
type regArena struct {
	strs  arena[string]
	bytes arena[byte]
}

// newRegArena returns an arena sized for about lines registry lines.
func newRegArena(lines int) *regArena {
	a := &regArena{}
	a.strs.next = lines      // one string per line, as REG_SZ takes
	a.bytes.next = 8 * lines // a short string or a DWORD per line
	return a
}

func (a *regArena) strings(n int) []string {
	if a == nil {
		return make([]string, n)
	}
	return a.strs.take(n)
}

func (a *regArena) data(n int) []byte {
	if a == nil {
		return make([]byte, n)
	}
	return a.bytes.take(n)
}

func parseRegLine(l *Line, del bool, a *regArena) (RegOp, error) {
	fail := func(format string, args ...any) (RegOp, error) {
		name := ""
		if l.sec != nil {
			name = l.sec.name
		}
		return RegOp{}, &LineError{Section: name, Line: l.Number(), Err: fmt.Errorf("%w: "+format, append([]any{ErrValue}, args...)...)}
	}
	if l.kind != Entry {
		return fail("not an entry")
	}
	nf := len(l.fields)
	root := ""
	if nf > 0 {
		root = strings.TrimSpace(l.Field(0))
	}
	if root == "" {
		return fail("registry line without root key")
	}
	op := RegOp{Root: root, Line: l}
	if nf > 1 {
		op.Subkey = l.Field(1)
	}
	if nf > 2 {
		op.ValueName, op.HasValueName = l.Field(2), true
	}
	if nf > 3 {
		if fl := l.Field(3); strings.TrimSpace(fl) != "" {
			v, ok := parseCInt(fl)
			if !ok {
				return fail("flags %q are not a number", fl)
			}
			op.Flags = RegFlags(uint32(v))
		}
	}
	if del {
		switch {
		case op.Flags == 0:
			op.Flags = FlagDelRegBit
		case op.Flags&FlagDelRegBit == 0:
			op.Kind = OpIgnore
			return op, nil
		}
	} else if op.Flags&FlagDelRegBit != 0 {
		op.Kind = OpIgnore
		return op, nil
	}
	op.Type = op.Flags.Type()
	if l.doc != nil {
		if err := l.doc.substErr(); err != nil {
			return RegOp{}, err // the fields may not be substituted
		}
	}
	const data = 4 // index of the first data field
	ndata := max(nf-data, 0)

	if op.Flags&(FlagDelRegBit|FlagDelVal) != 0 {
		switch {
		case op.Flags&^FlagKeyOnlyCommon == FlagDelMultiSZString && op.HasValueName:
			op.Kind = OpDeleteMultiSZString
			op.Strings = multiSZFields(l, data, a)
		case op.ValueName != "" && op.Flags&FlagKeyOnlyCommon == 0:
			op.Kind = OpDeleteValue
		default:
			op.Kind = OpDeleteKey
		}
		op.Type = 0
		return op, nil
	}
	if op.Flags&(FlagKeyOnly|FlagKeyOnlyCommon) != 0 {
		op.Kind = OpCreateKey
		op.Type = 0
		return op, nil
	}
	op.Kind = OpSetValue
	if op.Flags&FlagBinValueType == 0 || (op.Type == RegDWORD && nf == 5) {
		switch {
		case op.Type == RegMultiSZ:
			op.Strings = multiSZFields(l, data, a)
			if l.doc != nil {
				if err := l.doc.substErr(); err != nil {
					return RegOp{}, err
				}
			}
			if op.Flags&FlagAppend != 0 {
				op.Kind = OpAppendMultiSZ
			}
			op.Data = appendMultiSZ(a.data(multiSZLen(op.Strings))[:0], op.Strings)
		case op.Type == RegDWORD:
			v := uint32(0)
			if ndata > 0 {
				v = strtoul32(l.Field(data), 0)
			}
			op.Data = binary.LittleEndian.AppendUint32(a.data(4)[:0], v)
		default:
			s := l.Field(data)
			op.Strings = a.strings(1)
			op.Strings[0] = s
			op.Data = appendUTF16(a.data(utf16Len(s) + 2)[:0], s, true)
		}
		return op, nil
	}
	op.Data = a.data(ndata)
	for i := range op.Data {
		op.Data[i] = byte(strtoul32(l.Field(data+i), 16))
	}
	if op.Data == nil {
		op.Data = []byte{}
	}
	return op, nil
}

// multiSZFields returns the fields of l from index first up to the first
// empty one, as SetupGetMultiSzField does.
func multiSZFields(l *Line, first int, a *regArena) []string {
	n := 0
	for i := first; i < len(l.fields) && l.Field(i) != ""; i++ {
		n++
	}
	if n == 0 {
		return nil
	}
	out := a.strings(n)
	for i := range out {
		out[i] = l.Field(first + i)
	}
	return out
}

// RegOps decodes every entry of an AddReg section (or a DelReg section
// when del is set). It fails with ErrNotFound when the section is missing,
// and with ErrLimit when the document's substitution budget ran out (see
// Document.SubstitutionErr), returning the lines decoded before.
func (d *Document) RegOps(section string, del bool) ([]RegOp, error) {
	s := d.Section(section)
	if s == nil {
		return nil, fmt.Errorf("%w: section [%s]", ErrNotFound, section)
	}
	body := s.lines()
	n := 0
	for _, l := range body {
		if l.kind == Entry {
			n++
		}
	}
	if n == 0 {
		return nil, d.SubstitutionErr()
	}
	out := make([]RegOp, 0, n)
	a := newRegArena(n)
	for _, l := range body {
		if l.kind != Entry {
			continue
		}
		op, err := parseRegLine(l, del, a)
		if err == nil {
			err = d.substErr()
		}
		if err != nil {
			if len(out) == 0 {
				out = nil
			}
			return out, err
		}
		out = append(out, op)
	}
	return out, nil
}

// FormatRegLine renders an AddReg line in the style of hivesys.inf:
// root,"subkey","name",flags,data. The flags encode t; strings are quoted
// and their '%' doubled so that substitution gives them back; REG_DWORD is
// written as a decimal number, other binary types as hex bytes. It fails
// for data t cannot hold (a REG_DWORD that is not 4 bytes, strings with an
// empty element or odd length).
func FormatRegLine(root, subkey, name string, t RegType, data []byte) (string, error) {
	q := func(s string) string { return Quote(strings.ReplaceAll(s, "%", "%%")) }
	head := root + "," + q(subkey) + "," + q(name) + ","
	bad := func() (string, error) {
		return "", fmt.Errorf("%w: %d bytes are not %s data an INF line can hold", ErrValue, len(data), t)
	}
	switch t {
	case RegSZ, RegExpandSZ:
		ss, ok := DecodeMultiSZ(data)
		if !ok || len(ss) > 1 || !bytesEqual(EncodeSZ(first(ss)), data) {
			return bad()
		}
		flags := FlagTypeSZ
		if t == RegExpandSZ {
			flags = FlagTypeExpandSZ
		}
		return fmt.Sprintf("%s0x%08x,%s", head, uint32(flags), q(first(ss))), nil
	case RegMultiSZ:
		ss, ok := DecodeMultiSZ(data)
		if !ok || !bytesEqual(EncodeMultiSZ(ss), data) {
			return bad()
		}
		parts := []string{fmt.Sprintf("0x%08x", uint32(FlagTypeMultiSZ))}
		for _, s := range ss {
			parts = append(parts, q(s))
		}
		return head + strings.Join(parts, ","), nil
	case RegDWORD:
		if len(data) != 4 {
			return bad()
		}
		return fmt.Sprintf("%s0x%08x,%d", head, uint32(FlagTypeDWORD), binary.LittleEndian.Uint32(data)), nil
	}
	if t > 0xFFFF {
		return "", fmt.Errorf("%w: value type %s does not fit AddReg flags", ErrValue, t)
	}
	flags := uint32(t)<<16 | uint32(FlagBinValueType)
	switch t {
	case RegBinary:
		flags = uint32(FlagTypeBinary)
	case RegNone:
		flags = uint32(FlagTypeNone)
	}
	parts := []string{fmt.Sprintf("0x%08x", flags)}
	for _, b := range data {
		parts = append(parts, fmt.Sprintf("%02x", b))
	}
	return head + strings.Join(parts, ","), nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }
