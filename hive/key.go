package hive

import (
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"
	"unicode/utf16"
)

// Key is a handle to a registry key (an nk cell). It stays valid across
// edits of the hive except when the key (or an ancestor) is deleted, and,
// for handles other than the receiver of Rename, when the key is renamed
// into a larger cell; methods on such a stale handle return an error
// wrapping ErrNotFound.
type Key struct {
	h   *Hive
	off uint32
}

// Root returns the root key.
func (h *Hive) Root() *Key { return &Key{h, h.root} }

// Hive returns the hive the key belongs to.
func (k *Key) Hive() *Hive { return k.h }

func (k *Key) node() (nkCell, error) {
	n, err := k.h.nk(k.off)
	if err != nil {
		return nil, fmt.Errorf("hive: key at %#x: %w: %w", int64(k.off)+binsStart, ErrNotFound, err)
	}
	return n, nil
}

// Offset returns the file offset of the key's nk cell (the cell size field).
func (k *Key) Offset() int64 { return int64(k.off) + binsStart }

// Name returns the key name ("" for a stale handle).
func (k *Key) Name() string {
	n, err := k.node()
	if err != nil {
		return ""
	}
	return decodeName(n.name(), n.compressed())
}

// Flags returns the KEY_* flags of the key node (KeyHiveEntry, KeyCompName, ...).
func (k *Key) Flags() uint16 {
	n, err := k.node()
	if err != nil {
		return 0
	}
	return le16(n.flags())
}

// LastWritten returns the key's last-written time (UTC).
func (k *Key) LastWritten() time.Time {
	n, err := k.node()
	if err != nil {
		return time.Time{}
	}
	return keyTime(n)
}

// SetLastWritten sets the key's last-written time.
func (k *Key) SetLastWritten(t time.Time) error {
	n, err := k.node()
	if err != nil {
		return err
	}
	put64(n.time(), TimeToFiletime(t))
	k.h.touch()
	return nil
}

// SubkeyCount returns the number of subkeys recorded in the key node.
func (k *Key) SubkeyCount() int {
	n, err := k.node()
	if err != nil {
		return 0
	}
	return int(le32(n.nSub()))
}

// ValueCount returns the number of values recorded in the key node.
func (k *Key) ValueCount() int {
	n, err := k.node()
	if err != nil {
		return 0
	}
	return int(le32(n.nVal()))
}

// MaxLengths returns the key node's bookkeeping fields: the largest subkey
// name and class name, value name (UTF-16 bytes) and value data (bytes).
// They are upper bounds kept by writers, not recomputed.
func (k *Key) MaxLengths() (subkeyName, subkeyClass, valueName, valueData uint32) {
	n, err := k.node()
	if err != nil {
		return
	}
	return le32(n.maxName()) & nkMaxNameMask, le32(n.maxClass()), le32(n.maxValName()), le32(n.maxValData())
}

// ClassBytes returns the raw UTF-16LE class name (nil when there is none).
func (k *Key) ClassBytes() ([]byte, error) {
	n, err := k.node()
	if err != nil {
		return nil, err
	}
	cl := le16(n.classLen())
	co := le32(n.class())
	if cl == 0 || co == noCell {
		return nil, nil
	}
	c, err := k.h.cell(co, "class name")
	if err != nil {
		return nil, err
	}
	if int(cl) > len(c) {
		return nil, cellErr(co, "class name", "class length %d exceeds the cell", cl)
	}
	return append([]byte(nil), c[:cl]...), nil
}

// Class returns the class name ("" when there is none).
func (k *Key) Class() (string, error) {
	b, err := k.ClassBytes()
	return decodeName(b, false), err
}

// Security returns a copy of the key's self-relative security descriptor.
func (k *Key) Security() ([]byte, error) {
	n, err := k.node()
	if err != nil {
		return nil, err
	}
	s, err := k.h.sk(le32(n.security()))
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), s.desc()...), nil
}

// Parent returns the parent key, or nil for the root.
func (k *Key) Parent() (*Key, error) {
	n, err := k.node()
	if err != nil {
		return nil, err
	}
	if k.off == k.h.root {
		return nil, nil
	}
	p := le32(n.parent())
	if _, err := k.h.nk(p); err != nil {
		return nil, err
	}
	return &Key{k.h, p}, nil
}

