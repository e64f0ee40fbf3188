package bcd

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"

	"github.com/winbootkit/winbootkit/hive"
)

// Options configure opening and creating stores. The zero value and nil
// mean defaults.
type Options struct {
	// Limits bound what is read from the store; zero fields take
	// DefaultLimits.
	Limits Limits

	// Hive configures the hive underneath (its limits, and the clock for
	// last-written times). Its RootSecurity is ignored by New, which
	// always writes bcdedit's descriptors.
	Hive *hive.Options
}

func (o *Options) limits() Limits {
	if o == nil {
		return DefaultLimits
	}
	return o.Limits.withDefaults()
}

func (o *Options) hive() *hive.Options {
	if o == nil || o.Hive == nil {
		return nil
	}
	return o.Hive
}

// The two security descriptors bcdedit writes into a new store, taken byte
// for byte from the sk cells of bcd_ntloader3_bcdedit.bcd (pristine
// bcdedit.exe output from grub4dos/ntloader's Windows CI run; a test
// compares them with the fixture). Both are self-relative, owner
// BUILTIN\Administrators, group the domain-users SID of the machine that
// ran bcdedit (S-1-5-21-120828851-3145041761-1377092505-513; the group has
// no effect on access), DACL not inherited:
//
//   - sdStoreRoot, on the root key and Description: Administrators and
//     SYSTEM full control (KEY_ALL_ACCESS, 0xf003f);
//   - sdObjects, on Objects and every key below it: Administrators
//     0x60019 (read, write DAC, write owner) and SYSTEM full control.
var (
	sdStoreRoot = mustHex("01000480480000005800000000000000140000000200340002000000000018003f000f000102000000000005200000002002000000001400" +
		"3f000f0001010000000000051200000001020000000000052000000020020000010500000000000515000000b3b33307618885bb99c3245201020000")
	sdObjects = mustHex("0100048048000000580000000000000014000000020034000200000000001800190006000102000000000005200000002002000000001400" +
		"3f000f0001010000000000051200000001020000000000052000000020020000010500000000000515000000b3b33307618885bb99c3245201020000")
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// StoreSecurity returns copies of the two security descriptors New writes:
// the one of the root key and Description, and the one of Objects and
// everything below it.
func StoreSecurity() (root, objects []byte) {
	return slices.Clone(sdStoreRoot), slices.Clone(sdObjects)
}

// Store is a BCD store: a registry hive with \Description\KeyName and
// \Objects\{guid}\{Description,Elements}. Edits go to the hive in place and
// touch only the keys and values they change, so every element not edited
// keeps its bytes. A Store is not safe for concurrent use when any
// goroutine edits it.
type Store struct {
	h       *hive.Hive
	objects *hive.Key
	lim     Limits
}

// Open reads the store file name.
func Open(name string, opts *Options) (*Store, error) {
	h, err := hive.Open(name, opts.hive())
	if err != nil {
		return nil, err
	}
	return FromHive(h, opts)
}

// Parse reads a store from b (the Store keeps a copy).
func Parse(b []byte, opts *Options) (*Store, error) {
	h, err := hive.Parse(b, opts.hive())
	if err != nil {
		return nil, err
	}
	return FromHive(h, opts)
}

// FromHive uses h as a store. It must have an Objects key below its root;
// edits of the store edit h.
func FromHive(h *hive.Hive, opts *Options) (*Store, error) {
	objs, err := h.Root().Subkey("Objects")
	if err != nil {
		if errors.Is(err, hive.ErrNotFound) {
			return nil, fmt.Errorf("bcd: the hive has no Objects key, it is not a BCD store: %w", ErrFormat)
		}
		return nil, err
	}
	return &Store{h: h, objects: objs, lim: opts.limits()}, nil
}

// New creates an empty store with the layout bcdedit /createstore writes:
// a regf 1.3 hive (lf subkey lists only) whose root key NewStoreRoot holds
// Description\KeyName = "BCD00000001" and an empty Objects key, with
// bcdedit's two security descriptors (see StoreSecurity).
func New(opts *Options) (*Store, error) {
	ho := hive.Options{}
	if opts.hive() != nil {
		ho = *opts.hive()
	}
	ho.RootSecurity = sdStoreRoot
	h, err := hive.New("NewStoreRoot", hive.Version13, &ho)
	if err != nil {
		return nil, err
	}
	desc, err := h.Root().CreateKey("Description")
	if err != nil {
		return nil, err
	}
	if err := desc.SetString("KeyName", "BCD00000001"); err != nil {
		return nil, err
	}
	objs, err := h.Root().CreateKey("Objects")
	if err != nil {
		return nil, err
	}
	if err := objs.SetSecurity(sdObjects); err != nil {
		return nil, err
	}
	return &Store{h: h, objects: objs, lim: opts.limits()}, nil
}

// Hive returns the hive underneath the store.
func (s *Store) Hive() *hive.Hive { return s.h }

// Bytes returns the store file: the bytes read when nothing was edited.
func (s *Store) Bytes() []byte { return s.h.Bytes() }

// MarshalBinary returns Bytes.
func (s *Store) MarshalBinary() ([]byte, error) { return s.h.Bytes(), nil }

// WriteTo writes the store file to w.
func (s *Store) WriteTo(w io.Writer) (int64, error) { return s.h.WriteTo(w) }

// Save writes the store to path atomically (through the hive's Save, which
// writes a temporary file and renames it): a failure leaves any existing
// file untouched.
func (s *Store) Save(path string) error { return s.h.Save(path) }

// SaveMode is Save with the permission bits for a new file.
func (s *Store) SaveMode(path string, perm fs.FileMode) error { return s.h.SaveMode(path, perm) }

var _ io.WriterTo = (*Store)(nil)

// Objects returns the objects of the store in stored order (sorted by
// GUID). Subkeys of Objects whose names are not GUIDs are skipped.
func (s *Store) Objects() ([]*Object, error) {
	var out []*Object
	for k, err := range s.objects.Subkeys() {
		if err != nil {
			return nil, err
		}
		id, err := ParseGUID(k.Name())
		if err != nil {
			continue
		}
		if len(out) >= s.lim.MaxObjects {
			return nil, fmt.Errorf("bcd: more than MaxObjects (%d) objects: %w", s.lim.MaxObjects, ErrLimit)
		}
		out = append(out, s.newObject(id, k))
	}
	return out, nil
}

// Object returns the object id (a GUID; see Resolve for {default}).
// Errors wrap ErrNotFound when there is none.
func (s *Store) Object(id GUID) (*Object, error) {
	id, err := s.Resolve(id)
	if err != nil {
		return nil, err
	}
	k, err := s.objects.Subkey(id.String())
	if err != nil {
		if errors.Is(err, hive.ErrNotFound) {
			return nil, &ArgError{Kind: "identifier", Arg: idText(id, false), Msg: "no such object in the store", Err: ErrNotFound}
		}
		return nil, err
	}
	return s.newObject(id, k), nil
}

// Lookup returns the object named by an identifier as bcdedit takes it:
// a braced GUID or an alias ({bootmgr}, {ramdiskoptions}, ...; {default}
// is the object {bootmgr}'s default element names).
func (s *Store) Lookup(id string) (*Object, error) {
	g, err := ParseID(id)
	if err != nil {
		return nil, err
	}
	return s.Object(g)
}

// Resolve turns the virtual identifier Default into the GUID {bootmgr}'s
// default element holds, and returns any other identifier as it is.
// Current cannot be resolved offline (ErrInvalidID).
func (s *Store) Resolve(id GUID) (GUID, error) {
	switch id {
	case Current:
		return GUID{}, argErr("identifier", "{current}", ErrInvalidID, "the running system's entry cannot be known offline")
	case Default:
		bm, err := s.Object(BootMgr)
		if err != nil {
			return GUID{}, &ArgError{Kind: "identifier", Arg: "{default}", Msg: "the store has no {bootmgr}", Err: ErrNotFound}
		}
		v, err := bm.Get(ElemDefault)
		if err != nil {
			return GUID{}, &ArgError{Kind: "identifier", Arg: "{default}", Msg: "{bootmgr} has no default element", Err: ErrNotFound}
		}
		g, ok := v.(GUID)
		if !ok {
			return GUID{}, &ArgError{Kind: "identifier", Arg: "{default}", Msg: "{bootmgr} default element is not an object", Err: ErrFormat}
		}
		return g, nil
	}
	return id, nil
}

// Create adds an object of type t with identifier id (NewGUID when id is
// zero), with the keys bcdedit creates (Description\Type, Elements).
// Errors wrap ErrExists when the object exists, ErrInvalid for a type that
// is not an application, inherit or device type, ErrInvalidID for
// {default} or {current}.
func (s *Store) Create(id GUID, t ObjectType) (*Object, error) {
	if id == Default || id == Current {
		return nil, argErr("identifier", Alias(id), ErrInvalidID, "a virtual identifier cannot be created")
	}
	if !t.IsApplication() && !t.IsInherit() && !t.IsDevice() {
		return nil, fmt.Errorf("bcd: object type %#08x is not an application, inherit or device type: %w", uint32(t), ErrInvalid)
	}
	if id.IsZero() {
		id = NewGUID()
	}
	name := id.String()
	if _, err := s.objects.Subkey(name); err == nil {
		return nil, &ArgError{Kind: "identifier", Arg: idText(id, false), Msg: "an object with this identifier exists", Err: ErrExists}
	}
	k, err := s.objects.CreateKey(name)
	if err != nil {
		return nil, err
	}
	desc, err := k.CreateKey("Description")
	if err != nil {
		return nil, err
	}
	if err := desc.SetDWord("Type", uint32(t)); err != nil {
		return nil, err
	}
	if _, err := k.CreateKey("Elements"); err != nil {
		return nil, err
	}
	return s.newObject(id, k), nil
}

// DeleteOptions configure Delete. The zero value and nil delete the object
// only.
type DeleteOptions struct {
	// Cleanup also removes every reference to the object from the other
	// objects, as bcdedit /delete does by default (/cleanup): it is taken
	// out of every object list (displayorder, toolsdisplayorder,
	// bootsequence, inherit, recoverysequence, ...) and object elements
	// naming it (default, resumeobject, ...) are deleted. Elements that do
	// not name it are not touched.
	Cleanup bool
}

// Delete deletes the object id and everything below it (ErrNotFound when
// it does not exist).
func (s *Store) Delete(id GUID, opts *DeleteOptions) error {
	o, err := s.Object(id)
	if err != nil {
		return err
	}
	id = o.id
	if err := o.key.Delete(); err != nil {
		return err
	}
	if opts == nil || !opts.Cleanup {
		return nil
	}
	objs, err := s.Objects()
	if err != nil {
		return err
	}
	for _, other := range objs {
		els, err := other.Elements()
		if err != nil {
			return err
		}
		for _, e := range els {
			switch v := e.Value.(type) {
			case GUID:
				if v == id {
					if err := other.Delete(e.Type); err != nil {
						return err
					}
				}
			case ObjectList:
				if slices.Contains(v, id) {
					kept := slices.DeleteFunc(slices.Clone(v), func(g GUID) bool { return g == id })
					if err := other.Set(e.Type, kept); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// Check returns the problems hive.Check finds in the hive, and BCD-level
// ones: objects whose key name is not a lower-case GUID, objects without a
// Description\Type DWORD, element keys that are not 8 lower-case hex digits
// or have no Element value, element values that do not decode as their
// format. nil means a sound store.
func (s *Store) Check() []string {
	var out []string
	for _, p := range s.h.Check() {
		out = append(out, p.String())
	}
	for k, err := range s.objects.Subkeys() {
		if err != nil {
			out = append(out, err.Error())
			break
		}
		id, err := ParseGUID(k.Name())
		if err != nil || id.String() != k.Name() {
			out = append(out, fmt.Sprintf("Objects\\%s: not a lower-case braced GUID", k.Name()))
			continue
		}
		o := s.newObject(id, k)
		if o.typeErr != nil {
			out = append(out, fmt.Sprintf("Objects\\%s: %v", k.Name(), o.typeErr))
		}
		ek, err := k.Subkey("Elements")
		if err != nil {
			out = append(out, fmt.Sprintf("Objects\\%s: no Elements key", k.Name()))
			continue
		}
		for e, err := range ek.Subkeys() {
			if err != nil {
				out = append(out, err.Error())
				break
			}
			t, ok := ParseElementKey(e.Name())
			if !ok || t.KeyName() != e.Name() {
				out = append(out, fmt.Sprintf("Objects\\%s\\Elements\\%s: not 8 lower-case hex digits", k.Name(), e.Name()))
				continue
			}
			if el, err := o.Element(t); err != nil || el.Err != nil {
				if err == nil {
					err = el.Err
				}
				out = append(out, fmt.Sprintf("Objects\\%s\\Elements\\%s: %v", k.Name(), e.Name(), err))
			}
		}
	}
	return out
}

// Copy copies object src to a new object id (NewGUID when zero): every key
// and value below Objects\{src} (Description\Type, every element with its
// registry type and bytes) as it is. It returns the new object.
func (s *Store) Copy(src, id GUID) (*Object, error) {
	o, err := s.Object(src)
	if err != nil {
		return nil, err
	}
	if id.IsZero() {
		id = NewGUID()
	}
	if _, err := s.objects.Subkey(id.String()); err == nil {
		return nil, &ArgError{Kind: "identifier", Arg: idText(id, false), Msg: "an object with this identifier exists", Err: ErrExists}
	}
	dst, err := s.objects.CreateKey(id.String())
	if err != nil {
		return nil, err
	}
	err = o.key.Walk(func(path string, k *hive.Key) error {
		to := dst
		if path != "" {
			var err error
			if to, err = dst.CreateKey(path); err != nil {
				return err
			}
		}
		for v, err := range k.Values() {
			if err != nil {
				return err
			}
			data, err := v.Data()
			if err != nil {
				return err
			}
			if err := to.SetValue(v.Name(), v.Type(), data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.newObject(id, dst), nil
}
