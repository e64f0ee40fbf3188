package hive

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// DiffKind says how two hives differ at one place.
type DiffKind int

// Kinds of difference.
const (
	KeyOnlyInA   DiffKind = iota // the key exists only in the first tree
	KeyOnlyInB                   // the key exists only in the second tree
	ValueOnlyInA                 // the value exists only in the first tree
	ValueOnlyInB                 // the value exists only in the second tree
	TypeDiffers                  // the value has another type
	DataDiffers                  // the value has other data (same type)
	ClassDiffers                 // the key has another class name
)

var diffKindNames = [...]string{"key only in A", "key only in B", "value only in A", "value only in B", "type differs", "data differs", "class differs"}

func (k DiffKind) String() string {
	if int(k) < len(diffKindNames) && k >= 0 {
		return diffKindNames[k]
	}
	return fmt.Sprintf("DiffKind(%d)", int(k))
}

// Difference is one place where two key trees differ. Path is the key path
// relative to the compared keys (as spelled in A when the key exists in
// both); Value is the value name for value differences.
type Difference struct {
	Kind  DiffKind
	Path  string
	Value string
	A, B  string // short descriptions of the two sides (type, data, class)
}

func (d Difference) String() string {
	where := `[` + d.Path + `]`
	if d.Kind >= ValueOnlyInA && d.Kind <= DataDiffers {
		name := d.Value
		if name == "" {
			name = "@"
		}
		where += " " + name
	}
	s := where + ": " + d.Kind.String()
	if d.A != "" || d.B != "" {
		s += fmt.Sprintf(" (A: %s; B: %s)", d.A, d.B)
	}
	return s
}

// DiffOptions configure Diff. The zero value and nil compare everything.
type DiffOptions struct {
	// IgnoreClass skips class names (which .reg files cannot carry).
	IgnoreClass bool
}

// Diff compares the key trees below a and b semantically: keys and values
// are matched by name case-insensitively, and values compare by type and
// data bytes, keys by class name. Stored order, timestamps, security
// descriptors and the layout of cells are not compared. The differences
// come sorted by path. A key only in one tree is reported once, not with
// everything below it.
func Diff(a, b *Key, opts *DiffOptions) ([]Difference, error) {
	var o DiffOptions
	if opts != nil {
		o = *opts
	}
	d := &differ{opts: o}
	if err := d.keys("", a, b, 0); err != nil {
		return nil, err
	}
	sort.SliceStable(d.out, func(i, j int) bool {
		if d.out[i].Path != d.out[j].Path {
			return d.out[i].Path < d.out[j].Path
		}
		return d.out[i].Value < d.out[j].Value
	})
	return d.out, nil
}

type differ struct {
	opts DiffOptions
	out  []Difference
}

func joinPath(p, name string) string {
	if p == "" {
		return name
	}
	return p + `\` + name
}

func foldKey(s string) string { return string(u16bytes(upcaseUnits(s))) }

func (d *differ) keys(path string, a, b *Key, depth int) error {
	if depth > a.h.lim.MaxDepth {
		return fmt.Errorf("hive: diff: %q nested deeper than MaxDepth: %w", path, ErrLimit)
	}
	if !d.opts.IgnoreClass {
		ca, err := a.Class()
		if err != nil {
			return err
		}
		cb, err := b.Class()
		if err != nil {
			return err
		}
		if ca != cb {
			d.out = append(d.out, Difference{Kind: ClassDiffers, Path: path, A: fmt.Sprintf("%q", ca), B: fmt.Sprintf("%q", cb)})
		}
	}
	if err := d.values(path, a, b); err != nil {
		return err
	}
	sa, err := subkeyMap(a)
	if err != nil {
		return err
	}
	sb, err := subkeyMap(b)
	if err != nil {
		return err
	}
	for _, ka := range sa.order {
		kb, ok := sb.m[foldKey(ka.Name())]
		p := joinPath(path, ka.Name())
		if !ok {
			d.out = append(d.out, Difference{Kind: KeyOnlyInA, Path: p})
			continue
		}
		if err := d.keys(p, ka, kb, depth+1); err != nil {
			return err
		}
	}
	for _, kb := range sb.order {
		if _, ok := sa.m[foldKey(kb.Name())]; !ok {
			d.out = append(d.out, Difference{Kind: KeyOnlyInB, Path: joinPath(path, kb.Name())})
		}
	}
	return nil
}

type keyIndex struct {
	order []*Key
	m     map[string]*Key
}

func subkeyMap(k *Key) (keyIndex, error) {
	idx := keyIndex{m: map[string]*Key{}}
	for c, err := range k.Subkeys() {
		if err != nil {
			return idx, err
		}
		idx.order = append(idx.order, c)
		idx.m[foldKey(c.Name())] = c
	}
	return idx, nil
}

func describe(t ValueType, data []byte) string {
	s := fmt.Sprintf("%v, %d bytes", t, len(data))
	if len(data) > 0 {
		n := min(len(data), 16)
		s += fmt.Sprintf(" %x", data[:n])
		if n < len(data) {
			s += "..."
		}
	}
	return s
}

func (d *differ) values(path string, a, b *Key) error {
	type val struct {
		name string
		t    ValueType
		data []byte
	}
	read := func(k *Key) ([]val, map[string]int, error) {
		var vs []val
		m := map[string]int{}
		for v, err := range k.Values() {
			if err != nil {
				return nil, nil, err
			}
			data, err := v.Data()
			if err != nil {
				return nil, nil, err
			}
			m[foldKey(v.Name())] = len(vs)
			vs = append(vs, val{v.Name(), v.Type(), data})
		}
		return vs, m, nil
	}
	va, ma, err := read(a)
	if err != nil {
		return err
	}
	vb, mb, err := read(b)
	if err != nil {
		return err
	}
	for _, x := range va {
		j, ok := mb[foldKey(x.name)]
		if !ok {
			d.out = append(d.out, Difference{Kind: ValueOnlyInA, Path: path, Value: x.name, A: describe(x.t, x.data)})
			continue
		}
		y := vb[j]
		switch {
		case x.t != y.t:
			d.out = append(d.out, Difference{Kind: TypeDiffers, Path: path, Value: x.name, A: describe(x.t, x.data), B: describe(y.t, y.data)})
		case !bytes.Equal(x.data, y.data):
			d.out = append(d.out, Difference{Kind: DataDiffers, Path: path, Value: x.name, A: describe(x.t, x.data), B: describe(y.t, y.data)})
		}
	}
	for _, y := range vb {
		if _, ok := ma[foldKey(y.name)]; !ok {
			d.out = append(d.out, Difference{Kind: ValueOnlyInB, Path: path, Value: y.name, B: describe(y.t, y.data)})
		}
	}
	return nil
}

// FormatDiff renders differences one per line.
func FormatDiff(ds []Difference) string {
	var sb strings.Builder
	for _, d := range ds {
		sb.WriteString(d.String())
		sb.WriteByte('\n')
	}
	return sb.String()
}
