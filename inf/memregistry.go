package inf

import (
	"slices"
	"strings"
)

// MemRegistry is an in-memory RegistryTarget: a tree of keys holding
// values, with case-insensitive names like the registry. It previews what
// registry sections do, and gives a reference state to compare a real hive
// against. The zero value is not usable; call NewMemRegistry.
type MemRegistry struct{ root *memKey }

type memKey struct {
	name   string
	keys   map[string]*memKey // folded name -> subkey; nil until the first
	values []MemValue         // in order of creation
	index  map[string]int     // folded name -> position in values, once there are many
}

// manyValues is the value count from which a key indexes its values.
const manyValues = 16

// value returns the position of the value named name, or -1.
func (k *memKey) value(name string) int {
	if k.index != nil {
		if i, ok := foldLookup(k.index, name); ok {
			return i
		}
		return -1
	}
	for i := range k.values {
		if cmpLower(k.values[i].Name, name) == 0 {
			return i
		}
	}
	return -1
}

// MemValue is a value held by a MemRegistry.
type MemValue struct {
	Name string
	Type uint32
	Data []byte
}

var _ RegistryTarget = (*MemRegistry)(nil)

// NewMemRegistry returns an empty registry (its root key has no values).
func NewMemRegistry() *MemRegistry { return &MemRegistry{root: newMemKey("")} }

func newMemKey(name string) *memKey { return &memKey{name: name} }

// find walks to path, creating missing keys when create is set. Looking
// up existing keys does not allocate.
func (r *MemRegistry) find(path string, create bool) *memKey {
	return r.root.walk(path, len(path), create)
}

// walk follows the components of path[:end] from k.
func (k *memKey) walk(path string, end int, create bool) *memKey {
	p := path[:end]
	for c, i, ok := nextComponent(p, 0); ok; c, i, ok = nextComponent(p, i) {
		n, _ := foldLookup(k.keys, c)
		if n == nil {
			if !create {
				return nil
			}
			n = newMemKey(c)
			if k.keys == nil {
				k.keys = map[string]*memKey{}
			}
			k.keys[strings.ToLower(c)] = n
		}
		k = n
	}
	return k
}

// CreateKey creates path and its missing parents.
func (r *MemRegistry) CreateKey(path string) error { r.find(path, true); return nil }

// SetRawValue creates or replaces a value, creating its key if needed.
func (r *MemRegistry) SetRawValue(path, name string, typ uint32, data []byte) error {
	k := r.find(path, true)
	v := MemValue{Name: name, Type: typ, Data: slices.Clone(data)}
	if i := k.value(name); i >= 0 {
		k.values[i] = v
		return nil
	}
	k.values = append(k.values, v)
	if k.index != nil {
		k.index[strings.ToLower(name)] = len(k.values) - 1
	} else if len(k.values) > manyValues {
		k.index = make(map[string]int, len(k.values))
		for i, x := range k.values {
			k.index[strings.ToLower(x.Name)] = i
		}
	}
	return nil
}

// RawValue returns a value; ok is false when the key or value is missing.
func (r *MemRegistry) RawValue(path, name string) (uint32, []byte, bool, error) {
	k := r.find(path, false)
	if k == nil {
		return 0, nil, false, nil
	}
	i := k.value(name)
	if i < 0 {
		return 0, nil, false, nil
	}
	v := k.values[i]
	return v.Type, slices.Clone(v.Data), true, nil
}

// DeleteValue removes a value if it exists.
func (r *MemRegistry) DeleteValue(path, name string) error {
	k := r.find(path, false)
	if k == nil {
		return nil
	}
	if i := k.value(name); i >= 0 {
		k.values = slices.Delete(k.values, i, i+1)
		if k.index != nil {
			delete(k.index, strings.ToLower(name))
			for j := i; j < len(k.values); j++ {
				k.index[strings.ToLower(k.values[j].Name)] = j
			}
		}
	}
	return nil
}

// DeleteKey removes a key and its subkeys if it exists ("" empties the
// registry).
func (r *MemRegistry) DeleteKey(path string) error {
	// The last component, and the end of the text holding it.
	last, end := "", -1
	for c, i, ok := nextComponent(path, 0); ok; c, i, ok = nextComponent(path, i) {
		last, end = c, i-1
	}
	if end < 0 {
		r.root = newMemKey("")
		return nil
	}
	start := strings.LastIndexByte(path[:end], '\\') + 1 // its separator ends the parent
	if parent := r.root.walk(path, start, false); parent != nil {
		if _, ok := foldLookup(parent.keys, last); ok {
			delete(parent.keys, strings.ToLower(last))
		}
	}
	return nil
}

// HasKey reports whether path exists.
func (r *MemRegistry) HasKey(path string) bool { return r.find(path, false) != nil }

// Walk calls fn for every key, parents before children and siblings in
// case-insensitive name order, with the key's path (names as first
// created, "" for the root) and its values sorted by name. It stops at the
// first error fn returns.
func (r *MemRegistry) Walk(fn func(path string, values []MemValue) error) error {
	var walk func(k *memKey, path string) error
	walk = func(k *memKey, path string) error {
		vals := append(make([]MemValue, 0, len(k.values)), k.values...)
		slices.SortFunc(vals, func(a, b MemValue) int {
			return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		})
		if err := fn(path, vals); err != nil {
			return err
		}
		names := make([]string, 0, len(k.keys))
		for n := range k.keys {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			c := k.keys[n]
			p := c.name
			if path != "" {
				p = path + `\` + c.name
			}
			if err := walk(c, p); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(r.root, "")
}
