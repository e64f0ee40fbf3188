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
	sa, err := subkeyList(a)
	if err != nil {
		return err
	}
	sb, err := subkeyList(b)
	if err != nil {
		return err
	}
	pairs, onlyA, onlyB := matchNames(names(sa), names(sb))
	for _, p := range pairs {
		ka, kb := sa[p[0]], sb[p[1]]
		if err := d.keys(joinPath(path, ka.Name()), ka, kb, depth+1); err != nil {
			return err
		}
	}
	for _, i := range onlyA {
		d.out = append(d.out, Difference{Kind: KeyOnlyInA, Path: joinPath(path, sa[i].Name())})
	}
	for _, j := range onlyB {
		d.out = append(d.out, Difference{Kind: KeyOnlyInB, Path: joinPath(path, sb[j].Name())})
	}
	return nil
}

func names(ks []*Key) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Name()
	}
	return out
}

// matchNames pairs equal names (case-insensitive) of a and b; a name that
// occurs several times (only in damaged hives) pairs by occurrence order.
func matchNames(a, b []string) (pairs [][2]int, onlyA, onlyB []int) {
	// find returns the first unused index in b equal to name, or -1.
	var find func(name string) int
	used := make([]bool, len(b))
	if len(a)*len(b) <= 64 {
		find = func(name string) int {
			for j := range b {
				if !used[j] && equalFold(name, b[j]) {
					return j
				}
			}
			return -1
		}
	} else {
		idx := map[string][]int{}
		for j, n := range b {
			k := foldKey(n)
			idx[k] = append(idx[k], j)
		}
		find = func(name string) int {
			k := foldKey(name)
			js := idx[k]
			if len(js) == 0 {
				return -1
			}
			idx[k] = js[1:]
			return js[0]
		}
	}
	for i, n := range a {
		if j := find(n); j >= 0 {
			used[j] = true
			pairs = append(pairs, [2]int{i, j})
			continue
		}
		onlyA = append(onlyA, i)
	}
	for j := range b {
		if !used[j] {
			onlyB = append(onlyB, j)
		}
	}
	return pairs, onlyA, onlyB
}

func subkeyList(k *Key) ([]*Key, error) {
	var out []*Key
	for c, err := range k.Subkeys() {
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
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
	read := func(k *Key) ([]val, []string, error) {
		var vs []val
		var ns []string
		for v, err := range k.Values() {
			if err != nil {
				return nil, nil, err
			}
			data, err := v.Data()
			if err != nil {
				return nil, nil, err
			}
			vs = append(vs, val{v.Name(), v.Type(), data})
			ns = append(ns, v.Name())
		}
		return vs, ns, nil
	}
	va, na, err := read(a)
	if err != nil {
		return err
	}
	vb, nb, err := read(b)
	if err != nil {
		return err
	}
	pairs, onlyA, onlyB := matchNames(na, nb)
	for _, p := range pairs {
		x, y := va[p[0]], vb[p[1]]
		switch {
		case x.t != y.t:
			d.out = append(d.out, Difference{Kind: TypeDiffers, Path: path, Value: x.name, A: describe(x.t, x.data), B: describe(y.t, y.data)})
		case !bytes.Equal(x.data, y.data):
			d.out = append(d.out, Difference{Kind: DataDiffers, Path: path, Value: x.name, A: describe(x.t, x.data), B: describe(y.t, y.data)})
		}
	}
	for _, i := range onlyA {
		x := va[i]
		d.out = append(d.out, Difference{Kind: ValueOnlyInA, Path: path, Value: x.name, A: describe(x.t, x.data)})
	}
	for _, j := range onlyB {
		y := vb[j]
		d.out = append(d.out, Difference{Kind: ValueOnlyInB, Path: path, Value: y.name, B: describe(y.t, y.data)})
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
