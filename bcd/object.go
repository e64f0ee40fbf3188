package bcd

import (
	"errors"
	"fmt"
	"slices"

	"github.com/winbootkit/winbootkit/hive"
)

// Object is one object of a store: Objects\{id}. It stays valid until it
// is deleted.
type Object struct {
	s       *Store
	id      GUID
	key     *hive.Key
	typ     ObjectType
	typeErr error // why typ is 0
}

func (s *Store) newObject(id GUID, k *hive.Key) *Object {
	o := &Object{s: s, id: id, key: k}
	v, err := k.OpenKey(`Description`)
	if err == nil {
		var val hive.Value
		if val, err = v.Value("Type"); err == nil {
			var t uint32
			if t, err = val.Uint32(); err == nil && val.Type() == hive.DWord {
				o.typ = ObjectType(t)
				return o
			}
			if err == nil {
				err = fmt.Errorf("Description\\Type is %v, want REG_DWORD: %w", val.Type(), ErrFormat)
			}
		}
	}
	o.typeErr = fmt.Errorf("bcd: object %v has no object type: %w", id, err)
	return o
}

// ID returns the object's identifier.
func (o *Object) ID() GUID { return o.id }

// Type returns the object type (Description\Type), or 0 when the object
// has none that can be read (see Store.Check).
func (o *Object) Type() ObjectType { return o.typ }

// Key returns the object's hive key (Objects\{id}), for data this package
// does not model (Description\FirmwareVariable, ...).
func (o *Object) Key() *hive.Key { return o.key }

// Element is one element of an object.
type Element struct {
	Type  ElementType
	Value Value
	// Err says why Value is a Raw although the element has a known format
	// (data of the wrong registry type or size, a truncated device blob).
	Err error
}

// Description returns the description element (0x12000004), or "".
func (o *Object) Description() string {
	if v, err := o.Get(ElemDescription); err == nil {
		if s, ok := v.(String); ok {
			return string(s)
		}
	}
	return ""
}

// Elements returns the object's elements sorted by type (bcdedit's
// order). Element keys whose names are not 8 hex digits are skipped;
// elements that do not decode come back as Raw with Err set.
func (o *Object) Elements() ([]Element, error) {
	ek, err := o.key.Subkey("Elements")
	if err != nil {
		if errors.Is(err, hive.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	var out []Element
	for k, err := range ek.Subkeys() {
		if err != nil {
			return nil, err
		}
		t, ok := ParseElementKey(k.Name())
		if !ok {
			continue
		}
		if len(out) >= o.s.lim.MaxElements {
			return nil, fmt.Errorf("bcd: object %v has more than MaxElements (%d) elements: %w", o.id, o.s.lim.MaxElements, ErrLimit)
		}
		out = append(out, o.s.readElement(t, k))
	}
	slices.SortStableFunc(out, func(a, b Element) int {
		switch {
		case a.Type < b.Type:
			return -1
		case a.Type > b.Type:
			return 1
		}
		return 0
	})
	return out, nil
}

// readElement decodes the Element value of element key k.
func (s *Store) readElement(t ElementType, k *hive.Key) Element {
	v, err := k.Value("Element")
	if err != nil {
		return Element{Type: t, Value: Raw{}, Err: fmt.Errorf("bcd: element %s has no Element value: %w", t.KeyName(), ErrFormat)}
	}
	if v.Size() > s.lim.MaxElementSize {
		return Element{Type: t, Value: Raw{Type: v.Type()}, Err: fmt.Errorf("bcd: element %s of %d bytes exceeds MaxElementSize: %w", t.KeyName(), v.Size(), ErrLimit)}
	}
	data, err := v.Data()
	if err != nil {
		return Element{Type: t, Value: Raw{Type: v.Type()}, Err: err}
	}
	val, err := decodeValue(t, v.Type(), data, s.lim)
	return Element{Type: t, Value: val, Err: err}
}

// Element returns element t (ErrNotFound when the object does not have it).
func (o *Object) Element(t ElementType) (Element, error) {
	k, err := o.key.OpenKey(`Elements\` + t.KeyName())
	if err != nil {
		if errors.Is(err, hive.ErrNotFound) {
			return Element{}, &ArgError{Kind: "element", Arg: FriendlyName(o.typ, t), Msg: "not set in " + idText(o.id, false), Err: ErrNotFound}
		}
		return Element{}, err
	}
	return o.s.readElement(t, k), nil
}

// Get returns the value of element t. An element that does not decode is
// an error (its Raw value is in Element).
func (o *Object) Get(t ElementType) (Value, error) {
	e, err := o.Element(t)
	if err != nil {
		return nil, err
	}
	if e.Err != nil {
		return e.Value, e.Err
	}
	return e.Value, nil
}

// Set sets element t to v, creating its key (named in 8 lower-case hex
// digits) when needed, with the registry type and encoding bcdedit uses
// for the element's format. v's type must match the format (String,
// GUID, ObjectList, Integer, Boolean, IntegerList, *Device), or be a Raw
// written as it is. Setting the value an element already holds leaves it
// unchanged.
func (o *Object) Set(t ElementType, v Value) error {
	typ, data, err := encodeValue(t, v)
	if err != nil {
		return err
	}
	ek, err := o.key.CreateKey("Elements")
	if err != nil {
		return err
	}
	k, err := ek.CreateKey(t.KeyName())
	if err != nil {
		return err
	}
	return k.SetValue("Element", typ, data)
}

// Delete deletes element t (ErrNotFound when the object does not have it).
func (o *Object) Delete(t ElementType) error {
	k, err := o.key.OpenKey(`Elements\` + t.KeyName())
	if err != nil {
		if errors.Is(err, hive.ErrNotFound) {
			return &ArgError{Kind: "element", Arg: FriendlyName(o.typ, t), Msg: "not set in " + idText(o.id, false), Err: ErrNotFound}
		}
		return err
	}
	return k.Delete()
}
