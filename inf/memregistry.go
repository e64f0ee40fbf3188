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
	keys   map[string]*memKey
	values map[string]MemValue
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

func newMemKey(name string) *memKey {
	return &memKey{name: name, keys: map[string]*memKey{}, values: map[string]MemValue{}}
}

func (r *MemRegistry) find(path string, create bool) *memKey {
	k := r.root
	for _, c := range splitPath(path) {
		n := k.keys[strings.ToLower(c)]
		if n == nil {
			if !create {
				return nil
			}
			n = newMemKey(c)
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
	r.find(path, true).values[strings.ToLower(name)] = MemValue{Name: name, Type: typ, Data: slices.Clone(data)}
	return nil
}

// RawValue returns a value; ok is false when the key or value is missing.
func (r *MemRegistry) RawValue(path, name string) (uint32, []byte, bool, error) {
	k := r.find(path, false)
	if k == nil {
		return 0, nil, false, nil
	}
	v, ok := k.values[strings.ToLower(name)]
	return v.Type, slices.Clone(v.Data), ok, nil
}

// DeleteValue removes a value if it exists.
func (r *MemRegistry) DeleteValue(path, name string) error {
	if k := r.find(path, false); k != nil {
		delete(k.values, strings.ToLower(name))
	}
	return nil
}

// DeleteKey removes a key and its subkeys if it exists ("" empties the
// registry).
func (r *MemRegistry) DeleteKey(path string) error {
	c := splitPath(path)
	if len(c) == 0 {
		r.root = newMemKey("")
		return nil
	}
	if parent := r.find(strings.Join(c[:len(c)-1], `\`), false); parent != nil {
		delete(parent.keys, strings.ToLower(c[len(c)-1]))
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
		vals := make([]MemValue, 0, len(k.values))
		for _, v := range k.values {
			vals = append(vals, v)
		}
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