// Path returns the key's path below the root ("" for the root), with
// components separated by backslashes.
func (k *Key) Path() (string, error) {
	var parts []string
	cur := k
	for range k.h.lim.MaxDepth + 1 {
		p, err := cur.Parent()
		if err != nil {
			return "", err
		}
		if p == nil {
			for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
				parts[i], parts[j] = parts[j], parts[i]
			}
			return strings.Join(parts, `\`), nil
		}
		parts = append(parts, cur.Name())
		cur = p
	}
	return "", fmt.Errorf("hive: key at %#x is nested deeper than MaxDepth: %w", k.Offset(), ErrLimit)
}

// Subkeys iterates over the subkeys in stored order (sorted by upper-cased
// name in a well-formed hive). A damaged list yields one error and stops.
// The list is read when iteration starts, so the loop body may edit the
// hive, including deleting the keys it is given.
func (k *Key) Subkeys() iter.Seq2[*Key, error] {
	return func(yield func(*Key, error) bool) {
		kids, err := k.h.childrenOf(k.off)
		if err != nil {
			yield(nil, err)
			return
		}
		for _, c := range kids {
			if !yield(&Key{k.h, c}, nil) {
				return
			}
		}
	}
}

// SubkeyNames returns the names of the subkeys in stored order.
func (k *Key) SubkeyNames() ([]string, error) {
	kids, err := k.h.childrenOf(k.off)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(kids))
	for i, c := range kids {
		n := k.h.nkAt(c)
		out[i] = decodeName(n.name(), n.compressed())
	}
	return out, nil
}

// Values iterates over the values in stored order. A damaged list yields
// one error and stops. The list is read when iteration starts.
func (k *Key) Values() iter.Seq2[Value, error] {
	return func(yield func(Value, error) bool) {
		list, err := k.h.valueList(k.off)
		if err != nil {
			yield(Value{}, err)
			return
		}
		for _, off := range list {
			if _, err := k.h.vk(off); err != nil {
				yield(Value{}, err)
				return
			}
			if !yield(Value{k.h, off}, nil) {
				return
			}
		}
	}
}

// Value returns the value named name ("" for the default value), matched
// case-insensitively; ErrNotFound when there is none.
func (k *Key) Value(name string) (Value, error) {
	if _, err := k.node(); err != nil {
		return Value{}, err
	}
	_, off, ok, err := k.h.findValue(k.off, upcaseUnits(name))
	if err != nil {
		return Value{}, err
	}
	if !ok {
		return Value{}, fmt.Errorf("hive: value %q: %w", name, ErrNotFound)
	}
	return Value{k.h, off}, nil
}

// Subkey returns the direct subkey named name (case-insensitive);
// ErrNotFound when there is none.
func (k *Key) Subkey(name string) (*Key, error) {
	if _, err := k.node(); err != nil {
		return nil, err
	}
	c, ok, err := k.h.findChild(k.off, upcaseUnits(name))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("hive: key %q: %w", name, ErrNotFound)
	}
	return &Key{k.h, c}, nil
}

// splitPath splits a backslash-separated key path. Leading and trailing
// backslashes are ignored; "" is the key itself; empty components inside
// the path are an error.
func splitPath(path string) ([]string, error) {
	path = strings.Trim(path, `\`)
	if path == "" {
		return nil, nil
	}
	parts := strings.Split(path, `\`)
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("hive: path %q has an empty component: %w", path, ErrInvalid)
		}
	}
	return parts, nil
}

// OpenKey returns the key at path below k (components separated by
// backslashes, matched case-insensitively); ErrNotFound when a component
// is missing.
func (k *Key) OpenKey(path string) (*Key, error) {
	parts, err := splitPath(path)
	if err != nil {
		return nil, err
	}
	if len(parts) > k.h.lim.MaxDepth {
		return nil, fmt.Errorf("hive: path %q is deeper than MaxDepth: %w", path, ErrLimit)
	}
	cur := k
	if _, err := cur.node(); err != nil {
		return nil, err
	}
	for _, p := range parts {
		c, ok, err := k.h.findChild(cur.off, upcaseUnits(p))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("hive: key %q: %w", path, ErrNotFound)
		}
		cur = &Key{k.h, c}
	}
	return cur, nil
}

// OpenKey returns the key at path below the root (see Key.OpenKey).
func (h *Hive) OpenKey(path string) (*Key, error) { return h.Root().OpenKey(path) }

// Walk calls fn for k and every key below it, depth first, parents before
// children, subkeys in stored order. path is relative to k ("" for k). If
// fn returns SkipSubkeys, the key's subkeys are not visited; any other
// error stops the walk and is returned. Nesting deeper than MaxDepth is an
// error wrapping ErrLimit.
func (k *Key) Walk(fn func(path string, key *Key) error) error {
	return k.walk("", k, 0, fn)
}

// SkipSubkeys is returned by a Walk callback to skip a key's subkeys. Like
// fs.SkipDir it is a signal, not a failure, hence its name.
//
//lint:ignore ST1012 named like fs.SkipDir
var SkipSubkeys = errors.New("hive: skip subkeys")

func (k *Key) walk(path string, cur *Key, depth int, fn func(string, *Key) error) error {
	if err := fn(path, cur); err != nil {
		if err == SkipSubkeys {
			return nil
		}
		return err
	}
	kids, err := k.h.childrenOf(cur.off)
	if err != nil {
		return err
	}
	if len(kids) > 0 && depth >= k.h.lim.MaxDepth {
		return fmt.Errorf("hive: key %q is nested deeper than MaxDepth: %w", path, ErrLimit)
	}
	for _, c := range kids {
		ck := &Key{k.h, c}
		p := ck.Name()
		if path != "" {
			p = path + `\` + p
		}
		if err := k.walk(p, ck, depth+1, fn); err != nil {
			return err
		}
	}
	return nil
}

// encodeClass returns a class name as stored: UTF-16LE without a NUL.
func encodeClass(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		put16(b[2*i:], c)
	}
	return b
}
