package bcd_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/winbootkit/winbootkit/bcd"
	"github.com/winbootkit/winbootkit/hive"
	"github.com/winbootkit/winbootkit/internal/testutil"
)

// typedErr reports whether err wraps a sentinel of package bcd or of the
// hive underneath (bcd passes hive errors through).
func typedErr(err error) bool {
	for _, s := range []error{bcd.ErrFormat, bcd.ErrLimit, bcd.ErrNotFound, bcd.ErrExists, bcd.ErrInvalidID,
		bcd.ErrUnknownElement, bcd.ErrValueType, bcd.ErrDeviceSyntax, bcd.ErrUsage, bcd.ErrInvalid,
		hive.ErrFormat, hive.ErrLimit, hive.ErrUnsupported, hive.ErrChecksum, hive.ErrNotFound, hive.ErrInvalid, hive.ErrExists} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// exerciseStore does with an untrusted store what a caller would: open,
// list objects, decode and re-encode every element, Enum all /v and the
// active list, Check, set {bootmgr}'s timeout and reopen the result. It
// returns the bytes allocated meanwhile, the errors met (each must be
// typed), and whether reading or Check found trouble. The edit's own
// errors (no {bootmgr} to edit, say) are typed but are not trouble.
func exerciseStore(t *testing.T, b []byte, opts *bcd.Options) (alloc uint64, errs []error, trouble bool) {
	t.Helper()
	done := make(chan struct{})
	alloc = testutil.Allocated(func() {
		go func() {
			defer close(done)
			note := func(what string, err error, counts bool) {
				if err == nil {
					return
				}
				assert.True(t, typedErr(err), "%s: untyped error: %v", what, err)
				errs = append(errs, err)
				trouble = trouble || counts
			}
			s, err := bcd.Parse(b, opts)
			if err != nil {
				note("parse", err, true)
				return
			}
			objs, err := s.Objects()
			note("objects", err, true)
			for _, o := range objs {
				_ = o.Description()
				els, err := o.Elements()
				note("elements", err, true)
				for _, e := range els {
					note("element "+e.Type.KeyName(), e.Err, true)
					if d, ok := e.Value.(*bcd.Device); ok {
						_ = d.Text(e.Type, &bcd.Syntax{Verbose: true})
						_, err := d.MarshalBinary()
						note("device encode", err, true)
					}
				}
			}
			note("enum all /v", s.Enum(io.Discard, "all", &bcd.EnumOptions{Syntax: bcd.Syntax{Verbose: true}}), true)
			note("enum", s.Enum(io.Discard, "", nil), true)
			trouble = trouble || len(s.Check()) > 0
			bm, err := s.Object(bcd.BootMgr)
			if err != nil {
				bm, err = s.Create(bcd.BootMgr, bcd.TypeBootMgr)
			}
			note("edit", err, false)
			if err == nil {
				err = bm.Set(bcd.ElemTimeout, bcd.Integer(7))
				note("set timeout", err, false)
			}
			if err == nil {
				r, err := bcd.Parse(s.Bytes(), opts)
				if !assert.NoError(t, err, "the edited store does not reopen") {
					return
				}
				o, err := r.Object(bcd.BootMgr)
				if assert.NoError(t, err) {
					v, err := o.Get(bcd.ElemTimeout)
					assert.NoError(t, err)
					assert.Equal(t, bcd.Integer(7), v, "edit lost")
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("hostile store hangs")
		}
	})
	return alloc, errs, trouble
}

// Hive offsets below are relative to the start of the hive bins (file
// offset 4096), as the hive stores them; fields of an nk cell are offsets
// into its content (after the 4-byte cell size), from the regf layout.
const (
	binsStart   = 4096
	nkParent    = 16
	nkSubCount  = 20
	nkSubList   = 28
	lfMaxPerHit = 50000 // entries per generated lf leaf (a leaf holds at most 65,535)
)

// cellOf returns the bins-relative offset of the key at path.
func cellOf(t *testing.T, s *bcd.Store, path string) uint32 {
	t.Helper()
	var k *hive.Key
	var err error
	if path == "" {
		k = s.Hive().Root()
	} else {
		k, err = s.Hive().OpenKey(path)
		require.NoError(t, err)
	}
	return uint32(k.Offset() - binsStart)
}

func putNK(b []byte, cell uint32, field int, v uint32) {
	binary.LittleEndian.PutUint32(b[binsStart+int(cell)+4+field:], v)
}

// appendBin appends an hbin holding the given cell contents (allocated
// cells) and a free cell for the rest, updates the base block's bins size
// and checksum, and returns the file with the bins-relative cell offsets.
func appendBin(b []byte, cells ...[]byte) ([]byte, []uint32) {
	rel := uint32(len(b) - binsStart)
	size := 32 + 8
	for _, c := range cells {
		size += (4 + len(c) + 7) &^ 7
	}
	size = (size + 4095) &^ 4095
	bin := make([]byte, size)
	copy(bin, "hbin")
	binary.LittleEndian.PutUint32(bin[4:], rel)
	binary.LittleEndian.PutUint32(bin[8:], uint32(size))
	at := 32
	var offs []uint32
	for _, c := range cells {
		n := (4 + len(c) + 7) &^ 7
		binary.LittleEndian.PutUint32(bin[at:], uint32(-int32(n)))
		copy(bin[at+4:], c)
		offs = append(offs, rel+uint32(at))
		at += n
	}
	binary.LittleEndian.PutUint32(bin[at:], uint32(size-at))
	b = append(b, bin...)
	binary.LittleEndian.PutUint32(b[40:], uint32(len(b)-binsStart))
	var sum uint32
	for i := 0; i < 508; i += 4 {
		sum ^= binary.LittleEndian.Uint32(b[i:])
	}
	binary.LittleEndian.PutUint32(b[508:], sum)
	return b, offs
}

// setSubkeys makes the key cell list entries as its subkeys: lf leaves of
// at most lfMaxPerHit entries, under an ri when there are several.
func setSubkeys(b []byte, key uint32, entries []uint32) []byte {
	var leaves [][]byte
	for chunk := range slices.Chunk(entries, lfMaxPerHit) {
		lf := make([]byte, 4+8*len(chunk))
		copy(lf, "lf")
		binary.LittleEndian.PutUint16(lf[2:], uint16(len(chunk)))
		for i, e := range chunk {
			binary.LittleEndian.PutUint32(lf[4+8*i:], e)
		}
		leaves = append(leaves, lf)
	}
	b, offs := appendBin(b, leaves...)
	top := offs[0]
	if len(offs) > 1 {
		ri := make([]byte, 4+4*len(offs))
		copy(ri, "ri")
		binary.LittleEndian.PutUint16(ri[2:], uint16(len(offs)))
		for i, o := range offs {
			binary.LittleEndian.PutUint32(ri[4+4*i:], o)
		}
		var ro []uint32
		b, ro = appendBin(b, ri)
		top = ro[0]
	}
	putNK(b, key, nkSubCount, uint32(len(entries)))
	putNK(b, key, nkSubList, top)
	return b
}

// guids returns n distinct GUIDs, deterministically.
func guids(n int) []bcd.GUID {
	out := make([]bcd.GUID, n)
	for i := range out {
		binary.LittleEndian.PutUint32(out[i][:], uint32(i+1))
		out[i][8] = 0x80
	}
	return out
}

// nestedRamdisks returns a ramdisk device whose parent is a ramdisk whose
// parent is ... depth ramdisks deep, over [boot]; the innermost ramdisk's
// image has the path innerPath.
func nestedRamdisks(depth int, innerPath string) *bcd.Device {
	d := &bcd.Device{Kind: bcd.DeviceBoot}
	for i := range depth {
		p := `\r.wim`
		if i == 0 {
			p = innerPath
		}
		d = &bcd.Device{Kind: bcd.DeviceRamdisk, Path: p, Parent: d}
	}
	d.Options = bcd.RamdiskOptions
	return d
}

// Crafted hostile stores, beneath and at the BCD level: no panic, no hang,
// typed errors (the ones named in want among them), damage found by
// reading or Check, and at most testutil.MaxHostileAlloc allocated for
// inputs of at most 1 MiB.
func TestHostileStores(t *testing.T) {
	const osloader = bcd.TypeOSLoader
	// base: {bootmgr} and one osloader X whose device is set.
	x := bcd.MustParseGUID("{11111111-2222-3333-4444-555555555555}")
	y := bcd.MustParseGUID("{66666666-7777-8888-9999-aaaaaaaaaaaa}")
	base := func(t *testing.T) *bcd.Store {
		s, err := bcd.New(nil)
		require.NoError(t, err)
		_, err = s.Create(bcd.BootMgr, bcd.TypeBootMgr)
		require.NoError(t, err)
		for _, id := range []bcd.GUID{x, y} {
			o, err := s.Create(id, osloader)
			require.NoError(t, err)
			require.NoError(t, o.Set(bcd.ElemDescription, bcd.String("entry")))
			require.NoError(t, o.Set(bcd.ElemDevice, &bcd.Device{Kind: bcd.DeviceBoot}))
		}
		return s
	}
	obj := func(t *testing.T, s *bcd.Store, id bcd.GUID) *bcd.Object {
		o, err := s.Object(id)
		require.NoError(t, err)
		return o
	}
	setRaw := func(t *testing.T, s *bcd.Store, id bcd.GUID, et bcd.ElementType, typ hive.ValueType, data []byte) {
		require.NoError(t, obj(t, s, id).Set(et, bcd.Raw{Type: typ, Data: data}))
	}
	device := func(t *testing.T, text string) []byte {
		d, err := bcd.ParseDevice(text, bcd.ElemDevice, nil)
		require.NoError(t, err)
		b, err := d.MarshalBinary()
		require.NoError(t, err)
		return b
	}
	multiSZ := func(ss []string) []byte {
		b, err := hive.EncodeMultiString(ss)
		require.NoError(t, err)
		return b
	}
	objectsKey := `Objects`
	elementsOf := func(id bcd.GUID) string { return `Objects\` + id.String() + `\Elements` }

	tests := []struct {
		name      string
		opts      *bcd.Options
		build     func(t *testing.T, s *bcd.Store)                  // edits through the API
		damage    func(t *testing.T, s *bcd.Store, b []byte) []byte // raw edits of the file
		want      error                                             // an error that must be among those met
		formatErr bool                                              // ... as a *bcd.FormatError
		sound     bool                                              // a valid store, only an unusual one
	}{
		{name: "Objects lists one object 100,000 times (ri of two lf leaves)", damage: func(t *testing.T, s *bcd.Store, b []byte) []byte {
			return setSubkeys(b, cellOf(t, s, objectsKey), slices.Repeat([]uint32{cellOf(t, s, `Objects\`+x.String())}, 100000))
		}},
		{name: "Objects lists the root key", want: hive.ErrFormat, damage: func(t *testing.T, s *bcd.Store, b []byte) []byte {
			return setSubkeys(b, cellOf(t, s, objectsKey), []uint32{cellOf(t, s, "")})
		}},
		{name: "Objects lists itself", want: hive.ErrFormat, damage: func(t *testing.T, s *bcd.Store, b []byte) []byte {
			return setSubkeys(b, cellOf(t, s, objectsKey), []uint32{cellOf(t, s, objectsKey)})
		}},
		{name: "an Elements key lists its own object", want: hive.ErrFormat, damage: func(t *testing.T, s *bcd.Store, b []byte) []byte {
			return setSubkeys(b, cellOf(t, s, elementsOf(x)), []uint32{cellOf(t, s, `Objects\`+x.String())})
		}},
		{name: "an Elements key lists another object's element", want: hive.ErrFormat, damage: func(t *testing.T, s *bcd.Store, b []byte) []byte {
			return setSubkeys(b, cellOf(t, s, elementsOf(x)), []uint32{cellOf(t, s, elementsOf(y)+`\11000001`)})
		}},
		{name: "an object's parent field names Elements of another", want: hive.ErrFormat, damage: func(t *testing.T, s *bcd.Store, b []byte) []byte {
			putNK(b, cellOf(t, s, `Objects\`+x.String()), nkParent, cellOf(t, s, elementsOf(y)))
			return b
		}},
		{name: "2,000 objects over MaxObjects 1,000", opts: &bcd.Options{Limits: bcd.Limits{MaxObjects: 1000}}, want: bcd.ErrLimit,
			build: func(t *testing.T, s *bcd.Store) {
				for _, g := range guids(2000) {
					_, err := s.Create(g, bcd.TypeInheritLibrary)
					require.NoError(t, err)
				}
			}},
		{name: "5,000 elements in one object (MaxElements 4,096)", want: bcd.ErrLimit, build: func(t *testing.T, s *bcd.Store) {
			o := obj(t, s, x)
			for i := range 5000 {
				require.NoError(t, o.Set(bcd.ElementType(0x25100000+i), bcd.Integer(i)))
			}
		}},
		{name: "displayorder of 11,000 objects", sound: true, build: func(t *testing.T, s *bcd.Store) {
			require.NoError(t, obj(t, s, bcd.BootMgr).Set(bcd.ElemDisplayOrder, bcd.ObjectList(guids(11000))))
		}},
		{name: "displayorder of 11,000 objects, the last not a GUID", want: bcd.ErrFormat, build: func(t *testing.T, s *bcd.Store) {
			var ss []string
			for _, g := range guids(11000) {
				ss = append(ss, g.String())
			}
			ss[len(ss)-1] = "{not-a-guid}"
			setRaw(t, s, bcd.BootMgr, bcd.ElemDisplayOrder, hive.MultiString, multiSZ(ss))
		}},
		{name: "displayorder of 200,000 one-letter strings", want: bcd.ErrFormat, build: func(t *testing.T, s *bcd.Store) {
			setRaw(t, s, bcd.BootMgr, bcd.ElemDisplayOrder, hive.MultiString, multiSZ(slices.Repeat([]string{"x"}, 200000)))
		}},
		{name: "inherit list of 800,000 NUL bytes (an empty list)", sound: true, build: func(t *testing.T, s *bcd.Store) {
			setRaw(t, s, x, bcd.ElemInherit, hive.MultiString, make([]byte, 800000))
		}},
		{name: "inherit list of one 400,000-character entry", want: bcd.ErrFormat, build: func(t *testing.T, s *bcd.Store) {
			setRaw(t, s, x, bcd.ElemInherit, hive.MultiString, multiSZ([]string{strings.Repeat("{", 400000)}))
		}},
		{name: "badmemorylist of 110,000 integers", sound: true, build: func(t *testing.T, s *bcd.Store) {
			require.NoError(t, obj(t, s, x).Set(0x17000001, make(bcd.IntegerList, 110000)))
		}},
		{name: "unknown element of 900,000 bytes", sound: true, build: func(t *testing.T, s *bcd.Store) {
			setRaw(t, s, x, 0x1f000123, hive.Binary, make([]byte, 900000))
		}},
		{name: "string of 900,000 bytes", sound: true, build: func(t *testing.T, s *bcd.Store) {
			require.NoError(t, obj(t, s, x).Set(bcd.ElemDescription, bcd.String(strings.Repeat("d", 450000))))
		}},
		{name: "element over MaxElementSize", opts: &bcd.Options{Limits: bcd.Limits{MaxElementSize: 64 << 10}}, want: bcd.ErrLimit,
			build: func(t *testing.T, s *bcd.Store) {
				require.NoError(t, obj(t, s, x).Set(bcd.ElemDescription, bcd.String(strings.Repeat("d", 50000))))
			}},
		{name: "device descriptor size 0xffffffff", want: bcd.ErrFormat, formatErr: true, build: func(t *testing.T, s *bcd.Store) {
			b := device(t, `ramdisk=[boot]\x.wim,{ramdiskoptions}`)
			binary.LittleEndian.PutUint32(b[16+8:], 0xffffffff)
			setRaw(t, s, x, bcd.ElemDevice, hive.Binary, b)
		}},
		{name: "device file path longer than the blob", want: bcd.ErrFormat, formatErr: true, build: func(t *testing.T, s *bcd.Store) {
			b := device(t, `file=[boot]\f.img`)
			binary.LittleEndian.PutUint32(b[16+16+4+4:], 0x7fffffff)
			setRaw(t, s, x, bcd.ElemDevice, hive.Binary, b)
		}},
		{name: "device locate parent offset outside the descriptor", want: bcd.ErrFormat, formatErr: true, build: func(t *testing.T, s *bcd.Store) {
			b := device(t, `vhd=[locate]\x.vhd`)
			binary.LittleEndian.PutUint32(b[16+16+8:], 0xfffffff0)
			setRaw(t, s, x, bcd.ElemOSDevice, hive.Binary, b)
		}},
		{name: "device of 1,000 nested ramdisks", want: bcd.ErrLimit, formatErr: true, build: func(t *testing.T, s *bcd.Store) {
			b, err := nestedRamdisks(1000, `\x.wim`).MarshalBinary()
			require.NoError(t, err)
			setRaw(t, s, x, bcd.ElemDevice, hive.Binary, b)
		}},
		{name: "device of 15 nested ramdisks over a 450,000-character path", sound: true, build: func(t *testing.T, s *bcd.Store) {
			require.NoError(t, obj(t, s, x).Set(bcd.ElemDevice, nestedRamdisks(15, strings.Repeat("p", 450000))))
		}},
		{name: "references that cycle", sound: true, build: func(t *testing.T, s *bcd.Store) {
			bm := obj(t, s, bcd.BootMgr)
			require.NoError(t, bm.Set(bcd.ElemDefault, bcd.Default))
			require.NoError(t, bm.Set(bcd.ElemDisplayOrder, bcd.ObjectList{bcd.BootMgr, bcd.Default, x, x}))
			require.NoError(t, obj(t, s, x).Set(bcd.ElemInherit, bcd.ObjectList{y, x}))
			require.NoError(t, obj(t, s, y).Set(bcd.ElemInherit, bcd.ObjectList{x}))
			require.NoError(t, obj(t, s, x).Set(bcd.ElemRecoverySequence, bcd.ObjectList{x}))
		}},
		{name: "1,000 objects without Description", build: func(t *testing.T, s *bcd.Store) {
			for _, g := range guids(1000) {
				require.NoError(t, s.Hive().CreateKey(`Objects\`+g.String()+`\Elements`))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base(t)
			if tt.build != nil {
				tt.build(t, s)
			}
			b := s.Bytes()
			if tt.damage != nil {
				b = tt.damage(t, s, b)
			}
			require.LessOrEqual(t, len(b), 1<<20, "input larger than 1 MiB")
			alloc, errs, trouble := exerciseStore(t, b, tt.opts)
			t.Logf("%d bytes in, %d allocated", len(b), alloc)
			assert.LessOrEqual(t, alloc, uint64(testutil.MaxHostileAlloc), "allocated %d bytes", alloc)
			assert.Equal(t, !tt.sound, trouble, "damage found by reading or Check; errors: %v", errs)
			if tt.want != nil {
				require.ErrorIs(t, errors.Join(errs...), tt.want)
			}
			if tt.formatErr {
				var fe *bcd.FormatError
				require.ErrorAs(t, errors.Join(errs...), &fe)
			}
		})
	}
}

// field is a length field of a device element: the decoder must refuse a
// value claiming more than present (or less than the fixed part) with a
// *FormatError at offset report.
type lengthField struct {
	name   string
	at     int      // offset of the 4-byte field in the element
	report int      // offset the decoder reports
	bad    []uint32 // values that must fail
}

// deviceLayout walks a device element by the layout of spec §2.5,
// independently of the package's codec, and returns the offsets where a
// field starts and the length fields.
func deviceLayout(t *testing.T, b []byte) (bounds []int, lens []lengthField) {
	t.Helper()
	u32 := func(at int) uint32 {
		require.LessOrEqual(t, at+4, len(b))
		return binary.LittleEndian.Uint32(b[at:])
	}
	add := func(offs ...int) { bounds = append(bounds, offs...) }
	var desc func(p, limit int) int
	filePath := func(q, limit int) {
		add(q, q+4, q+8, q+12)
		length := int(u32(q + 4))
		lens = append(lens, lengthField{"file path length", q + 4, q + 4, []uint32{uint32(limit-q) + 1, 0xffffffff, 11}})
		child := desc(q+12, q+length)
		add(q+12+child, q+length)
	}
	desc = func(p, limit int) int {
		size := int(u32(p + 8))
		add(p, p+4, p+8, p+12, p+16)
		lens = append(lens, lengthField{"descriptor size", p + 8, p, []uint32{uint32(limit-p) + 1, 0xffffffff, 15}})
		body := p + 16
		switch u32(p) {
		case 5, 6: // boot, partition: partition id or offset, style, disk id
			add(body+8, body+16, body+0x14, body+0x18, body+0x1c, body+0x28)
		case 0: // block I/O
			add(body + 4)
			switch u32(body) {
			case 3: // ramdisk: image base, size, offset; file path
				add(body+12, body+20, body+24)
				filePath(body+24, p+size)
			case 5: // file
				filePath(body+4, p+size)
			case 6: // vhd: 20 bytes, then a descriptor
				add(body + 24)
				desc(body+24, p+size)
			default:
				t.Fatalf("block I/O type %d at %#x", u32(body), body)
			}
		case 8: // locate: type, element, parent offset, string, parent
			add(body+4, body+8, body+12)
			poff := int(u32(body + 8))
			lens = append(lens, lengthField{"locate parent offset", body + 8, body + 8, []uint32{uint32(size), 0xfffffff0, 20}})
			if poff != 0 {
				desc(p+poff, p+size)
			}
		default:
			t.Fatalf("device type %d at %#x", u32(p), p)
		}
		add(p + size)
		return size
	}
	add(0)
	desc(16, len(b))
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	return bounds, lens
}

// hostileDevices are generated device elements of every kind the package
// models, each parent kind included.
func hostileDevices(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	for _, s := range deviceSeeds {
		d, err := bcd.ParseDevice(s, bcd.ElemDevice, nil)
		require.NoError(t, err, s)
		b, err := d.MarshalBinary()
		require.NoError(t, err)
		out[s] = b
	}
	return out
}

// requireDeviceError decodes b, which must fail with want as a
// *FormatError (at offset report when report >= 0), within the heap bound.
func requireDeviceError(t *testing.T, b []byte, want error, report int) {
	t.Helper()
	var err error
	n := testutil.Allocated(func() { _, err = bcd.DecodeDevice(b) })
	require.ErrorIs(t, err, want)
	var fe *bcd.FormatError
	require.ErrorAs(t, err, &fe)
	if report >= 0 {
		assert.Equal(t, int64(report), fe.Offset, "%v", err)
	}
	assert.LessOrEqual(t, n, uint64(testutil.MaxHostileAlloc))
}

// TestHostileDeviceTruncated cuts every kind of device element at every
// field boundary (found by walking the layout of spec §2.5): DecodeDevice
// fails with a *FormatError wrapping ErrFormat, and the same blob as an
// element of a store is reported by Element.Err and Check, each within the
// heap bound. Every other cut fails in the decoder too.
func TestHostileDeviceTruncated(t *testing.T) {
	for name, good := range hostileDevices(t) {
		bounds, _ := deviceLayout(t, good)
		require.Equal(t, len(good), bounds[len(bounds)-1], "%s: the layout ends at the blob's end", name)
		// Every cut, in one heap measurement.
		var errs []error
		alloc := testutil.Allocated(func() {
			for n := range len(good) {
				_, err := bcd.DecodeDevice(good[:n])
				errs = append(errs, err)
			}
		})
		for n, err := range errs {
			require.ErrorIs(t, err, bcd.ErrFormat, "%s cut at %#x", name, n)
			var fe *bcd.FormatError
			require.ErrorAs(t, err, &fe)
		}
		assert.LessOrEqual(t, alloc, uint64(testutil.MaxHostileAlloc))
		for _, n := range bounds[:len(bounds)-1] {
			t.Run(fmt.Sprintf("%s cut at %#x", name, n), func(t *testing.T) {
				s, err := bcd.New(nil)
				require.NoError(t, err)
				o, err := s.Create(bcd.GUID{}, bcd.TypeOSLoader)
				require.NoError(t, err)
				require.NoError(t, o.Set(bcd.ElemDevice, bcd.Raw{Type: hive.Binary, Data: good[:n]}))
				alloc, errs, trouble := exerciseStore(t, s.Bytes(), nil)
				assert.True(t, trouble)
				require.ErrorIs(t, errors.Join(errs...), bcd.ErrFormat)
				assert.LessOrEqual(t, alloc, uint64(testutil.MaxHostileAlloc))
			})
		}
	}
}

// TestHostileDeviceLengths sets every length field of every kind of device
// element (descriptor sizes, file path lengths, locate parent offsets) to
// values claiming more bytes than the element holds, and to values smaller
// than the fixed part: each fails with a *FormatError wrapping ErrFormat
// at the offset of the structure or field concerned.
func TestHostileDeviceLengths(t *testing.T) {
	for name, good := range hostileDevices(t) {
		_, lens := deviceLayout(t, good)
		for _, f := range lens {
			for _, v := range f.bad {
				t.Run(fmt.Sprintf("%s %s at %#x = %#x", name, f.name, f.at, v), func(t *testing.T) {
					b := slices.Clone(good)
					binary.LittleEndian.PutUint32(b[f.at:], v)
					requireDeviceError(t, b, bcd.ErrFormat, f.report)
				})
			}
		}
	}
}

// TestHostileDeviceNesting bounds the depth of nested device parents (a
// ramdisk whose parent is a ramdisk whose parent ...): up to
// MaxDeviceDepth levels decode and encode back, one more is ErrLimit, and
// 1,000 levels fail as fast, within the heap bound.
func TestHostileDeviceNesting(t *testing.T) {
	depth := bcd.DefaultLimits.MaxDeviceDepth
	// The outermost ramdisk is at depth 0, its parents below it; the
	// boot device at the bottom counts as a level too.
	ok, err := nestedRamdisks(depth-1, `\x.wim`).MarshalBinary()
	require.NoError(t, err)
	d, err := bcd.DecodeDevice(ok)
	require.NoError(t, err)
	back, err := d.MarshalBinary()
	require.NoError(t, err)
	testutil.EqualBytes(t, ok, back)
	for _, n := range []int{depth, 1000} {
		b, err := nestedRamdisks(n, `\x.wim`).MarshalBinary()
		require.NoError(t, err)
		requireDeviceError(t, b, bcd.ErrLimit, -1)
	}
}
