package bcd

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// EnumOptions configure Enum. The zero value and nil print like
// "bcdedit /enum" with no drive letters.
type EnumOptions struct {
	// Syntax gives drive letters for partitions and selects /v (GUIDs
	// instead of aliases).
	Syntax
}

// Enum lists objects as "bcdedit /enum [what] [/v]" does (spec §2.7).
// what is one of
//
//	"" or "active"  {bootmgr} and the entries of its displayorder
//	"all"           every object
//	"bootmgr"       {bootmgr}
//	"firmware"      {fwbootmgr} and firmware applications
//	"bootapp"       every boot application (osloader, resume, memdiag, ...)
//	"osloader", "resume", "inherit", "device"
//	an identifier   that object (GUID or alias; {default} works)
//
// (case-insensitive). Each object prints as a blank line, a title with a
// line of dashes, then "identifier" and one line per element in type
// order, names padded to 24 columns: booleans as Yes/No, integers in
// decimal (named values by name, integers of unnamed elements in hex),
// integer lists in hex, object lists one identifier per line, devices in
// bcdedit syntax (see Device.Text). Without Verbose, well-known
// identifiers print as aliases and the object {bootmgr}'s default element
// names as {default}. Elements that do not decode print as
// hex(TYPE):bytes.
func (s *Store) Enum(w io.Writer, what string, opts *EnumOptions) error {
	if opts == nil {
		opts = &EnumOptions{}
	}
	objs, err := s.selectObjects(what)
	if err != nil {
		return err
	}
	e := enumerator{sx: &opts.Syntax}
	if !opts.Verbose {
		if g, err := s.Resolve(Default); err == nil {
			e.def = g
		}
	}
	bw := bufio.NewWriter(w)
	for _, o := range objs {
		if err := e.object(bw, o); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// selectObjects returns the objects Enum lists for what, in bcdedit's
// order (for lists of several: by object type, then by GUID).
func (s *Store) selectObjects(what string) ([]*Object, error) {
	sel := strings.ToLower(what)
	if strings.HasPrefix(sel, "{") {
		o, err := s.Lookup(what)
		if err != nil {
			return nil, err
		}
		return []*Object{o}, nil
	}
	all, err := s.Objects()
	if err != nil {
		return nil, err
	}
	filter := func(keep func(*Object) bool) []*Object {
		type keyed struct {
			o  *Object
			id string
		}
		var sel []keyed
		for _, o := range all {
			if keep(o) {
				sel = append(sel, keyed{o, o.ID().String()})
			}
		}
		slices.SortStableFunc(sel, func(a, b keyed) int {
			if c := cmp.Compare(a.o.Type(), b.o.Type()); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
		out := make([]*Object, len(sel))
		for i, k := range sel {
			out[i] = k.o
		}
		return out
	}
	switch sel {
	case "", "active":
		var out []*Object
		bm, err := s.Object(BootMgr)
		if err != nil {
			return nil, nil
		}
		out = append(out, bm)
		if v, err := bm.Get(ElemDisplayOrder); err == nil {
			if list, ok := v.(ObjectList); ok {
				for _, id := range list {
					if o, err := s.Object(id); err == nil {
						out = append(out, o)
					}
				}
			}
		}
		return out, nil
	case "all":
		return filter(func(*Object) bool { return true }), nil
	case "bootmgr":
		return filter(func(o *Object) bool { return o.ID() == BootMgr }), nil
	case "firmware":
		return filter(func(o *Object) bool { return o.Type() == TypeFwBootMgr || o.Type() == TypeFirmware }), nil
	case "bootapp":
		return filter(func(o *Object) bool { return o.Type().IsApplication() && o.Type()>>20&0xf != 1 }), nil
	case "osloader":
		return filter(func(o *Object) bool { return o.Type() == TypeOSLoader }), nil
	case "resume":
		return filter(func(o *Object) bool { return o.Type() == TypeResume }), nil
	case "inherit":
		return filter(func(o *Object) bool { return o.Type().IsInherit() }), nil
	case "device":
		return filter(func(o *Object) bool { return o.Type().IsDevice() }), nil
	}
	return nil, argErr("enum type", what, ErrUsage, "not active, all, bootmgr, firmware, bootapp, osloader, resume, inherit, device or an identifier")
}

type enumerator struct {
	sx  *Syntax
	def GUID // the default object (zero when verbose or none)
}

// id prints an identifier.
func (e *enumerator) id(g GUID) string {
	if !e.def.IsZero() && g == e.def {
		if _, known := wellKnownByID(g); !known {
			return "{default}"
		}
	}
	return idText(g, e.sx.Verbose)
}

func (e *enumerator) object(w *bufio.Writer, o *Object) error {
	els, err := o.Elements()
	if err != nil {
		return err
	}
	t := title(o.ID(), o.Type())
	fmt.Fprintf(w, "\n%s\n%s\n", t, strings.Repeat("-", len(t)))
	line(w, "identifier", e.id(o.ID()))
	for _, el := range els {
		name := FriendlyName(o.Type(), el.Type)
		vals := e.value(o.Type(), el)
		line(w, name, vals[0])
		for _, v := range vals[1:] {
			line(w, "", v)
		}
	}
	return nil
}

// line writes a name padded to 24 columns (at least one space) and a value.
func line(w *bufio.Writer, name, value string) {
	w.WriteString(name)
	pad := 24 - len(name)
	if pad < 1 {
		pad = 1
	}
	if value == "" {
		w.WriteByte('\n')
		return
	}
	w.WriteString(strings.Repeat(" ", pad))
	w.WriteString(value)
	w.WriteByte('\n')
}

// value renders an element value as one or more lines.
func (e *enumerator) value(obj ObjectType, el Element) []string {
	switch v := el.Value.(type) {
	case String:
		return []string{string(v)}
	case GUID:
		return []string{e.id(v)}
	case ObjectList:
		if len(v) == 0 {
			return []string{""}
		}
		out := make([]string, len(v))
		for i, g := range v {
			out[i] = e.id(g)
		}
		return out
	case Integer:
		if names := enumNames(obj, el.Type); uint64(v) < uint64(len(names)) {
			return []string{names[v]}
		}
		if _, named := friendlyName(obj, el.Type); !named {
			return []string{fmt.Sprintf("%#x", uint64(v))}
		}
		return []string{fmt.Sprintf("%d", uint64(v))}
	case Boolean:
		if v {
			return []string{"Yes"}
		}
		return []string{"No"}
	case IntegerList:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = fmt.Sprintf("%#x", x)
		}
		return []string{strings.Join(parts, " ")}
	case *Device:
		txt := v.Text(el.Type, e.sx)
		if !v.Options.IsZero() && !e.sx.Verbose {
			// Options objects follow the identifier rules ({default}).
			txt = strings.TrimSuffix(txt, ","+idText(v.Options, false)) + "," + e.id(v.Options)
		}
		return []string{txt}
	case Raw:
		return []string{rawText(v)}
	}
	return []string{fmt.Sprint(el.Value)}
}

// rawText renders a Raw value like a .reg file: hex(TYPE):aa,bb.
func rawText(r Raw) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 0, 16+3*len(r.Data))
	b = fmt.Appendf(b, "hex(%x):", uint32(r.Type))
	for i, c := range r.Data {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, digits[c>>4], digits[c&0xf])
	}
	return string(b)
}
